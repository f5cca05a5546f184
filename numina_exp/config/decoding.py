"""Schema of the `decoding` group: which strategy (numina_exp.decode.strategies) and its knobs. Closed
choices are StrEnums, so composition rejects a wrong value naming the key."""
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any

from omegaconf import II


class EarlyStop(str, Enum):
    """When SC-TIR may stop a problem before every copy has finished (decode/early_stop.py)."""

    none = "none"  # every copy runs its M steps (the notebook; an exact N x M grid). Not `off`: YAML reads that as false
    lossless = "lossless"  # once no unfinished copy can change the winner: the answer of the full run
    adaptive = "adaptive"  # also once the posterior probability that the leader stays leader reaches
    #                        early_stop_threshold (Adaptive-Consistency; lossy by design)

    def __bool__(self) -> bool:  # `if d.early_stop:` means "some early stop is on"
        return self is not EarlyStop.none


class DecodingStrategy(StrEnum):
    """decoding.strategy; each member's class and capabilities: numina_exp.decode.strategies.STRATEGIES."""

    greedy = "greedy"
    maj_k = "maj_k"
    sc_tir_numina = "sc_tir_numina"
    sc_tir = "sc_tir"


class AnswerRule(StrEnum):  # how a copy's answer is read from its text (numina_exp.grading.extract)
    numina = "numina"  # exactly the winning notebook's extraction
    boxed = "boxed"  # the last \\boxed{}
    gsm8k = "gsm8k"  # the text after the last ####


class IntegerMode(StrEnum):
    round = "round"  # the notebook: round a non-integer answer
    strict = "strict"  # reject non-integers


class VoteEquivalence(StrEnum):
    integer = "integer"  # answers vote as AIMO integers
    math = "math"  # answers vote together when math-verify finds them equivalent


class TieBreak(StrEnum):
    first_seen = "first_seen"
    smallest = "smallest"
    random = "random"


class Posterior(StrEnum):
    beta = "beta"  # leader vs runner-up (Aggarwal et al. 2023's default)
    dirichlet = "dirichlet"  # all answers


@dataclass
class DecodingConfig:
    strategy: DecodingStrategy = DecodingStrategy.greedy
    n: int = 1  # width: copies (SC-TIR) or samples (maj@k)
    m: int = 1  # depth: generation steps per copy (SC-TIR)
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = -1  # -1: off
    max_new_tokens: int = 2048  # per generation call (per step for SC-TIR)
    stop: list = field(default_factory=list)
    include_stop_in_output: bool = True
    seed: int = II("seed")  # the run's root seed (docs/seeds.md): method=sample's sampling seed
    # SC-TIR decisions (docs/sc_tir_spec.md)
    finish_on_answer: bool = True  # true: first upload (e0d25a6); false: cleaned notebook
    restart_on_fail: bool = True
    answer_rule: AnswerRule = AnswerRule.numina
    integer_mode: IntegerMode = IntegerMode.round
    vote_equivalence: VoteEquivalence = VoteEquivalence.integer
    tie_break: TieBreak = TieBreak.first_seen
    # sc_tir (our default) only
    early_stop: EarlyStop = EarlyStop.none  # none | lossless | adaptive
    # early_stop=adaptive: stop once P(leader is the mode of the answer distribution) >= threshold,
    # under a beta (leader vs runner-up, Aggarwal et al. 2023's default) or dirichlet (all answers) posterior
    early_stop_threshold: float = 0.95
    early_stop_posterior: Posterior = Posterior.beta
    early_stop_prior: float = 1.0  # pseudo-count per answer (and the beta's runner-up when none)
    pipelining: bool = False  # run a copy's code while other copies still generate
    # SC-TIR: problems decoded at once through one engine, their copies sharing its batches (a window:
    # a finished problem's slot goes to the next). Decisions and votes are per problem, and with
    # per-request seeds (vllm, replay, openai) the texts equal decoding one problem at a time; hf samples
    # depend on the batch. 1 is the notebook (one problem, N copies). Per-problem seconds overlap.
    # An int >= 1, or "auto" (the SC-TIR default, conf/decoding/sc_tir_numina.yaml): as many problems
    # as fill the batch the backend declares where results cannot change, else 1 (decode/in_flight.py).
    problems_in_flight: Any = 1
