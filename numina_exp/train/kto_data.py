"""Labelled samples (samples.jsonl of method=sample) -> what TRL's KTOTrainer consumes, and the class
weights KTO needs when desirable and undesirable examples are unbalanced.

KTO (Ethayarajh et al. 2024, eq. 8) recommends weights with lambda_D * n_D / (lambda_U * n_U) in
[1, 4/3]: the desirable side carries at least as much total weight as the undesirable side, and at most
a third more. `auto` keeps one weight at 1 and scales the other (never below 1) so that the ratio is
AUTO_RATIO (7/6, the middle of the range: TRL's own range check rounds its bounds to two
decimals, the middle stays inside either way)."""
from __future__ import annotations

from dataclasses import dataclass

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
