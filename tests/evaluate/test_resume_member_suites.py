"""Resume of a composite suite (eval=aimo_val, the default of eval_sc_tir): the plan holds the contents
of every member's file, so a resume after one member's file changed is refused naming that member, and
the unchanged command resumes without decoding anything. The members' files are copies in tmp_path
(the test points the suite registry at a copy of conf/eval whose amc/aime entries name them)."""
import json
import shutil

import pytest
from eval_scripted import ScriptedDecoder
from helpers import CONF, compose_cfg

from numina_exp.evaluate import suites
from numina_exp.evaluate.plan import ResumeMismatch
from numina_exp.evaluate.runner import run


@pytest.fixture
def member_files(tmp_path, monkeypatch):
    """conf/eval copied to tmp_path, with amc and aime reading their rows from copies in tmp_path."""
    conf = tmp_path / "conf_eval"
    shutil.copytree(CONF / "eval", conf)
    files = {}
    for name in ("amc", "aime"):
        src = suites.suite_config(name).path
        dst = tmp_path / f"{name}.jsonl"
        shutil.copy(src, dst)
        y = conf / f"{name}.yaml"
        lines = [f"path: {dst}" if line.startswith("path:") else line for line in y.read_text().splitlines()]
        y.write_text("\n".join(lines) + "\n")
        files[name] = dst
    monkeypatch.setattr(suites, "CONF_EVAL_DIR", conf)
    assert str(suites.suite_config("amc").path) == str(files["amc"])
    return files


def _cfg(*extra):
    return compose_cfg(["eval=aimo_val", "eval.limit=1", "decoding=sc_tir_numina", "decoding.n=4",
                        "eval.progress=false", *extra])


def _bump_first_gold(path):
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[0]["answer"] = str(int(float(rows[0]["answer"])) + 1)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.mark.parametrize("member", ["amc", "aime"])
def test_changed_member_file_refuses_resume_naming_the_member(member_files, tmp_path, member):
    run_dir = tmp_path / "run"
    first = run(_cfg(), run_dir, decoder=ScriptedDecoder(n=4))
    assert first["problems"] == 4  # one row of each of the four members
    again = ScriptedDecoder(n=4)
    run(_cfg(), run_dir, decoder=again)
    assert again.calls == []  # unchanged: resumes, nothing decoded
    _bump_first_gold(member_files[member])
    dec = ScriptedDecoder(n=4)
    with pytest.raises(ResumeMismatch) as err:
        run(_cfg(), run_dir, decoder=dec)
    assert dec.calls == []  # refused before decoding anything
    assert f"member:{member}" in str(err.value) and "eval.resume=false" in str(err.value)
    other = "aime" if member == "amc" else "amc"
    assert f"member:{other}" not in str(err.value)
