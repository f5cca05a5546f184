"""evaluate/plan.py's pieces called directly: how a refusal reads (each differing key, old -> new, long
values shortened, absent keys, the version note, the cut after 20), what check_plan does with a broken or
missing plan, which model files are fingerprinted and how, and which eval keys stay out of the plan.
test_resume_plan.py covers the same refusals end to end through the runner."""
from __future__ import annotations

import json

import pytest

from numina_exp.evaluate import plan as P


def test_differences_name_each_key_with_old_and_new_values():
    old = {"decoding": {"n": 8, "m": 4}, "eval": {"files": {"suite": "aa"}}, "gone": 1, "empty": {}}
    new = {"decoding": {"n": 16, "m": 4}, "eval": {"files": {"suite": "bb"}}, "added": [1, 2], "empty": {}}
    assert P.plan_differences(old, new) == [
        "added: (absent) -> [1, 2]",
        "decoding.n: 8 -> 16",
        'eval.files.suite: "aa" -> "bb"',
        "gone: 1 -> (absent)",
    ]
    # an emptied section is a difference of its own key
    assert P.plan_differences({"a": {}}, {"a": {"b": 1}}) == ["a: {} -> (absent)", "a.b: (absent) -> 1"]
    assert P.plan_differences(new, new) == []


def test_long_values_are_shortened_to_their_two_ends():
    long_a, long_b = "x" * 50 + "1", "x" * 50 + "2"
    (line,) = P.plan_differences({"k": long_a}, {"k": long_b})
    ja = json.dumps(long_a)
    assert line == f"k: {ja[:18]}...{ja[-18:]} -> {json.dumps(long_b)[:18]}...{json.dumps(long_b)[-18:]}"
    forty = "y" * 38  # 40 characters once quoted: kept whole
    assert P.plan_differences({"k": forty}, {"k": 1}) == [f"k: {json.dumps(forty)} -> 1"]
    forty_one = "y" * 39  # 41 once quoted: shortened
    ja = json.dumps(forty_one)
    assert P.plan_differences({"k": forty_one}, {"k": 1}) == [f"k: {ja[:18]}...{ja[-18:]} -> 1"]


def test_values_json_cannot_encode_are_shown_as_text():
    from pathlib import Path

    assert P.plan_differences({"a": Path("/x")}, {"a": Path("/y")}) == ['a: "/x" -> "/y"']


def _plan(**changes):
    return {"plan_version": P.PLAN_VERSION, "decoding": {"n": 8}, **changes}


def test_check_plan_writes_a_fresh_plan_and_accepts_the_same_one(tmp_path):
    P.check_plan(tmp_path, _plan())
    written = json.loads((tmp_path / P.PLAN_FILE).read_text())
    assert written == _plan()
    P.check_plan(tmp_path, _plan())  # the same plan resumes
    (tmp_path / P.PLAN_FILE).write_text(json.dumps({**_plan(), "plan_sha256": "abc"}))
    P.check_plan(tmp_path, _plan())  # a stored hash is not part of the comparison


def test_check_plan_refuses_naming_the_keys_and_the_fix(tmp_path):
    P.check_plan(tmp_path, _plan())
    with pytest.raises(P.ResumeMismatch) as err:
        P.check_plan(tmp_path, _plan(decoding={"n": 16}))
    msg = str(err.value)
    assert f"{tmp_path} holds results of a different evaluation" in msg
    assert "What differs (1 key(s), stored -> now):\n  decoding.n: 8 -> 16\n" in msg
    assert "eval.resume=false" in msg and "another hydra.run.dir" in msg


def test_a_plan_of_another_version_says_so_first(tmp_path):
    (tmp_path / P.PLAN_FILE).write_text(json.dumps({"decoding": {"n": 8}}))  # version 1 wrote none
    with pytest.raises(P.ResumeMismatch) as err:
        P.check_plan(tmp_path, _plan())
    assert "(2 key(s), stored -> now):\n  plan_version: written by another numina-exp version (1)\n" in str(err.value)


def test_more_than_20_differences_are_cut_with_a_count(tmp_path):
    P.check_plan(tmp_path, _plan(**{f"k{i:02d}": 0 for i in range(25)}))
    with pytest.raises(P.ResumeMismatch) as err:
        P.check_plan(tmp_path, _plan(**{f"k{i:02d}": 1 for i in range(25)}))
    msg = str(err.value)
    assert "(25 key(s)" in msg and "k19: 0 -> 1" in msg and "k20: 0 -> 1" not in msg and "... and 5 more" in msg


@pytest.mark.parametrize("content,words", [("{not json", "is not readable JSON"), ("[1, 2]", "is not a JSON object"),
                                           (b"\xff\xfe", "is not readable JSON")])
def test_an_unreadable_plan_is_refused(tmp_path, content, words):
    path = tmp_path / P.PLAN_FILE
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(P.ResumeMismatch, match=words):
        P.check_plan(tmp_path, _plan())


def test_results_without_a_plan_are_refused_but_empty_files_are_not(tmp_path):
    (tmp_path / "generations.seed0.jsonl").write_text("")
    (tmp_path / "per_problem.jsonl").write_text("")
    P.check_plan(tmp_path, _plan())  # nothing was computed yet: the plan is written
    other = tmp_path / "other"
    other.mkdir()
    (other / "generations.seed1.jsonl").write_text("{}\n")
    (other / "per_problem.jsonl").write_text("{}\n")
    with pytest.raises(P.ResumeMismatch) as err:
        P.check_plan(other, _plan())
    assert "holds per_problem.jsonl, generations.seed1.jsonl but no eval_plan.json" in str(err.value)
    assert not (other / P.PLAN_FILE).exists()


def test_model_files_fingerprint_a_run_dirs_final_and_skip_hidden_files(tmp_path, monkeypatch):
    run = tmp_path / "run"
    (run / "final" / "sub").mkdir(parents=True)
    (run / "final" / "config.json").write_text("{}")
    (run / "final" / "sub" / "weights.bin").write_bytes(b"w" * 100)
    (run / "final" / ".cache").mkdir()
    (run / "final" / ".cache" / "x").write_text("ignored")
    (run / "final" / ".hidden").write_text("ignored")
    files = P.model_files(str(run))
    assert set(files) == {"config.json", "sub/weights.bin"}
    assert files["config.json"] == {"size": 2, "sha256": P.sha256_file(run / "final" / "config.json")}
    # files above the size limit are identified by size and mtime (weights are not hashed on every resume)
    monkeypatch.setattr(P, "SMALL_FILE_BYTES", 99)
    big = P.model_files(str(run / "final"))["sub/weights.bin"]
    assert big == {"size": 100, "mtime_ns": (run / "final" / "sub" / "weights.bin").stat().st_mtime_ns}
    monkeypatch.setattr(P, "SMALL_FILE_BYTES", 100)
    assert "sha256" in P.model_files(str(run))["sub/weights.bin"]
    assert P.model_files(None) is None and P.model_files("") is None
    assert P.model_files("HuggingFaceTB/SmolLM2-135M-Instruct") is None  # a hub id: not a local directory


def test_sha256_file_reads_files_larger_than_one_block(tmp_path):
    import hashlib

    data = bytes(range(256)) * 5000  # 1.28 MB: more than the 1 MiB read block
    (tmp_path / "f").write_bytes(data)
    assert P.sha256_file(tmp_path / "f") == hashlib.sha256(data).hexdigest()


def test_code_version_hashes_paths_and_contents_of_the_result_packages(tmp_path):
    for pkg in ("decode", "grading"):
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / "a.py").write_text("x = 1\n")
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "r.py").write_text("y = 1\n")
    base = P.code_version(tmp_path)
    (tmp_path / "report" / "r.py").write_text("y = 2\n")  # report/ computes no per-problem result
    assert P.code_version(tmp_path) == base
    (tmp_path / "decode" / "a.py").rename(tmp_path / "decode" / "b.py")  # same bytes, another file
    assert P.code_version(tmp_path) != base
    (tmp_path / "decode" / "b.py").rename(tmp_path / "decode" / "a.py")
    assert P.code_version(tmp_path) == base
    (tmp_path / "grading" / "a.py").write_text("x = 2\n")
    assert P.code_version(tmp_path) != base
    assert P.code_version() == P.code_version(P.Path(P.__file__).resolve().parents[1])


def test_library_versions_name_the_result_libraries_installed():
    from importlib import metadata

    got = P.library_versions()
    for lib in ("torch", "transformers", "numpy", "sympy"):
        assert got[lib] == metadata.version(lib)
    assert set(got) <= set(P.RESULT_LIBRARIES)


def _evaluate_cfg(*extra):
    """An evaluation's composed config on the replay backend, its generations file unset (nothing to hash)."""
    from helpers import compose_cfg

    cfg = compose_cfg(["method=evaluate", "eval=gsm8k", "backend=replay", "backend.path=/nonexistent.jsonl", *extra])
    cfg.backend.path = None
    return cfg


def test_selection_keys_stay_out_of_the_plan_and_grading_keys_stay_in():
    cfg = _evaluate_cfg()
    plan = P.eval_plan(cfg)
    for key in ("seeds", "limit", "resume", "progress", "path", "nm_grid"):
        assert key not in plan["eval"], key
    assert "answer_kind" in plan["eval"] and plan["eval"]["files"] == {"suite": P.sha256_file(cfg.eval.path)}
    assert plan["plan_version"] == P.PLAN_VERSION and "path" not in plan["backend"]
    assert plan["code"]["numina_exp_sources"] == P.code_version()
    assert "problems_in_flight" not in plan["decoding"]  # replay is batch-invariant


def test_the_plan_holds_each_section_a_result_depends_on_and_no_model_path(tmp_path):
    cfg = _evaluate_cfg(f"model.path={tmp_path}")
    plan = P.eval_plan(cfg)
    assert set(plan) == {"plan_version", "decoding", "sandbox", "scale", "model", "backend", "eval", "code"}
    assert plan["scale"] == P._container(cfg.scale) and plan["sandbox"] == P._container(cfg.sandbox)
    # the model is its files, not where they lie: a moved checkpoint resumes
    assert "path" not in plan["model"] and plan["model"]["name"] == cfg.model.name
    assert set(plan["code"]) == {"numina_exp_sources", "libraries"} and plan["code"]["libraries"] == P.library_versions()


def test_exactly_20_differences_are_all_shown_and_the_21st_is_counted(tmp_path):
    for n, tail in ((20, None), (21, "\n  ... and 1 more\n")):
        run = tmp_path / str(n)
        run.mkdir()
        P.check_plan(run, _plan(**{f"k{i:02d}": 0 for i in range(n)}))
        with pytest.raises(P.ResumeMismatch) as err:
            P.check_plan(run, _plan(**{f"k{i:02d}": 1 for i in range(n)}))
        msg = str(err.value)
        assert f"({n} key(s)" in msg and "k19: 0 -> 1\n" in msg
        assert ("... and" not in msg) if tail is None else (tail in msg and "k20: 0 -> 1" not in msg)


def test_a_plan_holding_values_json_cannot_encode_is_written_and_resumes(tmp_path):
    from pathlib import Path

    P.check_plan(tmp_path, _plan(where=Path("/data/suite.jsonl")))  # written as text
    assert json.loads((tmp_path / P.PLAN_FILE).read_text())["where"] == "/data/suite.jsonl"
    P.check_plan(tmp_path, _plan(where=Path("/data/suite.jsonl")))  # compared as the same text, not refused
    with pytest.raises(P.ResumeMismatch, match='where: "/data/suite.jsonl" -> "/data/other.jsonl"'):
        P.check_plan(tmp_path, _plan(where=Path("/data/other.jsonl")))


def test_a_result_file_of_one_byte_counts_as_a_result(tmp_path):
    (tmp_path / "per_problem.jsonl").write_text("\n")
    with pytest.raises(P.ResumeMismatch, match="holds per_problem.jsonl but no eval_plan.json"):
        P.check_plan(tmp_path, _plan())


@pytest.mark.parametrize("backend,given,kept", [
    ("vllm", 4, None), ("replay", "auto", None),  # batch-invariant: left out of the plan
    ("openai", "auto", None), ("openai:vllm_extensions=true", 2, None),  # a seed per request
    ("hf", "auto", 1), ("hf", 1, 1), ("hf", 3, 3),  # hf: kept, `auto` as the 1 it resolves to
    ("openai:vllm_extensions=false", "auto", 1), ("openai:vllm_extensions=false", 2, 2)])  # no seeds: as hf
def test_problems_in_flight_is_pinned_only_where_batching_changes_results(backend, given, kept):
    from omegaconf import OmegaConf

    name, _, key = backend.partition(":")
    section = OmegaConf.merge({"name": name}, OmegaConf.from_dotlist([key] if key else []))
    decoding = {"n": 8, "problems_in_flight": given}
    P.pin_in_flight(section, decoding)
    assert decoding == ({"n": 8} if kept is None else {"n": 8, "problems_in_flight": kept})


def test_suite_files_hash_the_suite_file_or_each_member_and_nothing_else(tmp_path):
    from omegaconf import OmegaConf

    from numina_exp.evaluate.suites import suite_config

    suite = tmp_path / "rows.jsonl"
    suite.write_text('{"id": 1}\n')
    # a path wins over members: the rows come from that file
    assert P.suite_files(OmegaConf.create({"path": str(suite), "suites": ["amc"]})) == {"suite": P.sha256_file(suite)}
    members = P.suite_files(OmegaConf.create({"path": None, "suites": ["amc", "aime"]}))
    assert members == {"member:amc": P.sha256_file(suite_config("amc").path),
                       "member:aime": P.sha256_file(suite_config("aime").path)}
    assert P.suite_files(OmegaConf.create({"path": None, "suites": []})) == {}


def test_a_plan_written_by_a_newer_version_names_its_version(tmp_path):
    (tmp_path / P.PLAN_FILE).write_text(json.dumps({**_plan(), "plan_version": 99}))
    with pytest.raises(P.ResumeMismatch, match=r"plan_version: written by another numina-exp version \(99\)"):
        P.check_plan(tmp_path, _plan())


def test_sections_are_stored_with_interpolations_resolved():
    from omegaconf import OmegaConf

    cfg = OmegaConf.create({"scale": {"max_new_tokens": 96}, "decoding": {"max_new_tokens": "${scale.max_new_tokens}"}})
    # the value a result was computed with, not the reference: a changed scale must change the plan
    assert P._container(cfg.decoding) == {"max_new_tokens": 96}
    assert P._container({"n": 1}) == {"n": 1} and P._container(None) is None  # plain values pass through


def test_a_member_suite_without_a_file_is_recorded_as_none(monkeypatch):
    from omegaconf import OmegaConf

    from numina_exp.evaluate import suites

    real = suites.suite_config
    monkeypatch.setattr(suites, "suite_config", lambda m: OmegaConf.create({"path": None}) if m == "virtual" else real(m))
    got = P.suite_files(OmegaConf.create({"path": None, "suites": ["amc", "virtual"]}))
    assert got == {"member:amc": P.sha256_file(real("amc").path), "member:virtual": None}


def test_pin_in_flight_without_the_key_is_a_no_op():
    decoding = {"n": 8}
    P.pin_in_flight({"name": "vllm"}, decoding)
    P.pin_in_flight({"name": "hf"}, decoding)
    assert decoding == {"n": 8}


def test_a_model_named_by_a_local_hub_id_is_fingerprinted(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    cfg = _evaluate_cfg(f"model.hub_id={tmp_path}")
    cfg.model.path = None
    assert P.eval_plan(cfg)["model"]["files"] == {"config.json": {"size": 2, "sha256": P.sha256_file(tmp_path / "config.json")}}
