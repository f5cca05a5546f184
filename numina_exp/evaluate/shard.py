"""Sharded evaluation: one suite split by problem range over several jobs (a Slurm job array), merged
back into one run directory equal to a single-process run of the same seeds.

    python -m numina_exp -m hydra/launcher=slurm_cpu +experiment=eval_sc_tir \
        eval.num_shards=4 eval.shard_index=0,1,2,3        # one array job per contiguous problem range
    python -m numina_exp.evaluate.shard multirun/eval_sc_tir/<time> [--out DIR]   # merge (default DIR: <sweep>/merged)

`sweeps/eval_sharded.yaml` does both in one command (its Hydra callback merges when the sweep ends).

Why the merge is exact: every sampling seed derives from the run seed, problem, copy and step — never
from a problem's position in the job — so a problem decodes the same in any shard. A shard writes the
usual run directory (resumable like any evaluation) plus `shard.json` (its index, range and ids). The
merge checks that the shards are one partition of the suite (every index once, the same plan, every
(seed, problem) graded), concatenates their records in suite order, and recomputes the summary, the
N x M grid and the report from the merged records with the same code a single run uses."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Iterable

from omegaconf import DictConfig, OmegaConf, open_dict

from numina_exp.config.validate import check_shard_keys
from numina_exp.core.errors import ConfigError
from numina_exp.core.io import atomic_write_jsonl, atomic_write_text, read_jsonl

from .plan import write_plan
from .store import ResultStore
from .suites import load_suite

SHARD_FILE = "shard.json"


class ShardError(RuntimeError):
    pass


def shard_bounds(total: int, index: int, num_shards: int) -> tuple[int, int]:
    """[start, end) of shard `index`: contiguous ranges whose sizes differ by at most one."""
    return index * total // num_shards, (index + 1) * total // num_shards


def select_shard(rows: list[dict], e: Any, run_dir: Path | None = None) -> list[dict]:
    """This job's problems (all of them when eval.num_shards == 1); writes shard.json into run_dir."""
    check_shard_keys(e)
    k, i = int(e.num_shards), int(e.shard_index)
    if k == 1:
        return rows
    if k > len(rows):
        raise ConfigError("eval.num_shards", f"{k} shards for {len(rows)} problems leaves some empty",
                          f"use at most {len(rows)} shards")
    start, end = shard_bounds(len(rows), i, k)
    part = rows[start:end]
    if run_dir is not None:
        info = {"shard_index": i, "num_shards": k, "start": start, "end": end, "total": len(rows),
                "ids": [r["id"] for r in part]}
        atomic_write_text(Path(run_dir) / SHARD_FILE, json.dumps(info, indent=1) + "\n")
    return part


# --- merge -----------------------------------------------------------------------------------------

def find_shards(paths: Iterable[str | Path]) -> list[Path]:
    """Shard run dirs: each path is one (it holds shard.json) or a sweep dir whose sub-dirs are."""
    out = []
    for p in map(Path, paths):
        if (p / SHARD_FILE).exists():
            out.append(p)
        elif p.is_dir():
            out += sorted(d for d in p.iterdir() if (d / SHARD_FILE).exists())
    return out


def _unsharded_cfg(cfg: DictConfig) -> DictConfig:
    cfg = cfg.copy()
    with open_dict(cfg):
        cfg.eval.shard_index = 0
        cfg.eval.num_shards = 1
    return cfg


def _unsharded_plan(plan: dict) -> dict:
    """The plan a single process would have written: the shard keys (if the plan records them) only
    choose which problems a job runs, never how a problem is decided."""
    plan = {k: v for k, v in plan.items() if k != "plan_sha256"}  # a hash over the shard keys too
    ev = plan.get("eval")
    if isinstance(ev, dict) and "num_shards" in ev:
        plan = {**plan, "eval": {**ev, "shard_index": 0, "num_shards": 1}}
    return plan


def merge_shards(shard_dirs: list[Path], out_dir: Path) -> dict:
    """Merge complete shards into out_dir (per_problem.jsonl, generations logs, eval_plan.json,
    results.json, nm_grid.*, report.md, shards.json); returns the summary."""
    from numina_exp.report.eval_report import write_report

    from .summary import summarize

    if not shard_dirs:
        raise ShardError("no shard run dirs found (a shard holds shard.json; pass shard dirs or their sweep dir)")
    infos = {}
    for d in shard_dirs:
        info = json.loads((d / SHARD_FILE).read_text())
        if info["shard_index"] in infos:
            raise ShardError(f"shard {info['shard_index']} appears twice: {infos[info['shard_index']][0]} and {d}")
        infos[info["shard_index"]] = (d, info)
    k = {info["num_shards"] for _, info in infos.values()}
    if len(k) != 1:
        raise ShardError(f"shards of different splits (num_shards {sorted(k)}) cannot be merged")
    k = k.pop()
    missing = sorted(set(range(k)) - set(infos))
    if missing:
        raise ShardError(f"shards {missing} of {k} are missing: run them (eval.shard_index={','.join(map(str, missing))})")
    ordered = [infos[i][0] for i in range(k)]
    plans = [_unsharded_plan(json.loads((d / "eval_plan.json").read_text())) for d in ordered]
    if any(p != plans[0] for p in plans):
        raise ShardError("the shards evaluated different plans (eval_plan.json differs): same decoding, model and suite needed")

    cfg = _unsharded_cfg(OmegaConf.load(ordered[0] / "resolved_config.yaml"))
    rows = load_suite(cfg.eval)
    ids = [i for d in ordered for i in infos_ids(d)]
    if ids != [r["id"] for r in rows]:
        raise ShardError(f"the shards' problems are not the suite {cfg.eval.name} in order "
                         f"({len(ids)} shard ids vs {len(rows)} suite rows): were they run from another suite file?")
    seeds = [int(s) for s in cfg.eval.seeds]
    records: dict[tuple, dict] = {}
    for d in ordered:
        store = ResultStore(d / "per_problem.jsonl")
        want = {(s, i) for s in seeds for i in infos_ids(d)}
        lacking = want - set(store.records)
        if lacking:
            raise ShardError(f"{d} is incomplete ({len(lacking)} of {len(want)} (seed, problem) results missing): "
                             f"rerun that shard with the same hydra.run.dir (it resumes)")
        records.update({key: store.records[key] for key in want})

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    order = [(s, r["id"]) for s in seeds for r in rows]
    merged = [records[key] for key in order]
    atomic_write_jsonl(out_dir / "per_problem.jsonl", merged)
    for log in sorted({p.name for d in ordered for p in d.glob("generations*.jsonl")}):
        lines = [line for d in ordered if (d / log).exists() for line in read_jsonl(d / log)]  # shard order = suite order
        atomic_write_jsonl(out_dir / log, lines)
    write_plan(out_dir, plans[0])
    atomic_write_text(out_dir / "resolved_config.yaml", OmegaConf.to_yaml(cfg, resolve=True))
    atomic_write_text(out_dir / "shards.json", json.dumps(
        [{"run_dir": str(d), **{k2: v for k2, v in infos[i][1].items() if k2 != "ids"}} for i, d in enumerate(ordered)],
        indent=1) + "\n")
    summary = summarize(merged, cfg, seeds, rows)
    summary["timing"] = {"problem_seconds_total": sum(r.get("seconds", 0.0) for r in merged),
                         "shards": len(ordered)}
    write_report(out_dir, summary, merged)
    return summary


def infos_ids(run_dir: Path) -> list[str]:
    return json.loads((Path(run_dir) / SHARD_FILE).read_text())["ids"]


try:  # a Hydra callback, so that a sharded sweep merges itself when its last job is done
    from hydra.experimental.callback import Callback
except ImportError:  # pragma: no cover - hydra is a dependency
    Callback = object


class MergeShards(Callback):
    """`hydra.callbacks.merge_shards._target_: numina_exp.evaluate.shard.MergeShards` (sweeps/eval_sharded.yaml):
    after a multirun over eval.shard_index, merge its job dirs into <sweep dir>/merged."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep = Path(config.hydra.sweep.dir)
        shards = find_shards([sweep])
        if shards:
            summary = merge_shards(shards, sweep / "merged")
            print(f"[shards] merged {len(shards)} shards into {sweep / 'merged'}: "
                  f"accuracy {100 * summary['accuracy_mean']:.1f}% over seeds {summary['seeds']}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m numina_exp.evaluate.shard",
                                 description="Merge the run dirs of a sharded evaluation into one.")
    ap.add_argument("paths", nargs="+", help="shard run dirs, or the sweep dir that holds them")
    ap.add_argument("--out", help="output run dir (default: <first path>/merged)")
    args = ap.parse_args(argv)
    out = Path(args.out) if args.out else Path(args.paths[0]) / "merged"
    try:
        summary = merge_shards(find_shards(args.paths), out)
    except ShardError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"merged into {out}: accuracy {100 * summary['accuracy_mean']:.1f}% ({summary['problems']} problems, "
          f"seeds {summary['seeds']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
