"""Equivalence kinds and the worker pool (outer timeout, kill-and-restart, cache, fast path)."""
import time

import pytest

from numina_exp.grading import GraderPool, grade_batch, grade_batch_detailed, is_equivalent, is_equivalent_detailed

TOWER = "2^{2^{2^{2^{2^{2}}}}}"


@pytest.mark.parametrize("pred, gold, expected", [
    ("13", "1013", True), ("12.6", "13", True), ("-15", "-15", False),   # negatives never match
    ("985", "-15", False), ("abc", "abc", False), (None, "3", False), ("0", "1000", True),
])
def test_integer_kind(pred, gold, expected):
    assert is_equivalent(pred, gold, "integer") is expected


@pytest.mark.parametrize("pred, gold, expected", [
    ("2,125", "2125", True), ("0.05", "5", False), ("20\\%", "20", True), ("18.0", "18", True),
    ("x", "1", False),
])
def test_numeric_kind(pred, gold, expected):
    assert is_equivalent(pred, gold, "numeric") is expected


@pytest.mark.parametrize("pred, gold, expected", [
    ("0.5", "\\frac{1}{2}", True),
    ("1/2", "\\dfrac{1}{2}", True),
    ("\\frac{\\sqrt{3}}{2}", "\\sqrt{3}/2", True),
    ("x^2+2x+1", "(x+1)^2", True),
    ("(1,2)", "\\left(1, 2\\right)", True),
    ("\\{1,2\\}", "\\{2,1\\}", True),
    ("[1,2)", "[1,2]", False),
    ("3", "4", False),
    ("10000", "10{,}000", True),
    ("\\pi", "3.14", False),
    ("-3", "3", False),
    ("", "", False),
])
def test_math_kind(pred, gold, expected):
    assert is_equivalent(pred, gold, "math") is expected


def test_unknown_kind():
    with pytest.raises(ValueError):
        is_equivalent("1", "1", "fuzzy")


def test_fast_path_needs_no_worker():
    with GraderPool(workers=1) as pool:
        res = pool.grade(["\\dfrac{1}{2}", "7", "2,000"], ["\\frac{1}{2}", "8", "2000"], "math")
        assert [r.equivalent for r in res] == [True, False, True]
        assert pool.stats.worker_items == 0 and pool._slots == []


def test_inner_timeout_flags_item_and_keeps_worker():
    with GraderPool(workers=1, timeout_s=1.5) as pool:
        res = pool.grade([TOWER, "x+1"], ["3", "1+x"], "math")
        assert res[0].timed_out and not res[0].equivalent
        assert res[1].equivalent
        assert pool.stats.timeouts == 1


def test_outer_timeout_kills_and_restarts_the_worker():
    # inner_fraction > 1: the worker's own timer never fires first, so the parent must kill it.
    with GraderPool(workers=1, timeout_s=1.0, inner_fraction=50) as pool:
        t0 = time.monotonic()
        res = pool.grade([TOWER, "1/2", "x"], ["3", "0.5", "y"], "math")
        assert [r.status for r in res] == ["timeout", "ok", "ok"]
        assert [r.equivalent for r in res] == [False, True, False]
        assert pool.stats.worker_restarts == 1 and pool.stats.timeouts == 1
        assert pool.stats.timed_out_items == [(TOWER, "3")]
        assert time.monotonic() - t0 < 30


def test_results_are_cached_and_deduplicated():
    with GraderPool(workers=2) as pool:
        pool.grade(["1/2"] * 5, ["0.5"] * 5, "math")
        assert pool.stats.worker_items == 1
        pool.grade(["1/2"], ["0.5"], "math")
        assert pool.stats.cache_hits == 1 and pool.stats.worker_items == 1


def test_grade_batch_two_workers_keeps_order():
    preds = [f"\\frac{{{i}}}{{2}}" for i in range(40)]
    golds = [str(i / 2) if i % 3 else str(i / 2 + 1) for i in range(40)]
    assert grade_batch(preds, golds, "math", workers=2) == [i % 3 != 0 for i in range(40)]


def test_detailed_and_length_mismatch():
    assert is_equivalent_detailed("1/3", "0.3333", "math").status == "ok"
    with pytest.raises(ValueError):
        grade_batch_detailed(["1"], ["1", "2"], "math")
