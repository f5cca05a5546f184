"""Schema of the `eval` group: which problems, how many seeds, how they are scored."""
from dataclasses import dataclass, field
from typing import Optional


@dataclass
class EvalConfig:
    name: str = "???"
    suites: list = field(default_factory=list)  # for composite suites (aimo_val): names of member suites
    path: Optional[str] = None  # local JSONL with id, problem, answer (overrides hub_id)
    hub_id: Optional[str] = None
    split: str = "train"
    answer_kind: str = "integer"  # integer (AIMO, mod 1000) | math (math-verify equivalence)
    seeds: list = field(default_factory=lambda: [0])
    limit: Optional[int] = None  # first k problems
    shuffle_seed: Optional[int] = None
    nm_grid: bool = False  # SC-TIR: N x M grid from one pass
    nm_bootstrap: int = 200
    # kaggle_sim only
    budget_s: float = 9 * 3600.0
    speed_factor: float = 1.0
    policy: str = "fixed"  # fixed | even_split | adaptive
    orders: int = 5
    num_problems: int = 50
