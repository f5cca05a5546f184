"""Checks that a type system cannot express: ranges, files that must exist, combinations. Runs before
anything heavy is imported, so a bad invocation fails in about a second. These are the checks every
run shares per section; what depends on the chosen strategy or backend is checked by the layer that
owns it (numina_exp.decode.checks, numina_exp.generate.checks), and numina_exp.methods._validate
runs both for the sections a method needs."""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Iterable

from omegaconf import DictConfig, OmegaConf

from ..core import planned
from ..core.errors import ConfigError
from ..core.paths import conf_dir


def _one_of(key: str, value, options: Iterable) -> None:
    options = list(options)
    if value not in options:
        raise ConfigError(key, f"unknown value {value!r}", f"use one of {options}")


def _positive(key: str, value, minimum=1) -> None:
    if value is None or value < minimum:
        raise ConfigError(key, f"must be >= {minimum}, got {value!r}", f"set {key}={minimum} or more")


def check_in_flight(value) -> None:
    """decoding.problems_in_flight: an int >= 1 or "auto" (bool is an int to Python: refused too)."""
    if value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        return
    raise ConfigError("decoding.problems_in_flight", f"must be an integer >= 1 or auto, got {value!r}",
                      "set decoding.problems_in_flight=auto (fill the backend's batch) or e.g. 1")


def _file(key: str, path) -> None:
    if not (os.path.isfile(str(path)) or planned.is_planned(path)):
        raise ConfigError(key, f"file not found: {path}", f"point {key} at an existing file (absolute, or relative to {os.getcwd()})")


def _is_local(ref: str) -> bool:
    return ref.startswith(("/", "./", "../", "~")) or ref.endswith(".jsonl")


def check_model(cfg: DictConfig) -> None:
    m = cfg.model
    _positive("model.context_length", m.context_length, 16)
    if m.path is not None and not planned.exists(m.path):
        raise ConfigError("model.path", f"does not exist: {m.path}", "give a directory with config.json (e.g. a run's final/) or unset it")
    _no_remote_code(cfg, "model.path", m.path)
    if m.arch == "internlm2" and not m.trust_remote_code and not cfg.scale.tiny_model:
        raise ConfigError("model.trust_remote_code", "InternLM2 is not in transformers; its hub repo ships the modeling code",
                          "set model.trust_remote_code=true (needs the hub) or use scale=cpu for its Llama-shaped twin")
    gguf_installed(cfg)


def _no_remote_code(cfg: DictConfig, key: str, ref) -> None:
    """An existing model directory (or run dir's final/) that ships python code needs model.trust_remote_code
    (models/trust.py); planned stage outputs and hub ids are checked when they are loaded."""
    if not ref:
        return
    from ..models.trust import refuse_remote_code
    path = Path(str(ref)).expanduser()
    refuse_remote_code(path / "final" if (path / "final").is_dir() else path, key, bool(cfg.model.trust_remote_code))


def gguf_installed(cfg: DictConfig) -> None:
    """model.gguf: the package holding the weights must be installed when they will be read."""
    m = cfg.model
    if not m.gguf.package or m.path or cfg.scale.tiny_model or OmegaConf.select(cfg, "train.init_from"):
        return
    from ..models.gguf import gguf_problem
    problem = gguf_problem(m.gguf.package, m.gguf.file)
    if problem:
        raise ConfigError("model.gguf", *problem)


def check_data(cfg: DictConfig) -> None:
    d = cfg.data
    if cfg.scale.sample_data:
        if not d.sample_path:
            raise ConfigError("data.sample_path", f"scale={cfg.scale.name} uses shipped samples but data={d.name} has none",
                              "add sample_path to the data config or use scale=full")
        _file("data.sample_path", d.sample_path)
    elif d.path:
        _file("data.path", d.path)
    elif not d.hub_id:
        raise ConfigError("data.path", f"data={d.name} names neither a local file nor a hub id", "set data.path=FILE.jsonl or data.hub_id=ORG/NAME")


def check_train(cfg: DictConfig) -> None:
    """The TrainBase keys every trainer shares (enums are checked by the schema; a trainer's own keys
    by its method's validate)."""
    from .distributed import world_size

    t = cfg.train
    _positive("train.global_batch_size", t.global_batch_size)
    _positive("train.per_device_batch_size", t.per_device_batch_size)
    if not (0.0 <= t.warmup_ratio < 1.0):
        raise ConfigError("train.warmup_ratio", f"must be in [0, 1), got {t.warmup_ratio}", "use e.g. 0.0 or 0.1")
    if t.learning_rate <= 0:
        raise ConfigError("train.learning_rate", f"must be > 0, got {t.learning_rate}", "use e.g. 2e-5")
    if t.epochs <= 0 and not t.max_steps:
        raise ConfigError("train.epochs", f"must be > 0, got {t.epochs}", "use e.g. 3, or set train.max_steps")
    world = world_size(cfg.launch)
    per_step = t.per_device_batch_size * world
    if t.global_batch_size % per_step:
        raise ConfigError("train.global_batch_size",
                          f"{t.global_batch_size} is not a multiple of per_device_batch_size x processes = {t.per_device_batch_size} x {world}",
                          "change train.global_batch_size or train.per_device_batch_size so the first is a multiple")
    if t.init_from and _is_local(t.init_from) and not planned.exists(t.init_from):
        raise ConfigError("train.init_from", f"does not exist: {t.init_from}", "give a run directory (its final/ is used), a model directory, or a hub id")
    _no_remote_code(cfg, "train.init_from", t.init_from)
    if t.peft.kind != "none" and t.peft.r < 1:
        raise ConfigError("train.peft.r", f"must be >= 1, got {t.peft.r}", "use e.g. 16")


def check_decoding(cfg: DictConfig) -> None:
    """The keys every strategy shares (closed choices are enums, checked by the schema); what depends on
    the strategy: numina_exp.decode.checks."""
    d = cfg.decoding
    _positive("decoding.n", d.n)
    _positive("decoding.m", d.m)
    _positive("decoding.max_new_tokens", d.max_new_tokens)
    _in_range("decoding.temperature", d.temperature, 0, MAX_TEMPERATURE, "0 (greedy) or 0.8")  # nan/inf fail too
    if not (0.0 < d.top_p <= 1.0):
        raise ConfigError("decoding.top_p", f"must be in (0, 1], got {d.top_p}", "use 1.0 to disable nucleus sampling")
    if not (0.5 < d.early_stop_threshold < 1.0):
        raise ConfigError("decoding.early_stop_threshold", f"must be in (0.5, 1), got {d.early_stop_threshold}",
                          "use e.g. 0.95 (Adaptive-Consistency's default)")
    if not (math.isfinite(d.early_stop_prior) and d.early_stop_prior > 0):  # `nan <= 0` is False
        raise ConfigError("decoding.early_stop_prior", f"must be > 0, got {d.early_stop_prior}", "use 1.0 (a uniform prior)")
    check_in_flight(d.problems_in_flight)
    check_sandbox(cfg)


def check_backend(cfg: DictConfig) -> None:
    """The keys every backend shares; what depends on the backend: numina_exp.generate.checks."""
    b = cfg.backend
    _positive("backend.tensor_parallel_size", b.tensor_parallel_size)
    _positive("backend.data_parallel_size", b.data_parallel_size)
    _positive("backend.batch_size", b.batch_size)
    if not (0.0 < b.gpu_memory_utilization <= 1.0):
        raise ConfigError("backend.gpu_memory_utilization", f"must be in (0, 1], got {b.gpu_memory_utilization}", "use e.g. 0.9")
    if b.compile and not b.static_cache:
        raise ConfigError("backend.compile", "torch.compile of generate needs a static KV cache", "also set backend.static_cache=true")


def check_shard_keys(e) -> None:
    """eval.num_shards >= 1 and 0 <= eval.shard_index < eval.num_shards; sharding is for suite mode
    (numina_exp/evaluate/shard.py)."""
    if int(e.num_shards) < 1:
        raise ConfigError("eval.num_shards", f"must be >= 1, got {e.num_shards}", "use 1 (no sharding) or the number of array jobs")
    if not 0 <= int(e.shard_index) < int(e.num_shards):
        raise ConfigError("eval.shard_index", f"must be in [0, eval.num_shards={e.num_shards}), got {e.shard_index}",
                          f"sweep it: eval.shard_index=0,...,{int(e.num_shards) - 1}")
    if int(e.num_shards) > 1 and e.mode != "suite":
        raise ConfigError("eval.num_shards", f"eval.mode={e.mode} cannot be sharded (its budget spans the whole set)",
                          "set eval.num_shards=1 for kaggle_sim")


def check_eval(cfg: DictConfig) -> None:
    e = cfg.eval
    if e.mode == "kaggle_sim" and cfg.decoding.get("problems_in_flight", 1) not in (1, "auto"):
        raise ConfigError("decoding.problems_in_flight", "eval.mode=kaggle_sim replays problems one at a time under one "
                          "budget and costs each from its own seconds, which overlap when problems share the engine",
                          "set decoding.problems_in_flight=1 for kaggle_sim")
    if not e.seeds:
        raise ConfigError("eval.seeds", "no seeds given", "set eval.seeds=[0] or e.g. [0,1,2,3,4]")
    for seed in e.seeds:  # torch, numpy and vLLM take seeds in [0, 2**32): -1 failed deep inside a run
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise ConfigError("eval.seeds", f"each seed must be an integer in [0, {MAX_SEED}], got {seed!r} in {list(e.seeds)}",
                              "use e.g. eval.seeds=[0] or [0,1,2,3,4]")
    if len(set(e.seeds)) != len(e.seeds):
        raise ConfigError("eval.seeds", f"repeated seeds {list(e.seeds)}", "list each seed once")
    if e.limit is not None:
        _positive("eval.limit", e.limit)
    _positive("eval.nm_bootstrap", e.nm_bootstrap)
    check_shard_keys(e)
    _positive("eval.orders", e.orders)
    _positive("eval.num_problems", e.num_problems)
    _in_range("eval.budget_s", e.budget_s, 0, 1e9, 32400, lo_open=True)
    _in_range("eval.speed_factor", e.speed_factor, 0, 1e6, 1.0)
    for sc in e.budget_scales:
        _in_range("eval.budget_scales", sc, 0, 1e3, "[1.0,0.5]", lo_open=True)
    if not (0.0 < e.adaptive_margin <= 1.0):
        raise ConfigError("eval.adaptive_margin", f"must be in (0, 1], got {e.adaptive_margin}", "use e.g. 0.5")
    for path in e.exclude_problems_in:
        _file("eval.exclude_problems_in", path)
    if e.path:
        _file("eval.path", e.path)  # its rows: method=evaluate's validate (numina_exp.evaluate.checks)
    elif e.suites:
        conf_eval = conf_dir() / "eval"
        for member in e.suites:
            if not (conf_eval / f"{member}.yaml").is_file():
                raise ConfigError("eval.suites", f"unknown member suite {member!r}", "use names of conf/eval/*.yaml")
    elif not e.hub_id:
        raise ConfigError("eval.path", f"eval={e.name} names no problems", "set eval.path=FILE.jsonl (id, problem, answer per line)")


# Upper bounds: beyond them a value is a typo (or would exhaust the host), not a budget.
MAX_TEMPERATURE = 100.0  # far above any sampling temperature in use: beyond it, a typo
MAX_SEED = 2**32 - 1
SANDBOX_MAX_TIMEOUT_S = 3600.0
SANDBOX_MAX_MEMORY_MB = 1 << 20  # 1 TiB
SANDBOX_MAX_OUTPUT_BYTES = 1 << 30
SANDBOX_MAX_TMPFS_MB = 1 << 16  # 64 GiB
SANDBOX_WORKERS_PER_CPU = 4


def _in_range(key: str, value, lo, hi, example, lo_open: bool = False) -> None:
    """lo <= value <= hi (lo < value with lo_open), and finite: NaN and inf fail every comparison."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and \
        (value > lo if lo_open else value >= lo) and value <= hi
    if not ok:
        rng = f"({lo}, {hi}]" if lo_open else f"[{lo}, {hi}]"
        raise ConfigError(key, f"must be a finite number in {rng}, got {value!r}", f"use e.g. {key}={example}")


def check_sandbox(cfg: DictConfig) -> None:
    s = cfg.sandbox
    _in_range("sandbox.timeout_s", s.timeout_s, 0, SANDBOX_MAX_TIMEOUT_S, 5, lo_open=True)
    _in_range("sandbox.cpu_s", s.cpu_s, 0, 4 * SANDBOX_MAX_TIMEOUT_S, 0)
    _in_range("sandbox.memory_mb", s.memory_mb, 16, SANDBOX_MAX_MEMORY_MB, 2048)
    _in_range("sandbox.max_output_bytes", s.max_output_bytes, 1, SANDBOX_MAX_OUTPUT_BYTES, 65536)
    _in_range("sandbox.max_feedback_chars", s.max_feedback_chars, 1, SANDBOX_MAX_OUTPUT_BYTES, 200)
    _in_range("sandbox.tmpfs_mb", s.tmpfs_mb, 1, SANDBOX_MAX_TMPFS_MB, 64)
    _in_range("sandbox.max_processes", s.max_processes, 1, 1 << 16, 64)
    _in_range("sandbox.max_open_files", s.max_open_files, 16, 1 << 20, 256)
    _in_range("sandbox.max_file_mb", s.max_file_mb, 1, SANDBOX_MAX_MEMORY_MB, 16)
    cpus = os.cpu_count() or 1
    _positive("sandbox.workers", s.workers)
    if s.workers > SANDBOX_WORKERS_PER_CPU * cpus:
        raise ConfigError("sandbox.workers", f"{s.workers} workers on a machine with {cpus} CPUs (at most "
                          f"{SANDBOX_WORKERS_PER_CPU} per CPU: each is a warm interpreter, and more only queue)",
                          f"set sandbox.workers<={SANDBOX_WORKERS_PER_CPU * cpus}")


# The shared checks of each section; the layers that own decoding, backends and evaluation add theirs
# (numina_exp.methods._validate, which validates a run).
CHECKS = {
    "model": check_model, "data": check_data, "train": check_train, "decoding": check_decoding,
    "backend": check_backend, "eval": check_eval, "sandbox": check_sandbox,
}
