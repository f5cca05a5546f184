"""Combinatorics families: binomial coefficients, arrangements with a restriction, inclusion-exclusion
counts."""
from __future__ import annotations

import math
import random

import sympy

from .core import Item, Step, boxed, family, pick

NAMES = ["Alice", "Bob", "Carol", "Dan", "Eve", "Frank", "Grace", "Hugo", "Ivy", "Jack", "Kim", "Leo", "Mia", "Nina",
         "Omar", "Pia"]

BINOM = {
    1: ["In how many ways can a committee of ${k}$ people be chosen from ${n}$ people?",
        "Compute $\\binom{{{n}}}{{{k}}}$.",
        "How many subsets with exactly ${k}$ elements does a set with ${n}$ elements have?",
        "A coach picks ${k}$ of ${n}$ players for a team. How many different teams are possible?",
        "How many ways are there to choose ${k}$ books from a shelf of ${n}$ different books?"],
    2: ["What is the remainder when $\\binom{{{n}}}{{{k}}}$ is divided by $1000$?",
        "Find $\\binom{{{n}}}{{{k}}} \\bmod 1000$.",
        "In how many ways can ${k}$ people be chosen from ${n}$? Give the answer modulo $1000$.",
        "Compute the last three digits of $\\binom{{{n}}}{{{k}}}$, as a number from 0 to 999.",
        "How many ${k}$-element subsets does an ${n}$-element set have? Give the remainder upon division by $1000$."],
    3: ["Let $t = \\binom{{{n}}}{{2}}$. Find the remainder when $\\binom{{t}}{{3}}$ is divided by $1000$.",
        "Let $t$ be the number of ways to choose $2$ of ${n}$ people. What is $\\binom{{t}}{{3}} \\bmod 1000$?",
        "A league of ${n}$ teams plays $t$ games, one per pair of teams. In how many ways can $3$ of these games be chosen? Give the answer modulo $1000$.",
        "Let $t$ count the pairs that can be formed from ${n}$ objects. Compute $\\binom{{t}}{{3}}$ modulo $1000$.",
        "If $t = \\binom{{{n}}}{{2}}$, what are the last three digits of $\\binom{{t}}{{3}}$, as a number from 0 to 999?"],
}


@family("binomial", "combinatorics")
def binomial(rng: random.Random, level: int) -> Item:
    """C(n, k) below 1000 (level 2: C(n, k) mod 1000; level 3: t = C(n, 2), then C(t, 3) mod 1000)."""
    if level == 1:
        while True:
            n = rng.randrange(5, 45)
            k = rng.randrange(2, n - 1)
            ans = math.comb(n, k)
            if ans < 1000:
                break
        text = pick(rng, BINOM[1], n=n, k=k)
        cot = (f"$\\binom{{{n}}}{{{k}}} = \\frac{{{n}!}}{{{k}! \\, {n - k}!}} = {ans}$. " + boxed(ans))
        single = Step("`math.comb` computes the binomial coefficient.", f"import math\nprint(math.comb({n}, {k}))", str(ans))
        return Item("binomial", 1, text, ans, cot, single, boxed(ans))
    if level == 2:
        n = rng.randrange(20, 300)
        k = rng.randrange(3, n // 2)
        ans = math.comb(n, k) % 1000
        text = pick(rng, BINOM[2], n=n, k=k)
        cot = (f"$\\binom{{{n}}}{{{k}}} = \\frac{{{n}!}}{{{k}! \\, {n - k}!}}$; multiplying out and reducing modulo "
               f"$1000$ gives ${ans}$. " + boxed(ans))
        single = Step("Compute the binomial coefficient exactly with `math.comb`, then reduce modulo 1000.",
                      f"import math\nprint(math.comb({n}, {k}) % 1000)", str(ans))
        return Item("binomial", 2, text, ans, cot, single, f"The remainder is $\\boxed{{{ans}}}$.")
    n = rng.randrange(5, 80)
    t = math.comb(n, 2)
    ans = math.comb(t, 3) % 1000
    text = pick(rng, BINOM[3], n=n)
    cot = (f"$t = \\binom{{{n}}}{{2}} = {t}$, and $\\binom{{{t}}}{{3}} = {math.comb(t, 3)}$, which is ${ans}$ modulo "
           f"$1000$. " + boxed(ans))
    single = Step("Compute $t$, then $\\binom{t}{3}$ modulo 1000.",
                  f"import math\nt = math.comb({n}, 2)\nprint(math.comb(t, 3) % 1000)", str(ans))
    chain = (Step(f"First $t = \\binom{{{n}}}{{2}}$.", f"import math\nprint(math.comb({n}, 2))", str(t)),
             Step(f"So $t = {t}$. Now $\\binom{{{t}}}{{3}}$ modulo 1000.", f"import math\nprint(math.comb({t}, 3) % 1000)",
                  str(ans)))
    return Item("binomial", 3, text, ans, cot, single, f"The remainder is $\\boxed{{{ans}}}$.", chain)


WORDS = {
    1: ["How many distinct strings can be formed by rearranging all the letters of ${w}$? Give the answer modulo $1000$.",
        "In how many different orders can the letters of ${w}$ be written (identical letters are indistinguishable)? Answer modulo $1000$.",
        "Find the number of distinct arrangements of the letters in ${w}$, modulo $1000$.",
        "The tiles ${t}$ are placed in a row. How many different rows are possible, modulo $1000$?",
        "How many different {n}-letter words (any string counts) use exactly the letters of ${w}$? Give the remainder upon division by $1000$."],
    2: ["How many distinct rearrangements of the letters of ${w}$ have no two identical letters next to each other?",
        "In how many different orders can the letters of ${w}$ be written so that equal letters are never adjacent?",
        "Find the number of distinct arrangements of the letters in ${w}$ in which no two adjacent letters are the same.",
        "The tiles ${t}$ are placed in a row so that no two neighbouring tiles show the same letter. How many different rows are possible?",
        "How many {n}-letter strings use exactly the letters of ${w}$ and never repeat a letter in consecutive positions?"],
    3: ["Let $m$ be the number of distinct arrangements of the letters of ${w}$. How many positive divisors does $m$ have?",
        "The letters of ${w}$ can be arranged in $m$ distinct ways. Find the number of positive divisors of $m$.",
        "Let $m$ count the distinct strings formed by rearranging ${w}$. How many positive integers divide $m$?",
        "There are $m$ different rows of the tiles ${t}$. How many divisors does $m$ have?",
        "Let $m$ be the number of {n}-letter words using exactly the letters of ${w}$. Find the number of positive divisors of $m$."],
}


def _word(rng: random.Random, n: int) -> str:
    """A random multiset of letters with at least one repeat (so identical letters matter)."""
    while True:
        w = "".join(rng.choice("ABCDE"[:rng.randrange(2, 6)]) for _ in range(n))
        if len(set(w)) < n and len(set(w)) > 1:
            return w


def _multinomial(w: str) -> int:
    out = math.factorial(len(w))
    for c in set(w):
        out //= math.factorial(w.count(c))
    return out


@family("arrangements", "combinatorics")
def arrangements(rng: random.Random, level: int) -> Item:
    """Arrangements of a multiset of letters mod 1000 (level 2: no equal neighbours; level 3: divisors of the count)."""
    while True:
        w = _word(rng, rng.randrange(5, 9))  # at most 8! = 40320 permutations: the brute-force programs stay fast
        if level != 2:
            break
        from itertools import permutations
        ans = sum(1 for p in set(permutations(w)) if all(a != b for a, b in zip(p, p[1:])))
        if 0 < ans < 1000:  # level 2 asks for the count itself
            break
    t = ", ".join(w)
    counts = " \\cdot ".join(f"{w.count(c)}!" for c in sorted(set(w)))
    m = _multinomial(w)
    if level == 1:
        ans = m % 1000
        text = pick(rng, WORDS[1], w=w, t=t, n=len(w))
        cot = (f"${len(w)}$ letters with repeats: $\\frac{{{len(w)}!}}{{{counts}}} = {m}$, which is ${ans}$ modulo $1000$. "
               + boxed(ans))
        single = Step("Count the distinct permutations directly.",
                      f"from itertools import permutations\nprint(len(set(permutations('{w}'))) % 1000)", str(ans))
        return Item("arrangements", 1, text, ans, cot, single, boxed(ans))
    if level == 2:
        text = pick(rng, WORDS[2], w=w, t=t, n=len(w))
        cot = (f"Of the $\\frac{{{len(w)}!}}{{{counts}}} = {m}$ distinct arrangements, subtracting (by inclusion-exclusion "
               f"over the pairs of equal letters glued together) those with equal neighbours leaves ${ans}$. " + boxed(ans))
        single = Step("Check every distinct permutation for equal neighbours.",
                      f"from itertools import permutations\nps = set(permutations('{w}'))\n"
                      f"print(sum(1 for p in ps if all(a != b for a, b in zip(p, p[1:]))))", str(ans))
        return Item("arrangements", 2, text, ans, cot, single, f"There are $\\boxed{{{ans}}}$ such arrangements.")
    ans = int(sympy.divisor_count(m))
    text = pick(rng, WORDS[3], w=w, t=t, n=len(w))
    cot = (f"$m = \\frac{{{len(w)}!}}{{{counts}}} = {m}$. Factoring ${m}$ and multiplying the exponents plus one gives "
           f"${ans}$ divisors. " + boxed(ans))
    single = Step("Count the distinct arrangements, then the divisors of that count.",
                  f"import sympy\nfrom itertools import permutations\n"
                  f"m = len(set(permutations('{w}')))\nprint(sympy.divisor_count(m))", str(ans))
    chain = (Step("First count the distinct arrangements.",
                  f"from itertools import permutations\nprint(len(set(permutations('{w}'))))", str(m)),
             Step(f"So $m = {m}$. Now count its divisors.", f"import sympy\nprint(sympy.divisor_count({m}))", str(ans)))
    return Item("arrangements", 3, text, ans, cot, single, f"$m$ has $\\boxed{{{ans}}}$ positive divisors.", chain)


INCL = {
    1: ["How many integers from $1$ to ${n}$ are divisible by ${a}$ or ${b}$?",
        "Count the positive integers not exceeding ${n}$ that are multiples of ${a}$ or of ${b}$.",
        "Among $1, 2, \\dots, {n}$, how many numbers are divisible by at least one of ${a}$ and ${b}$?",
        "Find the number of integers $k$ with $1 \\le k \\le {n}$ such that ${a} \\mid k$ or ${b} \\mid k$.",
        "How many of the first ${n}$ positive integers are multiples of ${a}$ or ${b}$ (or both)?"],
    2: ["How many integers from $1$ to ${n}$ are divisible by none of ${a}$, ${b}$ and ${c}$?",
        "Count the positive integers not exceeding ${n}$ that are multiples of neither ${a}$, ${b}$ nor ${c}$.",
        "Among $1, 2, \\dots, {n}$, how many numbers are divisible by none of ${a}$, ${b}$, ${c}$?",
        "Find the number of integers $k$ with $1 \\le k \\le {n}$ that are not divisible by ${a}$, by ${b}$ or by ${c}$.",
        "How many of the first ${n}$ positive integers avoid being a multiple of ${a}$, of ${b}$ and of ${c}$?"],
    3: ["Let $k$ be the number of integers from $1$ to ${n}$ divisible by ${a}$ or ${b}$. How many integers from $1$ to $k$ are divisible by ${c}$?",
        "There are $k$ multiples of ${a}$ or ${b}$ among $1, \\dots, {n}$. Count the multiples of ${c}$ among $1, \\dots, k$.",
        "Let $k$ count the integers in $[1, {n}]$ that are multiples of ${a}$ or of ${b}$. Find the number of multiples of ${c}$ in $[1, k]$.",
        "If $k$ of the first ${n}$ positive integers are divisible by ${a}$ or ${b}$, how many of the first $k$ positive integers are divisible by ${c}$?",
        "Let $k$ be how many numbers up to ${n}$ are divisible by at least one of ${a}, {b}$. How many numbers up to $k$ are divisible by ${c}$?"],
}


@family("incl_excl", "combinatorics")
def incl_excl(rng: random.Random, level: int) -> Item:
    """Integers up to n divisible by a or b (level 2: by none of a, b, c; level 3: then multiples of c up to k)."""
    n = rng.randrange(100, 1000)
    a, b, c = rng.sample(range(2, 20), 3)
    if level == 1:
        ans = sum(1 for i in range(1, n + 1) if i % a == 0 or i % b == 0)
        text = pick(rng, INCL[1], n=n, a=a, b=b)
        cot = (f"By inclusion-exclusion: $\\lfloor {n}/{a} \\rfloor + \\lfloor {n}/{b} \\rfloor - \\lfloor {n}/"
               f"{math.lcm(a, b)} \\rfloor = {n // a} + {n // b} - {n // math.lcm(a, b)} = {ans}$. " + boxed(ans))
        single = Step("Count them directly.", f"print(sum(1 for i in range(1, {n} + 1) if i % {a} == 0 or i % {b} == 0))",
                      str(ans))
        return Item("incl_excl", 1, text, ans, cot, single, f"There are $\\boxed{{{ans}}}$ such integers.")
    if level == 2:
        ans = sum(1 for i in range(1, n + 1) if i % a and i % b and i % c)
        text = pick(rng, INCL[2], n=n, a=a, b=b, c=c)
        cot = (f"By inclusion-exclusion over ${a}, {b}, {c}$ and the lcms of their pairs and of all three, "
               f"${n - ans}$ of the ${n}$ integers are divisible by at least one, leaving ${ans}$. " + boxed(ans))
        single = Step("Count them directly.",
                      f"print(sum(1 for i in range(1, {n} + 1) if i % {a} and i % {b} and i % {c}))", str(ans))
        return Item("incl_excl", 2, text, ans, cot, single, f"There are $\\boxed{{{ans}}}$ such integers.")
    k = sum(1 for i in range(1, n + 1) if i % a == 0 or i % b == 0)
    ans = k // c
    text = pick(rng, INCL[3], n=n, a=a, b=b, c=c)
    cot = (f"By inclusion-exclusion $k = {n // a} + {n // b} - {n // math.lcm(a, b)} = {k}$, and "
           f"$\\lfloor {k}/{c} \\rfloor = {ans}$. " + boxed(ans))
    single = Step("Count $k$ directly, then the multiples of the third number up to $k$.",
                  f"k = sum(1 for i in range(1, {n} + 1) if i % {a} == 0 or i % {b} == 0)\nprint(k // {c})", str(ans))
    chain = (Step("First count $k$.", f"print(sum(1 for i in range(1, {n} + 1) if i % {a} == 0 or i % {b} == 0))", str(k)),
             Step(f"So $k = {k}$. Now count the multiples of ${c}$ up to ${k}$.", f"print({k} // {c})", str(ans)))
    return Item("incl_excl", 3, text, ans, cot, single, f"There are $\\boxed{{{ans}}}$ such integers.", chain)
