"""method=kto: KTO (Ethayarajh et al. 2024) on a model's own labelled SC-TIR samples, with TRL's
KTOTrainer. The reference model is the starting model, frozen (TRL reloads it from the same
directory), or its log-probabilities precomputed once (train.precompute_ref_log_probs).

    python -m numina_exp method=kto data=jsonl data.path=outputs/sample/<run>/samples.jsonl \
        train.init_from=outputs/stage2_tir/<run>

Read top to bottom, the whole recipe is here: the keys (KTOTrain) -> labelled rows from samples.jsonl
(method=sample's output, split `train`; read once per run) -> both classes checked, before any model
loads -> class weights from the label counts (KTO's eq. 8) -> `build`: TRL arguments, model, KTOTrainer
-> the shared TRL plumbing (numina_exp.train.trl_run: weights, tokenizer, resume, final/) trains ->
`after_training`, on rank 0: the held-out split scored by implicit reward (numina_exp.evaluate.
implicit_reward), the curves and report (numina_exp.report.kto_curves) -> train_metrics.json, written
once. What lives elsewhere is shared with other methods or layers: the plumbing, the scoring of a
model's completions, the plots."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from ..config.train import TrainBase
from ..core.errors import ConfigError
from ..core.registry import Method

log = logging.getLogger("numina_exp")


@dataclass
class KTOTrain(TrainBase):
    learning_rate: float = 5.0e-7  # TRL's KTO default; an SFT model drifts fast at SFT rates
    epochs: float = 1.0
    beta: float = 0.1  # TRL's default: the KL penalty's strength / the implicit reward's scale
    desirable_weight: str = "auto"  # a number, or auto: from the label counts (lambda_D*n_D/(lambda_U*n_U) = 7/6)
    undesirable_weight: str = "auto"
    precompute_ref_log_probs: bool = False  # true: one pass of the reference before training, no second model in memory
    max_length: int = 2048  # prompt + completion tokens (TRL truncates the end)
    heldout_eval: bool = True  # score the samples' held-out split by implicit reward after training
    eval_batch_size: int = 8


# --- labelled samples -> KTO rows, and the class weights -------------------------------------------
# KTO (eq. 8) recommends weights with lambda_D * n_D / (lambda_U * n_U) in [1, 4/3]: the desirable side
# carries at least as much total weight as the undesirable side, and at most a third more. `auto` keeps
# one weight at 1 and scales the other (never below 1) so that the ratio is AUTO_RATIO (7/6, the middle
# of the range: TRL's own range check rounds its bounds to two decimals, the middle stays inside).

RATIO_RANGE = (1.0, 4.0 / 3.0)
AUTO_RATIO = 7.0 / 6.0


class LabelError(ValueError):
    """The labelled set cannot train KTO (empty, or one class only). Raised before any model loads."""

    def __init__(self, problem: str, fix: str):
        self.problem, self.fix = problem, fix
        super().__init__(f"{problem} {fix}")


@dataclass(frozen=True)
class Weights:
    desirable: float
    undesirable: float
    n_desirable: int
    n_undesirable: int

    @property
    def ratio(self) -> float:
        """lambda_D * n_D / (lambda_U * n_U): KTO recommends [1, 4/3]."""
        return self.desirable * self.n_desirable / (self.undesirable * self.n_undesirable)

    def describe(self) -> str:
        lo, hi = RATIO_RANGE
        inside = "inside" if lo - 1e-9 <= self.ratio <= hi + 1e-9 else "OUTSIDE"
        return (f"desirable_weight={self.desirable:.4f} undesirable_weight={self.undesirable:.4f} for "
                f"{self.n_desirable} desirable / {self.n_undesirable} undesirable examples: "
                f"lambda_D*n_D/(lambda_U*n_U) = {self.ratio:.3f} ({inside} the recommended [1, 4/3])")


def count_labels(rows: list[dict]) -> tuple[int, int]:
    d = sum(1 for r in rows if r["label"])
    return d, len(rows) - d


def check_classes(n_desirable: int, n_undesirable: int, source: str = "the dataset") -> None:
    """KTO needs both classes: the loss of a missing class is empty and the KL baseline means nothing."""
    if n_desirable + n_undesirable == 0:
        raise LabelError(f"{source} has no labelled rows (0 desirable, 0 undesirable): nothing to train KTO on.",
                         "Sample more prompts (data.max_rows / sample.k) or check that the prompts have gradable gold answers.")
    if n_desirable == 0 or n_undesirable == 0:
        only = "undesirable" if n_desirable == 0 else "desirable"
        raise LabelError(f"{source} holds one class only: {n_desirable} desirable, {n_undesirable} undesirable (all {only}).",
                         "KTO needs both: sample more prompts or copies (sample.k), from another model, or add reference "
                         "solutions where no copy was right (sample.reference=all_wrong).")


def _parse(value) -> float | None:
    if value is None or str(value).strip().lower() == "auto":
        return None
    w = float(value)
    if w <= 0:
        raise ValueError(f"a KTO class weight must be > 0 or 'auto', got {value!r}")
    return w


def choose_weights(n_desirable: int, n_undesirable: int, desirable="auto", undesirable="auto") -> Weights:
    """Weights from the label counts. Both `auto`: one weight stays 1.0, the other (>= 1) is scaled so
    the ratio is AUTO_RATIO. One given: the other is solved for AUTO_RATIO. Both given: used as is
    (`Weights.describe` says whether the ratio is in range)."""
    check_classes(n_desirable, n_undesirable)
    wd, wu = _parse(desirable), _parse(undesirable)
    nd, nu = n_desirable, n_undesirable
    if wd is None and wu is None:
        wd, wu = AUTO_RATIO * nu / nd, 1.0  # fewer desirable (the usual case): scale them up
        if wd < 1.0:  # many more desirable: keep them at 1 and scale the undesirable side up instead
            wd, wu = 1.0, nd / (AUTO_RATIO * nu)
    elif wd is None:
        wd = AUTO_RATIO * wu * nu / nd
    elif wu is None:
        wu = wd * nd / (AUTO_RATIO * nu)
    return Weights(round(wd, 4), round(wu, 4), nd, nu)


def kto_rows(samples: list[dict], split: str | None = "train") -> list[dict]:
    """samples.jsonl rows (of `split`; None: all) -> {"prompt", "completion", "label"} rows. The prompt is
    the decoding prompt the completion was sampled from, so KTO trains on the context it decodes in."""
    out = []
    for r in samples:
        if split is not None and r.get("split", "train") != split:
            continue
        if r.get("label") is None:  # a copy dropped by sample.unfinished_label=drop
            continue
        out.append({"prompt": r["prompt"], "completion": r["completion"], "label": bool(r["label"])})
    return out


def _weight_ok(key: str, value) -> None:
    if str(value).strip().lower() == "auto":
        return
    try:
        w = float(value)
    except ValueError:
        raise ConfigError(key, f"must be a number or auto, got {value!r}", f"set {key}=auto or e.g. {key}=1.0") from None
    if w <= 0:
        raise ConfigError(key, f"must be > 0, got {value!r}", f"set {key}=auto or a positive number")


def validate(cfg) -> None:
    """Keys, the samples file, and both classes present (checked here, before any model loads, when
    the file exists already; a pipeline's not-yet-written samples are checked when the stage starts)."""
    from ..core import planned

    t = cfg.train
    if t.beta <= 0:
        raise ConfigError("train.beta", f"must be > 0, got {t.beta}", "use e.g. 0.1 (TRL's default)")
    _weight_ok("train.desirable_weight", t.desirable_weight)
    _weight_ok("train.undesirable_weight", t.undesirable_weight)
    if t.max_length < 16:
        raise ConfigError("train.max_length", f"must be >= 16, got {t.max_length}", "use e.g. 2048")
    path = cfg.data.path
    if not path:
        raise ConfigError("data.path", "KTO trains on labelled samples and none are given",
                          "set data.path=RUN/samples.jsonl (the output of method=sample), or run it in a pipeline after a sample stage")
    if not planned.exists(path):
        raise ConfigError("data.path", f"file not found: {path}", "point data.path at a samples.jsonl written by method=sample")
    if os.path.isfile(path):
        check_labels(cfg)


def check_labels(cfg) -> tuple[list[dict], list[dict]]:
    """(train rows, held-out rows) of the samples file, read once; ConfigError naming the counts when KTO
    cannot train."""
    from ..core.io import read_jsonl

    try:
        samples = read_jsonl(cfg.data.path)
    except ValueError as err:
        raise ConfigError("data.path", str(err), "point data.path at a samples.jsonl written by method=sample") from None
    missing = [k for k in ("prompt", "completion", "label") if samples and k not in samples[0]]
    if missing:
        raise ConfigError("data.path", f"{cfg.data.path} rows lack {missing}: not a samples.jsonl", "use the output of method=sample")
    rows = kto_rows(samples, split="train")
    try:
        check_classes(*count_labels(rows), source=f"the train split of {cfg.data.path}")
    except LabelError as err:
        raise ConfigError("data.path", err.problem, err.fix) from None
    heldout = [r for r in samples if r.get("split") == "heldout"]
    return rows, heldout


def build(cfg, ctx, rows: list[dict]):
    """Weights, TRL arguments, model and KTOTrainer over the train rows."""
    from datasets import Dataset
    from trl import KTOConfig, KTOTrainer

    from ..train.args import common_kwargs
    from ..train.common import cap_steps, peft_config
    from ..train.trl_run import load_model

    t = cfg.train
    weights = choose_weights(*count_labels(rows), t.desirable_weight, t.undesirable_weight)
    print(f"[kto] {weights.describe()}", flush=True)

    kwargs = common_kwargs(cfg, ctx["run_dir"], world=ctx["world"], cpu=ctx["cpu"], bf16_ok=ctx["bf16_ok"])
    kwargs.update(eval_strategy="no", beta=t.beta, desirable_weight=weights.desirable, undesirable_weight=weights.undesirable,
                  precompute_ref_log_probs=t.precompute_ref_log_probs, max_length=t.max_length)
    args = KTOConfig(**kwargs)
    trainer = KTOTrainer(model=load_model(ctx), args=args, train_dataset=Dataset.from_list(rows),
                         processing_class=ctx["tokenizer"], peft_config=peft_config(t.peft))
    trainer.args.max_steps = cap_steps(args, len(rows), ctx["world"])  # train.max_steps caps the epochs, never extends them
    info = {"desirable": weights.desirable, "undesirable": weights.undesirable, "n_desirable": weights.n_desirable,
            "n_undesirable": weights.n_undesirable, "ratio": weights.ratio, "beta": t.beta}
    return trainer, {"metrics": {"kto_weights": info}}


def after_training(cfg, run_dir: Path, metrics: dict, source: str, heldout: list[dict]) -> dict:
    """Rank 0, once final/ is written: held-out implicit rewards, implicit_rewards.png, report.md, the W&B
    workspace; the console lines. Returns what joins train_metrics.json."""
    from ..core.io import atomic_write_json
    from ..evaluate.implicit_reward import heldout_implicit_rewards
    from ..report.kto_curves import curves, first_last, plot_implicit_rewards, report_section, save_workspace, workspace
    from ..report.tracking import wandb_mode

    t = cfg.train
    weights = metrics["kto_weights"]
    implicit = None
    final = run_dir / "final"
    if t.heldout_eval and final.exists():
        import torch

        from ..models.load import torch_dtype

        try:  # training is over: a ZeRO-3 run's global zero.Init must not partition these two loads (rank 0 only)
            from transformers.integrations.deepspeed import unset_hf_deepspeed_config
            unset_hf_deepspeed_config()
        except ImportError:
            pass
        device = "cuda" if torch.cuda.is_available() else "cpu"
        implicit = heldout_implicit_rewards(heldout, str(final), source, t.beta, t.max_length, t.eval_batch_size,
                                            dtype=torch_dtype(cfg.model.dtype, device), device=device)
        atomic_write_json(run_dir / "implicit_reward.json", implicit)
    history = metrics["log_history"]
    png = plot_implicit_rewards({cfg.experiment_name: history}, run_dir / "implicit_rewards.png")
    (run_dir / "report.md").write_text(f"# {cfg.experiment_name}: KTO\n\n" + report_section(history, weights, implicit))
    out = {"implicit_rewards_png": str(png), "report": str(run_dir / "report.md"),
           "curves_first_last": first_last(curves(history)),
           "implicit_reward": {k: v for k, v in (implicit or {}).items() if k != "rewards"}}
    if cfg.logger.name == "wandb":
        online = wandb_mode(cfg) == "online"
        out["wandb_workspace"] = save_workspace(workspace(cfg.logger.project, cfg.logger.entity), run_dir, online)
        out["wandb_run"] = _finish_wandb(png, out["implicit_reward"])
    _announce(run_dir, out)
    return out


def _announce(run_dir: Path, out: dict) -> None:
    fl, imp = out["curves_first_last"], out["implicit_reward"]
    margin = fl.get("rewards/margins")
    print(f"[kto] rewards/margins {margin[0]:.4f} -> {margin[1]:.4f}" if margin else "[kto] no rewards/margins logged", flush=True)
    if imp.get("completions"):
        print(f"[kto] held-out implicit reward: AUROC {imp['auroc']} (own copies only: {imp['auroc_own_copies']}), "
              f"best-of-k {imp['best_of_k_by_reward']}, majority {imp['majority_vote']}, pass@k {imp['pass_at_k']} "
              f"-> {run_dir / 'implicit_reward.json'}", flush=True)
    print(f"[kto] curves: {out['implicit_rewards_png']}; report: {out['report']}"
          + (f"; W&B run: {out.get('wandb_run')}; workspace: {out.get('wandb_workspace')}" if 'wandb_workspace' in out else ""),
          flush=True)


def _finish_wandb(png: Path, implicit: dict) -> str | None:
    """The held-out numbers and the curves' image into the run TRL's W&B callback opened; then finish
    it (the next pipeline stage opens its own). Returns the run's local directory (offline) or URL."""
    import wandb

    run = wandb.run
    if run is None:
        return None
    run.summary.update({f"heldout/{k}": v for k, v in implicit.items() if isinstance(v, (int, float)) and v is not None})
    run.log({"implicit_rewards": wandb.Image(str(png))})
    where = str(Path(run.dir).parent) if run.settings.mode == "offline" else run.url
    run.finish()
    return where


def run(cfg, run_dir) -> dict:
    from ..core.result_kind import ResultKind
    from ..train.common import resolve_init
    from ..train.trl_run import run_trainer

    run_dir = Path(run_dir)
    rows, heldout = check_labels(cfg)  # the one read of samples.jsonl in this process
    return run_trainer(cfg, run_dir, lambda cfg, ctx: build(cfg, ctx, rows),  # opens this run's own W&B run
                       after=lambda metrics: after_training(cfg, run_dir, metrics, resolve_init(cfg), heldout),
                       kind=ResultKind.preference_training)


METHOD = Method(
    name="kto", run=run, validate=validate, train_schema=KTOTrain, launched=True,
    needs=("model", "train"),
    consumes={"model": "train.init_from", "dataset": "data.path"}, produces={"model": "final"},
    doc="KTO on labelled samples (samples.jsonl) with TRL's KTOTrainer; implicit-reward curves and held-out AUROC",
)
