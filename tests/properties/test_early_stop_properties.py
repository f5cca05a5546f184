"""Lossless early stop never changes the answer, for any vote sequence hypothesis can find: whenever
`can_change` says a problem may stop, no way of finishing its running copies (any value seen or unseen,
or none, landing as early as they can or at the end) gives another winner than the vote at the stop."""
from __future__ import annotations

import itertools
from collections import Counter
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from numina_exp.decode.early_stop import can_change

M_END = 3
FRESH = 99  # a value no finished copy has


def _winners(values, tie_break):
    vals = [v for v in values if v is not None]
    if not vals:
        return {0}
    counts = Counter(vals)
    top = max(counts.values())
    tied = [v for v in dict.fromkeys(vals) if counts[v] == top]
    if tie_break == "first_seen":
        return {tied[0]}
    if tie_break == "smallest":
        return {min(tied)}
    return set(tied)


def _any_finish_changes(finished, running, tie_break) -> bool:
    now = _winners([v for _, v in sorted(finished)], tie_break)
    values = sorted({v for _, v in finished if v is not None}) + [FRESH, None]
    choices = [[((s, i), v) for s in sorted({step, M_END}) for v in values] for step, i in running]
    return any(_winners([v for _, v in sorted(finished + list(o))], tie_break) != now
               for o in itertools.product(*choices))


COPY = st.one_of(st.tuples(st.just("fin"), st.integers(0, M_END - 1), st.one_of(st.none(), st.integers(1, 4))),
                 st.tuples(st.just("run"), st.integers(0, M_END - 1), st.none()))


@settings(max_examples=400, deadline=None)
@given(copies=st.lists(COPY, min_size=1, max_size=6), tie_break=st.sampled_from(["first_seen", "smallest", "random"]))
def test_lossless_stop_never_changes_the_winner(copies, tie_break):
    finished = [((s, i), v) for i, (k, s, v) in enumerate(copies) if k == "fin"]
    running = [(s, i) for i, (k, s, v) in enumerate(copies) if k == "run"]
    if len(running) > 3:
        running = running[:3]  # keep the brute force small (the others count as not there)
    d = SimpleNamespace(vote_equivalence="integer", tie_break=tie_break, integer_mode="round")
    if not can_change(finished, running, d):
        assert not _any_finish_changes(finished, running, tie_break), (finished, running)
