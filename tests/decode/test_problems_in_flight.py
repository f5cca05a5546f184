"""decoding.problems_in_flight: several SC-TIR problems share the engine's batches, and each problem's
result, vote and generation-log lines are exactly those of decoding the problems one at a time."""
import random

import pytest
from decode_scripted import FakeExecutor, RecordingReplay, cfg_for
from helpers import strip_timing
from test_early_stop import _problem

from numina_exp.decode import make_decoder, read_generations

N, M, PROBLEMS = 6, 4, 24
MODES = {
    "notebook": ("sc_tir_numina", []),
    "barrier_lossless": ("sc_tir", ["decoding.early_stop=lossless"]),
    "pipelined_lossless": ("sc_tir", ["decoding.pipelining=true", "decoding.early_stop=lossless"]),
    "pipelined_adaptive": ("sc_tir", ["decoding.pipelining=true", "decoding.early_stop=adaptive",
                                      "decoding.early_stop_threshold=0.8"]),
}


@pytest.fixture(scope="module")
def scripted():
    rng = random.Random(99)
    recs, problems = [], []
    for i in range(PROBLEMS):
        recs += _problem(rng, f"q{i}", N, M)
        problems.append({"id": f"q{i}", "problem": f"Scripted problem {i}?"})
    return recs, problems


def _decode(recs, problems, mode, k, log):
    strategy, extra = MODES[mode]
    backend = RecordingReplay(recs)
    dec = make_decoder(cfg_for(strategy, N, M, [*extra, f"decoding.problems_in_flight={k}"]), backend=backend,
                       executor=FakeExecutor(lambda c: "1"))
    results = [r.to_json() for r in dec.decode(problems, seed=0, gen_log=log)]
    return results, backend


@pytest.mark.parametrize("mode", list(MODES))
def test_same_results_and_log_as_one_at_a_time(scripted, mode, tmp_path):
    recs, problems = scripted
    one, b1 = _decode(recs, problems, mode, 1, tmp_path / "k1.jsonl")
    for k in (3, 50):
        many, bk = _decode(recs, problems, mode, k, tmp_path / f"k{k}.jsonl")
        assert [r["problem_id"] for r in many] == [p["id"] for p in problems]  # input order
        assert strip_timing(many) == strip_timing(one)
        # the log: the same lines, grouped by problem in input order (a problem's lines are written
        # together, just before its result)
        assert read_generations(tmp_path / f"k{k}.jsonl") == read_generations(tmp_path / "k1.jsonl")
        # ...while the engine saw fewer, larger calls: the problems really shared batches
        assert bk.calls < b1.calls
    if "lossless" in mode or "adaptive" in mode:
        assert any(r["early_stopped"] for r in one)  # the early-stop cancellation path ran


def test_window_refills_and_log_holds_only_finished_problems(scripted, tmp_path):
    recs, problems = scripted
    strategy, extra = MODES["pipelined_lossless"]
    backend = RecordingReplay(recs)
    dec = make_decoder(cfg_for(strategy, N, M, [*extra, "decoding.problems_in_flight=4"]), backend=backend,
                       executor=FakeExecutor(lambda c: "1"))
    log = tmp_path / "partial.jsonl"
    gen = dec.decode(problems, seed=0, gen_log=log)
    first = [next(gen) for _ in range(2)]
    gen.close()  # interrupted with more problems in flight
    ids = {r["problem_id"] for r in read_generations(log)}
    assert ids == {r.problem_id for r in first} == {"q0", "q1"}
    # at most 4 problems were ever started by the time the first two came out... plus refills
    started = {k[0] for k in backend.prompts}
    assert {"q0", "q1"} <= started and len(started) < PROBLEMS


@pytest.mark.parametrize("mode", ["notebook", "pipelined_lossless"])
def test_progress_reports_tokens_and_at_most_k_live_problems(scripted, mode):
    recs, problems = scripted
    strategy, extra = MODES[mode]
    dec = make_decoder(cfg_for(strategy, N, M, [*extra, "decoding.problems_in_flight=5"]), backend=RecordingReplay(recs),
                       executor=FakeExecutor(lambda c: "1"))
    seen = []
    dec.on_progress = seen.append
    results = list(dec.decode(problems, seed=0))
    tokens = [s["tokens"] for s in seen]
    assert tokens == sorted(tokens) and tokens[-1] == sum(r.tokens for r in results)
    assert max(s["live_problems"] for s in seen) == 5 and all(s["active_copies"] <= 5 * N for s in seen)
