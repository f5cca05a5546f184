"""tests/slurm: one real Slurm for the whole session (cluster.py), and the scripted-replay helpers of
tests/evaluate importable here.

Where this machine cannot run Slurm the tests that need it FAIL with the reason (not skip): CI installs
Slurm through `make install`, so a missing Slurm there is a broken install, not an optional feature."""
import shutil
import sys
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
for p in (_HERE, _HERE.parent / "evaluate"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from cluster import SlurmCluster, SlurmUnavailable  # noqa: E402


@pytest.fixture(scope="session")
def slurm():
    """A started one-node cluster; $SLURM_CONF points at it for this process and every child (the CLI
    runs, submitit's sbatch/squeue calls). Stopped by PID at the end of the session."""
    cluster = SlurmCluster()
    try:
        cluster.start()
    except SlurmUnavailable as err:
        cluster.stop()
        pytest.fail(f"no Slurm for the test cluster: {err}", pytrace=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SLURM_CONF", str(cluster.conf))
        try:
            yield cluster
        finally:
            cluster.stop()
            shutil.rmtree(cluster.root, ignore_errors=True)
