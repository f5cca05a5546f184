"""Recorded real TIR generations that the benchmarks replay (no model needed).

A recording is a folder with `problems.jsonl` (id, problem, answer) and `generations.jsonl` (the
generation-log format, docs/generation_log.md). The shipped one is ToRA-70B's greedy TIR completions
on 176 GSM8K test problems (numina_exp/models/recordings/tora70b_gsm8k, built by build_tora_replay.py):
one copy per problem, one python block each. Any evaluation run directory of your own also works
(its per_problem.jsonl gives ids and gold answers, the problems come from the shipped suites).

`bundle()` regroups single-copy problems into N-copy SC-TIR workloads for the timing benchmarks: copy
i of bundle b is problem b*N+i. The texts and the code are real; a bundle's vote is meaningless (its
copies answer different problems), which is why only timings and the agreement of two runs on the same
bundles are reported from it."""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
TORA = REPO / "numina_exp" / "models" / "recordings" / "tora70b_gsm8k"


@dataclass
class Recording:
    name: str
    generations: list
    problems: list  # [{id, problem, answer}]

    @property
    def n(self) -> int:
        return 1 + max(int(g["copy"]) for g in self.generations)

    @property
    def m(self) -> int:
        return 1 + max(int(g["step"]) for g in self.generations)


def load_recording(path: str | Path = TORA) -> Recording:
    from numina_exp.decode import read_generations

    path = Path(path)
    gens = read_generations(path / "generations.jsonl")
    if (path / "problems.jsonl").exists():
        problems = [json.loads(line) for line in (path / "problems.jsonl").read_text().splitlines() if line.strip()]
    else:  # an evaluation run dir
        from numina_exp.evaluate.suites import load_suite
        recs = [json.loads(line) for line in (path / "per_problem.jsonl").read_text().splitlines() if line.strip()]
        by_id = {r["id"]: r for r in load_suite({"name": "gsm8k", "path": str(REPO / "numina_exp/data/suites/gsm8k.jsonl")})}
        problems = [{"id": r["problem_id"], "problem": by_id[r["problem_id"]]["problem"], "answer": r["gold"]} for r in recs]
    return Recording(path.name, gens, problems)


def bundle(rec: Recording, width: int, count: int | None = None) -> Recording:
    """N-copy workloads from single-copy problems (see the module doc)."""
    ids = [p["id"] for p in rec.problems]
    count = count or len(ids) // width
    slot = {pid: (b, i) for b in range(count) for i, pid in enumerate(ids[b * width:(b + 1) * width])}
    gens = [{**g, "problem_id": f"bundle{slot[g['problem_id']][0]}", "copy": slot[g["problem_id"]][1]}
            for g in rec.generations if g["problem_id"] in slot]
    problems = [{"id": f"bundle{b}", "problem": "(a bundle of recorded copies)", "answer": None} for b in range(count)]
    return Recording(f"{rec.name} in bundles of {width}", gens, problems)


def compose(overrides: list[str]):
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from numina_exp.methods import register_configs

    register_configs()
    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        return hydra_compose(config_name="config", overrides=overrides)


def replay_cfg(rec: Recording, overrides: list[str]):
    """SC-TIR over a recording: the width and depth it covers, GSM8K answers grouped by value."""
    return compose(["experiment=eval_sc_tir", f"decoding.n={rec.n}", f"decoding.m={max(rec.m, 2)}", "decoding.vote_equivalence=math",
                    "decoding.pipelining=false", "decoding.early_stop=none", "backend=replay", "backend.path=unused", *overrides])


def cfg_for_model(name: str):
    return compose([f"model={name}"])
