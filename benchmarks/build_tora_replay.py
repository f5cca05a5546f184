"""Build the recorded real TIR run that the demo and the SC-TIR benchmarks replay.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/build_tora_replay.py

Source: the 176 ToRA-70B greedy tool-integrated completions on GSM8K test problems that the shipped TIR
sample holds (numina_exp/data/samples/tir_sample.jsonl, rows `tora-70b-v1.0/gsm8k/<i>`; microsoft/ToRA's
released outputs, MIT). Each completion is cut where SC-TIR cuts a generation: step 0 is the text up to
and including the output marker (```output\\n), step 1 the text after the output block (the answer).
The execution results are left out (exec: null), so a replay runs every python block again in the
sandbox. num_tokens is counted with SmolLM2's tokenizer (ToRA's own, Llama-2's, is not available
offline): it sets the replay's pacing, not any answer.

Writes numina_exp/models/recordings/tora70b_gsm8k/{problems.jsonl, generations.jsonl} (problems in
GSM8K test order; gold answers from the shipped GSM8K suite). Deterministic: tests rebuild and compare.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
OUT = REPO / "numina_exp" / "models" / "recordings" / "tora70b_gsm8k"
STOP = "```output\n"


def segments(solution: str) -> list[str]:
    """The texts of the successive generation calls: each ends with the output marker except the last;
    the output block's content and its closing fence are what the executor would append."""
    out, rest = [], solution
    while STOP in rest:
        head, tail = rest.split(STOP, 1)
        out.append(head + STOP)
        _, _, rest = tail.partition("\n```")  # drop the recorded output and its closing fence
    out.append(rest + "\n")
    return out


def build(tokenizer=None) -> tuple[list[dict], list[dict]]:
    rows = [json.loads(line) for line in (REPO / "numina_exp/data/samples/tir_sample.jsonl").read_text().splitlines()]
    gold = {r["id"]: r for r in map(json.loads, (REPO / "numina_exp/data/suites/gsm8k.jsonl").read_text().splitlines())}
    tora = sorted((r for r in rows if r["id"].startswith("tora-70b-v1.0/gsm8k/")), key=lambda r: int(r["id"].rsplit("/", 1)[1]))
    if tokenizer is None:
        from recorded import cfg_for_model

        from numina_exp.models import load_tokenizer, resolve_model_source
        cfg = cfg_for_model("smollm2_135m")
        tokenizer = load_tokenizer(cfg, resolve_model_source(cfg))
    problems, gens = [], []
    for r in tora:
        pid = f"gsm8k-test-{r['id'].rsplit('/', 1)[1]}"
        g = gold[pid]
        if g["problem"].strip() != r["problem"].strip():
            raise ValueError(f"{r['id']}: problem text differs from {pid}")
        problems.append({"id": pid, "problem": g["problem"], "answer": g["answer"]})
        for step, text in enumerate(segments(r["solution"])):
            gens.append({"problem_id": pid, "copy": 0, "step": step, "text": text,
                         "num_tokens": len(tokenizer(text, add_special_tokens=False).input_ids),
                         "finish_reason": "stop" if text.endswith(STOP) else "eos", "exec": None})
    return problems, gens


def main() -> None:
    problems, gens = build()
    OUT.mkdir(parents=True, exist_ok=True)
    for name, rows in (("problems.jsonl", problems), ("generations.jsonl", gens)):
        (OUT / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print(f"{len(problems)} problems, {len(gens)} generation segments -> {OUT}")


if __name__ == "__main__":
    main()
