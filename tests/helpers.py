"""Shared by tests: compose the real config tree (as the CLI does) and run the real CLI."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hydra import compose, initialize_config_dir

from numina_exp.methods import register_configs

register_configs()  # the schema (base_config) and the train group schemas, from the declared methods

REPO = Path(__file__).resolve().parent.parent
CONF = REPO / "conf"


def compose_cfg(overrides: list[str]):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name="config", overrides=overrides)


def experiment_names() -> list[str]:
    root = CONF / "experiment"
    return sorted(str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.yaml"))


def run_cli(args: list[str], timeout: float = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "WANDB_MODE": "offline", **(env or {})}
    return subprocess.run([sys.executable, "-m", "numina_exp", *args], cwd=REPO, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def descendants(pid: int) -> list[int]:
    """Every live descendant of `pid` (kill -9 tests: the launcher's workers sit in their own sessions)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            parents.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


def strip_timing(obj):
    """A run's records without their timings (TIMING_KEYS and the summary's `timing`), for comparing runs."""
    from numina_exp.evaluate.runner import TIMING_KEYS

    if isinstance(obj, dict):
        return {k: strip_timing(v) for k, v in obj.items() if k not in TIMING_KEYS and k != "timing"}
    if isinstance(obj, list):
        return [strip_timing(v) for v in obj]
    return obj


def install_wheel(tmp: Path) -> tuple[Path, Path, Path]:
    """Build the wheel of this checkout and install it into a fresh venv under `tmp`, outside the checkout; the
    project venv's site-packages supply the dependencies through a .pth (its editable finder is not processed that
    way), without network. Returns (venv python, its site-packages, the wheel)."""
    import site

    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                            "-w", str(tmp / "dist"), str(REPO)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-3000:]
    wheel = next((tmp / "dist").glob("numina_exp-*.whl"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    target = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 capture_output=True, text=True, check=True).stdout.strip())
    (target / "zz_project_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    inst = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(target),
                           str(wheel)], capture_output=True, text=True, timeout=600)
    assert inst.returncode == 0, inst.stderr[-3000:]
    return py, target, wheel
