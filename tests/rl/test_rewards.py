"""Each reward function on scripted completions: right, wrong, no code, error, timeout, hostile code.
The sandbox and the grader are the real ones; one step's completions run in one sandbox batch."""
import pytest

from numina_exp.train.rewards import NO_CODE, REWARDS, CodeRewards

SANDBOX = dict(timeout_s=1.0, memory_mb=512, workers=2, tmpfs_mb=16, max_processes=16)


def block(code: str) -> str:
    return f"Let us compute.\n```python\n{code}\n```\n"


COMPLETIONS = {
    "right_boxed": block("print(6*7)") + "```output\n42\n```\nThe answer is $\\boxed{42}$.",
    "right_by_output": block("print(6*7)"),  # no boxed answer: the program's output is the answer
    "wrong": block("print(6*8)") + "So $\\boxed{48}$.",
    "no_code": "I think it is $\\boxed{42}$.",
    "nothing": "I do not know.",
    "error": block("x = 1/0"),
    "timeout": block("while True:\n    pass"),
    "hostile_fork": block("import os\nwhile True:\n    os.fork()"),
    "hostile_kill": block("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"),
    "unclosed": "```python\nprint(42)\n",
}
NAMES = list(COMPLETIONS)


@pytest.fixture(scope="module")
def rewards():
    r = CodeRewards({name: 1.0 for name in REWARDS}, sandbox=SANDBOX)
    yield r
    r.close()


@pytest.fixture(scope="module")
def scores(rewards):
    texts = [COMPLETIONS[n] for n in NAMES]
    golds = ["42"] * len(texts)
    out = {fn.__name__: dict(zip(NAMES, fn(prompts=[""] * len(texts), completions=texts, answer=golds)))
           for fn in rewards.functions()}
    return out


def test_code_block_needs_a_closed_python_block(scores):
    got = scores["code_block"]
    assert {n for n, v in got.items() if v == 1.0} == set(NAMES) - {"no_code", "nothing", "unclosed"}


def test_executes_only_for_code_that_ran_cleanly(scores):
    got = scores["executes"]
    assert {n for n, v in got.items() if v == 1.0} == {"right_boxed", "right_by_output", "wrong"}


def test_correct_from_boxed_or_program_output(scores):
    got = scores["correct"]
    assert {n for n, v in got.items() if v == 1.0} == {"right_boxed", "right_by_output", "no_code"}


def test_format_penalties(scores):
    assert {n for n, v in scores["format_no_answer"].items() if v == -1.0} == {
        "nothing", "error", "timeout", "hostile_fork", "hostile_kill", "unclosed"}
    assert {n for n, v in scores["format_answer_without_code"].items() if v == -1.0} == {"no_code"}


def test_hostile_and_hanging_code_are_counted_statuses_in_one_batch(rewards, scores):
    s = rewards._scored
    status = dict(zip(NAMES, s.status))
    assert status["timeout"] == "timeout"
    assert status["error"] == "error"
    assert status["hostile_fork"] in ("error", "killed", "timeout")
    assert status["hostile_kill"] in ("error", "killed", "ok")  # it may not reach the zygote at all
    assert status["no_code"] == status["nothing"] == status["unclosed"] == NO_CODE
    assert rewards.batches == 1  # five functions, one scoring (and one sandbox batch) for the step
    assert sum(rewards.status_counts.values()) == len(NAMES)
    # the executor survives hostile code: the next step's batch still runs
    assert rewards.score([block("print(1)")], ["1"]).status == ["ok"]


def test_sandbox_failure_scores_zero_not_a_crash(caplog):
    r = CodeRewards({"executes": 1.0, "correct": 1.0}, sandbox=dict(SANDBOX, python="/nonexistent/python"))
    try:
        fns = r.functions()
        texts = [COMPLETIONS["right_by_output"]]
        assert fns[0](completions=texts, answer=["42"]) == [0.0]
        assert fns[1](completions=texts, answer=["42"]) == [0.0]
        assert r.status_counts["sandbox_error"] == 1
        warned = [m.getMessage() for m in caplog.records if m.levelname == "WARNING"]
        assert any(m.startswith("sandbox failed on a batch of 1 snippets (") and "/nonexistent/python" in m
                   and m.endswith("); they score 0") for m in warned), warned
    finally:
        r.close()


def test_unknown_reward_name_is_refused():
    with pytest.raises(ValueError, match="unknown reward function"):
        CodeRewards({"corect": 1.0})


def test_a_program_that_prints_the_answer_then_fails_is_not_read():
    """Output of a failed run is not an answer: printing 42 and then raising scores neither `executes` nor
    `correct`, while the same print in a clean run scores both. Execution time adds up over steps."""
    r = CodeRewards({"executes": 1.0, "correct": 1.0}, sandbox=SANDBOX)
    try:
        executes, correct = r.functions()
        failed = [block("print(42)\nraise SystemExit(3)"), block("print(42)")]
        assert executes(completions=failed, answer=["42", "42"]) == [0.0, 1.0]
        assert correct(completions=failed, answer=["42", "42"]) == [0.0, 1.0]
        assert r.status_counts["error"] == 1 and r.status_counts["ok"] == 1
        first, first_reward = r.exec_s, r.reward_s
        slow = [block("import time\ntime.sleep(0.3)\nprint(1)")]
        executes(completions=slow, answer=["1"])
        # summed over the two steps, in seconds of this run (not a clock reading; the reward time holds the execution time)
        assert 0 < first < r.exec_s < first + 60 and 0 < first_reward < r.reward_s < first_reward + 60
        assert r.reward_s >= r.exec_s and r.summary(10.0)["scored_completions"] == 3
    finally:
        r.close()
