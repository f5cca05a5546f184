"""compute_grid's own choices when the caller leaves them out (found by `make mutants MODULES=evaluate/nm_grid`):
the depth axis read from the records, the default answer kind (the notebook's integer vote), and the warning
that early-stopped copies make the n < N cells approximate, with its count."""
from __future__ import annotations

import logging

from numina_exp.evaluate.nm_grid import compute_grid


def _rec(spec, gold="5", m=None):
    """spec: (answer, finish_step, status, stopped_early) per copy."""
    copies = [{"copy": i, "status": st, "answer": a, "finish_step": s, "stopped_early": stop}
              for i, (a, s, st, stop) in enumerate(spec)]
    r = {"seed": 0, "problem_id": "p", "gold": gold, "copies": copies}
    if m is not None:
        r["m"] = m
    return r


ANSWERED_AT_2 = [("5", 2, "answered", False), ("5", 0, "answered", False)]


def test_depth_comes_from_the_latest_finish_step_when_records_carry_no_m():
    assert compute_grid([_rec(ANSWERED_AT_2)], draws=2)["ms"] == [1, 2, 3]


def test_depth_is_the_records_m_when_larger_than_any_finish_step():
    assert compute_grid([_rec(ANSWERED_AT_2, m=4)], draws=2)["ms"] == [1, 2, 3, 4]


def test_depth_is_one_when_nothing_says_otherwise():
    unfinished = [(None, None, "unfinished", False)] * 2
    assert compute_grid([_rec(unfinished)], draws=2)["ms"] == [1]


def test_the_default_kind_is_the_integer_vote():
    # "12.0" is the integer 12 under the notebook's vote
    g = compute_grid([_rec([("12.0", 0, "answered", False)], gold="12")], draws=2)
    assert g["accuracy"] == [[1.0]] and g["per_seed"] == {"0": [[1.0]]}


def test_early_stopped_copies_are_counted_in_a_warning(caplog):
    spec = [("5", 0, "answered", False), (None, None, "unfinished", True), (None, None, "unfinished", True)]
    with caplog.at_level(logging.WARNING, logger="numina_exp"):
        g = compute_grid([_rec(spec), _rec(spec)], draws=2)
    assert g["copies_stopped_early"] == 4
    assert [r.getMessage() for r in caplog.records if r.name == "numina_exp"] == [
        "nm_grid: 4 copies were cut by early stop; cells with n < N treat them as unanswered "
        "(decode with decoding.early_stop=none for an exact grid)"]


def test_no_warning_without_early_stopped_copies(caplog):
    with caplog.at_level(logging.WARNING, logger="numina_exp"):
        g = compute_grid([_rec(ANSWERED_AT_2)], draws=2)
    assert g["copies_stopped_early"] == 0 and not [r for r in caplog.records if r.name == "numina_exp"]


def test_records_with_different_copy_counts_are_refused_naming_the_problem():
    import pytest

    short = {**_rec(ANSWERED_AT_2[:1]), "problem_id": "q7", "seed": 3}
    with pytest.raises(ValueError, match=r"problem 'q7' \(seed 3\) has 1 copies, others 2; 1 record\(s\) differ"):
        compute_grid([_rec(ANSWERED_AT_2), short], draws=4)
