"""majority_vote beyond the winner: the default equivalence, integer_mode, each answer's group index
(what SC-TIR's per-copy records and the N x M grid read), the grader timeouts it counts (in the caller's
pool), and the `smallest` tie rule's order (numbers before other text, commas as thousands separators)."""
import pytest

from numina_exp.grading import majority_vote
from numina_exp.grading.equivalence import GraderPool
from numina_exp.grading.vote import VoteResult, pick_winner

TOWER = "2^{2^{2^{2^{2^{2}}}}}"  # math-verify cannot settle this one against "3" in any sane time


def test_the_default_equivalence_is_the_notebooks_integer_vote():
    r = majority_vote(["12", "12.0", "x", "1012", "7"])
    assert r.winner == 12 and r.histogram == [(12, 3), (7, 1)] and r.n_ignored == 1


def test_integer_mode_reaches_the_integer_map():
    # strict drops non-integral answers; round (the default) would make both 12.4 into 12 and win
    r = majority_vote(["12.4", "12.4", "13"], "integer", integer_mode="strict")
    assert r.winner == 13 and r.n_ignored == 2 and r.groups == [-1, -1, 0]
    assert majority_vote(["12.4", "12.4", "13"], "integer").winner == 12


def test_every_answer_gets_its_group_index_or_minus_one():
    r = majority_vote(["3", None, "x", "3.0", "5", "-2"], "integer")
    assert r == VoteResult(3, [(3, 2), (5, 1)], {3: 2, 5: 1}, 3, 3, 0, [0, -1, -1, 0, 1, -1])
    m = majority_vote(["1/2", None, "0.5", "7", "\\frac{1}{2}", "7"], "math")
    assert m.groups == [0, -1, 0, 1, 0, 1] and m.timeouts == 0 and m.n_ignored == 1


def test_no_valid_answer_still_reports_groups_and_timeouts():
    assert majority_vote([None, "-4", "y"], "integer") == VoteResult(None, [], {}, 0, 3, 0, [-1, -1, -1])
    assert majority_vote([None], "math") == VoteResult(None, [], {}, 0, 1, 0, [-1])


def test_grader_timeouts_are_counted_in_the_callers_pool():
    with GraderPool(workers=1, timeout_s=1.0) as pool:
        r = majority_vote(["3", TOWER, "4"], "math", timeout_s=1.0, pool=pool)
        # TOWER vs "3" times out (a separate group, never "equal"); "4" vs TOWER may too
        assert r.histogram == [("3", 1), (TOWER, 1), ("4", 1)] and r.winner == "3"
        assert r.timeouts == pool.stats.timeouts >= 1


def test_an_unknown_tie_break_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match=r"tie_break must be one of \('first_seen', 'smallest', 'random'\), got 'last'"):
        majority_vote(["1"], tie_break="last")


def test_smallest_puts_numbers_before_other_text_and_reads_thousands_commas():
    assert pick_winner(["(a)", "7"], "smallest") == "7"  # "(" sorts before "7" as text: numbers come first
    assert pick_winner(["(a)", "1,000"], "smallest") == "1,000"  # 1,000 is a number
    assert pick_winner(["1,500", "999"], "smallest") == "999"
    # equal values: the smaller spelling, whatever the order they were seen in
    assert pick_winner(["1000", "1,000"], "smallest") == pick_winner(["1,000", "1000"], "smallest") == "1,000"


def test_smallest_takes_a_number_over_text_and_an_int_over_an_equal_spelling():
    # integer-vote representatives are ints: they rank with numeric strings by value, before any other text
    assert pick_winner(["x", 5], "smallest") == 5 and pick_winner([5, "x"], "smallest") == 5
    assert pick_winner(["2.0", 2], "smallest") == 2 and pick_winner([2, "2.0"], "smallest") == 2


def test_ignored_answers_are_counted_one_by_one_under_math():
    r = majority_vote([None, "3", None, None], "math")
    assert r.n_ignored == 3 and r.groups == [-1, 0, -1, -1] and r.n_valid == 1


def test_the_default_pool_grades_with_the_callers_timeout():
    from numina_exp.grading.equivalence import default_pool

    # "x" vs "1/2" is not decided locally, so math-verify's pool is asked, with this call's timeout
    majority_vote(["1/2", "x"], "math", timeout_s=2.5)
    assert default_pool().timeout_s == 2.5
    majority_vote(["1/2", "x"], "math")  # the default: the grader's 5 s
    assert default_pool().timeout_s == 5.0


def test_random_tie_break_draws_from_the_given_seed():
    import random

    # 20 seeds over a 4-way tie: a draw that ignored the seed would match all 20 with probability 4^-20
    for s in range(20):
        assert majority_vote(["1", "2", "3", "4"], tie_break="random", seed=s).winner == random.Random(s).choice([1, 2, 3, 4])
