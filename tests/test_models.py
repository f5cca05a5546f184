"""The offline tokenizer and the tiny twin of every model config."""
import json
from pathlib import Path

import pytest
import torch
from helpers import CONF, REPO, compose_cfg

from numina_exp.models import load_model, load_tokenizer, render_prompt, resolve_model_source
from numina_exp.models.tokenizer import build_tokenizer

TIR = ("```python\nfrom sympy import Rational\nprint(Rational(1, 3) + Rational(1, 6))\n```\n"
       "```output\n1/2\n```\nThe answer is $\\boxed{\\frac{1}{2}}$. Ünïcödé ∑ ok.")


@pytest.fixture(scope="module")
def tok(tmp_path_factory):
    return build_tokenizer(out_dir=tmp_path_factory.mktemp("tok") / "bpe")


def test_chat_template_renders_the_recipe_format(tok):
    msgs = [{"role": "system", "content": ""}, {"role": "user", "content": "What is 1/3+1/6?"},
            {"role": "assistant", "content": TIR}]
    text = tok.apply_chat_template(msgs, tokenize=False)
    assert text == f"### Problem: What is 1/3+1/6?\n### Solution: {TIR}\n"
    prompt = tok.apply_chat_template(msgs[:2], tokenize=False, add_generation_prompt=True)
    assert prompt == render_prompt("What is 1/3+1/6?") == "### Problem: What is 1/3+1/6?\n### Solution: "


def test_tokenizer_round_trips_and_adds_bos(tok):
    text = render_prompt("Find $x$ if $x^2=4$.") + TIR
    ids = tok(text).input_ids
    assert ids[0] == tok.bos_token_id and ids.count(tok.bos_token_id) == 1
    assert tok.decode(ids, skip_special_tokens=True) == text
    assert {tok.bos_token, tok.eos_token, tok.pad_token} == {"<s>", "</s>", "<pad>"}
    assert len(set([tok.bos_token_id, tok.eos_token_id, tok.pad_token_id])) == 3


def test_tokenizer_training_is_deterministic(tmp_path):
    build_tokenizer(out_dir=tmp_path / "a")
    build_tokenizer(out_dir=tmp_path / "b")
    a, b = (json.loads((tmp_path / d / "tokenizer.json").read_text())["model"] for d in "ab")
    assert a["vocab"] == b["vocab"] and a["merges"] == b["merges"] and len(a["vocab"]) > 1000


MODELS = sorted(p.stem for p in (CONF / "model").glob("*.yaml"))


@pytest.mark.parametrize("model", MODELS)
def test_tiny_twin_builds_and_trains_one_step(model, tmp_path, monkeypatch):
    monkeypatch.setenv("NUMINA_EXP_CACHE", str(tmp_path / "cache"))
    cfg = compose_cfg([f"model={model}", "scale=cpu"])
    source = resolve_model_source(cfg)
    assert Path(source, "config.json").exists(), "the twin is a model directory like a real checkpoint"
    tokenizer = load_tokenizer(cfg, source)
    net = load_model(cfg, source, device="cpu")
    arch = json.loads(Path(source, "config.json").read_text())["model_type"]
    assert arch == ("mixtral" if cfg.model.arch == "mixtral" else "llama")
    batch = tokenizer([render_prompt("1+1?") + "2", render_prompt("2+2?") + "```python\nprint(4)\n```"],
                      return_tensors="pt", padding=True)
    out = net(**batch, labels=batch.input_ids)
    assert torch.isfinite(out.loss)
    out.loss.backward()
    grads = [p.grad for p in net.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(g.abs().sum().item() for g in grads) > 0
    if cfg.model.arch == "mixtral":
        assert out.aux_loss is not None and torch.isfinite(out.aux_loss)


def test_twin_is_cached_and_deterministic(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMINA_EXP_CACHE", str(tmp_path / "cache"))
    cfg = compose_cfg(["model=tiny_llama"])
    first = resolve_model_source(cfg)
    w1 = load_model(cfg, first, device="cpu").state_dict()
    assert resolve_model_source(cfg) == first
    monkeypatch.setenv("NUMINA_EXP_CACHE", str(tmp_path / "cache2"))
    second = resolve_model_source(cfg)
    w2 = load_model(cfg, second, device="cpu").state_dict()
    assert second != first and all(torch.equal(w1[k], w2[k]) for k in w1)


def test_concurrent_builders_share_one_twin(tmp_path):
    """The ranks of a distributed run build the same twin at once (same cache): all must succeed."""
    import subprocess
    import sys

    code = ("from helpers import compose_cfg\nfrom numina_exp.models import resolve_model_source\n"
            "print(resolve_model_source(compose_cfg(['model=tiny_llama'])))")
    env = {**__import__("os").environ, "NUMINA_EXP_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(REPO / "tests")}
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-1500:] for o in outs]
    paths = {o[0].strip().splitlines()[-1] for o in outs}
    assert len(paths) == 1 and Path(paths.pop(), "model.safetensors").exists()
    assert not list((tmp_path / "cache" / "tiny").glob("*.tmp*")), "no half-written entry left behind"
