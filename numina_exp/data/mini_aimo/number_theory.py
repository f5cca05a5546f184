"""Number-theory families: modular powers, divisor counts, gcd/lcm, primes in ranges, factorial
trailing zeros, digit sums of large numbers."""
from __future__ import annotations

import math
import random

import sympy

from .core import Item, Step, boxed, family, pick

MODPOW = {
    1: ["What is the remainder when ${a}^{{{b}}}$ is divided by ${m}$?",
        "Find ${a}^{{{b}}} \\bmod {m}$.",
        "Compute the remainder of ${a}^{{{b}}}$ upon division by ${m}$.",
        "When ${a}^{{{b}}}$ is divided by ${m}$, what is the remainder?",
        "Determine the residue of ${a}^{{{b}}}$ modulo ${m}$."],
    2: ["What are the last three digits of ${a}^{{{b}}}$? Give them as a number from 0 to 999.",
        "Find the remainder when ${a}^{{{b}}}$ is divided by $1000$.",
        "Compute ${a}^{{{b}}} \\bmod 1000$.",
        "What is ${a}^{{{b}}}$ modulo $1000$?",
        "Determine the remainder of ${a}^{{{b}}}$ upon division by $1000$."],
    3: ["Let $r$ be the remainder when ${a}^{{{b}}}$ is divided by ${m}$. Find the remainder when $r^{{{c}}}$ is divided by ${n}$.",
        "Let $r = {a}^{{{b}}} \\bmod {m}$. What is $r^{{{c}}} \\bmod {n}$?",
        "If $r$ is the remainder of ${a}^{{{b}}}$ modulo ${m}$, compute the remainder of $r^{{{c}}}$ modulo ${n}$.",
        "Let $r$ denote ${a}^{{{b}}}$ modulo ${m}$. Find $r^{{{c}}}$ modulo ${n}$.",
        "The remainder of ${a}^{{{b}}}$ divided by ${m}$ is $r$. What is the remainder of $r^{{{c}}}$ divided by ${n}$?"],
}


@family("modpow", "number theory")
def modpow(rng: random.Random, level: int) -> Item:
    """a^b mod m (level 2: mod 1000; level 3: r = a^b mod m, then r^c mod n)."""
    if level == 1:
        a, b, m = rng.randrange(2, 30), rng.randrange(10, 200), rng.randrange(7, 100)
    elif level == 2:
        a, b, m = rng.randrange(2, 1000), rng.randrange(100, 10000), 1000
    else:
        a, b, m = rng.randrange(2, 100), rng.randrange(50, 1000), rng.randrange(50, 500)
    r = pow(a, b, m)
    if level < 3:
        text = pick(rng, MODPOW[level], a=a, b=b, m=m)
        cot = (f"We need ${a}^{{{b}}}$ modulo ${m}$. Squaring repeatedly and reducing modulo ${m}$ after every "
               f"multiplication keeps the numbers small; combining the squares for the binary digits of ${b}$ gives "
               f"${a}^{{{b}}} \\equiv {r} \\pmod{{{m}}}$. " + boxed(r))
        single = Step("Python's three-argument `pow` does modular exponentiation directly.",
                      f"print(pow({a}, {b}, {m}))", str(r))
        return Item("modpow", level, text, r, cot, single, f"The remainder is $\\boxed{{{r}}}$.")
    c, n = rng.randrange(2, 50), rng.randrange(7, 1000)
    ans = pow(r, c, n)
    text = pick(rng, MODPOW[3], a=a, b=b, m=m, c=c, n=n)
    cot = (f"First, repeated squaring modulo ${m}$ gives $r = {a}^{{{b}}} \\bmod {m} = {r}$. Then, again by repeated "
           f"squaring, ${r}^{{{c}}} \\equiv {ans} \\pmod{{{n}}}$. " + boxed(ans))
    single = Step("Compute $r$ with modular exponentiation, then raise it again.",
                  f"r = pow({a}, {b}, {m})\nprint(pow(r, {c}, {n}))", str(ans))
    chain = (Step(f"First find $r = {a}^{{{b}}} \\bmod {m}$.", f"print(pow({a}, {b}, {m}))", str(r)),
             Step(f"So $r = {r}$. Now compute ${r}^{{{c}}} \\bmod {n}$.", f"print(pow({r}, {c}, {n}))", str(ans)))
    return Item("modpow", 3, text, ans, cot, single, f"The remainder is $\\boxed{{{ans}}}$.", chain)


DIVISORS = {
    1: ["How many positive divisors does ${n}$ have?",
        "Find the number of positive divisors of ${n}$.",
        "Count the positive integers that divide ${n}$.",
        "What is the number of positive factors of ${n}$?",
        "How many positive integers divide ${n}$ evenly?"],
    2: ["What is the remainder when the sum of the positive divisors of ${n}$ is divided by $1000$?",
        "Let $S$ be the sum of all positive divisors of ${n}$. Find $S \\bmod 1000$.",
        "Find the sum of the positive factors of ${n}$, modulo $1000$.",
        "Compute $\\sigma({n}) \\bmod 1000$, where $\\sigma(n)$ is the sum of the positive divisors of $n$.",
        "The positive divisors of ${n}$ are added together. What is the remainder of this sum upon division by $1000$?"],
    3: ["Let $d$ be the number of positive divisors of ${n}$. Find the sum of the positive divisors of $d$.",
        "If ${n}$ has $d$ positive divisors, what is the sum of the positive divisors of $d$?",
        "Let $d$ count the positive factors of ${n}$. Compute $\\sigma(d)$, the sum of the positive divisors of $d$.",
        "The number ${n}$ has exactly $d$ positive divisors. What is the sum of all positive divisors of $d$?",
        "Let $d$ be how many positive integers divide ${n}$. Find the sum of the positive integers that divide $d$."],
}


@family("divisors", "number theory")
def divisors(rng: random.Random, level: int) -> Item:
    """Number of divisors of n (level 2: sum of divisors mod 1000; level 3: sigma of the divisor count)."""
    if level == 1:
        n = rng.randrange(12, 1000)
        d = int(sympy.divisor_count(n))
        text = pick(rng, DIVISORS[1], n=n)
        fac = " \\cdot ".join(f"{p}^{{{e}}}" if e > 1 else str(p) for p, e in sorted(sympy.factorint(n).items()))
        cot = (f"Factor ${n} = {fac}$. The number of divisors is the product of the exponents plus one, which is ${d}$. "
               + boxed(d))
        single = Step("`sympy.divisor_count` counts the divisors.", f"import sympy\nprint(sympy.divisor_count({n}))", str(d))
        return Item("divisors", 1, text, d, cot, single, f"So ${n}$ has $\\boxed{{{d}}}$ positive divisors.")
    if level == 2:
        n = rng.randrange(1000, 100000)
        s = int(sympy.divisor_sigma(n)) % 1000
        text = pick(rng, DIVISORS[2], n=n)
        cot = (f"The sum of divisors is multiplicative: factor ${n}$ and multiply $1 + p + \\dots + p^e$ over its prime "
               f"powers. Reducing modulo $1000$ gives ${s}$. " + boxed(s))
        single = Step("`sympy.divisor_sigma` sums the divisors; then reduce modulo 1000.",
                      f"import sympy\nprint(sympy.divisor_sigma({n}) % 1000)", str(s))
        return Item("divisors", 2, text, s, cot, single, f"The remainder is $\\boxed{{{s}}}$.")
    while True:
        n = rng.randrange(1000, 1000000)
        d = int(sympy.divisor_count(n))
        s = int(sympy.divisor_sigma(d))
        if s < 1000:
            break
    text = pick(rng, DIVISORS[3], n=n)
    cot = (f"Factoring ${n}$ and multiplying the exponents plus one gives $d = {d}$. The divisors of ${d}$ sum to ${s}$. "
           + boxed(s))
    single = Step("Count the divisors of the number, then sum the divisors of that count.",
                  f"import sympy\nd = sympy.divisor_count({n})\nprint(sympy.divisor_sigma(d))", str(s))
    chain = (Step(f"First count the divisors of ${n}$.", f"import sympy\nprint(sympy.divisor_count({n}))", str(d)),
             Step(f"So $d = {d}$. Now sum the divisors of ${d}$.", f"import sympy\nprint(sympy.divisor_sigma({d}))", str(s)))
    return Item("divisors", 3, text, s, cot, single, f"The sum is $\\boxed{{{s}}}$.", chain)


GCD = {
    1: ["What is the greatest common divisor of ${a}$ and ${b}$?",
        "Find $\\gcd({a}, {b})$.",
        "Compute the largest positive integer that divides both ${a}$ and ${b}$.",
        "What is the greatest common factor of ${a}$ and ${b}$?",
        "Determine the GCD of the numbers ${a}$ and ${b}$."],
    2: ["What is the remainder when the least common multiple of ${a}$ and ${b}$ is divided by $1000$?",
        "Find $\\operatorname{{lcm}}({a}, {b}) \\bmod 1000$.",
        "Let $L$ be the least common multiple of ${a}$ and ${b}$. What is $L$ modulo $1000$?",
        "Compute the last three digits of $\\operatorname{{lcm}}({a}, {b})$, as a number from 0 to 999.",
        "The smallest positive integer divisible by both ${a}$ and ${b}$ is divided by $1000$. What is the remainder?"],
    3: ["Let $g = \\gcd({a}, {b})$. Find the remainder when $\\operatorname{{lcm}}(g, {c})$ is divided by $1000$.",
        "Let $g$ be the greatest common divisor of ${a}$ and ${b}$. What is the least common multiple of $g$ and ${c}$, modulo $1000$?",
        "If $g$ is the GCD of ${a}$ and ${b}$, compute $\\operatorname{{lcm}}(g, {c}) \\bmod 1000$.",
        "The greatest common factor of ${a}$ and ${b}$ is $g$. Find the last three digits of $\\operatorname{{lcm}}(g, {c})$, as a number from 0 to 999.",
        "Let $g$ denote $\\gcd({a}, {b})$. What is the remainder of $\\operatorname{{lcm}}(g, {c})$ upon division by $1000$?"],
}


@family("gcd_lcm", "number theory")
def gcd_lcm(rng: random.Random, level: int) -> Item:
    """gcd(a, b) (level 2: lcm(a, b) mod 1000; level 3: g = gcd(a, b), then lcm(g, c) mod 1000)."""
    if level == 1:
        while True:
            g = rng.randrange(2, 100)
            a, b = g * rng.randrange(2, 60), g * rng.randrange(2, 60)
            ans = math.gcd(a, b)
            if ans < 1000:
                break
        text = pick(rng, GCD[1], a=a, b=b)
        cot = (f"By the Euclidean algorithm, repeatedly replacing the larger number by its remainder modulo the smaller, "
               f"$\\gcd({a}, {b}) = {ans}$. " + boxed(ans))
        single = Step("Use `math.gcd`.", f"import math\nprint(math.gcd({a}, {b}))", str(ans))
        return Item("gcd_lcm", 1, text, ans, cot, single, f"The greatest common divisor is $\\boxed{{{ans}}}$.")
    if level == 2:
        a, b = rng.randrange(100, 10000), rng.randrange(100, 10000)
        lcm = math.lcm(a, b)
        ans = lcm % 1000
        text = pick(rng, GCD[2], a=a, b=b)
        cot = (f"$\\operatorname{{lcm}}({a}, {b}) = \\frac{{{a} \\cdot {b}}}{{\\gcd({a}, {b})}} = {lcm}$, whose remainder "
               f"modulo $1000$ is ${ans}$. " + boxed(ans))
        single = Step("Use `math.lcm`, then reduce modulo 1000.", f"import math\nprint(math.lcm({a}, {b}) % 1000)", str(ans))
        return Item("gcd_lcm", 2, text, ans, cot, single, f"The remainder is $\\boxed{{{ans}}}$.")
    g0 = rng.randrange(2, 200)
    a, b, c = g0 * rng.randrange(2, 50), g0 * rng.randrange(2, 50), rng.randrange(10, 1000)
    g = math.gcd(a, b)
    ans = math.lcm(g, c) % 1000
    text = pick(rng, GCD[3], a=a, b=b, c=c)
    cot = (f"By the Euclidean algorithm $g = \\gcd({a}, {b}) = {g}$. Then $\\operatorname{{lcm}}({g}, {c}) = "
           f"{math.lcm(g, c)}$, which is ${ans}$ modulo $1000$. " + boxed(ans))
    single = Step("Compute $g$ with `math.gcd`, then the lcm.",
                  f"import math\ng = math.gcd({a}, {b})\nprint(math.lcm(g, {c}) % 1000)", str(ans))
    chain = (Step(f"First find $g = \\gcd({a}, {b})$.", f"import math\nprint(math.gcd({a}, {b}))", str(g)),
             Step(f"So $g = {g}$. Now the lcm with ${c}$, modulo 1000.", f"import math\nprint(math.lcm({g}, {c}) % 1000)",
                  str(ans)))
    return Item("gcd_lcm", 3, text, ans, cot, single, f"The remainder is $\\boxed{{{ans}}}$.", chain)


PRIMES = {
    1: ["How many prime numbers are less than or equal to ${n}$?",
        "Find the number of primes not exceeding ${n}$.",
        "Count the primes $p$ with $p \\le {n}$.",
        "What is $\\pi({n})$, the number of primes at most ${n}$?",
        "How many primes lie between $1$ and ${n}$ inclusive?"],
    2: ["How many prime numbers are there between ${a}$ and ${b}$, inclusive?",
        "Find the number of primes $p$ with ${a} \\le p \\le {b}$.",
        "Count the primes in the interval $[{a}, {b}]$.",
        "How many integers from ${a}$ to ${b}$ inclusive are prime?",
        "Determine how many primes lie between ${a}$ and ${b}$ (both included)."],
    3: ["Let $k$ be the number of primes less than or equal to ${n}$. What is the $k$-th prime?",
        "There are $k$ primes not exceeding ${n}$. Find the $k$-th smallest prime number.",
        "Let $k = \\pi({n})$ be the number of primes at most ${n}$. Compute the $k$-th prime.",
        "If $k$ counts the primes $p \\le {n}$, what is the $k$-th prime number?",
        "Let $k$ be how many primes lie between $1$ and ${n}$ inclusive. Find the $k$-th prime."],
}


@family("primes", "number theory")
def primes(rng: random.Random, level: int) -> Item:
    """Primes up to n (level 2: primes in [a, b]; level 3: k = pi(n), then the k-th prime)."""
    if level == 1:
        n = rng.randrange(30, 1000)
        k = int(sympy.primepi(n))
        text = pick(rng, PRIMES[1], n=n)
        cot = (f"Sieving the integers up to ${n}$ (cross out multiples of each prime up to $\\sqrt{{{n}}}$) leaves ${k}$ "
               f"primes. " + boxed(k))
        single = Step("`sympy.primepi(n)` counts the primes up to $n$.", f"import sympy\nprint(sympy.primepi({n}))", str(k))
        return Item("primes", 1, text, k, cot, single, f"There are $\\boxed{{{k}}}$ such primes.")
    if level == 2:
        a = rng.randrange(100, 5000)
        b = a + rng.randrange(100, 2000)
        k = len(list(sympy.primerange(a, b + 1)))
        text = pick(rng, PRIMES[2], a=a, b=b)
        cot = (f"Sieving the interval $[{a}, {b}]$ by the primes up to $\\sqrt{{{b}}}$ leaves ${k}$ primes. " + boxed(k))
        single = Step("List the primes in the range with `sympy.primerange` (its end is exclusive) and count them.",
                      f"import sympy\nprint(len(list(sympy.primerange({a}, {b} + 1))))", str(k))
        return Item("primes", 2, text, k, cot, single, f"There are $\\boxed{{{k}}}$ primes in the range.")
    n = rng.randrange(20, 1000)
    k = int(sympy.primepi(n))
    p = int(sympy.prime(k))
    text = pick(rng, PRIMES[3], n=n)
    cot = (f"Sieving up to ${n}$ gives $k = {k}$ primes, so the $k$-th prime is the largest prime not exceeding ${n}$, "
           f"which is ${p}$. " + boxed(p))
    single = Step("Count the primes with `sympy.primepi`, then take the $k$-th prime with `sympy.prime`.",
                  f"import sympy\nk = sympy.primepi({n})\nprint(sympy.prime(k))", str(p))
    chain = (Step(f"First count the primes up to ${n}$.", f"import sympy\nprint(sympy.primepi({n}))", str(k)),
             Step(f"So $k = {k}$. Now find the ${k}$-th prime.", f"import sympy\nprint(sympy.prime({k}))", str(p)))
    return Item("primes", 3, text, p, cot, single, f"The $k$-th prime is $\\boxed{{{p}}}$.", chain)


def _zeros(n: int) -> int:
    return sum(n // 5 ** i for i in range(1, 8))


ZEROS = {
    1: ["How many zeros are at the end of ${n}!$?",
        "Find the number of trailing zeros of ${n}!$.",
        "When ${n}!$ is written out in full, how many zeros does it end with?",
        "Determine how many consecutive zeros appear at the right end of ${n}!$.",
        "Count the trailing zeros in the decimal expansion of ${n}!$."],
    2: ["What is the largest integer $k$ such that ${p}^k$ divides ${n}!$?",
        "Find the exponent of the prime ${p}$ in the prime factorization of ${n}!$.",
        "How many times does the factor ${p}$ appear in ${n}!$?",
        "Determine the highest power of ${p}$ that divides ${n}!$; give the exponent.",
        "For how large a $k$ is ${n}!$ divisible by ${p}^k$? Give the largest such $k$."],
    3: ["Let $z$ be the number of trailing zeros of ${n}!$. How many trailing zeros does $z!$ have?",
        "The number ${n}!$ ends in exactly $z$ zeros. How many zeros does $z!$ end in?",
        "Let $z$ count the zeros at the end of ${n}!$. Find the number of trailing zeros of $z!$.",
        "If ${n}!$ has $z$ trailing zeros, determine the number of trailing zeros of $z!$.",
        "Let $z$ be how many consecutive zeros end ${n}!$. How many consecutive zeros end $z!$?"],
}


@family("trailing_zeros", "number theory")
def trailing_zeros(rng: random.Random, level: int) -> Item:
    """Trailing zeros of n! (level 2: exponent of p in n!; level 3: zeros of z! where z = zeros of n!)."""
    if level == 1:
        n = rng.randrange(10, 1000)
        z = _zeros(n)
        text = pick(rng, ZEROS[1], n=n)
        cot = (f"Each trailing zero needs a factor $5$ (twos are plentiful), so count fives: $\\sum_i \\lfloor {n}/5^i "
               f"\\rfloor = {z}$. " + boxed(z))
        single = Step("Write out the factorial and count the zeros at its end.",
                      f"import math\ns = str(math.factorial({n}))\nprint(len(s) - len(s.rstrip('0')))", str(z))
        return Item("trailing_zeros", 1, text, z, cot, single, f"It ends in $\\boxed{{{z}}}$ zeros.")
    if level == 2:
        p = rng.choice([2, 3, 5, 7, 11, 13])
        n = rng.randrange(50, 1000)
        k = sum(n // p ** i for i in range(1, 12))
        text = pick(rng, ZEROS[2], n=n, p=p)
        cot = f"By Legendre's formula the exponent is $\\sum_i \\lfloor {n}/{p}^i \\rfloor = {k}$. " + boxed(k)
        single = Step(f"`sympy.multiplicity` gives the exponent of ${p}$ in ${n}!$.",
                      f"import math, sympy\nprint(sympy.multiplicity({p}, math.factorial({n})))", str(k))
        return Item("trailing_zeros", 2, text, k, cot, single, f"The exponent is $\\boxed{{{k}}}$.")
    n = rng.randrange(100, 1500)  # str() of n! stays under Python's 4300-digit limit
    z = _zeros(n)
    ans = _zeros(z)
    text = pick(rng, ZEROS[3], n=n)
    cot = (f"Counting factors of five, ${n}!$ has $z = \\sum_i \\lfloor {n}/5^i \\rfloor = {z}$ trailing zeros, and "
           f"${z}!$ has $\\sum_i \\lfloor {z}/5^i \\rfloor = {ans}$. " + boxed(ans))
    single = Step("Count the factors of $5$ twice.",
                  f"def zeros(n):\n    return sum(n // 5**i for i in range(1, 8))\nprint(zeros(zeros({n})))", str(ans))
    chain = (Step(f"First count the trailing zeros of ${n}!$.",
                  f"import math\ns = str(math.factorial({n}))\nprint(len(s) - len(s.rstrip('0')))", str(z)),
             Step(f"So $z = {z}$. Now count the trailing zeros of ${z}!$.",
                  f"import math\ns = str(math.factorial({z}))\nprint(len(s) - len(s.rstrip('0')))", str(ans)))
    return Item("trailing_zeros", 3, text, ans, cot, single, f"$z!$ ends in $\\boxed{{{ans}}}$ zeros.", chain)


DIGITS = {
    1: ["What is the sum of the digits of ${a}^{{{b}}}$?",
        "Find the digit sum of ${a}^{{{b}}}$.",
        "Add up the decimal digits of ${a}^{{{b}}}$. What do you get?",
        "Compute the sum of all digits in the decimal representation of ${a}^{{{b}}}$.",
        "When ${a}^{{{b}}}$ is written in base ten, what is the sum of its digits?"],
    2: ["What is the sum of the digits of ${n}!$?",
        "Find the digit sum of ${n}!$.",
        "Add up the decimal digits of ${n}!$. What do you get?",
        "Compute the sum of all digits in the decimal representation of ${n}!$.",
        "When ${n}!$ is written in base ten, what is the sum of its digits?"],
    3: ["Let $s$ be the sum of the digits of ${a}^{{{b}}}$. What is the sum of the digits of $2^s$?",
        "The digits of ${a}^{{{b}}}$ add up to $s$. Find the digit sum of $2^s$.",
        "Let $s$ denote the digit sum of ${a}^{{{b}}}$. Compute the digit sum of $2^s$.",
        "If $s$ is the sum of the decimal digits of ${a}^{{{b}}}$, what is the sum of the decimal digits of $2^s$?",
        "Let $s$ be the digit sum of ${a}^{{{b}}}$. Add up the digits of $2^s$."],
}


def _dsum(n: int) -> int:
    return sum(int(c) for c in str(n))


@family("digit_sum", "number theory")
def digit_sum(rng: random.Random, level: int) -> Item:
    """Digit sum of a^b (level 2: of n!; level 3: s = digit sum of a^b, then digit sum of 2^s)."""
    if level == 1:
        a, b = rng.randrange(2, 10), rng.randrange(10, 80)
        ans = _dsum(a ** b)
        text = pick(rng, DIGITS[1], a=a, b=b)
        cot = f"Writing out ${a}^{{{b}}} = {a ** b}$ and adding its digits gives ${ans}$. " + boxed(ans)
        single = Step("Convert the power to a string and add its digits.",
                      f"print(sum(int(c) for c in str({a}**{b})))", str(ans))
        return Item("digit_sum", 1, text, ans, cot, single, f"The digit sum is $\\boxed{{{ans}}}$.")
    if level == 2:
        n = rng.randrange(15, 100)
        ans = _dsum(math.factorial(n))
        text = pick(rng, DIGITS[2], n=n)
        cot = f"Multiplying out ${n}!$ digit by digit and adding the digits of the result gives ${ans}$. " + boxed(ans)
        single = Step("Write out the factorial and add its digits.",
                      f"import math\nprint(sum(int(c) for c in str(math.factorial({n}))))", str(ans))
        return Item("digit_sum", 2, text, ans, cot, single, f"The digit sum is $\\boxed{{{ans}}}$.")
    a, b = rng.randrange(2, 10), rng.randrange(5, 60)
    s = _dsum(a ** b)
    ans = _dsum(2 ** s)
    text = pick(rng, DIGITS[3], a=a, b=b)
    cot = (f"${a}^{{{b}}} = {a ** b}$, whose digits add up to $s = {s}$. Then $2^{{{s}}}$ has digit sum ${ans}$. "
           + boxed(ans))
    single = Step("Compute $s$, then the digit sum of $2^s$.",
                  f"s = sum(int(c) for c in str({a}**{b}))\nprint(sum(int(c) for c in str(2**s)))", str(ans))
    chain = (Step(f"First the digit sum of ${a}^{{{b}}}$.", f"print(sum(int(c) for c in str({a}**{b})))", str(s)),
             Step(f"So $s = {s}$. Now the digit sum of $2^{{{s}}}$.", f"print(sum(int(c) for c in str(2**{s})))", str(ans)))
    return Item("digit_sum", 3, text, ans, cot, single, f"The digit sum is $\\boxed{{{ans}}}$.", chain)
