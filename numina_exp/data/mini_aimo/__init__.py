"""Mini-AIMO: seeded AIMO-style problems (integer answers in [0, 999]) that a program solves easily and
a small model without one rarely does, with CoT, TIR and MMOS solutions (docs/mini_aimo.md).

This package is pure (no program runs here); scripts/build_mini_aimo.py runs every solution program in
numina_exp.sandbox and writes the shipped JSONL files beside this file."""
from .core import FAMILIES, LEVELS, Family, Item, Step, family
from .generate import HELD_OUT, SIZES, SOURCE, Drawn, generate_splits, render_tir, seen_families, tir_plan

__all__ = ["FAMILIES", "LEVELS", "Family", "Item", "Step", "family", "HELD_OUT", "SIZES", "SOURCE", "Drawn",
           "generate_splits", "render_tir", "seen_families", "tir_plan"]
