"""Developer-only: rebuild the small training samples shipped in numina_exp/data/samples/ from
a local copy of the public MATH and ToRA data given as the first argument (see numina_exp/data/README.md
for provenance and licenses).
Users never run this; the outputs are committed. Deterministic (fixed seeds)."""
import json
import random
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if len(sys.argv) != 2:
    sys.exit("usage: python scripts/build_samples.py SOURCE_DATA_DIR")
SHARED = Path(sys.argv[1])
OUT = REPO / "numina_exp" / "data" / "samples"


def read(name):
    return [json.loads(line) for line in open(SHARED / name)]


def row(id_, source, problem, solution):
    return {"id": id_, "source": source, "problem": problem, "solution": solution,
            "messages": [{"role": "user", "content": problem}, {"role": "assistant", "content": solution}]}


def write(name, rows):
    with open(OUT / name, "w") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{name}: {len(rows)} rows")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    # CoT: MATH train problems with their reference solutions, short ones so the tiny twin sees whole samples.
    math_train = [r for r in read("math_train.jsonl") if r["answer"] and len(r["solution"]) < 900]
    cot = random.Random(0).sample(math_train, 240)
    write("cot_sample.jsonl", [row(r["id"], "math", r["problem"], r["solution"]) for r in cot])
    # TIR: the ToRA corpus examples (GPT-4 tool-integrated MATH solutions) + correct ToRA-70B GSM8K completions.
    tora = read("samples/tora_corpus_examples.jsonl")
    t70 = [r for r in read("completions/tora_70b_gsm8k_tir.jsonl")
           if r["correct_numeric"] and "```output" in r["completion"] and len(r["completion"]) < 1500]
    t70 = random.Random(1).sample(t70, 176)
    tir = [row(r["id"], "tora-corpus-math", r["problem"], r["solution"]) for r in tora]
    tir += [row(r["id"], "tora-70b-gsm8k", r["problem"], r["completion"]) for r in t70]
    write("tir_sample.jsonl", tir)
    # MMOS-style single-step code: exactly one program, its output, then the boxed answer.
    t34 = [r for r in read("completions/tora_code_34b_gsm8k_tir.jsonl")
           if r["correct_numeric"] and len(re.findall(r"```python", r["completion"])) == 1 and "```output" in r["completion"]]
    t34 = random.Random(2).sample(t34, 150)
    write("mmos_sample.jsonl", [row(r["id"], "tora-code-34b-gsm8k", r["problem"], r["completion"]) for r in t34])


if __name__ == "__main__":
    main()
