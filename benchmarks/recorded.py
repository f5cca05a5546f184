"""Recorded SC-TIR runs that the benchmarks replay (no model needed): a run directory's
generations.jsonl + per_problem.jsonl, with the problems taken from the shipped suite by id.

benchmarks/data/<name>/ holds small recordings committed with their provenance (PROVENANCE.md);
any evaluation run directory of your own works the same way (`--run DIR`)."""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATA = Path(__file__).resolve().parent / "data"


@dataclass
class Recording:
    name: str
    generations: list  # generation-log lines
    records: list  # per_problem.jsonl lines (one seed)
    problems: list  # [{id, problem, answer}] in the recorded order
    config: dict  # the recorded run's resolved config (decoding, model, eval)

    @property
    def n(self) -> int:
        return int(self.config["decoding"]["n"])

    @property
    def m(self) -> int:
        return int(self.config["decoding"]["m"])

    @property
    def tokens_per_s(self) -> float:
        """The engine's measured generation speed in the recorded run (tokens / generation seconds)."""
        gen = sum(float(r.get("generation_s") or 0.0) for r in self.records)
        return sum(int(r.get("tokens") or 0) for r in self.records) / max(gen, 1e-9)


def load_recording(run: str | Path) -> Recording:
    import yaml

    from numina_exp.decode import read_generations
    from numina_exp.evaluate.suites import load_suite

    run = Path(run)
    if not run.is_dir() and (DATA / str(run)).is_dir():
        run = DATA / str(run)
    log = run / "generations.jsonl"
    if not log.exists():
        raise FileNotFoundError(f"{run}: no generations.jsonl (record one with method=evaluate, one seed)")
    config = yaml.safe_load((run / "resolved_config.yaml").read_text())
    records = [json.loads(line) for line in (run / "per_problem.jsonl").read_text().splitlines() if line.strip()]
    ev = dict(config["eval"])
    ev.update(limit=None, shuffle_seed=None, exclude_problems_in=[])
    by_id = {r["id"]: r for r in load_suite(ev)}
    problems = [{"id": r["problem_id"], "problem": by_id[r["problem_id"]]["problem"], "answer": r["gold"]} for r in records]
    return Recording(run.name, read_generations(log), records, problems, config)


def cfg_for(rec: Recording, overrides: list[str]):
    """The recorded run's decoding and chat template, with the benchmark's overrides on top."""
    from hydra import compose, initialize_config_dir

    import numina_exp.config  # noqa: F401

    d = rec.config["decoding"]
    base = [f"model={rec.config['model']['name']}", "model.path=null", f"model.chat_template={rec.config['model']['chat_template']}",
            "decoding=sc_tir", f"decoding.n={d['n']}", f"decoding.m={d['m']}", f"decoding.temperature={d['temperature']}",
            f"decoding.max_new_tokens={d['max_new_tokens']}", f"decoding.finish_on_answer={d['finish_on_answer']}",
            "decoding.pipelining=false", "decoding.early_stop=none", f"eval={rec.config['eval']['name']}",
            "sandbox=numina", "backend=replay", "backend.path=unused"]
    with initialize_config_dir(config_dir=str(REPO / "numina_exp" / "conf"), version_base="1.3"):
        return compose(config_name="config", overrides=base + overrides)
