"""Bad invocations fail fast (no model loads), exit non-zero, and name the key to fix."""
import time

import pytest
from helpers import run_cli

CASES = [
    # (overrides, text the error must contain)
    (["+experiment=stage2_tir", "model=nonexistent"], "model/nonexistent"),
    (["+experiment=stage2_tir", "train.lrr=1e-5"], "train.lrr"),  # unknown key
    (["+experiment=stage2_tir", "train.epochs=three"], "train.epochs"),  # wrong type
    (["decoding=sc_tir", "decoding.n=0"], "decoding.n"),  # range
    (["method=sft", "data=jsonl", "data.path=/nonexistent/train.jsonl"], "data.path"),  # missing file
    (["method=evaluate", "backend=replay", "backend.path=/nonexistent/generations.jsonl"], "backend.path"),
    (["method=evaluate", "decoding=maj_k", "decoding.temperature=0"], "decoding.temperature"),  # incoherent
    (["method=nonexistent_method"], "method/nonexistent_method"),
    (["+experiment=stage2_tir", "train.global_batch_size=30"], "train.global_batch_size"),  # 30 % 4 != 0
    (["+experiment=stage2_tir", "train.warmup_ratio=1.5"], "train.warmup_ratio"),
]


@pytest.mark.parametrize("overrides,key", CASES, ids=[c[1] for c in CASES])
def test_bad_invocation_names_the_key(overrides, key):
    start = time.monotonic()
    proc = run_cli(overrides, timeout=60)
    elapsed = time.monotonic() - start
    assert proc.returncode != 0
    assert key in proc.stderr, proc.stderr[-2000:]
    assert elapsed < 10, f"took {elapsed:.1f}s: validation must not load models"
    assert "Traceback" not in proc.stderr or "ConfigError" not in proc.stderr  # our errors are messages, not crashes


def test_help_works():
    proc = run_cli(["--help"], timeout=60)
    assert proc.returncode == 0 and "model" in proc.stdout and "decoding" in proc.stdout
