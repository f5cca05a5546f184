"""sc_tir_numina against docs/sc_tir_spec.md, one test per rule, through the replay backend."""
import json

import pytest
from decode_scripted import STOP, FakeExecutor, code, final, run

PROMPT = "### Problem: What is 6 times 7?\n### Solution: "


def test_no_code_restarts_to_prompt_and_never_counts():
    # 1.4.1: an answer without any python block -> reset to the bare prompt (the step is used up)
    res, be, _ = run({0: ["The answer is $\\boxed{5}$.", code(), final("42")]})
    c = res.copies[0]
    assert [h["event"] for h in c.history] == ["restart", "execute", "answer"]
    assert c.restarts == 1 and c.finish_step == 2 and c.value == 42
    assert be.prompts[("p", 0, 1)] == PROMPT  # restarted from the bare prompt
    assert res.votes == {42: 1}


def test_boxed_without_output_block_is_discarded():
    # 1.4.2: python block present, final answer, but no ```output``` block anywhere -> hallucinated
    text = "```python\nprint(6*7)\n```\nClearly the answer is $\\boxed{42}$."
    res, _, _ = run({0: [text], 1: [code(), final("41")]})
    assert res.copies[0].status == "discarded" and res.copies[0].value is None and res.copies[0].finish_step == 0
    assert res.answer == 41 and res.votes == {41: 1}


def test_answer_at_step_0_impossible_but_self_written_output_counts():
    # 1.4 consequence: the stop string ends the text before an output block exists -> step 0 executes
    res, _, ex = run({0: [code("print(42)") + "ignored", final()]}, m=2)
    # (a text that does NOT end with the stop string and has no output block is not executed)
    assert res.copies[0].history[0]["event"] == "restart"
    res, _, ex = run({0: [code("print(42)"), final("42")]}, m=2)
    assert res.copies[0].finish_step == 1 and ex.calls == ["\nprint(42)\n"]
    # a model that writes a closed output block itself satisfies rule 2 at step 0
    selfwritten = "```python\nprint(42)\n```\n```output\n42\n```\nSo the answer is $\\boxed{42}$."
    res, _, ex = run({0: [selfwritten]}, m=4)
    assert res.copies[0].status == "answered" and res.copies[0].finish_step == 0 and res.answer == 42
    assert ex.calls == []


def test_last_step_runs_no_code():
    # 1.4.3: at the last step the copy is left as it is: no execution, no answer
    res, be, ex = run({0: [code("print(1)"), code("print(2)")]}, m=2)
    assert ex.calls == ["\nprint(1)\n"]
    c = res.copies[0]
    assert c.status == "unfinished" and c.code_runs == 1 and c.history[-1]["event"] == "keep"
    assert res.answer == 0 and res.votes == {}
    # at most M-1 code blocks per copy
    res, _, ex = run({0: [code(), code(), code(), code()]}, m=4)
    assert len(ex.calls) == 3


def test_eos_without_answer_restarts():
    # 1.4.4: not ending with the stop string, no answer -> reset to the prompt
    res, be, _ = run({0: [code(), "\nI am not sure.", code(), final("7")]}, m=4)
    c = res.copies[0]
    assert [h["event"] for h in c.history] == ["execute", "restart", "execute", "answer"]
    assert be.prompts[("p", 0, 2)] == PROMPT and c.value == 7


def test_execution_appends_feedback_then_fence():
    # 1.4.5: only the LAST python block runs; `{feedback}\n``` ` is appended
    first = "```python\nprint(1)\n```\n```output\n1\n```\n" + code("print(2)")
    res, be, ex = run({0: [first, final()]}, m=2, executor=FakeExecutor(lambda c: "2"))
    assert ex.calls == ["\nprint(2)\n"]
    assert be.prompts[("p", 0, 1)] == PROMPT + first + "2\n```"


def _real_executor():
    from numina_exp.sandbox import Executor
    return Executor(rules="numina", isolation="auto", timeout_s=5.0, workers=1)


def test_truncation_with_numina_rules(tmp_path):
    # 1.5: feedback over 200 characters -> first 200 + " ... (output truncated)"
    with _real_executor() as ex:
        res, be, _ = run({0: [code("print('x' * 500)"), final()]}, m=2, executor=ex, log=tmp_path / "g.jsonl")
    fb = "x" * 200 + " ... (output truncated)"
    assert be.prompts[("p", 0, 1)].endswith(STOP + fb + "\n```")
    lines = [json.loads(x) for x in (tmp_path / "g.jsonl").read_text().splitlines()]
    assert lines[0]["exec"] == {"status": "ok", "feedback": fb}


def test_timeout_text():
    with _real_executor() as ex:
        res, be, _ = run({0: [code("import time\ntime.sleep(30)"), final()]}, m=2, executor=ex)
    assert be.prompts[("p", 0, 1)].endswith(STOP + "Timed out after 5 seconds.\n```")
    assert res.copies[0].history[0]["exec_status"] == "timeout"


def test_errors_are_appended_like_successes_and_auto_print():
    with _real_executor() as ex:
        _, be, _ = run({0: [code("x = 6\nx * 7  # the product"), final()], 1: [code("1/0"), final()]}, m=2, executor=ex)
    assert be.prompts[("p", 0, 1)].endswith(STOP + "42\n```")
    assert be.prompts[("p", 1, 1)].endswith(STOP + 'Traceback (most recent call last):\n  File "\n    print(1/0)\n'
                                               "ZeroDivisionError: division by zero\n```")


def test_tie_goes_to_earliest_finished_not_lowest_index():
    # 1.7: pool order = finished at step 0, then step 1, ... (copy order within a step), then active copies
    selfwritten = "```python\nprint(3)\n```\n```output\n3\n```\nThe answer is $\\boxed{3}$."
    script = {0: [code(), final("7")], 1: [selfwritten], 2: [code(), code(), final("7")],
              3: [code(), code(), final("3")]}
    res, _, _ = run(script)
    assert res.pool_order == [1, 0, 2, 3]
    assert res.votes == {3: 2, 7: 2} and res.answer == 3
    # same counts, but copy 0 finishes first -> 7
    script[1] = [code(), code(), final("3")]
    res, _, _ = run(script)
    assert res.answer == 7


def test_negative_and_non_numeric_dropped_rounding():
    script = {0: [code(), final("-5")], 1: [code(), final("x+1")], 2: [code(), final("2.5")],
              3: [code(), final("-0.4")], 4: [code(), final("0")], 5: [code(), final("12.6")]}
    res, _, _ = run(script)
    assert [c.value for c in res.copies] == [None, None, 2, 0, 0, 13]
    assert res.votes == {2: 1, 0: 2, 13: 1} and res.answer == 0


def test_1000_is_0_and_mod_1000():
    res, _, _ = run({0: [code(), final("1000")], 1: [code(), final("1999")], 2: [code(), final("0")]})
    assert [c.value for c in res.copies] == [0, 999, 0] and res.answer == 0 and res.votes == {0: 2, 999: 1}


def test_all_invalid_gives_0():
    res, _, _ = run({0: [code(), final("-3")], 1: ["no code here"], 2: [code(), final("\\pi")]}, m=1)
    assert res.votes == {} and res.answer == 0


def test_answer_region_is_last_100_chars_and_can_reach_prompt():
    # the region includes the prompt: a bare "\boxed" answer far from the end is not an answer
    long_tail = final("42") + "\n" + "Some more words. " * 10
    res, _, _ = run({0: [code(), long_tail, code(), final("9")]})
    c = res.copies[0]
    assert [h["event"] for h in c.history] == ["execute", "restart", "execute", "answer"] and c.value == 9


def test_still_active_copies_vote_nothing_with_finish_on_answer():
    res, _, _ = run({0: [code(), code(), code(), code()], 1: [code(), final("5")]})
    assert res.copies[0].status == "unfinished" and res.copies[0].value is None
    assert res.pool_order == [1, 0] and res.answer == 5


def test_finish_on_answer_false_keeps_regenerating_answered_copies():
    # §1.9 (cleaned notebook): an answered copy is not finished; it keeps generating and its LAST
    # recorded answer votes, from the still-active part of the pool
    script = {0: [code(), final("7"), "", " Actually, the answer is $\\boxed{8}$."], 1: [code(), code(), final("8"), ""]}
    res, be, _ = run(script, extra=["decoding.finish_on_answer=false"])
    c0 = res.copies[0]
    assert ("p", 0, 3) in be.prompts  # regenerated after answering at step 1
    assert [h["event"] for h in c0.history] == ["execute", "answer", "answer", "answer"]
    assert c0.value == 8 and res.votes == {8: 2}
    # the first upload stops copy 0 at step 1 with 7
    res, be, _ = run(script)
    assert ("p", 0, 2) not in be.prompts and res.copies[0].value == 7 and res.answer == 7


def test_replay_missing_key_names_problem_copy_step():
    with pytest.raises(KeyError, match=r"problem 'p' copy 1 step 0.*decoding.n up to 1.*decoding.m up to 2"):
        run({0: [code(), final()]}, n=2)
