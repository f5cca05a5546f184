"""Schema of the `eval` group: which problems, how many seeds, how they are scored.

Problem source (numina_exp.evaluate.suites.load_suite): `path` wins; with `path: null` the rows come
from `hub_id` (datasets.load_dataset); a composite suite (`suites: [amc, aime, ...]`) concatenates its
members' shipped files (ids prefixed `member:`). Every shipped suite sets `path` to its file inside the
package, so the default never touches the hub; `eval.path=null` switches a run to the hub copy (e.g.
AIME with 2024, 90 rows)."""
from dataclasses import dataclass, field
from enum import StrEnum
from typing import List, Optional

from omegaconf import II


class AnswerKind(StrEnum):
    """How an answer is compared with the gold one (numina_exp.grading); the one definition, shared by
    eval.answer_kind and the methods and trainers that grade (sample, generate_tir, rloo/grpo)."""

    integer = "integer"  # AIMO: an integer mod 1000
    numeric = "numeric"  # GSM8K: a number, to 1e-4
    math = "math"  # math-verify equivalence


class EvalMode(StrEnum):
    suite = "suite"  # accuracy per seed
    kaggle_sim = "kaggle_sim"  # the budgeted 50-problem Kaggle simulation


class Policy(StrEnum):  # how kaggle_sim spends the time budget (numina_exp.evaluate.kaggle_sim)
    fixed = "fixed"
    even_split = "even_split"
    adaptive = "adaptive"




@dataclass
class EvalConfig:
    name: str = "???"
    mode: EvalMode = EvalMode.suite
    suites: list = field(default_factory=list)  # for composite suites (aimo_val): names of member suites
    path: Optional[str] = None  # local JSONL with id, problem, answer (overrides hub_id)
    hub_id: Optional[str] = None
    hub_config: Optional[str] = None  # datasets config name (e.g. "main" for openai/gsm8k)
    split: str = "train"
    where: dict = field(default_factory=dict)  # keep rows whose field equals the value, e.g. {year: 2023}
    answer_kind: AnswerKind = AnswerKind.integer
    seeds: list = field(default_factory=lambda: [II("seed")])  # decoding seeds, one pass each; default the root seed (docs/seeds.md)
    limit: Optional[int] = None  # first k problems; for a composite suite: first k of EACH member
    shuffle_seed: Optional[int] = None  # shuffle (before the limit) with this seed
    exclude_problems_in: list = field(default_factory=list)  # JSONL files (e.g. training data): their problems are dropped
    resume: bool = True  # skip problems already in the run dir's per_problem.jsonl
    progress: bool = True  # tqdm bar over problems
    # Sharding (numina_exp/evaluate/shard.py): this job decodes contiguous problem range shard_index of
    # num_shards; `python -m numina_exp.evaluate.shard SWEEP_DIR` merges the shards into one run.
    shard_index: int = 0
    num_shards: int = 1
    nm_grid: bool = False  # SC-TIR: N x M grid from one pass
    nm_bootstrap: int = 200
    nm_seed: int = II("seed")  # seed of the bootstrap draws (the root seed, docs/seeds.md)
    nm_ns: list = field(default_factory=list)  # widths to report (empty: 1..N)
    # kaggle_sim only
    budget_s: float = 9 * 3600.0  # Kaggle seconds for the whole set
    speed_factor: float = 1.0  # our seconds per Kaggle second (budget here = budget_s * speed_factor); 0: calibrate
    policy: Policy = Policy.fixed
    policies: List[Policy] = field(default_factory=list)  # several policies compared in one run (empty: [policy])
    orders: int = 5
    budget_scales: list = field(default_factory=lambda: [1.0])  # also replay at these fractions of the budget
    num_problems: int = 50
    order_seed: int = II("seed")  # which problems are drawn and their orders (the root seed, docs/seeds.md)
    adaptive_margin: float = 0.5  # adaptive: stop a problem once the leader holds this share of the width's votes
