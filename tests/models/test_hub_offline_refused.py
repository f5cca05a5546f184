"""Offline (HF_HUB_OFFLINE=1, as the Makefile sets it) a hub id that the local cache does not hold is a
config error naming its key and the ways out (scale=cpu, a local path, the cache) before anything runs;
for a pipeline, every stage's hub ids are checked before stage 1 starts. Read from the cache layout only."""
from __future__ import annotations

import time

import pytest
from helpers import compose_cfg, run_cli

from numina_exp.core.errors import ConfigError
from numina_exp.models.hub import check_hub_available, hub_refs


def _env(tmp_path) -> dict:
    return {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "HF_HUB_CACHE": str(tmp_path / "hf" / "hub"),
            "HF_DATASETS_CACHE": str(tmp_path / "hf" / "datasets")}


def _refused(proc, key: str) -> None:
    assert proc.returncode == 2, (proc.stdout + proc.stderr)[-3000:]
    assert f"config error at `{key}`" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "scale=cpu" in proc.stderr and "huggingface-cli download" in proc.stderr


def test_pipeline_as_the_readme_types_it_fails_before_stage_1(tmp_path):
    start = time.monotonic()
    run = tmp_path / "run"
    proc = run_cli(["+experiment=kto_on_sft", f"hydra.run.dir={run}"], timeout=180, env=_env(tmp_path))
    _refused(proc, "model.hub_id")
    assert "AI-MO/NuminaMath-7B-CoT" in proc.stderr  # stage 1's initial weights
    assert not list(run.glob("0_*")), "stage 1 started"
    assert time.monotonic() - start < 60  # no minute of retries


def test_quantize_calibration_data_hub_id_is_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMINA_EXP_CACHE", str(tmp_path / "cache"))
    from numina_exp.models.tiny import materialize_tiny

    model = materialize_tiny(compose_cfg(["model=tiny_llama"]).model)
    proc = run_cli(["+experiment=gptq8", f"model.path={model}", f"hydra.run.dir={tmp_path / 'run'}"], timeout=180,
                   env={**_env(tmp_path), "NUMINA_EXP_CACHE": str(tmp_path / "cache")})
    _refused(proc, "data.hub_id")
    assert "--repo-type dataset" in proc.stderr
    assert not (tmp_path / "run" / "resolved_config.yaml").exists()


def _fake_cache(root, repo_id: str, kind: str) -> None:
    """The hub cache layout huggingface_hub writes: <kind>s--org--name/{refs/main, snapshots/<rev>/...}."""
    folder = root / f"{kind}s--{repo_id.replace('/', '--')}"
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text("abc123")
    (folder / "snapshots" / "abc123").mkdir(parents=True)
    (folder / "snapshots" / "abc123" / ("config.json" if kind == "model" else "data.parquet")).write_text("{}")


def test_cached_ids_pass_and_online_nothing_is_checked(tmp_path, monkeypatch):
    from huggingface_hub import constants

    cfg = compose_cfg(["experiment=gptq8"])
    assert [(k, kind) for k, _, kind in hub_refs(cfg, ("model", "data"))] == [("model.hub_id", "model"), ("data.hub_id", "dataset")]
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "datasets"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError) as err:
        check_hub_available(cfg)
    assert err.value.key == "model.hub_id"
    _fake_cache(tmp_path / "hub", cfg.model.hub_id, "model")
    with pytest.raises(ConfigError) as err:
        check_hub_available(cfg)
    assert err.value.key == "data.hub_id"
    _fake_cache(tmp_path / "hub", cfg.data.hub_id, "dataset")
    check_hub_available(cfg)  # both cached
    monkeypatch.delenv("HF_HUB_OFFLINE")
    check_hub_available(compose_cfg(["experiment=stage1_cot"]))  # online: the hub answers for itself


def test_scale_cpu_and_local_paths_load_no_hub_id():
    from numina_exp.config.scaling import apply_scale

    cfg = compose_cfg(["experiment=stage1_cot", "scale=cpu"])
    apply_scale(cfg)
    assert hub_refs(cfg, ("model", "data", "train")) == []
    cfg = compose_cfg(["method=evaluate", "eval=amc", "backend=replay", "backend.path=x.jsonl"])
    assert hub_refs(cfg, ("decoding", "backend", "eval")) == []  # a replay loads no weights, amc ships its file
