"""The acceptance command: method=evaluate re-decodes saved generations with the replay backend."""
import json

import pytest
from decode_scripted import code, final, records
from helpers import run_cli


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    d = tmp_path_factory.mktemp("acc")
    recs, probs = [], []
    for i, gold in enumerate(["42", "7", "100"]):
        pid = f"p{i}"
        probs.append({"id": pid, "problem": f"Problem {i}?", "answer": gold})
        # copies 1, 2, 4, 5 answer gold at step 1, copies 0 and 3 answer 5; all continue (recorded with
        # finish_on_answer=false) with another code block and a final 9
        script = {c: [code(), final(gold if c % 3 else "5"), code(), final("9")] for c in range(6)}
        recs += records(script, pid=pid, execs={(c, s): ("ok", "42") for c in range(6) for s in (0, 2)})
    (d / "generations.jsonl").write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    (d / "problems.jsonl").write_text("\n".join(json.dumps(p) for p in probs) + "\n")
    return d


def _run(saved, name, *extra):
    out = saved / name
    proc = run_cli(["method=evaluate", "decoding=sc_tir_numina", "backend=replay",
                    f"backend.path={saved / 'generations.jsonl'}", "eval=jsonl", f"eval.path={saved / 'problems.jsonl'}",
                    f"hydra.run.dir={out}", *extra], timeout=300)
    return proc, out


def _lines(out):
    return [json.loads(x) for x in (out / "per_problem.jsonl").read_text().splitlines()]


def test_acceptance_default_width(saved):
    proc, out = _run(saved, "full", "decoding.n=6")
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = _lines(out)
    assert [x["problem_id"] for x in lines] == ["p0", "p1", "p2"]
    for x in lines:
        assert {"problem_id", "answer", "votes", "copies"} <= set(x)
        assert len(x["copies"]) == 6
    assert [x["answer"] for x in lines] == [42, 7, 100]
    assert (out / "generations.jsonl").exists()


def test_acceptance_smaller_n_m_and_cleaned_notebook(saved):
    proc, out = _run(saved, "n4", "decoding.n=4")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert [x["answer"] for x in _lines(out)] == [5, 5, 5]  # 2-2 tie: copy 0 (5) is first in the pool
    proc, out = _run(saved, "m1", "decoding.n=6", "decoding.m=1")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert [x["answer"] for x in _lines(out)] == [0, 0, 0]  # nothing can finish at step 0
    proc, out = _run(saved, "clean", "decoding.n=6", "decoding.finish_on_answer=false")
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = _lines(out)
    assert [x["answer"] for x in lines] == [9, 9, 9] and lines[0]["votes"] == {"9": 6}


def test_acceptance_beyond_the_file_is_a_clear_error(saved):
    proc, _ = _run(saved, "wide", "decoding.n=7")
    assert proc.returncode != 0
    # caught at validation, before any decoding: the error names the key and the file's width
    assert "config error at `decoding.n`" in proc.stderr and "holds only 6 copies" in proc.stderr
