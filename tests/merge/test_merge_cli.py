"""method=merge through the real CLI: bad input refused before anything loads, a merge of run
directories, and the acceptance pipeline SFT -> samples -> KTO -> TIES -> SC-TIR evaluation."""
from __future__ import annotations

import json
import shutil
import time

import pytest
import yaml
from helpers import run_cli

REJECTIONS = [
    (["merge.method=ties", "merge.models=[a,b]", "merge.weights=[0.5]"], "merge.weights", "1 weights for 2 models"),
    (["merge.method=dare_ties", "merge.models=[a,b]"], "merge.base_model", "task vectors"),
    (["merge.method=ties", "merge.models=[/nonexistent/run,b]", "merge.base_model=c"], "merge.models[0]", "does not exist"),
    (["merge.method=median", "merge.models=[a,b]"], "merge.method", "median"),  # not in the Enum: refused at composition
]


@pytest.mark.parametrize("overrides,key,words", REJECTIONS, ids=[r[1] + "-" + r[0][0] for r in REJECTIONS])
def test_bad_merge_config_is_refused_before_anything_loads(overrides, key, words, tmp_path):
    start = time.monotonic()
    proc = run_cli(["method=merge", *overrides, f"hydra.run.dir={tmp_path}"], timeout=60)
    assert proc.returncode != 0
    assert key in proc.stderr and words in proc.stderr, proc.stderr[-2000:]
    assert time.monotonic() - start < 15
    assert not (tmp_path / "final").exists()


def test_cli_merges_run_directories_into_a_loadable_final(twins, tmp_path):
    runs = {}
    for name in ("a", "b"):  # run directories, as training leaves them: <run>/final/
        shutil.copytree(twins[name], tmp_path / f"run_{name}" / "final")
        runs[name] = tmp_path / f"run_{name}"
    out = tmp_path / "merge"
    proc = run_cli(["method=merge", "merge.method=ties", f"merge.models=[{runs['a']},{runs['b']}]", "merge.weights=[0.5,0.5]",
                    f"merge.base_model={twins['base']}", "merge.density=0.5", "merge.dtype=float32", f"hydra.run.dir={out}"],
                   timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((out / "result.json").read_text())
    assert result["inputs"] == [str(runs["a"] / "final"), str(runs["b"] / "final")]
    lineage = json.loads((out / "final" / "lineage.json").read_text())
    assert lineage["method"] == "ties" and lineage["base_model"]["path"] == str(twins["base"])
    assert yaml.safe_load((out / "final" / "resolved_config.yaml").read_text())["merge"]["method"] == "ties"

    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(str(out / "final"))
    tok = AutoTokenizer.from_pretrained(str(out / "final"))
    ids = tok("### Problem: 1+1?\n### Solution: ", return_tensors="pt")
    assert model.generate(**ids, max_new_tokens=4, do_sample=False).shape[1] == ids["input_ids"].shape[1] + 4


def test_acceptance_merge_sft_kto_ties_end_to_end(tmp_path):
    """The experiment's own stages at scale=cpu, with fewer SFT steps and rows and one evaluation seed (each stage's
    code path is the same), and vLLM's in-process engine (the multiprocess one spends ~1 min per start on 2
    cores): ~2 min instead of ~5, so it runs in CI."""
    run = tmp_path / "run"
    proc = run_cli(["+experiment=merge_sft_kto_ties", "scale=cpu",
                    'pipeline.overrides=["train.max_steps=4","data.max_rows=16","eval.seeds=[0]"]', f"hydra.run.dir={run}"],
                   timeout=3000, env={"NUMINA_EXP_CACHE": str(tmp_path / "cache"), "VLLM_ENABLE_V1_MULTIPROCESSING": "0"})
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    stages = json.loads((run / "pipeline.json").read_text())
    assert [(s["stage"], s["method"]) for s in stages] == [("stage2_tir", "sft"), ("sample_from_sft", "sample"), ("kto", "kto"),
                                                           ("merge", "merge"), ("eval_sc_tir", "evaluate")]
    lineage = json.loads((run / "3_merge" / "final" / "lineage.json").read_text())
    assert [i["path"] for i in lineage["inputs"]] == [str(run / "0_stage2_tir" / "final"), str(run / "2_kto" / "final")]
    assert lineage["method"] == "ties" and lineage["base_model"]["resolved_as"] == "tiny_twin"
    ev = run / "4_eval_sc_tir"
    assert yaml.safe_load((ev / "resolved_config.yaml").read_text())["model"]["path"] == str(run / "3_merge" / "final")
    assert json.loads((ev / "results.json").read_text())["problems"] == 16 and (ev / "report.md").exists()
