"""The one interface every generation backend implements (vllm, hf, replay, ...): `Backend`.

A backend subclasses `Backend` and implements `generate(prompts, sampling, keys)`. The capabilities a
decoding strategy may use are explicit, with defaults a backend overrides where it can do better:
* `prompts_per_call`: how many prompts one `generate` call should carry (None: no limit);
* `batch_invariant`: a request's text does not depend on the requests batched beside it (per-request
  seeds), so SC-TIR may decode several problems at once without changing a result;
* `max_batch_sequences`: how many sequences the backend runs at once at full speed (None: unknown);
  `decoding.problems_in_flight=auto` fills it with whole problems (decode/in_flight.py);
* `streamer()`: a `Streamer` (submit one request, poll finished ones) for pipelined SC-TIR; the default
  batches whatever is pending into one `generate` call;
* `recorded_exec(key)`: the saved execution result of a generation (replay; None elsewhere);
* flags validation reads instead of a backend's name (generate/checks.py): `recorded` (texts and
  execution results come from a recording, backend.path, not from model weights), `loads_weights`
  (builds its engine from cfg.model's weights in this process), `data_parallel`
  (backend.data_parallel_size engines), `static_cache` (backend.static_cache / backend.compile);
  `check_config(cfg)` checks the backend's own keys;
* `usage`: a metered endpoint's counters (None: not metered); `served_model`: the model a remote
  endpoint serves (None: the weights of cfg.model);
* `close()`: release the engine.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Optional, Sequence


@dataclass
class Sampling:
    n: int = 1
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = -1
    max_new_tokens: int = 2048
    stop: list = field(default_factory=list)
    include_stop_in_output: bool = True
    seed: Optional[int] = None  # base seed; with keys, each request's seed is request_seed(seed, key)


@dataclass
class Completion:
    text: str  # new text only (stop string included when it stopped on it and include_stop_in_output)
    num_tokens: int
    finish_reason: str  # "stop" (a stop string), "eos", "length"


@dataclass(frozen=True)
class GenKey:
    """Identifies a generation for logging and replay: problem, first copy index, step (generation call
    number of that copy, restarts included). With n > 1 the j-th completion is copy `copy + j`."""
    problem_id: str
    copy: int
    step: int


def request_seed(seed: Optional[int], key: Optional[GenKey]) -> Optional[int]:
    """A per-request seed that depends only on (run seed, problem, copy, step): the same generation
    whatever the batch composition or the order requests reach the engine (barrier vs pipelined)."""
    if seed is None or key is None:
        return seed
    h = hashlib.sha256(f"{seed}|{key.problem_id}|{key.copy}|{key.step}".encode()).digest()
    return int.from_bytes(h[:4], "little") & 0x7FFFFFFF


def cut_at_stop(text: str, stop: Sequence[str], include: bool) -> tuple[str, bool]:
    """Cut `text` at the earliest stop string (kept when `include`); (text, stopped)."""
    best = None
    for s in stop:
        i = text.find(s)
        if i >= 0 and (best is None or i < best[0]):
            best = (i, s)
    if best is None:
        return text, False
    i, s = best
    return text[: i + len(s)] if include else text[:i], True


class Streamer:
    """Pipelined generation: submit single requests, poll the finished ones."""

    def submit(self, prompt: str, sampling: Sampling, key: GenKey) -> None:
        """Queue one request (sampling.n must be 1)."""
        raise NotImplementedError

    def poll(self) -> list[tuple[GenKey, Completion]]:
        """Advance generation; return the requests that finished (possibly none). [] when idle."""
        raise NotImplementedError

    def pending(self) -> int:
        raise NotImplementedError

    def cancel(self, problem_id: Optional[str] = None) -> None:
        """Drop what is still queued or running for `problem_id` (a problem ended early), or everything
        (None). Default: nothing to drop."""


class Backend:
    prompts_per_call: Optional[int] = None  # prompts per generate call (None: the backend takes any number)
    batch_invariant: bool = False  # True only where each request's sampling is seeded on its own
    max_batch_sequences: Optional[int] = None  # sequences one engine step runs at once (None: unknown)

    recorded: bool = False
    loads_weights: bool = False
    data_parallel: bool = False
    static_cache: bool = False
    usage: Optional[dict] = None
    served_model: Optional[str] = None

    @classmethod
    def check_config(cls, cfg) -> None:
        """This backend's own keys, before anything loads (raises ConfigError naming the key)."""

    @classmethod
    def batch_invariant_for(cls, backend_cfg) -> bool:
        """`batch_invariant` of the instance `backend_cfg` (the backend section) would build, known before
        anything loads (the resume plan needs it); where a key decides it, the class overrides this."""
        return cls.batch_invariant

    def generate(self, prompts: Sequence[str], sampling: Sampling,
                 keys: Optional[Sequence[GenKey]] = None) -> list[list[Completion]]:
        """One list of `sampling.n` completions per prompt, in order."""
        raise NotImplementedError

    def streamer(self) -> Streamer:
        return BatchStreamer(self)

    def recorded_exec(self, key: GenKey) -> Optional[dict]:
        """A saved execution result for this generation ({"status", "feedback"}), or None: run the code."""
        return None

    def close(self) -> None:
        pass


class BatchStreamer(Streamer):
    """Streamer over any backend: each poll generates every pending request in one batched call."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self._queue: list[tuple[str, Sampling, GenKey]] = []

    def submit(self, prompt: str, sampling: Sampling, key: GenKey) -> None:
        self._queue.append((prompt, sampling, key))

    def pending(self) -> int:
        return len(self._queue)

    def poll(self) -> list[tuple[GenKey, Completion]]:
        if not self._queue:
            return []
        queue, self._queue = self._queue, []
        out = []
        # requests with the same sampling go in one call (they all share it in practice)
        groups: dict = {}
        for prompt, sampling, key in queue:
            groups.setdefault(repr(replace(sampling, n=1)), (sampling, []))[1].append((prompt, key))
        for sampling, items in groups.values():
            res = self.backend.generate([p for p, _ in items], replace(sampling, n=1), [k for _, k in items])
            out.extend((k, r[0]) for (_, k), r in zip(items, res))
        return out

    def cancel(self, problem_id: Optional[str] = None) -> None:
        self._queue = [] if problem_id is None else [q for q in self._queue if q[2].problem_id != problem_id]
