"""The five per-copy decisions after each SC-TIR step (docs/sc_tir_spec.md, "After each step"),
applied in order to `text` = prompt + everything the copy generated so far (the regexes see the prompt
too). The one implementation of the notebook's step decision; the answer itself is extracted by
numina_exp.grading (rule `numina`)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

STOP = "```output\n"
PY_BLOCK = re.compile(r"```python(.*?)```", re.S)
OUT_BLOCK = re.compile(r"```output(.*?)```", re.S)
ANSWER_REGION = 100


@dataclass(frozen=True)
class Decision:
    action: str  # restart | prune_nocode | discard | answer | keep | fail | execute
    code: Optional[str] = None  # execute: the LAST python block's content
    rule: int = 0


def decide(text: str, last_step: bool, restart_on_fail: bool = True, stop: str = STOP) -> Decision:
    blocks = PY_BLOCK.findall(text)
    # 1. no closed python block anywhere -> back to the bare prompt (or prune without restart_on_fail)
    if not blocks:
        return Decision("restart" if restart_on_fail else "prune_nocode", rule=1)
    ends_with_stop = text.endswith(stop)
    region = text[-ANSWER_REGION:]
    # 2. a final answer: discard if no output block was ever seen ("hallucinated"), else answer
    if not ends_with_stop and ("\\boxed" in region or "answer is" in region):
        if not OUT_BLOCK.search(text):
            return Decision("discard", rule=2)
        return Decision("answer", rule=2)
    # 3. the last step runs no code
    if last_step:
        return Decision("keep", rule=3)
    # 4. EOS / token limit without an answer
    if not ends_with_stop:
        return Decision("restart" if restart_on_fail else "fail", rule=4)
    # 5. execute the last python block
    return Decision("execute", code=blocks[-1], rule=5)
