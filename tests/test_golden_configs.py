"""Every experiment's resolved config (scale=full) equals its reviewed golden file in tests/golden/:
a change in composition (a default, an override, a schema field) must show up as a diff in review."""
import difflib

import pytest
from golden import GOLDEN_DIR, golden_text
from helpers import experiment_names

FIX = "if the change is intended, run `python scripts/update_golden_configs.py` and commit the diff"


@pytest.mark.parametrize("experiment", experiment_names())
def test_resolved_config_matches_golden(experiment):
    path = GOLDEN_DIR / f"{experiment}.yaml"
    assert path.exists(), f"no golden config for {experiment}: {FIX}"
    want, got = path.read_text(), golden_text(experiment)
    diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "golden", "composed", n=1))
    assert want == got, f"{experiment}: the composed config changed ({FIX}):\n{diff[:3000]}"


def test_no_golden_file_without_an_experiment():
    stale = sorted(p.stem for p in GOLDEN_DIR.glob("*.yaml") if p.stem not in experiment_names())
    assert not stale, f"golden files for experiments that no longer exist: {stale}; {FIX}"
