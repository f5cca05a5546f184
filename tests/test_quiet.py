"""core/quiet.py: the listed library noise is off in the entrypoint's children too (spawned interpreters
such as vLLM's engine get it through quiet_site/sitecustomize.py), and hydra.verbose=true shows it again."""
import os
import subprocess
import sys

from numina_exp.core.quiet import verbose_requested

CHILD = ("import logging, warnings; logging.getLogger('torchao').warning('kernel noise'); "
         "warnings.warn('old api', FutureWarning); logging.getLogger('numina_exp').warning('our line')")
PARENT = ("import subprocess, sys; from numina_exp.core.quiet import quiet; quiet({verbose}); "
          f"subprocess.run([sys.executable, '-c', {CHILD!r}])")


def _grandchild_output(verbose: bool, keep=()) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONWARNINGS", "NUMINA_EXP_VERBOSE"} - set(keep)}
    proc = subprocess.run([sys.executable, "-c", PARENT.format(verbose=verbose)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout + proc.stderr


def test_a_child_interpreter_is_quiet_and_verbose_shows_everything():
    quiet = _grandchild_output(False)
    assert "kernel noise" not in quiet and "FutureWarning" not in quiet and "our line" in quiet
    loud = _grandchild_output(True)
    assert "kernel noise" in loud and "FutureWarning" in loud and "our line" in loud


def test_verbose_wins_over_a_parent_that_quieted_its_children(monkeypatch):
    """As inside pytest or a pipeline: an earlier quiet() left SITE_DIR on PYTHONPATH and our PYTHONWARNINGS
    in the environment; a verbose process started from there must still show everything to its children."""
    from numina_exp.core import quiet as q

    monkeypatch.setenv("PYTHONPATH", str(q.SITE_DIR))
    monkeypatch.setenv("PYTHONWARNINGS", q.pythonwarnings())
    monkeypatch.delenv(q.VERBOSE_ENV, raising=False)
    loud = _grandchild_output(True, keep=("PYTHONPATH", "PYTHONWARNINGS"))
    assert "kernel noise" in loud and "FutureWarning" in loud and "our line" in loud


def test_verbose_is_read_from_hydra_verbose():
    assert verbose_requested(["+experiment=demo", "hydra.verbose=true"])
    assert verbose_requested(["hydra.verbose=[numina_exp]"])
    assert not verbose_requested(["hydra.verbose=false"]) and not verbose_requested(["seed=1"])
