"""load_suite for every conf/eval/*.yaml: rows with id/problem/answer and the documented counts."""
import json

import pytest

from numina_exp.evaluate import SuiteError, load_suite, suite_config, suite_names

COUNTS = {"amc": 83, "aime": 60, "math_l4": 754, "math_l5": 721, "gsm8k": 1319, "math": 5000, "amc23": 40}
COUNTS["aimo_val"] = COUNTS["amc"] + COUNTS["aime"] + COUNTS["math_l4"] + COUNTS["math_l5"]
COUNTS["kaggle_sim"] = COUNTS["amc"] + COUNTS["aime"]
COUNTS.update(mini_aimo=120, mini_aimo_val=96, mini_aimo_heldout=30)  # docs/mini_aimo.md


@pytest.mark.parametrize("name", [n for n in suite_names() if n != "jsonl"])
def test_every_suite_loads_with_documented_count(name):
    rows = load_suite(suite_config(name))
    assert name in COUNTS, f"conf/eval/{name}.yaml has no documented count in this test"
    assert len(rows) == COUNTS[name]
    for r in rows:
        assert isinstance(r["id"], str) and r["problem"].strip() and str(r["answer"]).strip()
    assert len({r["id"] for r in rows}) == len(rows)


def test_aimo_val_limit_applies_per_member():
    cfg = suite_config("aimo_val")
    cfg.limit = 2
    rows = load_suite(cfg)
    assert [r["suite"] for r in rows] == ["amc"] * 2 + ["aime"] * 2 + ["math_l4"] * 2 + ["math_l5"] * 2
    assert rows[0]["id"] == "amc:2022-AMC12A-1" and rows[0]["answer"] == "142"


def test_amc23_is_the_2023_half_of_amc():
    amc = load_suite(suite_config("amc"))
    assert [r["id"] for r in load_suite(suite_config("amc23"))] == [r["id"] for r in amc if r["year"] == 2023]


def test_jsonl_path_and_shuffle(tmp_path):
    p = tmp_path / "p.jsonl"
    p.write_text("".join(json.dumps({"id": i, "problem": f"q{i}", "answer": 2.0 * i}) + "\n" for i in range(10)))
    rows = load_suite({"name": "jsonl", "path": str(p)})
    assert [r["id"] for r in rows] == [str(i) for i in range(10)] and rows[3]["answer"] == "6"
    shuffled = load_suite({"name": "jsonl", "path": str(p), "shuffle_seed": 1, "limit": 4})
    assert len(shuffled) == 4 and [r["id"] for r in shuffled] != ["0", "1", "2", "3"]
    assert shuffled == load_suite({"name": "jsonl", "path": str(p), "shuffle_seed": 1, "limit": 4})
    p.write_text(json.dumps({"id": 1, "problem": "x"}) + "\n")
    with pytest.raises(SuiteError, match="answer"):
        load_suite({"name": "jsonl", "path": str(p)})


def test_hub_rows_are_normalised(monkeypatch):
    """path: null -> datasets.load_dataset(hub_id, hub_config, split); GSM8K '####' answers, MATH boxed
    answers from the solution, AMC year from the url for `where`."""
    import datasets
    fake = {
        "openai/gsm8k": [{"question": "q", "answer": "work <<1+1=2>>\n#### 1,234"}],
        "DigitalLearningGmbH/MATH-lighteval": [{"problem": "p", "solution": "so $\\boxed{\\frac{1}{2}}$", "level": "Level 5"}],
        "AI-MO/aimo-validation-amc": [{"id": 0, "problem": "a", "answer": 142.0, "url": "https://x/2022_AMC_12A_Problems/Problem_1"},
                                      {"id": 1, "problem": "b", "answer": 27.0, "url": "https://x/2023_AMC_12A_Problems/Problem_1"}],
    }
    calls = []

    def load_dataset(hub_id, config=None, split=None):
        calls.append((hub_id, config, split))
        return fake[hub_id]
    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    g = suite_config("gsm8k"); g.path = None
    assert load_suite(g)[0]["answer"] == "1,234" and calls[-1] == ("openai/gsm8k", "main", "test")
    m = suite_config("math"); m.path = None
    assert load_suite(m)[0]["answer"] == "\\frac{1}{2}"
    a = suite_config("amc23"); a.path = None
    rows = load_suite(a)
    assert [(r["id"], r["answer"], r["year"]) for r in rows] == [("1", "27", 2023)]
