"""A run's kind is read from what its result records (`kind`, core/result_kind.py), never guessed from
which keys the result happens to hold: the pipeline's closing summary and report.compare."""
import json

from numina_exp.core.result_kind import ResultKind
from numina_exp.methods.pipeline import _headline
from numina_exp.report.compare import is_kto_run

EVAL = {"suite": "amc", "per_seed": {"0": {"accuracy": 0.5, "correct": 1, "total": 2}}, "copies": {}}
TRAIN = {"global_step": 4, "eval_loss": [2.0, 1.5], "log_history": [{"loss": 3.0}, {"loss": 2.5}], "tokens_per_s": 10.0}


def _entry(result):
    return {"stage": "s", "method": "m", "run_dir": "/runs/s", "outputs": {"model": "/runs/s/final"},
            "model_out": "/runs/s/final", "result": result}


def test_headline_follows_the_recorded_kind():
    assert _headline(_entry({**EVAL, "kind": ResultKind.evaluation})).startswith("amc seed 0: 50.0% (1/2)")
    assert _headline(_entry({**TRAIN, "kind": ResultKind.training})).startswith("4 steps, train loss 3.000 -> 2.500")
    # the same keys without a recorded kind are not guessed at: the stage's outputs are listed
    assert _headline(_entry(EVAL)) == "model: /runs/s/final"
    assert _headline(_entry(TRAIN)) == "model: /runs/s/final"


def test_compare_reads_the_kind_of_a_training_run(tmp_path):
    for name, kind in (("pref", ResultKind.preference_training), ("plain", ResultKind.training)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "train_metrics.json").write_text(json.dumps({"kind": kind, "kto_weights": {}}))
    assert is_kto_run(tmp_path / "pref") and not is_kto_run(tmp_path / "plain")
