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
