"""GPTQ through gptqmodel: quantize a model directory and save one that transformers loads (with
optimum + gptqmodel installed) and vLLM serves on GPU (Marlin kernels).

gptqmodel sizes a worker pool per device; on a CPU with few cores it asks for 2 workers where the pool
has 1 unless GPTQMODEL_CPU_WORKERS is set, so it is set (to 2, or what the caller exported) before import."""
from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("numina_exp")


@dataclass
class GPTQSettings:
    bits: int = 8
    group_size: int = 128
    desc_act: bool = True  # act-order: quantize columns by decreasing activation magnitude
    sym: bool = True
    damp_percent: float = 0.01  # auto-gptq's default (the recipe's tool); gptqmodel's own is 0.05
    batch_size: int = 1
    offload_to_disk: bool = False  # gptqmodel's per-module disk offload: saves RAM on big models, slow on small ones


def _import_gptqmodel():
    os.environ.setdefault("GPTQMODEL_CPU_WORKERS", "2")
    from gptqmodel import GPTQModel, QuantizeConfig

    return GPTQModel, QuantizeConfig


def _keep_logs_in(path: Path) -> None:
    """gptqmodel 7.6 writes a per-run log under ./logs of the current directory (the checkout, for a
    CLI run); keep it in the run directory instead. A module global of gptqmodel, checked to exist."""
    from gptqmodel.looper import loop_processor

    if hasattr(loop_processor, "_PROJECT_LOG_DIR"):
        loop_processor._PROJECT_LOG_DIR = Path(path)


def quantize_model(source: str, out_dir: Path, calibration: list[dict], settings: GPTQSettings, device: str = "cpu",
                   trust_remote_code: bool = False) -> dict:
    """Quantize `source` with `calibration` (input_ids/attention_mask rows) into `out_dir` (model +
    the source's tokenizer). Written to `<out_dir>.tmp` and renamed when complete. A source that ships
    python code is refused unless `trust_remote_code`: gptqmodel 7.6 imports a directory's auto_map
    module while loading even when told not to trust it (its remote-code compatibility path)."""
    from transformers import AutoTokenizer

    from ..models.trust import refuse_remote_code

    refuse_remote_code(source, "model.path", trust_remote_code)
    GPTQModel, QuantizeConfig = _import_gptqmodel()
    out_dir = Path(out_dir)
    _keep_logs_in(out_dir.parent / "gptq_logs")
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    qc = QuantizeConfig(bits=settings.bits, group_size=settings.group_size, desc_act=settings.desc_act, sym=settings.sym,
                        damp_percent=settings.damp_percent, offload_to_disk=settings.offload_to_disk)
    started = time.time()
    model = GPTQModel.load(source, qc, device=device, trust_remote_code=trust_remote_code)
    print(f"[quantize] GPTQ {settings.bits}-bit, group {settings.group_size}, desc_act {settings.desc_act}: "
          f"{len(calibration)} calibration rows, {sum(len(r['input_ids']) for r in calibration)} tokens", flush=True)
    model.quantize(calibration, batch_size=settings.batch_size)
    model.save(str(tmp))
    AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code).save_pretrained(str(tmp))  # the source's tokenizer and chat template
    del model
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)
    return {"seconds": round(time.time() - started, 2), "device": device}
