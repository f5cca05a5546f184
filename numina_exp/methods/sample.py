"""method=sample: a model's own SC-TIR copies on a prompt set, each labelled by grading its answer
(KTO's data; reusable for RL baselines and data generation).

    python -m numina_exp method=sample model.path=outputs/stage2_tir/<run> data=numina_tir decoding=sc_tir \
        decoding.early_stop=none sample.k=4

Read top to bottom: prompts (the `data` group's train split, at most data.max_rows after the
data.shuffle_seed shuffle; gold = the boxed answer of the reference solution, rows without one
counted and skipped) -> decoder (decoding.n = sample.k copies, any backend) -> label and write
(numina_exp.evaluate.sampling: samples.jsonl, samples_stats.json, generations.jsonl; resumable)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from omegaconf import open_dict

from ..config.eval import AnswerKind
from ..core.errors import ConfigError
from ..core.registry import Method

log = logging.getLogger("numina_exp")


class UnfinishedLabel(StrEnum):
    undesirable = "undesirable"  # a copy that never answered (discarded / unfinished) is a bad completion
    drop = "drop"  # kept in samples.jsonl with label null; never trained on


class Reference(StrEnum):
    never = "never"  # the model's own copies only (the write-up)
    all_wrong = "all_wrong"  # add the reference solution as a desirable row where no copy was right
    always = "always"  # add it for every problem


@dataclass
class SampleConfig:
    k: int = 4  # copies per prompt (the write-up's 4); decoding.n is set to it
    unfinished_label: UnfinishedLabel = UnfinishedLabel.undesirable
    heldout_fraction: float = 0.2  # share of problems (by id hash) kept out of KTO training for the implicit-reward evaluation
    answer_kind: AnswerKind = AnswerKind.math  # math-verify: NuminaMath-TIR answers are expressions
    reference: Reference = Reference.never  # the reference solution as an extra desirable completion
    progress: bool = True


def validate(cfg) -> None:
    s = cfg.sample
    if s.k < 1:
        raise ConfigError("sample.k", f"must be >= 1, got {s.k}", "use e.g. 4 (the write-up's)")
    if not (0.0 <= s.heldout_fraction < 1.0):
        raise ConfigError("sample.heldout_fraction", f"must be in [0, 1), got {s.heldout_fraction}", "use e.g. 0.2, or 0 to train on everything")
    from ..decode.strategies import strategy_class, with_flag

    if not strategy_class(cfg.decoding.strategy).copies:
        raise ConfigError("decoding.strategy", f"sampling needs several copies per prompt (decoding={cfg.decoding.strategy})",
                          f"use decoding={' or '.join(with_flag('copies'))}")
    if cfg.decoding.early_stop:
        raise ConfigError("decoding.early_stop", "early stop leaves copies unfinished once the vote is decided: "
                          "they would be labelled as failures", "set decoding.early_stop=none")
    if cfg.decoding.temperature <= 0 and s.k > 1:
        raise ConfigError("decoding.temperature", f"k={s.k} copies at temperature 0 are identical", "set decoding.temperature=0.8")


def load_prompts(cfg) -> tuple[list[dict], int]:
    """Problems {id, problem, answer} of the data group's train split, and the rows without gradable gold."""
    from ..data.load import load_raw, source_of
    from ..evaluate.sampling import prompt_rows

    d = cfg.data
    train = load_raw(cfg)[d.train_split]
    if d.max_rows is not None and len(train) > d.max_rows:
        train = train.shuffle(seed=d.shuffle_seed).select(range(d.max_rows))
    problems, skipped = prompt_rows(list(train), id_prefix=d.name)
    log.info("sample: %d prompts from %s, %d skipped (no gradable gold answer)", len(problems), source_of(cfg)[1], skipped)
    return problems, skipped


def run(cfg, run_dir) -> dict:
    from ..decode import make_decoder
    from ..grading import is_equivalent

    s = cfg.sample
    with open_dict(cfg):
        cfg.decoding.n = int(s.k)
    problems, skipped = load_prompts(cfg)
    if not problems:
        raise RuntimeError(f"data={cfg.data.name}: none of the rows has a gradable gold answer ({skipped} skipped)")
    kind = str(s.answer_kind)

    def grade(pred, gold) -> bool:
        return is_equivalent(str(pred), str(gold), kind)

    from ..evaluate.sampling import sample

    with make_decoder(cfg) as decoder:
        stats = sample(decoder, problems, run_dir, k=int(s.k), seed=int(cfg.decoding.seed), grade=grade,
                       unfinished_label=str(s.unfinished_label), heldout_fraction=float(s.heldout_fraction),
                       skipped_no_gold=skipped, reference=str(s.reference), progress=s.progress)
    path = Path(run_dir) / "samples.jsonl"
    print(f"[sample] {stats['rows']} completions of {stats['problems']} problems ({stats['skipped_no_gold']} without gold skipped): "
          f"{stats['desirable']} desirable ({stats['reference_rows']} of them reference solutions), {stats['undesirable']} undesirable, "
          f"{stats['dropped']} dropped; "
          f"pass@{stats['k']} {100 * stats['pass_at_k']:.1f}% -> {path}", flush=True)
    return {"samples": str(path), **stats}


METHOD = Method(
    name="sample", run=run, validate=validate, section="sample", schema=SampleConfig,
    needs=("model", "data", "decoding", "backend"),
    consumes={"model": "model.path"}, produces={"dataset": "samples.jsonl"},
    doc="sample k SC-TIR copies per prompt from a model and label each by grading its answer (samples.jsonl)",
)
