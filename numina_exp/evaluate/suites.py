"""Evaluation suites: rows `{id, problem, answer, ...metadata}` from a local JSONL, a hub id, or the
members of a composite suite.

Source rule (documented in docs/evaluation.md): `eval.path` wins; with `path: null` the hub id is
loaded with `datasets.load_dataset(hub_id, hub_config, split=split)`; a composite suite
(`eval.suites: [amc, aime, ...]`) loads each member's own `conf/eval/<member>.yaml` (its shipped file)
and prefixes ids with `member:`. `eval.limit` is "first k rows" for a plain suite and "first k rows of
EACH member" for a composite one (so `scale=cpu`, which caps eval.limit, keeps every member).
`eval.shuffle_seed` shuffles (within each member) before the limit.
"""
from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any, Mapping

from omegaconf import DictConfig, OmegaConf

import numina_exp.config  # noqa: F401  registers the ${pkg:...} resolver
from numina_exp.config.eval import EvalConfig
from numina_exp.config.schema import BaseConfig
from numina_exp.core.io import JsonlError, read_jsonl, read_jsonl_numbered
from numina_exp.core.paths import conf_dir

CONF_EVAL_DIR = conf_dir() / "eval"
_DROP_HUB_FIELDS = {"solution", "messages", "question", "problem", "answer", "id"}
_YEAR = re.compile(r"(?<!\d)(20\d\d|19\d\d)_")


class SuiteError(ValueError):
    """A suite that cannot be used; `key` and `fix` say which config key and what to do (validation
    turns it into a ConfigError), when they differ from a bad line of eval.path."""

    def __init__(self, message: str, key: str | None = None, fix: str | None = None):
        super().__init__(message)
        self.key, self.fix = key, fix


EMPTY_FIX = "point eval.path at a JSONL file with one problem per line ({\"id\", \"problem\", \"answer\"})"


def _as_cfg(eval_cfg: Any) -> DictConfig:
    if isinstance(eval_cfg, DictConfig):
        return eval_cfg
    base = OmegaConf.structured(EvalConfig)
    if isinstance(eval_cfg, EvalConfig):
        return OmegaConf.merge(base, OmegaConf.structured(eval_cfg))
    return OmegaConf.merge(base, OmegaConf.create(dict(eval_cfg)))


def suite_config(name: str) -> DictConfig:
    """`conf/eval/<name>.yaml` merged over the EvalConfig defaults (interpolations resolved)."""
    path = CONF_EVAL_DIR / f"{name}.yaml"
    if not path.is_file():
        raise SuiteError(f"unknown suite {name!r}: no {path}")
    cfg = OmegaConf.merge(OmegaConf.structured(EvalConfig), OmegaConf.load(path))
    # outside a run the seed keys' ${seed} (docs/seeds.md) resolve against the default root seed
    root = OmegaConf.create({"seed": BaseConfig.seed, "eval": cfg})
    OmegaConf.resolve(root)
    return root.eval


def suite_names() -> list[str]:
    return sorted(p.stem for p in CONF_EVAL_DIR.glob("*.yaml"))


def read_suite_file(path: str | Path) -> list[tuple[str, dict]]:
    """[(where, row)] with where = "FILE:LINE". A suite is an input, not a run's own output, so every
    bad line is an error naming file and line (a cut-off last line too)."""
    path = Path(path).expanduser()
    try:
        rows, torn = read_jsonl_numbered(path)
    except OSError as err:
        raise SuiteError(f"{path}: cannot read the suite ({err.strerror or err})") from None
    except JsonlError as err:
        raise SuiteError(str(err) + ("; save the suite as UTF-8" if "UTF-8" in err.problem else "")) from None
    if torn:
        last = path.read_bytes().count(b"\n") + 1
        raise SuiteError(f"{path}:{last}: not JSON (the last line is cut off)")
    if not rows:
        raise SuiteError(f"{path}: the suite holds no problems (the file is empty or has only blank lines)",
                         "eval.path", EMPTY_FIX)
    return [(f"{path}:{line}", row) for line, row in rows]


def _answer_str(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _scalar(value) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def normalize_row(row: Mapping, index: int, source: str) -> dict:
    """Map a row with the usual column names (problem|question, answer|#### text|boxed solution, id)
    to `{id, problem, answer, ...metadata}`; metadata keeps the other scalar columns. `source` names
    the row in errors ("FILE:LINE" or "HUB_ID row I")."""
    problem = row.get("problem", row.get("question"))
    answer = row.get("answer")
    if isinstance(answer, str) and "####" in answer:  # GSM8K's full solution text
        answer = answer.rsplit("####", 1)[1].strip()
    if answer is None and row.get("solution"):
        from numina_exp.grading import last_boxed
        answer = last_boxed(str(row["solution"]))
    if problem is None or answer is None:
        raise SuiteError(f"{source}: needs a problem (or question) and an answer, got fields {sorted(row)}")
    if not isinstance(problem, str) or not problem.strip():
        raise SuiteError(f"{source}: the problem must be a non-empty string, got {problem!r}"[:300])
    if not _scalar(answer) or (isinstance(answer, float) and answer != answer):
        raise SuiteError(f"{source}: the answer must be a string or a number, got {type(answer).__name__} "
                         f"{answer!r}"[:300] + " (a list or object cannot be graded)")
    if not _answer_str(answer):
        raise SuiteError(f"{source}: the answer is empty")
    rid = row.get("id")
    if rid is not None and not _scalar(rid):
        raise SuiteError(f"{source}: id must be a string or a number, got {rid!r}"[:300])
    out = {"id": str(rid) if rid is not None else f"{index}", "problem": problem, "answer": _answer_str(answer)}
    for k, v in row.items():
        if k not in _DROP_HUB_FIELDS and (v is None or isinstance(v, (str, int, float, bool, list))):
            out[k] = v
    if "year" not in out and isinstance(row.get("url"), str):
        m = _YEAR.search(row["url"])
        if m:
            out["year"] = int(m.group(1))
    return out


def _load_hub(cfg: DictConfig) -> list[dict]:
    try:
        import datasets
    except ImportError as err:  # pragma: no cover - datasets is a dependency
        raise SuiteError("loading by hub id needs the `datasets` package") from err
    ds = datasets.load_dataset(cfg.hub_id, cfg.hub_config, split=cfg.split)
    return [dict(r) for r in ds]


def _select(rows: list[dict], cfg: DictConfig) -> list[dict]:
    for key, want in (cfg.where or {}).items():
        rows = [r for r in rows if r.get(key) == want]
    # decontamination: drop problems a training file holds (e.g. the TIR sample's GSM8K test rows)
    seen = {str(r.get("problem", "")).strip() for path in (cfg.get("exclude_problems_in") or []) for r in read_jsonl(str(path))}
    rows = [r for r in rows if r["problem"].strip() not in seen] if seen else rows
    if cfg.shuffle_seed is not None:
        rows = list(rows)
        random.Random(cfg.shuffle_seed).shuffle(rows)
    if cfg.limit is not None:
        rows = rows[: int(cfg.limit)]
    return rows


def load_suite(eval_cfg: Any) -> list[dict]:
    """Rows of the suite `eval_cfg` describes (an `eval` config node, an EvalConfig or a dict):
    each `{id, problem, answer, suite, ...metadata}`, ids unique, in suite order."""
    cfg = _as_cfg(eval_cfg)
    if cfg.suites and not cfg.path:
        rows: list[dict] = []
        for member in cfg.suites:
            mcfg = suite_config(member)
            mcfg.limit = cfg.limit
            mcfg.shuffle_seed = cfg.shuffle_seed
            for r in load_suite(mcfg):
                rows.append({**r, "id": f"{member}:{r['id']}", "suite": member})
        _check_unique(rows, cfg.name)
        return rows
    if cfg.path:
        source = str(cfg.path)
        raw = read_suite_file(source)
    elif cfg.hub_id:
        source = str(cfg.hub_id)
        raw = [(f"{source} row {i}", r) for i, r in enumerate(_load_hub(cfg))]
    else:
        raise SuiteError(f"eval={cfg.name} names no problems: set eval.path=FILE.jsonl or eval.hub_id")
    rows = [normalize_row(r, i, where) for i, (where, r) in enumerate(raw)]
    name = cfg.name if cfg.name != "???" else "jsonl"
    rows = [{**r, "suite": r.get("suite", name)} for r in rows]
    selected = _select(rows, cfg)
    if rows and not selected:
        raise SuiteError(f"{source}: eval.where={dict(cfg.where or {})} and eval.exclude_problems_in leave none of its "
                         f"{len(rows)} problems", "eval.where", "loosen eval.where or eval.exclude_problems_in")
    rows = selected
    _check_unique(rows, source)
    return rows


def _check_unique(rows: list[dict], source: str) -> None:
    seen = set()
    for r in rows:
        if r["id"] in seen:
            raise SuiteError(f"{source}: duplicate id {r['id']!r}")
        seen.add(r["id"])
