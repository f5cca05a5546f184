"""train/rewards.py without a sandbox: the pieces the RL trainers rely on, checked value by value.

Completions come in with `exec_status` / `exec_output` columns, as the TIR rollout hands them over (the
code already ran while generating), so nothing executes here; test_rewards.py runs the real sandbox.
`timed` wraps a minimal trainer class standing in for TRL's (its own `log` and `add_callback`), since the
wrapper's job is what it adds to the log line, not what TRL does with it."""
from __future__ import annotations

import pytest

from numina_exp.train.rewards import (
    NO_CODE,
    REWARDS,
    CodeRewards,
    Scored,
    _as_text,
    last_code,
    log_statuses,
    program_answer,
    reward_names,
    timed,
)

BLOCK = "```python\nprint(6*7)\n```\n"


def test_program_answer_is_the_last_non_empty_stripped_line():
    assert program_answer("1\n  2  \n\n   \n") == "2"
    assert program_answer("  42\t") == "42"
    assert program_answer("") is None and program_answer("  \n \n") is None and program_answer(None) is None


def test_last_code_is_the_last_closed_block():
    text = "```python\na = 1\n```\ntext\n```python\nb = 2\n```\n```python\nunclosed"
    assert last_code(text) == "\nb = 2\n"
    assert last_code("no code") is None


def test_as_text_takes_strings_and_joins_message_contents():
    assert _as_text("plain") == "plain"
    assert _as_text([{"role": "assistant", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "x"}]) == "ab"
    assert _as_text([]) == "[]" and _as_text(["x"]) == "['x']"


def test_registry_names_and_refusals():
    assert reward_names() == sorted(REWARDS)
    # Other tests register their own rewards into the same registry (tests/rl/rl_helpers.py), so the
    # shipped ones are picked out by where they are defined, whatever ran before this test.
    shipped = [n for n in reward_names() if REWARDS[n][0].__module__ == "numina_exp.train.rewards"]
    assert shipped == ["code_block", "correct", "executes", "format_answer_without_code", "format_no_answer"]
    assert [REWARDS[n][1] for n in shipped] == [False, True, True, False, True]  # which need execution
    with pytest.raises(ValueError, match=r"unknown reward function\(s\) \['nope'\]; known: \['code_block'"):
        CodeRewards({"correct": 1.0, "nope": 2.0})
    with pytest.raises(ValueError, match="^at least one reward function is needed$"):
        CodeRewards({})


def test_weights_and_functions_keep_the_configured_order_and_names():
    r = CodeRewards({"correct": 1, "code_block": 0.25, "executes": 0.5})
    assert r.weights() == [1.0, 0.25, 0.5] and all(isinstance(w, float) for w in r.weights())
    assert [f.__name__ for f in r.functions()] == ["correct", "code_block", "executes"]


def _call(r, texts, status, output, golds, log=None):
    """Every configured function on one step's completions, as TRL calls them (same list object)."""
    return {f.__name__: f(prompts=[""] * len(texts), completions=texts, answer=golds, exec_status=status,
                          exec_output=output, log_metric=log) for f in r.functions()}


def test_rollout_columns_are_scored_without_executing_anything():
    texts = [BLOCK + "So $\\boxed{42}$.",  # boxed, right
             BLOCK,  # program output is the answer
             BLOCK,  # ran with an error: its output is not an answer
             "no code, $\\boxed{42}$",  # an answer without code
             "nothing at all",
             BLOCK + "$\\boxed{7}$"]  # right program, wrong box: the box wins
    status = ["ok", "ok", "error", None, None, "ok"]
    output = ["42\n", "x\n42\n", "42\n", None, None, "42\n"]
    golds = ["42", "42", "42", "42", "42", "42"]
    logged = []
    r = CodeRewards({n: 1.0 for n in reward_names()}, sandbox={"python": "/nonexistent/python"}, answer_kind="integer")
    got = _call(r, texts, status, output, golds, log=lambda k, v: logged.append((k, v)))
    assert got["code_block"] == [1.0, 1.0, 1.0, 0.0, 0.0, 1.0]
    assert got["executes"] == [1.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    assert got["correct"] == [1.0, 1.0, 0.0, 1.0, 0.0, 0.0]
    assert got["format_no_answer"] == [0.0, 0.0, -1.0, 0.0, -1.0, 0.0]
    assert got["format_answer_without_code"] == [0.0, 0.0, 0.0, -1.0, 0.0, 0.0]
    assert r._executor is None  # nothing ran: the rollout's statuses were used
    # one scoring for the five functions; statuses counted and logged once, missing ones as no_code
    assert (r.batches, r.completions) == (1, 6)
    assert r.status_counts == {"ok": 3, "error": 1, NO_CODE: 2}
    assert sorted(logged) == [("sandbox/error", 1 / 6), ("sandbox/no_code", 2 / 6), ("sandbox/ok", 3 / 6),
                              ("sandbox/timeout", 0.0)]


def test_a_gold_or_answer_missing_is_wrong_not_an_error():
    r = CodeRewards({"correct": 1.0})
    (f,) = r.functions()
    assert f(completions=["$\\boxed{1}$", "none"], answer=None, exec_status=[None, None]) == [0.0, 0.0]
    assert f(completions=["$\\boxed{1}$", "none"], answer=["1", "1"], exec_status=[None, None]) == [1.0, 0.0]


def test_the_same_completions_in_a_new_step_are_scored_again():
    r = CodeRewards({"executes": 1.0})
    (f,) = r.functions()
    texts = [BLOCK]
    assert f(completions=texts, answer=["1"], exec_status=["ok"], exec_output=["1"]) == [1.0]
    assert f(completions=texts, answer=["1"], exec_status=["error"], exec_output=[""]) == [1.0]  # same step: cached
    texts2 = [BLOCK]  # equal text, another list object: TRL's next step
    assert f(completions=texts2, answer=["1"], exec_status=["error"], exec_output=[""]) == [0.0]
    assert r.batches == 2 and r.status_counts == {"ok": 1, "error": 1}


def test_log_statuses_always_reports_the_usual_four():
    out = {}
    log_statuses(["killed", "killed", "ok", "ok"], out.__setitem__)
    assert out == {"sandbox/killed": 0.5, "sandbox/ok": 0.5, "sandbox/error": 0.0, "sandbox/timeout": 0.0,
                   "sandbox/no_code": 0.0}
    out = {}
    log_statuses([], out.__setitem__)
    assert set(out.values()) == {0.0} and len(out) == 4


def test_summary_shares():
    r = CodeRewards({"code_block": 1.0})
    r.reward_s, r.exec_s, r.completions = 3.0, 1.0, 12
    r.status_counts.update({"ok": 2})
    assert r.summary(10.0) == {"sandbox_statuses": {"ok": 2}, "reward_seconds": 3.0, "exec_seconds": 1.0,
                               "reward_time_share": 0.3, "exec_time_share": 0.1, "scored_completions": 12}


class _Model:
    training = True


class _Trainer:
    """Stands in for a TRL trainer: what `timed` touches (add_callback, model.training, log)."""

    def __init__(self, *args, **kwargs):
        self.model, self.callbacks, self.lines = _Model(), [], []

    def add_callback(self, cb):
        self.callbacks.append(cb)

    def log(self, logs, start_time=None):
        self.lines.append(dict(logs))


def test_timed_adds_step_shares_to_training_lines_only(monkeypatch):
    import numina_exp.train.rewards as mod

    rewards = CodeRewards({"code_block": 1.0})
    trainer = timed(_Trainer, rewards)()
    assert type(trainer).__name__ == "_Trainer"
    (cb,) = trainer.callbacks
    now = [0.0]
    monkeypatch.setattr(mod.time, "perf_counter", lambda: now[0])

    def step(begin, end, reward_s, exec_s):
        now[0] = begin
        cb.on_step_begin(None, None, None)
        rewards.reward_s, rewards.exec_s, now[0] = reward_s, exec_s, end
        cb.on_step_end(None, None, None)

    step(0.0, 10.0, 5.0, 2.0)  # 10 s, 5 of them in rewards, 2 in the sandbox
    step(10.0, 30.0, 7.0, 2.0)  # 20 s, 2 in rewards, none in the sandbox
    trainer.model.training = False
    trainer.log({"eval_loss": 1.0})
    assert trainer.lines[-1] == {"eval_loss": 1.0}  # an eval line gets nothing, and keeps the steps
    trainer.model.training = True
    trainer.log({"loss": 2.0})
    # step 1: reward 5/10, exec 2/10; step 2: reward 2/20, exec 0/20; averaged over the two steps
    assert trainer.lines[-1] == {"loss": 2.0, "time/reward_share": pytest.approx(0.3),
                                 "time/exec_share": pytest.approx(0.1), "time/step_s": pytest.approx(15.0)}
    trainer.log({"loss": 1.0})
    assert trainer.lines[-1] == {"loss": 1.0}  # flushed: no step since the last line


def test_scored_defaults():
    s = Scored(texts=["a"], golds=[None])
    assert s.status == [] and s.output == [] and s._answers is None and s._correct is None


def test_the_text_answer_is_only_a_boxed_one_and_the_rest_comes_from_the_program():
    r = CodeRewards({"correct": 1.0})
    (correct,) = r.functions()
    # "the answer is 7" is no boxed answer: the program's printed 5 decides, and it is right
    assert correct(completions=[BLOCK + "so the answer is 7"], answer=["5"], exec_status=["ok"], exec_output=["5\n"]) == [1.0]


def test_answers_are_graded_under_the_configured_kind():
    texts, golds = ["So $\\boxed{1/2}$."], ["0.5"]
    assert CodeRewards({"correct": 1.0}, answer_kind="math").functions()[0](completions=texts, answer=golds) == [1.0]
    assert CodeRewards({"correct": 1.0}, answer_kind="integer").functions()[0](completions=texts, answer=golds) == [0.0]


def test_scored_completions_add_up_over_batches():
    r = CodeRewards({"code_block": 1.0})
    (fn,) = r.functions()
    fn(completions=["a", "b", "c"])
    fn(completions=["d", "e"])
    assert r.summary(1.0)["scored_completions"] == 5 and r.batches == 2


def test_one_completion_is_the_whole_share_of_its_status():
    logged = {}
    log_statuses(["ok"], logged.__setitem__)
    assert logged == {"sandbox/ok": 1.0, "sandbox/error": 0.0, "sandbox/timeout": 0.0, f"sandbox/{NO_CODE}": 0.0}


def test_close_twice_closes_the_executor_once():
    class Executor:  # stands in for the sandbox's: close() is all close() touches
        closed = 0

        def close(self):
            Executor.closed += 1

    r = CodeRewards({"code_block": 1.0})
    r._executor = Executor()
    r.close()
    r.close()
    assert Executor.closed == 1 and r._executor is None


def test_a_registered_reward_is_used_by_name_and_needs_no_execution_by_default():
    from numina_exp.train.rewards import register_reward

    @register_reward("_test_length")
    def length(s, _r):
        return [len(t) for t in s.texts]

    try:
        assert REWARDS["_test_length"] == (length, False)
        r = CodeRewards({"_test_length": 1.0})
        assert r.functions()[0](completions=["ab", "abcd"]) == [2.0, 4.0] and not r.status_counts  # nothing ran
    finally:
        del REWARDS["_test_length"]
