"""Input files an evaluation reads, checked line by line before any model loads (method=evaluate's
`validate`): every suite row (UTF-8, a JSON object, a problem string, a string or number answer) and,
with backend=replay, every generation-log line (docs/generation_log.md). A bad line is a ConfigError
naming the key, the file and the line."""
from __future__ import annotations

from omegaconf import DictConfig

from numina_exp.core.errors import ConfigError
from numina_exp.core.io import JsonlError


def check_inputs(cfg: DictConfig) -> None:
    from numina_exp.generate.backends import backend_class
    from numina_exp.generate.log import read_generations

    from .suites import SuiteError, load_suite

    e = cfg.eval
    if e.path:
        try:
            load_suite(e)
        except SuiteError as err:
            raise ConfigError(err.key or "eval.path", str(err), err.fix or "fix that line: one JSON object per line with "
                              "id, problem and a string or number answer, UTF-8") from None
    if backend_class(cfg.backend.name).recorded and cfg.backend.path:
        try:
            read_generations(cfg.backend.path)
        except JsonlError as err:
            raise ConfigError("backend.path", str(err), "point backend.path at a generations.jsonl in the format of "
                              "docs/generation_log.md (repair or drop that line)") from None
