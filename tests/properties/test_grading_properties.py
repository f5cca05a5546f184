"""Property tests (hypothesis) where the input space is large: answer extraction and normalisation, the
AIMO integer map, and majority voting under any order of copies and any tie-break rule."""
from __future__ import annotations

import string
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from numina_exp.grading import aimo_integer, canonical_key, extract_answer, majority_vote, normalize_final_answer

# text around an answer: anything without braces, backslashes or "boxed" (which would make another box)
FILLER = st.text(alphabet=string.ascii_letters + string.digits + " .,;:!?()=+-*/\n", max_size=60)
SIMPLE = st.one_of(st.integers(-10 ** 6, 10 ** 6).map(str),
                   st.tuples(st.integers(-99, 99), st.integers(1, 99)).map(lambda t: f"\\frac{{{t[0]}}}{{{t[1]}}}"),
                   st.from_regex(r"[a-z]\^\{[0-9]\}\+[0-9]", fullmatch=True))


@given(before=FILLER, answer=SIMPLE, after=FILLER, earlier=SIMPLE)
def test_the_last_boxed_answer_is_extracted_whatever_surrounds_it(before, answer, after, earlier):
    text = f"{before} first try \\boxed{{{earlier}}} {before}$\\boxed{{{answer}}}${after}"
    assert extract_answer(text, "boxed") == answer


@given(answer=SIMPLE, depth=st.integers(1, 4))
def test_nested_braces_inside_a_box_are_kept_whole(answer, depth):
    inner = "{" * depth + answer + "}" * depth
    assert extract_answer(f"so \\boxed{{{inner}}}.", "boxed") == inner


@given(text=FILLER)
def test_no_box_no_boxed_answer(text):
    assert extract_answer(text, "boxed") is None


@given(st.text(max_size=80))
def test_normalisation_never_raises_on_strings_and_is_stable_on_its_output(s):
    once = normalize_final_answer(s)
    assert isinstance(once, str)
    assert "$" not in once and "\n" not in once.strip("\n")


@given(st.text(max_size=40))
def test_canonical_key_is_idempotent(s):
    k = canonical_key(s)
    assert canonical_key(k) == k


@given(st.integers(0, 10 ** 12), st.sampled_from(["", " ", "  "]), st.sampled_from(["", ".0", ".00"]))
def test_aimo_integer_of_a_written_integer_is_it_mod_1000(n, pad, frac):
    assert aimo_integer(f"{pad}{n}{frac}{pad}") == n % 1000
    assert aimo_integer(n) == n % 1000
    assert aimo_integer(f"{n}{frac}", mode="strict") == n % 1000


@given(st.integers(1, 10 ** 6))
def test_negative_answers_are_dropped(n):
    assert aimo_integer(str(-n)) is None


# --- majority vote ---------------------------------------------------------------------------------

VOTES = st.lists(st.one_of(st.none(), st.integers(0, 6).map(str), st.just("x"), st.just("-4")), max_size=12)


def _by_hand(answers, tie_break):
    """The vote spelled out for integer answers: AIMO ints, most votes, then the tie rule."""
    vals = [aimo_integer(a) for a in answers]
    vals = [v for v in vals if v is not None]
    if not vals:
        return None, set()
    counts = Counter(vals)
    top = max(counts.values())
    tied = [v for v in dict.fromkeys(vals) if counts[v] == top]  # first-seen order
    if tie_break == "first_seen":
        return tied[0], set(tied)
    if tie_break == "smallest":
        return min(tied), set(tied)
    return None, set(tied)


@given(answers=VOTES, tie_break=st.sampled_from(["first_seen", "smallest", "random"]), seed=st.integers(0, 100))
def test_vote_equals_the_hand_count_under_every_tie_break(answers, tie_break, seed):
    res = majority_vote(answers, "integer", tie_break=tie_break, seed=seed)
    want, tied = _by_hand(answers, tie_break)
    if not tied:
        assert res.winner is None
    elif tie_break == "random":
        assert res.winner in tied
    else:
        assert res.winner == want
    assert sum(c for _, c in res.histogram) == res.n_valid == sum(aimo_integer(a) is not None for a in answers)


@given(answers=VOTES, data=st.data())
def test_the_winner_does_not_depend_on_order_unless_there_is_a_tie(answers, data):
    shuffled = data.draw(st.permutations(answers))
    a, b = majority_vote(answers, "integer"), majority_vote(shuffled, "integer")
    assert dict(a.counts) == dict(b.counts)  # same groups, same counts in any order
    _, tied = _by_hand(answers, "first_seen")
    if len(tied) == 1:
        assert a.winner == b.winner
    # smallest is order-free even with ties
    assert majority_vote(answers, "integer", tie_break="smallest").winner == \
        majority_vote(shuffled, "integer", tie_break="smallest").winner


@settings(max_examples=40, deadline=None)  # math equivalence may call math-verify
@given(order=st.permutations(["1/2", "0.5", "\\frac{1}{2}", "3", "3.0", "x+1"]))
def test_math_equivalent_spellings_form_one_group_in_any_order(order):
    res = majority_vote(list(order), "math")
    assert sorted(c for _, c in res.histogram) == [1, 2, 3]
    assert canonical_key(str(res.winner)) in {"1/2", "0.5", "\\frac{1}{2}"}
