"""compute_grid's output and the parts of its vote the other grid tests never reach: per-seed matrices and
counts, the `answer_gold` spelling of the gold, a problem nobody answers (the decoder's fallback), the
random and smallest tie rules, the grading kind, and the documented draws/seed defaults."""
from __future__ import annotations

from numina_exp.config.decoding import DecodingConfig
from numina_exp.evaluate.nm_grid import compute_grid


def _copies(*answers, step=0):
    return [{"copy": i, "status": "answered", "answer": a, "finish_step": step, "steps": step + 1}
            for i, a in enumerate(answers)]


def _rec(pid, seed, copies, gold="5", m=1):
    return {"problem_id": pid, "seed": seed, "gold": gold, "m": m, "copies": copies}


def test_per_seed_matrices_counts_and_keys():
    right, wrong = _copies("5", "5"), _copies("4", "4")
    recs = [_rec("p", 0, right), _rec("q", 0, right), _rec("p", 1, wrong), _rec("q", 1, right)]
    g = compute_grid(recs, draws=7)
    assert g["per_seed"] == {"0": [[1.0], [1.0]], "1": [[0.5], [0.5]]}
    assert g["accuracy"] == [[0.75], [0.75]]
    assert (g["ns"], g["ms"], g["draws"], g["problems"], g["seeds"], g["width"], g["copies_stopped_early"]) == \
        ([1, 2], [1], 7, 2, 2, 2, 0)
    assert set(g) == {"ns", "ms", "accuracy", "per_seed", "draws", "problems", "seeds", "width", "copies_stopped_early"}


def test_the_gold_is_read_from_answer_gold_when_gold_is_absent():
    rec = {"problem_id": "p", "seed": 0, "answer_gold": "5", "m": 1, "copies": _copies("5", "5")}
    assert compute_grid([rec], draws=3)["accuracy"] == [[1.0], [1.0]]


def test_a_problem_nobody_answers_scores_the_decoders_fallback():
    silent = [{"copy": i, "status": "unfinished", "answer": None, "steps": 2} for i in range(2)]
    # integer voting answers 0 when no copy votes: right when the gold is 0, wrong otherwise
    assert compute_grid([_rec("p", 0, silent, gold="0", m=2)], draws=3)["accuracy"] == [[1.0, 1.0], [1.0, 1.0]]
    assert compute_grid([_rec("p", 0, silent, gold="5", m=2)], draws=3)["accuracy"] == [[0.0, 0.0], [0.0, 0.0]]
    # math voting has no fallback answer: nothing is right, even a gold of 0
    math = DecodingConfig(vote_equivalence="math")
    assert compute_grid([_rec("p", 0, silent, gold="0", m=2)], draws=3, dcfg=math)["accuracy"] == [[0.0, 0.0], [0.0, 0.0]]


def test_random_tie_break_picks_either_tied_group_about_half_the_time():
    rec = _rec("p", 0, _copies("5", "4"))
    # first_seen: the pool keeps copy order in every subset, so copy 0's 5 wins every draw
    assert compute_grid([rec], draws=400, seed=3)["accuracy"][1] == [1.0]
    rand = compute_grid([rec], draws=400, seed=3, dcfg=DecodingConfig(tie_break="random"))["accuracy"][1][0]
    assert 0.4 < rand < 0.6


def test_smallest_tie_break_orders_values_not_spellings():
    # math voting keeps answers as text: "9" < "10" by value, "10" < "9" as strings
    rec = _rec("p", 0, _copies("10", "9"), gold="9")
    g = compute_grid([rec], draws=20, kind="math", dcfg=DecodingConfig(vote_equivalence="math", tie_break="smallest"))
    assert g["accuracy"][1] == [1.0]


def test_the_representative_is_graded_under_the_suites_kind():
    rec = _rec("p", 0, _copies("1/2", "1/2"), gold="0.5")
    math_vote = DecodingConfig(vote_equivalence="math")
    assert compute_grid([rec], draws=3, kind="math", dcfg=math_vote)["accuracy"] == [[1.0], [1.0]]
    assert compute_grid([rec], draws=3, kind="integer", dcfg=math_vote)["accuracy"] == [[0.0], [0.0]]


def test_defaults_are_200_draws_from_seed_0():
    recs = [_rec(f"p{i}", 0, _copies("5", "4", "5", "3", "4")) for i in range(3)]
    default = compute_grid(recs)
    assert default == compute_grid(recs, draws=200, seed=0)
    assert default["draws"] == 200
    assert default["accuracy"] != compute_grid(recs, draws=200, seed=1)["accuracy"]  # the seed shows
    assert default["accuracy"] != compute_grid(recs, draws=201, seed=0)["accuracy"]


def test_records_without_a_seed_count_as_seed_0_and_problems_is_a_whole_count():
    recs = [{"problem_id": p, "gold": "5", "m": 1, "copies": _copies("5", "4")} for p in ("p", "q", "r")]
    g = compute_grid(recs, draws=5)
    assert list(g["per_seed"]) == ["0"] and g["seeds"] == 1
    assert g["problems"] == 3 and isinstance(g["problems"], int)
