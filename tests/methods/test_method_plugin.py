"""Adding a method is one module: a method defined here, outside the package, runs through
the CLI, through the launched worker (two processes under accelerate) and inside a pipeline, where
it consumes the model an earlier stage produced. Nothing in numina_exp names it."""
import json
import os
import textwrap

from helpers import run_cli

MODULE = '''
import json, os
from dataclasses import dataclass
from pathlib import Path

from numina_exp.config.train import TrainBase
from numina_exp.core.errors import ConfigError
from numina_exp.core.registry import Method
from omegaconf import OmegaConf


@dataclass
class ToyConfig:
    factor: int = 2


@dataclass
class ToyTrain(TrainBase):
    extra: int = 1


def validate(cfg):
    if cfg.toy.factor < 1:
        raise ConfigError("toy.factor", f"must be >= 1, got {cfg.toy.factor}", "use e.g. 2")


def run(cfg, run_dir):
    rank = int(os.environ.get("RANK", "0"))
    # what this process's cfg.train is: the method's train schema with real enums, in every worker
    typed = {"train_schema": OmegaConf.get_type(cfg.train).__name__, "resume": type(cfg.train.resume).__name__,
             "peft_kind": type(cfg.train.peft.kind).__name__, "resume_value": cfg.train.resume.value}
    (Path(run_dir) / f"rank{rank}.json").write_text(json.dumps({"world": int(os.environ.get("WORLD_SIZE", "1")), **typed}))
    final = Path(run_dir) / "final"
    final.mkdir(exist_ok=True)
    (final / "config.json").write_text(json.dumps({"factor": cfg.toy.factor, "extra": cfg.train.extra}))
    return {"factor": cfg.toy.factor, "init_from": cfg.train.init_from, "extra": cfg.train.extra}


METHOD = Method(name="toy", run=run, validate=validate, section="toy", schema=ToyConfig, train_schema=ToyTrain,
                launched=True, consumes={"model": "train.init_from"}, produces={"model": "final"},
                doc="a method that lives outside the package")
'''


def _plugin(tmp_path):
    (tmp_path / "toy_method.py").write_text(MODULE)
    conf = tmp_path / "conf"  # experiments only: the `method` option comes from the declaration
    (conf / "experiment").mkdir(parents=True)
    (conf / "experiment" / "toy_pipe.yaml").write_text(textwrap.dedent("""\
        # @package _global_
        defaults:
          - override /method: pipeline
        experiment_name: toy_pipe
        pipeline:
          stages: [toy_a, {experiment: toy_a, name: toy_b, overrides: [toy.factor=5]}]
        """))
    (conf / "experiment" / "toy_a.yaml").write_text(textwrap.dedent("""\
        # @package _global_
        defaults:
          - override /method: toy
        experiment_name: toy_a
        train:
          extra: 7
        """))
    env = {"NUMINA_EXP_METHODS": "toy_method",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))}
    return [f"hydra.searchpath=[file://{conf}]"], env


def test_plugin_method_runs_through_cli_and_validates(tmp_path):
    search, env = _plugin(tmp_path)
    out = tmp_path / "run"
    proc = run_cli(["method=toy", "toy.factor=3", "train.extra=4", f"hydra.run.dir={out}", *search], env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads((out / "result.json").read_text()) == {"factor": 3, "init_from": None, "extra": 4}
    bad = run_cli(["method=toy", "toy.factor=0", f"hydra.run.dir={tmp_path / 'bad'}", *search], env=env, timeout=300)
    assert bad.returncode == 2 and "config error at `toy.factor`" in bad.stderr
    typo = run_cli(["method=toy", "toy.factr=3", f"hydra.run.dir={tmp_path / 'typo'}", *search], env=env, timeout=300)
    assert typo.returncode != 0 and "toy.factr" in typo.stderr  # the section is typed: unknown keys fail


def test_plugin_method_runs_in_a_pipeline_and_consumes_the_previous_model(tmp_path):
    search, env = _plugin(tmp_path)
    out = tmp_path / "pipe"
    proc = run_cli(["+experiment=toy_pipe", f"hydra.run.dir={out}", *search], env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    first, second = out / "0_toy_a", out / "1_toy_b"
    assert json.loads((first / "result.json").read_text())["extra"] == 7
    res = json.loads((second / "result.json").read_text())
    assert res["factor"] == 5 and res["init_from"] == str(first / "final")
    lineage = json.loads((second / "run_info.json").read_text())["lineage"]
    assert lineage[0]["run_dir"] == str(first) and lineage[0]["kind"] == "model"
    # rerun in the same dir: both stages are complete under the same config and are skipped
    again = run_cli(["+experiment=toy_pipe", f"hydra.run.dir={out}", *search], env=env, timeout=300)
    assert again.returncode == 0 and again.stdout.count("    skipped:") == 2, again.stdout[-2000:]
    # a changed stage config in the same run dir is refused, naming the key
    changed = run_cli(["+experiment=toy_pipe", f"hydra.run.dir={out}", "pipeline.overrides=['train.extra=8']", *search],
                      env=env, timeout=300)
    assert changed.returncode != 0 and "train.extra: 7 -> 8" in changed.stderr + changed.stdout


def test_plugin_method_is_launched_through_the_worker(tmp_path):
    """distributed=zero3 over 2 CPU processes: the entrypoint re-launches, each worker runs the method."""
    search, env = _plugin(tmp_path)
    out = tmp_path / "launched"
    proc = run_cli(["method=toy", "distributed=zero3", "launch.processes=2", "train.global_batch_size=8",
                    "train.resume=never", f"hydra.run.dir={out}", *search], env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for rank in (0, 1):
        seen = json.loads((out / f"rank{rank}.json").read_text())
        # cfg.train in the worker is the method's own schema, its closed choices enums (not a dict of strings)
        assert seen == {"world": 2, "train_schema": "ToyTrain", "resume": "Resume", "peft_kind": "PeftKind",
                        "resume_value": "never"}, seen
    assert json.loads((out / "result.json").read_text())["factor"] == 2
