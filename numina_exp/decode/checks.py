"""Validation of the `decoding` section by what the chosen strategy can do (its class's flags,
decode/strategies.py); the shared ranges are in numina_exp.config.validate.check_decoding."""
from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from ..core.errors import ConfigError
from .strategies import STRATEGIES, strategy_class


def _names(keep) -> str:
    return " or ".join(s.name.value for s in STRATEGIES.values() if keep(s))


def check_strategy(cfg: DictConfig) -> None:
    d = cfg.decoding
    s = strategy_class(d.strategy)
    if not s.copies and (d.n != 1 or d.temperature != 0):
        raise ConfigError("decoding.n", f"{d.strategy} decodes one sample at temperature 0 (got n={d.n}, temperature={d.temperature})",
                          f"use decoding={_names(lambda x: x.copies and not x.runs_code)} for several samples")
    if s.copies and d.n > 1 and d.temperature == 0:
        raise ConfigError("decoding.temperature", f"{d.strategy} with n={d.n} at temperature 0 samples {d.n} identical copies",
                          "set decoding.temperature > 0 (the recipe uses 0.8)")
    if (d.early_stop or d.pipelining) and not s.early_stop:
        raise ConfigError("decoding.early_stop", f"decoding={d.strategy} ({s.doc}) has no early stop or pipelining",
                          f"use decoding={_names(lambda x: x.early_stop)} for those options, "
                          "or set decoding.early_stop=none decoding.pipelining=false")
    if s.runs_code:
        if not d.include_stop_in_output:
            raise ConfigError("decoding.include_stop_in_output", f"{d.strategy} decides to run code when the text ends with the "
                              "stop string; without it in the text no code ever runs", "set decoding.include_stop_in_output=true")
        if len(d.stop) > 1:
            raise ConfigError("decoding.stop", f"{d.strategy} uses one stop string (the code-output request), got {list(d.stop)}",
                              'use e.g. decoding.stop=["```output\\n"]')
    if d.problems_in_flight != "auto" and d.problems_in_flight > 1 and not s.problems_in_flight:
        raise ConfigError("decoding.problems_in_flight", f"{d.strategy} already batches problems (backend.batch_size prompts per generate call)",
                          "set decoding.problems_in_flight=1")


def check_grid(cfg: DictConfig) -> None:
    """eval.nm_grid reads an N x M grid off one pass: the strategy must draw several copies."""
    if OmegaConf.select(cfg, "eval.nm_grid") and not strategy_class(cfg.decoding.strategy).copies:
        raise ConfigError("eval.nm_grid", f"the N x M grid needs several copies (decoding.strategy={cfg.decoding.strategy})",
                          f"use decoding={_names(lambda x: x.copies)}, or set eval.nm_grid=false")


def deliberate_mixes(cfg: DictConfig) -> list[str]:
    """Valid combinations that depart from a reproduction on purpose; the run announces them in its
    banner and records them in run_info.json."""
    notes = []
    strategy = OmegaConf.select(cfg, "decoding.strategy")
    rules = OmegaConf.select(cfg, "sandbox.rules")
    wanted = strategy_class(strategy).reproduces_sandbox_rules if strategy is not None else None
    if wanted is not None and rules != wanted:
        notes.append(f"decoding={strategy} with sandbox.rules={rules}: tool output is not rendered as the "
                     "notebook rendered it, so answers can differ from the notebook's (drop the sandbox override to reproduce it)")
    return notes
