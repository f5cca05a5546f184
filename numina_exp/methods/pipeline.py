"""method=pipeline: several experiments in one run, each stage's outputs feeding later stages.

A stage is an experiment name, or a mapping that names its inputs:

    pipeline:
      stages:
        - stage2_tir
        - {experiment: sample_from_sft}                       # takes stage2_tir's model
        - {experiment: kto_from_samples, name: kto}           # takes the newest model and dataset
        - {experiment: merge_ties, inputs: {models: [stage2_tir, kto]}}
        - {experiment: eval_sc_tir, overrides: [eval.seeds=[0,1]]}

For every input kind a stage's method consumes (its `Method.consumes`), the stage gets the output of
the stage named in `inputs` (`null`: none, the stage keeps its own config, e.g. the base model's
evaluation), else of the newest earlier stage that produces that kind. Every stage is
composed and validated before the first one starts (a typo in stage 3 must not cost the hours of
stage 1). Rerun in the same run dir (hydra.run.dir=...), a stage whose result.json exists under the
same resolved config is skipped, and one whose config changed is refused, naming the keys."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from hydra import compose
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf, open_dict

from ..config import PACKAGE_DIR
from ..config.scaling import apply_scale
from ..core.errors import ConfigError
from ..core.io import atomic_write_json
from ..core.planned import planned
from ..core.registry import Method, methods
from ..core.result_kind import ResultKind
from ..core.rundir import check_same_inputs, config_hash, prepare_run
from ..evaluate.claims import measure, parse_claims
from ..generate.backends import backend_class
from ..models.hub import check_hub_available
from ..report import claims_table
from ._run import RESULT, execute
from ._validate import deliberate_mixes
from ._validate import validate as validate_config

log = logging.getLogger("numina_exp")


@dataclass
class PipelineConfig:
    # Experiment names (conf/experiment/*.yaml) or {experiment, name, inputs, overrides} mappings, run in
    # order in sub-directories <i>_<name> of the run dir.
    stages: list = field(default_factory=list)
    # Overrides applied to every stage whose config has the key (scale, logger and seed pass on automatically).
    overrides: list = field(default_factory=list)
    # The write-up's relative claims, each a treatment stage against a baseline stage (evaluation stages):
    # {id, claim, baseline, treatment, expect: up|down|none, row}. With any, <claims_report>.md/.json in the
    # run dir are rewritten after every stage (pending rows until both stages ran; numina_exp/evaluate/claims.py).
    claims: list = field(default_factory=list)
    claims_report: str = "claims"
    # Run no stage: measure the claims over the stages that finished in this run dir and rewrite the table
    # (after editing the claims, or while the run goes on in another process).
    report_only: bool = False


@dataclass
class Stage:
    index: int
    name: str
    experiment: str
    inputs: dict
    overrides: list
    cfg: DictConfig = None
    changes: list = field(default_factory=list)
    wiring: dict = field(default_factory=dict)  # config key -> stage name(s) feeding it

    @property
    def method(self):
        return methods()[self.cfg.method.name]


def parse_stages(cfg: DictConfig) -> list[Stage]:
    stages, seen = [], set()
    for i, spec in enumerate(cfg.pipeline.stages):
        key = f"pipeline.stages[{i}]"
        if isinstance(spec, str):
            spec = {"experiment": spec}
        elif OmegaConf.is_dict(spec):
            spec = OmegaConf.to_container(spec, resolve=True)
        else:
            raise ConfigError(key, f"expected an experiment name or a mapping, got {spec!r}", "use e.g. stage2_tir or {experiment: stage2_tir}")
        unknown = set(spec) - {"experiment", "name", "inputs", "overrides"}
        if unknown or "experiment" not in spec:
            raise ConfigError(key, f"unknown keys {sorted(unknown)}" if unknown else "no `experiment`",
                              "a stage mapping has experiment (required), name, inputs, overrides")
        name = spec.get("name") or spec["experiment"]
        if name in seen:
            raise ConfigError(f"{key}.name", f"two stages are called {name!r}", "give the second one a `name:`")
        seen.add(name)
        stages.append(Stage(i, name, spec["experiment"], dict(spec.get("inputs") or {}), list(spec.get("overrides") or [])))
    return stages


def _has_key(cfg: DictConfig, override: str) -> bool:
    key = override.split("=", 1)[0].lstrip("+~")
    return OmegaConf.select(cfg, key.rsplit(".", 1)[0] if "." in key else key) is not None


def _searchpath() -> list[str]:
    """The run's extra config dirs (hydra.searchpath) apply to its stages too."""
    try:
        from hydra.core.hydra_config import HydraConfig

        paths = list(HydraConfig.get().searchpath)
    except ValueError:  # composed outside a Hydra app (tests)
        return []
    return [f"hydra.searchpath=[{','.join(paths)}]"] if paths else []


def compose_stage(stage: Stage, parent: DictConfig) -> DictConfig:
    base = [f"experiment={stage.experiment}", f"scale={parent.scale.name}", f"logger={parent.logger.name}",
            f"seed={parent.seed}", *_searchpath()]
    try:
        probe = compose(config_name="config", overrides=base)
        shared = [o for o in parent.pipeline.overrides if _has_key(probe, o)]
        skipped = [o for o in parent.pipeline.overrides if o not in shared]
        if skipped:
            log.info("pipeline: stage %s has no key for %s (not applied there)", stage.name, skipped)
        return compose(config_name="config", overrides=base + shared + stage.overrides)
    except HydraException as err:
        raise ConfigError(f"pipeline.stages[{stage.index}]", f"stage {stage.name} does not compose: {err}",
                          "use an experiment name from conf/experiment/ and keys that exist in that stage") from None


def _output(stage: Stage, kind: str, run_dir: Path) -> str:
    return str(run_dir / f"{stage.index}_{stage.name}" / stage.method.produces[kind])


def wire(stages: list[Stage], run_dir: Path) -> None:
    """Decide, for every consumed input of every stage, which earlier stage feeds it (and set the key)."""
    for stage in stages:
        earlier = {s.name: s for s in stages[:stage.index]}
        unknown = set(stage.inputs) - set(stage.method.consumes)
        if unknown:
            raise ConfigError(f"pipeline.stages[{stage.index}].inputs", f"method {stage.method.name} consumes no {sorted(unknown)}",
                              f"it consumes {sorted(stage.method.consumes) or 'nothing'}")
        for kind, key in stage.method.consumes.items():
            want = stage.inputs.get(kind)
            produce_kind = "model" if kind == "models" else kind
            if kind in stage.inputs and want is None:
                continue  # `inputs: {model: null}`: the stage keeps its own config (e.g. the base model's evaluation)
            if want is None:
                if kind == "models" or stage.index == 0:
                    continue  # a list of models is always named; the first stage keeps its own config
                producers = [s for s in stages[:stage.index] if produce_kind in s.method.produces]
                if not producers:
                    continue
                want = producers[-1].name
            names = list(want) if isinstance(want, (list, tuple)) else [want]
            for n in names:
                if n not in earlier or produce_kind not in earlier[n].method.produces:
                    raise ConfigError(f"pipeline.stages[{stage.index}].inputs.{kind}",
                                      f"{n!r} is not an earlier stage that produces a {produce_kind}",
                                      f"name one of {[s for s, st in earlier.items() if produce_kind in st.method.produces]}")
            paths = [_output(earlier[n], produce_kind, run_dir) for n in names]
            with open_dict(stage.cfg):
                OmegaConf.update(stage.cfg, key, paths if kind == "models" else paths[0], force_add=True)
            stage.wiring[key] = names if kind == "models" else names[0]


def rebase_package(old, new, package_dir: str) -> tuple[object, set[str]]:
    """`old` (a resolved config) with each value that is a path under another numina_exp package root, where
    `new` has the same path under `package_dir`, replaced by the new one; and the old roots seen."""
    name = Path(package_dir).name
    roots: set[str] = set()

    def walk(a, b):
        if isinstance(a, dict) and isinstance(b, dict):
            return {k: walk(v, b[k]) if k in b else v for k, v in a.items()}
        if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            return [walk(x, y) for x, y in zip(a, b)]
        if a == b or not (isinstance(a, str) and isinstance(b, str) and b.startswith(package_dir)):
            return a
        rest = b[len(package_dir):]
        if (rest and not rest.startswith("/")) or not a.endswith(rest) or Path(a[: len(a) - len(rest)]).name != name:
            return a
        roots.add(a[: len(a) - len(rest)])
        return b

    return walk(old, new), roots


def moved_package_only(old, new, package_dir: str) -> bool:
    """Whether `old` and `new` (resolved configs) differ only in where the numina_exp package lies: every
    differing value is the same path under one other package root."""
    rebased, roots = rebase_package(old, new, package_dir)
    return rebased == new and len(roots) == 1


def _diff(old: dict, new: dict, prefix: str = "") -> list[str]:
    keys = []
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k), new.get(k)
        if isinstance(a, dict) and isinstance(b, dict):
            keys += _diff(a, b, f"{prefix}{k}.")
        elif a != b:
            keys.append(f"{prefix}{k}: {a!r} -> {b!r}")
    return keys


def previous_state(stage: Stage, stage_dir: Path) -> str:
    """'new', 'complete' (same config, result.json written) or 'partial' (same config, no result);
    a stage dir written under another config is refused."""
    old_cfg = stage_dir / "resolved_config.yaml"
    if not old_cfg.exists():
        return "new"
    check_same_inputs(stage.cfg, stage_dir)  # same config, other data file contents: refused too
    info_path = stage_dir / "run_info.json"
    old_hash = json.loads(info_path.read_text()).get("config_hash") if info_path.exists() else None
    if old_hash != config_hash(stage.cfg):
        old = OmegaConf.to_container(OmegaConf.load(old_cfg), resolve=True)
        now = OmegaConf.to_container(stage.cfg, resolve=True)
        if moved_package_only(old, now, str(PACKAGE_DIR)):
            # the same stage run from another checkout (a moved or re-cloned repo): only the package's own
            # path differs in its shipped-file keys, whose contents check_same_inputs compared above
            return "complete" if (stage_dir / RESULT).exists() else "partial"
        changed = _diff(rebase_package(old, now, str(PACKAGE_DIR))[0], now)  # not the paths a moved checkout changes
        raise ConfigError(f"pipeline.stages[{stage.index}]",
                          f"{stage_dir} holds stage {stage.name} run under another config: " + "; ".join(changed[:8]),
                          "rerun with the same overrides, or use a new run dir (drop hydra.run.dir)")
    return "complete" if (stage_dir / RESULT).exists() else "partial"


def _check_claims(cfg: DictConfig, stages: list[Stage]) -> None:
    evaluations = [s.name for s in stages if "eval" in s.method.produces]
    for i, claim in enumerate(parse_claims(OmegaConf.to_container(cfg.pipeline.claims, resolve=True))):
        for side in ("baseline", "treatment"):
            if getattr(claim, side) not in evaluations:
                raise ConfigError(f"pipeline.claims[{i}].{side}", f"{getattr(claim, side)!r} is not an evaluation stage of this pipeline",
                                  f"name one of {evaluations}")


def _write_claims(cfg: DictConfig, stages: list[Stage], summary: list[dict], run_dir: Path) -> Path | None:
    if not cfg.pipeline.claims:
        return None
    claims = parse_claims(OmegaConf.to_container(cfg.pipeline.claims, resolve=True))
    rows = measure(claims, {s.name: run_dir / f"{s.index}_{s.name}" for s in stages})
    done = [{"stage": e["stage"], "method": e["method"], "headline": _headline(e)} for e in summary]
    header = (f"# {cfg.experiment_name}: the write-up's claims, measured\n\nRun dir `{run_dir}`; "
              f"{len(done)}/{len(stages)} stages done. Accuracy: mean over problems of the per-problem accuracy over the "
              "stage's evaluation seeds; 95 % intervals: bootstrap over problems (paired for the delta); one training seed "
              "per model unless a claim compares training seeds.")
    return claims_table.write(rows, done, run_dir, cfg.pipeline.claims_report, header)


def validate(cfg: DictConfig) -> None:
    if not cfg.pipeline.stages:
        raise ConfigError("pipeline.stages", "method=pipeline with no stages", "list experiment names, e.g. [stage1_cot, stage2_tir]")


def plan(cfg: DictConfig, run_dir: Path) -> list[Stage]:
    stages = parse_stages(cfg)
    for stage in stages:
        stage.cfg = compose_stage(stage, cfg)
        if stage.cfg.method.name == "pipeline":
            raise ConfigError(f"pipeline.stages[{stage.index}]", f"{stage.experiment} is itself a pipeline", "list its stages instead")
        stage.changes = apply_scale(stage.cfg)
    wire(stages, run_dir)
    _check_claims(cfg, stages)
    outputs = [_output(s, k, run_dir) for s in stages for k in s.method.produces]
    with planned(outputs):
        for stage in stages:
            validate_config(stage.cfg)
    for stage in stages:  # every stage's hub ids, before stage 1 runs (offline and not cached: a ConfigError now)
        check_hub_available(stage.cfg, backend_class(stage.cfg.backend.name).loads_weights)
    return stages


def run(cfg: DictConfig, run_dir: Path):
    run_dir = Path(run_dir)
    stages = plan(cfg, run_dir)
    log.info("pipeline: %s", " -> ".join(f"{s.name} ({s.cfg.method.name})" for s in stages))
    summary = []
    if cfg.pipeline.report_only:
        for stage in stages:
            stage_dir = run_dir / f"{stage.index}_{stage.name}"
            if previous_state(stage, stage_dir) == "complete":
                summary.append({"stage": stage.name, "method": stage.cfg.method.name, "run_dir": str(stage_dir), "outputs": {},
                                "model_out": None, "result": json.loads((stage_dir / RESULT).read_text())})
        table = _write_claims(cfg, stages, summary, run_dir)
        print(table.read_text() if table else "pipeline.report_only: this pipeline has no claims", flush=True)
        return summary
    table = None
    for stage in stages:
        stage_dir = run_dir / f"{stage.index}_{stage.name}"
        state = previous_state(stage, stage_dir)
        fed = "; ".join(f"{k} <- {v}" for k, v in stage.wiring.items())
        print(f"\n=== pipeline stage {stage.index + 1}/{len(stages)}: {stage.name} (method={stage.cfg.method.name})"
              f"{' [' + fed + ']' if fed else ''} -> {stage_dir}", flush=True)
        if state == "complete":
            print(f"    skipped: {stage_dir / RESULT} exists under the same config ({config_hash(stage.cfg)})", flush=True)
            result = json.loads((stage_dir / RESULT).read_text())
        else:
            if state == "partial":
                print("    resuming: the stage started under the same config and did not finish", flush=True)
            changes = stage.changes + [f"{k}: the output of stage {v}" for k, v in stage.wiring.items()]
            prepare_run(stage.cfg, scale_changes=changes, run_dir=stage_dir, notes=deliberate_mixes(stage.cfg))
            result = execute(stage.cfg, stage_dir)
        outputs = {k: _output(stage, k, run_dir) for k in stage.method.produces}
        summary.append({"stage": stage.name, "method": stage.cfg.method.name, "run_dir": str(stage_dir),
                        "outputs": {k: p for k, p in outputs.items() if Path(p).exists()}, "skipped": state == "complete",
                        "model_out": outputs.get("model") if outputs.get("model") and Path(outputs["model"]).exists() else None,
                        "result": result if isinstance(result, (dict, list, str, int, float)) else None})
        atomic_write_json(run_dir / "pipeline.json", summary)
        table = _write_claims(cfg, stages, summary, run_dir)  # after every stage: a long run's table grows as it goes
    print_summary(summary, run_dir)
    if table:
        print(f"\n{table.read_text()}-> {table}", flush=True)
    evals = [e["run_dir"] for e in summary if _kind(e) == ResultKind.evaluation]
    if len(evals) > 1:  # e.g. before / after a fine-tune (demo_real): side by side in the pipeline's dir
        from ..report.compare import compare
        print(f"\n{compare(evals, out=run_dir)}\n-> {run_dir / 'compare.md'}", flush=True)
    return summary


def _kind(entry: dict) -> ResultKind | None:
    """What a stage's result is, as the result records it (core/result_kind.py)."""
    r = entry["result"] if isinstance(entry["result"], dict) else {}
    return ResultKind(r["kind"]) if r.get("kind") in ResultKind.__members__ else None


def _headline(entry: dict) -> str:
    """One line of what a stage produced, read from its own result (nothing recomputed here)."""
    r = entry["result"] if isinstance(entry["result"], dict) else {}
    kind = _kind(entry)
    if kind in (ResultKind.training, ResultKind.preference_training) and r.get("eval_loss"):
        ev = r["eval_loss"]
        # one evaluation (a single epoch, e.g. max_steps): no "a -> a"; the training loss shows the trend
        ev_txt = f"{ev[0]:.4f} -> {ev[-1]:.4f}" if len(ev) > 1 else f"{ev[-1]:.4f}"
        train = [h["loss"] for h in r.get("log_history") or [] if "loss" in h]
        tr_txt = f"train loss {train[0]:.3f} -> {train[-1]:.3f}, " if len(train) > 1 else ""
        return (f"{r.get('global_step')} steps, {tr_txt}eval loss {ev_txt}, "
                f"{r.get('tokens_per_s', 0):.0f} tokens/s -> {entry['model_out']}")
    if kind == ResultKind.evaluation:
        accs = ", ".join(f"seed {k}: {100 * v['accuracy']:.1f}% ({v['correct']}/{v['total']})" for k, v in r["per_seed"].items())
        c = r.get("copies") or {}
        decided = (f"; {r.get('code_runs', 0)} code blocks run, copies {c.get('answered', 0)} answered / "
                   f"{c.get('discarded', 0)} discarded / {c.get('restarted', 0)} restarted / "
                   f"{c.get('unfinished', 0)} unfinished") if c else ""
        return f"{r.get('suite')} {accs}{decided} -> {Path(entry['run_dir']) / 'report.md'}"
    outs = ", ".join(f"{k}: {p}" for k, p in entry.get("outputs", {}).items())
    return outs or entry["run_dir"]


def print_summary(summary: list[dict], run_dir: Path) -> None:
    print(f"\n=== pipeline done: {run_dir}")
    for entry in summary:
        skipped = " (skipped: already complete)" if entry.get("skipped") else ""
        print(f"  {entry['stage']:<16} {entry['method']:<9} {_headline(entry)}{skipped}")


METHOD = Method(
    name="pipeline", run=run, validate=validate, section="pipeline", schema=PipelineConfig,
    doc="several experiments in sequence, each stage's outputs feeding the stages that consume them",
)
