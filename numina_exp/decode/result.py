"""What decoding one problem produced: `ProblemResult` (one line of per_problem.jsonl) and `CopyResult`."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional


@dataclass
class CopyResult:
    copy: int
    status: str = "unfinished"  # answered | discarded | unfinished (still active when the problem ended)
    answer: Optional[str] = None  # extracted answer text (None: none / the notebook's "-1")
    value: Any = None  # what it votes for: AIMO int (integer equivalence) or the answer text (math); None: no vote
    finish_step: Optional[int] = None  # step at which it was answered / discarded (None: unfinished)
    restarts: int = 0  # resets to the bare prompt
    steps: int = 0  # generation calls made (restarts included)
    code_runs: int = 0
    tokens: int = 0
    stopped_early: bool = False  # unfinished because early stop ended the problem
    # one entry per step: {"step", "event": restart|discard|answer|execute|keep|fail, "answer"?}
    history: list = field(default_factory=list)


@dataclass
class ProblemResult:
    problem_id: str
    strategy: str
    answer: Any  # the vote's winner (AIMO int; 0 when no valid answer) or answer text (math equivalence)
    votes: dict  # value -> count, in first-seen pool order
    copies: list  # [CopyResult]
    pool_order: list = field(default_factory=list)  # copy indices in the vote's pool order
    code_blocks: int = 0
    tokens: int = 0
    generation_s: float = 0.0
    execution_s: float = 0.0
    other_s: float = 0.0
    wall_s: float = 0.0
    exec_cpu_s: float = 0.0  # summed run time of the snippets (overlaps generation when pipelined)
    early_stopped: bool = False
    n: int = 0
    m: int = 0
    gold: Any = None  # the problem's reference answer when given (not graded here)

    def to_json(self) -> dict:
        d = asdict(self)
        d["votes"] = {str(k): v for k, v in self.votes.items()}
        return d
