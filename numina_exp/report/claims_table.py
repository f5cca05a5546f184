"""Render measured claims (numina_exp.evaluate.claims) as a markdown table and its JSON twin."""
from __future__ import annotations

import json
from pathlib import Path

from numina_exp.core.io import atomic_write_json, atomic_write_text


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
    for r in rows:
        seeds = "–" if r["verdict"] == "pending" else f"{','.join(map(str, r['baseline_seeds']))} / {','.join(map(str, r['treatment_seeds']))}"
        out.append(f"| {r['claim']} | `{r['baseline']}`: {_acc(r.get('baseline_acc'))} | `{r['treatment']}`: {_acc(r.get('treatment_acc'))} | "
                   f"{_delta(r.get('delta'))} | {EXPECT[r['expect']]} | **{r['verdict']}** | {seeds} |")
    if stages:
        out += ["", "## Stages", "", "| stage | method | what it produced |", "|---|---|---|"]
        out += [f"| `{s['stage']}` | {s['method']} | {s['headline']} |" for s in stages]
    return "\n".join(out) + "\n"


def write(rows: list[dict], stages: list[dict], out_dir: Path, name: str, header: str) -> Path:
    out_dir = Path(out_dir)
    atomic_write_json(out_dir / f"{name}.json", {"claims": rows, "stages": stages})
    md = out_dir / f"{name}.md"
    atomic_write_text(md, render(rows, stages, header))
    return md


def load(path: Path) -> dict:
    return json.loads(Path(path).read_text())
