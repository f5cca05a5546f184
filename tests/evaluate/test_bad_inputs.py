"""Bad files and bad numbers end in clear errors naming the file and line (or the config key), before
any model loads; a torn last line of a generation log (a crash mid-write) is skipped as documented."""
import json

import pytest
from eval_scripted import replay_lines
from helpers import compose_cfg, run_cli

from numina_exp.config import ConfigError
from numina_exp.evaluate import SuiteError, load_suite
from numina_exp.evaluate.store import ResultStore, RunFileError
from numina_exp.methods._validate import validate

GOOD = [{"id": "a", "problem": "1+1?", "answer": "2"}, {"id": "b", "problem": "2+2?", "answer": 4}]


def _suite_bytes(tmp_path, third: bytes):
    p = tmp_path / "suite.jsonl"
    p.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in GOOD) + third + b"\n")
    return p


@pytest.mark.parametrize("third, problem", [
    (b'{"id": "c", "problem": "caf\xe9?", "answer": "1"}', "not UTF-8"),
    (b'["c", "3+3?", "6"]', "expected a JSON object"),
    (b'{"id": "c", "problem": "3+3?", "answer": [6]}', "the answer must be a string or a number"),
    (b'{"id": "c", "problem": "3+3?", "answer": {"value": 6}}', "the answer must be a string or a number"),
    (b'{"id": "c", "problem": "3+3?", "answer": true}', "the answer must be a string or a number"),
    (b'{"id": "c", "problem": ["3+3?"], "answer": "6"}', "the problem must be a non-empty string"),
    (b'{"id": "c", "problem": "3+3?"}', "needs a problem (or question) and an answer"),
    (b'{"id": "c", "problem": "3+3?", "answer": "6"', "not JSON"),
])
def test_bad_suite_line_is_named_with_file_and_line(tmp_path, third, problem):
    path = _suite_bytes(tmp_path, third)
    with pytest.raises(SuiteError) as err:
        load_suite({"name": "jsonl", "path": str(path)})
    assert f"{path}:3: {problem}" in str(err.value)
    # through validation: the config key, file and line, before anything loads
    with pytest.raises(ConfigError) as err:
        validate(_suite_cfg(path))
    assert err.value.key == "eval.path" and f"{path}:3:" in str(err.value)


def test_bad_suite_through_the_cli_is_a_config_error(tmp_path):
    path = _suite_bytes(tmp_path, b'{"id": "c", "problem": "3+3?", "answer": [6]}')
    proc = run_cli(["method=evaluate", "eval=jsonl", f"eval.path={path}", f"hydra.run.dir={tmp_path / 'run'}"],
                   timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "config error at `eval.path`" in proc.stderr and f"{path}:3:" in proc.stderr


_BASE = {}


def _replay_cfg(path, n=4):
    from omegaconf import OmegaConf
    if "replay" not in _BASE:
        _BASE["replay"] = compose_cfg(["method=evaluate", "decoding=sc_tir_numina", "backend=replay", "eval=amc"])
    return OmegaConf.merge(_BASE["replay"], OmegaConf.from_dotlist([f"backend.path={path}", f"decoding.n={n}"]))


def _suite_cfg(path):
    from omegaconf import OmegaConf
    if "suite" not in _BASE:
        _BASE["suite"] = compose_cfg(["method=evaluate", "eval=jsonl"])
    return OmegaConf.merge(_BASE["suite"], OmegaConf.from_dotlist([f"eval.path={path}"]))


def test_generation_log_with_a_torn_last_line_is_read_without_it(tmp_path):
    path = tmp_path / "generations.jsonl"
    lines = replay_lines([{"id": "p", "answer": "3"}, {"id": "q", "answer": "4"}], n=4, m=2)
    path.write_text("".join(json.dumps(r) + "\n" for r in lines) + json.dumps(lines[0])[:37])
    validate(_replay_cfg(path))  # the width check reads past the torn line (it raised JSONDecodeError)
    with pytest.raises(ConfigError) as err:
        validate(_replay_cfg(path, n=5))
    assert err.value.key == "decoding.n" and "only 4 copies" in str(err.value)
    # torn inside a multi-byte character (the log is written with ensure_ascii=False): still a torn line
    whole = json.dumps({**lines[0], "text": "\u00e9t\u00e9"}, ensure_ascii=False).encode()
    path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in lines) + whole[:whole.index("\u00e9".encode()) + 1])
    validate(_replay_cfg(path))


@pytest.mark.parametrize("change, problem", [
    ({"copy": "3"}, "copy must be an integer >= 0"),
    ({"step": -1}, "step must be an integer >= 0"),
    ({"text": None}, "text must be a string"),
    ({"num_tokens": "many"}, "num_tokens must be an integer"),
    ({"exec": "ok"}, "exec must be null or"),
    ({"problem_id": ["p"]}, "problem_id must be a string"),
    ("drop:text", "missing keys ['text']"),
    ("garbage", "not JSON"),
])
def test_bad_generation_log_line_is_named_with_file_and_line(tmp_path, change, problem):
    lines = replay_lines([{"id": "p", "answer": "3"}], n=4, m=2)
    rows = [json.dumps(r) for r in lines]
    bad = dict(lines[2])
    if change == "drop:text":
        del bad["text"]
    elif change != "garbage":
        bad.update(change)
    rows[2] = "{not json" if change == "garbage" else json.dumps(bad)
    path = tmp_path / "generations.jsonl"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(ConfigError) as err:
        validate(_replay_cfg(path))
    assert err.value.key == "backend.path" and f"{path}:3: {problem}" in str(err.value)


@pytest.mark.parametrize("record, problem", [
    ({"problem_id": "x", "correct": True}, "missing keys ['seed']"),
    ({"seed": "0", "problem_id": "x", "correct": True}, "seed must be an integer"),
    ({"seed": 0, "problem_id": "x", "correct": "yes"}, "correct must be true or false"),
    ({"seed": 0, "problem_id": "x", "correct": True, "copies": "none"}, "copies must be a list"),
    ([1, 2], "expected a JSON object"),
])
def test_bad_result_line_is_named_with_file_and_line(tmp_path, record, problem):
    path = tmp_path / "per_problem.jsonl"
    good = {"seed": 0, "problem_id": "a", "correct": False, "copies": []}
    path.write_text(json.dumps(good) + "\n" + json.dumps(record) + "\n" + json.dumps({**good, "problem_id": "b"}) + "\n")
    with pytest.raises(RunFileError) as err:
        ResultStore(path)
    assert f"{path}:2: {problem}" in str(err.value)


def test_result_file_torn_last_line_is_dropped_but_a_torn_middle_line_is_an_error(tmp_path):
    path = tmp_path / "per_problem.jsonl"
    good = {"seed": 0, "problem_id": "a", "correct": False, "copies": []}
    path.write_text(json.dumps(good) + "\n" + '{"seed": 0, "prob')
    assert list(ResultStore(path).records) == [(0, "a")] and path.read_text() == json.dumps(good) + "\n"
    path.write_text('{"seed": 0, "prob\n' + json.dumps(good) + "\n")
    with pytest.raises(RunFileError, match=f"{path}:1: not JSON"):
        ResultStore(path)


@pytest.fixture(scope="module")
def sc_tir_cfg():
    return compose_cfg(["method=evaluate", "eval=amc", "decoding=sc_tir_numina"])


@pytest.fixture(scope="module")
def kaggle_cfg():
    return compose_cfg(["method=evaluate", "eval=kaggle_sim", "decoding=sc_tir_numina"])


def _with(cfg, override):
    """The composed config with one `key=value` override merged in (the schema converts the value)."""
    from omegaconf import OmegaConf
    return OmegaConf.merge(cfg, OmegaConf.from_dotlist([override]))


@pytest.mark.parametrize("override, key", [
    ("sandbox.timeout_s=nan", "sandbox.timeout_s"),
    ("sandbox.timeout_s=1e12", "sandbox.timeout_s"),
    ("sandbox.timeout_s=inf", "sandbox.timeout_s"),
    ("sandbox.timeout_s=0", "sandbox.timeout_s"),
    ("sandbox.memory_mb=0", "sandbox.memory_mb"),
    ("sandbox.memory_mb=-5", "sandbox.memory_mb"),
    ("sandbox.memory_mb=99999999999", "sandbox.memory_mb"),
    ("sandbox.max_output_bytes=0", "sandbox.max_output_bytes"),
    ("sandbox.max_output_bytes=99999999999", "sandbox.max_output_bytes"),
    ("sandbox.tmpfs_mb=0", "sandbox.tmpfs_mb"),
    ("sandbox.tmpfs_mb=10000000", "sandbox.tmpfs_mb"),
    ("sandbox.workers=100000", "sandbox.workers"),
    ("sandbox.cpu_s=nan", "sandbox.cpu_s"),
    ("sandbox.max_processes=0", "sandbox.max_processes"),
])
def test_sandbox_numbers_out_of_range_are_refused(sc_tir_cfg, override, key):
    cfg = _with(sc_tir_cfg, override)
    with pytest.raises(ConfigError) as err:
        validate(cfg)
    assert err.value.key == key and "fix:" in str(err.value)


@pytest.mark.parametrize("override, key", [
    ("eval.budget_s=nan", "eval.budget_s"),
    ("eval.speed_factor=nan", "eval.speed_factor"),
    ("eval.budget_scales=[1.0,-0.5]", "eval.budget_scales"),
])
def test_kaggle_numbers_must_be_finite(kaggle_cfg, override, key):
    cfg = _with(kaggle_cfg, override)
    with pytest.raises(ConfigError) as err:
        validate(cfg)
    assert err.value.key == key


def test_sandbox_defaults_and_recipe_settings_pass():
    for extra in ([], ["sandbox=numina"], ["sandbox.workers=4", "sandbox.timeout_s=30"]):
        validate(compose_cfg(["method=evaluate", "eval=amc", "decoding=sc_tir_numina", *extra]))
