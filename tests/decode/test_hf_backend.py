"""HF transformers backend with the tiny model: the same checks as vLLM."""
import pytest
from backend_checks import check_distinct_samples, check_greedy_deterministic, check_sc_tir_end_to_end, check_stop_string
from helpers import compose_cfg

OVERRIDES = ["scale=cpu", "model=tiny_llama", "backend=hf", "backend.batch_size=8"]


def _cfg(strategy="sc_tir_numina", extra=()):
    from numina_exp.config.scaling import apply_scale
    cfg = compose_cfg([*OVERRIDES, f"decoding={strategy}", "decoding.n=3", "decoding.m=3",
                       "decoding.max_new_tokens=24", 'decoding.stop=["e"]', *extra])
    apply_scale(cfg)
    return cfg


@pytest.fixture(scope="module")
def hf_backend():
    from numina_exp.generate.hf import HFBackend
    return HFBackend(_cfg())


def test_stop_string_kept(hf_backend):
    check_stop_string(hf_backend)


def test_n_copies_distinct_and_seeded(hf_backend):
    comps, again = check_distinct_samples(hf_backend)
    assert [c.text for c in comps] == [c.text for c in again]


def test_greedy_deterministic(hf_backend):
    check_greedy_deterministic(hf_backend)


def test_static_cache_same_greedy_text(hf_backend):
    from backend_checks import PROMPTS

    from numina_exp.generate.base import Sampling
    s = Sampling(n=1, temperature=0.0, max_new_tokens=16)
    dynamic = hf_backend.generate(PROMPTS, s)
    hf_backend.static_cache = True
    try:
        static = hf_backend.generate(PROMPTS, s)
    finally:
        hf_backend.static_cache = False
    assert [o[0].text for o in dynamic] == [o[0].text for o in static]


def test_static_cache_with_compile_runs_on_cpu_and_keeps_greedy_text(hf_backend):
    """backend.static_cache + backend.compile (the write-up's inference ablation): generate() compiles
    the forward (on CPU only when asked to, see generate/hf.py) and the greedy texts do not change."""
    import torch
    from backend_checks import PROMPTS

    from numina_exp.generate.base import Sampling
    s = Sampling(n=1, temperature=0.0, max_new_tokens=12)
    dynamic = hf_backend.generate(PROMPTS, s)
    torch._dynamo.reset()
    hf_backend.static_cache = hf_backend.compile = True
    try:
        compiled = hf_backend.generate(PROMPTS, s)
        frames = torch._dynamo.utils.counters["stats"]["unique_graphs"]
    finally:
        hf_backend.static_cache = hf_backend.compile = False
    assert frames > 0  # the forward really went through torch.compile
    assert [o[0].text for o in dynamic] == [o[0].text for o in compiled]


def test_sc_tir_end_to_end_with_code_execution(hf_backend, tmp_path):
    check_sc_tir_end_to_end(_cfg, hf_backend, tmp_path, strategies=[
        ("sc_tir_numina", []), ("sc_tir", ["decoding.pipelining=true", "decoding.early_stop=none"])])


def test_greedy_and_maj_k_decode(hf_backend, tmp_path):
    from backend_checks import check_greedy_and_maj_k
    check_greedy_and_maj_k(_cfg, hf_backend, tmp_path, batch_independent_sampling=False)
