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
