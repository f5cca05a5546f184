"""A Hydra multirun sent to a real Slurm through hydra-submitit-launcher (hydra/launcher=slurm_cpu):
one array job per decoding.n, each an SC-TIR evaluation on the replay backend. The results are read back
from the sweep's job dirs and must equal the same evaluations run in this process without Slurm."""
import json
from pathlib import Path

import pytest
from eval_scripted import replay_lines, write_jsonl
from helpers import compose_cfg, run_cli, strip_timing

from numina_exp.evaluate import load_suite, suite_config
from numina_exp.evaluate.runner import run

WIDTHS = (2, 4)


def _outputs(run_dir: Path) -> dict:
    lines = [json.loads(line) for line in (run_dir / "per_problem.jsonl").read_text().splitlines() if line.strip()]
    return {"per_problem": strip_timing(lines), "results": strip_timing(json.loads((run_dir / "results.json").read_text())),
            "generations": (run_dir / "generations.jsonl").read_bytes()}


@pytest.fixture(scope="module")
def replay_file(tmp_path_factory):
    cfg = suite_config("aimo_val")
    cfg.limit = 2
    path = tmp_path_factory.mktemp("gen") / "generations.jsonl"
    write_jsonl(path, replay_lines(load_suite(cfg), n=4, m=4))
    return path


def _eval_args(replay_file):
    return ["method=evaluate", "decoding=sc_tir_numina", "backend=replay", f"backend.path={replay_file}",
            "eval=aimo_val", "eval.limit=2", "eval.progress=false"]


def test_multirun_over_decoding_n_on_real_slurm(slurm, replay_file, tmp_path):
    sweep = tmp_path / "sweep"
    r = run_cli(["-m", "hydra/launcher=slurm_cpu", "hydra.launcher.cpus_per_task=1", "hydra.launcher.mem_gb=1",
                 "hydra.launcher.timeout_min=10", *_eval_args(replay_file),
                 "decoding.n=" + ",".join(map(str, WIDTHS)), f"hydra.sweep.dir={sweep}"], timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    # the jobs ran under Slurm: submitit's per-job folders carry the Slurm job ids of one array
    # (<array id>_<task> for each job, beside the array's own <array id> folder)
    job_dirs = sorted(p.name for p in (sweep / ".submitit").iterdir() if p.is_dir() and "_" in p.name)
    assert len(job_dirs) == len(WIDTHS), job_dirs
    assert len({d.split("_")[0] for d in job_dirs}) == 1, f"not one array job: {job_dirs}"
    for d in job_dirs:
        assert (sweep / ".submitit" / d / f"{d}_0_result.pkl").exists(), f"job {d} left no result"
    for i, n in enumerate(WIDTHS):
        job = sweep / str(i)
        got = _outputs(job)
        assert all(len(rec["copies"]) == n for rec in got["per_problem"])
        cfg = compose_cfg([*_eval_args(replay_file), f"decoding.n={n}"])
        ref = tmp_path / f"local_n{n}"
        run(cfg, ref)
        assert got == _outputs(ref), f"job {i} (decoding.n={n}) differs from the same evaluation run locally"
    assert _outputs(sweep / "0")["per_problem"] != _outputs(sweep / "1")["per_problem"]
