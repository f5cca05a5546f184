"""Numbers that parse but mean nothing: decoding.temperature=nan|inf (every `< 0` check passes them) and
a negative or non-integer eval seed are refused before anything loads, naming the key and the fix."""
from __future__ import annotations

import time

import pytest
from helpers import run_cli

CASES = [
    (["decoding.temperature=nan"], "decoding.temperature"),
    (["decoding.temperature=inf"], "decoding.temperature"),
    (["decoding.temperature=-inf"], "decoding.temperature"),
    (["decoding.early_stop_prior=nan"], "decoding.early_stop_prior"),
    (["eval.seeds=[-1]"], "eval.seeds"),
    (["eval.seeds=[0,1.5]"], "eval.seeds"),
    (["eval.seeds=[4294967296]"], "eval.seeds"),
]


@pytest.mark.parametrize("overrides,key", CASES, ids=[c[0][0] for c in CASES])
def test_refused_naming_the_key(overrides, key, tmp_path):
    start = time.monotonic()
    proc = run_cli(["method=evaluate", "decoding=maj_k", "backend=hf", "eval=amc", "scale=cpu", *overrides,
                    f"hydra.run.dir={tmp_path}"], timeout=120)
    assert proc.returncode == 2, (proc.stdout + proc.stderr)[-2000:]
    assert f"config error at `{key}`" in proc.stderr and "fix:" in proc.stderr, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "resolved_config.yaml").exists()
    assert time.monotonic() - start < 30


def test_a_finite_temperature_and_seeds_in_range_pass():
    from helpers import compose_cfg

    from numina_exp.config.validate import check_decoding, check_eval

    cfg = compose_cfg(["method=evaluate", "decoding=maj_k", "decoding.temperature=0.8", "eval=amc",
                       "eval.seeds=[0,4294967295]"])
    check_decoding(cfg)
    check_eval(cfg)
