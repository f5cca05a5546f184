"""evaluate/shard.py's pieces without running an evaluation: which problems a job takes and what its
shard.json says, how shard dirs are found, which plan keys a merge ignores, and every refusal that comes
before any record is read (no shards, an index twice, mixed splits, missing indices), through the
function and through the CLI. test_sharded_eval.py merges real shards and compares them with one run."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from numina_exp.core.errors import ConfigError
from numina_exp.evaluate.shard import SHARD_FILE, ShardError, _unsharded_plan, find_shards, main, merge_shards, select_shard, shard_bounds

ROWS = [{"id": f"p{i}"} for i in range(7)]


def _e(k, i, mode="suite"):
    return SimpleNamespace(num_shards=k, shard_index=i, mode=mode)


def test_shards_are_contiguous_and_differ_by_at_most_one():
    bounds = [shard_bounds(7, i, 3) for i in range(3)]
    assert bounds == [(0, 2), (2, 4), (4, 7)]
    assert [shard_bounds(6, i, 6) for i in range(6)] == [(i, i + 1) for i in range(6)]


def test_select_shard_takes_its_range_and_writes_shard_json(tmp_path):
    part = select_shard(ROWS, _e(3, 2), tmp_path)
    assert [r["id"] for r in part] == ["p4", "p5", "p6"]
    info = json.loads((tmp_path / SHARD_FILE).read_text())
    assert info == {"shard_index": 2, "num_shards": 3, "start": 4, "end": 7, "total": 7, "ids": ["p4", "p5", "p6"]}
    assert select_shard(ROWS, _e(3, 0)) == ROWS[:2]  # no run dir: nothing written


def test_one_shard_is_every_row_and_writes_nothing(tmp_path):
    assert select_shard(ROWS, _e(1, 0), tmp_path) is ROWS
    assert not (tmp_path / SHARD_FILE).exists()


def test_more_shards_than_problems_is_refused():
    assert len(select_shard(ROWS, _e(7, 6))) == 1
    with pytest.raises(ConfigError) as err:
        select_shard(ROWS, _e(8, 0))
    assert err.value.key == "eval.num_shards" and "8 shards for 7 problems" in err.value.problem
    assert err.value.fix == "use at most 7 shards"


def _shard(dir_, index, k, ids=("p0",)):
    dir_.mkdir(parents=True, exist_ok=True)
    (dir_ / SHARD_FILE).write_text(json.dumps({"shard_index": index, "num_shards": k, "ids": list(ids)}))
    return dir_


def test_find_shards_takes_shard_dirs_and_sweep_dirs(tmp_path):
    sweep = tmp_path / "sweep"
    b, a = _shard(sweep / "1", 1, 2), _shard(sweep / "0", 0, 2)
    (sweep / "merged").mkdir()  # no shard.json: not a shard
    (sweep / "notes.txt").write_text("x")
    lone = _shard(tmp_path / "lone", 0, 1)
    assert find_shards([sweep]) == [a, b]
    assert find_shards([str(lone), sweep / "missing"]) == [lone]


def test_a_merge_ignores_the_shard_keys_and_the_plan_hash_only():
    plan = {"plan_sha256": "x", "decoding": {"n": 8}, "eval": {"name": "s", "num_shards": 4, "shard_index": 3}}
    assert _unsharded_plan(plan) == {"decoding": {"n": 8}, "eval": {"name": "s", "num_shards": 1, "shard_index": 0}}
    assert plan["eval"]["shard_index"] == 3  # the stored plan is not modified
    assert _unsharded_plan({"eval": {"name": "s"}, "x": 1}) == {"eval": {"name": "s"}, "x": 1}
    assert _unsharded_plan({"eval": "odd"}) == {"eval": "odd"}


def test_merge_refusals_before_any_record_is_read(tmp_path):
    with pytest.raises(ShardError, match="no shard run dirs found"):
        merge_shards([], tmp_path / "out")
    a, b = _shard(tmp_path / "a", 0, 2), _shard(tmp_path / "b", 0, 2)
    with pytest.raises(ShardError) as err:
        merge_shards([a, b], tmp_path / "out")
    assert str(err.value) == f"shard 0 appears twice: {a} and {b}"
    c = _shard(tmp_path / "c", 1, 3)
    with pytest.raises(ShardError, match=r"shards of different splits \(num_shards \[2, 3\]\) cannot be merged"):
        merge_shards([a, c], tmp_path / "out")
    d = _shard(tmp_path / "d", 2, 4)
    with pytest.raises(ShardError) as err:
        merge_shards([_shard(tmp_path / "e", 0, 4), d], tmp_path / "out")
    assert str(err.value) == "shards [1, 3] of 4 are missing: run them (eval.shard_index=1,3)"
    assert not (tmp_path / "out").exists()


def test_the_cli_exits_2_with_the_reason(tmp_path, capsys):
    _shard(tmp_path / "sweep" / "0", 0, 2)
    assert main([str(tmp_path / "sweep")]) == 2
    err = capsys.readouterr().err
    assert err == "error: shards [1] of 2 are missing: run them (eval.shard_index=1)\n"
    assert main([str(tmp_path / "nothing")]) == 2
    assert "no shard run dirs found" in capsys.readouterr().err
