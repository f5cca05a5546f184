"""docs/paper_trail.md's mini-AIMO column is generated from docs/paper_mini.json by scripts/paper_trail_mini.py:
every measured claim lands in the row it names, rerunning changes nothing, and the committed doc is in sync."""
import importlib.util
import json

import pytest
from helpers import REPO

spec = importlib.util.spec_from_file_location("paper_trail_mini", REPO / "scripts" / "paper_trail_mini.py")
ptm = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ptm)

DOC = """# t

| claim | on record | experiment | command | measured |
|---|---|---|---|---|
| **KTO** on own samples | 27/50 | `kto` | `python -m numina_exp x` | y |
| Merges of SFT with KTO (TIES) | worse | `m` | `c` | z |

text

| claim | on record | experiment | command | measured |
|---|---|---|---|---|
| LoRA instead of a full fine-tune | ? | `l` | `c` | w |
"""


def _claim(id, row, value=0.05, ci=(0.01, 0.09), verdict="agrees"):
    return {"id": id, "row": row, "verdict": verdict, "delta": {"value": value, "ci95": list(ci)}}


def test_each_claim_lands_in_its_row_and_rerunning_changes_nothing():
    claims = [_claim("kto", "KTO on own"), _claim("ties", "Merges of SFT", -0.2, (-0.3, -0.1)),
              _claim("dare", "Merges of SFT", 0.0, (-0.05, 0.04), "inconclusive"), {"id": "lora", "row": "LoRA", "verdict": "pending"}]
    out = ptm.render(DOC, claims)
    lines = out.splitlines()
    assert lines[2].endswith(f"| {ptm.COLUMN} |") and lines[3] == "|---|---|---|---|---|---|"
    assert lines[4].endswith("| kto: +5.0 pts [+1.0, +9.0], agrees |")
    assert lines[5].endswith("| ties: -20.0 pts [-30.0, -10.0], agrees; dare: +0.0 pts [-5.0, +4.0], inconclusive |")
    assert lines[-1].endswith("| lora: pending |")
    assert "text" in lines  # prose untouched
    assert ptm.render(out, claims) == out  # replaces its own column, never adds a second
    changed = ptm.render(out, [_claim("kto", "KTO on own", 0.1, (0.0, 0.2), "inconclusive")])
    assert changed.splitlines()[4].endswith("| kto: +10.0 pts [+0.0, +20.0], inconclusive |")
    assert changed.splitlines()[5].endswith("| z | – |")


def test_a_claim_naming_a_missing_row_is_an_error():
    with pytest.raises(ValueError, match="no_such_row"):
        ptm.render(DOC, [_claim("no_such_row", "Nothing like this")])


def test_committed_doc_matches_the_committed_claims():
    claims_file = REPO / "docs" / "paper_mini.json"
    if not claims_file.exists():
        pytest.fail("docs/paper_mini.json is missing: commit a mini_paper run's paper_mini.json (docs/mini_aimo.md)")
    claims = json.loads(claims_file.read_text())["claims"]
    doc = (REPO / "docs" / "paper_trail.md").read_text()
    assert ptm.render(doc, claims) == doc, "run python scripts/paper_trail_mini.py"
