"""Is every hub id a run will load there, before the run starts? Offline (HF_HUB_OFFLINE=1, which the
Makefile sets) a hub id is usable only from the local cache: one that is not cached fails minutes into
the run (transformers retries, then a raw OSError; datasets a ConnectionError), after earlier pipeline
stages spent their hours. Checked here from the cache alone (huggingface_hub's cache layout, no network
call): each hub id the config will load, by the key that names it.

Online, nothing is checked: the hub answers for itself."""
from __future__ import annotations

import os
import re
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from ..core.errors import ConfigError
from .gguf import shipped_gguf

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_TRUE = {"1", "on", "yes", "true"}


def offline(kind: str = "model") -> bool:
    names = ["HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"] + (["HF_DATASETS_OFFLINE"] if kind == "dataset" else [])
    return any(os.environ.get(n, "").strip().lower() in _TRUE for n in names)


def _is_hub_id(ref) -> bool:
    ref = str(ref or "")
    return bool(HUB_ID.match(ref)) and not ref.startswith("tiny/") and not Path(ref).expanduser().exists()


def cached(repo_id: str, kind: str) -> bool:
    """Whether the local cache holds `repo_id` (a model: its config.json; a dataset: any snapshot in the
    hub cache or a prepared copy in datasets' own cache)."""
    from huggingface_hub import constants, try_to_load_from_cache
    from huggingface_hub.file_download import repo_folder_name

    if kind == "model":
        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    snapshots = Path(constants.HF_HUB_CACHE) / repo_folder_name(repo_id=repo_id, repo_type="dataset") / "snapshots"
    if snapshots.is_dir() and any(snapshots.iterdir()):
        return True
    prepared = Path(os.environ.get("HF_DATASETS_CACHE") or Path(constants.HF_HOME) / "datasets")
    return (prepared / repo_id.replace("/", "___")).is_dir()


def hub_refs(cfg: DictConfig, needs, backend_loads_weights: bool = False, model_refs=None) -> list[tuple[str, str, str]]:
    """(config key, hub id, model|dataset) for every hub id a run of `cfg` loads (a method that needs
    `needs`; `backend_loads_weights`: its backend builds an engine from model.* here, the generate layer's
    flag; `model_refs`: the method's own model inputs, Method.model_refs); local paths, tiny twins
    (scale=cpu), shipped samples and GGUF packages load none."""
    tiny = bool(OmegaConf.select(cfg, "scale.tiny_model"))
    refs = []
    init_from = OmegaConf.select(cfg, "train.init_from")
    loads_model = "model" in needs or ("backend" in needs and backend_loads_weights)
    if loads_model and not tiny and not cfg.model.path and not init_from and not OmegaConf.select(cfg, "model.gguf.package"):
        if _is_hub_id(cfg.model.hub_id):
            refs.append(("model.hub_id", str(cfg.model.hub_id), "model"))
    if init_from and not tiny and _is_hub_id(init_from):
        refs.append(("train.init_from", str(init_from), "model"))
    if "data" in needs and not cfg.data.path and not (OmegaConf.select(cfg, "scale.sample_data") and cfg.data.sample_path):
        if _is_hub_id(cfg.data.hub_id):
            refs.append(("data.hub_id", str(cfg.data.hub_id), "dataset"))
    if "eval" in needs and not cfg.eval.path and not cfg.eval.suites and _is_hub_id(cfg.eval.hub_id):
        refs.append(("eval.hub_id", str(cfg.eval.hub_id), "dataset"))
    if model_refs is not None and not tiny:
        named = model_refs(cfg)
        # a hub id whose weights ship as a GGUF in a package (SmolLM2) is resolved from the package
        refs += [(key, str(r), "model") for key, r in named if r and _is_hub_id(r) and not shipped_gguf(str(r))]
    return refs


def check_hub_available(cfg: DictConfig, backend_loads_weights: bool = False) -> None:
    """ConfigError at the first hub id the run of `cfg` would load that is neither reachable (offline) nor
    cached. Called after validation, before the run starts (for a pipeline: for every stage up front)."""
    from ..core.registry import methods

    declared = methods().get(cfg.method.name)
    for key, repo_id, kind in hub_refs(cfg, declared.needs if declared else (), backend_loads_weights,
                                       declared.model_refs if declared else None):
        if offline(kind) and not cached(repo_id, kind):
            local = {"model.hub_id": "model.path", "data.hub_id": "data.path", "eval.hub_id": "eval.path"}.get(key, key)
            raise ConfigError(key, f"{repo_id} is a hub {kind} id, the hub is offline (HF_HUB_OFFLINE=1) and the local cache "
                              f"does not hold it", f"run at scale=cpu (tiny twins, shipped samples), point {local} at a local "
                              f"copy, or fill the cache once online: huggingface-cli download {repo_id}"
                              + (" --repo-type dataset" if kind == "dataset" else ""))
