"""The N x M grid rendered: a markdown table, a heatmap, and the files next to a run
(nm_grid.json / .md / .png). The grid itself is computed by numina_exp.evaluate.nm_grid."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from ..core.io import atomic_write_text


def grid_markdown(grid: dict, ns: Sequence[int] | None = None) -> str:
    """Rows n, columns m, accuracy in %; `ns` selects rows (default: powers of two and N)."""
    all_ns = grid["ns"]
    if ns is None:
        ns = [n for n in all_ns if n & (n - 1) == 0 or n == all_ns[-1]]
    head = "| n \\ m | " + " | ".join(str(m) for m in grid["ms"]) + " |"
    lines = [head, "|---:|" + "---:|" * len(grid["ms"])]
    for n in ns:
        row = grid["accuracy"][all_ns.index(n)]
        lines.append(f"| {n} | " + " | ".join(f"{100 * v:.1f}" for v in row) + " |")
    return "\n".join(lines)


def plot_heatmap(grid: dict, path: str | Path, title: str = "SC-TIR accuracy by width n and depth m (one pass)") -> Path:
    from .plots import plt, save_figure

    acc = 100 * np.array(grid["accuracy"])
    fig, ax = plt.subplots(figsize=(4 + 0.6 * len(grid["ms"]), 2 + 0.12 * len(grid["ns"]) + 2))
    im = ax.imshow(acc, aspect="auto", origin="lower", cmap="viridis")
    ax.set_xticks(range(len(grid["ms"])), [str(m) for m in grid["ms"]])
    step = max(1, len(grid["ns"]) // 12)
    ax.set_yticks(range(0, len(grid["ns"]), step), [str(n) for n in grid["ns"][::step]])
    ax.set_xlabel("depth m (generation steps)")
    ax.set_ylabel("width n (copies)")
    if len(grid["ns"]) * len(grid["ms"]) <= 64:
        for i in range(len(grid["ns"])):
            for j in range(len(grid["ms"])):
                ax.text(j, i, f"{acc[i, j]:.0f}", ha="center", va="center", color="w", fontsize=7)
    fig.colorbar(im, ax=ax, label="accuracy %")
    ax.set_title(title, fontsize=9)
    return save_figure(fig, path)


def write_grid(grid: dict, out_dir: str | Path) -> dict[str, Path]:
    out_dir = Path(out_dir)
    atomic_write_text(out_dir / "nm_grid.json", json.dumps(grid, indent=1))
    atomic_write_text(out_dir / "nm_grid.md", grid_markdown(grid) + "\n")
    return {"json": out_dir / "nm_grid.json", "md": out_dir / "nm_grid.md",
            "png": plot_heatmap(grid, out_dir / "nm_grid.png")}
