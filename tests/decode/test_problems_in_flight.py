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


# --- auto: fill the batch the backend declares, where results cannot change ----------------------------

class DeclaredReplay(RecordingReplay):
    """The replay backend declaring another batch (its own is 256 sequences); remembers which problems
    each generate call carried."""

    def __init__(self, recs, max_batch_sequences, batch_invariant=True):
        super().__init__(recs)
        self.max_batch_sequences = max_batch_sequences
        self.batch_invariant = batch_invariant
        self.problems_per_call: list = []

    def generate(self, prompts, sampling, keys=None):
        self.problems_per_call.append(len({k.problem_id for k in keys}))
        return super().generate(prompts, sampling, keys)


@pytest.mark.parametrize("mode", ["notebook", "pipelined_lossless"])
def test_auto_is_the_default_and_fills_the_declared_batch_with_k1_results(scripted, mode, tmp_path, caplog):
    recs, problems = scripted
    strategy, extra = MODES[mode]
    one, _ = _decode(recs, problems, mode, 1, tmp_path / "k1.jsonl")
    cfg = cfg_for(strategy, N, M, extra)
    assert cfg.decoding.problems_in_flight == "auto"  # conf/decoding/sc_tir_numina.yaml
    backend = DeclaredReplay(recs, max_batch_sequences=3 * N + 2)  # room for 3 whole problems
    dec = make_decoder(cfg, backend=backend, executor=FakeExecutor(lambda c: "1"))
    with caplog.at_level("INFO", logger="numina_exp"):
        auto = [r.to_json() for r in dec.decode(problems, seed=0, gen_log=tmp_path / "auto.jsonl")]
    assert dec.in_flight[0] == 3 and "3 problem(s) in flight" in caplog.text and f"decoding.n={N}" in caplog.text
    assert strip_timing(auto) == strip_timing(one)
    assert read_generations(tmp_path / "auto.jsonl") == read_generations(tmp_path / "k1.jsonl")
    assert max(backend.problems_per_call) == 3


def test_auto_is_one_problem_where_samples_depend_on_the_batch(scripted, caplog):
    """hf draws sampling noise per batch (HFBackend.batch_invariant is False): auto keeps the notebook's
    one problem at a time and says why."""
    from numina_exp.decode.in_flight import resolve
    from numina_exp.generate.hf import HFBackend

    recs, problems = scripted
    cfg = cfg_for("sc_tir_numina", N, M)
    k, why = resolve(cfg, HFBackend)
    assert k == 1 and "sampling noise per batch" in why
    backend = DeclaredReplay(recs, max_batch_sequences=100 * N, batch_invariant=False)
    dec = make_decoder(cfg, backend=backend, executor=FakeExecutor(lambda c: "1"))
    with caplog.at_level("INFO", logger="numina_exp"):
        list(dec.decode(problems[:5], seed=0))
    assert set(backend.problems_per_call) == {1} and "sampling noise per batch" in caplog.text


# --- a slow head-of-line problem: results are held in input order, but only a bounded number -------------

class SlowHeadExecutor:
    """Runs code instantly, except code containing SLOW: its result lands once the backend has served
    `release_after` generate calls (later problems kept decoding meanwhile), or after `timeout_s` (nothing
    else left to decode)."""

    def __init__(self, backend, release_after=40, timeout_s=2.0):
        import threading
        self.backend, self.release_after, self.timeout_s = backend, release_after, timeout_s
        self._threading = threading

    def run(self, codes):
        return [self._result(c) for c in codes]

    def _result(self, code):
        from numina_exp.sandbox.result import ExecResult
        return ExecResult("ok", feedback="1", elapsed_s=0.0)

    def submit(self, code):
        import time
        from concurrent.futures import Future
        f = Future()
        if "SLOW" not in code:
            f.set_result(self._result(code))
            return f

        def land():
            t0 = time.monotonic()
            while self.backend.calls < self.release_after and time.monotonic() - t0 < self.timeout_s:
                time.sleep(0.005)
            f.set_result(self._result(code))
        self._threading.Thread(target=land, daemon=True).start()
        return f


def _slow_head_script(count):
    from decode_scripted import code, final, records
    recs = records({0: [code("print('SLOW')"), final("1")], 1: [final("1"), final("1")]}, pid="h0")
    for i in range(1, count):
        recs += records({0: [final(str(i))] * 2, 1: [final(str(i))] * 2}, pid=f"q{i}")
    return recs, [{"id": "h0", "problem": "slow"}] + [{"id": f"q{i}", "problem": f"fast {i}"} for i in range(1, count)]


def test_slow_head_of_line_problem_holds_a_bounded_number_of_results():
    """Pipelined, 2 in flight: the first problem's code is slow while every later problem finishes at
    once. Results must come out in input order, so each later one is held until the first is out; the
    admission window stops taking problems hold_limit past the oldest unfinished one. Counted from
    outside: problems the engine has seen minus results yielded never exceed the window."""
    from numina_exp.decode.in_flight import hold_limit

    k, m, count = 2, 2, 60
    recs, problems = _slow_head_script(count)
    strategy, extra = MODES["pipelined_lossless"]
    runs = {}
    for kk in (1, k):
        backend = RecordingReplay(recs)
        dec = make_decoder(cfg_for(strategy, 2, m, [*extra, f"decoding.problems_in_flight={kk}"]), backend=backend,
                           executor=SlowHeadExecutor(backend))
        out, outstanding = [], []
        for r in dec.decode(problems, seed=0):
            out.append(r.to_json())
            outstanding.append(len({key[0] for key in backend.prompts}) - len(out))
        runs[kk] = out
    assert [r["problem_id"] for r in runs[k]] == [p["id"] for p in problems]
    assert strip_timing(runs[k]) == strip_timing(runs[1])
    # the head's result came first, after which the held ones were released together
    assert max(outstanding) <= hold_limit(k, m) == 4
    assert dec.window.max_held <= hold_limit(k, m) - 1
