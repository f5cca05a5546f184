"""decode.sc_tir_rules.decide, rule by rule, called directly with texts built to sit on each boundary.

The SC-TIR decoder tests reach `decide` through whole runs, where the defaults are always passed and the
texts rarely sit on a boundary; a mutation run left 30 of 74 mutants alive. Each case here pins one
decision: which action, which rule number, which code block, with the defaults as a caller that passes
nothing gets them."""
from __future__ import annotations

import pytest

from numina_exp.decode.sc_tir_rules import ANSWER_REGION, STOP, Decision, decide

PROMPT = "### Problem: What is 6 times 7?\n### Solution: "
CODE1 = "x = 6\ny = 7\nprint(x * y)\n"  # multi-line: the block regex must cross newlines
BLOCK1 = f"```python\n{CODE1}```"
OUTPUT1 = "```output\n42\n```"


def test_the_stop_marker_and_region_are_the_notebooks():
    # the notebook stops generation on the output fence and reads the answer in the last 100 characters
    assert STOP == "```output\n"
    assert ANSWER_REGION == 100


def test_no_python_block_restarts_by_default_and_prunes_without_restart_on_fail():
    text = PROMPT + "Let me think. The answer is 42."
    assert decide(text, False) == Decision("restart", rule=1)
    assert decide(text, True) == Decision("restart", rule=1)
    assert decide(text, False, restart_on_fail=False) == Decision("prune_nocode", rule=1)
    # an unclosed block is no block
    assert decide(PROMPT + "```python\nprint(1)\n", False).rule == 1


def test_a_closed_block_ending_in_the_stop_marker_executes_the_last_block_by_default():
    text = PROMPT + "```python\nprint(1)\n```\n```output\n1\n```\n" + "```python\nprint(2)\n```\n" + BLOCK1 + "\n" + STOP
    d = decide(text, False)
    assert d == Decision("execute", code="\n" + CODE1, rule=5)
    # the default stop is the output fence: without it the same text is an EOS without an answer
    assert decide(text[: -len(STOP)], False) == Decision("restart", rule=4)


def test_a_custom_stop_marker_is_honoured():
    text = PROMPT + BLOCK1 + "\n<<RUN>>"
    assert decide(text, False, stop="<<RUN>>").action == "execute"
    assert decide(text, False).action == "restart"


@pytest.mark.parametrize("ending", ["so the result is \\boxed{42}.", "Hence the answer is 42."])
def test_an_answer_after_real_output_is_answered_and_either_marker_suffices(ending):
    text = PROMPT + BLOCK1 + "\n" + OUTPUT1 + "\n" + ending
    assert decide(text, False) == Decision("answer", rule=2)
    # rule 2 comes before rule 3: the last step still answers
    assert decide(text, True) == Decision("answer", rule=2)


@pytest.mark.parametrize("ending", ["so \\boxed{42}.", "the answer is 42."])
def test_an_answer_without_any_output_block_is_discarded(ending):
    text = PROMPT + BLOCK1 + "\n" + ending
    assert decide(text, False) == Decision("discard", rule=2)


def test_an_answer_marker_before_the_stop_marker_still_executes():
    # the copy wrote an answer inside its code and then asked for output: not an answer yet
    text = PROMPT + "```python\n# the answer is 42\nprint(42)\n```\n" + STOP
    assert decide(text, False) == Decision("execute", code="\n# the answer is 42\nprint(42)\n", rule=5)


def _with_box_at(distance_from_end: int) -> str:
    """A text whose '\\boxed' starts exactly `distance_from_end` characters before its end (>= 200
    characters long, so slicing from the front and from the back differ)."""
    head = PROMPT + BLOCK1 + "\n" + OUTPUT1 + "\n" + "y" * 300 + "\\boxed"
    tail = "z" * (distance_from_end - len("\\boxed"))
    return head + tail


def test_the_answer_region_is_exactly_the_last_100_characters():
    assert decide(_with_box_at(ANSWER_REGION), False) == Decision("answer", rule=2)
    assert decide(_with_box_at(ANSWER_REGION + 1), False) == Decision("restart", rule=4)
    assert decide(_with_box_at(ANSWER_REGION + 150), False) == Decision("restart", rule=4)


def test_the_last_step_keeps_a_copy_without_an_answer():
    text = PROMPT + BLOCK1 + "\n" + STOP
    assert decide(text, True) == Decision("keep", rule=3)
    text = PROMPT + BLOCK1 + "\n" + OUTPUT1 + "\nStill working"
    assert decide(text, True) == Decision("keep", rule=3)


def test_eos_without_answer_restarts_by_default_and_fails_without_restart_on_fail():
    text = PROMPT + BLOCK1 + "\n" + OUTPUT1 + "\nStill working"
    assert decide(text, False) == Decision("restart", rule=4)
    assert decide(text, False, restart_on_fail=False) == Decision("fail", rule=4)


def test_only_execute_carries_code():
    text = PROMPT + BLOCK1 + "\n" + OUTPUT1 + "\nStill working"
    for d in (decide(text, False), decide(text, True), decide(PROMPT, False),
              decide(text + " \\boxed{42}", False)):
        assert d.code is None
