"""The one interface every generation backend implements (vllm, hf, replay)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Protocol, Sequence


@dataclass
class Sampling:
    n: int = 1
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = -1
    max_new_tokens: int = 2048
    stop: list = field(default_factory=list)
    include_stop_in_output: bool = True
    seed: Optional[int] = None


@dataclass
class Completion:
    text: str  # new text only (stop string included when it stopped on it and include_stop_in_output)
    num_tokens: int
    finish_reason: str  # "stop" (a stop string), "eos", "length"


@dataclass(frozen=True)
class GenKey:
    """Identifies a generation for logging and replay: problem, first copy index, step (generation call
    number of that copy, restarts included). With n > 1 the j-th completion is copy `copy + j`."""
    problem_id: str
    copy: int
    step: int


class Backend(Protocol):
    def generate(self, prompts: Sequence[str], sampling: Sampling,
                 keys: Optional[Sequence[GenKey]] = None) -> list[list[Completion]]:
        """One list of `sampling.n` completions per prompt, in order."""

    def close(self) -> None: ...
