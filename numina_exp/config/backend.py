"""Schema of the `backend` group: who turns prompts into text (vllm | hf | replay)."""
from dataclasses import dataclass
from typing import Optional


@dataclass
class BackendConfig:
    name: str = "hf"  # vllm | hf | replay
    path: Optional[str] = None  # replay: generations.jsonl of an earlier run
    dtype: str = "auto"  # auto: the model's dtype where the device supports it
    batch_size: int = 16  # hf: prompts per generate call
    tensor_parallel_size: int = 1
    data_parallel_size: int = 1  # several GPUs without TP: one engine per GPU
    gpu_memory_utilization: float = 0.9
    enable_prefix_caching: bool = True
    max_model_len: Optional[int] = None  # default: the model's context length
    static_cache: bool = False  # hf: static KV cache (the blog's inference ablation)
    compile: bool = False  # hf: torch.compile the forward (with static_cache)
    enforce_eager: bool = False  # vllm: no CUDA graphs
    cpu_kvcache_gb: int = 1  # vllm on CPU: VLLM_CPU_KVCACHE_SPACE
