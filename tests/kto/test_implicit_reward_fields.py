"""evaluate/implicit_reward.py, the fields the KTO report prints: every entry of evaluate_rewards against
values worked out by hand, AUROC against brute-force pair counting on many tied scores, the majority vote's
math equivalence, and heldout_implicit_rewards' answer when there is nothing to score."""
from __future__ import annotations

import random

import pytest

from numina_exp.evaluate.implicit_reward import auroc, evaluate_rewards, heldout_implicit_rewards


def _pairs_auroc(scores, positives):
    pos = [s for s, p in zip(scores, positives) if p]
    neg = [s for s, p in zip(scores, positives) if not p]
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


def test_auroc_is_the_pairwise_win_rate_with_ties_counting_half():
    rng = random.Random(0)
    for _ in range(300):
        n = rng.randint(2, 12)
        scores = [rng.choice([0.0, 0.5, 1.0, 2.0]) for _ in range(n)]  # few values: long runs of ties
        positives = [rng.random() < 0.5 for _ in range(n)]
        if all(positives) or not any(positives):
            assert auroc(scores, positives) is None
            continue
        assert auroc(scores, positives) == pytest.approx(_pairs_auroc(scores, positives)), (scores, positives)


def _row(pid, copy, answer, correct, status="answered"):
    return {"problem_id": pid, "copy": copy, "answer": answer, "correct": correct, "status": status}


def test_every_field_of_evaluate_rewards():
    rows = [_row("p", 0, "1/2", True), _row("p", 1, "0.5", True), _row("p", 2, "3", False),
            _row("q", 0, "4", False), dict(_row("q", 1, "7", True), status="reference")]
    policy = [-1.0, -2.0, -0.5, -4.0, -3.0]
    ref = [-2.0, -2.0, -2.5, -1.0, -6.0]
    res = evaluate_rewards(rows, policy, ref, beta=0.1)
    rewards = [0.1 * (p - q) for p, q in zip(policy, ref)]  # 0.1, 0.0, 0.2, -0.3, 0.3
    assert res["beta"] == 0.1 and res["completions"] == 5 and res["references"] == 1
    assert (res["correct"], res["incorrect"]) == (3, 2)
    assert res["reward_correct_mean"] == pytest.approx((rewards[0] + rewards[1] + rewards[4]) / 3)
    assert res["reward_incorrect_mean"] == pytest.approx((rewards[2] + rewards[3]) / 2)
    assert res["auroc"] == pytest.approx(_pairs_auroc(rewards, [True, True, False, False, True]))
    assert res["auroc_own_copies"] == pytest.approx(_pairs_auroc(rewards[:4], [True, True, False, False]))
    # own copies only: p's best reward is copy 2 (wrong); "1/2" and "0.5" are one answer under math
    # equivalence and win p's vote (right); q has only a wrong copy of its own
    assert res["problems"] == 2
    assert res["best_of_k_by_reward"] == 0.0 and res["majority_vote"] == 0.5 and res["pass_at_k"] == 0.5
    assert res["rewards"][3] == {"problem_id": "q", "copy": 0, "correct": False, "reward": pytest.approx(-0.3),
                                 "logp": -4.0, "ref_logp": -1.0}
    assert [r["copy"] for r in res["rewards"]] == [0, 1, 2, 0, 1]


def test_no_rows_and_no_classes_give_none_not_a_crash():
    res = evaluate_rewards([_row("p", 0, "1", True)], [0.0], [0.0], beta=1.0)
    assert res["auroc"] is None and res["reward_incorrect_mean"] is None and res["reward_correct_mean"] == 0.0
    empty = heldout_implicit_rewards([], "/nonexistent/policy", "/nonexistent/ref", beta=0.1)
    assert empty == {"completions": 0, "auroc": None, "note": "no held-out samples (sample.heldout_fraction=0?)"}


def test_selection_votes_answered_copies_and_grades_the_winners_own_copy():
    from numina_exp.evaluate.implicit_reward import selection

    rows = [_row("a", 0, "1", False), _row("a", 1, "5", True), _row("a", 2, "5", True),  # first answered copy is wrong
            _row("b", 0, "9", False, "unfinished"), _row("b", 1, "9", False, "unfinished"), _row("b", 2, "3", True)]
    res = selection(rows, [0.0] * len(rows))
    # a: "5" wins and is right (not the first copy's "1"); b: the unfinished copies' "9" does not vote
    assert res["majority_vote"] == 1.0 and res["pass_at_k"] == 1.0
    # a reward tie goes to the lowest copy number, whatever order the rows come in
    assert selection(list(reversed(rows[:3])), [1.0, 1.0, 1.0])["best_of_k_by_reward"] == 0.0
    assert selection([], []) == {"problems": 0, "best_of_k_by_reward": None, "majority_vote": None, "pass_at_k": None}


def test_each_rewards_entry_carries_its_rows_correctness():
    rows = [_row("p", 0, "1", True), _row("p", 1, "2", False), _row("q", 0, "3", True)]
    res = evaluate_rewards(rows, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], beta=1.0)
    assert [r["correct"] for r in res["rewards"]] == [True, False, True]
