"""method=evaluate: decode a suite once per seed (greedy / maj@k / SC-TIR), grade, resume, N x M grid,
report. The computation is numina_exp.evaluate.runner; this module declares the method."""
from ..core.registry import Method


def run(cfg, run_dir):
    from ..evaluate.runner import run as evaluate

    return evaluate(cfg, run_dir)


def validate(cfg):
    """Every suite row and replayed generation line, before any model loads (file and line named)."""
    from ..evaluate.checks import check_inputs

    check_inputs(cfg)


METHOD = Method(
    name="evaluate", run=run, validate=validate, needs=("decoding", "backend", "eval"),
    consumes={"model": "model.path"}, produces={"eval": "results.json"},
    doc="decode an eval suite (greedy / maj@k / SC-TIR) and grade it",
)
