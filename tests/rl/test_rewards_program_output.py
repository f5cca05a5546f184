"""`correct` when the program prints more than one line, and when the boxed and the printed answers
disagree: the program's answer is its LAST output line, and a boxed answer in the text wins over it.
The sandbox and the grader are the real ones (one batch)."""
import pytest

from numina_exp.train.rewards import CodeRewards

SANDBOX = dict(timeout_s=2.0, memory_mb=512, workers=1, tmpfs_mb=16, max_processes=16)


def block(code: str) -> str:
    return f"Let us compute.\n```python\n{code}\n```\n"


COMPLETIONS = {  # gold is 42 for every one
    "answer_printed_last": block("print('working on it')\nprint('partial sum', 40)\nprint(42)"),
    "answer_printed_first": block("print(42)\nprint('done')"),  # the last line is not the answer
    "boxed_right_printed_wrong": block("print(41)") + "```output\n41\n```\nI rechecked by hand: $\\boxed{42}$.",
    "boxed_wrong_printed_right": block("print(42)") + "```output\n42\n```\nOn reflection $\\boxed{41}$.",
}


@pytest.fixture(scope="module")
def correct():
    r = CodeRewards({"correct": 1.0}, sandbox=SANDBOX)
    try:
        (fn,) = r.functions()
        names = list(COMPLETIONS)
        texts = [COMPLETIONS[n] for n in names]
        yield dict(zip(names, fn(prompts=[""] * len(texts), completions=texts, answer=["42"] * len(texts))))
    finally:
        r.close()


def test_multi_line_output_is_read_from_its_last_line(correct):
    assert correct["answer_printed_last"] == 1.0
    assert correct["answer_printed_first"] == 0.0


def test_a_boxed_answer_wins_over_the_printed_one(correct):
    assert correct["boxed_right_printed_wrong"] == 1.0
    assert correct["boxed_wrong_printed_right"] == 0.0
