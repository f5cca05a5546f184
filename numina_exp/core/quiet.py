"""A quiet main job: the library output we cannot fix, listed in one place with why, silenced at the
entrypoint (and in every child process through the environment), so that a run prints our own progress
and summary lines. `hydra.verbose=true` (or NUMINA_EXP_VERBOSE=1) shows everything again.

Only noise is listed here: messages about code paths we do not take (GPU kernels on a CPU machine),
deprecations inside a library that we cannot change, and per-item progress bars of library helpers.
Our own warnings (numina_exp.*) are never filtered."""
from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

VERBOSE_ENV = "NUMINA_EXP_VERBOSE"
SITE_DIR = Path(__file__).resolve().parent / "quiet_site"  # its sitecustomize.py calls quiet() in children

# Python warnings: (action, category, message regex, module regex, why). Passed to children as
# PYTHONWARNINGS too, which takes only a category and a literal message prefix.
WARNINGS = [
    ("ignore", FutureWarning, "", "", "DeepSpeed calls torch.distributed.reduce_scatter_tensor, deprecated in "
     "torch 2.x, once per step and rank (~1000 lines a run); trl/transformers/peft deprecations of "
     "arguments they pass themselves"),
    ("ignore", DeprecationWarning, "", "", "deprecations inside libraries (datasets, multiprocess, "
     "jupyter_client paths) that we do not call directly"),
    ("ignore", UserWarning, r".*(NUMA|numa).*", "", "vLLM-CPU and torch cannot bind threads to NUMA nodes in "
     "a container; the binding is an optimisation, the run is correct without it"),
    ("ignore", UserWarning, r".*TypedStorage is deprecated.*", "", "torch internals used by safetensors/vLLM"),
]

# Library loggers held at ERROR: logger name -> why.
LOGGERS = {
    "torchao": "torchao tries to load its CUDA kernels (mxfp8, cutlass) on import; a CPU machine has none "
               "and nothing here uses them",
    "torch.utils._pytree": "torchao registers Enum classes as pytree constants, which torch 2.13 supports "
                           "natively and warns about, twice per import",
    "DeepSpeed": "'Setting accelerator to CPU' on every import on a machine without a GPU: the expected case here",
    "vllm.triton_utils.importing": "Triton is installed (a torch dependency) but has no CPU backend; vLLM-CPU "
                                   "does not use it",
    "datasets": "per-map cache notes",
    "accelerate.utils.other": "'detected kernel version below the recommended minimum' in containers",
}

# Environment for this process and its children (accelerate workers, vLLM engine processes, pipeline
# stages): variable -> (value, why).
ENV = {
    "HF_DATASETS_DISABLE_PROGRESS_BARS": ("1", "a Map/Filter/Tokenizing bar per dataset step, each a few rows at "
                                                "scale=cpu; our own lines count the rows"),
    "HF_HUB_DISABLE_PROGRESS_BARS": ("1", "'Loading weights' / 'Writing model shards' bars (transformers reads "
                                          "this switch too); our lines say which model is loaded and where it is saved"),
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": ("1", "advice about generation settings we set on purpose"),
    "TOKENIZERS_PARALLELISM": ("false", "the fork-after-use warning of HF tokenizers in every DataLoader worker"),
    "VLLM_LOGGING_LEVEL": ("ERROR", "vLLM-CPU's advice we cannot act on here (LD_PRELOAD tcmalloc/iomp, no "
                                    "Triton, no oneDNN primitive for a tiny matmul, fp32 weights cast to bf16)"),
    "TORCH_CPP_LOG_LEVEL": ("ERROR", "c10 warnings from the C++ side (NUMA binding, gloo interfaces) that "
                                     "bypass Python's warning filters"),
}


def verbose_requested(argv: list[str]) -> bool:
    """`hydra.verbose=true` (or a list of loggers) on the command line: show every library line too."""
    for arg in argv:
        if arg.startswith(("hydra.verbose=", "+hydra.verbose=")):
            return arg.split("=", 1)[1].strip().lower() not in ("", "false", "0", "null", "none", "[]")
    return False


def is_verbose() -> bool:
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0", "false")


def pythonwarnings() -> str:
    """The WARNINGS that PYTHONWARNINGS can express (action::category), for child interpreters."""
    return ",".join(f"{a}::{c.__name__}" for a, c, msg, mod, _ in WARNINGS if not msg and not mod)


def quiet(verbose: bool = False) -> None:
    """Apply the filters (idempotent). verbose=True leaves every library line on, here and in children."""
    if verbose or is_verbose():
        os.environ[VERBOSE_ENV] = "1"
        _undo()
        return
    for key, (value, _) in ENV.items():
        os.environ.setdefault(key, value)
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if str(SITE_DIR) not in paths:  # child interpreters (spawned, not forked) set their loggers too
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SITE_DIR), *paths]))
    inherited = os.environ.get("PYTHONWARNINGS", "")
    ours = pythonwarnings()
    if ours not in inherited:
        os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [inherited, ours]))
    for action, category, message, module, _ in WARNINGS:
        warnings.filterwarnings(action, message=message, category=category, module=module)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.ERROR)
        if not any(isinstance(f, _ErrorsOnly) for f in logger.filters):
            logger.addFilter(_ErrorsOnly())  # stays when a library resets its logger's level (DeepSpeed does)


class _ErrorsOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR


def _undo() -> None:
    """Verbose inside a quieted process (a parent's quiet() reached it through PYTHONPATH's sitecustomize and
    PYTHONWARNINGS): take our filters out of what children inherit, and give the library loggers back their
    levels, so that verbose shows everything however the process was started."""
    ours = set(pythonwarnings().split(","))
    kept = [w for w in os.environ.get("PYTHONWARNINGS", "").split(",") if w and w not in ours]
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(SITE_DIR)]
    for key, values, sep in (("PYTHONWARNINGS", kept, ","), ("PYTHONPATH", paths, os.pathsep)):
        if values:
            os.environ[key] = sep.join(values)
        else:
            os.environ.pop(key, None)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
