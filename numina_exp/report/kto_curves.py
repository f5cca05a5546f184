"""KTO's implicit-reward curves (render only): the PNG, the report.md section, the W&B workspace.

Input is the Trainer's `log_history` (train_metrics.json of a kto run) and the numbers the run
computed (weights, label counts, held-out implicit-reward evaluation); nothing is recomputed here.

The W&B workspace (wandb-workspaces) has one section of line plots over the KTO keys for every run
of the project; with an API key it is saved to W&B, offline it is written as the library's own JSON
spec next to the run (wandb_workspace.json) so it can be saved later."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from .plots import plt, save_figure

REWARD_KEYS = ("rewards/chosen", "rewards/rejected", "rewards/margins", "kl", "logps/chosen", "logps/rejected")
PANELS = (  # (title, keys) of the workspace's line plots; TRL's W&B callback prefixes train keys with train/
    ("implicit reward: chosen vs rejected", ("rewards/chosen", "rewards/rejected")),
    ("implicit reward margin", ("rewards/margins",)),
    ("KL estimate (the KTO reference point)", ("kl",)),
    ("log-probabilities", ("logps/chosen", "logps/rejected")),
    ("loss", ("loss",)),
)


def curves(log_history: list[dict], keys=REWARD_KEYS) -> dict[str, list[tuple[int, float]]]:
    """key -> [(step, value)] over the training log entries that carry it (eval entries excluded)."""
    out: dict[str, list[tuple[int, float]]] = {k: [] for k in keys}
    for h in log_history:
        if any(k.startswith("eval_") for k in h):
            continue
        for k in keys:
            if k in h and h[k] is not None:
                out[k].append((int(h.get("step", 0)), float(h[k])))
    return out


def first_last(c: dict[str, list[tuple[int, float]]]) -> dict[str, Optional[tuple[float, float]]]:
    return {k: (v[0][1], v[-1][1]) if v else None for k, v in c.items()}


def plot_implicit_rewards(histories: dict[str, list[dict]], path: str | Path) -> Path:
    """Left: chosen (solid) vs rejected (dashed) implicit reward over steps; right: the margin. One
    colour per run (several runs overlay: `python -m numina_exp.report RUN1 RUN2`)."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.0, 3.4))
    for i, (label, history) in enumerate(histories.items()):
        c = curves(history)
        color = f"C{i}"
        for key, style in (("rewards/chosen", "-"), ("rewards/rejected", "--")):
            if c[key]:
                xs, ys = zip(*c[key])
                ax1.plot(xs, ys, style, color=color, label=f"{label} {key.split('/')[1]}")
        if c["rewards/margins"]:
            xs, ys = zip(*c["rewards/margins"])
            ax2.plot(xs, ys, "-", color=color, label=label)
    ax1.axhline(0, color="grey", lw=0.6)
    ax2.axhline(0, color="grey", lw=0.6)
    ax1.set_title("implicit reward  β·log π/π_ref", fontsize=9)
    ax2.set_title("margin (chosen − rejected)", fontsize=9)
    for ax in (ax1, ax2):
        ax.set_xlabel("step")
        ax.legend(fontsize=7)
    return save_figure(fig, path)


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.4f}"


def report_section(log_history: list[dict], weights: dict, implicit: Optional[dict], png_name: str = "implicit_rewards.png") -> str:
    """The KTO section of report.md."""
    fl = first_last(curves(log_history))
    lines = ["## KTO: implicit rewards", "",
             f"Labels: {weights['n_desirable']} desirable, {weights['n_undesirable']} undesirable; weights "
             f"λ_D={weights['desirable']:.4f}, λ_U={weights['undesirable']:.4f} "
             f"(λ_D·n_D / λ_U·n_U = {weights['ratio']:.3f}; KTO recommends [1, 4/3]); β={weights.get('beta')}.", "",
             "| key | first | last |", "|---|---:|---:|"]
    for k, v in fl.items():
        lines.append(f"| {k} | {_fmt(v[0] if v else None)} | {_fmt(v[1] if v else None)} |")
    lines += ["", f"![implicit rewards]({png_name})", ""]
    if implicit and implicit.get("completions"):
        lines += ["### Implicit reward as a verifier (held-out samples)", "",
                  f"{implicit['completions']} completions ({implicit['correct']} correct, {implicit['incorrect']} incorrect) "
                  f"of {implicit['problems']} problems.", "",
                  "| metric | value |", "|---|---:|",
                  f"| AUROC (reward, correct vs incorrect) | {_fmt(implicit['auroc'])} |",
                  f"| AUROC, the model's own copies only ({implicit.get('references', 0)} reference rows left out) | "
                  f"{_fmt(implicit.get('auroc_own_copies'))} |",
                  f"| best-of-k by implicit reward | {_fmt(implicit['best_of_k_by_reward'])} |",
                  f"| majority vote | {_fmt(implicit['majority_vote'])} |",
                  f"| pass@k | {_fmt(implicit['pass_at_k'])} |",
                  f"| mean reward, correct | {_fmt(implicit['reward_correct_mean'])} |",
                  f"| mean reward, incorrect | {_fmt(implicit['reward_incorrect_mean'])} |", ""]
    elif implicit is not None:
        lines += [f"Held-out evaluation: {implicit.get('note', 'no held-out samples')}.", ""]
    return "\n".join(lines)


def workspace(project: str, entity: Optional[str], name: str = "KTO implicit rewards"):
    """The wandb-workspaces definition: one open section of line plots over the KTO keys."""
    import wandb_workspaces.reports.v2 as wr
    import wandb_workspaces.workspaces as ws

    panels = [wr.LinePlot(title=title, x="Step", y=[f"train/{k}" for k in keys]) for title, keys in PANELS]
    return ws.Workspace(entity=entity or "", project=project, name=name,
                        sections=[ws.Section(name="KTO implicit rewards", panels=panels, is_open=True)])


def save_workspace(ws, run_dir: str | Path, online: bool) -> str:
    """Saved to W&B when online (returns its URL); else its JSON spec in run_dir (returns the path)."""
    if online:
        return ws.save().url
    path = Path(run_dir) / "wandb_workspace.json"
    # `_spec` is the library's own serialisation of the view (what `save()` uploads).
    path.write_text(json.dumps({"entity": ws.entity, "project": ws.project, "name": ws.name,
                                "panels": [{"title": t, "y": [f"train/{k}" for k in keys]} for t, keys in PANELS],
                                "view_spec": ws._spec}, indent=2, default=str))
    return str(path)
