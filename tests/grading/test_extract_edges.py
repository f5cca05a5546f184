"""grading/extract's edges that test_extract.py did not reach (found by `make mutants MODULES=grading/extract`):
brace-less boxes, a box cut off at the end of the text, several `####` / "answer is" lines, multi-line tails,
and the notebook's box search. Every case states the exact answer each rule must return."""
from __future__ import annotations

import pytest

from numina_exp.grading.extract import RULES, extract_answer, extract_auto, extract_gsm8k, extract_numina, last_boxed


@pytest.mark.parametrize("text,want", [
    ("so \\boxed{3} and then \\boxed", "3"),  # a box at the very end: the earlier well-formed one
    ("\\boxed{2} \\boxedx", "2"),  # "\boxedx" is no box
    ("\\boxed{1} \\boxedX", "1"),
    ("\\boxed\t7$", "7"),  # brace-less, tab form
    ("\\boxed 5 apples$ more", "5 apples"),  # up to the "$" ...
    ("\\boxed 5\nnext line\nthird", "5"),  # ... or the end of the line
    ("$\\boxed 5$ and $x$ later", "5"),
    ("\\boxed", None),
    ("\\boxedfoo", None),
])
def test_last_boxed_edges(text, want):
    assert last_boxed(text) == want


@pytest.mark.parametrize("text,want", [
    ("work 5\n#### 1,234 apples\nnote 9", "1,234 apples"),  # a tail that is not a number stays as written
    ("#### 7\nline two\nline three", "7"),
    ("a #### 1 #### 2", "2"),  # the last marker
    ("#### a, b", "a, b"),  # commas go only from numbers
    ("#### seven", "seven"),
    ("#### ", None),
    ("#### 1,234", "1234"),
])
def test_gsm8k_marker_edges(text, want):
    assert extract_gsm8k(text) == want


@pytest.mark.parametrize("text,want", [
    ("the answer is: x+1.", "x+1"),
    ("the answer is $x+1$.", "x+1"),
    ("answer is x + 1\nmore", "x + 1"),
    ("answer is 5\nfoo\nbar", "5"),
    ("the answer is MAX", "MAX"),
    ("answer is a, b", "a, b"),
    ("the answer is 1,234.", "1234"),
    ("1 then 2 then 3", "3"),  # no box, no "answer is": the last number
    ("no numbers here", None),
])
def test_auto_edges(text, want):
    assert extract_auto(text) == want


@pytest.mark.parametrize("text,want", [
    ("\\boxed{5}", "5"),  # a box at the region's first character
    ("so \\boxed{1} or rather \\boxed{2}", "2"),  # the last box
    ("the answer is \\fbox{3}, boxed", None),  # the notebook rejects \fbox content
])
def test_numina_box_search(text, want):
    assert extract_numina(text) == want


def test_extract_answer_defaults_to_boxed_and_names_the_rules_it_knows():
    assert extract_answer("the answer is 7") is None and extract_answer("so \\boxed{7}") == "7"
    with pytest.raises(ValueError) as e:
        extract_answer("x", rule="last")
    assert str(e.value) == f"unknown extraction rule 'last'; expected one of {RULES}"
