"""The run-directory writers outside core.io use its atomic writer: a write that fails part-way (a full
disk) leaves no `*.tmp*` file beside its target, and the old file (if any) as it was.

The kernel's own failure mid-write comes from RLIMIT_FSIZE in a child process (EFBIG: write() fails
part-way, the same path as ENOSPC), set after the imports and with no .pyc written (a cut .pyc breaks them). Covered: the evaluation plan (evaluate/plan.py) and every file of
method=decontaminate (hits, clean datasets, report), and an evaluation's results.json rewritten over a good one
(report/eval_report.py; kaggle_sim, shard merges, N x M grids, sampling stats and compare.md use the same writer)."""
from __future__ import annotations

import errno
import json
import subprocess
import sys
import textwrap

from helpers import REPO

from numina_exp.config import PACKAGE_DIR
from numina_exp.data.decontaminate import read_rows

LIMITED = textwrap.dedent('''
    import resource, signal, sys
    limit, what, run_dir, *overrides = sys.argv[1:]
    if what == "plan":
        from numina_exp.evaluate.plan import check_plan

        def write():
            check_plan(run_dir, {"plan_version": 2, "big": "x" * 50000})
    elif what == "report":  # an evaluation's results.json / report.md, rewritten over a good one
        from helpers import compose_cfg
        from numina_exp.evaluate.summary import summarize
        from numina_exp.report.eval_report import write_report
        cfg = compose_cfg(["method=evaluate", "eval=jsonl", "eval.path=x.jsonl", "model=tiny_llama"])
        recs = [{"seed": 0, "problem_id": f"p{i}", "suite": "s", "gold": "1", "answer": "1", "correct": True,
                 "votes": {"1": 1}, "answered": 1, "copies": []} for i in range(3)]
        summary = summarize(recs, cfg, [0], [{"id": r["problem_id"], "suite": "s"} for r in recs])
        write_report(run_dir, summary, recs)  # the good files, before the limit

        def write():
            write_report(run_dir, {**summary, "padding": "x" * 400000}, recs)  # results.json > the limit
    else:  # the method itself, not the CLI: the limit must not reach a child (the CLI runs git: it cut its index.lock)
        from hydra import compose, initialize_config_dir
        from numina_exp.core.paths import conf_dir
        from numina_exp.methods import register_configs
        from numina_exp.methods.decontaminate import run
        register_configs()  # the config schema, as the CLI does
        with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3"):
            cfg = compose(config_name="config", overrides=overrides)

        def write():
            run(cfg, run_dir)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(limit), resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    try:
        write()
        print("no error")
    except OSError as err:
        print("errno", err.errno)
''')


def _limited(limit: int, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", LIMITED, str(limit), *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300, env={"OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin",
                                            "PYTHONDONTWRITEBYTECODE": "1",
                                            "PYTHONPATH": f"{REPO}:{REPO / 'tests'}"})


def _temporaries(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".tmp" in p.name)


def test_eval_plan_write_that_fails_leaves_no_temporary(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    proc = _limited(16384, "plan", str(run_dir))
    assert f"errno {errno.EFBIG}" in proc.stdout, proc.stdout + proc.stderr
    assert list(run_dir.iterdir()) == []  # no plan (a half one would refuse every resume) and no temporary


def test_decontaminate_write_that_fails_leaves_no_temporary(tmp_path):
    rows = read_rows(PACKAGE_DIR / "data" / "samples" / "cot_sample.jsonl")[:40]  # ~60 KB
    train = tmp_path / "train.jsonl"
    train.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run_dir = tmp_path / "run"
    proc = _limited(32768, "decontaminate", str(run_dir), "experiment=decontaminate_training_sets",
                    f"decontaminate.files=[{train}]", "decontaminate.suites=[aime]", "decontaminate.progress=false")
    assert f"errno {errno.EFBIG}" in proc.stdout, proc.stdout + proc.stderr
    assert (run_dir / "clean").is_dir()  # it got as far as the cleaned dataset (the write that failed)
    assert _temporaries(run_dir) == []
    assert not (run_dir / "clean.jsonl").exists()


def test_evaluation_results_rewrite_that_fails_keeps_the_old_results(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    proc = _limited(200_000, "report", str(run_dir))
    assert f"errno {errno.EFBIG}" in proc.stdout, proc.stdout + proc.stderr
    # the old, complete results.json is still there (a plain write_text truncates it first, then fails half-way:
    # a later reader gets a JSON error, and a pipeline reading it cannot tell the stage's result)
    old = json.loads((run_dir / "results.json").read_text())
    assert "padding" not in old and old["problems"] == 3
    assert _temporaries(run_dir) == []
