"""Schema of the `backend` group: who turns prompts into text. Each name's class and capabilities:
numina_exp.generate.backends.BACKENDS."""
from dataclasses import dataclass
from enum import StrEnum
from typing import Optional


class BackendName(StrEnum):
    hf = "hf"  # transformers generate
    vllm = "vllm"
    replay = "replay"  # the generations (and execution results) an earlier run recorded
    openai = "openai"  # any OpenAI-compatible completions endpoint


@dataclass
class BackendConfig:
    name: BackendName = BackendName.hf
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
    # openai: any OpenAI-compatible completions endpoint (vllm serve, TGI, a hosted API)
    url: Optional[str] = None  # e.g. http://127.0.0.1:8000/v1
    model: Optional[str] = None  # the served model name; null: the first one GET {url}/models lists
    api_key_env: Optional[str] = None  # NAME of the environment variable with the key (never the key itself)
    concurrency: int = 8  # requests in flight
    retries: int = 4  # per request, after the first try (refused, timeout, 429/5xx, malformed JSON)
    backoff_s: float = 1.0  # first retry delay; doubles per retry (with jitter) up to backoff_max_s
    backoff_max_s: float = 30.0
    request_timeout_s: float = 120.0
    vllm_extensions: bool = True  # send vLLM's per-request seed / top_k / include_stop_str_in_output
