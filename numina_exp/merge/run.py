"""Run a merge plan through mergekit's Python API into a model directory, with lineage.

Order matters: every check (request, references, architectures from config.json) runs before mergekit
loads a tensor. Each step writes into `<dir>.tmp` and is renamed when complete, so a killed merge
leaves no half-written model; a re-run with the same plan finds the finished output and returns it."""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Optional

from ..core.io import atomic_write_json
from .inputs import ModelInput, check_same_architecture, resolve_ref
from .plan import AUTO, RANDOM, MergeMethod, MergeRequest, build_plan, check_request, inputs_dtype

log = logging.getLogger("numina_exp")
TOKENIZER_FILES = ("tokenizer_config.json", "tokenizer.json", "tokenizer.model", "special_tokens_map.json",
                   "chat_template.jinja")


def resolve_inputs(req: MergeRequest, run_dir: Optional[Path] = None, tiny: bool = False, trust_remote_code: bool = False):
    """(models, base): references resolved (a directory shipping code refused unless trusted) and
    architectures checked, no tensor read."""
    check_request(req)
    models = [resolve_ref(ref, f"merge.models[{i}]", run_dir, tiny, trust_remote_code) for i, ref in enumerate(req.models)]
    base = resolve_ref(req.base_model, "merge.base_model", run_dir, tiny, trust_remote_code) if req.base_model else None
    keyed = [(f"merge.models[{i}]", m) for i, m in enumerate(models)] + ([("merge.base_model", base)] if base else [])
    check_same_architecture(keyed)
    return models, base


def _lineage_of(item: ModelInput) -> Optional[dict]:
    """What the input itself recorded about its origin (a merge's lineage, a training run's config)."""
    path = Path(item.path)
    if (path / "lineage.json").exists():
        return json.loads((path / "lineage.json").read_text())
    if (path / "resolved_config.yaml").exists():
        return {"resolved_config": str(path / "resolved_config.yaml")}
    return None


def _run_mergekit(config: dict, out_dir: Path, seed: int, trust_remote_code: bool = False) -> None:
    from mergekit.config import MergeConfiguration
    from mergekit.merge import run_merge
    from mergekit.options import MergeOptions

    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    # random_seed: run_merge seeds torch before planning, so DARE's random drops repeat bit for bit.
    run_merge(MergeConfiguration.model_validate(config), str(tmp),
              MergeOptions(random_seed=seed, copy_tokenizer=True, write_model_card=True, quiet=False,
                           trust_remote_code=trust_remote_code))
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)


def _ensure_tokenizer(out_dir: Path, donor: ModelInput) -> None:
    """mergekit copies the base model's tokenizer; linear/slerp without one may copy none: take the first model's."""
    if (out_dir / "tokenizer_config.json").exists():
        return
    src = Path(donor.path)
    if src.exists():
        for name in TOKENIZER_FILES:
            if (src / name).exists():
                shutil.copy(src / name, out_dir / name)
    else:
        from transformers import AutoTokenizer
        AutoTokenizer.from_pretrained(donor.path).save_pretrained(str(out_dir))


def merge(req: MergeRequest, out_dir: Path, run_dir: Optional[Path] = None, tiny: bool = False,
          trust_remote_code: bool = False) -> dict:
    """Merge into `out_dir` (model + tokenizer + lineage.json). Returns the lineage record."""
    out_dir = Path(out_dir)
    work_dir = Path(run_dir) if run_dir else out_dir.parent
    models, base = resolve_inputs(req, run_dir, tiny, trust_remote_code)
    if req.dtype == AUTO:
        req = replace(req, dtype=inputs_dtype(models + ([base] if base else [])))
    steps = build_plan(req, models, base, out_dir, work_dir)
    plan_hash = hashlib.sha256(json.dumps([s.config for s in steps] + [req.seed], sort_keys=True).encode()).hexdigest()[:16]
    done = out_dir / "lineage.json"
    if done.exists() and (out_dir / "config.json").exists() and json.loads(done.read_text()).get("plan_hash") == plan_hash:
        log.info("merge: %s already holds this merge (plan %s); not merging again", out_dir, plan_hash)
        return json.loads(done.read_text())

    method = MergeMethod(req.method)
    started = time.time()
    for i, step in enumerate(steps, 1):
        print(f"[merge] step {i}/{len(steps)} {step.name} (mergekit {step.config['merge_method']}) -> {step.out_dir}", flush=True)
        _run_mergekit(step.config, step.out_dir, req.seed, trust_remote_code)
    _ensure_tokenizer(out_dir, base or models[0])
    lineage = {
        "kind": "merge", "method": method.value, "plan_hash": plan_hash,
        "inputs": [{"role": "model", "ref": m.ref, "path": m.path, "resolved_as": m.kind,
                    "weight": (list(req.weights) or [None] * len(models))[i], "lineage": _lineage_of(m)}
                   for i, m in enumerate(models)],
        "base_model": ({"ref": base.ref, "path": base.path, "resolved_as": base.kind, "lineage": _lineage_of(base)}
                       if base else None),
        "parameters": {"density": req.density, "t": req.t, "eta": req.eta, "dtype": req.dtype,
                       "seed": req.seed, "seed_matters": method in RANDOM},
        "mergekit_steps": [{"name": s.name, "out_dir": str(s.out_dir), "config": s.config} for s in steps],
        "mergekit_version": metadata.version("mergekit"), "seconds": round(time.time() - started, 2),
    }
    atomic_write_json(done, lineage)  # written last: its presence marks a complete merge
    print(f"[merge] {method.value} of {len(models)} models -> {out_dir} ({lineage['seconds']} s)", flush=True)
    return lineage
