"""Greedy: one sample at temperature 0 per problem, answer extracted with decoding.answer_rule.
Same engine as maj@k with k = 1 (validation enforces n = 1, temperature = 0)."""
from __future__ import annotations

from .majority import decode as _decode


def decode(dec, problems, seed, log):
    return _decode(dec, problems, seed, log)
