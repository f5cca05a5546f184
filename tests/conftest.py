"""Test-wide environment: one thread (2 shared cores), no hub, W&B offline, caches in a temp dir."""
import os
from pathlib import Path

import pytest

os.environ["OMP_NUM_THREADS"] = "1"
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["WANDB_MODE"] = "offline"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parent.parent


def shared_data_path() -> Path | None:
    """../shared/data beside the checkout (developers and CI only; never needed by users)."""
    env = os.environ.get("NUMINA_SHARED_DATA")
    cand = Path(env) if env else REPO.parent / "shared" / "data"
    return cand if cand.is_dir() else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_path()
    if path is None:
        pytest.skip("../shared/data is not beside this checkout (developer/CI-only data)")
    return path


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
