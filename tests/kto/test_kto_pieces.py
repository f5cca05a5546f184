"""The pure pieces of KTO: class weights from label counts, the one-class / empty errors, AUROC,
best-of-k vs majority vs pass@k, the curves read from a Trainer log, the W&B workspace definition."""
from __future__ import annotations

import json

import pytest

from numina_exp.evaluate.implicit_reward import auroc, evaluate_rewards
from numina_exp.methods.kto import RATIO_RANGE, LabelError, choose_weights, kto_rows
from numina_exp.report.kto_curves import curves, first_last, plot_implicit_rewards, report_section, save_workspace, workspace


@pytest.mark.parametrize("nd,nu", [(10, 90), (1, 3), (50, 50), (55, 50), (90, 10), (300, 7), (7, 300)])
def test_auto_weights_put_the_ratio_in_the_recommended_range(nd, nu):
    w = choose_weights(nd, nu)
    assert RATIO_RANGE[0] <= w.ratio <= RATIO_RANGE[1]
    assert min(w.desirable, w.undesirable) == pytest.approx(1.0)  # one side stays 1, the other is scaled up
    # TRL's own check (kto_trainer: bounds rounded to 2 decimals) accepts the desirable weight
    lo, hi = round(nu * w.undesirable / nd, 2), round(nu * w.undesirable / nd * 1.33, 2)
    assert lo <= w.desirable <= hi or round(nd * w.desirable / nu / 1.33, 2) <= w.undesirable <= round(nd * w.desirable / nu, 2)
    assert "inside the recommended" in w.describe()


def test_one_given_weight_solves_the_other_and_both_given_are_kept():
    w = choose_weights(20, 80, desirable="auto", undesirable="2.0")
    assert w.undesirable == 2.0 and w.ratio == pytest.approx(7 / 6, abs=1e-3)
    w = choose_weights(20, 80, desirable="1.0", undesirable="1.0")
    assert (w.desirable, w.undesirable) == (1.0, 1.0) and "OUTSIDE" in w.describe()


@pytest.mark.parametrize("nd,nu,words", [(0, 0, ["no labelled rows", "0 desirable, 0 undesirable"]),
                                          (0, 12, ["one class only", "0 desirable, 12 undesirable", "all undesirable"]),
                                          (5, 0, ["one class only", "5 desirable, 0 undesirable", "all desirable"])])
def test_one_class_and_empty_sets_are_refused_naming_the_counts(nd, nu, words):
    with pytest.raises(LabelError) as err:
        choose_weights(nd, nu)
    for w in words:
        assert w in str(err.value)


def test_kto_rows_take_the_split_and_skip_dropped_copies():
    samples = [{"prompt": "p", "completion": "a", "label": True, "split": "train"},
               {"prompt": "p", "completion": "b", "label": None, "split": "train"},
               {"prompt": "q", "completion": "c", "label": False, "split": "heldout"}]
    assert kto_rows(samples) == [{"prompt": "p", "completion": "a", "label": True}]
    assert len(kto_rows(samples, split=None)) == 2


def test_auroc_against_hand_counted_pairs():
    assert auroc([3, 2, 1, 0], [True, True, False, False]) == 1.0
    assert auroc([0, 1, 2, 3], [True, True, False, False]) == 0.0
    # positives {2, 0}, negatives {1, 1}: pairs (2>1, 2>1, 0<1, 0<1) -> 2/4
    assert auroc([2, 1, 0, 1], [True, False, True, False]) == 0.5
    assert auroc([1, 1], [True, False]) == 0.5  # a tie counts half
    assert auroc([1, 2], [True, True]) is None


def _row(pid, copy, answer, correct, status="answered"):
    return {"problem_id": pid, "copy": copy, "answer": answer, "correct": correct, "status": status}


def test_best_of_k_majority_and_pass_at_k():
    rows = [_row("a", 0, "1", False), _row("a", 1, "1", False), _row("a", 2, "5", True),  # majority wrong, reward picks right
            _row("b", 0, "7", True), _row("b", 1, "7", True), _row("b", 2, "2", False),   # majority right, reward picks wrong
            _row("c", 0, None, False, "discarded"), _row("c", 1, "3", False), _row("c", 2, "4", False)]  # nothing right
    policy = [0.0, 0.0, 5.0, 0.0, 0.0, 9.0, 0.0, 0.0, 0.0]
    res = evaluate_rewards(rows, policy, [0.0] * len(rows), beta=0.5)
    assert res["problems"] == 3
    assert res["best_of_k_by_reward"] == pytest.approx(1 / 3)
    assert res["majority_vote"] == pytest.approx(1 / 3)
    assert res["pass_at_k"] == pytest.approx(2 / 3)
    assert res["rewards"][2]["reward"] == 2.5  # beta * (log pi - log pi_ref)
    assert (res["correct"], res["incorrect"]) == (3, 6)


HISTORY = [{"loss": 0.5, "rewards/chosen": 0.1, "rewards/rejected": -0.1, "rewards/margins": 0.2, "kl": 0.0, "step": 1},
           {"loss": 0.4, "rewards/chosen": 0.5, "rewards/rejected": -0.4, "rewards/margins": 0.9, "kl": 0.3, "step": 2},
           {"eval_loss": 0.3, "rewards/chosen": 9.0, "step": 2},
           {"train_loss": 0.45, "step": 2}]


def test_curves_keep_training_entries_only_and_render(tmp_path):
    c = curves(HISTORY)
    assert c["rewards/chosen"] == [(1, 0.1), (2, 0.5)] and c["logps/chosen"] == []
    fl = first_last(c)
    assert fl["rewards/margins"] == (0.2, 0.9) and fl["logps/chosen"] is None
    png = plot_implicit_rewards({"a": HISTORY, "b": HISTORY}, tmp_path / "r.png")
    assert png.stat().st_size > 5000
    weights = {"desirable": 3.5, "undesirable": 1.0, "n_desirable": 10, "n_undesirable": 30, "ratio": 7 / 6, "beta": 0.1}
    md = report_section(HISTORY, weights, {"completions": 4, "correct": 1, "incorrect": 3, "problems": 2, "auroc": 0.75,
                                           "best_of_k_by_reward": 0.5, "majority_vote": 0.0, "pass_at_k": 0.5,
                                           "reward_correct_mean": 1.0, "reward_incorrect_mean": -1.0})
    assert "| rewards/margins | 0.2000 | 0.9000 |" in md and "| AUROC (reward, correct vs incorrect) | 0.7500 |" in md
    assert "10 desirable, 30 undesirable" in md and "![implicit rewards](implicit_rewards.png)" in md


def test_workspace_offline_is_written_as_json(tmp_path):
    path = save_workspace(workspace("numina-exp", None), tmp_path, online=False)
    spec = json.loads(open(path).read())
    ys = [y for p in spec["panels"] for y in p["y"]]
    for key in ("train/rewards/chosen", "train/rewards/rejected", "train/rewards/margins", "train/kl", "train/logps/chosen"):
        assert key in ys
    assert "train/rewards/margins" in json.dumps(spec["view_spec"])  # the library's own view carries the panels


def test_reference_rows_count_in_auroc_but_not_in_selection():
    rows = [_row("a", 0, "1", False), _row("a", 1, "2", False), dict(_row("a", 2, "5", True), status="reference")]
    res = evaluate_rewards(rows, [0.0, 1.0, 3.0], [0.0, 0.0, 0.0], beta=1.0)
    assert res["auroc"] == 1.0 and res["auroc_own_copies"] is None and res["references"] == 1
    assert (res["best_of_k_by_reward"], res["pass_at_k"]) == (0.0, 0.0)  # the reference is no candidate
