"""Sampling through the replay backend with scripted copies whose answers are known: every label, every
completion and every statistic is exact; a run killed mid-way resumes to the same bytes."""
from __future__ import annotations

import json

import pytest
from helpers import compose_cfg
from kto_scripted import EXPECTED, PROBLEMS, code, expected_completion, final, write_fixtures

from numina_exp.decode import make_decoder
from numina_exp.evaluate.sampling import prompt_rows, sample
from numina_exp.grading import is_equivalent


def _grade(pred, gold):
    return is_equivalent(str(pred), str(gold), "math")


def _decoder(gens, k=4):
    cfg = compose_cfg(["decoding=sc_tir", f"decoding.n={k}", "decoding.m=3", "decoding.early_stop=none",
                       "decoding.temperature=0.8", "backend=replay", f"backend.path={gens}", "model=tiny_llama"])
    return make_decoder(cfg)


def test_labels_completions_and_stats_are_exact(tmp_path):
    _, gens = write_fixtures(tmp_path)
    problems, skipped = prompt_rows(PROBLEMS)
    assert [p["id"] for p in problems] == ["A", "B", "C"] and skipped == 1
    assert [p["answer"] for p in problems] == ["42", "7", "5"]
    with _decoder(gens) as dec:
        stats = sample(dec, problems, tmp_path / "run", k=4, seed=0, grade=_grade, skipped_no_gold=skipped, progress=False)
    rows = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert {(r["problem_id"], r["copy"]): (r["status"], r["label"]) for r in rows} == EXPECTED
    for r in rows:
        assert r["completion"] == expected_completion(r["problem_id"], r["copy"])
        assert r["prompt"] == f"### Problem: {PROBLEMS['ABC'.index(r['problem_id'])]['problem']}\n### Solution: "
    by = {(r["problem_id"], r["copy"]): r for r in rows}
    assert by[("A", 0)]["completion"] == code() + "42\n```" + final("42")  # the executed output is fed back
    assert by[("A", 2)]["completion"] == code() + "42\n```" + final("42")  # the text before the restart is gone
    assert by[("A", 1)]["answer"] == "41" and by[("A", 1)]["gold"] == "42"
    assert stats["rows"] == 12 and stats["desirable"] == 6 and stats["undesirable"] == 6 and stats["dropped"] == 0
    assert stats["status"] == {"answered": 10, "discarded": 1, "unfinished": 1}
    assert (stats["problems"], stats["skipped_no_gold"]) == (3, 1)
    assert (stats["problems_all_correct"], stats["problems_all_wrong"], stats["problems_mixed"]) == (1, 1, 1)
    assert stats["pass_at_k"] == pytest.approx(2 / 3)
    assert stats["tokens"] == sum(r["tokens"] for r in rows) > 0
    assert json.loads((tmp_path / "run" / "samples_stats.json").read_text()) == stats


def test_drop_rule_keeps_unanswered_copies_out_of_training(tmp_path):
    _, gens = write_fixtures(tmp_path)
    problems, _ = prompt_rows(PROBLEMS)
    with _decoder(gens) as dec:
        stats = sample(dec, problems, tmp_path / "run", k=4, seed=0, grade=_grade, unfinished_label="drop", progress=False)
    rows = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert [(r["problem_id"], r["copy"]) for r in rows if r["label"] is None] == [("A", 3), ("C", 3)]
    assert (stats["desirable"], stats["undesirable"], stats["dropped"]) == (6, 4, 2)
    assert "dropped" in stats["unfinished_label_rule"]


class _Crash(Exception):
    pass


def test_resume_after_a_crash_gives_the_same_files(tmp_path):
    _, gens = write_fixtures(tmp_path)
    problems, _ = prompt_rows(PROBLEMS)
    with _decoder(gens) as dec:
        sample(dec, problems, tmp_path / "whole", k=4, seed=0, grade=_grade, progress=False)
    run = tmp_path / "killed"
    calls = []

    def grade_then_die(pred, gold):  # dies while grading the second problem (after the first was written)
        calls.append(pred)
        if len(calls) > 5:
            raise _Crash
        return _grade(pred, gold)

    with _decoder(gens) as dec, pytest.raises(_Crash):
        sample(dec, problems, run, k=4, seed=0, grade=grade_then_die, progress=False)
    assert len((run / "samples.jsonl").read_text().splitlines()) == 4
    with open(run / "samples.jsonl", "a") as f:  # and a torn half-line, as a kill -9 mid-write leaves
        f.write('{"problem_id": "B", "prompt": "### Pro')
    with _decoder(gens) as dec:
        sample(dec, problems, run, k=4, seed=0, grade=_grade, progress=False)
    for name in ("samples.jsonl", "samples_stats.json", "generations.jsonl"):
        assert (run / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name


def test_reference_solution_joins_where_no_copy_was_right(tmp_path):
    _, gens = write_fixtures(tmp_path)
    problems, _ = prompt_rows(PROBLEMS)
    with _decoder(gens) as dec:
        stats = sample(dec, problems, tmp_path / "run", k=4, seed=0, grade=_grade, reference="all_wrong", progress=False)
    rows = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    refs = [r for r in rows if r["status"] == "reference"]
    assert [(r["problem_id"], r["copy"], r["label"]) for r in refs] == [("C", 4, True)]  # C: all four copies wrong
    assert refs[0]["completion"] == PROBLEMS[2]["solution"] and refs[0]["answer"] == "5"
    assert (stats["desirable"], stats["undesirable"], stats["reference_rows"]) == (7, 6, 1)
    assert stats["pass_at_k"] == pytest.approx(2 / 3) and stats["problems_all_wrong"] == 1  # the model's copies only
    with _decoder(gens) as dec:  # resumed with nothing to do: the reference row does not make C look incomplete
        again = sample(dec, problems, tmp_path / "run", k=4, seed=0, grade=_grade, reference="all_wrong", progress=False)
    assert again == stats


def test_a_copy_ending_on_a_restart_keeps_its_last_attempt():
    from numina_exp.generate.capture import copy_texts

    history = [{"step": 0, "event": "restart"}, {"step": 1, "event": "execute"}, {"step": 2, "event": "restart"}]
    records = {(0, 0): {"text": "no code", "exec": None}, (0, 1): {"text": code(), "exec": {"status": "ok", "feedback": "42"}},
               (0, 2): {"text": "then rambling", "exec": None}}
    assert copy_texts([{"copy": 0, "history": history}], records) == {0: code() + "42\n```" + "then rambling"}
