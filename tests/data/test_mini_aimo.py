"""Mini-AIMO (numina_exp/data/mini_aimo, scripts/build_mini_aimo.py): the generator is deterministic,
every shipped solution's output blocks are what the sandbox prints for its programs at decode time, every
boxed answer is the generator's, the splits are disjoint, held-out families stay out of training, and
the shipped files are exactly what the builder writes."""
from __future__ import annotations

import collections
import importlib.util
import json
import re
import subprocess
import sys

import pytest
from helpers import REPO, compose_cfg

from numina_exp.data.mini_aimo import FAMILIES, HELD_OUT, LEVELS, SIZES, Item, Step, family, generate_splits
from numina_exp.data.mini_aimo.generate import MULTI_STEP_SHARE, problem_key, seen_families
from numina_exp.decode.sc_tir_rules import PY_BLOCK, decide
from numina_exp.grading import aimo_integer, extract_answer
from numina_exp.sandbox import Executor

DIR = REPO / "numina_exp" / "data" / "mini_aimo"
TRAIN = ("train_cot", "train_tir", "train_mmos")
EVAL = ("val", "test", "test_heldout")
OUTPUT = re.compile(r"```output\n(.*?)\n```", re.S)


def builder():
    spec = importlib.util.spec_from_file_location("build_mini_aimo", REPO / "scripts" / "build_mini_aimo.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (DIR / f"{name}.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def shipped() -> dict[str, list[dict]]:
    return {name: rows(name) for name in TRAIN + EVAL}


@pytest.fixture(scope="module")
def drawn():
    """id -> Item of the generator's default seed."""
    return {d.id: d.item for split in generate_splits().values() for d in split}


# ------------------------------------------------------------------ the generator
DIGEST = ("import hashlib, sys\n"
          "from numina_exp.data.mini_aimo import generate_splits, tir_plan\n"
          "h = hashlib.sha256()\n"
          "for split, ds in generate_splits(int(sys.argv[1])).items():\n"
          "    for d in ds:\n"
          "        h.update(repr((d.id, d.item, tir_plan(d) if split == 'train' else None)).encode())\n"
          "print(h.hexdigest())\n")


def digest(seed: int, hashseed: str) -> str:
    out = subprocess.run([sys.executable, "-c", DIGEST, str(seed)], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": hashseed, "PATH": "/usr/bin:/bin"}, cwd=REPO)
    return out.stdout.strip()


def test_same_seed_same_bytes_in_fresh_interpreters_and_another_seed_differs():
    # different PYTHONHASHSEEDs: a generator that iterated over a set or a dict of strings would differ
    a, b = digest(0, "1"), digest(0, "2")
    assert a == b
    assert digest(1, "1") != a


def test_sizes_levels_and_answers():
    splits = generate_splits()
    for split, ds in splits.items():
        per = collections.Counter(d.item.family for d in ds)
        want = HELD_OUT if split == "test_heldout" else seen_families()
        assert per == {f: SIZES[split] for f in want}, split
        for f in want:
            levels = collections.Counter(d.item.level for d in ds if d.item.family == f)
            assert set(levels) == set(LEVELS) and max(levels.values()) - min(levels.values()) <= 1, (split, f, levels)
        for d in ds:
            assert isinstance(d.item.answer, int) and 0 <= d.item.answer <= 999
    assert len(FAMILIES) >= 12 and 2 <= len(HELD_OUT) <= 3
    topics = collections.Counter(f.topic for f in FAMILIES.values())
    assert set(topics) == {"number theory", "combinatorics", "algebra", "word problem"}


def test_every_family_and_level_has_five_paraphrases():
    """Problem texts with the numbers and letter strings masked: at least five shapes per family and level."""
    import random
    for name, fam in FAMILIES.items():
        for level in LEVELS:
            shapes = {re.sub(r"\d+|\b[A-E]{5,}\b|(?:[A-E], ){4,}[A-E]", "#", fam.make(random.Random(i), level).problem)
                      for i in range(80)}
            assert len(shapes) >= 5, (name, level, shapes)


def test_no_problem_is_in_two_places():
    splits = generate_splits()
    keys = [problem_key(d.item) for ds in splits.values() for d in ds]
    texts = [d.item.problem for ds in splits.values() for d in ds]
    assert len(set(keys)) == len(keys) and len(set(texts)) == len(texts)


def test_a_family_is_one_registered_function():
    @family("toy_sum", "algebra")
    def toy_sum(rng, level):
        a, b = rng.randrange(100), rng.randrange(100)
        chain = (Step("a", f"print({a})", str(a)), Step("b", f"print({a} + {b})", str(a + b))) if level == 3 else ()
        return Item("toy_sum", level, f"What is ${a} + {b}$?", a + b, f"$\\boxed{{{a + b}}}$",
                    Step("Add.", f"print({a} + {b})", str(a + b)), f"$\\boxed{{{a + b}}}$", chain)
    try:
        splits = generate_splits(sizes={"train": 3, "val": 1, "test": 2, "test_heldout": 1})
        assert [d.item.level for d in splits["train"] if d.item.family == "toy_sum"] == [1, 2, 3]
        assert sum(d.item.family == "toy_sum" for d in splits["test"]) == 2
        with pytest.raises(ValueError, match="registered twice"):
            family("toy_sum", "algebra")(toy_sum)
    finally:
        FAMILIES.pop("toy_sum")


def test_item_rejects_an_answer_out_of_range_or_not_printed():
    with pytest.raises(ValueError, match="outside"):
        Item("x", 1, "p", 1000, "\\boxed{1000}", Step("s", "print(1000)", "1000"), "\\boxed{1000}")
    with pytest.raises(ValueError, match="must print the answer"):
        Item("x", 1, "p", 5, "\\boxed{5}", Step("s", "print(6)", "6"), "\\boxed{5}")


# ------------------------------------------------------------------ shipped files
def test_splits_disjoint_and_held_out_families_never_trained_on(shipped):
    train_texts = {r["problem"] for r in shipped["train_tir"]}
    for name in EVAL:
        assert not train_texts & {r["problem"] for r in shipped[name]}, name
    assert not {r["problem"] for r in shipped["val"]} & {r["problem"] for r in shipped["test"]}
    for name in TRAIN + ("val", "test"):
        assert not {r["family"] for r in shipped[name]} & set(HELD_OUT), name
    assert {r["family"] for r in shipped["test_heldout"]} == set(HELD_OUT)
    for name in TRAIN + ("val", "test"):  # held-out words never reach training text either
        assert not any(r["id"].split("-")[2] in HELD_OUT for r in shipped[name])
    ids = [r["id"] for name in EVAL for r in shipped[name]] + [r["id"] for r in shipped["train_tir"]]
    assert len(set(ids)) == len(ids)
    for name in TRAIN[1:]:  # the three formats solve the same problems in the same order
        assert [(r["id"], r["problem"]) for r in shipped[name]] == [(r["id"], r["problem"]) for r in shipped["train_cot"]]


def test_rows_are_the_generators_problems_and_answers(shipped, drawn):
    for name in TRAIN + EVAL:
        for r in shipped[name]:
            item = drawn[r["id"]]
            assert (r["problem"], r["answer"], r["family"], r["level"]) == (item.problem, str(item.answer), item.family,
                                                                            item.level), (name, r["id"])
    for name in TRAIN:
        for r in shipped[name]:
            assert r["messages"] == [{"role": "user", "content": r["problem"]},
                                     {"role": "assistant", "content": r["solution"]}]
            assert r["source"] == "mini_aimo" and len(r["solution"]) <= 600


def test_solution_shapes(shipped):
    for r in shipped["train_cot"]:
        assert "```" not in r["solution"] and aimo_integer(extract_answer(r["solution"], "numina")) == int(r["answer"])
    assert all(len(PY_BLOCK.findall(r["solution"])) == 1 for r in shipped["train_mmos"])
    kinds = collections.Counter(r["tir_kind"] for r in shipped["train_tir"] if r["level"] > 1)
    share = (kinds["chain"] + kinds["error"]) / sum(kinds.values())
    assert abs(share - MULTI_STEP_SHARE) < 0.05 and kinds["chain"] > 0 and kinds["error"] > 0, kinds
    assert all(r["tir_kind"] == "single" for r in shipped["train_tir"] if r["level"] == 1)
    for r in shipped["train_tir"]:
        blocks, outs = PY_BLOCK.findall(r["solution"]), OUTPUT.findall(r["solution"])
        assert len(blocks) == len(outs) == (1 if r["tir_kind"] == "single" else 2), r["id"]
        if r["tir_kind"] == "chain":  # the second program uses the number the first printed
            assert re.search(rf"\b{re.escape(outs[0])}\b", blocks[1]), r["id"]
        if r["tir_kind"] == "error":
            assert re.search(r"\w+Error", outs[0]) and not re.search(r"\w+Error", outs[1]), r["id"]


def decode_time_sandbox() -> Executor:
    """The sandbox SC-TIR runs with (decoding=sc_tir, as eval_sc_tir uses it), from the composed config."""
    return Executor.from_config(compose_cfg(["decoding=sc_tir"]).sandbox)


def test_output_blocks_are_real_sandbox_output_and_answers_grade_right(shipped):
    """Replays SC-TIR on every shipped TIR and MMOS solution: at each ```output the text so far must make
    decide() execute the last python block, and the block's content must be exactly the sandbox's feedback
    for it; the finished text must be accepted as an answer that grades as the row's answer."""
    steps = []  # (row id, prefix, recorded output)
    for name in ("train_tir", "train_mmos"):
        for r in shipped[name]:
            sol = r["solution"]
            for m in OUTPUT.finditer(sol):
                steps.append((r["id"], sol[:m.start(1)], m.group(1)))
            assert decide(sol, last_step=False).action == "answer", r["id"]
            assert aimo_integer(extract_answer(sol, "numina")) == int(r["answer"]), r["id"]
    codes = []
    for rid, prefix, _ in steps:
        dec = decide(prefix, last_step=False)
        assert dec.action == "execute", rid
        codes.append(dec.code)
    unique = sorted(set(codes))
    with decode_time_sandbox() as ex:
        feedback = dict(zip(unique, (r.feedback for r in ex.run(unique))))
    wrong = [(rid, out, feedback[c]) for (rid, _, out), c in zip(steps, codes) if feedback[c] != out]
    assert not wrong, wrong[:5]


@pytest.fixture(scope="module")
def build():
    return builder()


def test_shipped_files_are_the_builders_output(build, tmp_path_factory):
    out = tmp_path_factory.mktemp("mini_aimo")
    build.write(build.build(), out)
    for name in build.FILES:
        assert (out / f"{name}.jsonl").read_bytes() == (DIR / f"{name}.jsonl").read_bytes(), name


# ------------------------------------------------------------------ the builder refuses what is not data
def test_builder_refuses_a_wrong_output_a_mistake_that_runs_and_a_wrong_answer(build):
    with build.executor() as ex:
        with pytest.raises(build.Refused, match="should print '3'"):
            build.run_plans([("r", (Step("s", "print(1 + 1)", "3"),), "single")], ex)
        with pytest.raises(build.Refused, match="should raise NameError"):
            build.run_plans([("r", (Step("s", "print(2)", raises="NameError"),), "error")], ex)
        with pytest.raises(build.Refused, match="should raise NameError"):  # fails, but not as planted
            build.run_plans([("r", (Step("s", "print(1 / 0)", raises="NameError"),), "error")], ex)
        assert build.run_plans([("r", (Step("s", "print(x)", raises="NameError"), Step("t", "print(7)", "7")),
                                 "error")], ex) == [["NameError: name 'x' is not defined (line 2: `print(x)`)", "7"]]
    with pytest.raises(build.Refused, match="grades as 5"):
        build.check_answer("r", "```python\nprint(5)\n```\n```output\n5\n```\nSo $\\boxed{5}$.", 6, tir=True)
    with pytest.raises(build.Refused, match="would not take the answer"):
        build.check_answer("r", "So $\\boxed{6}$.", 6, tir=True)  # no output block: SC-TIR discards it


def test_builder_refuses_a_family_whose_program_disagrees_with_its_answer(build):
    @family("toy_bad", "algebra")
    def toy_bad(rng, level):
        a = rng.randrange(100)
        chain = (Step("a", f"print({a})", str(a)), Step("b", f"print({a} + 1)", str(a + 1))) if level == 3 else ()
        # the program adds 2 while the generator's answer (and the declared output) add 1
        return Item("toy_bad", level, f"What is ${a} + 1$?", a + 1, f"$\\boxed{{{a + 1}}}$",
                    Step("Add.", f"print({a} + 2)", str(a + 1)), f"$\\boxed{{{a + 1}}}$", chain)
    try:
        with pytest.raises(build.Refused, match="toy_bad"):
            build.build(sizes={"train": 1, "val": 1, "test": 1, "test_heldout": 1})
    finally:
        FAMILIES.pop("toy_bad")


# ------------------------------------------------------------------ configs
@pytest.mark.parametrize("data,fmt,file", [("mini_aimo", "tir", "train_tir"), ("mini_aimo_cot", "cot", "train_cot"),
                                           ("mini_aimo_mmos", "tir", "train_mmos")])
def test_data_configs(data, fmt, file):
    cfg = compose_cfg([f"data={data}"])
    assert cfg.data.format == fmt and cfg.data.path.endswith(f"mini_aimo/{file}.jsonl")
    assert cfg.data.sample_path == cfg.data.path


@pytest.mark.parametrize("name,file,n", [("mini_aimo", "test", 120), ("mini_aimo_val", "val", 96),
                                         ("mini_aimo_heldout", "test_heldout", 30)])
def test_eval_configs_load_their_split(name, file, n):
    from numina_exp.evaluate.suites import load_suite
    cfg = compose_cfg([f"eval={name}"])
    assert cfg.eval.answer_kind == "integer"
    got = load_suite(cfg.eval)
    assert [r["id"] for r in got] == [r["id"] for r in rows(file)] and len(got) == n


def test_shipped_files_are_package_data_of_a_clean_build(tmp_path):
    """setup.py build_py from the tracked files alone (no egg-info, whose stale SOURCES.txt can smuggle files
    in): the built package holds every Mini-AIMO file the configs point at."""
    import shutil
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True)
    src = tmp_path / "src"
    for rel in filter(None, tracked.stdout.split("\0")):
        if (REPO / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, src / rel)
    subprocess.run([sys.executable, "setup.py", "-q", "build_py", "-d", str(tmp_path / "lib")], cwd=src, check=True,
                   capture_output=True)
    built = tmp_path / "lib" / "numina_exp"
    for name in TRAIN + EVAL:
        assert (built / "data" / "mini_aimo" / f"{name}.jsonl").is_file(), name
    assert (built / "conf" / "data" / "mini_aimo.yaml").is_file()


def test_families_keep_their_promises_on_many_draws():
    """Any draw, not only the shipped seed's: answers in [0, 999], problems one or two sentences, and every
    level-3 item a two-program chain (Item's own checks raise otherwise)."""
    import random
    for name, fam in FAMILIES.items():
        for level in LEVELS:
            for i in range(150):
                item = fam.make(random.Random(f"many/{i}"), level)
                assert 0 <= item.answer <= 999 and len(item.problem) < 300, (name, level, i, item.problem)
    for seed in (1, 2):
        assert len(generate_splits(seed)["train"]) == SIZES["train"] * len(seen_families())
