"""A normal (non-editable) install runs: build the wheel, install it into a fresh venv outside the
checkout (reusing the project venv's site-packages for the dependencies, without network), and run the
CLI from a directory that is not the repository."""
import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    wheels = tmp / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                            "-w", str(wheels), str(REPO)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-3000:]
    wheel = next(wheels.glob("numina_exp-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ["numina_exp/conf/config.yaml", "numina_exp/conf/experiment/stage1_cot.yaml",
                   "numina_exp/launch_templates/zero3.yaml", "numina_exp/train/__init__.py", "numina_exp/generate/vllm.py",
                   "numina_exp/methods/sft.py", "numina_exp/data/suites/amc.jsonl", "numina_exp/data/samples/cot_sample.jsonl"]:
        assert needed in names, f"the wheel lacks {needed}"
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    target = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 capture_output=True, text=True, check=True).stdout.strip())
    # the dependencies come from the project venv; its editable finder (.pth) is not processed this way
    (target / "zz_project_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    inst = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(target),
                           str(wheel)], capture_output=True, text=True, timeout=600)
    assert inst.returncode == 0, inst.stderr[-3000:]
    work = tmp / "elsewhere"
    work.mkdir()
    return py, work, target


def _run(py, work, *args, timeout=600):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env.update(OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", WANDB_MODE="offline")
    return subprocess.run([str(py), "-m", "numina_exp", *args], cwd=work, env=env, capture_output=True, text=True, timeout=timeout)


def test_wheel_imports_from_its_own_install(installed):
    py, work, target = installed
    where = subprocess.run([str(py), "-c", "import numina_exp; print(numina_exp.__file__)"], cwd=work,
                           capture_output=True, text=True, env={"PATH": os.environ["PATH"]})
    assert where.stdout.strip().startswith(str(target)), where.stdout + where.stderr


def test_wheel_runs_info_and_a_cpu_training_stage(installed):
    py, work, _ = installed
    info = _run(py, work, "method=info", "hydra.run.dir=info_run")
    assert info.returncode == 0, info.stderr[-3000:]
    assert "method=info" in info.stdout
    stage = _run(py, work, "+experiment=stage1_cot", "scale=cpu", "train.max_steps=2", "hydra.run.dir=stage1")
    assert stage.returncode == 0, stage.stderr[-3000:]
    assert (work / "stage1" / "final" / "config.json").exists()
