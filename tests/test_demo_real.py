"""`make demo-real` (+experiment=demo_real): SmolLM2-135M before / after a LoRA stage-2 TIR fine-tune.
The default run checks the plan (stages, wiring, a GSM8K slice disjoint from the training sample); the
slow test runs its first stage for real on a smaller slice."""
import json
from pathlib import Path

import pytest
from helpers import CONF, compose_cfg, run_cli
from hydra import compose, initialize_config_dir

from numina_exp.evaluate.suites import load_suite, read_jsonl
from numina_exp.methods.pipeline import plan


def _plan(tmp_path):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return plan(compose(config_name="config", overrides=["experiment=demo_real"]), tmp_path)


def test_demo_real_plan_evaluates_smollm2_before_and_after_its_lora(tmp_path):
    before, lora, after = _plan(tmp_path)
    assert [s.cfg.method.name for s in (before, lora, after)] == ["evaluate", "sft", "evaluate"]
    assert {s.cfg.model.name for s in (before, lora, after)} == {"smollm2_135m"}
    assert before.cfg.model.path is None and not before.cfg.scale.tiny_model  # the real weights, not a twin
    assert lora.cfg.train.peft.kind == "lora" and lora.cfg.train.init_from is None
    assert after.cfg.model.path == str(tmp_path / "1_stage2_tir_lora" / "final")
    # the same evaluation both times: only the model differs
    assert before.cfg.decoding == after.cfg.decoding and before.cfg.eval == after.cfg.eval
    assert before.cfg.eval.nm_grid and before.cfg.decoding.n >= 4 and before.cfg.decoding.m >= 2


def test_demo_real_slice_holds_no_training_problem(tmp_path):
    before, lora, _ = _plan(tmp_path)
    rows = load_suite(before.cfg.eval)
    trained = {r["problem"].strip() for r in read_jsonl(lora.cfg.data.path)}
    assert len(rows) == before.cfg.eval.limit
    assert not trained & {r["problem"].strip() for r in rows}
    # the shipped GSM8K file itself does overlap (the TIR sample holds GSM8K test rows): the exclusion matters
    full = load_suite({**{k: v for k, v in before.cfg.eval.items()}, "exclude_problems_in": [], "limit": None})
    assert trained & {r["problem"].strip() for r in full}


@pytest.mark.slow
def test_demo_real_first_stage_runs(tmp_path):
    """Its first stage (SmolLM2 SC-TIR on GSM8K through vLLM) on 2 problems, N=2, M=2."""
    cfg = compose_cfg(["experiment=demo_real"])
    overrides = list(cfg.pipeline.overrides) + ["eval.limit=2", "decoding.n=2", "decoding.m=2", "decoding.max_new_tokens=64"]
    run = tmp_path / "demo_real"
    proc = run_cli(["+experiment=demo_real", "pipeline.stages=[{experiment: eval_sc_tir, name: eval_before}]",
                    "pipeline.overrides=[" + ",".join(overrides) + "]", f"hydra.run.dir={run}"], timeout=1500,
                   env={"VLLM_ENABLE_V1_MULTIPROCESSING": "0"})
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    res = json.loads((run / "0_eval_before" / "results.json").read_text())
    assert res["model"] == "smollm2_135m" and res["problems"] == 2 and res["tokens"] > 0
    assert Path(run / "0_eval_before" / "nm_grid.json").exists()
