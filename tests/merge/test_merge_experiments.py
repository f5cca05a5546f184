"""The merge/quantize pipelines plan (every stage composed, wired and validated, nothing run), and the
weight sweep reaches the merge stage."""
from __future__ import annotations

import pytest
from helpers import CONF, compose_cfg
from hydra import initialize_config_dir

PIPELINES = {
    "merge_sft_kto_ties": ("ties", ["stage2_tir", "kto"]),
    "merge_sft_kto_dare": ("dare_ties", ["stage2_tir", "kto"]),
    "warp_sft_kto": ("warp", ["stage2_tir", "kto"]),
    "merge_sft_deepseekrl_ties": ("ties", None),
}


def _plan(overrides, tmp_path):
    from numina_exp.config.scaling import apply_scale
    from numina_exp.methods.pipeline import plan

    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        from hydra import compose

        cfg = compose(config_name="config", overrides=overrides)
        apply_scale(cfg)
        return plan(cfg, tmp_path)


@pytest.mark.parametrize("experiment", sorted(PIPELINES))
@pytest.mark.parametrize("scale", ["cpu", "full"])
def test_merge_pipelines_plan(experiment, scale, tmp_path, monkeypatch):
    method, wired = PIPELINES[experiment]
    if scale == "full":
        # planned offline, a full-scale pipeline is refused before stage 1 (its hub ids are not cached here);
        # the wiring below is what a machine with the hub plans
        from numina_exp.core.errors import ConfigError
        with pytest.raises(ConfigError, match=r"model\.hub_id.*the hub is offline"):
            _plan([f"experiment={experiment}", f"scale={scale}"], tmp_path)
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
            monkeypatch.delenv(name, raising=False)
    stages = {s.name: s for s in _plan([f"experiment={experiment}", f"scale={scale}"], tmp_path)}
    merge = stages["merge"].cfg.merge
    assert merge.method == method and merge.base_model == "deepseek-ai/deepseek-math-7b-base"
    index = {name: i for i, name in enumerate(stages)}
    if wired:  # the pipeline feeds the stages' final/ dirs
        assert list(merge.models) == [str(tmp_path / f"{index[n]}_{n}" / "final") for n in wired]
        # the KTO stage is the real chain: it trains on the sample stage's labelled copies, from the SFT model
        kto, sample = stages["kto"].cfg, stages["sample_from_sft"].cfg
        assert kto.method.name == "kto" and sample.method.name == "sample" and sample.sample.reference == "all_wrong"
        assert sample.model.path == kto.train.init_from == str(tmp_path / "0_stage2_tir" / "final")
        assert kto.data.path.startswith(str(tmp_path / f"{index['sample_from_sft']}_sample_from_sft"))
    else:  # a stage name and a hub id, resolved when the merge runs
        assert list(merge.models) == ["stage2_tir", "deepseek-ai/deepseek-math-7b-rl"]
    assert stages["eval_sc_tir"].cfg.model.path == str(tmp_path / f"{index['merge']}_merge" / "final")


def test_quantize_pipeline_plans_with_the_hf_backend(tmp_path):
    stages = {s.name: s for s in _plan(["experiment=quantize_gptq8", "scale=cpu"], tmp_path)}
    assert stages["gptq8"].cfg.model.path == str(tmp_path / "0_stage2_tir" / "final")
    assert stages["gptq8"].cfg.quantize.bits == 8 and stages["gptq8"].cfg.quantize.calibration_rows == 256
    assert stages["eval_sc_tir"].cfg.backend.name == "hf"  # vLLM's CPU build cannot serve 8-bit GPTQ


def test_the_weight_sweep_reaches_the_merge_stage(tmp_path):
    stages = {s.name: s for s in _plan(["experiment=merge_sft_kto_ties", "scale=cpu",
                                        "pipeline.overrides=['merge.weights=[0.2,0.8]']"], tmp_path)}
    assert list(stages["merge"].cfg.merge.weights) == [0.2, 0.8]
    sweep = compose_cfg(["experiment=merge_sft_kto_ties"])  # the sweep file's base experiment composes
    assert sweep.experiment_name == "merge_sft_kto_ties"
