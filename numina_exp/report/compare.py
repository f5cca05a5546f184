"""Several evaluation runs side by side: `python -m numina_exp.report RUN_DIR... [--out DIR]`.
KTO runs (train_metrics.json with kto_weights) get their implicit-reward curves overlaid instead."""
from __future__ import annotations

import json
from pathlib import Path

from ..core.io import atomic_write_text
from ..core.result_kind import ResultKind
from ..core.text import md_cell


def load_run(run_dir: str | Path) -> dict:
    run_dir = Path(run_dir)
    path = run_dir / "results.json"
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir}: no results.json (not a finished evaluation run)")
    res = json.loads(path.read_text())
    label = run_dir.name
    info = run_dir / "run_info.json"
    if info.is_file():
        exp = json.loads(info.read_text()).get("experiment")
        label = f"{exp}/{run_dir.name}" if exp else label
    res["_label"] = label
    res["_dir"] = str(run_dir)
    return res


def _cell(mean, std) -> str:
    if mean is None:
        return "-"
    return f"{100 * mean:.1f}" + (f" ± {100 * std:.1f}" if std else "")


def compare_table(runs: list[dict]) -> str:
    """Suites as rows, runs as columns (accuracy %, mean ± std over seeds); kaggle_sim runs as policy rows."""
    head = "| | " + " | ".join(md_cell(r["_label"]) for r in runs) + " |"
    lines = [head, "|---|" + "---:|" * len(runs)]

    def row(name, vals, bold=False):  # suite names and labels come from the runs' files: one inert cell each
        lines.append(f"| {f'**{md_cell(name)}**' if bold else md_cell(name)} | " + " | ".join(md_cell(v) for v in vals) + " |")
    row("decoding", [f"{r['decoding']['strategy']} n={r['decoding']['n']} m={r['decoding']['m']}" if r.get("decoding") else "-" for r in runs])
    row("seeds", [str(len(r.get("seeds") or [r.get("seed")])) for r in runs])
    suites = list(dict.fromkeys(s for r in runs for s in (r.get("by_suite") or {})))
    for s in suites:
        row(s, [_cell(r["by_suite"][s]["mean"], r["by_suite"][s]["std"]) if s in (r.get("by_suite") or {}) else "-" for r in runs])
    if any(r.get("accuracy_mean") is not None for r in runs) and len(suites) > 1:
        row("all", [_cell(r.get("accuracy_mean"), r.get("accuracy_std")) for r in runs], bold=True)
    pols = list(dict.fromkeys(p for r in runs for p in (r.get("policies") or {})))
    for p in pols:
        row(f"kaggle {p}", [f"{r['policies'][p]['mean']:.1f} ± {r['policies'][p]['std']:.1f} / {r['problems']}"
                            if p in (r.get("policies") or {}) else "-" for r in runs])
    if any(r.get("nm_grid") for r in runs):
        row("N x M full cell", [_cell(r["nm_grid"]["full_cell"], None) if r.get("nm_grid") else "-" for r in runs])
    # what the decoder did (SC-TIR): a model that cannot write the tool format runs no code and answers
    # nothing, whatever its accuracy; summed over seeds
    if any(r.get("copies") for r in runs):
        row("code blocks run", [str(r.get("code_runs", "-")) if r.get("copies") else "-" for r in runs])
        for k in ("answered", "discarded", "restarted", "unfinished"):
            row(f"copies {k}", [str(r["copies"].get(k, 0)) if r.get("copies") else "-" for r in runs])
    if any(r.get("tokens") for r in runs):
        row("tokens generated", [f"{r['tokens']:,}" if r.get("tokens") else "-" for r in runs])
    return "\n".join(lines)


def compare_plot(runs: list[dict], path: str | Path) -> Path | None:
    suites = list(dict.fromkeys(s for r in runs for s in (r.get("by_suite") or {})))
    if not suites:
        return None
    import numpy as np

    from .plots import plt, save_figure

    fig, ax = plt.subplots(figsize=(max(4.0, 1.4 * len(suites) + 1), 3.2))
    w = 0.8 / len(runs)
    for j, r in enumerate(runs):
        bs = r.get("by_suite") or {}
        means = [100 * (bs[s]["mean"] or 0) if s in bs else 0 for s in suites]
        errs = [100 * (bs[s]["std"] or 0) if s in bs else 0 for s in suites]
        ax.bar(np.arange(len(suites)) + (j - (len(runs) - 1) / 2) * w, means, w, yerr=errs, label=r["_label"], capsize=2)
    ax.set_xticks(np.arange(len(suites)), suites)
    ax.set_ylabel("accuracy % (mean ± std over seeds)")
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def is_kto_run(run_dir: str | Path) -> bool:
    """A trainer run whose metrics carry implicit-reward curves, as its train_metrics.json says (`kind`)."""
    path = Path(run_dir) / "train_metrics.json"
    return path.is_file() and json.loads(path.read_text()).get("kind") == ResultKind.preference_training


def compare_kto(run_dirs: list[str | Path], out: str | Path | None = None) -> str:
    """KTO runs: first/last value of each reward key per run, and the curves overlaid (kto_compare.png)."""
    from .kto_curves import REWARD_KEYS, curves, first_last, plot_implicit_rewards

    histories = {}
    for d in run_dirs:
        label = Path(d).name
        info = Path(d) / "run_info.json"
        if info.is_file():
            label = f"{json.loads(info.read_text()).get('experiment')}/{label}"
        histories[label] = json.loads((Path(d) / "train_metrics.json").read_text())["log_history"]
    lines = ["| key | " + " | ".join(md_cell(h) for h in histories) + " |", "|---|" + "---:|" * len(histories)]
    fl = {label: first_last(curves(h)) for label, h in histories.items()}
    for k in REWARD_KEYS:
        lines.append(f"| {k} | " + " | ".join(f"{v[k][0]:.3f} -> {v[k][1]:.3f}" if v[k] else "-" for v in fl.values()) + " |")
    out = Path(out) if out is not None else Path.cwd()
    out.mkdir(parents=True, exist_ok=True)
    png = plot_implicit_rewards(histories, out / "kto_compare.png")
    return "\n".join(lines) + f"\n\ncurves overlaid: {png}"


def compare(run_dirs: list[str | Path], out: str | Path | None = None) -> str:
    if run_dirs and all(is_kto_run(d) for d in run_dirs):
        return compare_kto(run_dirs, out)
    runs = [load_run(d) for d in run_dirs]
    table = compare_table(runs)
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        png = compare_plot(runs, out / "compare.png")
        atomic_write_text(out / "compare.md", "# Runs compared\n\n" + table + "\n" + ("\n![compare](compare.png)\n" if png else ""))
    return table
