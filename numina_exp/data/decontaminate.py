"""Overlap between training rows and evaluation problems: normalised token n-grams and MinHash.

Normalisation (what a copy-edit must not hide): lower case, LaTeX inline/display delimiters
(`$`, `$$`, `\\(`, `\\)`, `\\[`, `\\]`) dropped, whitespace dropped. The text is then cut into tokens
(runs of letters, runs of digits, single other characters) so that `2x+1`, `2 x + 1` and `$2x + 1$`
give the same tokens; each token keeps its character span in the original text so a hit can quote
what matched.

Two detectors, both per (training row, suite problem):
* n-gram: the share of the suite problem's n-grams (default n=10 tokens) found in the training text.
  A hit when that share is >= `ngram_min_overlap` (default 0.5): one shared 10-gram alone is often
  boilerplate ("express your answer as a common fraction"), half the problem is not. A problem
  shorter than n tokens is one n-gram (the whole problem must appear).
* MinHash (datasketch): estimated Jaccard similarity of the two texts' `shingle`-token sets, a hit
  when >= `minhash_threshold`; candidates come from a MinHashLSH index over the suites.

`scan()` returns every hit; `clean()` drops the training rows with at least one."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence

SUITES_DIR = Path(__file__).resolve().parent / "suites"
_DELIMS = re.compile(r"\$\$?|\\\(|\\\)|\\\[|\\\]")
_TOKEN = re.compile(r"[^\W\d_]+|\d+|[^\w\s]|_")


def tokens(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end) over `text` lower-cased with LaTeX delimiters and whitespace removed."""
    text = text or ""
    out = []
    pos = 0
    for m in _DELIMS.finditer(text):
        out.extend(_tokens_in(text, pos, m.start()))
        pos = m.end()
    out.extend(_tokens_in(text, pos, len(text)))
    return out


def _tokens_in(text: str, lo: int, hi: int):
    for m in _TOKEN.finditer(text, lo, hi):
        yield m.group().lower(), m.start(), m.end()


def normalize(text: str) -> str:
    """The normalised text (tokens joined without separators): equal for copy-edited versions."""
    return "".join(t for t, _, _ in tokens(text))


def ngrams(toks: Sequence[str], n: int) -> list[tuple]:
    if len(toks) < n:
        return [tuple(toks)] if toks else []
    return [tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)]


@dataclass
class DecontamSettings:
    ngram: int = 10
    ngram_min_overlap: float = 0.5
    minhash: bool = True
    minhash_threshold: float = 0.8
    num_perm: int = 128
    shingle: int = 5
    fields: tuple = ("problem",)  # training-row fields compared (messages: the first user turn)


@dataclass
class Hit:
    train_file: str
    train_row: int
    train_id: Optional[str]
    suite: str
    problem_id: str
    methods: list
    ngram_score: float
    minhash_score: Optional[float]
    span: str  # the training text that matched (the longest run of shared n-grams)
    train_field: str = "problem"

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class _Problem:
    suite: str
    pid: str
    grams: set
    shingles: set
    minhash: object = None


@dataclass
class SuiteIndex:
    """Every suite problem's n-grams (an inverted index) and MinHash signatures (an LSH index)."""
    settings: DecontamSettings
    problems: list = field(default_factory=list)
    by_gram: dict = field(default_factory=dict)  # n-gram -> [problem index]
    lsh: object = None


def _minhash(shingles: set, num_perm: int):
    from datasketch import MinHash
    mh = MinHash(num_perm=num_perm, seed=1)
    mh.update_batch(_shingle_bytes(shingles))
    return mh


def build_index(suites: dict[str, list[dict]], settings: DecontamSettings) -> SuiteIndex:
    """`suites`: name -> rows with `id` and `problem`."""
    idx = SuiteIndex(settings)
    for suite, rows in suites.items():
        for row in rows:
            toks = [t for t, _, _ in tokens(str(row["problem"]))]
            if not toks:
                continue
            p = _Problem(suite, str(row["id"]), set(ngrams(toks, settings.ngram)), set(ngrams(toks, settings.shingle)))
            i = len(idx.problems)
            idx.problems.append(p)
            for g in p.grams:
                idx.by_gram.setdefault(g, []).append(i)
    if settings.minhash:
        from datasketch import MinHash, MinHashLSH
        idx.lsh = MinHashLSH(threshold=settings.minhash_threshold, num_perm=settings.num_perm)
        # one permutation set for all signatures (bulk): building them per problem dominated the index time
        sigs = MinHash.bulk([_shingle_bytes(p.shingles) for p in idx.problems], num_perm=settings.num_perm, seed=1)
        with idx.lsh.insertion_session() as session:
            for i, (p, mh) in enumerate(zip(idx.problems, sigs)):
                p.minhash = mh
                session.insert(str(i), mh)
    return idx


def _shingle_bytes(shingles: set) -> list[bytes]:
    return [" ".join(s).encode("utf-8") for s in shingles]


def row_text(row: dict, fld: str) -> str:
    if fld == "problem" and not row.get("problem") and row.get("messages"):
        return next((m["content"] for m in row["messages"] if m.get("role") == "user"), "")
    value = row.get(fld)
    if value is None and fld == "messages":
        return ""
    if isinstance(value, list):  # messages: every turn's content
        return "\n".join(str(m.get("content", "")) for m in value if isinstance(m, dict))
    return "" if value is None else str(value)


def _span(text: str, toks: list, grams_at: list[bool], n: int) -> str:
    """The original text of the longest run of consecutive matching n-gram positions."""
    best, cur_start, best_range = 0, None, None
    for i, hit in enumerate(grams_at + [False]):
        if hit and cur_start is None:
            cur_start = i
        elif not hit and cur_start is not None:
            length = i - cur_start
            if length > best:
                best, best_range = length, (cur_start, i - 1)
            cur_start = None
    if best_range is None:
        return ""
    first, last = best_range
    last_tok = min(len(toks) - 1, last + n - 1)
    return text[toks[first][1]:toks[last_tok][2]]


def scan_row(row: dict, row_idx: int, train_file: str, index: SuiteIndex) -> list[Hit]:
    s = index.settings
    hits: dict[tuple, Hit] = {}
    for fld in s.fields:
        text = row_text(row, fld)
        toks = tokens(text)
        if not toks:
            continue
        words = [t for t, _, _ in toks]
        grams = ngrams(words, s.ngram)
        found: dict[int, set] = {}
        for g in set(grams):
            for pi in index.by_gram.get(g, ()):
                found.setdefault(pi, set()).add(g)
        candidates = {pi: len(gs) / len(index.problems[pi].grams) for pi, gs in found.items()}
        mh_scores: dict[int, float] = {}
        if index.lsh is not None:
            shingles = set(ngrams(words, s.shingle))
            mh = _minhash(shingles, s.num_perm)
            for key in index.lsh.query(mh):
                pi = int(key)
                score = float(mh.jaccard(index.problems[pi].minhash))
                if score >= s.minhash_threshold:
                    mh_scores[pi] = score
        for pi in set(candidates) | set(mh_scores):
            ng = candidates.get(pi, 0.0)
            methods = (["ngram"] if ng >= s.ngram_min_overlap else []) + (["minhash"] if pi in mh_scores else [])
            if not methods:
                continue
            p = index.problems[pi]
            at = [g in p.grams for g in grams]
            span = _span(text, toks, at, s.ngram) if any(at) else text[toks[0][1]:toks[-1][2]]
            key = (p.suite, p.pid)
            old = hits.get(key)
            if old is None or ng > old.ngram_score:
                mhs = mh_scores.get(pi)
                hits[key] = Hit(train_file, row_idx, None if row.get("id") is None else str(row["id"]), p.suite, p.pid,
                                methods, round(ng, 4), None if mhs is None else round(mhs, 4), span, fld)
    return list(hits.values())


def scan(rows: Iterable[dict], index: SuiteIndex, train_file: str = "<rows>", progress: bool = False) -> list[Hit]:
    """Every hit of every row (row indices are positions in `rows`)."""
    rows = list(rows)
    it = enumerate(rows)
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(it, total=len(rows), desc=f"decontaminate {Path(train_file).name}", unit="row", dynamic_ncols=True)
    out = []
    for i, row in it:
        out.extend(scan_row(row, i, train_file, index))
    return out


def clean(rows: Sequence[dict], hits: Iterable[Hit]) -> list[dict]:
    """`rows` without the rows that have a hit (order kept)."""
    bad = {h.train_row for h in hits}
    return [r for i, r in enumerate(rows) if i not in bad]


# --- shipped suites ----------------------------------------------------------------------------------
def shipped_suite_names() -> list[str]:
    return sorted(p.stem for p in SUITES_DIR.glob("*.jsonl"))


def read_rows(path: str | Path) -> list[dict]:
    """A jsonl file's rows; a bad line (a torn last one too) fails naming file and line."""
    from ..core.io import read_jsonl

    return read_jsonl(path, torn_tail_ok=False)


def shipped_suites(names: Optional[Sequence[str]] = None) -> dict[str, list[dict]]:
    """name -> rows of the suites shipped in data/suites/ (all of them by default)."""
    names = list(names) if names else shipped_suite_names()
    missing = [n for n in names if not (SUITES_DIR / f"{n}.jsonl").is_file()]
    if missing:
        raise ValueError(f"no shipped suite {missing}; shipped: {shipped_suite_names()}")
    return {n: read_rows(SUITES_DIR / f"{n}.jsonl") for n in names}


_INDEX_CACHE: dict = {}


def filter_rows(rows: Sequence[dict], settings: Optional[DecontamSettings] = None, suites: Optional[Sequence[str]] = None,
                train_file: str = "<train>") -> tuple[list[dict], list[Hit]]:
    """(clean rows, hits) against the shipped suites: what `data.decontaminate=true` applies."""
    settings = settings or DecontamSettings()
    key = (repr(settings), tuple(suites or ()))
    if key not in _INDEX_CACHE:
        _INDEX_CACHE[key] = build_index(shipped_suites(suites), settings)
    hits = scan(rows, _INDEX_CACHE[key], train_file)
    return clean(rows, hits), hits
