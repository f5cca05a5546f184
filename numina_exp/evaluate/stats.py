"""Seed statistics: mean, sample std, 95 % interval (Student t over seeds; Wilson over pooled problems)."""
from __future__ import annotations

import math
from typing import Sequence

# two-sided 95 % Student t quantiles t_{0.975, df}
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
         11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093,
         20: 2.086, 25: 2.060, 30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980}


def t975(df: int) -> float:
    if df in _T975:
        return _T975[df]
    below = [d for d in _T975 if d <= df]
    return _T975[max(below)] if df < 120 else 1.960


def seed_stats(values: Sequence[float], lo: float = 0.0, hi: float = 1.0) -> dict:
    """mean, std (n-1), and the 95 % t-interval of the mean over seeds (None with one seed), clipped
    to [lo, hi] (accuracies)."""
    k = len(values)
    if k == 0:
        return {"mean": None, "std": None, "ci95": None, "n_seeds": 0}
    mean = sum(values) / k
    if k == 1:
        return {"mean": mean, "std": 0.0, "ci95": None, "n_seeds": 1}
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (k - 1))
    half = t975(k - 1) * std / math.sqrt(k)
    return {"mean": mean, "std": std, "ci95": [max(lo, mean - half), min(hi, mean + half)], "n_seeds": k}


def wilson(correct: int, total: int, z: float = 1.959964) -> list | None:
    if total == 0:
        return None
    p = correct / total
    den = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / den
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / den
    return [max(0.0, centre - half), min(1.0, centre + half)]
