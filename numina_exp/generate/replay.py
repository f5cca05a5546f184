"""Replay: serve generations saved by an earlier run (generations.jsonl) instead of a model.

Keyed by (problem_id, copy, step). Used to re-score a run with other voting / answer rules without a
GPU, and to drive the decision logic with scripted texts. Saved execution results (`exec`) are reused;
a line without one has its code run again by the decoder's executor."""
from __future__ import annotations

from collections import defaultdict
from typing import Optional, Sequence

from ..core.text import escape_invisible
from .base import Backend, Completion, GenKey, Sampling
from .log import index_generations, read_generations


class ReplayBackend(Backend):
    prompts_per_call = None  # no limit
    batch_invariant = True  # a text is looked up by (problem, copy, step), whatever is beside it
    # nothing is computed: this only bounds how many problems' copies are held at once (vLLM-CPU's
    # default max_num_seqs, so a re-score schedules problems as the recorded vLLM run could have)
    max_batch_sequences = 256
    capacity_note = "replay: a declared 256 sequences"
    recorded = True  # texts and execution results from backend.path, no model weights

    @classmethod
    def check_config(cls, cfg) -> None:
        from .keys import check_replay
        check_replay(cfg)

    def __init__(self, cfg=None, path: Optional[str] = None, records: Optional[list] = None):
        if records is None:
            path = path or cfg.backend.path
            records = read_generations(path)
        self.path = path or "<records>"
        self.index = index_generations(records)
        self._max_copy: dict = defaultdict(lambda: -1)
        self._max_step: dict = defaultdict(lambda: -1)
        for pid, copy, step in self.index:
            self._max_copy[pid] = max(self._max_copy[pid], copy)
            self._max_step[pid] = max(self._max_step[pid], step)

    def _missing(self, pid: str, copy: int, step: int) -> KeyError:
        if pid not in self._max_copy:
            return KeyError(f"replay: {self.path} has no generations for problem {pid!r} (copy {copy}, step {step}); "
                            f"it covers {len(self._max_copy)} problems")
        return KeyError(
            f"replay: {self.path} has no generation for problem {pid!r} copy {copy} step {step}; for this problem it "
            f"covers copies 0..{self._max_copy[pid]} and steps 0..{self._max_step[pid]}, i.e. decoding.n up to "
            f"{self._max_copy[pid] + 1} and decoding.m up to {self._max_step[pid] + 1} (a copy that finished early "
            f"in the recorded run has no later steps: record with decoding.finish_on_answer=false to replay both modes)")

    def _get(self, pid: str, copy: int, step: int) -> dict:
        rec = self.index.get((pid, copy, step))
        if rec is None:
            raise self._missing(pid, copy, step)
        return rec

    def generate(self, prompts: Sequence[str], sampling: Sampling,
                 keys: Optional[Sequence[GenKey]] = None) -> list[list[Completion]]:
        if keys is None or len(keys) != len(prompts):
            raise ValueError("the replay backend needs one GenKey (problem_id, copy, step) per prompt")
        out = []
        for key in keys:
            comps = []
            for j in range(sampling.n):
                rec = self._get(str(key.problem_id), key.copy + j, key.step)
                comps.append(Completion(rec["text"], int(rec.get("num_tokens", 0)), rec.get("finish_reason", "stop")))
            out.append(comps)
        return out

    def recorded_exec(self, key: GenKey) -> Optional[dict]:
        rec = self.index.get((str(key.problem_id), key.copy, key.step))
        ex = rec.get("exec") if rec else None
        if ex and "feedback" in ex:  # a recorded file is input: its invisible characters are shown, as live ones are
            return {"status": ex.get("status", "ok"), "feedback": escape_invisible(ex["feedback"])}
        return None

    def close(self) -> None:
        pass
