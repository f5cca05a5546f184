"""A KTO claim the toy run cannot see: on an UNBALANCED labelled set (10 desirable / 30 undesirable) the class
weights the trainer actually receives, read back from the KTOConfig the run saved (final/training_args.bin), are
the balanced ones computed by hand from the counts, not 1.0 / 1.0."""
from __future__ import annotations

import pytest
from kto_scripted import toy_samples, write_samples
from test_kto_runs import KTO, cli


def _unbalanced(keep_desirable: int) -> list[dict]:
    rows, kept = [], 0
    for r in toy_samples():
        if r.get("split") == "train" and r["label"]:
            if kept >= keep_desirable:
                continue
            kept += 1
        rows.append(r)
    return rows


def test_unbalanced_classes_reach_the_trainer_with_balanced_weights(tmp_path):
    import torch

    rows = _unbalanced(10)
    nd = sum(1 for r in rows if r.get("split") == "train" and r["label"])
    nu = sum(1 for r in rows if r.get("split") == "train" and not r["label"])
    assert (nd, nu) == (10, 30)
    samples = write_samples(tmp_path / "samples.jsonl", rows)
    run = tmp_path / "run"
    cli([*KTO, f"data.path={samples}", "train.max_steps=1", "train.heldout_eval=false"], run)
    args = torch.load(run / "final" / "training_args.bin", weights_only=False)
    # KTO's recommendation (Ethayarajh et al. 2024): lambda_D * n_D / (lambda_U * n_U) in [1, 4/3]; `auto`
    # keeps the undesirable weight at 1 and puts the ratio at 7/6: lambda_D = 7/6 * 30 / 10 = 3.5
    assert type(args).__name__ == "KTOConfig"
    assert args.undesirable_weight == pytest.approx(1.0)
    assert args.desirable_weight == pytest.approx(3.5, abs=1e-4)
    ratio = args.desirable_weight * nd / (args.undesirable_weight * nu)
    assert 1.0 <= ratio <= 4 / 3


def test_many_more_desirable_scale_the_undesirable_side_in_the_trainer(tmp_path):
    import torch

    rows = [r for r in toy_samples() if not (r.get("split") == "train" and not r["label"])]
    rows += [r for r in toy_samples() if r.get("split") == "train" and not r["label"]][:6]  # 30 desirable / 6
    samples = write_samples(tmp_path / "samples.jsonl", rows)
    run = tmp_path / "run"
    cli([*KTO, f"data.path={samples}", "train.max_steps=1", "train.heldout_eval=false"], run)
    args = torch.load(run / "final" / "training_args.bin", weights_only=False)
    assert args.desirable_weight == pytest.approx(1.0)
    assert args.undesirable_weight == pytest.approx(30 / (7 / 6 * 6), abs=1e-4)  # 4.2857
