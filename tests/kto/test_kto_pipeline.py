"""kto_on_sft wires its stages by what each method consumes and produces: the sample stage and KTO
start from the stage-2 model, KTO trains on the sample stage's samples.jsonl, the evaluation decodes
KTO's final model. Planned (composed, wired, validated) without running anything."""
from helpers import CONF
from hydra import compose, initialize_config_dir

from numina_exp.config.scaling import apply_scale
from numina_exp.methods.pipeline import plan


def test_kto_on_sft_wiring(tmp_path):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(config_name="config", overrides=["experiment=kto_on_sft", "scale=cpu"])
        apply_scale(cfg)
        stages = plan(cfg, tmp_path)
    by = {s.name: s for s in stages}
    assert [s.cfg.method.name for s in stages] == ["sft", "sample", "kto", "evaluate"]
    stage2 = str(tmp_path / "0_stage2_tir" / "final")
    assert by["sample_from_sft"].cfg.model.path == stage2
    assert by["kto_from_samples"].cfg.train.init_from == stage2
    assert by["kto_from_samples"].cfg.data.path == str(tmp_path / "1_sample_from_sft" / "samples.jsonl")
    assert by["eval_sc_tir"].cfg.model.path == str(tmp_path / "2_kto_from_samples" / "final")
    assert by["sample_from_sft"].cfg.decoding.n == by["sample_from_sft"].cfg.sample.k == 4
    assert by["sample_from_sft"].cfg.decoding.temperature == 0.8 and not by["sample_from_sft"].cfg.decoding.early_stop
    # stage 2 trains on the prompts KTO samples (NuminaMath-TIR; at scale=cpu two different shipped samples)
    assert by["stage2_tir"].cfg.data.hub_id == by["sample_from_sft"].cfg.data.hub_id == "AI-MO/NuminaMath-TIR"
