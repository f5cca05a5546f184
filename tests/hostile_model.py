"""A hostile model directory: a tiny twin whose config.json `auto_map` names a python file that writes a
marker file when it is imported. Any loader that imports it leaves the marker behind."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

EVIL = '''
import pathlib
pathlib.Path({marker!r}).write_text("imported")
from transformers import LlamaConfig, LlamaForCausalLM


class EvilConfig(LlamaConfig):
    model_type = "llama"


class EvilForCausalLM(LlamaForCausalLM):
    config_class = EvilConfig
'''


def make_hostile(plain_dir: Path, out: Path, marker: Path, where: str = "config.json") -> Path:
    """A copy of the model directory `plain_dir` at `out` whose `where` (config.json or
    tokenizer_config.json) maps its Auto classes to evil.py."""
    shutil.copytree(plain_dir, out)
    (out / "evil.py").write_text(EVIL.format(marker=str(marker)))
    cfg = json.loads((out / where).read_text())
    cfg["auto_map"] = ({"AutoConfig": "evil.EvilConfig", "AutoModelForCausalLM": "evil.EvilForCausalLM"}
                       if where == "config.json" else {"AutoTokenizer": ["evil.EvilConfig", None]})
    (out / where).write_text(json.dumps(cfg, indent=2))
    return out
