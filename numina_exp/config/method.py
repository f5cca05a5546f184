"""Schema of the `method` group: what a run does."""
from dataclasses import dataclass


@dataclass
class MethodConfig:
    name: str = "evaluate"  # a method declared in numina_exp/methods/ (numina_exp.core.registry)
