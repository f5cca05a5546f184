"""scale=cpu: same code paths, smaller sizes. Applied after composition (not as a config layer) so
that an experiment file can never silently undo it; every change is returned and logged loudly."""
from __future__ import annotations

from omegaconf import DictConfig, OmegaConf, open_dict


def _cap(cfg: DictConfig, key: str, cap, changes: list) -> None:
    section, _, leaf = key.rpartition(".")
    node = OmegaConf.select(cfg, section)
    if node is None or leaf not in node:  # e.g. no train section: the method trains nothing
        return
    value = node[leaf]
    if cap is not None and (value is None or value > cap):
        node[leaf] = cap
        changes.append(f"{key}: {value} -> {cap}")


def apply_scale(cfg: DictConfig) -> list[str]:
    """Mutates cfg in place; returns a human-readable list of what changed."""
    from ..core.registry import methods

    s = cfg.scale
    changes: list[str] = []
    if s.name == "full":
        return changes
    declared = methods().get(cfg.method.name)
    needs = declared.needs if declared else ()
    uses_model = bool({"model", "backend"} & set(needs))
    with open_dict(cfg):
        if s.tiny_model and uses_model and not cfg.model.path:
            changes.append(f"model: {cfg.model.hub_id} -> its tiny {cfg.model.arch} twin "
                           f"(hidden {cfg.model.tiny.hidden_size}, {cfg.model.tiny.num_hidden_layers} layers), random init")
        if s.sample_data and cfg.data.sample_path and "data" in needs:
            changes.append(f"data: {cfg.data.path or cfg.data.hub_id} -> shipped sample {cfg.data.sample_path}")
        _cap(cfg, "train.max_steps", s.max_train_steps, changes)
        _cap(cfg, "data.max_rows", s.max_train_rows, changes)
        _cap(cfg, "eval.limit", s.max_problems, changes)
        _cap(cfg, "decoding.max_new_tokens", s.max_new_tokens, changes)
        _cap(cfg, "decoding.n", s.max_copies, changes)
        for key, cap in (declared.scale_caps.items() if declared else ()):  # the method's own keys
            _cap(cfg, key, cap(cfg) if callable(cap) else s[cap], changes)
    return changes
