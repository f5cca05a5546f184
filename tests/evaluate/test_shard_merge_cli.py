"""The shard merge as a user meets it, in process (the real-Slurm test runs the installed package, which a mutation
run cannot reach): the CLI's default and --out directories, its summary line and exit code; a merge repeated into
the same directory; the merged timing; eval_plan.json byte-equal to a single run's; and the refusals of an
incomplete shard and of shards run on another suite file, each naming what to do."""
import json
import shutil
from pathlib import Path

import pytest
from eval_scripted import ScriptedDecoder, write_jsonl
from helpers import compose_cfg

from numina_exp.core.io import read_jsonl
from numina_exp.core.rundir import prepare_run
from numina_exp.evaluate.runner import run
from numina_exp.evaluate.shard import ShardError, find_shards, main, merge_shards

PROBLEMS = [{"id": f"q{i}", "problem": f"What is {i} + {i}?", "answer": str(2 * i)} for i in range(1, 6)]
BASE = ["decoding=sc_tir_numina", "decoding.n=4", "eval.progress=false", "eval.seeds=[0,1]"]


def _run(suite: Path, run_dir: Path, *extra) -> None:
    cfg = compose_cfg(["eval=jsonl", f"eval.path={suite}", *BASE, *extra])
    prepare_run(cfg, run_dir=run_dir)
    run(cfg, run_dir, decoder=ScriptedDecoder(n=4))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two shards of a 5-problem suite (2 seeds) and the single run of the same suite, built once; tests copy them."""
    root = tmp_path_factory.mktemp("shards")
    suite = root / "suite.jsonl"
    write_jsonl(suite, PROBLEMS)
    for i in range(2):
        _run(suite, root / "sweep" / str(i), "eval.num_shards=2", f"eval.shard_index={i}")
    _run(suite, root / "single")
    return root


@pytest.fixture
def sweep(runs, tmp_path):
    shutil.copytree(runs / "sweep", tmp_path / "sweep")
    return tmp_path / "sweep"


def _records(run_dir: Path) -> list[dict]:
    return read_jsonl(run_dir / "per_problem.jsonl", torn_tail_ok=False)


def test_the_cli_merges_into_sweep_merged_by_default_and_says_what_it_got(sweep, capsys):
    assert main([str(sweep)]) == 0
    out = sweep / "merged"
    results = json.loads((out / "results.json").read_text())
    line = capsys.readouterr().out
    assert line == (f"merged into {out}: accuracy {100 * results['accuracy_mean']:.1f}% "
                    f"({len(PROBLEMS)} problems, seeds [0, 1])\n")
    assert 0 < results["accuracy_mean"] < 1  # so a wrong scale (x 101, / ...) shows in the line
    assert len(_records(out)) == 2 * len(PROBLEMS)
    # the merged dir is not a shard: merging the sweep again finds the same two shards, and overwrites
    assert find_shards([sweep]) == [sweep / "0", sweep / "1"]
    assert main([str(sweep)]) == 0 and len(_records(out)) == 2 * len(PROBLEMS)


def test_the_cli_writes_where_out_says_and_only_there(sweep, tmp_path, capsys):
    target = tmp_path / "elsewhere"
    assert main([str(sweep / "0"), str(sweep / "1"), "--out", str(target)]) == 0
    assert capsys.readouterr().out.startswith(f"merged into {target}: accuracy ")
    assert len(_records(target)) == 2 * len(PROBLEMS)
    assert not (sweep / "merged").exists() and not (sweep / "0" / "merged").exists()


def test_a_shard_dir_next_to_a_sweep_dir_keeps_both(sweep, tmp_path):
    lone = tmp_path / "lone"
    shutil.copytree(sweep / "1", lone)
    shutil.rmtree(sweep / "1")
    assert find_shards([lone, sweep]) == [lone, sweep / "0"]
    assert merge_shards(find_shards([lone, sweep]), tmp_path / "m")["problems"] == len(PROBLEMS)


def test_merged_timing_and_plan_file(runs, sweep, tmp_path):
    first = _records(sweep / "0")
    del first[0]["seconds"]  # an older record without a timing counts 0, it does not break the sum
    write_jsonl(sweep / "0" / "per_problem.jsonl", first)
    summary = merge_shards(find_shards([sweep]), tmp_path / "m")
    want = sum(r.get("seconds", 0.0) for d in ("0", "1") for r in _records(sweep / d))
    assert want > 0
    assert summary["timing"] == {"problem_seconds_total": pytest.approx(want), "shards": 2}
    assert json.loads((tmp_path / "m" / "results.json").read_text())["timing"] == summary["timing"]
    # byte for byte the file a single run writes: a merged dir resumes and diffs like any run dir
    assert (tmp_path / "m" / "eval_plan.json").read_bytes() == (runs / "single" / "eval_plan.json").read_bytes()


def test_an_incomplete_shard_is_refused_naming_it_and_how_to_finish_it(sweep, tmp_path):
    recs = _records(sweep / "1")
    write_jsonl(sweep / "1" / "per_problem.jsonl", recs[:-1])
    with pytest.raises(ShardError) as err:
        merge_shards(find_shards([sweep]), tmp_path / "m")
    assert str(err.value) == (f"{sweep / '1'} is incomplete (1 of {len(recs)} (seed, problem) results missing): "
                              "rerun that shard with the same hydra.run.dir (it resumes)")
    assert not (tmp_path / "m").exists()


def test_shards_of_another_suite_file_are_refused(sweep, tmp_path):
    from omegaconf import OmegaConf

    other = tmp_path / "other.jsonl"
    write_jsonl(other, PROBLEMS[:-1])  # the suite the merge reloads now has 4 rows; the shards hold 5 ids
    cfg_file = sweep / "0" / "resolved_config.yaml"
    cfg = OmegaConf.load(cfg_file)
    cfg.eval.path = str(other)
    cfg_file.write_text(OmegaConf.to_yaml(cfg))
    with pytest.raises(ShardError) as err:
        merge_shards(find_shards([sweep]), tmp_path / "m")
    assert str(err.value) == (f"the shards' problems are not the suite {cfg.eval.name} in order (5 shard ids vs "
                              "4 suite rows): were they run from another suite file?")


def test_refusal_messages_start_with_the_reason(sweep, tmp_path):
    with pytest.raises(ShardError, match=r"^no shard run dirs found \(a shard holds shard.json; pass shard dirs or "
                                         r"their sweep dir\)$"):
        merge_shards([], tmp_path / "m")
    plan = sweep / "1" / "eval_plan.json"
    plan.write_text(plan.read_text().replace('"n": 4', '"n": 5'))
    with pytest.raises(ShardError, match=r"^the shards evaluated different plans \(eval_plan.json differs\): same "
                                         r"decoding, model and suite needed$"):
        merge_shards(find_shards([sweep]), tmp_path / "m")


def test_help_names_the_command_its_arguments_and_the_default_out_dir(monkeypatch, capsys):
    import re

    monkeypatch.setenv("COLUMNS", "200")  # argparse wraps at the terminal width
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: python -m numina_exp.evaluate.shard [-h] [--out OUT] paths [paths ...]\n")
    for line in (r"Merge the run dirs of a sharded evaluation into one\.", r"  paths\s+shard run dirs, or the sweep "
                 r"dir that holds them", r"  --out OUT\s+output run dir \(default: <first path>/merged\)"):
        assert re.search(f"^{line}$", text, re.M), line


def test_the_sweep_callback_merges_its_job_dirs_into_sweep_merged(sweep, tmp_path, capsys):
    """sweeps/eval_sharded.yaml's Hydra callback, called as Hydra calls it when the multirun ends."""
    from omegaconf import OmegaConf

    from numina_exp.evaluate.shard import MergeShards

    MergeShards().on_multirun_end(OmegaConf.create({"hydra": {"sweep": {"dir": str(sweep)}}}))
    results = json.loads((sweep / "merged" / "results.json").read_text())
    assert len(_records(sweep / "merged")) == 2 * len(PROBLEMS)
    assert capsys.readouterr().out == (f"[shards] merged 2 shards into {sweep / 'merged'}: accuracy "
                                       f"{100 * results['accuracy_mean']:.1f}% over seeds [0, 1]\n")
    empty = tmp_path / "no_shards"
    empty.mkdir()
    MergeShards().on_multirun_end(OmegaConf.create({"hydra": {"sweep": {"dir": str(empty)}}}))  # a sweep of other jobs
    assert list(empty.iterdir()) == [] and capsys.readouterr().out == ""
