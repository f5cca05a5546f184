"""Training data from `data=`: a hub id (datasets.load_dataset) or a local JSONL (data.path, or the
shipped data.sample_path under scale=cpu), in the NuminaMath-CoT / NuminaMath-TIR schema (`messages`,
or `problem`/`solution`). Returns (train, test): the source's test split when it has one, otherwise a
held-out fraction `data.test_size` of train (seeded by data.shuffle_seed)."""
from __future__ import annotations

import logging

from omegaconf import OmegaConf

from .format import to_example

log = logging.getLogger("numina_exp")


def source_of(cfg) -> tuple[str, str]:
    """("json", path) or ("hub", hub_id), by the same precedence validation checked."""
    d = cfg.data
    if cfg.scale.sample_data and d.sample_path:
        return "json", d.sample_path
    if d.path:
        return "json", d.path
    return "hub", d.hub_id


def load_raw(cfg):
    """A DatasetDict with at least the train split."""
    from datasets import DatasetDict, load_dataset

    kind, ref = source_of(cfg)
    if kind == "json":
        raw = DatasetDict({cfg.data.train_split: load_dataset("json", data_files=ref, split="train")})
    else:
        raw = load_dataset(ref)
    if cfg.data.get("decontaminate", False):
        raw[cfg.data.train_split] = decontaminated(raw[cfg.data.train_split], ref)
    return raw


def decontaminated(ds, name: str):
    """`ds` without the rows that overlap a shipped evaluation suite (data.decontaminate=true)."""
    from .decontaminate import filter_rows

    _, hits = filter_rows(list(ds), train_file=str(name))
    bad = sorted({h.train_row for h in hits})
    log.warning("data.decontaminate: dropping %d of %d rows of %s that overlap evaluation suites (%s)", len(bad), len(ds),
                name, ", ".join(sorted({h.suite for h in hits})) or "none")
    if not bad:
        return ds
    drop = set(bad)
    return ds.select([i for i in range(len(ds)) if i not in drop])


def load_splits(cfg):
    """(train, test) as datasets of trainer examples (`messages`, or `prompt`/`completion`)."""
    d = cfg.data
    raw = load_raw(cfg)
    train = raw[d.train_split]
    if d.test_split and d.test_split in raw:
        test = raw[d.test_split]
    elif d.test_size and d.test_size > 0:
        parts = train.train_test_split(test_size=d.test_size, seed=d.shuffle_seed)
        train, test = parts["train"], parts["test"]
    else:
        test = None
    if d.max_rows is not None and len(train) > d.max_rows:
        train = train.shuffle(seed=d.shuffle_seed).select(range(d.max_rows))
    mode = str(OmegaConf.select(cfg, "train.loss_masking", default="none"))  # SFT's key; other trainers train on every token

    def convert(ds):
        return ds.map(lambda row: to_example(row, mode), remove_columns=ds.column_names)

    train = convert(train)
    test = convert(test) if test is not None and len(test) else None
    log.info("data %s: %d train rows, %s test rows", d.name, len(train), len(test) if test is not None else 0)
    return train, test
