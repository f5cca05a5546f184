"""methods/kto.py before any model loads: the class weights' exact values in each branch, how a weight is
parsed, the label counts and rows, and validate / check_labels naming the key, the counts and the fix
for every refusal. test_kto_pieces.py checks the ratio's range; these pin the numbers TRL receives."""
from __future__ import annotations

import json

import pytest
from omegaconf import OmegaConf

from numina_exp.core.errors import ConfigError
from numina_exp.methods.kto import AUTO_RATIO, LabelError, Weights, _parse, check_labels, choose_weights, count_labels, kto_rows, validate


def test_auto_ratio_is_seven_sixths():
    assert AUTO_RATIO == pytest.approx(7 / 6)


@pytest.mark.parametrize("nd,nu,want", [
    (20, 80, (round(7 / 6 * 80 / 20, 4), 1.0)),  # fewer desirable: they are scaled up
    (60, 60, (round(7 / 6, 4), 1.0)),  # equal: still the desirable side, to 7/6
    (80, 20, (1.0, round(80 / (7 / 6 * 20), 4))),  # many more desirable: the undesirable side scales up
])
def test_auto_weights_exact_values(nd, nu, want):
    w = choose_weights(nd, nu)
    assert (w.desirable, w.undesirable) == want
    assert (w.n_desirable, w.n_undesirable) == (nd, nu)


def test_one_given_weight_solves_the_other_exactly():
    w = choose_weights(20, 80, desirable="3.0", undesirable="auto")
    assert (w.desirable, w.undesirable) == (3.0, round(3.0 * 20 / (7 / 6 * 80), 4))
    w = choose_weights(20, 80, desirable="auto", undesirable="0.5")
    assert (w.desirable, w.undesirable) == (round(7 / 6 * 0.5 * 80 / 20, 4), 0.5)


def test_weights_are_rounded_to_four_places():
    w = choose_weights(3, 7)
    assert w.desirable == round(7 / 6 * 7 / 3, 4) and w.desirable != 7 / 6 * 7 / 3


def test_describe_reads_the_numbers_and_the_range():
    w = Weights(2.0, 1.0, 10, 20)
    assert w.ratio == 1.0
    assert w.describe() == ("desirable_weight=2.0000 undesirable_weight=1.0000 for 10 desirable / 20 undesirable "
                            "examples: lambda_D*n_D/(lambda_U*n_U) = 1.000 (inside the recommended [1, 4/3])")
    assert "(inside" in Weights(4.0, 3.0, 10, 10).describe()  # 4/3 exactly: the upper end is in range
    assert "(OUTSIDE" in Weights(1.0, 1.0, 9, 10).describe()  # 0.9
    assert "(OUTSIDE" in Weights(1.35, 1.0, 10, 10).describe()


@pytest.mark.parametrize("value,want", [(None, None), ("auto", None), (" AUTO ", None), ("1.5", 1.5), (2, 2.0)])
def test_parse_weight(value, want):
    assert _parse(value) == want


@pytest.mark.parametrize("value", ["0", -1.0, "-0.5"])
def test_parse_refuses_non_positive_weights(value):
    with pytest.raises(ValueError, match=r"a KTO class weight must be > 0 or 'auto', got"):
        _parse(value)


def test_count_labels_and_rows():
    rows = [{"label": True}, {"label": False}, {"label": 1}, {"label": 0}, {"label": True}]
    assert count_labels(rows) == (3, 2)
    samples = [{"prompt": "p", "completion": "a", "label": 1},  # no split: counted as train
               {"prompt": "q", "completion": "b", "label": 0, "split": "train", "extra": "dropped"}]
    assert kto_rows(samples) == [{"prompt": "p", "completion": "a", "label": True},
                                 {"prompt": "q", "completion": "b", "label": False}]
    assert kto_rows(samples, split="heldout") == []


def test_label_error_carries_problem_and_fix():
    with pytest.raises(LabelError) as err:
        choose_weights(0, 3)
    assert err.value.problem.startswith("the dataset holds one class only") and "sample.reference=all_wrong" in err.value.fix
    assert str(err.value) == f"{err.value.problem} {err.value.fix}"
    with pytest.raises(LabelError) as err:
        choose_weights(0, 0)
    assert "gradable gold answers" in err.value.fix


def _cfg(path, **train):
    t = {"beta": 0.1, "desirable_weight": "auto", "undesirable_weight": "auto", "max_length": 512, **train}
    return OmegaConf.create({"train": t, "data": {"path": None if path is None else str(path)}})


def _samples(tmp_path, rows, name="samples.jsonl"):
    p = tmp_path / name
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return p


def _row(label, split="train"):
    return {"prompt": "p", "completion": "c", "label": label, "split": split}


@pytest.mark.parametrize("train,key,problem,fix", [
    ({"beta": 0.0}, "train.beta", "must be > 0, got 0.0", "use e.g. 0.1 (TRL's default)"),
    ({"desirable_weight": "heavy"}, "train.desirable_weight", "must be a number or auto, got 'heavy'",
     "set train.desirable_weight=auto or e.g. train.desirable_weight=1.0"),
    ({"undesirable_weight": -1}, "train.undesirable_weight", "must be > 0, got -1",
     "set train.undesirable_weight=auto or a positive number"),
    ({"max_length": 15}, "train.max_length", "must be >= 16, got 15", "use e.g. 2048"),
])
def test_validate_names_the_train_key(tmp_path, train, key, problem, fix):
    path = _samples(tmp_path, [_row(True), _row(False)])
    with pytest.raises(ConfigError) as err:
        validate(_cfg(path, **train))
    assert (err.value.key, err.value.problem, err.value.fix) == (key, problem, fix)


def test_validate_accepts_the_edges(tmp_path):
    path = _samples(tmp_path, [_row(True), _row(False)])
    validate(_cfg(path, max_length=16, desirable_weight=" Auto ", undesirable_weight="0.01"))


def test_validate_needs_a_samples_file(tmp_path):
    with pytest.raises(ConfigError) as err:
        validate(_cfg(None))
    assert (err.value.key, err.value.problem) == ("data.path", "KTO trains on labelled samples and none are given")
    assert err.value.fix == ("set data.path=RUN/samples.jsonl (the output of method=sample), or run it in a pipeline "
                             "after a sample stage")
    with pytest.raises(ConfigError) as err:
        validate(_cfg(tmp_path / "missing.jsonl"))
    assert (err.value.key, err.value.problem) == ("data.path", f"file not found: {tmp_path / 'missing.jsonl'}")
    assert err.value.fix == "point data.path at a samples.jsonl written by method=sample"


def test_check_labels_splits_and_refuses_with_counts(tmp_path):
    rows = [_row(True), _row(False), _row(None), _row(True, "heldout"), _row(False, "heldout")]
    train, heldout = check_labels(_cfg(_samples(tmp_path, rows)))
    assert [r["label"] for r in train] == [True, False] and len(heldout) == 2
    one_class = _samples(tmp_path, [_row(True), _row(True), _row(False, "heldout")], "one.jsonl")
    with pytest.raises(ConfigError) as err:
        validate(_cfg(one_class))
    assert err.value.key == "data.path"
    assert f"the train split of {one_class} holds one class only: 2 desirable, 0 undesirable" in err.value.problem
    not_samples = _samples(tmp_path, [{"problem": "x", "answer": "1"}], "rows.jsonl")
    with pytest.raises(ConfigError) as err:
        validate(_cfg(not_samples))
    assert "rows lack ['prompt', 'completion', 'label']: not a samples.jsonl" in err.value.problem
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"prompt": "p", "completion": "c", "label": true}\n{not json}\n')
    with pytest.raises(ConfigError) as err:
        validate(_cfg(broken))
    assert err.value.key == "data.path" and "broken.jsonl" in err.value.problem


def test_a_weight_of_zero_is_refused_at_validation(tmp_path):
    path = _samples(tmp_path, [_row(True), _row(False)])
    with pytest.raises(ConfigError) as err:
        validate(_cfg(path, desirable_weight=0))
    assert (err.value.key, err.value.problem) == ("train.desirable_weight", "must be > 0, got 0")


def test_rows_of_another_split_are_skipped_wherever_they_stand():
    samples = [_row(False, "heldout"), _row(True), _row(None), _row(False, "heldout"), _row(False)]
    assert [r["label"] for r in kto_rows(samples)] == [True, False]
    assert [r["label"] for r in kto_rows(samples, split="heldout")] == [False, False]
    assert [r["label"] for r in kto_rows(samples, split=None)] == [False, True, False, False]


def test_every_refusal_of_the_labelled_set_reads_in_full(tmp_path):
    """The exact problem and fix of each refusal: the user acts on the fix."""
    with pytest.raises(LabelError) as err:
        choose_weights(0, 0)
    assert err.value.problem == "the dataset has no labelled rows (0 desirable, 0 undesirable): nothing to train KTO on."
    assert err.value.fix == ("Sample more prompts (data.max_rows / sample.k) or check that the prompts have gradable "
                             "gold answers.")
    one_class = _samples(tmp_path, [_row(False), _row(False)], "one.jsonl")
    with pytest.raises(ConfigError) as err:
        check_labels(_cfg(one_class))
    assert (err.value.key, err.value.problem) == (
        "data.path", f"the train split of {one_class} holds one class only: 0 desirable, 2 undesirable (all undesirable).")
    assert err.value.fix == ("KTO needs both: sample more prompts or copies (sample.k), from another model, or add "
                             "reference solutions where no copy was right (sample.reference=all_wrong).")
    not_samples = _samples(tmp_path, [{"problem": "x", "label": 1}], "rows.jsonl")
    with pytest.raises(ConfigError) as err:
        check_labels(_cfg(not_samples))
    assert (err.value.key, err.value.problem, err.value.fix) == (
        "data.path", f"{not_samples} rows lack ['prompt', 'completion']: not a samples.jsonl", "use the output of method=sample")
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{not json}\n")
    with pytest.raises(ConfigError) as err:
        check_labels(_cfg(broken))
    assert (err.value.key, err.value.fix) == ("data.path", "point data.path at a samples.jsonl written by method=sample")
