"""Tiny twins: the real model's architecture family at ~1 M parameters, randomly initialised from a
fixed seed, saved as an ordinary model directory (weights + tokenizer) so every consumer (TRL's
reference-model reload, vLLM, mergekit) takes the same path it takes at real scale."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .tokenizer import build_tokenizer, cache_root, publish_dir


def tiny_config(arch: str, tiny: dict, tokenizer):
    """transformers config of the twin. InternLM2 twins are Llama-shaped (as InternLM3 is in transformers)."""
    common = dict(
        vocab_size=len(tokenizer), hidden_size=tiny["hidden_size"], num_hidden_layers=tiny["num_hidden_layers"],
        num_attention_heads=tiny["num_attention_heads"], num_key_value_heads=tiny["num_key_value_heads"],
        intermediate_size=tiny["intermediate_size"], max_position_embeddings=tiny["max_position_embeddings"],
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    if arch == "mixtral":
        from transformers import MixtralConfig
        return MixtralConfig(num_local_experts=tiny["num_local_experts"], num_experts_per_tok=tiny["num_experts_per_tok"],
                             output_router_logits=True, router_aux_loss_coef=0.02, **common)
    if arch in ("llama", "internlm2"):
        from transformers import LlamaConfig
        return LlamaConfig(**common)
    raise ValueError(f"no tiny twin for arch {arch!r}; use llama, mixtral or internlm2")


def materialize_tiny(model_cfg, template: str = "numina") -> Path:
    """Build (once, cached by config hash) and return the directory of the tiny twin of `model_cfg`."""
    import torch
    from transformers import AutoModelForCausalLM

    tiny = {k: model_cfg.tiny[k] for k in model_cfg.tiny}
    tok = build_tokenizer(vocab_size=tiny["vocab_size"], template=template)
    key_src = json.dumps([model_cfg.arch, tiny, len(tok), tok.init_kwargs.get("name_or_path", ""), template], sort_keys=True)
    key = hashlib.sha256(key_src.encode()).hexdigest()[:12]
    out = cache_root() / "tiny" / f"{model_cfg.name}-{key}"
    if (out / "config.json").exists():
        return out
    config = tiny_config(model_cfg.arch, tiny, tok)
    torch.manual_seed(tiny["seed"])
    model = AutoModelForCausalLM.from_config(config)
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    model.save_pretrained(str(tmp))
    tok.save_pretrained(str(tmp))
    publish_dir(tmp, out)
    return out
