"""Sharded evaluation: shards by problem range, merged, equal a single-process run of the same seeds
(answers, votes, per-problem records, generation logs, N x M grid, results) — in this process, and as a
Slurm job array through sweeps/eval_sharded.yaml whose callback merges the shards."""
import json
from pathlib import Path

import pytest
from eval_scripted import replay_lines, write_jsonl
from helpers import REPO, compose_cfg, run_cli, strip_timing

from numina_exp.config import ConfigError
from numina_exp.core.rundir import prepare_run
from numina_exp.evaluate import load_suite, suite_config
from numina_exp.evaluate.runner import run
from numina_exp.evaluate.shard import ShardError, find_shards, merge_shards, shard_bounds
from numina_exp.methods._validate import validate


def _run(overrides: list[str], run_dir: Path) -> None:
    """What `python -m numina_exp` does for a run, in this process (resolved_config.yaml, then the method)."""
    cfg = compose_cfg(overrides)
    validate(cfg)
    prepare_run(cfg, run_dir=run_dir)
    run(cfg, run_dir)


def _outputs(run_dir: Path) -> dict:
    lines = [json.loads(line) for line in (run_dir / "per_problem.jsonl").read_text().splitlines() if line.strip()]
    out = {"per_problem": strip_timing(lines), "results": strip_timing(json.loads((run_dir / "results.json").read_text())),
           "eval_plan": json.loads((run_dir / "eval_plan.json").read_text())}
    for p in sorted(run_dir.glob("generations*.jsonl")) + [run_dir / "nm_grid.json"]:
        out[p.name] = p.read_bytes() if p.exists() else None
    return out


@pytest.fixture(scope="module")
def replay_file(tmp_path_factory):
    cfg = suite_config("aimo_val")
    cfg.limit = 3
    path = tmp_path_factory.mktemp("gen") / "generations.jsonl"
    write_jsonl(path, replay_lines(load_suite(cfg), n=4, m=4))
    return path


def _args(replay_file):
    return ["method=evaluate", "decoding=sc_tir_numina", "decoding.n=4", "decoding.m=4", "backend=replay",
            f"backend.path={replay_file}", "eval=aimo_val", "eval.limit=3", "eval.seeds=[0,1]", "eval.nm_grid=true",
            "eval.nm_bootstrap=20", "eval.progress=false"]


@pytest.fixture(scope="module")
def single(replay_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("single")
    _run(_args(replay_file), out)
    return _outputs(out)


def test_shard_bounds_partition_the_suite():
    for total in (1, 7, 12, 13):
        for k in range(1, total + 1):
            spans = [shard_bounds(total, i, k) for i in range(k)]
            assert spans[0][0] == 0 and spans[-1][1] == total
            assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
            sizes = [e - s for s, e in spans]
            assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1


def test_merged_shards_equal_single_process(replay_file, single, tmp_path):
    k = 5  # 12 problems: ranges of 2 and 3, crossing member-suite boundaries
    for i in range(k):
        _run(_args(replay_file) + [f"eval.num_shards={k}", f"eval.shard_index={i}"], tmp_path / str(i))
        assert 2 <= len(json.loads((tmp_path / str(i) / "shard.json").read_text())["ids"]) <= 3
    merge_shards(find_shards([tmp_path]), tmp_path / "merged")
    merged = _outputs(tmp_path / "merged")
    assert merged["per_problem"] == single["per_problem"]
    assert [(r["answer"], r["votes"]) for r in merged["per_problem"]] == [(r["answer"], r["votes"]) for r in single["per_problem"]]
    assert merged == single
    assert (tmp_path / "merged" / "report.md").stat().st_size > 0


def test_merge_refuses_missing_incomplete_and_foreign_shards(replay_file, tmp_path):
    cheap = _args(replay_file) + ["eval.seeds=[0]", "eval.nm_grid=false"]
    for i in (0, 2):
        _run(cheap + ["eval.num_shards=3", f"eval.shard_index={i}"], tmp_path / str(i))
    with pytest.raises(ShardError, match=r"shards \[1\] of 3 are missing"):
        merge_shards(find_shards([tmp_path]), tmp_path / "merged")
    _run(cheap + ["eval.num_shards=3", "eval.shard_index=1"], tmp_path / "1")
    pp = tmp_path / "1" / "per_problem.jsonl"
    pp.write_text("\n".join(pp.read_text().splitlines()[:-1]) + "\n")  # one (seed, problem) result lost
    with pytest.raises(ShardError, match=r"incomplete \(1 of 4"):
        merge_shards(find_shards([tmp_path]), tmp_path / "merged")
    _run(cheap + ["eval.num_shards=3", "eval.shard_index=1", "decoding.n=2"], tmp_path / "other")
    with pytest.raises(ShardError, match="appears twice"):
        merge_shards(find_shards([tmp_path]), tmp_path / "merged")


@pytest.mark.parametrize("override,key", [("eval.shard_index=4", "eval.shard_index"), ("eval.num_shards=0", "eval.num_shards"),
                                          ("eval.shard_index=-1", "eval.shard_index")])
def test_bad_shard_keys_fail_at_validation(replay_file, override, key):
    cfg = compose_cfg(_args(replay_file) + ["eval.num_shards=4", override])
    with pytest.raises(ConfigError, match=key):
        validate(cfg)


def test_sharded_sweep_on_real_slurm_merges_to_single_process(slurm, replay_file, single, tmp_path):
    sweep = tmp_path / "sweep"
    r = run_cli(["-m", "--config-dir", str(REPO / "sweeps"), "--config-name", "eval_sharded", "hydra/launcher=slurm_cpu",
                 "hydra.launcher.cpus_per_task=1", "hydra.launcher.mem_gb=1", *_args(replay_file),
                 "model=deepseek_math_7b_base",  # the sweep file starts from eval_sc_tir; same model as `single`
                 "eval.num_shards=3", "eval.shard_index=range(0,3)", f"hydra.sweep.dir={sweep}"], timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert f"[shards] merged 3 shards into {sweep / 'merged'}" in r.stdout
    assert len([d for d in (sweep / ".submitit").iterdir() if d.is_dir() and "_" in d.name]) == 3
    assert _outputs(sweep / "merged") == single
