"""maj@k: k independent samples per problem (no code execution), extract, vote. Also greedy's engine.

Problems are batched: one generate call covers several problems' prompts, each with n = k samples;
completion j of a problem is copy j at step 0 in the generation log."""
from __future__ import annotations

import time
from typing import Iterator

from numina_exp.generate.base import GenKey, Sampling
from numina_exp.grading import extract_answer

from .result import CopyResult, ProblemResult
from .voting import tally, vote_value


def _problems_per_call(dec, k: int) -> int:
    backend = dec.backend
    per_call = backend.prompts_per_call
    if per_call is None:
        return 64
    return max(1, int(per_call) // max(1, k))


def decode(dec, problems: list[dict], seed: int, log) -> Iterator[ProblemResult]:
    d = dec.dcfg
    k = int(d.n)
    sampling = Sampling(n=k, temperature=d.temperature, top_p=d.top_p, top_k=d.top_k,
                        max_new_tokens=d.max_new_tokens, stop=list(d.stop),
                        include_stop_in_output=d.include_stop_in_output, seed=seed)
    chunk = _problems_per_call(dec, k)
    for start in range(0, len(problems), chunk):
        batch = problems[start:start + chunk]
        t0 = time.perf_counter()
        outs = dec.backend.generate([dec.prompt(p) for p in batch], sampling,
                                    [GenKey(p["id"], 0, 0) for p in batch])
        gen_s = (time.perf_counter() - t0) / len(batch)
        for p, comps in zip(batch, outs):
            t1 = time.perf_counter()
            copies = []
            for j, comp in enumerate(comps):
                log.append(p["id"], j, 0, comp.text, comp.num_tokens, comp.finish_reason, None)
                ans = extract_answer(comp.text, d.answer_rule)
                value = vote_value(ans, d)
                copies.append(CopyResult(copy=j, status="answered" if ans is not None else "unfinished",
                                         answer=ans, value=value, finish_step=0 if ans is not None else None,
                                         steps=1, tokens=comp.num_tokens,
                                         history=[{"step": 0, "event": "answer" if ans is not None else "keep",
                                                   "answer": ans, "finish_reason": comp.finish_reason}]))
            winner, votes, _ = tally([c.value for c in copies], d, seed=seed)
            other = time.perf_counter() - t1
            yield ProblemResult(problem_id=p["id"], strategy=d.strategy, answer=winner, votes=votes,
                                copies=copies, pool_order=list(range(len(copies))),
                                tokens=sum(c.tokens for c in copies), generation_s=gen_s, other_s=other,
                                wall_s=gen_s + other, n=k, m=1, gold=p.get("answer"))
