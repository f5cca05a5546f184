"""Under CI=true a skip is a failure (tests/conftest.py): a CI that lost bubblewrap or the shared data
copy goes red instead of green-without-testing."""
import os
import subprocess
import sys

from helpers import REPO

TEST = "tests/grading/test_real_data.py::test_fixtures_equal_the_shared_data_copy_shared_data"


def _pytest(env_extra):
    env = {**os.environ, "NUMINA_SHARED_DATA": "/nonexistent/shared/data", **env_extra}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def test_a_missing_dependency_fails_under_ci():
    """(Without CI=true the same run skips, as every developer run without the data copy shows.)"""
    ci = _pytest({"CI": "true"})
    assert ci.returncode == 1, ci.stdout[-2000:]
    assert "skipped under CI=true" in ci.stdout and "../shared/data is not beside this checkout" in ci.stdout
    assert "1 failed" in ci.stdout or "1 error" in ci.stdout
