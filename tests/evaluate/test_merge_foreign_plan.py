"""Shard merge refuses a shard that evaluated another plan even when its index is a fresh one (the older
test's foreign shard reused an index, so it was refused as a duplicate before the plans were compared),
and merges the same shard set once the foreign shard is rerun under the common plan."""
from pathlib import Path

import pytest
from eval_scripted import ScriptedDecoder, write_jsonl
from helpers import compose_cfg

from numina_exp.core.rundir import prepare_run
from numina_exp.evaluate.runner import run
from numina_exp.evaluate.shard import ShardError, find_shards, merge_shards

PROBLEMS = [{"id": f"q{i}", "problem": f"What is {i} + {i}?", "answer": str(2 * i)} for i in range(1, 7)]


def _shard(suite: Path, run_dir: Path, index: int, *extra) -> None:
    cfg = compose_cfg(["eval=jsonl", f"eval.path={suite}", "decoding=sc_tir_numina", "decoding.n=4",
                       "eval.progress=false", "eval.num_shards=3", f"eval.shard_index={index}", *extra])
    prepare_run(cfg, run_dir=run_dir)
    run(cfg, run_dir, decoder=ScriptedDecoder(n=4))


def test_a_foreign_plan_under_a_fresh_index_is_refused(tmp_path):
    suite = tmp_path / "suite.jsonl"
    write_jsonl(suite, PROBLEMS)
    sweep = tmp_path / "sweep"
    _shard(suite, sweep / "0", 0)
    _shard(suite, sweep / "1", 1, "decoding.temperature=0.5")  # index 1 exists nowhere else
    _shard(suite, sweep / "2", 2)
    with pytest.raises(ShardError, match="different plans"):
        merge_shards(find_shards([sweep]), tmp_path / "merged")
    assert not (tmp_path / "merged" / "per_problem.jsonl").exists()
    # the same index rerun under the common plan (eval.resume=false: its old records came from the other plan)
    _shard(suite, sweep / "1", 1, "eval.resume=false")
    summary = merge_shards(find_shards([sweep]), tmp_path / "merged")
    assert summary["problems"] == len(PROBLEMS)


def test_merged_shards_write_every_file_of_the_unsharded_run(tmp_path):
    """In process (the real-Slurm test's jobs run the installed package, which a mutation run cannot reach): three
    shards merged give the single run's records, results, plan and generation logs, its resolved config without
    the shard keys, and a shards.json naming each shard's dir and range."""
    import json

    import yaml
    from helpers import strip_timing

    suite = tmp_path / "suite.jsonl"
    write_jsonl(suite, PROBLEMS)
    sweep = tmp_path / "sweep"
    for i in range(3):
        _shard(suite, sweep / str(i), i)
    single = tmp_path / "single"
    cfg = compose_cfg(["eval=jsonl", f"eval.path={suite}", "decoding=sc_tir_numina", "decoding.n=4", "eval.progress=false"])
    prepare_run(cfg, run_dir=single)
    run(cfg, single, decoder=ScriptedDecoder(n=4))
    merged = tmp_path / "merged" / "deeper"  # parents are made
    merge_shards(find_shards([sweep]), merged)

    from numina_exp.core.io import read_jsonl

    def lines(p):
        return read_jsonl(p, torn_tail_ok=False)
    assert strip_timing(lines(merged / "per_problem.jsonl")) == strip_timing(lines(single / "per_problem.jsonl"))
    assert json.loads((merged / "eval_plan.json").read_text()) == json.loads((single / "eval_plan.json").read_text())
    assert strip_timing(json.loads((merged / "results.json").read_text())) == \
        strip_timing(json.loads((single / "results.json").read_text()))
    logs = sorted(p.name for p in single.glob("generations*.jsonl"))
    assert logs and logs == sorted(p.name for p in merged.glob("generations*.jsonl"))
    for name in logs:
        assert sorted(map(json.dumps, lines(merged / name))) == sorted(map(json.dumps, lines(single / name)))
    resolved = yaml.safe_load((merged / "resolved_config.yaml").read_text())
    assert resolved["eval"]["num_shards"] == 1 and resolved["eval"]["shard_index"] == 0
    assert resolved["eval"]["path"] == str(suite) and resolved["decoding"]["n"] == 4
    shards = json.loads((merged / "shards.json").read_text())
    assert [s["run_dir"] for s in shards] == [str(sweep / str(i)) for i in range(3)]
    assert [s["shard_index"] for s in shards] == [0, 1, 2] and all("ids" not in s and s["num_shards"] == 3 for s in shards)
    assert (merged / "report.md").exists()
