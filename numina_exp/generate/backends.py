"""The generation backends, by `backend.name`, with the capabilities the rest of the code asks about
instead of testing a backend's name (generate/base.py lists them; validation: generate/checks.py).

A backend's name is a member of config.backend.BackendName (the schema's closed choice); `BACKENDS`
maps every member to its class (tests/test_names_in_their_modules.py checks both hold the same names).
The backend modules import their engines (torch, vllm, httpx) only when an instance is built, so
reading a class's flags is cheap."""
from __future__ import annotations

from ..config.backend import BackendName
from .base import Backend
from .hf import HFBackend
from .openai import OpenAIBackend
from .replay import ReplayBackend
from .vllm import VLLMBackend

BACKENDS: dict[BackendName, type[Backend]] = {
    BackendName.hf: HFBackend,
    BackendName.vllm: VLLMBackend,
    BackendName.replay: ReplayBackend,
    BackendName.openai: OpenAIBackend,
}


def backend_class(name) -> type[Backend]:
    """The class of backend.name=name (a BackendName member or its string)."""
    try:
        return BACKENDS[BackendName(name)]
    except ValueError:
        raise ValueError(f"backend.name={name!r} is not one of {[b.value for b in BACKENDS]}") from None


def with_flag(flag: str) -> list[str]:
    """The backend names that have `flag` (for error messages: what to use instead)."""
    return [name.value for name, cls in BACKENDS.items() if getattr(cls, flag)]
