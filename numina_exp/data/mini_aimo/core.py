"""The pieces every Mini-AIMO family is made of, and the table families register in.

A family is one function `f(rng, level) -> Item`, registered with `@family("name", topic)`: it draws
numbers from `rng` (a random.Random owned by the caller; the same draws give the same item), picks a
paraphrase template, computes the answer in plain Python, and writes the solutions' parts:

* `cot`: a worked solution in words ending in \\boxed{answer} (stage 1);
* `single`: exactly one program (`Step`) that prints the answer (MMOS, and most TIR rows);
* `chain` (level 3 only): two programs, the first printing the intermediate value, the second using
  the number it printed (the NuminaMath-TIR multi-step shape);
* `final`: the sentence after the last output block, holding \\boxed{answer}.

Programs are never run here (numina_exp.data sits below the sandbox in the import layers); the builder
(scripts/build_mini_aimo.py) runs every one in numina_exp.sandbox and refuses a row whose real output
differs from `Step.prints` or whose boxed answer differs from `Item.answer`.

Answers: every answer is an integer in [0, 999]. A family whose quantity can exceed 999 asks for its
remainder modulo 1000 in the problem text, so the stated answer is exact and AIMO's mod-1000 grading
(answer_kind=integer) changes nothing.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable

LEVELS = (1, 2, 3)
TOPICS = ("number theory", "combinatorics", "algebra", "word problem")


@dataclass(frozen=True)
class Step:
    """One program of a TIR solution: the words before it, its code, and what it must print (stripped
    stdout) when it runs — or, for a planted failure, the exception it must raise."""
    say: str
    code: str
    prints: str = ""  # expected stdout (stripped); "" for a failing step
    raises: str = ""  # expected exception name for a failing step (e.g. "NameError")


@dataclass(frozen=True)
class Item:
    family: str
    level: int
    problem: str
    answer: int
    cot: str
    single: Step
    final: str
    chain: tuple[Step, ...] = field(default=())  # level 3: two dependent programs

    def __post_init__(self):
        if not 0 <= self.answer <= 999:
            raise ValueError(f"{self.family} level {self.level}: answer {self.answer} is outside [0, 999]")
        if f"\\boxed{{{self.answer}}}" not in self.final or f"\\boxed{{{self.answer}}}" not in self.cot:
            raise ValueError(f"{self.family}: `final` and `cot` must hold \\boxed{{{self.answer}}}")
        if self.single.prints != str(self.answer):
            raise ValueError(f"{self.family}: the single program must print the answer {self.answer}, "
                             f"declares {self.single.prints!r}")
        if self.level == 3 and len(self.chain) != 2:
            raise ValueError(f"{self.family}: a level-3 item needs a two-program `chain`")


@dataclass(frozen=True)
class Family:
    name: str
    topic: str
    make: Callable[[random.Random, int], Item]
    doc: str


FAMILIES: dict[str, Family] = {}


def family(name: str, topic: str):
    """Register `f(rng, level) -> Item` under `name` (one line per family in FAMILIES)."""
    if topic not in TOPICS:
        raise ValueError(f"topic must be one of {TOPICS}, got {topic!r}")

    def register(f):
        if name in FAMILIES:
            raise ValueError(f"family {name!r} registered twice")
        FAMILIES[name] = Family(name, topic, f, (f.__doc__ or "").strip().split("\n")[0])
        return f
    return register


def pick(rng: random.Random, templates: list[str], **values) -> str:
    """One paraphrase, filled in. Every family keeps at least five per level."""
    return rng.choice(templates).format(**values)


def boxed(answer: int, lead: str = "The answer is") -> str:
    return f"{lead} $\\boxed{{{answer}}}$."
