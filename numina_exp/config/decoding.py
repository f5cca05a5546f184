"""Schema of the `decoding` group: greedy | maj_k | sc_tir_numina | sc_tir."""
from dataclasses import dataclass, field
from typing import Optional


@dataclass
class DecodingConfig:
    strategy: str = "greedy"  # greedy | maj_k | sc_tir_numina | sc_tir
    n: int = 1  # width: copies (SC-TIR) or samples (maj@k)
    m: int = 1  # depth: generation steps per copy (SC-TIR)
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = -1  # -1: off
    max_new_tokens: int = 2048  # per generation call (per step for SC-TIR)
    stop: list = field(default_factory=list)
    include_stop_in_output: bool = True
    seed: int = 0
    # SC-TIR decisions (docs/sc_tir_spec.md)
    finish_on_answer: bool = True  # true: first upload (e0d25a6); false: cleaned notebook
    restart_on_fail: bool = True
    answer_rule: str = "numina"  # numina | boxed | gsm8k
    integer_mode: str = "round"  # round (notebook) | strict (reject non-integers)
    vote_equivalence: str = "integer"  # integer | math
    tie_break: str = "first_seen"  # first_seen | smallest | random
    # sc_tir (our default) only
    early_stop: bool = False  # lossless: stop once no unfinished copy can change the winner
    pipelining: bool = False  # run a copy's code while other copies still generate
