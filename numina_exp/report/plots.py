"""Evaluation plots (matplotlib, Agg backend): accuracy by suite and seed, answer agreement."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def save_figure(fig, path: str | Path) -> Path:
    """Every report figure is written the same way (tight layout, 110 dpi) and closed."""
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def accuracy_by_suite_seed(summary: dict, path: str | Path) -> Path:
    suites = list(summary["by_suite"])
    if len(suites) > 1:
        suites = suites + ["all"]
    seeds = [str(s) for s in summary["seeds"]]
    fig, ax = plt.subplots(figsize=(max(4.0, 1.3 * len(suites) + 1), 3.2))
    width = 0.8 / max(len(seeds), 1)
    for j, s in enumerate(seeds):
        vals = [100 * (summary["by_suite"][x]["per_seed"][s] if x != "all" else summary["per_seed"][s]["accuracy"]) for x in suites]
        ax.bar(np.arange(len(suites)) + (j - (len(seeds) - 1) / 2) * width, vals, width, label=f"seed {s}")
    means = [100 * (summary["by_suite"][x]["mean"] if x != "all" else summary["accuracy_mean"]) for x in suites]
    ax.scatter(np.arange(len(suites)), means, color="k", marker="_", s=400, zorder=3, label="mean")
    ax.set_xticks(np.arange(len(suites)), suites)
    ax.set_ylabel("accuracy %")
    ax.set_ylim(0, 100)
    ax.set_title(f"{summary['suite']}: accuracy by suite and seed", fontsize=9)
    ax.legend(fontsize=7, ncols=min(len(seeds) + 1, 6))
    return save_figure(fig, path)


def agreement_histogram(records: list[dict], path: str | Path) -> Path:
    """Share of the valid votes the chosen answer got, per problem, split by correctness."""
    ok, bad = [], []
    for r in records:
        share = agreement(r)
        if share is not None:
            (ok if r.get("correct") else bad).append(share)
    fig, ax = plt.subplots(figsize=(4.5, 3.0))
    bins = np.linspace(0, 1, 11)
    ax.hist([ok, bad], bins=bins, stacked=True, label=["correct", "wrong"], color=["tab:green", "tab:red"])
    ax.set_xlabel("answer agreement (winner's share of valid votes)")
    ax.set_ylabel("problems x seeds")
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def agreement(record: dict) -> float | None:
    votes = record.get("votes") or {}
    total = sum(votes.values())
    if not total:
        return None
    return votes.get(str(record.get("answer")), 0) / total
