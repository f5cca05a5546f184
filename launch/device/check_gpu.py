"""GPU path checks, run on a lent GPU machine (no internet there). One script, one call:

  1. environment (GPU, torch, transformers, bf16 support; which optional libraries import)
  2. the SFT recipe through the real CLI on CUDA (bf16, activation checkpointing), tiny twin
  3. one bf16 training step at DeepSeekMath-7B layer shapes (hidden 4096, 32 heads, ffn 11008), 2 layers
  4. the `hf` backend's inference ablation: dynamic cache vs static cache + torch.compile, tokens/s
  5. SC-TIR end to end on CUDA with the hf backend (the sandbox falls back to process isolation there)
  6. vLLM at the recipe's width: one SC-TIR step's batch, N=48 seeded requests of 512 new tokens through
     our VLLMBackend at DeepSeekMath-7B layer shapes (4 layers, bf16): tokens/s, and the batch the engine
     declares (max_batch_sequences, what decoding.problems_in_flight=auto fills)
  7. a bf16 ZeRO-3 step: the SFT recipe through the CLI with distributed=zero3 on the GPU (DeepSpeed
     stage 3, zero3 init, bf16), optimizer steps and tokens/s from the run's train_metrics.json
  8. GPTQ Marlin loading: an 8-bit GPTQ checkpoint (group 128, desc_act, sym: the recipe's) of a small
     Llama made here, loaded by vLLM with quantization=gptq_marlin (tokens/s at N=48) and by gptqmodel
     with its Marlin backend (which kernel class loaded, logits against the unquantized model)

A check whose library is missing on the image records `skipped` with the import error instead of
failing the others. Writes JSON results to $OUT/device_results.json (or ./device_results.json); back on
the repo machine `python launch/device/record.py <that file>` stores it under launch/device/results/
and adds a row to launch/device/README.md's "Results on record".
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("OUT", "."))
RESULTS: dict = {}


def record(name: str, **values) -> None:
    RESULTS[name] = values
    print(f"[{name}] " + json.dumps(values, default=str), flush=True)
    (OUT / "device_results.json").write_text(json.dumps(RESULTS, indent=2, default=str))


def cli(args: list[str], timeout: int) -> tuple[int, float, str]:
    start = time.time()
    proc = subprocess.run([sys.executable, "-m", "numina_exp", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "HF_HUB_OFFLINE": "1", "WANDB_MODE": "offline"})
    tail = (proc.stdout + proc.stderr)[-3000:]
    return proc.returncode, time.time() - start, tail


def importable(name: str) -> str | None:
    """The module's version, or None when it does not import here."""
    try:
        mod = __import__(name)
        return str(getattr(mod, "__version__", "?"))
    except Exception:  # noqa: BLE001 - any import failure means "not on this image"
        return None


def env() -> None:
    import torch
    import transformers
    record("env", torch=torch.__version__, cuda=torch.version.cuda, transformers=transformers.__version__,
           gpu=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
           bf16=torch.cuda.is_available() and torch.cuda.is_bf16_supported(),
           optional={m: importable(m) for m in ("vllm", "deepspeed", "gptqmodel", "optimum", "trl")})


def skipped(name: str, module: str) -> bool:
    if importable(module) is None:
        record(name, skipped=f"{module} does not import on this image (carry its wheel: launch/device/fetch_wheels.sh)")
        return True
    return False


def sft_cli(tmp: Path) -> None:
    run_dir = tmp / "sft"
    rc, secs, tail = cli(["+experiment=stage1_cot", "scale=cpu", "train.max_steps=30", "train.learning_rate=1e-3",
                          f"hydra.run.dir={run_dir}"], timeout=240)
    metrics = run_dir / "train_metrics.json"
    args = {}
    if (run_dir / "final" / "training_args.bin").exists():
        import torch
        targs = torch.load(run_dir / "final" / "training_args.bin", weights_only=False)
        args = {k: getattr(targs, k, None) for k in ("bf16", "use_cpu", "gradient_checkpointing", "gradient_checkpointing_kwargs",
                                                     "learning_rate", "max_length", "packing_strategy")}
    record("sft_cli_bf16", rc=rc, seconds=round(secs, 1), final_exists=(run_dir / "final" / "config.json").exists(), trl_args=args,
           metrics=json.loads(metrics.read_text()) if metrics.exists() else None, tail=tail if rc else tail[-600:])


def layer_shaped_step() -> None:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(vocab_size=102400, hidden_size=4096, num_hidden_layers=2, num_attention_heads=32,
                      num_key_value_heads=32, intermediate_size=11008, max_position_embeddings=4096)
    torch.manual_seed(0)
    model = LlamaForCausalLM(cfg).to("cuda", torch.bfloat16)
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.0)
    x = torch.randint(0, cfg.vocab_size, (4, 1024), device="cuda")
    times, losses = [], []
    for _ in range(4):
        torch.cuda.synchronize(); t = time.time()
        loss = model(input_ids=x, labels=x).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step(); opt.zero_grad(set_to_none=True)
        torch.cuda.synchronize(); times.append(time.time() - t); losses.append(loss.item())
    step = sorted(times[1:])[len(times[1:]) // 2]
    record("bf16_step_7b_layer_shapes", layers=2, batch=4, seq=1024, median_step_s=round(step, 4),
           tokens_per_s=round(4 * 1024 / step), losses=[round(v, 4) for v in losses],
           peak_mem_gb=round(torch.cuda.max_memory_allocated() / 2**30, 2))
    del model, opt
    torch.cuda.empty_cache()


def hf_static_cache() -> None:
    import torch
    from hydra import compose, initialize_config_dir

    import numina_exp.config  # noqa: F401
    from numina_exp.generate.base import Sampling
    from numina_exp.generate.hf import HFBackend

    overrides = ["model=deepseek_math_7b_base", "scale=cpu", "model.tiny.hidden_size=4096",
                 "model.tiny.num_hidden_layers=4", "model.tiny.num_attention_heads=32",
                 "model.tiny.num_key_value_heads=32", "model.tiny.intermediate_size=11008", "backend=hf",
                 "backend.batch_size=16"]
    prompts = [f"### Problem: What is {i} + {i * 7}?\n### Solution: " for i in range(16)]
    sampling = Sampling(n=1, temperature=0.8, top_p=1.0, max_new_tokens=256, seed=0)
    rows = {}
    for label, extra in [("dynamic", []), ("static+compile", ["backend.static_cache=true", "backend.compile=true"])]:
        with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
            cfg = compose(config_name="config", overrides=overrides + extra)
        backend = HFBackend(cfg)
        backend.generate(prompts[:2], Sampling(max_new_tokens=16, seed=0))  # warm-up (compiles)
        backend.generate(prompts, sampling)  # second warm-up at the real batch shape
        torch.cuda.synchronize(); t = time.time()
        outs = backend.generate(prompts, sampling)
        torch.cuda.synchronize(); secs = time.time() - t
        toks = sum(c.num_tokens for o in outs for c in o)
        rows[label] = {"seconds": round(secs, 3), "tokens": toks, "tokens_per_s": round(toks / secs, 1)}
        backend.close()
        torch.cuda.empty_cache()
    ratio = rows["static+compile"]["tokens_per_s"] / rows["dynamic"]["tokens_per_s"]
    record("hf_static_cache_compile", model="DeepSeekMath-7B layer shapes, 4 layers, bf16", batch=16,
           max_new_tokens=256, **rows, speedup=round(ratio, 2))


def sc_tir_cli(tmp: Path) -> None:
    run_dir = tmp / "eval"
    rc, secs, tail = cli(["+experiment=eval_sc_tir", "scale=cpu", "backend=hf", "eval.seeds=[0]",
                          f"hydra.run.dir={run_dir}"], timeout=240)
    results = run_dir / "results.json"
    record("sc_tir_hf_cuda", rc=rc, seconds=round(secs, 1),
           results=json.loads(results.read_text()) if results.exists() else None, tail=tail if rc else tail[-600:])


LAYER_SHAPES = ["model=deepseek_math_7b_base", "scale=cpu", "model.tiny.hidden_size=4096", "model.tiny.num_hidden_layers=4",
                "model.tiny.num_attention_heads=32", "model.tiny.num_key_value_heads=32", "model.tiny.intermediate_size=11008"]


def vllm_n48() -> None:
    if skipped("vllm_n48", "vllm"):
        return
    from hydra import compose, initialize_config_dir

    import numina_exp.config  # noqa: F401
    from numina_exp.generate.base import GenKey, Sampling
    from numina_exp.generate.vllm import VLLMBackend

    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        cfg = compose(config_name="config", overrides=LAYER_SHAPES + ["backend=vllm", "backend.dtype=bfloat16",
                                                                      "backend.max_model_len=4096"])
    backend = VLLMBackend(cfg)
    prompt = "### Problem: What is the sum of the first 100 positive integers?\n### Solution: "
    sampling = Sampling(n=1, temperature=0.8, top_p=1.0, max_new_tokens=512, seed=0)
    keys = [GenKey("p", i, 0) for i in range(48)]
    backend.generate([prompt] * 4, Sampling(max_new_tokens=16, seed=0), keys[:4])  # warm-up (CUDA graphs)
    rows = []
    for _ in range(3):
        t = time.time()
        outs = backend.generate([prompt] * 48, sampling, keys)
        secs = time.time() - t
        toks = sum(o[0].num_tokens for o in outs)
        rows.append({"seconds": round(secs, 3), "tokens": toks, "tokens_per_s": round(toks / secs, 1)})
    record("vllm_n48", model="DeepSeekMath-7B layer shapes, 4 layers, bf16", sequences=48, max_new_tokens=512,
           runs=rows, best_tokens_per_s=max(r["tokens_per_s"] for r in rows),
           max_batch_sequences=backend.max_batch_sequences, capacity=getattr(backend, "capacity_note", None))
    backend.close()


def zero3_step(tmp: Path) -> None:
    if skipped("zero3_bf16_step", "deepspeed"):
        return
    run_dir = tmp / "zero3"
    rc, secs, tail = cli(["+experiment=stage1_cot", "scale=cpu", "distributed=zero3", "launch.gpus=1", "train.max_steps=8",
                          "train.bf16=true", "train.learning_rate=1e-3", f"hydra.run.dir={run_dir}"], timeout=420)
    metrics = run_dir / "train_metrics.json"
    record("zero3_bf16_step", rc=rc, seconds=round(secs, 1), final_exists=(run_dir / "final" / "config.json").exists(),
           zero_stage_3_in_log="stage 3" in tail.lower() or "zero3" in tail.lower(),
           metrics=json.loads(metrics.read_text()) if metrics.exists() else None, tail=tail if rc else tail[-600:])


def gptq_marlin(tmp: Path) -> None:
    if skipped("gptq_marlin", "gptqmodel"):
        return
    import torch
    from gptqmodel import BACKEND, GPTQModel, QuantizeConfig
    from hydra import compose, initialize_config_dir
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from numina_exp.models.tiny import materialize_tiny

    src, qdir = tmp / "gptq_src", tmp / "gptq_8bit"
    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        tcfg = compose(config_name="config", overrides=["model=deepseek_math_7b_base", "scale=cpu"])
    tok = AutoTokenizer.from_pretrained(str(materialize_tiny(tcfg.model)))  # the tiny twin's tokenizer
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=1024, num_hidden_layers=2, num_attention_heads=8,
                      num_key_value_heads=8, intermediate_size=2816, max_position_embeddings=2048)
    torch.manual_seed(0)
    LlamaForCausalLM(cfg).to(torch.float16).save_pretrained(src)
    tok.save_pretrained(src)
    calib = [tok(f"### Problem: {i} + {i * 3} = ?\n### Solution: " * 8)["input_ids"] for i in range(64)]
    t = time.time()
    model = GPTQModel.load(str(src), QuantizeConfig(bits=8, group_size=128, desc_act=True, sym=True))
    model.quantize([{"input_ids": c, "attention_mask": [1] * len(c)} for c in calib])
    model.save(str(qdir))
    tok.save_pretrained(qdir)
    quantize_s = time.time() - t
    del model
    out = {"bits": 8, "group_size": 128, "desc_act": True, "quantize_s": round(quantize_s, 1)}
    x = torch.tensor([calib[0][:256]], device="cuda")
    ref = LlamaForCausalLM.from_pretrained(src, dtype=torch.float16).to("cuda").eval()
    with torch.no_grad():
        ref_logits = ref(x).logits.float()
    del ref
    try:
        q = GPTQModel.load(str(qdir), backend=BACKEND.MARLIN, device="cuda")
        kernels = sorted({type(m).__name__ for m in q.model.modules()
                          if "Quant" in type(m).__name__ or "Marlin" in type(m).__name__})
        with torch.no_grad():
            logits = q.model(x).logits.float()
        out["gptqmodel_marlin"] = {"kernels": kernels, "marlin": any("Marlin" in k for k in kernels),
                                   "logits_max_abs_diff": round((logits - ref_logits).abs().max().item(), 4)}
        del q
    except Exception as err:  # noqa: BLE001 - recorded, and vLLM still tried
        out["gptqmodel_marlin"] = {"error": f"{type(err).__name__}: {err}"}
    torch.cuda.empty_cache()
    if importable("vllm") is not None:
        try:
            from vllm import LLM, SamplingParams
            llm = LLM(model=str(qdir), quantization="gptq_marlin", dtype="float16", max_model_len=2048,
                      gpu_memory_utilization=0.5, seed=0)
            params = [SamplingParams(temperature=0.8, max_tokens=256, ignore_eos=True, seed=i) for i in range(48)]
            t = time.time()
            outs = llm.generate(["### Problem: 2 + 2 = ?\n### Solution: "] * 48, params, use_tqdm=False)
            secs = time.time() - t
            toks = sum(len(o.outputs[0].token_ids) for o in outs)
            out["vllm_gptq_marlin"] = {"quantization": str(llm.llm_engine.vllm_config.model_config.quantization),
                                       "sequences": 48, "tokens_per_s": round(toks / secs, 1)}
            del llm
        except Exception as err:  # noqa: BLE001
            out["vllm_gptq_marlin"] = {"error": f"{type(err).__name__}: {err}"}
    else:
        out["vllm_gptq_marlin"] = {"skipped": "vllm does not import on this image"}
    record("gptq_marlin", **out)


def main() -> None:
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / "numina_device_check"
    tmp.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("NUMINA_EXP_CACHE", str(tmp / "cache"))
    steps = [env, lambda: sft_cli(tmp), layer_shaped_step, hf_static_cache, lambda: sc_tir_cli(tmp), vllm_n48,
             lambda: zero3_step(tmp), lambda: gptq_marlin(tmp)]
    names = ["env", "sft_cli", "layer_shaped_step", "hf_static_cache", "sc_tir_cli", "vllm_n48", "zero3_step", "gptq_marlin"]
    only = set(sys.argv[1:])
    for name, step in zip(names, steps):
        if only and name not in only:
            continue
        try:
            step()
        except Exception as err:  # one failing check must not hide the others
            record(name + "_error", error=f"{type(err).__name__}: {err}")
    print(json.dumps(RESULTS, indent=2, default=str))


if __name__ == "__main__":
    main()
