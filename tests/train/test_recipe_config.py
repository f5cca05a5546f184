"""Every recipe value of docs/training.md (the recipe table) is in the composed stage1_cot / stage2_tir configs, and the
TRL arguments built from them are the recipe's (planned for 8 GPUs, bf16)."""
import pytest
from hydra.errors import ConfigCompositionException

from numina_exp.config import ConfigError
from numina_exp.train.args import accumulation_steps, sft_kwargs

from .conftest import compose

RECIPE = {  # docs/training.md, the recipe table
    "stage1_cot": {"model.hub_id": "deepseek-ai/deepseek-math-7b-base", "data.hub_id": "AI-MO/NuminaMath-CoT",
                   "train.block_size": 2048, "train.epochs": 3, "train.warmup_ratio": 0.0},
    "stage1_cot_warmup01": {"model.hub_id": "deepseek-ai/deepseek-math-7b-base", "train.warmup_ratio": 0.1, "train.epochs": 3},
    "stage2_tir": {"model.hub_id": "AI-MO/NuminaMath-7B-CoT", "data.hub_id": "AI-MO/NuminaMath-TIR",
                   "train.block_size": 1024, "train.epochs": 4, "train.warmup_ratio": 0.1},
}
SHARED = {"train.learning_rate": 2e-5, "train.lr_scheduler": "cosine", "train.per_device_batch_size": 4,
          "train.global_batch_size": 32, "train.packing": True, "train.packing_strategy": "wrapped",
          "train.loss_masking": "none", "train.bf16": True, "train.activation_checkpointing": True, "train.seed": 42,
          "train.optim": "adamw_torch", "train.weight_decay": 0.0, "train.max_grad_norm": 1.0, "train.logging_steps": 5,
          "train.eval_each_epoch": True, "method.name": "sft", "model.chat_template": "numina"}
TRL = {"learning_rate": 2e-5, "lr_scheduler_type": "cosine", "per_device_train_batch_size": 4,
       "gradient_accumulation_steps": 1, "packing": True, "packing_strategy": "wrapped", "seed": 42, "optim": "adamw_torch",
       "weight_decay": 0.0, "max_grad_norm": 1.0, "logging_steps": 5, "eval_strategy": "epoch", "bf16": True,
       "use_cpu": False, "gradient_checkpointing": True, "gradient_checkpointing_kwargs": {"use_reentrant": False},
       "assistant_only_loss": False, "completion_only_loss": False, "max_steps": -1}


def _get(cfg, dotted):
    node = cfg
    for part in dotted.split("."):
        node = node[part]
    return node


@pytest.mark.parametrize("experiment", sorted(RECIPE))
def test_recipe_values_in_composed_config(experiment):
    cfg = compose([f"+experiment={experiment}"])
    for key, want in {**SHARED, **RECIPE[experiment]}.items():
        assert _get(cfg, key) == want, key


@pytest.mark.parametrize("experiment", sorted(RECIPE))
def test_trl_arguments_from_recipe(experiment, tmp_path):
    cfg = compose([f"+experiment={experiment}", "distributed=zero3", "launch.gpus=8"])
    kw = sft_kwargs(cfg, tmp_path, world=8, cpu=False, bf16_ok=True)
    for key, want in TRL.items():
        assert kw[key] == want, key
    assert kw["max_length"] == RECIPE[experiment].get("train.block_size", 2048)
    assert kw["num_train_epochs"] == RECIPE[experiment]["train.epochs"]
    assert kw["warmup_steps"] == RECIPE[experiment]["train.warmup_ratio"]  # TRL 1.16: float = ratio
    assert kw["per_device_train_batch_size"] * 8 * kw["gradient_accumulation_steps"] == 32
    # The trainer accepts them.
    from trl import SFTConfig
    SFTConfig(**{**kw, "bf16": False, "use_cpu": True})


def test_global_batch_is_derived():
    assert accumulation_steps(32, 4, 8) == 1
    assert accumulation_steps(32, 4, 1) == 8
    assert accumulation_steps(32, 4, 2) == 4
    with pytest.raises(ValueError):
        accumulation_steps(32, 4, 3)


@pytest.mark.parametrize("experiment,check", [
    ("mmos_single_step", {"data.name": "mmos", "train.block_size": 1024}),
    ("stage2_tir_lora", {"train.peft.kind": "lora", "train.block_size": 1024}),
    ("stage2_tir_dora", {"train.peft.kind": "dora"}),
    ("stage2_tir_internlm20b", {"model.name": "internlm_20b", "model.trust_remote_code": True, "train.epochs": 4}),
    ("stage2_tir_codellama33b", {"model.name": "codellama_33b", "train.warmup_ratio": 0.1}),
    ("stage2_tir_mixtral8x7b", {"model.arch": "mixtral", "train.block_size": 1024}),
])
def test_ablations_inherit_stage2(experiment, check):
    cfg = compose([f"+experiment={experiment}"])
    for key, want in check.items():
        assert _get(cfg, key) == want, key
    assert cfg.experiment_name == experiment


@pytest.mark.parametrize("name,stage,offload", [("zero3", 3, False), ("zero3_offload", 3, True), ("ddp", 0, False)])
def test_distributed_group_renders_accelerate_config(name, stage, offload):
    from numina_exp.train.launch import accelerate_config

    cfg = compose(["+experiment=stage2_tir", f"distributed={name}", "launch.gpus=8"])
    conf = accelerate_config(cfg, cpu=False)
    assert conf["num_processes"] == 8 and conf["num_machines"] == 1 and conf["mixed_precision"] == "bf16"
    if name == "ddp":
        assert conf["distributed_type"] == "MULTI_GPU"
    else:
        ds = conf["deepspeed_config"]
        assert conf["distributed_type"] == "DEEPSPEED" and ds["zero_stage"] == stage
        assert ds["zero3_init_flag"] and ds["zero3_save_16bit_model"]
        assert (ds["offload_param_device"] == "cpu") == offload


def test_multinode_layout(monkeypatch):
    from numina_exp.train.launch import accelerate_config

    monkeypatch.setenv("SLURM_NODEID", "1")
    monkeypatch.setenv("MASTER_ADDR", "node017")
    cfg = compose(["+experiment=stage2_tir", "distributed=zero3", "launch.gpus=8", "launch.nodes=2",
                   "train.per_device_batch_size=2"])
    conf = accelerate_config(cfg, cpu=False)
    assert (conf["num_processes"], conf["num_machines"], conf["machine_rank"], conf["main_process_ip"]) == (16, 2, 1, "node017")


def test_invalid_combinations_rejected():
    with pytest.raises(ConfigError):
        compose(["+experiment=stage2_tir", "train.global_batch_size=30", "launch.gpus=8"])
    # closed choices are Enums: composition itself rejects a wrong value, naming the key
    with pytest.raises(ConfigCompositionException, match="train.packing_strategy"):
        compose(["+experiment=stage2_tir", "train.packing_strategy=ffd"])
    with pytest.raises(ConfigError):
        compose(["+experiment=stage2_tir", "train.init_from=/does/not/exist"])
