"""Resume never reuses a result computed under other inputs: the plan holds the config, the contents of
the suite and replay files, the model files and the code version; a mismatch is refused by name."""
import json
import shutil
from pathlib import Path

import pytest
from eval_scripted import ScriptedDecoder, replay_lines, write_jsonl
from helpers import compose_cfg

from numina_exp.evaluate.plan import ResumeMismatch, code_version
from numina_exp.evaluate.runner import run

PROBLEMS = [{"id": f"q{i}", "problem": f"What is {i} + {i}?", "answer": str(2 * i)} for i in range(1, 5)]


def _suite(path: Path, rows=PROBLEMS) -> Path:
    write_jsonl(path, rows)
    return path


def _cfg(suite: Path, *extra):
    return compose_cfg(["eval=jsonl", f"eval.path={suite}", "decoding=sc_tir_numina", "decoding.n=4",
                        "eval.progress=false", "seed=0", *extra])  # root seed 0: eval.seeds=[0]


def _refusal(cfg, run_dir) -> str:
    dec = ScriptedDecoder(n=4)
    with pytest.raises(ResumeMismatch) as err:
        run(cfg, run_dir, decoder=dec)
    assert dec.calls == []  # refused before decoding anything
    return str(err.value)


def test_changed_suite_contents_refuse_resume_naming_the_file(tmp_path):
    suite = _suite(tmp_path / "suite.jsonl")
    first = run(_cfg(suite), tmp_path / "run", decoder=ScriptedDecoder(n=4))
    # the same command resumes (nothing decoded again)
    again = ScriptedDecoder(n=4)
    run(_cfg(suite), tmp_path / "run", decoder=again)
    assert again.calls == []
    # new gold answers under the same ids and the same path: the old records were graded against other golds
    _suite(suite, [{**r, "answer": str(int(r["answer"]) + 1)} for r in PROBLEMS])
    msg = _refusal(_cfg(suite), tmp_path / "run")
    assert "eval.files.suite" in msg and "eval.resume=false" in msg
    # eval.resume=false starts over and grades against the new golds
    fresh = run(_cfg(suite, "eval.resume=false"), tmp_path / "run", decoder=ScriptedDecoder(n=4))
    golds = [json.loads(line)["gold"] for line in (tmp_path / "run" / "per_problem.jsonl").read_text().splitlines()]
    assert golds == [str(2 * i + 1) for i in range(1, 5)] and fresh["problems"] == first["problems"] == 4


def test_a_moved_but_identical_suite_still_resumes_and_more_problems_or_seeds_resume(tmp_path):
    suite = _suite(tmp_path / "a.jsonl")
    run(_cfg(suite, "eval.limit=2"), tmp_path / "run", decoder=ScriptedDecoder(n=4))
    moved = tmp_path / "elsewhere" / "b.jsonl"
    moved.parent.mkdir()
    shutil.copy(suite, moved)
    dec = ScriptedDecoder(n=4)
    run(_cfg(moved, "eval.limit=3", "eval.seeds=[0,1]"), tmp_path / "run", decoder=dec)
    assert sorted(dec.calls) == [(0, "q3"), (1, "q1"), (1, "q2"), (1, "q3")]


def test_changed_replay_file_refuses_resume(tmp_path):
    suite = _suite(tmp_path / "suite.jsonl")
    gen = tmp_path / "generations.jsonl"
    write_jsonl(gen, replay_lines(PROBLEMS, n=4, m=4))
    cfg = _cfg(suite, "backend=replay", f"backend.path={gen}")
    run(cfg, tmp_path / "run", decoder=ScriptedDecoder(n=4))
    lines = replay_lines(PROBLEMS, n=4, m=4)
    lines[0]["text"] = "other text"
    write_jsonl(gen, lines)
    msg = _refusal(cfg, tmp_path / "run")
    assert "backend.file_sha256" in msg


def test_changed_settings_refuse_resume_naming_the_key(tmp_path):
    suite = _suite(tmp_path / "suite.jsonl")
    run(_cfg(suite), tmp_path / "run", decoder=ScriptedDecoder(n=4))
    for override, key in [("sandbox.timeout_s=7", "sandbox.timeout_s"), ("sandbox.rules=default", "sandbox.rules"),
                          ("decoding.temperature=0.5", "decoding.temperature"),
                          ("eval.answer_kind=math", "eval.answer_kind")]:
        msg = _refusal(_cfg(suite, override), tmp_path / "run")
        assert f"{key}:" in msg, msg


@pytest.mark.parametrize("backend", ["vllm", "replay", "openai"])
def test_problems_in_flight_resumes_with_seeded_backends(tmp_path, backend):
    """Per-request seeds: K does not change a problem's result, so auto, 3 and 1 all resume each other."""
    suite = _suite(tmp_path / "suite.jsonl")
    gen = tmp_path / "generations.jsonl"
    write_jsonl(gen, replay_lines(PROBLEMS, n=4, m=4))
    extra = [f"backend={backend}"] + ([f"backend.path={gen}"] if backend == "replay" else [])
    run(_cfg(suite, *extra, "eval.limit=1"), tmp_path / "run", decoder=ScriptedDecoder(n=4))  # default: auto
    dec = ScriptedDecoder(n=4)
    run(_cfg(suite, *extra, "eval.limit=2", "decoding.problems_in_flight=3"), tmp_path / "run", decoder=dec)
    assert dec.calls == [(0, "q2")]
    dec = ScriptedDecoder(n=4)
    run(_cfg(suite, *extra, "decoding.problems_in_flight=1"), tmp_path / "run", decoder=dec)
    assert sorted(dec.calls) == [(0, "q3"), (0, "q4")]


def test_problems_in_flight_on_hf_refuses_a_changed_batch_but_auto_is_one(tmp_path):
    suite = _suite(tmp_path / "suite.jsonl")
    run(_cfg(suite, "backend=hf", "eval.limit=2", "decoding.problems_in_flight=1"), tmp_path / "hf",
        decoder=ScriptedDecoder(n=4))
    dec = ScriptedDecoder(n=4)  # the default, auto, decodes one problem at a time on hf: it resumes
    run(_cfg(suite, "backend=hf", "eval.limit=3"), tmp_path / "hf", decoder=dec)
    assert dec.calls == [(0, "q3")]
    msg = _refusal(_cfg(suite, "backend=hf", "decoding.problems_in_flight=3"), tmp_path / "hf")
    assert "decoding.problems_in_flight: 1 -> 3" in msg  # hf's samples depend on the batch


def test_changed_model_files_refuse_resume(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"hidden_size": 128}')
    (model / "model.safetensors").write_bytes(b"\0" * 1000)
    suite = _suite(tmp_path / "suite.jsonl")
    run(_cfg(suite, f"model.path={model}"), tmp_path / "run", decoder=ScriptedDecoder(n=4))
    (model / "model.safetensors").write_bytes(b"\1" * 1000)  # new weights, same size and name
    msg = _refusal(_cfg(suite, f"model.path={model}"), tmp_path / "run")
    assert "model.files.model.safetensors.sha256" in msg


def test_results_without_a_plan_are_refused(tmp_path):
    suite = _suite(tmp_path / "suite.jsonl")
    run(_cfg(suite), tmp_path / "run", decoder=ScriptedDecoder(n=4))
    (tmp_path / "run" / "eval_plan.json").unlink()
    assert "no eval_plan.json" in _refusal(_cfg(suite), tmp_path / "run")


def test_code_version_covers_the_result_code(tmp_path):
    """The plan's code hash changes when any source of a result-computing package changes."""
    src = Path(__file__).resolve().parents[2] / "numina_exp"
    copy = tmp_path / "numina_exp"
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns("__pycache__", "*.jsonl"))
    before = code_version(copy)
    assert before == code_version(src)
    for rel in ("grading/aimo.py", "decode/sc_tir.py", "sandbox/__init__.py"):
        p = copy / rel
        text = p.read_text()
        p.write_text(text + "\n# changed\n")
        assert code_version(copy) != before, rel
        p.write_text(text)
    assert code_version(copy) == before
    (copy / "report" / "plots.py").write_text("# the report does not decide results\n")
    assert code_version(copy) == before
