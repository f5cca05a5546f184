"""Sandboxed, warm python executor for tool-integrated reasoning (SC-TIR).

    from numina_exp.sandbox import Executor
    with Executor(rules="numina", isolation="auto") as ex:
        [r.feedback for r in ex.run(codes)]
"""
from .executor import Executor
from .isolation import bwrap_available
from .result import ExecResult
from .rules import DefaultRules, NuminaRules, get_rules

__all__ = ["Executor", "ExecResult", "bwrap_available", "NuminaRules", "DefaultRules", "get_rules"]
