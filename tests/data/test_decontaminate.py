"""Decontamination finds evaluation problems planted in a training file under copy-edits (whitespace,
`$` -> `\\(`, case), finds nothing in clean rows, and the cleaned file drops exactly the hits."""
import re

import pytest

from numina_exp.config import PACKAGE_DIR
from numina_exp.data.decontaminate import DecontamSettings, build_index, clean, normalize, read_rows, scan, shipped_suites

SUITES = ["aime", "amc", "math_l5"]


def respace(text: str) -> str:
    """Whitespace changes: runs collapsed to one space, doubled after punctuation, spaces around + and =."""
    text = re.sub(r"\s+", " ", text)
    text = text.replace(". ", ".\n\n  ").replace("=", " = ").replace("+", " + ")
    return text


def dollars_to_parens(text: str) -> str:
    text = re.sub(r"\$\$(.+?)\$\$", r"\\[\1\\]", text, flags=re.S)
    return re.sub(r"\$(.+?)\$", r"\\(\1\\)", text, flags=re.S)


EDITS = [respace, dollars_to_parens, str.upper, lambda t: respace(dollars_to_parens(t)).swapcase()]


@pytest.fixture(scope="module")
def suites():
    return shipped_suites(SUITES)


@pytest.fixture(scope="module")
def index(suites):
    return build_index(suites, DecontamSettings())


def test_normalisation_ignores_whitespace_delimiters_and_case():
    a = "Find $x$ if $2x+1 = 5$."
    assert normalize(a) == normalize("FIND \\(x\\) IF \\[ 2 x + 1=5 \\].") == normalize("find  x  if\n2x + 1 = 5.")
    assert normalize(a) != normalize("Find $y$ if $2x+1 = 5$.")


def test_planted_problems_found_control_clean_and_cleaned_drops_exactly_the_hits(suites, index, tmp_path):
    control = read_rows(PACKAGE_DIR / "data" / "samples" / "cot_sample.jsonl")[:80]
    planted = {}  # row index -> (suite, problem id)
    rows = [dict(r) for r in control]
    k = 0
    for suite in SUITES:
        for src in suites[suite][5:9]:
            edit = EDITS[k % len(EDITS)]
            k += 1
            # the problem sits inside a longer training problem, copy-edited
            row = {"id": f"planted-{k}", "problem": "Consider the following. " + edit(src["problem"]),
                   "solution": "irrelevant"}
            pos = 7 * k
            rows.insert(pos, row)
            planted = {(i + 1 if i >= pos else i): v for i, v in planted.items()}
            planted[pos] = (suite, src["id"])
    hits = scan(rows, index, "planted.jsonl")
    hit_rows = {h.train_row for h in hits}
    assert hit_rows == set(planted), f"missed {set(planted) - hit_rows}, spurious {hit_rows - set(planted)}"
    for h in hits:
        if planted[h.train_row] == (h.suite, h.problem_id):
            assert h.ngram_score >= 0.9 and "ngram" in h.methods
            assert normalize(h.span) in normalize(rows[h.train_row]["problem"]) and len(normalize(h.span)) > 20
    found = {(h.train_row, h.suite, h.problem_id) for h in hits}
    assert all((i, *v) in found for i, v in planted.items())
    # MinHash alone sees whole-problem near-duplicates (the planted rows carry a prefix, which it tolerates)
    assert sum("minhash" in h.methods for h in hits) >= len(planted) // 2

    kept = clean(rows, hits)
    assert len(kept) == len(rows) - len(planted)
    assert [r["id"] for r in kept] == [r["id"] for r in control]


def test_clean_control_has_no_hits(index):
    control = read_rows(PACKAGE_DIR / "data" / "samples" / "cot_sample.jsonl")
    assert scan(control, index, "cot_sample.jsonl") == []


def test_short_boilerplate_is_not_a_hit(index):
    # one shared 10-gram of boilerplate is not contamination: the overlap share stays under the threshold
    row = {"problem": "A bag has 3 red balls. What is the probability? Express your answer as a common fraction."}
    assert scan([row], index) == []
