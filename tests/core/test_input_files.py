"""A run dir remembers the contents of its input data file (sha256 in run_info.json): rerun there after the
file changed - a shipped file rebuilt under the same `${pkg:...}` path, so the config hash is unchanged - and
the run is refused naming the key, instead of resuming checkpoints (or skipping a pipeline stage) computed
from the old rows."""
import json

import pytest
from helpers import compose_cfg

from numina_exp.core.rundir import RunError, check_same_inputs, input_files, prepare_run


def _cfg(data):
    return compose_cfg(["experiment=stage2_tir", "scale=cpu", "data=jsonl", f"data.path={data}"])


def test_changed_data_file_is_refused_naming_the_key(tmp_path):
    data = tmp_path / "rows.jsonl"
    data.write_text('{"problem": "1+1", "solution": "2"}\n')
    run = tmp_path / "run"
    prepare_run(_cfg(data), run_dir=run)
    recorded = json.loads((run / "run_info.json").read_text())["input_files"]["data.path"]
    assert recorded["path"] == str(data) and len(recorded["sha256"]) == 64
    prepare_run(_cfg(data), run_dir=run)  # the same contents: resumes
    data.write_text('{"problem": "1+2", "solution": "3"}\n')
    with pytest.raises(RunError, match=r"data.path file .*rows.jsonl had other contents"):
        prepare_run(_cfg(data), run_dir=run)
    with pytest.raises(RunError, match="data.path"):
        check_same_inputs(_cfg(data), run)  # what a pipeline asks before skipping a finished stage


def test_hub_data_and_fresh_dirs_pass(tmp_path):
    cfg = compose_cfg(["experiment=stage2_tir"])  # a hub id, no local file
    assert input_files(cfg) == {}
    check_same_inputs(cfg, tmp_path / "nothing_here")
