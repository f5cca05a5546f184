"""Recorded real TIR generations that the benchmarks replay (no model needed).

A recording is a folder with `problems.jsonl` (id, problem, answer) and `generations.jsonl` (the
generation-log format, docs/generation_log.md). The shipped one is ToRA-70B's greedy TIR completions
on 176 GSM8K test problems (numina_exp/models/recordings/tora70b_gsm8k, built by build_tora_replay.py):
one copy per problem, one python block each. Any evaluation run directory of your own also works
(load_recordings: one Recording per seed, from generations.jsonl or generations.seed<S>.jsonl; its
per_problem.jsonl gives ids, seeds and gold answers; its resolved_config.yaml gives the suite the
problems come from and the decoding settings a replay re-decodes them with).

`bundle()` regroups single-copy problems into N-copy SC-TIR workloads for the timing benchmarks: copy
i of bundle b is problem b*N+i. The texts and the code are real; a bundle's vote is meaningless (its
copies answer different problems), which is why only timings and the agreement of two runs on the same
bundles are reported from it."""
from __future__ import annotations

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
    seed: int = 0  # the run seed the texts were sampled with (a replay decodes with it: tie_break=random votes use it)
    decoding: dict | None = None  # the run's own `decoding` config (an evaluation run dir), or None
    answer_kind: str = "numeric"  # how answers are graded (the run's eval.answer_kind)
    answers: dict | None = None  # problem id -> the answer the recorded run gave (per_problem.jsonl)

    @property
    def n(self) -> int:
        if self.decoding:
            return int(self.decoding["n"])
        return 1 + max(int(g["copy"]) for g in self.generations)

    @property
    def m(self) -> int:
        if self.decoding:
            return int(self.decoding["m"])
        return 1 + max(int(g["step"]) for g in self.generations)


class RecordingError(ValueError):
    """A folder that is not a usable recording; the message names the file and the fix."""


def jsonl_rows(path: Path) -> list[dict]:
    from numina_exp.core.io import read_jsonl  # names file and line on a bad one; a torn last line is refused too

    return read_jsonl(path, torn_tail_ok=False)


def load_recording(path: str | Path = TORA) -> Recording:
    """The one recording in `path` (a single-seed folder; load_recordings for an evaluation run of several seeds)."""
    recs = load_recordings(path)
    if len(recs) != 1:
        raise RecordingError(f"{path} holds {len(recs)} seeds ({[r.seed for r in recs]}); this benchmark replays one: "
                             "use recorded.load_recordings, or a run dir of one seed")
    return recs[0]


def load_recordings(path: str | Path = TORA) -> list[Recording]:
    """One Recording per seed of `path`: a folder with problems.jsonl + generations.jsonl (one seed, 0), or an
    evaluation run dir (per_problem.jsonl, generations.jsonl or generations.seed<S>.jsonl, resolved_config.yaml)."""
    from numina_exp.decode import read_generations

    path = Path(path)
    if (path / "problems.jsonl").exists():
        return [Recording(path.name, read_generations(path / "generations.jsonl"), jsonl_rows(path / "problems.jsonl"))]
    if not (path / "per_problem.jsonl").exists():
        raise RecordingError(f"{path}: neither problems.jsonl (a recording) nor per_problem.jsonl (an evaluation run dir)")
    records = jsonl_rows(path / "per_problem.jsonl")
    run_cfg = _run_config(path)
    seeds = sorted({int(r.get("seed", 0)) for r in records})
    logs = {s: path / ("generations.jsonl" if len(seeds) == 1 else f"generations.seed{s}.jsonl") for s in seeds}
    on_disk = sorted(int(p.name[len("generations.seed"):-len(".jsonl")]) for p in path.glob("generations.seed*.jsonl"))
    missing = [str(p) for p in logs.values() if not p.exists()]
    if missing or (len(seeds) > 1 and on_disk != seeds):
        raise RecordingError(f"{path}: per_problem.jsonl has seeds {seeds} but the generation logs are for "
                             f"{on_disk or 'one seed (generations.jsonl)'} (missing: {missing}); copy every seed's "
                             "generations.seed<S>.jsonl of the run, or drop that seed's lines from per_problem.jsonl")
    by_id = _suite_rows(path, run_cfg)
    out = []
    for s in seeds:
        problems, answers = [], {}
        for r in (r for r in records if int(r.get("seed", 0)) == s):
            pid = str(r["problem_id"])
            row = by_id.get(pid)
            if row is None or str(row["answer"]) != str(r["gold"]):
                why = "has no problem" if row is None else f"gives the answer {row['answer']!r}, the run graded against {r['gold']!r}, for"
                raise RecordingError(f"{path}: the suite {why} {pid!r}: it is not the suite the run evaluated; point the "
                                     "run's resolved_config.yaml eval.path at that suite's file")
            problems.append({"id": pid, "problem": row["problem"], "answer": r["gold"]})
            answers[pid] = r.get("answer")
        gens = read_generations(logs[s])
        if {str(g["problem_id"]) for g in gens} != {p["id"] for p in problems}:
            raise RecordingError(f"{logs[s]}: its problems differ from per_problem.jsonl's for seed {s}: not this run's log")
        out.append(Recording(path.name, gens, problems, seed=s, answers=answers,
                             decoding=dict(run_cfg["decoding"]) if run_cfg else None,
                             answer_kind=str(run_cfg["eval"]["answer_kind"]) if run_cfg else "numeric"))
    return out


def _run_config(path: Path) -> dict | None:
    """The run's resolved_config.yaml as a dict (None for a run dir without one: GSM8K, math votes, as before)."""
    from omegaconf import OmegaConf

    f = path / "resolved_config.yaml"
    return OmegaConf.to_container(OmegaConf.load(f), resolve=False) if f.exists() else None


def _suite_rows(path: Path, run_cfg: dict | None) -> dict:
    """id -> suite row, from the run's own eval config. eval.path is absolute on the machine that ran it: when
    it is not here, the same file in this checkout (the part from numina_exp/ on), else the suite's shipped
    file (conf/eval/<eval.name>.yaml)."""
    from numina_exp.evaluate.suites import load_suite, suite_config

    if run_cfg is None:  # a run dir from before resolved_config.yaml was kept: the GSM8K runs
        return {r["id"]: r for r in load_suite({"name": "gsm8k", "path": str(REPO / "numina_exp/data/suites/gsm8k.jsonl")})}
    e = dict(run_cfg["eval"])
    given = str(e.get("path") or "")
    if given and not Path(given).exists():
        here = REPO / given[given.rindex("numina_exp/"):] if "numina_exp/" in given else None
        if here is not None and here.exists():
            e["path"] = str(here)
        else:
            try:
                e["path"] = str(suite_config(str(e["name"])).path)
            except ValueError as err:
                raise RecordingError(f"{path}/resolved_config.yaml: eval.path {given} is not on this machine and "
                                     f"eval.name {e['name']!r} is no shipped suite ({err}); set eval.path to the suite file") from None
    return {r["id"]: r for r in load_suite(e)}


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


# decoding keys a replay never takes from the recorded run: the strategy is sc_tir (it makes sc_tir_numina's
# decisions and has early stop), the early-stop rule is what the benchmarks vary, and scheduling cannot change
# a replay's texts or decisions (per-request keys), so the barrier loop is used
NOT_REPLAYED = {"strategy", "early_stop", "early_stop_threshold", "early_stop_posterior", "pipelining", "problems_in_flight"}


def replay_cfg(rec: Recording, overrides: list[str]):
    """SC-TIR over a recording: the width and depth it covers. An evaluation run's own decoding settings
    (vote_equivalence, tie_break, answer_rule, ...) are kept unless `overrides` names them; a recording
    without them groups GSM8K answers by value (vote_equivalence=math)."""
    from omegaconf import OmegaConf

    cfg = compose(["experiment=eval_sc_tir", f"decoding.n={rec.n}", f"decoding.m={max(rec.m, 2)}", "decoding.vote_equivalence=math",
                   "decoding.pipelining=false", "decoding.early_stop=none", "backend=replay", "backend.path=unused", *overrides])
    named = {o.split("=", 1)[0].lstrip("+~") for o in overrides}
    for key, value in (rec.decoding or {}).items():
        if key not in NOT_REPLAYED and key not in ("n", "m") and f"decoding.{key}" not in named:
            OmegaConf.update(cfg, f"decoding.{key}", value, merge=False)
    return cfg


def cfg_for_model(name: str):
    return compose([f"model={name}"])
