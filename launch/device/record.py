"""Put a device check's results into the repo: `python launch/device/record.py PATH/device_results.json`.

Copies the JSON to launch/device/results/<date>_<gpu>.json and appends one row to the "Results on
record" table of launch/device/README.md with the headline numbers (vLLM tokens/s at N=48, the bf16
ZeRO-3 step, GPTQ Marlin loading, the 7B-layer bf16 step, static cache + compile). Commit both files."""
from __future__ import annotations

import datetime
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def headline(r: dict) -> str:
    parts = []
    v = r.get("vllm_n48", {})
    parts.append(f"vLLM N=48: {v['best_tokens_per_s']} tok/s (batch {v.get('max_batch_sequences')})" if "best_tokens_per_s" in v
                 else f"vLLM N=48: {v.get('skipped') or v.get('error') or r.get('vllm_n48_error', {}).get('error', 'not run')}")
    z = r.get("zero3_bf16_step", {})
    zm = (z.get("metrics") or {})
    parts.append(f"ZeRO-3 bf16: rc {z['rc']}, {zm.get('train_tokens_per_s', zm.get('tokens_per_s', '?'))} tok/s" if "rc" in z
                 else f"ZeRO-3 bf16: {z.get('skipped') or r.get('zero3_step_error', {}).get('error', 'not run')}")
    g = r.get("gptq_marlin", {})
    if g and "skipped" not in g:
        gm, gv = g.get("gptqmodel_marlin", {}), g.get("vllm_gptq_marlin", {})
        parts.append(f"GPTQ-8 Marlin: gptqmodel {'Marlin' if gm.get('marlin') else gm.get('error', 'no Marlin kernel')}"
                     f" (max logit diff {gm.get('logits_max_abs_diff', '-')}), vLLM "
                     f"{gv.get('tokens_per_s', gv.get('error') or gv.get('skipped'))} tok/s")
    else:
        parts.append(f"GPTQ Marlin: {g.get('skipped') or r.get('gptq_marlin_error', {}).get('error', 'not run')}")
    s = r.get("bf16_step_7b_layer_shapes", {})
    if s:
        parts.append(f"7B-layer bf16 step {s.get('tokens_per_s')} tok/s")
    h = r.get("hf_static_cache_compile", {})
    if h:
        parts.append(f"static+compile {h.get('speedup')}x")
    return "; ".join(str(p).replace("|", "/") for p in parts)


def main() -> None:
    src = Path(sys.argv[1])
    results = json.loads(src.read_text())
    gpu = (results.get("env") or {}).get("gpu") or "unknown-gpu"
    date = datetime.date.today().isoformat()
    dest = HERE / "results" / f"{date}_{re.sub(r'[^A-Za-z0-9]+', '-', gpu).strip('-')}.json"
    dest.parent.mkdir(exist_ok=True)
    dest.write_text(json.dumps(results, indent=2) + "\n")
    readme = HERE / "README.md"
    row = f"| {date} | {gpu} | {headline(results)} ([json](results/{dest.name})) |\n"
    readme.write_text(readme.read_text().rstrip("\n") + "\n" + row)
    print(f"wrote {dest} and a row in {readme}")


if __name__ == "__main__":
    main()
