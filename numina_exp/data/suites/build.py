"""Rebuild the shipped suite files from a local copy of the public source files (developer tool).

    python numina_exp/data/suites/build.py SOURCE_DATA_DIR

Keeps only the fields an evaluation needs (id, problem, answer) plus light metadata; solutions are
dropped to keep the package small. Row order is the source order, except MATH level 4/5, which are
put in the AI-MO order (`numina_order_idx`, the lighteval/ToRA order) the validation sets use.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# suite file -> (source file, metadata fields kept, optional row filter, optional sort key)
SUITES = {
    "amc": ("amc12_2022_2023_aimo_validation.jsonl", ["year", "contest", "problem_number", "url"], None, None),
    "amc23": ("amc12_2022_2023_aimo_validation.jsonl", ["year", "contest", "problem_number", "url"],
              lambda r: r["year"] == 2023, None),
    "aime": ("aime_2022_2023.jsonl", ["year", "contest", "problem_number", "alt_answers_int"], None, None),
    "math_l4": ("math_test_level4_int.jsonl", ["level", "type", "subject", "numina_order_idx", "answer_is_decimal_int"],
                None, lambda r: r["numina_order_idx"]),
    "math_l5": ("math_test_level5_int.jsonl", ["level", "type", "subject", "numina_order_idx", "answer_is_decimal_int"],
                None, lambda r: r["numina_order_idx"]),
    "gsm8k": ("gsm8k_test.jsonl", ["answer_num"], None, None),
    "math": ("math_test.jsonl", ["level", "type", "subject", "in_math500"], None, None),
}


def build(src_dir: Path, out_dir: Path = HERE) -> dict[str, int]:
    counts = {}
    for name, (src, meta, keep, order) in SUITES.items():
        rows = [json.loads(line) for line in (src_dir / src).read_text(encoding="utf-8").splitlines() if line.strip()]
        if keep:
            rows = [r for r in rows if keep(r)]
        if order:
            rows.sort(key=order)
        with open(out_dir / f"{name}.jsonl", "w", encoding="utf-8") as f:
            for r in rows:
                out = {"id": r["id"], "problem": r["problem"], "answer": str(r["answer"])}
                out.update({k: r[k] for k in meta if k in r and r[k] is not None})
                f.write(json.dumps(out, ensure_ascii=False) + "\n")
        counts[name] = len(rows)
    return counts


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python numina_exp/data/suites/build.py SOURCE_DATA_DIR")
    src = Path(sys.argv[1])
    for k, v in build(src).items():
        print(f"{v:6d}  {k}.jsonl")
