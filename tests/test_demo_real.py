"""`make demo-real` (+experiment=demo_real): SmolLM2-135M on Mini-AIMO before / after a stage-2 TIR fine-tune.
The default run checks the plan (stages, wiring, the evaluation slice disjoint from the training rows); the
CI-sized run trains SmolLM2 a few steps on Mini-AIMO data and evaluates 4 problems through the CLI."""
import json

from helpers import CONF, compose_cfg, run_cli
from hydra import compose, initialize_config_dir

from numina_exp.evaluate.suites import load_suite, read_jsonl
from numina_exp.methods.pipeline import plan


def _plan(tmp_path):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return plan(compose(config_name="config", overrides=["experiment=demo_real"]), tmp_path)


def test_demo_real_plan_evaluates_smollm2_before_and_after_its_fine_tune(tmp_path):
    before, sft, after = _plan(tmp_path)
    assert [s.cfg.method.name for s in (before, sft, after)] == ["evaluate", "sft", "evaluate"]
    assert {s.cfg.model.name for s in (before, sft, after)} == {"smollm2_135m"}
    assert before.cfg.model.path is None and not before.cfg.scale.tiny_model  # the real weights, not a twin
    assert sft.cfg.train.peft.kind == "none" and sft.cfg.train.init_from is None  # the recipe's full fine-tune
    assert sft.cfg.data.name == "mini_aimo" and sft.cfg.data.format == "tir"
    assert after.cfg.model.path == str(tmp_path / "1_stage2_tir" / "final")
    # the same evaluation both times: only the model differs
    assert before.cfg.decoding == after.cfg.decoding and before.cfg.eval == after.cfg.eval
    assert before.cfg.eval.name == "mini_aimo" and before.cfg.eval.answer_kind == "integer"
    assert before.cfg.eval.nm_grid and before.cfg.decoding.n >= 4 and before.cfg.decoding.m >= 2


def test_demo_real_slice_spans_the_families_and_holds_no_training_problem(tmp_path):
    before, sft, _ = _plan(tmp_path)
    rows = load_suite(before.cfg.eval)
    assert len(rows) == before.cfg.eval.limit
    assert len({r["family"] for r in rows}) >= 8  # a shuffled slice, not the first families of the file
    trained = {r["problem"].strip() for r in read_jsonl(sft.cfg.data.path)}
    assert not trained & {r["problem"].strip() for r in rows}


def test_mini_aimo_trains_smollm2_and_evaluates_through_the_cli(tmp_path):
    """CI-sized Mini-AIMO on the real model: 2 optimizer steps of SmolLM2's stage-2 fine-tune on Mini-AIMO rows,
    then SC-TIR (N=2, M=2) on 4 test problems through vLLM, as `make demo-real` runs them."""
    cfg = compose_cfg(["experiment=demo_real"])
    overrides = [o for o in cfg.pipeline.overrides if not o.startswith(("eval.limit", "decoding.n", "decoding.m", "data.max_rows"))]
    overrides += ["eval.limit=4", "decoding.n=2", "decoding.m=2", "decoding.max_new_tokens=48", "data.max_rows=24",
                  "train.block_size=256", "train.global_batch_size=4", "train.per_device_batch_size=4", "train.max_steps=2",
                  "train.eval_each_epoch=false"]
    run = tmp_path / "mini"
    proc = run_cli(["+experiment=demo_real", "pipeline.stages=[{experiment: mini_stage2_tir, name: stage2_tir},"
                    "{experiment: mini_eval_sc_tir, name: eval_after}]",
                    "pipeline.overrides=[" + ",".join(f"'{o}'" for o in overrides) + "]", f"hydra.run.dir={run}"], timeout=900,
                   env={"VLLM_ENABLE_V1_MULTIPROCESSING": "0"})
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    train = json.loads((run / "0_stage2_tir" / "result.json").read_text())
    assert train["global_step"] == 2 and (run / "0_stage2_tir" / "final" / "config.json").exists()
    res = json.loads((run / "1_eval_after" / "results.json").read_text())
    assert res["model"] == "smollm2_135m" and res["problems"] == 4 and res["tokens"] > 0
    assert res["suite"] == "mini_aimo"
    assert (run / "1_eval_after" / "nm_grid.json").exists()
