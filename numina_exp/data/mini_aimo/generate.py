"""Splits and solution plans of Mini-AIMO, all pure and seeded (no program runs here).

Every problem is `FAMILIES[f].make(Random(f"{seed}/{split}/{f}/{i}"), level)`; a family's rows take the
levels in turn (the j-th family starts at level j mod 3 + 1) and a split lists its families round robin,
so the first k rows of any split cover k families and every level. A split is fixed by (seed, split):
the same seed gives the same bytes, another seed other problems. Evaluation splits are drawn first; a
draw that repeats an earlier row's problem (`problem_key`: same family, level and numbers, whatever the
paraphrase) is skipped and the next index drawn, so no test problem occurs in train, neither its text
nor a paraphrase of it. Rows of one template that differ only in their numbers do share most of their
words: n-gram decontamination (method=decontaminate) reports such pairs, and they are different problems
(docs/mini_aimo.md). Held-out families are drawn only into `test_heldout`.

TIR plans (`tir_plan`): every row has the single-program plan (MMOS); a share MULTI_STEP_SHARE of the
level-2/3 rows of the TIR file are multi-step instead: at level 3 mostly the two-program `chain`
(the first program prints the intermediate value, the second copies it), otherwise a first program
with a planted, realistic mistake (`break_program`), its traceback, a one-line fix and the right program.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass

from . import algebra, combinatorics, number_theory, word  # noqa: F401  (each module registers its families)
from .core import FAMILIES, LEVELS, Item, Step

SOURCE = "mini_aimo"
# Families never drawn into train/val/test: only test_heldout, to measure transfer to unseen problem kinds.
HELD_OUT = ("digit_sum", "incl_excl", "geometric_sum")
# Rows per family in each split (train/val/test: every family not held out; test_heldout: HELD_OUT).
SIZES = {"train": 100, "val": 8, "test": 10, "test_heldout": 10}
EVAL_SPLITS = ("test", "test_heldout", "val")  # drawn before train, in this order
MULTI_STEP_SHARE = 0.3  # of level-2/3 TIR rows
CHAIN_SHARE_L3 = 2 / 3  # of the multi-step level-3 rows: the intermediate-value chain (else a planted error)
MAX_DRAWS = 50  # per row: draws tried before giving up on finding an unused problem text


def seen_families() -> list[str]:
    return [f for f in FAMILIES if f not in HELD_OUT]


def families_of(split: str) -> list[str]:
    return list(HELD_OUT) if split == "test_heldout" else seen_families()


def draw(family: str, split: str, index: int, level: int, seed: int = 0) -> Item:
    rng = random.Random(f"{seed}/{split}/{family}/{index}")
    return FAMILIES[family].make(rng, level)


@dataclass(frozen=True)
class Drawn:
    split: str
    index: int
    item: Item
    seed: int

    @property
    def id(self) -> str:
        return f"{SOURCE}-{self.split}-{self.item.family}-L{self.item.level}-{self.index:04d}"


def problem_key(item: Item) -> tuple:
    """What makes two items the same problem whatever the paraphrase: family, level and the numbers the
    answer depends on (the single program holds them all; names in word problems do not count)."""
    return item.family, item.level, item.single.code


def generate_splits(seed: int = 0, sizes: dict | None = None) -> dict[str, list[Drawn]]:
    """{split: [Drawn]} for test, test_heldout, val, train; no two rows anywhere are the same problem
    (`problem_key`: same numbers, whatever the paraphrase)."""
    sizes = dict(SIZES, **(sizes or {}))
    used: set[tuple] = set()
    out: dict[str, list[Drawn]] = {}
    for split in (*EVAL_SPLITS, "train"):
        per_family = []
        for f, fam in enumerate(families_of(split)):
            rows = []
            per_family.append(rows)
            i = 0
            for row in range(sizes[split]):
                for _tries in range(MAX_DRAWS):
                    item = draw(fam, split, i, LEVELS[(row + f) % len(LEVELS)], seed)
                    i += 1
                    if problem_key(item) not in used:
                        break
                else:
                    raise RuntimeError(f"family {fam!r}, {split}: {MAX_DRAWS} draws in a row repeat earlier problems; "
                                       f"widen its number ranges")
                used.add(problem_key(item))
                rows.append(Drawn(split, i - 1, item, seed))
        # round robin over the families, whose levels start at 1, 2, 3 in turn: the first k rows (eval.limit=k)
        # cover k families and every level
        out[split] = [d for ring in zip(*per_family) for d in ring]
    return out


# ---------------------------------------------------------------- TIR plans
# Planted mistakes a small model really makes, each checked by the builder against the sandbox's verdict.
WRONG_ATTR = {"math.comb": "math.choose", "math.factorial": "math.fact", "math.gcd": "math.gdc",
              "math.lcm": "math.lcd", "math.ceil": "math.ceiling", "sympy.divisor_count": "sympy.num_divisors",
              "sympy.primepi": "sympy.prime_pi", "sympy.divisor_sigma": "sympy.sigma", "sp.solve": "sp.solver",
              "sp.divisor_sigma": "sp.sigma"}


def break_program(code: str, rng: random.Random) -> tuple[str, str, str]:
    """(broken code, the exception it raises, the sentence that fixes it), chosen among the mistakes that
    apply to `code`: a forgotten `import sympy`, a function name that does not exist, a misspelt variable,
    an unclosed parenthesis (only where nothing else applies)."""
    options = []
    if code.startswith("import sympy\n"):
        options.append((code[len("import sympy\n"):], "NameError",
                        "I forgot to import `sympy`; import it first."))
    for right, wrong in WRONG_ATTR.items():
        if right + "(" in code:
            options.append((code.replace(right + "(", wrong + "(", 1), "AttributeError",
                            f"There is no `{wrong}`; the function is `{right}`."))
    head, _, last = code.rpartition("\n")
    for var in re.findall(r"^([a-z]\w*) = ", head, re.M):
        if re.search(rf"\b{var}\b", last):
            typo = var.upper() if len(var) == 1 else var[:-1]
            options.append((head + "\n" + re.sub(rf"\b{var}\b", typo, last, count=1), "NameError",
                            f"The variable is `{var}`, not `{typo}`."))
            break
    if not options and code.endswith(")"):  # the last resort: other mistakes teach more than a typo'd bracket
        options.append((code[:-1], "SyntaxError", "A closing parenthesis is missing."))
    return rng.choice(options)


def tir_plan(d: Drawn, multi_share: float = MULTI_STEP_SHARE) -> tuple[str, tuple[Step, ...]]:
    """(kind, steps) of the row's TIR solution: kind is single, chain or error."""
    item = d.item
    rng = random.Random(f"{d.seed}/{d.split}/{item.family}/{d.index}/tir")
    if item.level == 1 or rng.random() >= multi_share:
        return "single", (item.single,)
    if item.level == 3 and rng.random() < CHAIN_SHARE_L3:
        return "chain", item.chain
    broken, exc, fix = break_program(item.single.code, rng)
    first = Step(item.single.say, broken, raises=exc)
    second = Step(fix, item.single.code, item.single.prints)
    return "error", (first, second)


def render_tir(steps: tuple[Step, ...], outputs: list[str], final: str) -> str:
    """The ToRA/NuminaMath-TIR text: for each program, its words, ```python block, ```output block (the
    sandbox's rendering exactly as SC-TIR appends it at decode time), then the closing sentence."""
    if len(outputs) != len(steps):
        raise ValueError(f"{len(steps)} programs but {len(outputs)} outputs")
    text = "".join(f"{s.say}\n\n```python\n{s.code}\n```\n```output\n{out}\n```\n" for s, out in zip(steps, outputs))
    return text + final


def output_prefixes(steps: tuple[Step, ...], outputs: list[str]) -> list[str]:
    """The text a model has produced when SC-TIR executes program k: everything up to its ```output\\n."""
    return [render_tir(steps[:k], outputs[:k], "") + f"{steps[k].say}\n\n```python\n{steps[k].code}\n```\n```output\n"
            for k in range(len(steps))]
