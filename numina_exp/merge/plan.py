"""What to merge: a checked request and the mergekit configuration(s) it becomes.

Every method but warp is one mergekit configuration. warp (WARP, Ramé et al. 2024) is two:
  1. `nuslerp` with the initialisation as base: base + SLERP_t(A - base, B - base) (whole-tensor SLERP of
     the two fine-tunes' task vectors);
  2. `linear` of step 1 and the initialisation with weights eta and 1 - eta (interpolation towards the
     initialisation, "LITI"): base + eta * SLERP_t(A - base, B - base).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Optional

from .inputs import InputError, ModelInput


class MergeMethod(str, Enum):
    linear = "linear"
    slerp = "slerp"
    task_arithmetic = "task_arithmetic"
    ties = "ties"
    dare_ties = "dare_ties"
    dare_linear = "dare_linear"
    warp = "warp"


# Methods that work on task vectors (model - base) and so need merge.base_model.
TASK_VECTOR_METHODS = {MergeMethod.task_arithmetic, MergeMethod.ties, MergeMethod.dare_ties, MergeMethod.dare_linear,
                       MergeMethod.warp}
SPARSIFYING = {MergeMethod.ties, MergeMethod.dare_ties, MergeMethod.dare_linear}
RANDOM = {MergeMethod.dare_ties, MergeMethod.dare_linear}  # DARE drops parameters at random: merge.seed matters
TWO_MODELS = {MergeMethod.slerp, MergeMethod.warp}  # mergekit's slerp / nuslerp take exactly two
DTYPES = ("float32", "bfloat16", "float16")
AUTO = "auto"  # merge.dtype: the dtype the inputs are stored in (inputs_dtype)


@dataclass
class MergeRequest:
    """The merge, as explicit arguments (methods/merge.py builds it from cfg.merge)."""

    method: MergeMethod
    models: list[str]
    weights: list[float] = field(default_factory=list)  # empty: equal weights
    base_model: Optional[str] = None
    density: float = 0.5
    t: float = 0.5
    eta: float = 0.5
    seed: int = 0
    dtype: str = AUTO


def check_request(req: MergeRequest) -> None:
    """Everything that can be checked from the request alone (no file, no tensor)."""
    try:
        method = MergeMethod(req.method)
    except ValueError:
        raise InputError("merge.method", f"unknown method {req.method!r}", f"use one of {[m.value for m in MergeMethod]}") from None
    n = len(req.models)
    if n < 2:
        raise InputError("merge.models", f"needs at least two models, got {n}", "list the models to merge: merge.models=[A,B]")
    if method in TWO_MODELS and n != 2:
        raise InputError("merge.models", f"{method.value} merges exactly two models, got {n}",
                         "give two models (for more, merge pairwise in a pipeline)")
    if len(set(map(str, req.models))) != n:
        raise InputError("merge.models", "lists the same model twice", "list each model once and weight it with merge.weights")
    if method in TWO_MODELS:
        if req.weights:
            raise InputError("merge.weights", f"{method.value} is weighted by merge.t, not merge.weights",
                             "unset merge.weights (merge.weights=[]) and set merge.t")
    elif req.weights and len(req.weights) != n:
        raise InputError("merge.weights", f"{len(req.weights)} weights for {n} models",
                         f"give one weight per model in merge.models ({n}), or none for equal weights")
    if any(not math.isfinite(w) for w in req.weights):
        raise InputError("merge.weights", f"non-finite weight in {list(req.weights)}", "use finite numbers")
    if method in TASK_VECTOR_METHODS and not req.base_model:
        raise InputError("merge.base_model", f"{method.value} merges task vectors (model - base) and needs the base",
                         "set merge.base_model to the model the inputs were fine-tuned from")
    if method not in TASK_VECTOR_METHODS and req.base_model:
        what = "interpolates merge.models[0] -> merge.models[1]" if method is MergeMethod.slerp else "uses no base model"
        raise InputError("merge.base_model", f"{method.value} {what}", "unset merge.base_model (merge.base_model=null)")
    if req.base_model and str(req.base_model) in map(str, req.models):
        raise InputError("merge.base_model", "is also listed in merge.models", "list only the fine-tunes in merge.models")
    if method in SPARSIFYING and not (0.0 < req.density <= 1.0):
        raise InputError("merge.density", f"must be in (0, 1], got {req.density}", "e.g. merge.density=0.5")
    if not (0.0 <= req.t <= 1.0):
        raise InputError("merge.t", f"must be in [0, 1], got {req.t}", "e.g. merge.t=0.5")
    if not (0.0 <= req.eta <= 1.0):
        raise InputError("merge.eta", f"must be in [0, 1], got {req.eta}", "e.g. merge.eta=0.5")
    if req.dtype not in (AUTO, *DTYPES):
        raise InputError("merge.dtype", f"unknown dtype {req.dtype!r}", f"use one of {[AUTO, *DTYPES]}")


def inputs_dtype(inputs: list[ModelInput]) -> str:
    """merge.dtype=auto: the dtype every input is stored in (config.json `dtype`, formerly `torch_dtype`;
    none written: float32, what transformers loads). Merging fp32 models in bf16 would round them silently,
    so inputs that disagree are refused rather than guessed."""
    found: dict[str, str] = {}
    for m in inputs:
        c = m.config()
        found.setdefault(str(c.get("dtype") or c.get("torch_dtype") or "float32"), m.ref)
    if len(found) > 1:
        listed = ", ".join(f"{ref}: {d}" for d, ref in found.items())
        raise InputError("merge.dtype", f"the inputs are stored in different dtypes ({listed})",
                         f"choose the merge's dtype, e.g. merge.dtype=float32 (one of {list(DTYPES)})")
    dtype = next(iter(found))
    if dtype not in DTYPES:
        raise InputError("merge.dtype", f"the inputs are stored in {dtype}, which mergekit does not write",
                         f"set merge.dtype to one of {list(DTYPES)}")
    return dtype


@dataclass
class Step:
    name: str
    config: dict  # a mergekit configuration (the content of a mergekit YAML)
    out_dir: Path


def build_plan(req: MergeRequest, models: list[ModelInput], base: Optional[ModelInput], out_dir: Path,
               work_dir: Path) -> list[Step]:
    """The mergekit configurations, in order; the last one writes `out_dir`."""
    method = MergeMethod(req.method)
    paths = [m.path for m in models]
    weights = list(req.weights) or [1.0 / len(paths)] * len(paths)
    common = {"dtype": req.dtype}
    if method is MergeMethod.slerp:
        # mergekit's slerp: base_model is the t=0 end, the other model the t=1 end.
        return [Step("slerp", {"merge_method": "slerp", "base_model": paths[0],
                               "models": [{"model": paths[0]}, {"model": paths[1]}],
                               "parameters": {"t": req.t}, **common}, out_dir)]
    if method is MergeMethod.warp:
        slerp_dir = work_dir / "warp_slerp"
        slerp = {"merge_method": "nuslerp", "base_model": base.path,
                 "models": [{"model": paths[0], "parameters": {"weight": 1.0 - req.t}},
                            {"model": paths[1], "parameters": {"weight": req.t}}],
                 "parameters": {"nuslerp_flatten": True}, **common}
        liti = {"merge_method": "linear",
                "models": [{"model": str(slerp_dir), "parameters": {"weight": req.eta}},
                           {"model": base.path, "parameters": {"weight": 1.0 - req.eta}}],
                "parameters": {"normalize": False}, **common}
        return [Step("warp_slerp", slerp, slerp_dir), Step("warp_liti", liti, out_dir)]
    entries = []
    for path, w in zip(paths, weights):
        params = {"weight": w}
        if method in SPARSIFYING:
            params["density"] = req.density
        entries.append({"model": path, "parameters": params})
    config = {"merge_method": method.value, "models": entries, **common}
    if method in TASK_VECTOR_METHODS:
        config["base_model"] = base.path
    return [Step(method.value, config, out_dir)]
