"""Schema of the `method` group: what a run does."""
from dataclasses import dataclass


@dataclass
class MethodConfig:
    # a declared method (numina_exp/methods/); its options are stored from the declarations
    # (numina_exp.methods.register_configs) and config.yaml's defaults pick one
    name: str = "???"
