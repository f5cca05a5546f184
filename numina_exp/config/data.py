"""Schema of the `data` group: a training set (CoT or TIR) by local JSONL or hub id."""
from dataclasses import dataclass
from enum import StrEnum
from typing import Optional

from omegaconf import II


class DataFormat(StrEnum):  # what kind of solutions the rows hold
    cot = "cot"  # chain of thought
    tir = "tir"  # tool-integrated reasoning (python blocks and their outputs)


@dataclass
class DataConfig:
    name: str = "???"
    format: DataFormat = DataFormat.cot
    hub_id: Optional[str] = None  # e.g. AI-MO/NuminaMath-CoT at real scale
    path: Optional[str] = None  # local JSONL, overrides hub_id
    sample_path: Optional[str] = None  # small JSONL shipped in the repo, used by scale=cpu
    train_split: str = "train"
    test_split: Optional[str] = "test"
    test_size: float = 0.05  # held-out fraction when the source has no test split (local JSONL)
    max_rows: Optional[int] = None
    shuffle_seed: int = II("seed")  # the run's root seed (docs/seeds.md): row order, held-out split
    # Drop training rows that overlap any shipped evaluation suite (10-gram / MinHash, defaults of
    # numina_exp.data.decontaminate) before splitting; the count dropped is logged.
    decontaminate: bool = False
