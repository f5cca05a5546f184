"""method=merge: several fine-tunes -> one model through mergekit (numina_exp/merge/).

    python -m numina_exp method=merge merge.method=ties merge.models=[A,B] merge.weights=[0.5,0.5] \
        merge.base_model=C merge.density=0.5

A, B, C: run directories (their final/), pipeline stage names, or hub ids (at scale=cpu a hub id's
tiny twin). Every check - the request, the references, the architectures read from config.json - runs
before mergekit loads a tensor. Output: final/ (model + tokenizer + lineage.json + resolved config)."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Optional

from omegaconf import II

from ..core.errors import ConfigError
from ..core.registry import Method
from ..merge.plan import MergeMethod


class MergeDtype(str, Enum):
    auto = "auto"  # the dtype the inputs are stored in (their config.json); inputs that disagree are refused
    float32 = "float32"
    bfloat16 = "bfloat16"
    float16 = "float16"


@dataclass
class MergeConfig:
    method: MergeMethod = MergeMethod.ties
    models: list = field(default_factory=list)  # run dirs, pipeline stage names or hub ids
    weights: list = field(default_factory=list)  # one per model; empty: equal weights (not used by slerp/warp)
    base_model: Optional[str] = None  # what the models were fine-tuned from (task-vector methods and warp)
    density: float = 0.5  # ties / dare_*: fraction of each task vector kept
    t: float = 0.5  # slerp / warp: interpolation factor between models[0] (0) and models[1] (1)
    eta: float = 0.5  # warp: 0 = the base model, 1 = the SLERP of the fine-tunes
    seed: int = II("seed")  # DARE drops parameters at random: the same seed gives a bit-identical merge (docs/seeds.md)
    dtype: MergeDtype = MergeDtype.auto  # the dtype mergekit computes and writes in; auto: the inputs' own


def request(cfg):
    from ..merge.plan import MergeRequest

    m = cfg.merge
    return MergeRequest(method=MergeMethod(m.method), models=[str(x) for x in m.models], weights=[float(w) for w in m.weights],
                        base_model=str(m.base_model) if m.base_model else None, density=float(m.density), t=float(m.t),
                        eta=float(m.eta), seed=int(m.seed), dtype=MergeDtype(m.dtype).value)


def _local(ref: str) -> bool:
    return ref.startswith(("/", "./", "../", "~"))


def validate(cfg) -> None:
    """The request, and local references that must exist (or be planned by an earlier pipeline stage).
    Stage names and hub ids are resolved when the run starts, still before any tensor loads."""
    from ..core import planned
    from ..merge.inputs import InputError
    from ..merge.plan import check_request
    from ..models.trust import refuse_remote_code

    try:
        check_request(request(cfg))
    except InputError as err:
        raise ConfigError(err.key, err.problem, err.fix) from None
    refs = [(f"merge.models[{i}]", str(r)) for i, r in enumerate(cfg.merge.models)]
    if cfg.merge.base_model:
        refs.append(("merge.base_model", str(cfg.merge.base_model)))
    for key, ref in refs:
        if _local(ref) and not planned.exists(ref):
            raise ConfigError(key, f"does not exist: {ref}", "give a run directory (its final/ is used) or a model directory")
        path = Path(ref).expanduser()
        refuse_remote_code(path / "final" if (path / "final").is_dir() else path, key, bool(cfg.model.trust_remote_code))


def run(cfg, run_dir) -> dict:
    from ..merge import merge
    from ..merge.inputs import InputError

    run_dir = Path(run_dir)
    final = run_dir / "final"
    try:
        lineage = merge(request(cfg), final, run_dir=run_dir, tiny=bool(cfg.scale.tiny_model),
                        trust_remote_code=bool(cfg.model.trust_remote_code))
    except InputError as err:  # a reference that only resolves now (stage name, hub id): same message as validation
        raise ConfigError(err.key, err.problem, err.fix) from None
    if (run_dir / "resolved_config.yaml").exists():
        shutil.copy(run_dir / "resolved_config.yaml", final / "resolved_config.yaml")
    return {"final_dir": str(final), "method": lineage["method"], "inputs": [i["path"] for i in lineage["inputs"]],
            "base_model": (lineage["base_model"] or {}).get("path"), "seconds": lineage["seconds"]}


METHOD = Method(
    name="merge", run=run, validate=validate, section="merge", schema=MergeConfig,
    consumes={"models": "merge.models"}, produces={"model": "final"},
    model_refs=lambda cfg: [(f"merge.models[{i}]", r) for i, r in enumerate(cfg.merge.models)] + [("merge.base_model", cfg.merge.base_model)],
    doc="merge fine-tunes with mergekit (linear, slerp, task_arithmetic, ties, dare_ties, dare_linear, warp)",
)
