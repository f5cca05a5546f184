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


# --- no silent skips in CI ------------------------------------------------------------------------------
# A test skips where something it needs is missing (bubblewrap for the bwrap isolation level, the
# developers' data copy for the shared_data tests). CI has all of it, so there a skip means CI lost
# something and would go green without testing it: under CI=true every skip is a failure, unless the
# test is marked `ci_may_skip` (with the reason it may legitimately skip on CI).

def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not (rep.skipped and in_ci()) or hasattr(rep, "wasxfail") or item.get_closest_marker("ci_may_skip"):
        return
    reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) and len(rep.longrepr) == 3 else str(rep.longrepr)
    rep.outcome = "failed"
    rep.longrepr = (f"skipped under CI=true ({reason}): CI must run every test. Install what it needs "
                    f"(`make install` adds bubblewrap; the data copy sits at ../shared/data) or mark the test "
                    f"@pytest.mark.ci_may_skip(reason) if it may legitimately skip on CI.")
