"""Resuming with a progress bar when a seed is already complete. The runner builds its decoder only when
a seed has problems left, so a resume whose first seed is done reaches that seed with no decoder at all;
the progress bar then must not touch it. Found by a real resume (an N=16 Mini-AIMO recording extended
from seed 0 to seeds 0 and 1 crashed with AttributeError: 'NoneType' object has no attribute
'on_progress'); the other resume tests pass their own decoder, or turn the bar off."""
from __future__ import annotations

import json

from eval_scripted import replay_lines, write_jsonl
from helpers import compose_cfg

from numina_exp.evaluate import load_suite, suite_config
from numina_exp.evaluate.runner import run


def _cfg(replay, run_dir, seeds):
    return compose_cfg(["method=evaluate", "decoding=sc_tir_numina", "decoding.n=4", "decoding.m=4", "backend=replay",
                        f"backend.path={replay}", "eval=aimo_val", "eval.limit=3", f"eval.seeds={seeds}",
                        "eval.progress=true", f"hydra.run.dir={run_dir}"])


def test_adding_a_seed_to_a_finished_run_resumes_with_the_progress_bar_on(tmp_path, capsys):
    suite = suite_config("aimo_val")
    suite.limit = 3
    replay = tmp_path / "generations.jsonl"
    write_jsonl(replay, replay_lines(load_suite(suite), n=4, m=4))
    run_dir = tmp_path / "run"
    first = run(_cfg(replay, run_dir, "[0]"), run_dir)
    both = run(_cfg(replay, run_dir, "[0,1]"), run_dir)  # seed 0 complete: no decoder until seed 1
    out = capsys.readouterr().out
    assert "[eval] seed 0 (1/2): " in out and "(all resumed)" in out
    assert both["per_seed"]["0"] == first["per_seed"]["0"]
    lines = [json.loads(x) for x in (run_dir / "per_problem.jsonl").read_text().splitlines()]
    assert sorted((r["seed"], r["problem_id"]) for r in lines) == sorted(
        (s, r["id"]) for s in (0, 1) for r in load_suite(suite))
    again = run(_cfg(replay, run_dir, "[0,1]"), run_dir)  # every seed complete: no decoder at all
    assert again["per_seed"] == both["per_seed"]
