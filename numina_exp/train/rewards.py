"""Reward functions by name (an open-r1-style registry) for the RL trainers; the config weights them:
shaped reward = sum_i w_i * r_i (`train.reward_weights: {code_block: 0.1, executes: 0.2, correct: 1.0}`).

TRL calls every reward function with the whole step's completions (plus the dataset's extra columns,
here `answer`, as keyword arguments). The functions that need the model's code executed share ONE
sandbox batch per step: the first of them to be called runs the last ```python block of every
completion in a single `Executor.run`; the others read that result. Hostile or hanging code comes
back from the sandbox as a status (error / timeout / killed / refused), which scores 0 and is counted;
a sandbox that itself fails scores the whole batch 0 with status `sandbox_error` - a step never crashes
on model-written code.

Completions from the TIR rollout (tir_rollout.py) were executed while they were generated: their
`exec_status` / `exec_output` columns carry the last block's result and no code runs again.

Built-in functions (each returns one float per completion):
  code_block                   1 if the completion holds a closed ```python block
  executes                     1 if its last block ran without error (status ok)
  correct                      1 if the final answer (\\boxed{} in the completion, else the program's
                               output) is equivalent to the gold `answer` (numina_exp.grading)
  format_no_answer             -1 if there is neither a boxed answer nor program output (a penalty)
  format_answer_without_code   -1 if a boxed answer comes without any python block (a penalty)
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from numina_exp.decode.sc_tir_rules import PY_BLOCK
from numina_exp.grading import extract_answer, grade_batch

log = logging.getLogger("numina_exp")

NO_CODE = "no_code"  # status of a completion without a closed python block (nothing ran)
SANDBOX_ERROR = "sandbox_error"  # the sandbox itself failed for this batch (never the model's doing)


@dataclass
class Scored:
    """What the reward functions look at for one step's completions (computed once per step)."""
    texts: list[str]
    golds: list
    status: list[str] = field(default_factory=list)  # per completion: sandbox status or no_code / sandbox_error
    output: list[str] = field(default_factory=list)  # the program's stdout ("" when it did not run ok)
    _answers: list | None = None
    _correct: list | None = None


RewardFn = Callable[["Scored", "CodeRewards"], list[float]]
REWARDS: dict[str, tuple[RewardFn, bool]] = {}  # name -> (function, needs the code executed)


def register_reward(name: str, needs_exec: bool = False):
    """Decorator: make `fn(scored, rewards) -> list[float]` available as train.reward_weights.<name>."""
    def deco(fn: RewardFn) -> RewardFn:
        REWARDS[name] = (fn, needs_exec)
        return fn
    return deco


def reward_names() -> list[str]:
    return sorted(REWARDS)


def last_code(text: str) -> str | None:
    blocks = PY_BLOCK.findall(text)
    return blocks[-1] if blocks else None


def program_answer(stdout: str) -> str | None:
    """The program's answer: its last non-empty output line (what a `print(answer)` ends with)."""
    lines = [ln.strip() for ln in (stdout or "").strip().splitlines() if ln.strip()]
    return lines[-1] if lines else None


@register_reward("code_block")
def code_block(s: Scored, _r) -> list[float]:
    return [1.0 if last_code(t) is not None else 0.0 for t in s.texts]


@register_reward("executes", needs_exec=True)
def executes(s: Scored, _r) -> list[float]:
    return [1.0 if st == "ok" else 0.0 for st in s.status]


@register_reward("correct", needs_exec=True)
def correct(s: Scored, r: "CodeRewards") -> list[float]:
    return [1.0 if ok else 0.0 for ok in r.correctness(s)]


@register_reward("format_no_answer", needs_exec=True)
def format_no_answer(s: Scored, r: "CodeRewards") -> list[float]:
    return [-1.0 if a is None else 0.0 for a in r.answers(s)]


@register_reward("format_answer_without_code")
def format_answer_without_code(s: Scored, _r) -> list[float]:
    return [-1.0 if extract_answer(t, "boxed") is not None and last_code(t) is None else 0.0 for t in s.texts]


class CodeRewards:
    """The configured reward functions as TRL callables, sharing one sandbox batch per step.

    rewards = CodeRewards({"code_block": 0.1, "executes": 0.2, "correct": 1.0}, sandbox_cfg)
    trainer = timed(RLOOTrainer, rewards)(..., reward_funcs=rewards.functions(),
                                          args=RLOOConfig(reward_weights=rewards.weights()))

    Each log line gets sandbox/<status> (through the `log_metric` callable TRL hands every reward
    function) and time/* (the `timed` trainer's `log`); nothing reads or writes the trainer's privates.
    """

    def __init__(self, weights: dict, sandbox: dict | None = None, answer_kind: str = "math", grade_timeout_s: float = 5.0):
        unknown = sorted(set(weights) - set(REWARDS))
        if unknown:
            raise ValueError(f"unknown reward function(s) {unknown}; known: {reward_names()}")
        if not weights:
            raise ValueError("at least one reward function is needed")
        self.names = list(weights)
        self._weights = [float(weights[n]) for n in self.names]
        self.sandbox = dict(sandbox or {})
        self.answer_kind = answer_kind
        self.grade_timeout_s = grade_timeout_s
        self._executor = None
        self._key = None
        self._scored: Scored | None = None
        # totals over the run (and since the last step boundary, for the per-step share)
        self.status_counts: Counter = Counter()
        self.reward_s = 0.0
        self.exec_s = 0.0
        self.batches = 0
        self.completions = 0

    # ---------------------------------------------------------------- TRL-facing
    def weights(self) -> list[float]:
        return list(self._weights)

    def functions(self) -> list[Callable]:
        return [self._make(n) for n in self.names]

    def _make(self, name: str) -> Callable:
        fn, needs_exec = REWARDS[name]

        def reward(prompts=None, completions=None, answer=None, exec_status=None, exec_output=None, log_metric=None, **_):
            t0 = time.perf_counter()
            try:
                texts = [_as_text(c) for c in completions]
                scored = self.score(texts, answer, exec_status, exec_output, execute=needs_exec, batch=id(completions),
                                    log_metric=log_metric)
                return [float(v) for v in fn(scored, self)]
            finally:
                self.reward_s += time.perf_counter() - t0

        reward.__name__ = name  # TRL logs rewards/<__name__>/mean and /std
        return reward

    # ---------------------------------------------------------------- scoring
    def score(self, texts: list[str], golds=None, exec_status=None, exec_output=None, execute: bool = True,
              batch=None, log_metric=None) -> Scored:
        """The step's Scored, computed once per batch (TRL calls each function in turn with the same list;
        `batch` tells two steps with identical completions apart). `log_metric(name, value)`: TRL's public
        reward-function hook (RLOO/GRPO, TRL 1.16), which averages a value over the log interval and the
        processes into the log line; the batch's status shares go there once, when it is executed."""
        key = (batch, tuple(texts), tuple(golds or ()))
        if self._key != key:
            self._key = key
            self._scored = Scored(texts=list(texts), golds=list(golds) if golds is not None else [None] * len(texts))
            self.batches += 1
            self.completions += len(texts)
        s = self._scored
        if execute and not s.status:
            if exec_status is not None:  # TIR rollout: already executed while generating
                s.status = [st or NO_CODE for st in exec_status]
                s.output = [o or "" for o in (exec_output or [""] * len(texts))]
            else:
                s.status, s.output = self._execute(s.texts)
            self.status_counts.update(s.status)
            if log_metric is not None:
                log_statuses(s.status, log_metric)
        return s

    def _execute(self, texts: list[str]) -> tuple[list[str], list[str]]:
        codes = [last_code(t) for t in texts]
        todo = [i for i, c in enumerate(codes) if c is not None]
        status = [NO_CODE] * len(texts)
        output = [""] * len(texts)
        if not todo:
            return status, output
        t0 = time.perf_counter()
        try:
            results = self.executor().run([codes[i] for i in todo])  # the whole step in one batch
        except Exception as err:  # the sandbox failed, not the model: score 0, start a fresh one next step
            log.warning("sandbox failed on a batch of %d snippets (%s); they score 0", len(todo), err)
            self.close()
            for i in todo:
                status[i] = SANDBOX_ERROR
            return status, output
        finally:
            self.exec_s += time.perf_counter() - t0
        for i, r in zip(todo, results):
            status[i] = r.status
            output[i] = r.stdout if r.status == "ok" else ""
        return status, output

    def answers(self, s: Scored) -> list:
        if s._answers is None:
            s._answers = [extract_answer(t, "boxed") or (program_answer(o) if st == "ok" else None)
                          for t, st, o in zip(s.texts, s.status, s.output)]
        return s._answers

    def correctness(self, s: Scored) -> list[bool]:
        if s._correct is None:
            answers = self.answers(s)
            idx = [i for i, (a, g) in enumerate(zip(answers, s.golds)) if a is not None and g is not None]
            graded = grade_batch([answers[i] for i in idx], [str(s.golds[i]) for i in idx], kind=self.answer_kind,
                                 timeout_s=self.grade_timeout_s) if idx else []
            ok = [False] * len(s.texts)
            for i, g in zip(idx, graded):
                ok[i] = bool(g)
            s._correct = ok
        return s._correct

    def executor(self):
        if self._executor is None:
            from numina_exp.sandbox import Executor
            self._executor = Executor(**self.sandbox)
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            try:
                self._executor.close()
            finally:
                self._executor = None

    # ---------------------------------------------------------------- logging
    def summary(self, train_seconds: float) -> dict:
        return {"sandbox_statuses": dict(self.status_counts), "reward_seconds": self.reward_s,
                "exec_seconds": self.exec_s, "reward_time_share": self.reward_s / max(train_seconds, 1e-9),
                "exec_time_share": self.exec_s / max(train_seconds, 1e-9), "scored_completions": self.completions}


def _as_text(completion) -> str:
    """TRL passes strings for plain-text prompts and message lists for conversational ones."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return "".join(str(m.get("content", "")) for m in completion)
    return str(completion)


def log_statuses(statuses: list[str], log_metric: Callable[[str, float], None]) -> None:
    """The share of a batch's completions per sandbox status, as sandbox/<status> (the usual four always)."""
    counts = Counter(statuses)
    for st in sorted(set(counts) | {"ok", "error", "timeout", NO_CODE}):
        log_metric(f"sandbox/{st}", counts.get(st, 0) / max(len(statuses), 1))


def timed(trainer_cls: type, rewards: CodeRewards) -> type:
    """`trainer_cls` whose log lines carry, per optimizer step averaged over the log interval, the share of
    its wall time spent in reward functions (time/reward_share) and in the sandbox (time/exec_share), and
    its length (time/step_s). A callback times the steps; `log` is transformers' documented override
    point ("subclass and override this method to inject custom behavior"), and it is where the values
    must go in: callbacks' on_log runs after the line reached log_history and the trackers. Built on use:
    importing this module stays free of transformers."""
    from transformers import TrainerCallback

    class StepTiming(TrainerCallback):
        def __init__(self):
            self.t0 = self.reward0 = self.exec0 = 0.0
            self.steps: list[tuple[float, float, float]] = []  # since the last log line

        def on_step_begin(self, args, state, control, **kw):
            self.t0, self.reward0, self.exec0 = time.perf_counter(), rewards.reward_s, rewards.exec_s

        def on_step_end(self, args, state, control, **kw):
            wall = max(time.perf_counter() - self.t0, 1e-9)
            self.steps.append(((rewards.reward_s - self.reward0) / wall, (rewards.exec_s - self.exec0) / wall, wall))

        def flush(self) -> dict:
            if not self.steps:
                return {}
            n = len(self.steps)
            reward, exec_, wall = (sum(col) / n for col in zip(*self.steps))
            self.steps.clear()
            return {"time/reward_share": reward, "time/exec_share": exec_, "time/step_s": wall}

    class Timed(trainer_cls):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.step_timing = StepTiming()
            self.add_callback(self.step_timing)

        def log(self, logs: dict, start_time: float | None = None) -> None:
            if self.model.training:  # a training line (TRL's own test for its train metrics), not an eval one
                logs.update(self.step_timing.flush())
            super().log(logs, start_time)

    Timed.__name__ = Timed.__qualname__ = trainer_cls.__name__  # log and error lines name TRL's class
    return Timed
