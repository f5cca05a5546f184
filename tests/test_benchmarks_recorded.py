"""benchmarks/recorded.load_recordings on an evaluation run dir: every seed's generation log, replayed with its
own seed, on the run's own suite and decoding settings (what early_stop_curves.py --run pools)."""
import json
import shutil
import sys
from pathlib import Path

import pytest
from helpers import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
from early_stop_curves import real_rows, sequential_run_rows  # noqa: E402
from recorded import RecordingError, load_recordings, replay_cfg  # noqa: E402

SUITE = [{"id": "p1", "problem": "What is 2+3?", "answer": 5}, {"id": "p2", "problem": "What is 2*4?", "answer": 8},
         {"id": "p3", "problem": "An unused problem.", "answer": 1}]
# seed -> problem -> the two copies' one-step texts: seed 1 answers p1 wrongly, so the seeds are told apart
ANSWERS = {0: {"p1": ("5", "5"), "p2": ("8", "8")}, 1: {"p1": ("7", "7"), "p2": ("8", "9")}}
TOKENS = {0: 10, 1: 20}  # every segment of a seed's log (per_problem: every copy)


def _lines(rows) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def _run_dir(tmp: Path, suite=SUITE) -> Path:
    (tmp / "suite.jsonl").write_text(_lines(suite))
    run = tmp / "run"
    run.mkdir()
    (run / "resolved_config.yaml").write_text(
        "decoding:\n  strategy: sc_tir\n  n: 2\n  m: 2\n  vote_equivalence: integer\n  tie_break: first_seen\n"
        "  answer_rule: numina\n  early_stop: none\n  pipelining: true\n"
        f"eval:\n  name: tiny\n  path: {tmp / 'suite.jsonl'}\n  answer_kind: integer\n  limit: null\n  shuffle_seed: null\n")
    per_problem = []
    for seed, by_pid in ANSWERS.items():
        # each copy runs one program (its recorded result) and then answers, as SC-TIR copies do
        gens = [g for pid, answers in by_pid.items() for c, a in enumerate(answers) for g in (
            {"problem_id": pid, "copy": c, "step": 0, "text": f"```python\nprint({a})\n```\n```output\n",
             "num_tokens": TOKENS[seed], "finish_reason": "stop", "exec": {"status": "ok", "feedback": a}},
            {"problem_id": pid, "copy": c, "step": 1, "text": f"\nSo the answer is $\\boxed{{{a}}}$.",
             "num_tokens": TOKENS[seed], "finish_reason": "eos", "exec": None})]
        (run / f"generations.seed{seed}.jsonl").write_text(_lines(gens))
        gold = {r["id"]: r["answer"] for r in SUITE}
        per_problem += [{"problem_id": pid, "seed": seed, "gold": str(gold[pid]), "answer": int(a[0]),
                         "correct": int(a[0]) == gold[pid], "pool_order": [0, 1],
                         "copies": [{"copy": c, "status": "answered", "value": int(v), "tokens": TOKENS[seed]}
                                    for c, v in enumerate(a)]} for pid, a in by_pid.items()]
    (run / "per_problem.jsonl").write_text(_lines(per_problem))
    return run


def test_every_seed_is_loaded_from_its_own_log_on_the_runs_suite(tmp_path):
    recs = load_recordings(_run_dir(tmp_path))
    assert [r.seed for r in recs] == [0, 1]
    for rec in recs:
        assert {g["num_tokens"] for g in rec.generations} == {TOKENS[rec.seed]}  # this seed's file, not another's
        assert rec.problems == [{"id": "p1", "problem": "What is 2+3?", "answer": "5"},
                                {"id": "p2", "problem": "What is 2*4?", "answer": "8"}]
        assert rec.answer_kind == "integer" and (rec.n, rec.m) == (2, 2)
    # the run's own decoding settings, not the replay's defaults (vote_equivalence=math)
    assert str(replay_cfg(recs[0], []).decoding.vote_equivalence) in ("integer", "VoteEquivalence.integer")


def test_pooled_replay_gives_each_seeds_recorded_answers(tmp_path):
    _, rows = real_rows(str(_run_dir(tmp_path)))
    none = rows[0]
    assert none["setting"] == "none" and none["problems"] == 4
    assert none["answers"] == {(0, "p1"): 5, (0, "p2"): 8, (1, "p1"): 7, (1, "p2"): 8}
    assert none["accuracy"] == 0.75 and none["tokens"] == 8 * 10 + 8 * 20  # 4 segments a problem


def test_a_missing_seed_log_is_an_error_not_a_smaller_run(tmp_path):
    run = _run_dir(tmp_path)
    (run / "generations.seed1.jsonl").unlink()
    with pytest.raises(RecordingError, match=r"seeds \[0, 1\].*generations.seed1.jsonl"):
        load_recordings(run)


def test_a_suite_that_is_not_the_runs_is_refused(tmp_path):
    other = [{**r, "answer": r["answer"] + 1} for r in SUITE]  # same ids, other problems
    with pytest.raises(RecordingError, match="not the suite the run evaluated"):
        load_recordings(_run_dir(tmp_path, suite=other))


def test_shipped_mini_aimo_run_finds_its_suite_in_this_checkout(tmp_path):
    """eval.path names the machine that ran it: the same file is found under this checkout's numina_exp/."""
    src = REPO / "benchmarks" / "data" / "mini_aimo_sc_tir_n8m4"
    run = tmp_path / "run"
    shutil.copytree(src, run)
    cfg = (run / "resolved_config.yaml").read_text()
    path_line = next(line for line in cfg.splitlines() if line.strip().startswith("path:") and "mini_aimo" in line)
    (run / "resolved_config.yaml").write_text(cfg.replace(path_line, "  path: /nowhere/numina_exp/data/mini_aimo/test.jsonl"))
    recs = load_recordings(run)
    assert [r.seed for r in recs] == [0, 1, 2] and all(len(r.problems) == 40 for r in recs)
    suite = {json.loads(line)["id"]: json.loads(line) for line in
             (REPO / "numina_exp/data/mini_aimo/test.jsonl").read_text().splitlines() if line.strip()}
    assert all(p["problem"] == suite[p["id"]]["problem"] for r in recs for p in r.problems)


def test_sequential_lossless_stops_after_the_first_copy_that_fixes_the_winner(tmp_path):
    """Two copies, first-seen tie-break: one drawn vote can no longer be beaten, so lossless draws one copy."""
    _, rows = sequential_run_rows(str(_run_dir(tmp_path)))
    none, lossless = rows[0], rows[1]
    assert none["answers"] == {(0, "p1"): 5, (0, "p2"): 8, (1, "p1"): 7, (1, "p2"): 8} and none["tokens"] == 120
    assert lossless["setting"] == "lossless" and lossless["answers"] == none["answers"]
    assert lossless["tokens"] == 60 and lossless["stopped"] == 4
