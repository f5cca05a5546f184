"""Write the "mini-AIMO" column of docs/paper_trail.md from a mini_paper run's paper_mini.json, so that no
number in that column is typed by hand.

    python scripts/paper_trail_mini.py [--claims docs/paper_mini.json] [--doc docs/paper_trail.md] [--check]

Each claim of the run names the row it serves (`row`: the start of the row's first cell); a row's cell lists
its claims' deltas with their 95 % intervals and verdicts, "–" where no claim serves it. Rerunning replaces the
column (idempotent); --check exits 1 if the doc is not what the claims file gives (tests/test_paper_trail.py)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COLUMN = "mini-AIMO (SmolLM2-135M, docs/paper_mini.md)"


def _cell(claim: dict) -> str:
    if claim["verdict"] == "pending":
        return f"{claim['id']}: pending"
    d = claim["delta"]
    lo, hi = d["ci95"]
    return f"{claim['id']}: {100 * d['value']:+.1f} pts [{100 * lo:+.1f}, {100 * hi:+.1f}], {claim['verdict']}"


def _first_cell(line: str) -> str:
    return line.strip().strip("|").split(" | ")[0].strip().replace("**", "")


def render(doc: str, claims: list[dict]) -> str:
    """`doc` with the column set (added to every table, or replaced where it exists)."""
    out, in_table, has_column = [], False, False
    used = set()
    for line in doc.splitlines():
        if not line.startswith("|"):
            in_table = False
            out.append(line)
            continue
        body = line.rstrip().rstrip("|").rstrip()
        if not in_table:  # the header row
            in_table, has_column = True, body.endswith(COLUMN)
            if has_column:
                body = body.rsplit(" | ", 1)[0]
            out.append(f"{body} | {COLUMN} |")
            continue
        if has_column:
            body = body.rsplit("|", 1)[0].rstrip()
        if line.startswith("|---"):
            out.append(f"{body}|---|")
            continue
        first = _first_cell(line)
        mine = [c for c in claims if c.get("row") and first.startswith(c["row"])]
        used |= {c["id"] for c in mine}
        out.append(f"{body} | {'; '.join(_cell(c) for c in mine) or '–'} |")
    missing = [c["id"] for c in claims if c.get("row") and c["id"] not in used]
    if missing:
        raise ValueError(f"claims {missing} name rows that docs/paper_trail.md does not have: fix their `row` in conf/experiment/mini_paper.yaml")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", default=str(REPO / "docs" / "paper_mini.json"))
    ap.add_argument("--doc", default=str(REPO / "docs" / "paper_trail.md"))
    ap.add_argument("--check", action="store_true", help="exit 1 if the doc's column differs from the claims file")
    args = ap.parse_args(argv)
    claims = json.loads(Path(args.claims).read_text())["claims"]
    doc = Path(args.doc)
    new = render(doc.read_text(), claims)
    if args.check:
        if new != doc.read_text():
            print(f"{doc}: the mini-AIMO column is out of date: run python scripts/paper_trail_mini.py", file=sys.stderr)
            return 1
        return 0
    doc.write_text(new)
    print(f"{doc}: mini-AIMO column from {args.claims} ({sum(c['verdict'] != 'pending' for c in claims)}/{len(claims)} claims measured)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
