"""majority_vote: grouping, ignored answers, each tie-break."""
from numina_exp.grading import majority_vote


def test_integer_vote_is_the_notebooks():
    r = majority_vote(["12.6", "13", "-5", None, "abc", "1013", "2"], "integer")
    assert r.winner == 13 and r.histogram == [(13, 3), (2, 1)]
    assert r.n_valid == 4 and r.n_ignored == 3


def test_no_valid_answer():
    r = majority_vote([None, "-3", "x"], "integer")
    assert r.winner is None and r.histogram == [] and r.n_ignored == 3


def test_first_seen_tie_break():
    # Counter.most_common keeps insertion order among ties: the earliest group wins.
    assert majority_vote(["7", "3", "3", "7"], "integer").winner == 7
    assert majority_vote(["3", "7", "7", "3"], "integer").winner == 3


def test_smallest_tie_break():
    assert majority_vote(["7", "3", "3", "7", "9"], "integer", tie_break="smallest").winner == 3
    assert majority_vote(["b", "a"], "math", tie_break="smallest").winner == "a"
    assert majority_vote(["10", "9"], "math", tie_break="smallest").winner == "9"


def test_random_tie_break_is_seeded():
    answers = ["1", "2", "3", "4"]
    picks = {majority_vote(answers, "integer", tie_break="random", seed=s).winner for s in range(30)}
    assert picks == {1, 2, 3, 4}
    a = majority_vote(answers, "integer", tie_break="random", seed=5).winner
    assert a == majority_vote(answers, "integer", tie_break="random", seed=5).winner


def test_math_vote_groups_equivalent_forms():
    r = majority_vote(["3", "1/2", "0.5", "\\frac{1}{2}", "3", None], "math")
    assert r.winner == "1/2"
    assert r.histogram == [("3", 2), ("1/2", 3)]
    assert r.counts == {"3": 2, "1/2": 3} and r.n_ignored == 1
