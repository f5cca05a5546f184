"""greedy and maj_k decode through the replay backend: the evaluation built from the config alone
(the decoder and its backend from cfg.backend), answers extracted per sample and voted."""
import json

import pytest
from helpers import compose_cfg

from numina_exp.evaluate.runner import run

# problem -> the samples' texts (copy j = sample j) and what maj@4 / greedy must answer
SAMPLES = {
    "p1": (["so $\\boxed{12}$.", "hence \\boxed{12}", "\\boxed{7}", "no idea"], "12"),  # 2 votes beat 1
    "p2": (["\\boxed{3}", "\\boxed{5}", "\\boxed{5}", "\\boxed{3}"], {"first_seen": "3", "smallest": "3"}),
    "p3": (["\\boxed{9}", "\\boxed{4}", "\\boxed{4}", "\\boxed{9}"], {"first_seen": "9", "smallest": "4"}),
    "p4": (["\\boxed{-2}", "\\boxed{2.6}", "\\boxed{3}", "nothing"], "3"),  # -2 dropped; 2.6 rounds to 3
    "p5": (["no box at all", "still none", "", "nope"], "0"),  # no valid answer -> 0
}
GOLD = {"p1": "12", "p2": "3", "p3": "4", "p4": "3", "p5": "1"}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("gm")
    with open(d / "generations.jsonl", "w") as f:
        for pid, (texts, _) in SAMPLES.items():
            for j, t in enumerate(texts):
                f.write(json.dumps({"problem_id": pid, "copy": j, "step": 0, "text": t, "num_tokens": 5 + j,
                                    "finish_reason": "eos", "exec": None}) + "\n")
    with open(d / "suite.jsonl", "w") as f:
        for pid in SAMPLES:
            f.write(json.dumps({"id": pid, "problem": f"Problem {pid}?", "answer": GOLD[pid]}) + "\n")
    return d


def _records(run_dir):
    return {r["problem_id"]: r for r in map(json.loads, (run_dir / "per_problem.jsonl").read_text().splitlines())}


@pytest.mark.parametrize("tie_break", ["first_seen", "smallest"])
def test_maj_k_votes_over_replayed_samples(files, tmp_path, tie_break):
    cfg = compose_cfg(["method=evaluate", "decoding=maj_k", "decoding.n=4", f"decoding.tie_break={tie_break}",
                       "backend=replay", f"backend.path={files / 'generations.jsonl'}", "eval=jsonl",
                       f"eval.path={files / 'suite.jsonl'}", "eval.progress=false"])
    summary = run(cfg, tmp_path)
    recs = _records(tmp_path)
    for pid, (_, want) in SAMPLES.items():
        want = want[tie_break] if isinstance(want, dict) else want
        r = recs[pid]
        assert str(r["answer"]) == want, (pid, r["votes"])
        assert r["n"] == 4 and r["m"] == 1 and len(r["copies"]) == 4
        assert r["tokens"] == sum(5 + j for j in range(4))
        assert r["correct"] == (want == GOLD[pid])
    assert recs["p1"]["votes"] == {"12": 2, "7": 1} and recs["p4"]["votes"] == {"3": 2}
    assert [c["answer"] for c in recs["p4"]["copies"]] == ["-2", "2.6", "3", None]
    assert summary["problems"] == 5
    # the run's own log replays as the input did: one line per sample, same texts
    log = [json.loads(line) for line in (tmp_path / "generations.jsonl").read_text().splitlines()]
    assert sorted((r["problem_id"], r["copy"], r["text"]) for r in log) == \
        sorted((pid, j, t) for pid, (texts, _) in SAMPLES.items() for j, t in enumerate(texts))


def test_greedy_answers_the_first_sample(files, tmp_path):
    cfg = compose_cfg(["method=evaluate", "decoding=greedy", "backend=replay", f"backend.path={files / 'generations.jsonl'}",
                       "eval=jsonl", f"eval.path={files / 'suite.jsonl'}", "eval.progress=false"])
    run(cfg, tmp_path)
    recs = _records(tmp_path)
    assert {pid: str(r["answer"]) for pid, r in recs.items()} == {"p1": "12", "p2": "3", "p3": "9", "p4": "0", "p5": "0"}
    assert all(len(r["copies"]) == 1 and r["n"] == 1 for r in recs.values())
    assert [pid for pid, r in recs.items() if r["correct"]] == ["p1", "p2"]
