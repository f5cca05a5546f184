"""AIMO integer answers (anchor §1.7), reproducing the notebook's ``filter_answers``.

The notebook: ``validate_answer_is_numeric`` = ``round(float(x))`` (its 0.2 tolerance check compares
the rounded int with itself and never fires), ``-1`` on any exception; then keep ``>= 0``; then
``% 1000``. Python's ``round`` is banker's rounding: 2.5 -> 2, 0.5 -> 0, 3.5 -> 4.
"""
from __future__ import annotations

import math

AIMO_MODULUS = 1000


def aimo_integer(answer, mode: str = "round") -> int | None:
    """Map a candidate answer to the AIMO integer in [0, 999], or None if the notebook drops it.

    * ``float(answer)`` (strings are whitespace-stripped by ``float``); unparsable, ``inf``, ``nan``,
      ``None`` -> None. ``float`` accepts what Python accepts, e.g. ``"1_000"``, ``"1e3"``.
    * ``mode="round"``: Python ``round()`` (banker's). ``mode="strict"``: non-integral values -> None
      (``"12.0"`` -> 12, ``"12.6"`` -> None).
    * Negative after rounding -> None (``-0.4`` rounds to 0 and is kept; ``-5`` is dropped).
    * Then ``% 1000`` (1000 -> 0, 1999 -> 999).

    Ints (and bools, as ints) are taken exactly, without going through ``float`` (no precision loss
    for huge ints). Note ``float`` of a string with more than ~16 significant digits loses
    precision before ``% 1000``, exactly as in the notebook.
    """
    if mode not in ("round", "strict"):
        raise ValueError(f"mode must be 'round' or 'strict', got {mode!r}")
    if answer is None:
        return None
    if isinstance(answer, int):
        value = int(answer)
    else:
        try:
            x = float(answer.strip() if isinstance(answer, str) else answer)
        except (TypeError, ValueError, OverflowError):
            return None
        if not math.isfinite(x):
            return None
        if mode == "strict" and not x.is_integer():
            return None
        value = round(x)
    if value < 0:
        return None
    return value % AIMO_MODULUS


GOLD_MODES = ("filter", "notebook")


def aimo_gold(answer, mode: str = "filter") -> int | None:
    """The AIMO integer a gold answer is scored against.

    * ``"filter"`` (our default): the same filter as predictions, :func:`aimo_integer`. A negative
      gold (MATH has 107 in the level-4/5 integer sets, e.g. ``-15``) gives None: such a row can never
      be scored correct, because the filter drops the true (negative) prediction.
    * ``"notebook"``: the notebook's ``int(answer) % 1000`` (its validation loader), so ``-15`` becomes
      985 -- matchable only by the WRONG answer 985. Python ``int`` also accepts ``_`` separators,
      so the MATH base-n answers ``2112_6`` -> 126 and ``-221_3`` -> 787 (both modes read ``_`` the
      same way: ``float("2112_6")`` is 21126.0).
    """
    if mode == "filter":
        return aimo_integer(answer)
    if mode == "notebook":
        try:
            return int(str(answer).strip()) % AIMO_MODULUS
        except ValueError:
            return None
    raise ValueError(f"mode must be one of {GOLD_MODES}, got {mode!r}")


def filter_answers(answers, mode: str = "round") -> list[int]:
    """The notebook's ``filter_answers``: valid AIMO integers, in order, invalid ones dropped."""
    out = []
    for a in answers:
        v = aimo_integer(a, mode=mode)
        if v is not None:
            out.append(v)
    return out
