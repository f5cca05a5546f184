"""A normal (non-editable) install runs: build the wheel, install it into a fresh venv outside the
checkout (reusing the project venv's site-packages for the dependencies, without network), and run the
CLI from a directory that is not the repository."""
import os
import subprocess
import zipfile

import pytest
from helpers import install_wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    py, target, wheel = install_wheel(tmp)
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ["numina_exp/conf/config.yaml", "numina_exp/conf/experiment/stage1_cot.yaml",
                   "numina_exp/launch_templates/zero3.yaml", "numina_exp/train/__init__.py", "numina_exp/generate/vllm.py",
                   "numina_exp/methods/sft.py", "numina_exp/data/suites/amc.jsonl", "numina_exp/data/samples/cot_sample.jsonl"]:
        assert needed in names, f"the wheel lacks {needed}"
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
