"""grading/normalize's edits that no other test reached (found by `make mutants MODULES=grading/normalize`):
each asserts the exact output, so dropping or mistyping one edit changes a value here."""
from __future__ import annotations

import pytest

from numina_exp.grading.normalize import canonical_key, normalize_final_answer


@pytest.mark.parametrize("raw,key", [
    ("\\tfrac{1}{2}", "\\frac{1}{2}"),  # text-style fraction, as in "\tfrac12" answers
    ("\\dfrac{3}{4}", "\\frac{3}{4}"),
    ("20\\%", "20"),  # the MATH/ToRA convention: a trailing percent sign grades as the number
    ("20%", "20"),
    ("5%%", "5%"),  # only one trailing sign goes
    ("12.5%", "12.5"),
])
def test_canonical_key_edits(raw, key):
    assert canonical_key(raw) == key


def test_tfrac_dfrac_and_frac_share_a_key():
    assert canonical_key("\\tfrac{1}{2}") == canonical_key("\\dfrac{1}{2}") == canonical_key("\\frac{1}{2}")


@pytest.mark.parametrize("value,name", [(None, "NoneType"), (5, "int"), (b"5", "bytes")])
def test_normalize_refuses_a_non_string_naming_its_type(value, name):
    with pytest.raises(TypeError) as e:
        normalize_final_answer(value)
    assert str(e.value) == f"normalize_final_answer needs a str, got {name}"


@pytest.mark.parametrize("raw,out", [("$5$", "5"), ("5$", "5"), ("a$b", "ab"), ("$\\frac{1}{2}$", "\\frac{1}{2}")])
def test_normalize_drops_math_mode_dollars(raw, out):
    assert normalize_final_answer(raw) == out
