"""Schema of the `logger` group."""
from dataclasses import dataclass, field
from typing import Optional


@dataclass
class LoggerConfig:
    name: str = "none"  # none | wandb
    project: str = "numina-exp"
    entity: Optional[str] = None
    mode: str = "auto"  # auto (offline without an API key) | online | offline
    group: Optional[str] = None  # defaults to the experiment name
    tags: list = field(default_factory=list)
