"""Schema of the `scale` group. `cpu` keeps every code path and swaps only sizes: the tiny twin of the
configured model, the data samples shipped in the repo, and caps on steps, problems and tokens."""
from dataclasses import dataclass
from enum import StrEnum
from typing import Optional


class ScaleName(StrEnum):
    full = "full"
    cpu = "cpu"  # tiny twins, shipped samples, capped sizes (config/scaling.py)


@dataclass
class ScaleConfig:
    name: ScaleName = ScaleName.full
    tiny_model: bool = False
    sample_data: bool = False
    max_train_steps: Optional[int] = None  # cap on optimizer steps per training stage
    max_train_rows: Optional[int] = None
    max_problems: Optional[int] = None  # cap on problems per eval suite
    max_new_tokens: Optional[int] = None  # cap on tokens per generation call
    max_copies: Optional[int] = None  # cap on decoding.n
