"""Render measured claims (numina_exp.evaluate.claims) as a markdown table and its JSON twin."""
from __future__ import annotations

import json
from pathlib import Path

from numina_exp.core.io import atomic_write_json, atomic_write_text
from numina_exp.core.text import md_cell


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _acc(m: dict | None) -> str:
    if not m:
        return "–"
    lo, hi = m["ci95"]
    return f"{_pct(m['value'])} [{_pct(lo)}, {_pct(hi)}]"


def _delta(m: dict | None) -> str:
    if not m:
        return "–"
    lo, hi = m["ci95"]
    return f"{100 * m['value']:+.1f} [{100 * lo:+.1f}, {100 * hi:+.1f}]"


EXPECT = {"up": "treatment better", "down": "treatment worse", "none": "no real change"}


def render(rows: list[dict], stages: list[dict], header: str) -> str:
    out = [header, "",
           "| claim | baseline (stage): acc % [95 % CI] | treatment (stage): acc % [95 % CI] | delta, points [95 % CI] | write-up | verdict | eval seeds |",
           "|---|---|---|---|---|---|---|"]
    # claim and stage names come from the config, a stage's headline from its result (a suite name, a path):
    # one inert cell each (a newline would add table rows; `<script>` and bidi overrides must not pass)
    for r in rows:
        seeds = "–" if r["verdict"] == "pending" else f"{','.join(map(str, r['baseline_seeds']))} / {','.join(map(str, r['treatment_seeds']))}"
        out.append(f"| {md_cell(r['claim'])} | `{md_cell(r['baseline'])}`: {_acc(r.get('baseline_acc'))} | "
                   f"`{md_cell(r['treatment'])}`: {_acc(r.get('treatment_acc'))} | "
                   f"{_delta(r.get('delta'))} | {EXPECT[r['expect']]} | **{r['verdict']}** | {seeds} |")
    if stages:
        out += ["", "## Stages", "", "| stage | method | what it produced |", "|---|---|---|"]
        out += [f"| `{md_cell(s['stage'])}` | {md_cell(s['method'])} | {md_cell(s['headline'], limit=600)} |" for s in stages]
    return "\n".join(out) + "\n"


def write(rows: list[dict], stages: list[dict], out_dir: Path, name: str, header: str) -> Path:
    out_dir = Path(out_dir)
    atomic_write_json(out_dir / f"{name}.json", {"claims": rows, "stages": stages})
    md = out_dir / f"{name}.md"
    atomic_write_text(md, render(rows, stages, header))
    return md


def load(path: Path) -> dict:
    return json.loads(Path(path).read_text())
