"""Model directories are data: whether loading one would import python code it ships.

transformers, gptqmodel, mergekit and vLLM all honour an `auto_map` in a model directory's config
files (config.json, tokenizer_config.json, processor configs): it names a python module in the
directory (or in another hub repo) to import. With trust_remote_code=False transformers refuses it, but
gptqmodel 7.6's loader imports the module anyway (its remote-code compatibility pre-import), so a
library's flag is not a defence. Every method checks its input directories here first, reading JSON
only: nothing is imported until model.trust_remote_code=true says the directory is trusted."""
from __future__ import annotations

import json
from pathlib import Path

from ..core.errors import ConfigError

TRUST_KEY = "model.trust_remote_code"
# Keys of a config file that make a loader import code: auto_map (Auto* classes), custom_pipelines
# (transformers pipelines), auto_mapping (PEFT's AutoPeftModel base class).
CODE_KEYS = ("auto_map", "custom_pipelines", "auto_mapping")


def _code_refs(node, where: str) -> list[str]:
    """Every CODE_KEYS entry anywhere in a parsed JSON document (nested sub-configs too)."""
    found = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k in CODE_KEYS and v:
                found.append(f"{where} {k}: {json.dumps(v)[:200]}")
            else:
                found += _code_refs(v, where)
    elif isinstance(node, list):
        for v in node:
            found += _code_refs(v, where)
    return found


def remote_code(model_dir: str | Path) -> list[str]:
    """What in `model_dir` would make a loader import python code ([] for a plain model directory, and
    for anything that is not a local directory: hub ids are checked by whoever downloads them)."""
    root = Path(model_dir).expanduser()
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.glob("*config.json")):  # config, tokenizer_config, (pre)processor_config, adapter_config
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue  # unreadable: the loader fails on it without running anything
        found += _code_refs(doc, path.name)
    if (root / "custom_generate").is_dir():  # transformers' generate(custom_generate=DIR) imports its generate.py
        found.append("custom_generate/ (a generation loop in python)")
    return found


def refuse_remote_code(model_dir: str | Path, key: str, trusted: bool) -> None:
    """ConfigError naming model.trust_remote_code when `model_dir` ships code and it is not trusted."""
    if trusted:
        return
    found = remote_code(model_dir)
    if found:
        raise ConfigError(TRUST_KEY, f"{key}: {model_dir} ships python code that loading it would import "
                          f"({'; '.join(found)[:400]}), and model.trust_remote_code=false",
                          "use a model directory without auto_map (an architecture transformers has), or set "
                          "model.trust_remote_code=true only if you trust that code")
