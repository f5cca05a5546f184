"""Answer extraction and grading: AIMO integers and MATH expressions.

Public API::

    extract_answer(text, rule="boxed") -> str | None          # rules: boxed, numina, gsm8k, auto
    normalize_final_answer(s) -> str                           # the AIMO notebook's normaliser
    aimo_integer(answer, mode="round") -> int | None           # §1.7: round, >= 0, mod 1000
    aimo_gold(answer, mode="filter") -> int | None             # how a gold answer is scored
    is_equivalent(pred, gold, kind="math") -> bool             # kinds: integer, numeric, math
    grade_batch(preds, golds, kind="math", workers=2, timeout_s=5.0) -> list[bool]
    majority_vote(answers, equivalence="integer", tie_break="first_seen", seed=None) -> VoteResult
"""
from .aimo import AIMO_MODULUS, GOLD_MODES, aimo_gold, aimo_integer, filter_answers
from .equivalence import (
    KINDS,
    GradeResult,
    GraderPool,
    PoolStats,
    default_pool,
    grade_batch,
    grade_batch_detailed,
    is_equivalent,
    is_equivalent_detailed,
)
from .extract import (
    RULES,
    extract_answer,
    extract_gsm8k,
    extract_numina,
    last_boxed,
)
from .normalize import canonical_key, normalize_final_answer
from .vote import TIE_BREAKS, VoteResult, majority_vote

__all__ = [
    "AIMO_MODULUS", "GOLD_MODES", "KINDS", "RULES", "TIE_BREAKS",
    "GradeResult", "GraderPool", "PoolStats", "VoteResult",
    "aimo_gold", "aimo_integer", "canonical_key", "default_pool", "extract_answer", "extract_gsm8k",
    "extract_numina", "filter_answers", "grade_batch", "grade_batch_detailed", "is_equivalent",
    "is_equivalent_detailed", "last_boxed", "majority_vote", "normalize_final_answer",
]
