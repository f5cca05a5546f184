"""method=quantize: GPTQ (gptqmodel) of one model, then its fidelity against the unquantized model.

Read top to bottom: source model (model.path: a run's final/, the previous pipeline stage's output, or
the tiny twin at scale=cpu) -> tokenizer -> the data's train split rendered with the training template
at full length, shuffled (quantize.calibration_seed), the first quantize.calibration_rows -> gptqmodel
-> final/ (quantized model + tokenizer + lineage) -> fidelity.json / fidelity.md next to final/, on the
data's held-out rows. The recipe's values are the defaults: 8-bit, group 128, act-order, 256 rows.
A rerun in the same run dir keeps a finished final/ and a finished report."""
from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Optional

from omegaconf import II

from ..core.errors import ConfigError
from ..core.registry import Method

log = logging.getLogger("numina_exp")


@dataclass
class QuantizeConfig:
    bits: int = 8
    group_size: int = 128  # -1: one group per row
    desc_act: bool = True  # act-order
    sym: bool = True
    damp_percent: float = 0.01
    calibration_rows: int = 256
    calibration_seed: int = II("seed")  # calibration rows' shuffle (the root seed, docs/seeds.md)
    max_length: Optional[int] = None  # token cap per calibration row; None: the model's context length (full rows)
    heldout_rows: int = 32  # fidelity report rows, from the data's test split (never calibration rows)
    fidelity: bool = True
    batch_size: int = 1
    offload_to_disk: bool = False  # gptqmodel's per-module disk offload (RAM-bound big models)


def validate(cfg) -> None:
    q = cfg.quantize
    if q.bits not in (2, 3, 4, 8):
        raise ConfigError("quantize.bits", f"GPTQ supports 2, 3, 4 or 8 bits, got {q.bits}", "use quantize.bits=8 (the recipe) or 4")
    if q.group_size != -1 and q.group_size < 1:
        raise ConfigError("quantize.group_size", f"must be -1 or positive, got {q.group_size}", "use 128 (the recipe)")
    if q.calibration_rows < 1:
        raise ConfigError("quantize.calibration_rows", f"must be >= 1, got {q.calibration_rows}", "use 256 (the recipe)")
    if q.heldout_rows < 1 and q.fidelity:
        raise ConfigError("quantize.heldout_rows", f"must be >= 1 for the fidelity report, got {q.heldout_rows}",
                          "use e.g. 32, or quantize.fidelity=false")
    if not 0.0 < q.damp_percent < 1.0:
        raise ConfigError("quantize.damp_percent", f"must be in (0, 1), got {q.damp_percent}", "use 0.01")
    if q.max_length is not None and q.max_length < 16:
        raise ConfigError("quantize.max_length", f"must be >= 16 or null, got {q.max_length}", "use null (full rows)")
    if cfg.data.format != "tir":
        log.warning("quantize: calibrating on data=%s (format %s); the recipe calibrates on TIR rows", cfg.data.name, cfg.data.format)


def _complete(final: Path) -> bool:
    return (final / "lineage.json").exists() and "quantization_config" in json.loads((final / "config.json").read_text())


def run(cfg, run_dir) -> dict:
    import torch

    from ..data.load import load_splits
    from ..merge.inputs import check_same_architecture, resolve_ref
    from ..models.load import load_tokenizer, resolve_model_source
    from ..quantize import GPTQSettings, calibration_rows, fidelity_report, quantize_model, render, tokenize, write_report

    q = cfg.quantize
    run_dir = Path(run_dir)
    final = run_dir / "final"
    source = resolve_model_source(cfg)
    src = resolve_ref(source, "model.path", run_dir, tiny=bool(cfg.scale.tiny_model),
                      trust_remote_code=bool(cfg.model.trust_remote_code))
    check_same_architecture([("model.path", src)])  # refuses an already-quantized model, reads config.json only
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tokenizer = load_tokenizer(cfg, src.path)
    train, test = load_splits(cfg)
    max_length = q.max_length or cfg.model.context_length
    calib = calibration_rows(list(train), q.calibration_rows, q.calibration_seed)
    if len(calib) < q.calibration_rows:
        log.warning("quantize: %d calibration rows requested, the train split has %d: using all", q.calibration_rows, len(calib))
    settings = GPTQSettings(bits=q.bits, group_size=q.group_size, desc_act=q.desc_act, sym=q.sym, damp_percent=q.damp_percent,
                            batch_size=q.batch_size, offload_to_disk=q.offload_to_disk)
    examples = tokenize(render(calib, tokenizer, cfg.model.chat_template), tokenizer, max_length)
    lengths = [len(e["input_ids"]) for e in examples]
    if final.exists() and (final / "config.json").exists() and _complete(final):
        log.info("quantize: %s is complete; not quantizing again", final)
        timing = json.loads((final / "lineage.json").read_text()).get("quantize", {})
    else:
        timing = quantize_model(src.path, final, examples, settings, device=device,
                                trust_remote_code=bool(cfg.model.trust_remote_code))
        lineage = {"kind": "quantize", "method": "gptq", "tool": f"gptqmodel {metadata.version('gptqmodel')}",
                   "input": {"ref": src.ref, "path": src.path, "resolved_as": src.kind}, "settings": settings.__dict__,
                   "calibration": {"data": cfg.data.name, "rows": len(examples), "seed": q.calibration_seed,
                                   "tokens": sum(lengths), "max_row_tokens": max(lengths), "cap": max_length},
                   "quantize": timing}
        if (run_dir / "resolved_config.yaml").exists():
            shutil.copy(run_dir / "resolved_config.yaml", final)
        (final / "lineage.json").write_text(json.dumps(lineage, indent=2))
    result = {"final_dir": str(final), "source": src.path, "bits": q.bits, "group_size": q.group_size, "desc_act": q.desc_act,
              "calibration_rows": len(examples), "calibration_tokens": sum(lengths), "quantize_seconds": timing.get("seconds")}
    if q.fidelity:
        report_path = run_dir / "fidelity.json"
        if report_path.exists():
            report = json.loads(report_path.read_text())
        else:
            if test is None or not len(test):
                raise ConfigError("quantize.heldout_rows", f"data={cfg.data.name} has no held-out split for the fidelity report",
                                  "set data.test_size (e.g. 0.05) or quantize.fidelity=false")
            held = [r["input_ids"] for r in tokenize(render(list(test)[:q.heldout_rows], tokenizer, cfg.model.chat_template),
                                                     tokenizer, max_length)]
            started = time.time()
            report = fidelity_report(src.path, str(final), held, device=device)
            write_report(report, run_dir, {"bits": q.bits, "group_size": q.group_size, "desc_act": q.desc_act,
                                           "calibration_rows": len(examples)})
            log.info("quantize: fidelity report in %.1f s -> %s", time.time() - started, run_dir / "fidelity.md")
        result["fidelity"] = report["overall"]
        o = report["overall"]
        print(f"[quantize] {q.bits}-bit GPTQ -> {final}; held-out logit error {o['logit_abs_err_mean']:.2e} "
              f"(rel {o['logit_rel_err_mean']:.2e}), top-1 {100 * o['top1_agreement']:.1f}%, "
              f"ppl {o['ppl_unquantized']:.3f} -> {o['ppl_quantized']:.3f}; report {run_dir / 'fidelity.md'}", flush=True)
    return result


METHOD = Method(
    name="quantize", run=run, validate=validate, section="quantize", schema=QuantizeConfig, needs=("model", "data"),
    consumes={"model": "model.path"}, produces={"model": "final"},
    doc="GPTQ (gptqmodel; 8-bit, group 128, act-order by default) with a fidelity report against the unquantized model",
)
