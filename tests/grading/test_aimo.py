"""aimo_integer: anchor §1.7 (the notebook's filter_answers), one rule per case."""
import pytest

from numina_exp.grading import aimo_gold, aimo_integer, filter_answers


@pytest.mark.parametrize("answer, expected", [
    ("2.5", 2), ("0.5", 0), ("3.5", 4), ("12.6", 13),      # banker's rounding
    ("-0.4", 0),                                              # rounds to 0: kept
    ("-5", None), ("-0.6", None),                             # negative after rounding: dropped
    ("1000", 0), ("1999", 999), ("999", 999), ("0", 0),      # mod 1000
    ("abc", None), ("", None), ("\\frac{1}{2}", None), ("-1", None),
    ("  42 \n", 42), ("1e3", 0), ("1_234", 234),            # float() syntax, incl. "_" separators
    ("inf", None), ("nan", None), ("-inf", None), ("1e400", None),
    (None, None), (7, 7), (1234, 234), (12.6, 13), (2.5, 2), (-3, None), (10**30 + 5, 5),
    (float("nan"), None), (True, 1),
])
def test_aimo_integer_round(answer, expected):
    assert aimo_integer(answer) == expected


@pytest.mark.parametrize("answer, expected", [
    ("12.6", None), ("12.0", 12), ("2.5", None), ("-0.4", None), ("-0.0", 0), ("1000", 0),
    (12.0, 12), (3, 3), ("abc", None),
])
def test_aimo_integer_strict(answer, expected):
    assert aimo_integer(answer, mode="strict") == expected


def test_bad_mode():
    with pytest.raises(ValueError):
        aimo_integer("1", mode="floor")


def test_filter_answers_matches_notebook_order_and_drops():
    assert filter_answers(["12.6", "-5", "x", None, "1000", "2.5"]) == [13, 0, 2]


@pytest.mark.parametrize("answer, filt, nb", [
    ("-15", None, 985), ("2112_6", 126, 126), ("-221_3", None, 787), ("142", 142, 142),
    ("1000", 0, 0), ("12.5", 12, None),
])
def test_aimo_gold_modes(answer, filt, nb):
    assert aimo_gold(answer) == filt
    assert aimo_gold(answer, mode="notebook") == nb
