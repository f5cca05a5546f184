"""An evaluation run's summary (results.json), report.md with tables and plots, and the same to W&B."""
from __future__ import annotations

import json
from pathlib import Path

from ..core.io import atomic_write_text
from ..core.text import md_cell
from .plots import accuracy_by_suite_seed, agreement, agreement_histogram

MD_PROBLEM_ROWS = 300  # report.md lists at most this many problem lines (all are in per_problem.jsonl / W&B)


def _votes_str(votes: dict, k: int = 4) -> str:
    items = sorted(votes.items(), key=lambda kv: -kv[1])[:k]
    more = len(votes) - len(items)
    return " ".join(f"{a}:{c}" for a, c in items) + (f" +{more}" if more > 0 else "")


def problem_rows(records: list[dict]) -> list[dict]:
    """The per-problem table (report.md and the W&B table)."""
    return [{
        "seed": r["seed"], "suite": r.get("suite"), "id": r["problem_id"], "gold": str(r.get("gold")),
        "answer": str(r.get("answer")), "correct": bool(r["correct"]), "votes": _votes_str(r.get("votes") or {}),
        "agreement": round(agreement(r), 3) if agreement(r) is not None else None,
        "answered": r.get("answered", 0), "discarded": r.get("discarded", 0), "unfinished": r.get("unfinished", 0),
        "code_runs": r.get("code_blocks", 0), "tokens": r.get("tokens", 0), "seconds": round(float(r.get("seconds", 0.0)), 2),
    } for r in records]


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def accuracy_table(summary: dict) -> str:
    seeds = [str(s) for s in summary["seeds"]]
    head = "| suite | problems | " + " | ".join(f"seed {s}" for s in seeds) + " | mean | std | 95% CI |"
    lines = [head, "|---|---:|" + "---:|" * len(seeds) + "---:|---:|---|"]

    def ci(c):
        return "-" if not c else f"[{_pct(c[0])}, {_pct(c[1])}]"
    for s, v in summary["by_suite"].items():
        lines.append(f"| {md_cell(s)} | {v['problems']} | " + " | ".join(_pct(v["per_seed"][x]) for x in seeds)
                     + f" | {_pct(v['mean'])} | {_pct(v['std'])} | {ci(v['ci95'])} |")
    if len(summary["by_suite"]) > 1:
        lines.append(f"| **all** | {summary['problems']} | " + " | ".join(_pct(summary["per_seed"][x]["accuracy"]) for x in seeds)
                     + f" | {_pct(summary['accuracy_mean'])} | {_pct(summary['accuracy_std'])} | {ci(summary['accuracy_ci95_seeds'])} |")
    return "\n".join(lines)


def write_report(run_dir: str | Path, summary: dict, records: list[dict], tracker=None) -> dict:
    run_dir = Path(run_dir)
    plots = run_dir / "plots"
    plots.mkdir(exist_ok=True)
    images = {"accuracy_by_suite_seed": accuracy_by_suite_seed(summary, plots / "accuracy_by_suite_seed.png"),
              "answer_agreement": agreement_histogram(records, plots / "answer_agreement.png")}
    grid = summary.get("nm_grid")
    grid_md = ""
    if grid:
        from .nm_grid_view import grid_markdown, write_grid
        files = write_grid(grid, run_dir)
        images["nm_grid"] = files["png"]
        grid_md = grid_markdown(grid)
    atomic_write_text(run_dir / "results.json", json.dumps({k: v for k, v in summary.items() if k != "nm_grid"}
                                                    | ({"nm_grid": {"file": "nm_grid.json", "width": grid["width"],
                                                                    "depth": len(grid["ms"]), "draws": grid["draws"],
                                                                    "full_cell": grid["accuracy"][-1][-1]}} if grid else {}),
                                                    indent=2, default=str) + "\n")
    table = problem_rows(records)
    d = summary["decoding"]
    # Every string from a suite, a model or the config is one inert cell/span (core.text.md_cell): a suite id
    # with a newline must not add table rows, nor `<script>` or a bidi override reach whoever views the file.
    md = [f"# Evaluation: {md_cell(summary['suite'])}",
          "",
          f"decoding `{md_cell(d['strategy'])}` (n={d['n']}, m={d['m']}, T={d['temperature']}, max_new_tokens={d['max_new_tokens']}), "
          f"backend `{md_cell(summary['backend'])}`, model `{md_cell(summary['model'])}`, scale `{md_cell(summary['scale'])}`, "
          f"seeds {md_cell(summary['seeds'])}, {summary['problems']} problems, answers graded as `{md_cell(summary['answer_kind'])}`.",
          "", "## Accuracy (%)", "", accuracy_table(summary), "",
          "Pooled Wilson 95% interval over all problems x seeds: "
          + (f"[{_pct(summary['accuracy_ci95_wilson_pooled'][0])}, {_pct(summary['accuracy_ci95_wilson_pooled'][1])}]"
             if summary["accuracy_ci95_wilson_pooled"] else "-")
          + f". Copies answered/discarded/unfinished: {summary['copies']['answered']}/{summary['copies']['discarded']}/"
            f"{summary['copies']['unfinished']}; code runs {summary['code_runs']}; tokens {summary['tokens']}.",
          "", "![accuracy by suite and seed](plots/accuracy_by_suite_seed.png)", ""]
    if grid_md:
        md += ["## N x M from one pass", "",
               f"Accuracy (%) each (width n, depth m) cell would have had, from this run's {grid['width']} copies "
               f"({grid['draws']} seeded subsample draws per problem; see docs/evaluation.md).", "", grid_md, "",
               "![N x M](nm_grid.png)", ""]
    md += ["## Answer agreement", "", "![answer agreement](plots/answer_agreement.png)", "",
           "## Problems", ""]
    cols = list(table[0].keys()) if table else []
    md.append("| " + " | ".join(cols) + " |")
    md.append("|" + "---|" * len(cols))
    for row in table[:MD_PROBLEM_ROWS]:
        md.append("| " + " | ".join(md_cell(row[c]) for c in cols) + " |")
    if len(table) > MD_PROBLEM_ROWS:
        md.append(f"\n({len(table) - MD_PROBLEM_ROWS} more rows in per_problem.jsonl)")
    atomic_write_text(run_dir / "report.md", "\n".join(md) + "\n")
    if tracker is not None and tracker.enabled:
        metrics = {"eval/accuracy_mean": summary["accuracy_mean"], "eval/accuracy_std": summary["accuracy_std"]}
        metrics.update({f"eval/seed{s}/accuracy": v["accuracy"] for s, v in summary["per_seed"].items()})
        metrics.update({f"eval/{s}/accuracy_mean": v["mean"] for s, v in summary["by_suite"].items()})
        if grid:
            metrics["eval/nm_full_cell"] = grid["accuracy"][-1][-1]
        tracker.summary(metrics)
        tracker.table("eval/problems", table)
        if grid:
            tracker.table("eval/nm_grid", [{"n": n, **{f"m={m}": grid["accuracy"][i][j] for j, m in enumerate(grid["ms"])}}
                                            for i, n in enumerate(grid["ns"])])
        for k, p in images.items():
            tracker.image(f"eval/{k}", p)
    return images
