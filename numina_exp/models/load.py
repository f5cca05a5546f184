"""One loading path for every scale: the config says where the weights are (hub id, local path, a
run's final/, or the tiny twin built on the fly) and this returns a transformers model/tokenizer."""
from __future__ import annotations

from pathlib import Path

from .chat_template import CHAT_TEMPLATES
from .trust import refuse_remote_code


def is_tiny(cfg) -> bool:
    """scale=cpu swaps every model for its twin; tiny_* models are twins at any scale."""
    return bool(cfg.scale.tiny_model) or str(cfg.model.hub_id).startswith("tiny/")


def resolve_model_source(cfg) -> str:
    """Where weights come from: model.path > tiny twin > a GGUF shipped in a package (model.gguf) > hub id.
    A run directory resolves to its final/, refused if it ships code and model.trust_remote_code is false."""
    if cfg.model.path:
        path = Path(cfg.model.path).expanduser()
        source = str(path / "final" if (path / "final" / "config.json").exists() else path)
        refuse_remote_code(source, "model.path", bool(cfg.model.trust_remote_code))
        return source
    if is_tiny(cfg):
        from .tiny import materialize_tiny
        return str(materialize_tiny(cfg.model))
    gguf = cfg.model.get("gguf")
    if gguf is not None and gguf.package:
        from .gguf import materialize_gguf
        return str(materialize_gguf(gguf.package, gguf.file))
    return cfg.model.hub_id


def load_tokenizer(cfg, source: str | None = None):
    from transformers import AutoTokenizer

    source = source or resolve_model_source(cfg)
    refuse_remote_code(source, "the model to load", bool(cfg.model.trust_remote_code))  # train.init_from, a stage output
    tok = AutoTokenizer.from_pretrained(source, trust_remote_code=cfg.model.trust_remote_code)
    # The base model ships no NuminaMath template; the recipe's template is part of the experiment.
    if cfg.model.chat_template in CHAT_TEMPLATES:
        tok.chat_template = CHAT_TEMPLATES[cfg.model.chat_template]
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def torch_dtype(name: str, device: str):
    import torch

    if device == "cpu" and name in ("bfloat16", "float16"):
        return torch.float32  # CPU kernels for half types are slow or missing; twins are fp32 anyway
    return {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}[name]


def load_model(cfg, source: str | None = None, device: str | None = None):
    import torch
    from transformers import AutoModelForCausalLM

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    source = source or resolve_model_source(cfg)
    refuse_remote_code(source, "the model to load", bool(cfg.model.trust_remote_code))
    model = AutoModelForCausalLM.from_pretrained(source, dtype=torch_dtype(cfg.model.dtype, device),
                                                 trust_remote_code=cfg.model.trust_remote_code)
    return model.to(device)
