"""The offline hub check asks the declarations, not names: an evaluation loads model.* only where its
backend builds an engine from weights (Backend.loads_weights), and a merge's models come from
Method.model_refs."""
from helpers import compose_cfg

from numina_exp.core.registry import method
from numina_exp.generate.backends import backend_class
from numina_exp.models.hub import hub_refs


def _model_keys(cfg, backend):
    m = method(cfg.method.name)
    return [key for key, _, kind in hub_refs(cfg, m.needs, backend_class(backend).loads_weights, m.model_refs) if kind == "model"]


def test_evaluate_loads_the_model_only_through_a_backend_that_loads_weights():
    cfg = compose_cfg(["method=evaluate", "model=deepseek_math_7b_base", "eval=amc"])
    assert _model_keys(cfg, "vllm") == _model_keys(cfg, "hf") == ["model.hub_id"]
    assert _model_keys(cfg, "openai") == _model_keys(cfg, "replay") == []


def test_a_merge_checks_the_hub_models_it_declares():
    cfg = compose_cfg(["method=merge", "merge.models=[/tmp/some_run,deepseek-ai/deepseek-math-7b-rl]",
                       "merge.base_model=deepseek-ai/deepseek-math-7b-base"])
    assert _model_keys(cfg, "vllm") == ["merge.models[1]", "merge.base_model"]
