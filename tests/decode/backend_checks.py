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


GM_PROBLEMS = [{"id": "a", "problem": "What is 1+1?", "answer": "2"}, {"id": "b", "problem": "Find x if 2x = 10.", "answer": "5"},
               {"id": "c", "problem": "What is 3*3?", "answer": "9"}]


def check_greedy_and_maj_k(cfg_factory, backend, tmp_path, batch_independent_sampling=True):
    """greedy and maj_k through a real model backend: the decoder's texts are the backend's own greedy /
    seeded samples for each problem's rendered prompt (whatever the batching: vLLM seeds per request; hf
    draws sampling noise per batch, so there only greedy texts are compared), one log line per sample,
    the answer per copy is the boxed extraction of its text and the vote is over those answers."""
    from omegaconf import OmegaConf

    from numina_exp.decode import make_decoder, read_generations
    from numina_exp.decode.voting import tally, vote_value
    from numina_exp.grading import extract_answer

    for strategy, k, temp in (("greedy", 1, 0.0), ("maj_k", 4, 1.0)):
        cfg = OmegaConf.merge(cfg_factory(strategy, []), OmegaConf.from_dotlist(
            [f"decoding.n={k}", f"decoding.temperature={temp}", "decoding.max_new_tokens=16", "decoding.m=1"]))
        d = cfg.decoding
        runs = []
        for rep in range(2):
            log = tmp_path / f"{strategy}{rep}.jsonl"
            dec = make_decoder(cfg, backend=backend, executor=object())  # no code runs in greedy / maj_k
            runs.append((list(dec.decode(GM_PROBLEMS, seed=11, gen_log=log)), read_generations(log)))
        (results, recs), (again, _) = runs
        assert [r.problem_id for r in results] == ["a", "b", "c"]
        assert [[c.answer for c in r.copies] for r in results] == [[c.answer for c in r.copies] for r in again]
        assert sorted((r["problem_id"], r["copy"], r["step"]) for r in recs) == \
            sorted((p["id"], j, 0) for p in GM_PROBLEMS for j in range(k))
        texts = {(r["problem_id"], r["copy"]): r["text"] for r in recs}
        for p, res in zip(GM_PROBLEMS, results):
            assert res.strategy == strategy and res.n == k and res.m == 1 and len(res.copies) == k
            # the same request alone: the batch the decoder built did not change the samples
            s = Sampling(n=k, temperature=temp, top_p=d.top_p, top_k=d.top_k, max_new_tokens=16, stop=list(d.stop),
                         include_stop_in_output=d.include_stop_in_output, seed=11)
            (alone,) = backend.generate([dec.prompt(p)], s, [GenKey(p["id"], 0, 0)])
            if k == 1 or batch_independent_sampling:
                assert [texts[(p["id"], j)] for j in range(k)] == [c.text for c in alone]
                assert [c.tokens for c in res.copies] == [c.num_tokens for c in alone]
            if k > 1:  # sampled, not k copies of one text
                assert len({texts[(p["id"], j)] for j in range(k)}) > 1
            for j, c in enumerate(res.copies):
                assert c.answer == extract_answer(texts[(p["id"], j)], d.answer_rule)
                assert c.tokens > 0
            winner, votes, _ = tally([vote_value(c.answer, d) for c in res.copies], d, seed=11)
            assert res.answer == winner and res.votes == votes
