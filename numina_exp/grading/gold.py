"""What a dataset row asks and what it counts as right, read one way for every method that grades rows
(method=sample's labels, method=generate_tir's references): the problem text, the reference solution,
the gold answer."""
from __future__ import annotations

from typing import Optional

from .extract import extract_gsm8k, last_boxed


def problem_text(row: dict) -> Optional[str]:
    """`problem` (NuminaMath), `question` (GSM8K), else the first user message."""
    p = row.get("problem") or row.get("question")
    if not p and row.get("messages"):
        p = next((m["content"] for m in row["messages"] if m.get("role") == "user"), None)
    return str(p) if p else None


def reference_solution(row: dict) -> Optional[str]:
    """`solution`, else the last assistant message."""
    if row.get("solution"):
        return row["solution"]
    return next((m["content"] for m in reversed(row.get("messages") or []) if m.get("role") == "assistant"), None)


def gold_answer(row: dict) -> Optional[str]:
    """An explicit `answer` column (a float that is an integer written as one), else the reference
    solution's GSM8K `#### x` or its last \\boxed{}; None when there is none."""
    ans = row.get("answer")
    if ans is not None and str(ans).strip():
        return str(int(ans)) if isinstance(ans, float) and ans.is_integer() else str(ans).strip()
    sol = reference_solution(row)
    if not sol:
        return None
    found = extract_gsm8k(sol) if "####" in sol else last_boxed(sol)
    return found.strip() if found and found.strip() else None
