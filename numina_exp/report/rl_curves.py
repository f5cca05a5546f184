"""Reward curves of an RL run (method=rloo|grpo), rendered from its train_metrics.json: per reward
function mean (+- std), the shaped total, KL, completion length, sandbox statuses and the share of
step time spent in rewards / executing code. Render only: reads the run's records, computes nothing
that training did not log. Writes <run_dir>/rl_curves.png and <run_dir>/rl_summary.md."""
from __future__ import annotations

import json
from pathlib import Path

from ..core.io import atomic_write_text
from .plots import plt, save_figure


def _series(hist: list[dict], key: str) -> tuple[list, list]:
    pts = [(h["step"], h[key]) for h in hist if key in h and "step" in h]
    return [p[0] for p in pts], [p[1] for p in pts]


def _quarters(values: list) -> tuple:
    if not values:
        return None, None
    q = max(len(values) // 4, 1)
    return sum(values[:q]) / q, sum(values[-q:]) / q


def reward_names(hist: list[dict]) -> list[str]:
    names = {k.split("/")[1] for h in hist for k in h if k.startswith("rewards/") and k.endswith("/mean")}
    return sorted(names)


def _finish(ax, title: str) -> None:
    ax.set_title(title)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    elif not ax.lines:
        ax.text(0.5, 0.5, "not logged in this run", ha="center", va="center", transform=ax.transAxes, color="gray")


def plot(hist: list[dict], path: str | Path, title: str = "") -> Path:
    fig, axes = plt.subplots(2, 3, figsize=(14, 7))
    ax = axes[0][0]
    for name in reward_names(hist):
        x, y = _series(hist, f"rewards/{name}/mean")
        _, s = _series(hist, f"rewards/{name}/std")
        ax.plot(x, y, label=name)
        if len(s) == len(y):
            ax.fill_between(x, [a - b for a, b in zip(y, s)], [a + b for a, b in zip(y, s)], alpha=0.15)
    _finish(ax, "reward per function (mean +- std)")
    for ax, key, label in ((axes[0][1], "reward", "shaped reward (sum w_i r_i)"), (axes[0][2], "kl", "KL to the reference"),
                           (axes[1][0], "completions/mean_length", "completion length (tokens)")):
        x, y = _series(hist, key)
        if x:
            ax.plot(x, y, marker="." if len(x) < 30 else None)
        _finish(ax, label)
    ax = axes[1][1]
    for key in sorted({k for h in hist for k in h if k.startswith("sandbox/")}):
        x, y = _series(hist, key)
        ax.plot(x, y, label=key.split("/", 1)[1])
    _finish(ax, "sandbox status (share of completions)")
    ax = axes[1][2]
    for key, label in (("time/reward_share", "rewards"), ("time/exec_share", "executing code")):
        x, y = _series(hist, key)
        ax.plot(x, y, label=label)
    _finish(ax, "share of step time")
    for row in axes:
        for a in row:
            a.set_xlabel("step")
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)


def summary_table(metrics: dict) -> str:
    hist = metrics.get("log_history", [])
    lines = ["| series | first quarter | last quarter |", "|---|---|---|"]
    for key in ["reward"] + [f"rewards/{n}/mean" for n in reward_names(hist)]:
        first, last = _quarters(_series(hist, key)[1])
        if first is not None:
            lines.append(f"| {key} | {first:.4f} | {last:.4f} |")
    lines += ["", f"steps: {metrics.get('global_step')}, train seconds: {metrics.get('train_seconds', 0):.1f}",
              f"share of training time in reward functions: {metrics.get('reward_time_share', 0):.3f}, "
              f"executing code: {metrics.get('exec_time_share', 0):.3f} ({metrics.get('exec_seconds', 0):.2f} s)",
              f"sandbox statuses: {json.dumps(metrics.get('sandbox_statuses', {}), sort_keys=True)}"]
    return "\n".join(lines) + "\n"


def render(run_dir: str | Path, metrics: dict | None = None) -> dict:
    """Plot and summary of one run; returns their paths and the reward quarters."""
    run_dir = Path(run_dir)
    if metrics is None:
        metrics = json.loads((run_dir / "train_metrics.json").read_text())
    hist = metrics.get("log_history", [])
    png = plot(hist, run_dir / "rl_curves.png", title=run_dir.name)
    md = run_dir / "rl_summary.md"
    atomic_write_text(md, summary_table(metrics))
    first, last = _quarters(_series(hist, "reward")[1])
    return {"plot": str(png), "summary": str(md), "first_quarter": first, "last_quarter": last}


def announce(cfg, run_dir: str | Path, metrics: dict) -> dict:
    """After an RL run (main process only): render, print where the curves are, return the metrics with their paths."""
    import os

    if os.environ.get("RANK", "0") != "0" or not metrics.get("log_history"):
        return metrics
    out = render(run_dir, metrics)
    share = metrics.get("exec_time_share", 0.0)
    print(f"[{cfg.method.name}] reward curves: {out['plot']}\n[{cfg.method.name}] summary: {out['summary']}\n"
          f"[{cfg.method.name}] shaped reward first quarter {out['first_quarter']:.4f} -> last quarter "
          f"{out['last_quarter']:.4f}; share of training time executing code {share:.3f}", flush=True)
    return {**metrics, "rl_curves": out}
