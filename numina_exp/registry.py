"""Names -> implementations. Entries are import paths ("module:function") so that composing and
validating a config never imports torch; the module is imported only when the run starts.

A later method (kto, rloo, merge, quantize) adds one line here (or calls `register_method` from a
plugin) and gets the entrypoint, validation and run directory for free."""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Method:
    name: str
    target: str  # "module:function", called as fn(cfg, run_dir)
    needs: tuple = ()  # config sections that must be usable, checked by config.validate
    doc: str = ""


METHODS: dict[str, Method] = {}
STRATEGIES: dict[str, str] = {}
BACKENDS: dict[str, str] = {}


def register_method(name: str, target: str, needs: tuple = (), doc: str = "") -> None:
    METHODS[name] = Method(name, target, tuple(needs), doc)


def _resolve(target: str) -> Callable:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def method_fn(name: str) -> Callable:
    return _resolve(METHODS[name].target)


def strategy_fn(name: str) -> Callable:
    return _resolve(STRATEGIES[name])


def backend_cls(name: str) -> Callable:
    return _resolve(BACKENDS[name])


# --- built-in methods ---------------------------------------------------------------------------
register_method("sft", "numina_exp.train.sft:run", needs=("model", "data", "train"),
                doc="supervised fine-tuning (stage 1 CoT / stage 2 TIR) on TRL's SFTTrainer")
register_method("evaluate", "numina_exp.evaluate.runner:run", needs=("decoding", "backend", "eval"),
                doc="decode an eval suite (greedy / maj@k / SC-TIR) and grade it")
register_method("pipeline", "numina_exp.pipeline:run", needs=("pipeline",),
                doc="several experiments in sequence, each stage's model feeding the next")
register_method("info", "numina_exp.info:run", needs=(),
                doc="print the resolved config and the plan, load nothing")

# --- decoding strategies --------------------------------------------------------------------------
STRATEGIES.update({
    "greedy": "numina_exp.decode.greedy:decode",
    "maj_k": "numina_exp.decode.majority:decode",
    "sc_tir_numina": "numina_exp.decode.sc_tir:decode",
    "sc_tir": "numina_exp.decode.sc_tir:decode",
})

# --- generation backends --------------------------------------------------------------------------
BACKENDS.update({
    "hf": "numina_exp.generate.hf:HFBackend",
    "vllm": "numina_exp.generate.vllm:VLLMBackend",
    "replay": "numina_exp.generate.replay:ReplayBackend",
})
