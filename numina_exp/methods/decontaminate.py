"""method=decontaminate: every training row that overlaps an evaluation problem, and the dataset without them.

Training sets: `decontaminate.files` (jsonl paths or hub ids) and `decontaminate.path` (one file, what a
pipeline hands over); with neither, the data= group's source (its shipped sample at scale=cpu). Suites: `decontaminate.suites` (names of conf/eval/<name>.yaml; empty:
every suite shipped in data/suites/). Detection (numina_exp.data.decontaminate): normalised token
n-grams (default 10; lower case, no whitespace, no LaTeX delimiters) and MinHash (datasketch).

Run directory: hits.jsonl (one line per (training row, suite problem): file, row, id, suite, problem id,
methods, scores, matched span), clean.jsonl (every file's rows without the hit rows, in order, with a
`source_file` column), clean/<file>.jsonl per file, report.md (hits per file x suite, then every hit)."""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..core.errors import ConfigError
from ..core.io import atomic_write_jsonl, atomic_write_text
from ..core.paths import conf_dir
from ..core.registry import Method
from ..core.text import md_cell


@dataclass
class DecontaminateConfig:
    files: list = field(default_factory=list)  # training jsonl files or hub ids; none at all: the data= group's source
    path: Optional[str] = None  # one more training file (what a pipeline hands over from the stage before)
    suites: list = field(default_factory=list)  # eval suite names; empty: every shipped suite (data/suites/*.jsonl)
    ngram: int = 10  # tokens per n-gram
    ngram_min_overlap: float = 0.5  # share of a suite problem's n-grams found in a training row for a hit
    minhash: bool = True
    minhash_threshold: float = 0.8  # estimated Jaccard similarity of shingle sets for a hit
    num_perm: int = 128
    shingle: int = 5  # tokens per MinHash shingle
    fields: list = field(default_factory=lambda: ["problem"])  # training-row fields compared (problem | solution | messages)
    progress: bool = True


def validate(cfg) -> None:
    from ..core import planned
    from ..data.decontaminate import shipped_suite_names

    c = cfg.decontaminate
    if c.ngram < 1 or c.shingle < 1:
        raise ConfigError("decontaminate.ngram", f"n-gram sizes must be >= 1 (ngram={c.ngram}, shingle={c.shingle})", "use e.g. ngram=10 shingle=5")
    if not (0.0 < c.ngram_min_overlap <= 1.0):
        raise ConfigError("decontaminate.ngram_min_overlap", f"must be in (0, 1], got {c.ngram_min_overlap}", "use e.g. 0.5")
    if not (0.0 < c.minhash_threshold <= 1.0):
        raise ConfigError("decontaminate.minhash_threshold", f"must be in (0, 1], got {c.minhash_threshold}", "use e.g. 0.8")
    if c.num_perm < 16:
        raise ConfigError("decontaminate.num_perm", f"must be >= 16, got {c.num_perm}", "use e.g. 128")
    for f in c.fields:
        if f not in ("problem", "solution", "messages"):
            raise ConfigError("decontaminate.fields", f"unknown field {f!r}", "use problem, solution and/or messages")
    conf_eval = conf_dir() / "eval"
    for s in c.suites:
        if not (conf_eval / f"{s}.yaml").is_file():
            raise ConfigError("decontaminate.suites", f"unknown suite {s!r}", f"use names of conf/eval/*.yaml, e.g. {shipped_suite_names()}")
    for f in c.files:
        if str(f).endswith(".jsonl") and not planned.exists(f):
            raise ConfigError("decontaminate.files", f"file not found: {f}", "give existing jsonl files (or hub ids)")
    if c.path is not None and not planned.exists(c.path):
        raise ConfigError("decontaminate.path", f"file not found: {c.path}", "give an existing jsonl file")
    if not c.files and c.path is None:
        from ..config.validate import check_data
        check_data(cfg)


def _suites(names: list) -> dict:
    from ..data.decontaminate import shipped_suite_names
    from ..evaluate.suites import load_suite, suite_config

    names = list(names) or shipped_suite_names()
    out = {}
    for name in names:
        scfg = suite_config(name)
        scfg.limit = None
        out[name] = load_suite(scfg)
    return out


def _training_sets(cfg) -> list[tuple[str, list[dict]]]:
    from ..data.decontaminate import read_rows
    from ..data.load import source_of

    refs = [str(f) for f in cfg.decontaminate.files] + ([str(cfg.decontaminate.path)] if cfg.decontaminate.path else [])
    if not refs:
        refs = [source_of(cfg)[1]]
    out = []
    for ref in refs:
        if ref.endswith(".jsonl") or Path(ref).is_file():
            out.append((ref, read_rows(ref)))
        else:
            from datasets import load_dataset
            out.append((ref, [dict(r) for r in load_dataset(ref, split="train")]))
    return out


def run(cfg, run_dir) -> dict:
    from ..data.decontaminate import DecontamSettings, build_index, clean, scan

    c = cfg.decontaminate
    run_dir = Path(run_dir)
    t0 = time.time()
    settings = DecontamSettings(ngram=c.ngram, ngram_min_overlap=c.ngram_min_overlap, minhash=c.minhash,
                                minhash_threshold=c.minhash_threshold, num_perm=c.num_perm, shingle=c.shingle,
                                fields=tuple(c.fields))
    suites = _suites(c.suites)
    index = build_index(suites, settings)
    print(f"[decontaminate] index: {len(index.problems)} problems of {len(suites)} suites ({', '.join(suites)}), "
          f"{time.time() - t0:.1f}s", flush=True)
    all_hits, cleaned, per_file = [], [], []
    (run_dir / "clean").mkdir(parents=True, exist_ok=True)
    for ref, rows in _training_sets(cfg):
        hits = scan(rows, index, ref, progress=c.progress)
        kept = clean(rows, hits)
        name = Path(ref).stem if ref.endswith(".jsonl") else ref.replace("/", "__")
        atomic_write_jsonl(run_dir / "clean" / f"{name}.jsonl", kept)
        cleaned.extend({**r, "source_file": ref} for r in kept)
        all_hits.extend(hits)
        per_file.append({"file": ref, "rows": len(rows), "rows_hit": len({h.train_row for h in hits}), "kept": len(kept),
                         "hits_by_suite": dict(sorted(Counter(h.suite for h in hits).items()))})
    atomic_write_jsonl(run_dir / "hits.jsonl", [h.to_json() for h in all_hits])
    atomic_write_jsonl(run_dir / "clean.jsonl", cleaned)
    report = _report(per_file, all_hits, list(suites), settings)
    atomic_write_text(run_dir / "report.md", report)
    print(report if len(all_hits) <= 40 else report.split("\n## Every hit")[0], flush=True)
    print(f"[decontaminate] {len(all_hits)} hits; clean dataset: {run_dir / 'clean.jsonl'} ({len(cleaned)} rows)", flush=True)
    return {"dataset": "clean.jsonl", "hits": len(all_hits), "files": per_file}


def _report(per_file: list, hits: list, suites: list, s) -> str:
    # file names, row ids, suite names, problem ids and the matched text are input: one inert cell each (a
    # newline would add table rows; `<script>`, NUL and bidi overrides must not reach whoever views the file)
    out = ["# Decontamination", "",
           f"{s.ngram}-gram overlap >= {s.ngram_min_overlap:.0%} of a suite problem"
           + (f", or MinHash Jaccard >= {s.minhash_threshold} ({s.num_perm} permutations, {s.shingle}-token shingles)" if s.minhash else "")
           + f"; fields compared: {', '.join(s.fields)}.", "",
           "| training file | rows | rows hit | kept | " + " | ".join(md_cell(x) for x in suites) + " |",
           "|---|---:|---:|---:|" + "---:|" * len(suites)]
    for f in per_file:
        out.append(f"| {md_cell(Path(f['file']).name if f['file'].endswith('.jsonl') else f['file'])} | {f['rows']} | {f['rows_hit']} | {f['kept']} | "
                   + " | ".join(str(f["hits_by_suite"].get(x, 0)) for x in suites) + " |")
    out += ["", "## Every hit", "", "| file | row | id | suite | problem id | methods | n-gram | MinHash | matched span |",
            "|---|---:|---|---|---|---|---:|---:|---|"]
    for h in hits:
        span = md_cell(" ".join(h.span.split("\n")), limit=120)
        mh = "" if h.minhash_score is None else f"{h.minhash_score:.2f}"
        out.append(f"| {md_cell(Path(h.train_file).name)} | {h.train_row} | {md_cell(h.train_id)} | {md_cell(h.suite)} | "
                   f"{md_cell(h.problem_id)} | "
                   f"{'+'.join(h.methods)} | {h.ngram_score:.2f} | {mh} | {span} |")
    return "\n".join(out) + "\n"


METHOD = Method(
    name="decontaminate", run=run, validate=validate, needs=(),
    section="decontaminate", schema=DecontaminateConfig, consumes={"dataset": "decontaminate.path"},
    produces={"dataset": "clean.jsonl"},
    doc="n-gram + MinHash overlap of training sets with every evaluation suite: a report of every hit and a cleaned dataset",
)
