"""Algebra families: linear equations and systems, quadratics with integer roots, sums of arithmetic
and geometric sequences."""
from __future__ import annotations

import random

import sympy

from .core import Item, Step, boxed, family, pick


def term(coef: int, var: str, first: bool = False) -> str:
    """`coef*var` as it is written in a formula: 1 and -1 lose the digit, signs join the previous term."""
    mag = "" if abs(coef) == 1 and var else str(abs(coef))
    sign = ("-" if coef < 0 else "") if first else (" - " if coef < 0 else " + ")
    return f"{sign}{mag}{var}"


def py_term(coef: int, var: str, first: bool = False) -> str:
    mag = f"{abs(coef)}*{var}" if var and abs(coef) != 1 else (var or str(abs(coef)))
    sign = ("-" if coef < 0 else "") if first else (" - " if coef < 0 else " + ")
    return f"{sign}{mag}"


def quad(s: int, p: int, tex: bool) -> str:
    """x^2 - s x + p (roots summing to s, multiplying to p), in TeX or in Python."""
    t = term if tex else py_term
    out = "x^2" if tex else "x**2"
    if s:
        out += t(-s, "x")
    if p:
        out += t(p, "")
    return out


LINEAR = {
    1: ["Solve ${lhs} = {c}$ for $x$.",
        "Find $x$ if ${lhs} = {c}$.",
        "What value of $x$ satisfies ${lhs} = {c}$?",
        "If ${lhs} = {c}$, what is $x$?",
        "Determine the integer $x$ such that ${lhs} = {c}$."],
    2: ["If ${e1}$ and ${e2}$, what is $x + y$?",
        "The numbers $x$ and $y$ satisfy ${e1}$ and ${e2}$. Find $x + y$.",
        "Solve the system ${e1}$, ${e2}$ and give $x + y$.",
        "Given that ${e1}$ and ${e2}$, compute $x + y$.",
        "Find $x + y$, where $x$ and $y$ solve the equations ${e1}$ and ${e2}$."],
    3: ["Let $x$ satisfy ${lhs} = {c}$. Find the remainder when $x^{{{k}}}$ is divided by $1000$.",
        "If ${lhs} = {c}$, what is $x^{{{k}}} \\bmod 1000$?",
        "The number $x$ solves ${lhs} = {c}$. Compute the last three digits of $x^{{{k}}}$, as a number from 0 to 999.",
        "Given ${lhs} = {c}$, find $x^{{{k}}}$ modulo $1000$.",
        "Let $x$ be the solution of ${lhs} = {c}$. What is the remainder of $x^{{{k}}}$ upon division by $1000$?"],
}


@family("linear_eq", "algebra")
def linear_eq(rng: random.Random, level: int) -> Item:
    """a x + b = c (level 2: a 2x2 system, x + y; level 3: x from a x + b = c, then x^k mod 1000)."""
    if level == 2:
        while True:
            x, y = rng.randrange(1, 400), rng.randrange(1, 400)
            a, b, c, d = (rng.randrange(1, 13) * rng.choice([1, -1]) for _ in range(4))
            if a * d - b * c:
                break
        e, f = a * x + b * y, c * x + d * y
        e1, e2 = f"{term(a, 'x', True)}{term(b, 'y')} = {e}", f"{term(c, 'x', True)}{term(d, 'y')} = {f}"
        ans = x + y
        text = pick(rng, LINEAR[2], e1=e1, e2=e2)
        cot = (f"Eliminating one variable (multiply the equations to match a coefficient and subtract) gives $x = {x}$ "
               f"and then $y = {y}$, so $x + y = {ans}$. " + boxed(ans))
        p1, p2 = f"{py_term(a, 'x', True)}{py_term(b, 'y')}", f"{py_term(c, 'x', True)}{py_term(d, 'y')}"
        single = Step("Solve the system with sympy.",
                      f"import sympy as sp\nx, y = sp.symbols('x y')\ns = sp.solve([sp.Eq({p1}, {e}), sp.Eq({p2}, {f})], "
                      f"[x, y])\nprint(s[x] + s[y])", str(ans))
        return Item("linear_eq", 2, text, ans, cot, single, f"So $x + y = \\boxed{{{ans}}}$.")
    x = rng.randrange(1, 1000) if level == 1 else rng.randrange(2, 100)
    a, b = rng.randrange(2, 30), rng.randrange(-500, 500)
    c = a * x + b
    lhs = f"{a}x" + (term(b, "") if b else "")
    py = f"{a}*x" + (py_term(b, "") if b else "")
    solve = f"import sympy as sp\nx = sp.symbols('x')\nprint(sp.solve(sp.Eq({py}, {c}), x)[0])"
    if level == 1:
        text = pick(rng, LINEAR[1], lhs=lhs, c=c)
        cot = f"Subtract ${b}$ from both sides: ${a}x = {c - b}$, so $x = {c - b}/{a} = {x}$. " + boxed(x)
        single = Step("Solve the equation with sympy.", solve, str(x))
        return Item("linear_eq", 1, text, x, cot, single, f"So $x = \\boxed{{{x}}}$.")
    k = rng.randrange(3, 12)
    ans = pow(x, k, 1000)
    text = pick(rng, LINEAR[3], lhs=lhs, c=c, k=k)
    cot = (f"From ${lhs} = {c}$: ${a}x = {c - b}$, so $x = {x}$. Then ${x}^{{{k}}} = {x ** k}$, which is ${ans}$ modulo "
           f"$1000$. " + boxed(ans))
    single = Step("Solve for $x$, then reduce the power modulo 1000.",
                  f"import sympy as sp\nx = sp.symbols('x')\nv = sp.solve(sp.Eq({py}, {c}), x)[0]\n"
                  f"print(pow(int(v), {k}, 1000))", str(ans))
    chain = (Step("First solve for $x$.", solve, str(x)),
             Step(f"So $x = {x}$. Now ${x}^{{{k}}}$ modulo 1000.", f"print(pow({x}, {k}, 1000))", str(ans)))
    return Item("linear_eq", 3, text, ans, cot, single, f"The remainder is $\\boxed{{{ans}}}$.", chain)


QUAD = {
    1: ["What is the larger root of ${q} = 0$?",
        "Find the greater solution of the equation ${q} = 0$.",
        "The equation ${q} = 0$ has two integer roots. What is the larger one?",
        "Solve ${q} = 0$ and give the largest solution.",
        "Let $r$ be the largest real number with $r^2{rest} = 0$. Find $r$."],
    2: ["What is the sum of the squares of the roots of ${q} = 0$?",
        "Let $r$ and $s$ be the roots of ${q} = 0$. Find $r^2 + s^2$.",
        "The equation ${q} = 0$ has roots $r$ and $s$. Compute $r^2 + s^2$.",
        "If $r, s$ solve ${q} = 0$, what is $r^2 + s^2$?",
        "Find the sum of the squares of the two solutions of ${q} = 0$."],
    3: ["Let $r$ be the larger root of ${q} = 0$. What is the sum of the positive divisors of $r$?",
        "The equation ${q} = 0$ has larger root $r$. Find the sum of all positive divisors of $r$.",
        "Let $r$ be the greater solution of ${q} = 0$. Compute $\\sigma(r)$, the sum of the positive divisors of $r$.",
        "If $r$ is the largest root of ${q} = 0$, find the sum of the positive integers that divide $r$.",
        "Solve ${q} = 0$; let $r$ be the larger root. Add up the positive divisors of $r$."],
}


@family("quadratic", "algebra")
def quadratic(rng: random.Random, level: int) -> Item:
    """Larger integer root of x^2 - s x + p (level 2: sum of squares of the roots; level 3: sigma of the root)."""
    if level == 2:
        while True:
            r1, r2 = rng.randrange(-22, 23), rng.randrange(-22, 23)
            if r1 != r2 and r1 * r1 + r2 * r2 < 1000:
                break
    else:
        r1, r2 = sorted(rng.sample(range(1, 100 if level == 1 else 200), 2))
    s, p = r1 + r2, r1 * r2
    q, pq = quad(s, p, True), quad(s, p, False)
    big = max(r1, r2)
    solve = f"import sympy as sp\nx = sp.symbols('x')\nprint(max(sp.solve({pq}, x)))"
    if level == 1:
        text = pick(rng, QUAD[1], q=q, rest=q[3:].replace("x", "r"))
        cot = (f"We need two numbers with sum ${s}$ and product ${p}$: they are ${r1}$ and ${r2}$, so "
               f"${q} = (x - {r1})(x - {r2})$ and the larger root is ${big}$. " + boxed(big))
        single = Step("Solve the quadratic with sympy and take the larger root.", solve, str(big))
        return Item("quadratic", 1, text, big, cot, single, f"The larger root is $\\boxed{{{big}}}$.")
    if level == 2:
        ans = r1 * r1 + r2 * r2
        text = pick(rng, QUAD[2], q=q)
        cot = (f"By Vieta, $r + s = {s}$ and $rs = {p}$, so $r^2 + s^2 = (r + s)^2 - 2rs = {s * s} - ({2 * p}) = {ans}$. "
               + boxed(ans))
        single = Step("Solve with sympy and add the squares of the roots.",
                      f"import sympy as sp\nx = sp.symbols('x')\nprint(sum(t**2 for t in sp.solve({pq}, x)))", str(ans))
        return Item("quadratic", 2, text, ans, cot, single, f"The sum of the squares is $\\boxed{{{ans}}}$.")
    ans = int(sympy.divisor_sigma(big))
    if ans >= 1000:  # sigma(r) for r < 200 stays below 1000 except a few highly composite r
        return quadratic(rng, level)
    text = pick(rng, QUAD[3], q=q)
    cot = (f"The roots have sum ${s}$ and product ${p}$: they are ${r1}$ and ${r2}$, so $r = {big}$. The divisors of "
           f"${big}$ add up to ${ans}$. " + boxed(ans))
    single = Step("Find the larger root with sympy, then sum its divisors.",
                  f"import sympy as sp\nx = sp.symbols('x')\nr = max(sp.solve({pq}, x))\nprint(sp.divisor_sigma(r))",
                  str(ans))
    chain = (Step("First find the larger root.", solve, str(big)),
             Step(f"So $r = {big}$. Now sum its divisors.", f"import sympy\nprint(sympy.divisor_sigma({big}))", str(ans)))
    return Item("quadratic", 3, text, ans, cot, single, f"The sum of the divisors is $\\boxed{{{ans}}}$.", chain)


ARITH = {
    1: ["What is the remainder when the sum of the first ${n}$ terms of the arithmetic sequence ${a}, {a2}, {a3}, \\dots$ is divided by $1000$?",
        "Find the sum of the first ${n}$ terms of ${a}, {a2}, {a3}, \\dots$, modulo $1000$.",
        "The arithmetic sequence ${a}, {a2}, {a3}, \\dots$ is summed up to its ${n}$-th term. What is the sum modulo $1000$?",
        "Compute ${a} + {a2} + {a3} + \\dots$ (${n}$ terms) and give the remainder upon division by $1000$.",
        "Add the first ${n}$ terms of the arithmetic progression with first term ${a}$ and common difference ${d}$. What is the sum modulo $1000$?"],
    2: ["What is the remainder when $1^2 + 2^2 + \\dots + {n}^2$ is divided by $1000$?",
        "Find $\\sum_{{k=1}}^{{{n}}} k^2 \\bmod 1000$.",
        "Compute the sum of the squares of the first ${n}$ positive integers, modulo $1000$.",
        "The squares $1, 4, 9, \\dots, {n}^2$ are added. What are the last three digits of the sum, as a number from 0 to 999?",
        "Give the remainder of $1^2 + 2^2 + 3^2 + \\dots + {n}^2$ upon division by $1000$."],
    3: ["Let $n = 1 + 2 + \\dots + {m}$. Find the remainder when $1^2 + 2^2 + \\dots + n^2$ is divided by $1000$.",
        "Let $n$ be the sum of the first ${m}$ positive integers. What is $\\sum_{{k=1}}^{{n}} k^2 \\bmod 1000$?",
        "If $n$ is the ${m}$-th triangular number, compute the sum of the squares of the first $n$ positive integers, modulo $1000$.",
        "Let $n = \\sum_{{k=1}}^{{{m}}} k$. Give the last three digits of $1^2 + 2^2 + \\dots + n^2$, as a number from 0 to 999.",
        "The integers $1$ through ${m}$ add up to $n$. What is the remainder of $1^2 + 2^2 + \\dots + n^2$ upon division by $1000$?"],
}


@family("arith_series", "algebra")
def arith_series(rng: random.Random, level: int) -> Item:
    """Sum of an arithmetic sequence mod 1000 (level 2: sum of squares; level 3: up to a triangular number)."""
    if level == 1:
        a, d, n = rng.randrange(1, 100), rng.randrange(1, 30), rng.randrange(10, 300)
        total = n * (2 * a + (n - 1) * d) // 2
        ans = total % 1000
        text = pick(rng, ARITH[1], a=a, a2=a + d, a3=a + 2 * d, d=d, n=n)
        cot = (f"The sum is $\\frac{{n}}{{2}}(2a + (n-1)d) = \\frac{{{n}}}{{2}}(2 \\cdot {a} + {n - 1} \\cdot {d}) = "
               f"{total}$, which is ${ans}$ modulo $1000$. " + boxed(ans))
        single = Step("Add the terms directly.", f"print(sum({a} + {d}*i for i in range({n})) % 1000)", str(ans))
        return Item("arith_series", 1, text, ans, cot, single, f"The remainder is $\\boxed{{{ans}}}$.")
    if level == 2:
        n = rng.randrange(20, 2000)
        total = n * (n + 1) * (2 * n + 1) // 6
        ans = total % 1000
        text = pick(rng, ARITH[2], n=n)
        cot = (f"$\\sum_{{k=1}}^{{{n}}} k^2 = \\frac{{{n} \\cdot {n + 1} \\cdot {2 * n + 1}}}{{6}} = {total}$, which is "
               f"${ans}$ modulo $1000$. " + boxed(ans))
        single = Step("Add the squares directly.", f"print(sum(k**2 for k in range(1, {n} + 1)) % 1000)", str(ans))
        return Item("arith_series", 2, text, ans, cot, single, f"The remainder is $\\boxed{{{ans}}}$.")
    m = rng.randrange(5, 100)
    n = m * (m + 1) // 2
    total = n * (n + 1) * (2 * n + 1) // 6
    ans = total % 1000
    text = pick(rng, ARITH[3], m=m)
    cot = (f"$n = \\frac{{{m} \\cdot {m + 1}}}{{2}} = {n}$. Then $\\sum_{{k=1}}^{{{n}}} k^2 = \\frac{{{n} \\cdot {n + 1} "
           f"\\cdot {2 * n + 1}}}{{6}} = {total}$, which is ${ans}$ modulo $1000$. " + boxed(ans))
    single = Step("Compute $n$, then add the squares.",
                  f"n = sum(range(1, {m} + 1))\nprint(sum(k**2 for k in range(1, n + 1)) % 1000)", str(ans))
    chain = (Step(f"First $n = 1 + 2 + \\dots + {m}$.", f"print(sum(range(1, {m} + 1)))", str(n)),
             Step(f"So $n = {n}$. Now the sum of squares up to ${n}$, modulo 1000.",
                  f"print(sum(k**2 for k in range(1, {n} + 1)) % 1000)", str(ans)))
    return Item("arith_series", 3, text, ans, cot, single, f"The remainder is $\\boxed{{{ans}}}$.", chain)


GEOM = {
    1: ["What is the remainder when ${a} + {a}\\cdot {r} + {a}\\cdot {r}^2 + \\dots + {a}\\cdot {r}^{{{last}}}$ is divided by $1000$?",
        "Find the sum of the first ${n}$ terms of the geometric sequence ${a}, {a2}, {a3}, \\dots$, modulo $1000$.",
        "A geometric progression starts ${a}, {a2}, {a3}, \\dots$. What is the sum of its first ${n}$ terms modulo $1000$?",
        "Compute $\\sum_{{i=0}}^{{{last}}} {a} \\cdot {r}^i$ and give the remainder upon division by $1000$.",
        "Add the first ${n}$ terms of the geometric sequence with first term ${a}$ and ratio ${r}$. What is the sum modulo $1000$?"],
    2: ["What is the remainder when $1^{{{k}}} + 2^{{{k}}} + \\dots + {n}^{{{k}}}$ is divided by $1000$?",
        "Find $\\sum_{{j=1}}^{{{n}}} j^{{{k}}} \\bmod 1000$.",
        "Compute the sum of the ${k}$-th powers of the first ${n}$ positive integers, modulo $1000$.",
        "Give the last three digits of $1^{{{k}}} + 2^{{{k}}} + \\dots + {n}^{{{k}}}$, as a number from 0 to 999.",
        "The ${k}$-th powers $1^{{{k}}}, 2^{{{k}}}, \\dots, {n}^{{{k}}}$ are added. What is the sum modulo $1000$?"],
    3: ["Let $s = 1 + {r} + {r}^2 + \\dots + {r}^{{{last}}}$. What is the remainder when $2^s$ is divided by $1000$?",
        "Let $s$ be the sum of the first ${n}$ powers of ${r}$, starting from ${r}^0$. Find $2^s \\bmod 1000$.",
        "If $s = \\sum_{{i=0}}^{{{last}}} {r}^i$, compute the last three digits of $2^s$, as a number from 0 to 999.",
        "The geometric sum $1 + {r} + \\dots + {r}^{{{last}}}$ equals $s$. Give $2^s$ modulo $1000$.",
        "Let $s = 1 + {r} + \\dots + {r}^{{{last}}}$. Find the remainder of $2^s$ upon division by $1000$."],
}


@family("geometric_sum", "algebra")
def geometric_sum(rng: random.Random, level: int) -> Item:
    """Geometric sum mod 1000 (level 2: sum of k-th powers; level 3: s = geometric sum, then 2^s mod 1000)."""
    if level == 1:
        a, r, n = rng.randrange(1, 10), rng.randrange(2, 10), rng.randrange(5, 40)
        total = a * (r ** n - 1) // (r - 1)
        ans = total % 1000
        text = pick(rng, GEOM[1], a=a, r=r, n=n, last=n - 1, a2=a * r, a3=a * r * r)
        cot = (f"The sum is $a \\frac{{r^n - 1}}{{r - 1}} = {a} \\cdot \\frac{{{r}^{{{n}}} - 1}}{{{r - 1}}} = {total}$, "
               f"which is ${ans}$ modulo $1000$. " + boxed(ans))
        single = Step("Add the terms directly.", f"print(sum({a} * {r}**i for i in range({n})) % 1000)", str(ans))
        return Item("geometric_sum", 1, text, ans, cot, single, f"The remainder is $\\boxed{{{ans}}}$.")
    if level == 2:
        k, n = rng.randrange(3, 8), rng.randrange(10, 1000)
        ans = sum(j ** k for j in range(1, n + 1)) % 1000
        text = pick(rng, GEOM[2], k=k, n=n)
        cot = (f"Faulhaber's formula for $\\sum j^{{{k}}}$ evaluated at $n = {n}$ and reduced modulo $1000$ gives ${ans}$. "
               + boxed(ans))
        single = Step("Add the powers directly.", f"print(sum(j**{k} for j in range(1, {n} + 1)) % 1000)", str(ans))
        return Item("geometric_sum", 2, text, ans, cot, single, f"The remainder is $\\boxed{{{ans}}}$.")
    r, n = rng.randrange(2, 10), rng.randrange(3, 9)
    s = (r ** n - 1) // (r - 1)
    ans = pow(2, s, 1000)
    text = pick(rng, GEOM[3], r=r, n=n, last=n - 1)
    cot = (f"$s = \\frac{{{r}^{{{n}}} - 1}}{{{r - 1}}} = {s}$. Repeated squaring modulo $1000$ gives $2^{{{s}}} \\equiv "
           f"{ans}$. " + boxed(ans))
    single = Step("Compute $s$, then $2^s$ modulo 1000.",
                  f"s = sum({r}**i for i in range({n}))\nprint(pow(2, s, 1000))", str(ans))
    chain = (Step("First compute $s$.", f"print(sum({r}**i for i in range({n})))", str(s)),
             Step(f"So $s = {s}$. Now $2^{{{s}}}$ modulo 1000.", f"print(pow(2, {s}, 1000))", str(ans)))
    return Item("geometric_sum", 3, text, ans, cot, single, f"The remainder is $\\boxed{{{ans}}}$.", chain)
