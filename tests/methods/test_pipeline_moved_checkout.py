"""A pipeline's finished stages are reused from another checkout of the same code (a moved or re-cloned repo):
the stage configs hold absolute paths of shipped files (`${pkg:...}`), which differ only by the package's root,
and the files' contents are compared apart. Any other difference is still refused, naming the key."""
import os
import shutil
import subprocess
import sys

from helpers import REPO

from numina_exp.methods.pipeline import moved_package_only

from .test_pipeline_claims import _experiment

PKG = "/new/clone/numina_exp"


def test_only_the_package_root_may_differ():
    old = {"eval": {"path": "/old/numina_exp/models/r/problems.jsonl", "limit": 4}, "files": ["/old/numina_exp/a.jsonl"]}
    new = {"eval": {"path": f"{PKG}/models/r/problems.jsonl", "limit": 4}, "files": [f"{PKG}/a.jsonl"]}
    assert moved_package_only(old, new, PKG)
    assert not moved_package_only(old, {**new, "eval": {**new["eval"], "limit": 3}}, PKG)  # a real change
    assert not moved_package_only(old, {**new, "files": [f"{PKG}/b.jsonl"]}, PKG)  # another file
    assert not moved_package_only({**old, "files": ["/other/numina_exp/a.jsonl"]}, new, PKG)  # two old roots
    assert not moved_package_only({**old, "files": ["/old/pkg/a.jsonl"]}, new, PKG)  # not a numina_exp root
    assert not moved_package_only(old, {**new, "files": ["/elsewhere/a.jsonl"]}, PKG)  # not under the package
    assert not moved_package_only({"a": 1}, {"a": 1, "b": 2}, PKG)  # a key added


def _cli(cwd, conf, out, *extra):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "WANDB_MODE": "offline", "PYTHONPATH": str(cwd)}
    return subprocess.run([sys.executable, "-m", "numina_exp", "+experiment=two_evals", f"hydra.run.dir={out}",
                           f"hydra.searchpath=[file://{conf}]", *extra], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def test_stages_finished_in_another_checkout_are_skipped(tmp_path):
    clone = tmp_path / "clone"
    shutil.copytree(REPO / "numina_exp", clone / "numina_exp", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "conf", clone / "conf")
    conf = _experiment(tmp_path, "[{id: same, claim: 'the same replay twice', baseline: a, treatment: b, expect: none}]")
    out = tmp_path / "run"
    first = _cli(clone, conf, out)
    assert first.returncode == 0, first.stderr[-3000:]
    assert str(clone / "numina_exp") in (out / "0_a" / "resolved_config.yaml").read_text()
    before = (out / "0_a" / "per_problem.jsonl").read_bytes()
    again = _cli(REPO, conf, out)  # the repo's own checkout: another package root, the same files
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("exists under the same config") == 2, again.stdout[-3000:]
    assert (out / "0_a" / "per_problem.jsonl").read_bytes() == before
    changed = _cli(REPO, conf, out, "pipeline.overrides=[\"decoding.temperature=0.5\"]")
    assert changed.returncode != 0 and "run under another config: decoding.temperature: 0.8 -> 0.5\n" in changed.stderr, changed.stderr[-2000:]
