"""Schema of the `logger` group."""
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Optional


class LoggerName(StrEnum):
    none = "none"
    wandb = "wandb"


class LoggerMode(StrEnum):
    auto = "auto"  # offline without an API key
    online = "online"
    offline = "offline"


@dataclass
class LoggerConfig:
    name: LoggerName = LoggerName.none
    project: str = "numina-exp"
    entity: Optional[str] = None
    mode: LoggerMode = LoggerMode.auto
    group: Optional[str] = None  # defaults to the experiment name
    tags: list = field(default_factory=list)
