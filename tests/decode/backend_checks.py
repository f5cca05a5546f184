"""The same checks for every model backend (vllm, hf) on the tiny model."""
from __future__ import annotations

import json

from numina_exp.generate.base import GenKey, Sampling

PROMPTS = ["### Problem: What is 1+1?\n### Solution: ", "### Problem: Find x if 2x = 10.\n### Solution: "]
# the prompt's own python block satisfies rule 1 and is the block that runs; "e" is a stop string the
# random tiny model emits quickly, so every step of the end-to-end run exercises rule 5 for real
E2E_PROBLEM = "Compute 6*7 with\n```python\nx = 6\nprint(x * 7)\n```\nplease."


def check_stop_string(backend):
    s = Sampling(n=3, temperature=1.0, max_new_tokens=48, stop=["e"], include_stop_in_output=True, seed=1)
    outs = backend.generate(PROMPTS, s, [GenKey("a", 0, 0), GenKey("b", 0, 0)])
    assert [len(o) for o in outs] == [3, 3]
    stopped = [c for o in outs for c in o if c.finish_reason == "stop"]
    assert stopped, "the tiny model never emitted 'e'"
    for c in stopped:
        assert c.text.endswith("e") and "e" not in c.text[:-1] and c.num_tokens >= 1
    for c in (c for o in outs for c in o if c.finish_reason != "stop"):
        assert "e" not in c.text and c.finish_reason in ("eos", "length")
    s.include_stop_in_output = False
    outs = backend.generate(PROMPTS, s, [GenKey("a", 0, 0), GenKey("b", 0, 0)])
    for c in (c for o in outs for c in o):
        assert "e" not in c.text


def check_distinct_samples(backend):
    s = Sampling(n=4, temperature=1.0, max_new_tokens=24, seed=3)
    (comps,) = backend.generate(PROMPTS[:1], s, [GenKey("a", 0, 0)])
    assert len(comps) == 4 and len({c.text for c in comps}) == 4
    assert all(c.num_tokens > 0 for c in comps)
    # the same seed and key give the same samples
    (again,) = backend.generate(PROMPTS[:1], s, [GenKey("a", 0, 0)])
    return comps, again


def check_greedy_deterministic(backend):
    s = Sampling(n=1, temperature=0.0, max_new_tokens=24)
    a = backend.generate(PROMPTS, s)
    b = backend.generate(PROMPTS[::-1], s)[::-1]
    assert [o[0].text for o in a] == [o[0].text for o in b]
    assert all(o[0].finish_reason in ("eos", "length") for o in a)
    assert all(0 < o[0].num_tokens <= 24 for o in a)


def check_sc_tir_end_to_end(cfg_factory, backend, tmp_path, strategies=("sc_tir_numina",)):
    from numina_exp.decode import make_decoder, read_generations
    from numina_exp.sandbox import Executor

    logs = {}
    with Executor(rules="numina", isolation="auto", timeout_s=5.0, workers=2) as ex:
        for strategy, extra in strategies:
            cfg = cfg_factory(strategy, extra)
            log = tmp_path / f"{strategy}-{len(logs)}.jsonl"
            dec = make_decoder(cfg, backend=backend, executor=ex)
            (res,) = list(dec.decode([{"id": "e2e", "problem": E2E_PROBLEM}], seed=7, gen_log=log))
            recs = read_generations(log)
            assert res.code_blocks >= 1, [r["text"] for r in recs]
            ran = [r for r in recs if r["exec"]]
            assert len(ran) == res.code_blocks
            assert all(r["exec"] == {"status": "ok", "feedback": "42"} for r in ran)
            assert res.answer == 0 and res.votes == {}
            json.dumps(res.to_json())
            assert res.generation_s > 0 and res.tokens == sum(r["num_tokens"] for r in recs)
            logs[(strategy, tuple(extra))] = sorted((r["copy"], r["step"], r["text"]) for r in recs)
    return logs
