"""Early stop where the earlier tests did not look: the Dirichlet posterior after a single vote (its
pseudo-group for an answer not seen yet is what keeps one vote from being certainty), priors other than
the default, and lossless early stop under vote_equivalence=math (what both demos use), checked against
brute force over every way the running copies could still finish, and end to end through the decoder."""
import itertools
import random
from types import SimpleNamespace

import pytest
from decode_scripted import FakeExecutor, RecordingReplay, cfg_for, code, final
from omegaconf import OmegaConf

from numina_exp.decode import make_decoder
from numina_exp.decode.early_stop import can_change, dirichlet_confidence, leader_confidence


def _beta_tail(a: float, b: float) -> float:
    """P(X > 1/2) for X ~ Beta(a, b): with two Dirichlet components, P(p_leader > p_other)."""
    from scipy.special import betainc
    return float(1.0 - betainc(a, b, 0.5))


@pytest.mark.parametrize("prior", [1.0, 0.5, 2.0])
def test_dirichlet_after_one_vote_keeps_room_for_an_unseen_answer(prior):
    # one vote: Dirichlet(1 + prior, prior) over {the seen answer, answers not seen yet}; the leader is the
    # mode iff its share > 1/2. Without the pseudo-group the posterior says 1.0 after a single vote.
    want = _beta_tail(1 + prior, prior)  # prior 1: 0.75 exactly
    got = dirichlet_confidence([1], prior=prior)
    assert got == pytest.approx(want, abs=0.03), (prior, got, want)
    assert got < 0.95
    dcfg = SimpleNamespace(vote_equivalence="integer", tie_break="first_seen", integer_mode="round",
                           early_stop_posterior="dirichlet", early_stop_prior=prior)
    assert leader_confidence([None, "7", None], dcfg) == pytest.approx(want, abs=0.03)


def test_dirichlet_grows_with_unanimous_votes_and_prior_matters():
    # k unanimous votes: Dirichlet(k + prior, prior) -> the Beta tail again
    for k in (1, 2, 4, 8):
        assert dirichlet_confidence([k], prior=1.0) == pytest.approx(_beta_tail(k + 1, 1), abs=0.03)
    # a stronger prior makes the same evidence less conclusive
    assert dirichlet_confidence([3], prior=4.0) < dirichlet_confidence([3], prior=0.25) - 0.1


# --- lossless under vote_equivalence=math -------------------------------------------------------------
# Three answer classes written several ways; the brute force groups by these classes (not by the grader),
# so it checks can_change against an independent notion of "same answer".
CLASS = {"1/2": "half", "0.5": "half", "\\frac{1}{2}": "half", "3": "three", "3.0": "three", "x+1": "xp1"}
NEW = "\\sqrt{2}"  # a value no finished copy has
CLASS[NEW] = "new"


def _math(tie_break="first_seen"):
    return SimpleNamespace(vote_equivalence="math", tie_break=tie_break, integer_mode="round")


def _winner_class(pool: list) -> str | None:
    """First-seen majority over answer classes (None: no vote)."""
    counts, first = {}, {}
    for i, v in enumerate(pool):
        if v is None:
            continue
        c = CLASS[v]
        counts[c] = counts.get(c, 0) + 1
        first.setdefault(c, i)
    if not counts:
        return None
    top = max(counts.values())
    return min((c for c in counts if counts[c] == top), key=first.get)


def _changes(finished, unfinished, m_end=2) -> bool:
    now = _winner_class([v for _, v in sorted(finished)])
    values = sorted({v for _, v in finished if v is not None}) + [NEW, None]
    choices = [[((s, i), v) for s in sorted({step, m_end}) for v in values] for step, i in unfinished]
    for outcome in itertools.product(*choices):
        if _winner_class([v for _, v in sorted(list(finished) + list(outcome))]) != now:
            return True
    return False


def test_lossless_under_math_equivalence_never_stops_when_a_finish_could_change_the_winner():
    """Every pool of up to 4 copies (finished at step 0/1 with one of the spellings or no answer, or still
    running at step 0/1): whenever can_change says stop, no finish of the running copies changes the
    winning class."""
    spellings = ["1/2", "0.5", "3", "3.0", None]
    states = [("fin", s, v) for s in (0, 1) for v in spellings] + [("run", s, None) for s in (0, 1)]
    d = _math()
    checked = stops = 0
    for n in range(1, 5):
        for combo in itertools.product(states, repeat=n):
            if not any(k == "run" for k, _, _ in combo) and n > 2:
                continue  # nothing running: can_change is trivially False (checked for n <= 2)
            finished = [((s, i), v) for i, (k, s, v) in enumerate(combo) if k == "fin"]
            unfinished = [(s, i) for i, (k, s, v) in enumerate(combo) if k == "run"]
            if not can_change(finished, unfinished, d):
                stops += 1
                assert not _changes(finished, unfinished), (finished, unfinished)
            checked += 1
    assert stops > 300, stops  # the rule does stop (a rule that never stops would pass vacuously)


def test_math_equivalent_spellings_count_as_one_group_for_the_stop_rule():
    d = _math()
    # "1/2", "0.5", "\frac{1}{2}" are one group of 3 votes against "3": one running copy cannot catch up
    fin = [((0, 0), "1/2"), ((0, 1), "0.5"), ((0, 2), "\\frac{1}{2}"), ((0, 3), "3")]
    assert not can_change(fin, [(1, 4)], d)
    # read as three different texts, two running copies could make "3" the winner: the rule must not stop
    assert can_change(fin[:1] + [((0, 1), "x+1"), ((0, 2), "\\sqrt{2}"), ((0, 3), "3")], [(1, 4)], d)


def _cls(answer):
    return CLASS.get(str(answer), str(answer)) if answer is not None else None


def _segment(rng: random.Random, answers: list) -> str:
    r = rng.random()
    if r < 0.45:
        return code()
    if r < 0.9:
        return final(rng.choice(answers))
    return "\nnothing to conclude."


def test_decoder_with_math_votes_stops_losslessly_against_the_full_run():
    """Random scripted problems whose answers are spelled differently: early_stop=lossless returns the answer
    (the same group) the full run returns, and it does stop on some."""
    rng = random.Random(24)
    base = cfg_for("sc_tir", 1, 1)
    stopped = 0
    for i in range(60):
        n, m = rng.randint(2, 10), rng.randint(2, 4)
        favourite = rng.choice(["1/2", "3"])
        answers = ([favourite] * rng.randint(0, 6) + ["1/2", "0.5", "\\frac{1}{2}", "3", "3.0", "x+1"])
        recs = [{"problem_id": "p", "copy": c, "step": s, "text": t, "num_tokens": 50,
                 "finish_reason": "stop" if t.endswith("```output\n") else "eos"}
                for c in range(n) for s in range(m) for t in [_segment(rng, answers)]]
        got = {}
        for stop in ("none", "lossless"):
            cfg = OmegaConf.merge(base, OmegaConf.from_dotlist([f"decoding.n={n}", f"decoding.m={m}",
                                                                "decoding.vote_equivalence=math",
                                                                f"decoding.early_stop={stop}"]))
            dec = make_decoder(cfg, backend=RecordingReplay(recs), executor=FakeExecutor())
            (got[stop],) = list(dec.decode([{"id": "p", "problem": "Scripted?"}], seed=0))
        full, early = got["none"], got["lossless"]
        assert _cls(early.answer) == _cls(full.answer), (i, full.votes, early.votes)
        stopped += bool(early.early_stopped)
    assert stopped > 0
