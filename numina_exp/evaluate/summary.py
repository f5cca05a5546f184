"""An evaluation's summary (what results.json holds): per-seed and per-suite accuracy with intervals,
copy outcomes, code runs, tokens and, with eval.nm_grid, the N x M grid. Computed here; rendered by
numina_exp.report.eval_report."""
from __future__ import annotations

from numina_exp.core.result_kind import ResultKind

from .stats import seed_stats, wilson


def summarize(records: list[dict], cfg, seeds: list[int], rows: list[dict]) -> dict:
    e = cfg.eval
    seeds = [int(s) for s in seeds]
    suites = list(dict.fromkeys(r.get("suite") or e.name for r in rows))
    per_seed, by_suite = {}, {s: {"per_seed": {}, "problems": 0} for s in suites}
    for seed in seeds:
        rs = [r for r in records if r["seed"] == seed]
        c = sum(r["correct"] for r in rs)
        per_seed[str(seed)] = {"accuracy": c / len(rs) if rs else 0.0, "correct": c, "total": len(rs)}
        for s in suites:
            ss = [r for r in rs if (r.get("suite") or e.name) == s]
            by_suite[s]["per_seed"][str(seed)] = sum(r["correct"] for r in ss) / len(ss) if ss else 0.0
            by_suite[s]["problems"] = len(ss)
    for s in suites:
        st = seed_stats(list(by_suite[s]["per_seed"].values()))
        by_suite[s].update(mean=st["mean"], std=st["std"], ci95=st["ci95"])
    overall = seed_stats([v["accuracy"] for v in per_seed.values()])
    total_c = sum(v["correct"] for v in per_seed.values())
    total_n = sum(v["total"] for v in per_seed.values())
    d = cfg.decoding
    summary = {
        "kind": str(ResultKind.evaluation), "suite": e.name, "answer_kind": e.answer_kind, "seeds": seeds, "problems": len(rows),
        "decoding": {"strategy": d.strategy, "n": d.n, "m": d.m, "temperature": d.temperature,
                     "max_new_tokens": d.max_new_tokens},
        "backend": cfg.backend.name, "model": cfg.model.name if "model" in cfg else None,
        "scale": cfg.scale.name if "scale" in cfg else None,
        "per_seed": per_seed, "by_suite": by_suite,
        "accuracy_mean": overall["mean"], "accuracy_std": overall["std"], "accuracy_ci95_seeds": overall["ci95"],
        "accuracy_ci95_wilson_pooled": wilson(total_c, total_n),
        "copies": {**{k: sum(r.get(k, 0) for r in records) for k in ("answered", "discarded", "unfinished")},
                   # copies sent back to the bare prompt at least once (SC-TIR rules 1 and 4), and how often
                   "restarted": sum(bool(c.get("restarts")) for r in records for c in r.get("copies") or []),
                   "restarts": sum(int(c.get("restarts") or 0) for r in records for c in r.get("copies") or [])},
        "code_runs": sum(r.get("code_blocks", 0) for r in records),
        "tokens": sum(r.get("tokens", 0) for r in records),
    }
    if e.nm_grid and any(r.get("copies") for r in records):
        from .nm_grid import compute_grid
        grid = compute_grid(records, kind=e.answer_kind, ns=list(e.nm_ns) or None, m_max=int(d.m),
                            draws=int(e.nm_bootstrap), seed=int(e.nm_seed), dcfg=d)
        summary["nm_grid"] = grid
    return summary
