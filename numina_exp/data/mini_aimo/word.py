"""Arithmetic word problems: shopping totals and change, packs bought for a need, rates and work."""
from __future__ import annotations

import random

from .combinatorics import NAMES
from .core import Item, Step, boxed, family, pick

GOODS = [("notebook", "pen"), ("apple", "pear"), ("ticket", "drink"), ("shirt", "sock"), ("book", "bookmark"),
         ("cake", "cookie"), ("plant", "pot"), ("ball", "bat")]

SHOP = {
    1: ["{who} buys {a} {g1}s at ${p}$ dollars each and {b} {g2}s at ${q}$ dollars each. How many dollars does {who} spend?",
        "A {g1} costs ${p}$ dollars and a {g2} costs ${q}$ dollars. What is the total cost of {a} {g1}s and {b} {g2}s, in dollars?",
        "{who} pays for {a} {g1}s (${p}$ dollars each) and {b} {g2}s (${q}$ dollars each). What is the bill in dollars?",
        "At a market, {g1}s sell for ${p}$ dollars and {g2}s for ${q}$ dollars. How much do {a} {g1}s and {b} {g2}s cost together?",
        "How many dollars do {a} {g1}s at ${p}$ dollars apiece and {b} {g2}s at ${q}$ dollars apiece cost in total?"],
    2: ["{who} has ${m}$ dollars and buys {a} {g1}s at ${p}$ dollars each and {b} {g2}s at ${q}$ dollars each. How many dollars are left?",
        "With ${m}$ dollars, {who} buys {a} {g1}s (${p}$ dollars each) and {b} {g2}s (${q}$ dollars each). How much money remains, in dollars?",
        "{who} pays for {a} {g1}s at ${p}$ dollars each and {b} {g2}s at ${q}$ dollars each out of ${m}$ dollars. What is the change in dollars?",
        "A {g1} costs ${p}$ dollars and a {g2} costs ${q}$ dollars. {who} starts with ${m}$ dollars and buys {a} {g1}s and {b} {g2}s. How many dollars does {who} have afterwards?",
        "How many dollars remain from ${m}$ dollars after buying {a} {g1}s for ${p}$ dollars each and {b} {g2}s for ${q}$ dollars each?"],
    3: ["{g1}s come in packs of {k} costing ${p}$ dollars a pack. {who} needs at least {n} {g1}s. How many dollars does {who} spend on the fewest packs that suffice?",
        "A shop sells {g1}s only in packs of {k}, at ${p}$ dollars per pack. What is the least number of dollars {who} must spend to get at least {n} {g1}s?",
        "{who} needs {n} {g1}s. They are sold in packs of {k} for ${p}$ dollars per pack. Buying as few packs as possible, how many dollars does {who} pay?",
        "To get at least {n} {g1}s, {who} buys the smallest number of packs of {k}. Each pack costs ${p}$ dollars. What is the total cost in dollars?",
        "Packs of {k} {g1}s cost ${p}$ dollars each. What is the cheapest way, in dollars, for {who} to get at least {n} {g1}s?"],
}


@family("word_shop", "word problem")
def word_shop(rng: random.Random, level: int) -> Item:
    """A bill (level 2: change left; level 3: packs needed, then their cost)."""
    who = rng.choice(NAMES)
    g1, g2 = rng.choice(GOODS)
    if level < 3:
        while True:
            a, b, p, q = rng.randrange(2, 30), rng.randrange(2, 30), rng.randrange(2, 40), rng.randrange(2, 40)
            cost = a * p + b * q
            if cost < 1000:
                break
        if level == 1:
            text = pick(rng, SHOP[1], who=who, g1=g1, g2=g2, a=a, b=b, p=p, q=q)
            cot = f"The {g1}s cost ${a} \\cdot {p} = {a * p}$ and the {g2}s ${b} \\cdot {q} = {b * q}$; in total ${cost}$. " + boxed(cost)
            single = Step("Add the two costs.", f"print({a} * {p} + {b} * {q})", str(cost))
            return Item("word_shop", 1, text, cost, cot, single, f"The total is $\\boxed{{{cost}}}$ dollars.")
        m = cost + rng.randrange(0, 1000 - cost)
        left = m - cost
        text = pick(rng, SHOP[2], who=who, g1=g1, g2=g2, a=a, b=b, p=p, q=q, m=m)
        cot = (f"The purchase costs ${a} \\cdot {p} + {b} \\cdot {q} = {cost}$, leaving ${m} - {cost} = {left}$. "
               + boxed(left))
        single = Step("Subtract the cost from the money.", f"print({m} - ({a} * {p} + {b} * {q}))", str(left))
        return Item("word_shop", 2, text, left, cot, single, f"$\\boxed{{{left}}}$ dollars are left.")
    while True:
        k, p, n = rng.randrange(3, 25), rng.randrange(2, 30), rng.randrange(20, 1000)
        packs = -(-n // k)
        cost = packs * p
        if cost < 1000:
            break
    text = pick(rng, SHOP[3], who=who, g1=g1, k=k, p=p, n=n)
    cot = (f"{who} needs $\\lceil {n}/{k} \\rceil = {packs}$ packs, costing ${packs} \\cdot {p} = {cost}$ dollars. "
           + boxed(cost))
    single = Step("Round the number of packs up, then multiply by the price.",
                  f"import math\npacks = math.ceil({n} / {k})\nprint(packs * {p})", str(cost))
    chain = (Step("First the number of packs, rounded up.", f"import math\nprint(math.ceil({n} / {k}))", str(packs)),
             Step(f"So {packs} packs are needed. Now their cost.", f"print({packs} * {p})", str(cost)))
    return Item("word_shop", 3, text, cost, cot, single, f"{who} pays $\\boxed{{{cost}}}$ dollars.", chain)


RATE = {
    1: ["A machine fills {r} bottles per minute. How many bottles do {m} such machines fill in {t} minutes?",
        "Each of {m} printers prints {r} pages per minute. How many pages do they print together in {t} minutes?",
        "{m} workers each pack {r} boxes per hour. How many boxes do they pack in {t} hours?",
        "A bakery has {m} ovens, each baking {r} loaves per hour. How many loaves are baked in {t} hours?",
        "{m} pumps each move {r} liters per minute. How many liters do they move in {t} minutes?"],
    2: ["A car drives {d1} km at {v1} km/h and then {d2} km at {v2} km/h. How many minutes does the trip take?",
        "{who} cycles {d1} km at {v1} km/h, then {d2} km at {v2} km/h. How long, in minutes, is the ride?",
        "A train covers {d1} km at {v1} km/h and the next {d2} km at {v2} km/h. Find the total travel time in minutes.",
        "{who} runs {d1} km at {v1} km/h and walks {d2} km at {v2} km/h. How many minutes does it take altogether?",
        "A boat travels {d1} km at {v1} km/h, then {d2} km at {v2} km/h. What is the total time in minutes?"],
    3: ["{w} workers build {b} walls in {d} days. Working at the same rate, how many days do {w2} workers need to build {b2} walls?",
        "It takes {w} painters {d} days to paint {b} rooms. At the same rate, how many days do {w2} painters need for {b2} rooms?",
        "{w} machines produce {b} crates in {d} hours. How many hours do {w2} machines need to produce {b2} crates at the same rate?",
        "A crew of {w} gardeners plants {b} beds in {d} days. How many days would {w2} gardeners take to plant {b2} beds at the same pace?",
        "{w} cooks prepare {b} trays of food in {d} hours. At that rate, how many hours do {w2} cooks need for {b2} trays?"],
}


@family("word_rate", "word problem")
def word_rate(rng: random.Random, level: int) -> Item:
    """Rate x machines x time (level 2: trip time in minutes; level 3: work per unit, then days needed)."""
    who = rng.choice(NAMES)
    if level == 1:
        while True:
            r, m, t = rng.randrange(2, 40), rng.randrange(2, 12), rng.randrange(2, 30)
            ans = r * m * t
            if ans < 1000:
                break
        text = pick(rng, RATE[1], r=r, m=m, t=t)
        cot = f"Together they do ${m} \\cdot {r} = {m * r}$ per unit of time, so ${m * r} \\cdot {t} = {ans}$. " + boxed(ans)
        single = Step("Multiply rate, count and time.", f"print({r} * {m} * {t})", str(ans))
        return Item("word_rate", 1, text, ans, cot, single, boxed(ans))
    if level == 2:
        while True:
            v1, v2 = rng.choice([12, 15, 20, 30, 40, 45, 60, 72, 80, 90]), rng.choice([4, 5, 6, 10, 12, 15, 20, 30, 60])
            t1, t2 = rng.randrange(1, 60) * 5, rng.randrange(1, 60) * 5  # minutes
            d1, d2 = v1 * t1 / 60, v2 * t2 / 60
            if d1.is_integer() and d2.is_integer() and t1 + t2 < 1000:
                break
        d1, d2, ans = int(d1), int(d2), t1 + t2
        text = pick(rng, RATE[2], who=who, d1=d1, v1=v1, d2=d2, v2=v2)
        cot = (f"The first part takes ${d1}/{v1}$ h $= {t1}$ min, the second ${d2}/{v2}$ h $= {t2}$ min; together "
               f"${ans}$ minutes. " + boxed(ans))
        single = Step("Time is distance over speed, in hours; times 60 for minutes.",
                      f"print(round(({d1} / {v1} + {d2} / {v2}) * 60))", str(ans))
        return Item("word_rate", 2, text, ans, cot, single, f"The trip takes $\\boxed{{{ans}}}$ minutes.")
    while True:
        e, b = rng.randrange(2, 20), rng.randrange(2, 20)  # e worker-days per wall
        w = rng.randrange(2, 15)
        w2, b2 = rng.randrange(2, 15), rng.randrange(2, 60)
        if (e * b) % w or (e * b2) % w2:
            continue
        d, ans = e * b // w, e * b2 // w2
        if ans < 1000:
            break
    text = pick(rng, RATE[3], w=w, b=b, d=d, w2=w2, b2=b2)
    cot = (f"One unit takes ${w} \\cdot {d} / {b} = {e}$ worker-days, so ${b2}$ units take ${e * b2}$ worker-days, "
           f"which {w2} workers finish in ${ans}$. " + boxed(ans))
    single = Step("Work per unit is workers times time over units; then divide the new work by the new crew.",
                  f"e = {w} * {d} // {b}\nprint(e * {b2} // {w2})", str(ans))
    chain = (Step("First the work needed for one unit, in worker-days.", f"print({w} * {d} // {b})", str(e)),
             Step(f"So one unit takes {e} worker-days. Now the new job with the new crew.", f"print({e} * {b2} // {w2})",
                  str(ans)))
    return Item("word_rate", 3, text, ans, cot, single, f"They need $\\boxed{{{ans}}}$ days.", chain)
