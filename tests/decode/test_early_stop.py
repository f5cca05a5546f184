"""Lossless early stop: on randomized scripted problems, sc_tir with early stop returns exactly the
answer of the full run, and generates fewer tokens."""
import random

import pytest
from decode_scripted import FakeExecutor, RecordingReplay, cfg_for, code, final

from numina_exp.decode import make_decoder
from numina_exp.decode.early_stop import can_change

SELF = "```python\nprint(1)\n```\n```output\n1\n```\nSo the answer is $\\boxed{%s}$."
HALLUCINATED = "```python\nprint(1)\n```\nThe answer is $\\boxed{%s}$."


def _segment(rng: random.Random, answers: list) -> str:
    r = rng.random()
    ans = rng.choice(answers)
    if r < 0.40:
        return code()
    if r < 0.75:
        return final(ans)
    if r < 0.82:
        return SELF % ans
    if r < 0.87:
        return HALLUCINATED % ans
    if r < 0.94:
        return "I think the answer is 5 but no code."
    return "\nHmm, nothing to conclude."


def _problem(rng: random.Random, pid: str, n: int, m: int) -> list[dict]:
    pool = [str(rng.randint(0, 9)) for _ in range(rng.randint(1, 4))] + ["-3", "x"]
    answers = [pool[0]] * rng.randint(0, 15) + pool  # some problems have a clear favourite
    recs = []
    for c in range(n):
        for s in range(m):
            t = _segment(rng, answers)
            recs.append({"problem_id": pid, "copy": c, "step": s, "text": t, "num_tokens": rng.randint(10, 300),
                         "finish_reason": "stop" if t.endswith("```output\n") else "eos"})
    return recs


_BASE = {}


def _cfg(n, m, extra):
    from omegaconf import OmegaConf
    if "cfg" not in _BASE:
        _BASE["cfg"] = cfg_for("sc_tir", 1, 1)
    cfg = OmegaConf.merge(_BASE["cfg"], OmegaConf.from_dotlist([f"decoding.n={n}", f"decoding.m={m}", *extra]))
    return cfg


def _decode(recs, problems, n, m, extra):
    dec = make_decoder(_cfg(n, m, extra), backend=RecordingReplay(recs), executor=FakeExecutor())
    return {r.problem_id: r for r in dec.decode(problems, seed=0)}


def test_early_stop_is_lossless_and_saves_tokens(capsys):
    rng = random.Random(1234)
    full_tokens = early_tokens = stopped = 0
    for i in range(200):
        n, m = rng.randint(2, 24), rng.randint(1, 4)
        pid = f"q{i}"
        recs = _problem(rng, pid, n, m)
        opts = [f"decoding.tie_break={rng.choice(['first_seen', 'first_seen', 'smallest'])}",
                f"decoding.finish_on_answer={rng.random() < 0.8}", f"decoding.pipelining={rng.random() < 0.5}"]
        problems = [{"id": pid, "problem": "Scripted problem?"}]
        full = _decode(recs, problems, n, m, opts + ["decoding.early_stop=none"])[pid]
        early = _decode(recs, problems, n, m, opts + ["decoding.early_stop=lossless"])[pid]
        assert early.answer == full.answer, (i, opts, full.votes, early.votes)
        assert early.tokens <= full.tokens
        full_tokens += full.tokens
        early_tokens += early.tokens
        stopped += early.early_stopped
    saving = 1 - early_tokens / full_tokens
    with capsys.disabled():
        print(f"\nearly stop: {stopped}/200 problems stopped early, tokens {early_tokens} vs {full_tokens} "
              f"({saving:.1%} saved)")
    assert early_tokens < full_tokens and stopped > 0


@pytest.mark.parametrize("tie_break", ["first_seen", "smallest"])
def test_can_change_boundaries(tie_break):
    from types import SimpleNamespace
    d = SimpleNamespace(vote_equivalence="integer", tie_break=tie_break, integer_mode="round")
    # 3 votes for 5 (first at (0,1)), 1 vote for 7; 1 unfinished copy -> 7 can reach 2 < 3: fixed
    fin = [((0, 1), 5), ((1, 0), 5), ((1, 2), 5), ((0, 3), 7)]
    assert not can_change(fin, [(2, 4)], d)
    # 2 unfinished: 7 reaches 3 == 3; first_seen: 5 was seen first and nothing can land before (0, 1)
    assert can_change(fin, [(2, 4), (2, 5)], d) == (tie_break != "first_seen")
    # an unfinished copy that could still finish before 5's first vote makes a tie winnable
    assert can_change(fin, [(0, 0), (2, 5)], d)
    # nothing valid yet -> anything can happen; nothing unfinished -> nothing can
    assert can_change([((0, 0), None)], [(1, 1)], d)
    assert not can_change([((0, 0), None)], [], d)


# --- boundaries: a rival that can exactly tie or overtake with the remaining copies -------------------------

def _d(tie_break):
    from types import SimpleNamespace
    return SimpleNamespace(vote_equivalence="integer", tie_break=tie_break, integer_mode="round")


@pytest.mark.parametrize("tie_break", ["first_seen", "smallest", "random"])
def test_a_rival_that_can_overtake_by_one_keeps_the_problem_running(tie_break):
    d = _d(tie_break)
    leader = [((0, i), 5) for i in range(3)]
    for c_v in range(0, 3):  # rival 7 holds c_v votes (finished after the leader); r = 4 - c_v remaining copies
        fin = leader + [((1, 3 + i), 7) for i in range(c_v)]
        r = 4 - c_v  # c_v + r = 4 = c_l + 1
        unfinished = [(2, 10 + i) for i in range(r)]
        assert can_change(fin, unfinished, d), (c_v, r)
        # one copy fewer: the rival can at most tie (3 == 3), and only the tie-break decides
        tie = can_change(fin, unfinished[1:], d) if r > 1 else None
        if tie is not None:
            assert tie == (tie_break != "first_seen"), (c_v, r)


@pytest.mark.parametrize("tie_break", ["first_seen", "smallest", "random"])
def test_exact_ties_under_each_tie_break(tie_break):
    d = _d(tie_break)
    fin = [((1, 0), 5), ((1, 1), 5), ((1, 2), 5), ((1, 3), 3)]  # 5 leads 3:1, first seen at (1, 0)
    late = [(2, 4), (2, 5)]  # two copies that can only land after (1, 0): 3 can reach 3 == 3
    early = [(0, 4), (2, 5)]  # one copy can still land before (1, 0): first-seen ties become winnable
    assert can_change(fin, late, d) == (tie_break != "first_seen")  # smallest: 3 < 5 wins the tie
    assert can_change(fin, early, d)
    # a value not seen yet can tie too: 2 votes for 5, 2 copies left
    fin2 = [((1, 0), 5), ((1, 1), 5), ((1, 2), None)]
    assert can_change(fin2, [(2, 3), (2, 4)], d) == (tie_break != "first_seen")
    assert can_change(fin2, [(0, 3), (2, 4)], d)
    assert not can_change(fin2, [(2, 3)], d)  # 1 < 2 under any tie-break


def _winners(pool_values, tie_break):
    """The set of values the vote can return for this pool (several only for a random tie-break)."""
    counts, first = {}, {}
    for i, v in enumerate(pool_values):
        if v is None:
            continue
        counts[v] = counts.get(v, 0) + 1
        first.setdefault(v, i)
    if not counts:
        return {0}
    top = max(counts.values())
    tied = [v for v in counts if counts[v] == top]
    if tie_break == "first_seen":
        return {min(tied, key=first.get)}
    if tie_break == "smallest":
        return {min(tied)}
    return set(tied)


def _brute_force_changes(finished, unfinished, tie_break, m_end=2):
    """True if some way for the unfinished copies to finish (any value among the seen ones, a new one or
    none; landing as early as they can or at the very end) gives another winner than stopping now."""
    import itertools
    now = _winners([v for _, v in sorted(finished)], tie_break)
    values = sorted({v for _, v in finished if v is not None}) + [9, None]  # 9: a value not seen yet
    choices = [[((s, i), v) for s in sorted({step, m_end}) for v in values] for step, i in unfinished]
    for outcome in itertools.product(*choices):
        final = _winners([v for _, v in sorted(list(finished) + list(outcome))], tie_break)
        if final != now:
            return True
    return False


@pytest.mark.parametrize("tie_break", ["first_seen", "smallest", "random"])
def test_can_change_exhaustively_against_brute_force(tie_break):
    """Every pool of up to 4 copies (answers 1/2/none at step 0/1, or still running at step 0/1/2):
    whenever early stop would stop, no way of finishing the running copies changes the winner (lossless);
    for first_seen the rule is also exact (it stops whenever stopping is safe)."""
    import itertools
    d = _d(tie_break)
    states = [("fin", s, v) for s in (0, 1) for v in (1, 2, None)] + [("run", s, None) for s in (0, 1, 2)]
    checked = stops = 0
    for n in range(1, 5):
        for combo in itertools.product(states, repeat=n):
            finished = [((s, i), v) for i, (kind, s, v) in enumerate(combo) if kind == "fin"]
            unfinished = [(s, i) for i, (kind, s, v) in enumerate(combo) if kind == "run"]
            may = can_change(finished, unfinished, d)
            if not may:
                stops += 1
                assert not _brute_force_changes(finished, unfinished, tie_break), (finished, unfinished)
            elif tie_break == "first_seen":
                assert _brute_force_changes(finished, unfinished, tie_break), (finished, unfinished)
            checked += 1
    assert checked == sum(9 ** n for n in range(1, 5)) and stops > 500


def _full_and_early(script, n, m, opts):
    from decode_scripted import records
    problems = [{"id": "p", "problem": "Scripted problem?"}]
    recs = records(script, pid="p")
    return (_decode(recs, problems, n, m, opts + ["decoding.early_stop=none"])["p"],
            _decode(recs, problems, n, m, opts + ["decoding.early_stop=lossless"])["p"])


@pytest.mark.parametrize("tie_break, rival, full_answer", [
    ("first_seen", "7", "7"),  # 4 late copies outvote 3 early ones
    ("smallest", "7", "7"),
    ("smallest", "3", "3"),
])
def test_decoder_does_not_stop_while_the_last_copies_can_overtake(tie_break, rival, full_answer):
    # copies 0-2 answer 5 at step 1; copies 3-6 answer the rival at step 2 (after more code)
    script = {c: [code(), final("5")] for c in range(3)}
    script.update({c: [code(), code(), final(rival)] for c in range(3, 7)})
    for extra in ([], ["decoding.pipelining=true"]):
        opts = [f"decoding.tie_break={tie_break}", *extra]
        full, early = _full_and_early(script, 7, 3, opts)
        assert str(full.answer) == full_answer and str(early.answer) == full_answer
        assert not early.early_stopped


@pytest.mark.parametrize("tie_break, expect_stop", [("first_seen", True), ("smallest", False)])
def test_decoder_tie_with_the_remaining_copies(tie_break, expect_stop):
    """3 copies answer 5 at step 1, 3 more answer 3 at step 2: a 3:3 tie. first_seen keeps 5 (seen first):
    stopping after step 1 is safe; smallest would pick 3: it must not stop."""
    script = {c: [code(), final("5")] for c in range(3)}
    script.update({c: [code(), code(), final("3")] for c in range(3, 6)})
    full, early = _full_and_early(script, 6, 3, [f"decoding.tie_break={tie_break}"])
    assert early.answer == full.answer == (5 if tie_break == "first_seen" else 3)
    assert early.early_stopped == expect_stop


class _SlowExecutor(FakeExecutor):
    """Executions run on a thread and take `delay` seconds: a copy's code can still be running when its
    problem is decided (FakeExecutor's futures are done when returned, so the stop never met one)."""

    def __init__(self, delay: float = 0.5):
        super().__init__()
        from concurrent.futures import ThreadPoolExecutor
        self.pool = ThreadPoolExecutor(2)
        self.delay = delay

    def submit(self, c):
        import time

        def slow():
            time.sleep(self.delay)
            return self._one(c)
        return self.pool.submit(slow)


def test_pipelined_stop_while_a_copy_still_executes_cancels_its_run():
    """Two copies answer 7 at once; the third is still running code, and one vote cannot overtake two: the
    problem stops with that execution outstanding (the first mini_paper run with lossless early stop died
    here: the stop cancelled the copy's (problem, copy) entry instead of its future)."""
    pid = "q"
    recs = [{"problem_id": pid, "copy": c, "step": 0, "text": SELF % "7", "num_tokens": 10, "finish_reason": "eos"}
            for c in (0, 1)]
    recs += [{"problem_id": pid, "copy": 2, "step": s, "text": t, "num_tokens": 10, "finish_reason": r}
             for s, (t, r) in enumerate([(code("print(1)"), "stop"), (final("3"), "eos")])]
    problems = [{"id": pid, "problem": "Scripted problem?"}]
    ex = _SlowExecutor()
    dec = make_decoder(_cfg(3, 2, ["decoding.pipelining=true", "decoding.early_stop=lossless", "decoding.finish_on_answer=true"]),
                       backend=RecordingReplay(recs), executor=ex)
    (res,) = list(dec.decode(problems, seed=0))
    ex.pool.shutdown(wait=True)
    assert res.answer == 7 and res.early_stopped and res.votes == {7: 2}
    assert [c.strip() for c in ex.calls] == ["print(1)"]  # the code was running when the stop came
