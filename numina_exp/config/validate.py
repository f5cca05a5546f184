"""Checks that a type system cannot express: ranges, known names, files that must exist, and what a
method needs. Runs before anything heavy is imported, so a bad invocation fails in about a second."""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Iterable

from omegaconf import DictConfig, OmegaConf

from ..core import planned, registry
from ..core.errors import ConfigError
from ..core.paths import conf_dir


def _one_of(key: str, value, options: Iterable) -> None:
    options = list(options)
    if value not in options:
        raise ConfigError(key, f"unknown value {value!r}", f"use one of {options}")


def _positive(key: str, value, minimum=1) -> None:
    if value is None or value < minimum:
        raise ConfigError(key, f"must be >= {minimum}, got {value!r}", f"set {key}={minimum} or more")


def _file(key: str, path) -> None:
    if not (os.path.isfile(str(path)) or planned.is_planned(path)):
        raise ConfigError(key, f"file not found: {path}", f"point {key} at an existing file (absolute, or relative to {os.getcwd()})")


def _is_local(ref: str) -> bool:
    return ref.startswith(("/", "./", "../", "~")) or ref.endswith(".jsonl")


def validate(cfg: DictConfig) -> None:
    """The generic checks of the sections the method needs, then the method's own `validate`."""
    methods = registry.methods()
    _one_of("method.name", cfg.method.name, methods)
    _one_of("scale.name", cfg.scale.name, ["full", "cpu"])
    _one_of("logger.name", cfg.logger.name, ["none", "wandb"])
    _one_of("logger.mode", cfg.logger.mode, ["auto", "online", "offline"])
    method = methods[cfg.method.name]
    if method.train_schema is not None and cfg.train is None:
        raise ConfigError("train", f"method={method.name} trains but the config has no train section",
                          "keep the defaults list's `optional train: ${method}` (the method's train_schema is the option)")
    for section in method.needs:
        CHECKS[section](cfg)
    if method.validate is not None:
        method.validate(cfg)


def deliberate_mixes(cfg: DictConfig) -> list[str]:
    """Valid combinations that depart from a reproduction on purpose; the run announces them in its
    banner and records them in run_info.json."""
    notes = []
    if OmegaConf.select(cfg, "decoding.strategy") == "sc_tir_numina" and OmegaConf.select(cfg, "sandbox.rules") != "numina":
        notes.append(f"decoding=sc_tir_numina with sandbox.rules={cfg.sandbox.rules}: tool output is not rendered as the "
                     "notebook rendered it, so answers can differ from the notebook's (drop the sandbox override to reproduce it)")
    return notes


def check_model(cfg: DictConfig) -> None:
    m = cfg.model
    _one_of("model.arch", m.arch, ["llama", "mixtral", "internlm2"])
    _one_of("model.dtype", m.dtype, ["bfloat16", "float16", "float32"])
    _one_of("model.chat_template", m.chat_template, ["numina", "chatml", "none"])
    _positive("model.context_length", m.context_length, 16)
    if m.path is not None and not planned.exists(m.path):
        raise ConfigError("model.path", f"does not exist: {m.path}", "give a directory with config.json (e.g. a run's final/) or unset it")
    _no_remote_code(cfg, "model.path", m.path)
    if m.arch == "internlm2" and not m.trust_remote_code and not cfg.scale.tiny_model:
        raise ConfigError("model.trust_remote_code", "InternLM2 is not in transformers; its hub repo ships the modeling code",
                          "set model.trust_remote_code=true (needs the hub) or use scale=cpu for its Llama-shaped twin")
    _gguf_installed(cfg)


def _no_remote_code(cfg: DictConfig, key: str, ref) -> None:
    """An existing model directory (or run dir's final/) that ships python code needs model.trust_remote_code
    (models/trust.py); planned stage outputs and hub ids are checked when they are loaded."""
    if not ref:
        return
    from ..models.trust import refuse_remote_code
    path = Path(str(ref)).expanduser()
    refuse_remote_code(path / "final" if (path / "final").is_dir() else path, key, bool(cfg.model.trust_remote_code))


def _gguf_installed(cfg: DictConfig) -> None:
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
    _one_of("data.format", d.format, ["cot", "tir"])
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
    _one_of("distributed.name", cfg.distributed.name, ["single", "ddp", "zero3", "zero3_offload"])
    if t.peft.kind != "none" and t.peft.r < 1:
        raise ConfigError("train.peft.r", f"must be >= 1, got {t.peft.r}", "use e.g. 16")


def check_decoding(cfg: DictConfig) -> None:
    d = cfg.decoding
    _one_of("decoding.strategy", d.strategy, registry.STRATEGIES)
    _positive("decoding.n", d.n)
    _positive("decoding.m", d.m)
    _positive("decoding.max_new_tokens", d.max_new_tokens)
    if d.temperature < 0:
        raise ConfigError("decoding.temperature", f"must be >= 0, got {d.temperature}", "use 0 for greedy or e.g. 0.8")
    if not (0.0 < d.top_p <= 1.0):
        raise ConfigError("decoding.top_p", f"must be in (0, 1], got {d.top_p}", "use 1.0 to disable nucleus sampling")
    _one_of("decoding.answer_rule", d.answer_rule, ["numina", "boxed", "gsm8k"])
    _one_of("decoding.integer_mode", d.integer_mode, ["round", "strict"])
    _one_of("decoding.vote_equivalence", d.vote_equivalence, ["integer", "math"])
    _one_of("decoding.tie_break", d.tie_break, ["first_seen", "smallest", "random"])
    if d.strategy == "greedy" and (d.n != 1 or d.temperature != 0):
        raise ConfigError("decoding.n", f"greedy decodes one sample at temperature 0 (got n={d.n}, temperature={d.temperature})",
                          "use decoding=maj_k for several samples")
    if d.strategy in ("maj_k", "sc_tir", "sc_tir_numina") and d.n > 1 and d.temperature == 0:
        raise ConfigError("decoding.temperature", f"{d.strategy} with n={d.n} at temperature 0 samples {d.n} identical copies",
                          "set decoding.temperature > 0 (the recipe uses 0.8)")
    _one_of("decoding.early_stop_posterior", d.early_stop_posterior, ["beta", "dirichlet"])
    if not (0.5 < d.early_stop_threshold < 1.0):
        raise ConfigError("decoding.early_stop_threshold", f"must be in (0.5, 1), got {d.early_stop_threshold}",
                          "use e.g. 0.95 (Adaptive-Consistency's default)")
    if d.early_stop_prior <= 0:
        raise ConfigError("decoding.early_stop_prior", f"must be > 0, got {d.early_stop_prior}", "use 1.0 (a uniform prior)")
    if d.strategy == "sc_tir_numina" and (d.early_stop or d.pipelining):
        raise ConfigError("decoding.early_stop", "sc_tir_numina reproduces the notebook, which has neither early stop nor pipelining",
                          "use decoding=sc_tir for those options")
    if d.strategy in ("sc_tir", "sc_tir_numina"):
        if not d.include_stop_in_output:
            raise ConfigError("decoding.include_stop_in_output", "SC-TIR decides to run code when the text ends with the stop string; "
                              "without it in the text no code ever runs", "set decoding.include_stop_in_output=true")
        if len(d.stop) > 1:
            raise ConfigError("decoding.stop", f"SC-TIR uses one stop string (the code-output request), got {list(d.stop)}",
                              'use e.g. decoding.stop=["```output\\n"]')
    _positive("decoding.problems_in_flight", d.problems_in_flight)
    if d.problems_in_flight > 1 and d.strategy not in ("sc_tir", "sc_tir_numina"):
        raise ConfigError("decoding.problems_in_flight", f"{d.strategy} already batches problems (backend.batch_size prompts per generate call)",
                          "set decoding.problems_in_flight=1")
    if d.strategy in ("greedy", "maj_k") and (d.early_stop or d.pipelining):
        raise ConfigError("decoding.early_stop", f"{d.strategy} runs no code and has a single step: early_stop/pipelining are SC-TIR options",
                          "use decoding=sc_tir, or set decoding.early_stop=none decoding.pipelining=false")
    check_sandbox(cfg)


def check_backend(cfg: DictConfig) -> None:
    b = cfg.backend
    _one_of("backend.name", b.name, registry.BACKENDS)
    _positive("backend.tensor_parallel_size", b.tensor_parallel_size)
    _positive("backend.data_parallel_size", b.data_parallel_size)
    _positive("backend.batch_size", b.batch_size)
    if not (0.0 < b.gpu_memory_utilization <= 1.0):
        raise ConfigError("backend.gpu_memory_utilization", f"must be in (0, 1], got {b.gpu_memory_utilization}", "use e.g. 0.9")
    if b.name == "openai":
        if not b.url or not str(b.url).startswith(("http://", "https://")):
            raise ConfigError("backend.url", f"backend=openai needs an http(s) URL, got {b.url!r}", "set backend.url=http://HOST:PORT/v1")
        _positive("backend.concurrency", b.concurrency)
        _positive("backend.retries", b.retries, 0)
        if b.request_timeout_s <= 0 or b.backoff_s < 0 or b.backoff_max_s < b.backoff_s:
            raise ConfigError("backend.request_timeout_s", "needs request_timeout_s > 0 and 0 <= backoff_s <= backoff_max_s",
                              "use e.g. request_timeout_s=120 backoff_s=1 backoff_max_s=30")
        if b.api_key_env and not os.environ.get(str(b.api_key_env)):
            raise ConfigError("backend.api_key_env", f"the environment variable {b.api_key_env} is not set",
                              f"export {b.api_key_env}=... (the key is read from there, never from the config)")
    if b.name == "replay":
        if not b.path:
            raise ConfigError("backend.path", "the replay backend needs saved generations", "set backend.path=RUN_DIR/generations.jsonl")
        _file("backend.path", b.path)
        _replay_covers_width(cfg)
    else:
        _gguf_installed(cfg)
    if b.name in ("hf", "vllm"):  # backends that load model.path (a method that needs no `model` section: evaluate)
        _no_remote_code(cfg, "model.path", cfg.model.path)
    if b.data_parallel_size > 1 and b.name != "vllm":
        raise ConfigError("backend.data_parallel_size", f"data-parallel engines are a vllm option (backend={b.name})",
                          "use backend=vllm, or backend.data_parallel_size=1")
    if (b.static_cache or b.compile) and b.name != "hf":
        raise ConfigError("backend.static_cache", f"static KV cache / compile are hf options (backend={b.name}); vLLM manages its own cache",
                          "use backend=hf, or drop backend.static_cache/backend.compile")
    if b.compile and not b.static_cache:
        raise ConfigError("backend.compile", "torch.compile of generate needs a static KV cache", "also set backend.static_cache=true")


def _replay_covers_width(cfg: DictConfig) -> None:
    """Fail before decoding when the saved generations hold fewer copies per problem than decoding.n
    (depth and missing problems can only be known per problem; the backend names those). Reads past a
    torn last line; a line without a usable problem_id / copy is named with file and line (the full
    line format is checked by method=evaluate's own validate: numina_exp.evaluate.checks)."""
    from numina_exp.core.io import JsonlError, read_jsonl_numbered

    path = cfg.backend.path
    fix = "point backend.path at a generations.jsonl in the format of docs/generation_log.md (repair or drop that line)"
    try:
        rows, _ = read_jsonl_numbered(path)
    except JsonlError as err:
        raise ConfigError("backend.path", str(err), fix) from None
    except OSError as err:
        raise ConfigError("backend.path", f"cannot read {path}: {err}", "point it at a readable file") from None
    copies: dict[str, int] = {}
    for line, row in rows:
        pid, copy = row.get("problem_id"), row.get("copy")
        if isinstance(pid, bool) or not isinstance(pid, (str, int)):
            raise ConfigError("backend.path", f"{path}:{line}: problem_id must be a string, got {pid!r}"[:300], fix)
        if isinstance(copy, bool) or not isinstance(copy, int) or copy < 0:
            raise ConfigError("backend.path", f"{path}:{line}: copy must be an integer >= 0, got {copy!r}"[:300], fix)
        copies[str(pid)] = max(copies.get(str(pid), 0), copy + 1)
    if not copies:
        raise ConfigError("backend.path", f"{path} holds no generations", "point it at a non-empty generations.jsonl")
    width = min(copies.values())
    if cfg.decoding.n > width:
        raise ConfigError("decoding.n", f"{path} holds only {width} copies for some problems, decoding.n={cfg.decoding.n}",
                          f"set decoding.n<={width} (any n and m the file covers can be replayed)")


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
    _one_of("eval.answer_kind", e.answer_kind, ["integer", "numeric", "math"])
    _one_of("eval.mode", e.mode, ["suite", "kaggle_sim"])
    if e.mode == "kaggle_sim" and int(cfg.decoding.get("problems_in_flight", 1)) > 1:
        raise ConfigError("decoding.problems_in_flight", "eval.mode=kaggle_sim replays problems one at a time under one "
                          "budget and costs each from its own seconds, which overlap when problems share the engine",
                          "set decoding.problems_in_flight=1 for kaggle_sim")
    _one_of("eval.policy", e.policy, ["fixed", "even_split", "adaptive"])
    for p in e.policies:
        _one_of("eval.policies", p, ["fixed", "even_split", "adaptive"])
    if not e.seeds:
        raise ConfigError("eval.seeds", "no seeds given", "set eval.seeds=[0] or e.g. [0,1,2,3,4]")
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
    if e.nm_grid and cfg.decoding.strategy not in ("sc_tir", "sc_tir_numina", "maj_k"):
        raise ConfigError("eval.nm_grid", f"the N x M grid needs several copies (decoding.strategy={cfg.decoding.strategy})",
                          "use decoding=sc_tir_numina (or maj_k for the N axis), or set eval.nm_grid=false")


# Upper bounds: beyond them a value is a typo (or would exhaust the host), not a budget.
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
    _one_of("sandbox.isolation", s.isolation, ["auto", "bwrap", "process"])
    _one_of("sandbox.rules", s.rules, ["numina", "default"])
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


CHECKS = {
    "model": check_model, "data": check_data, "train": check_train, "decoding": check_decoding,
    "backend": check_backend, "eval": check_eval, "sandbox": check_sandbox,
}
