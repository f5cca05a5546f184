"""Builds numina_exp/data/kto/arith_tir_sample.jsonl, the scale=cpu sample of data=numina_tir_kto:
16 short tool-integrated arithmetic problems in the NuminaMath-TIR row format (problem; solution with
a ```python / ```output block and a boxed answer; messages). Their solutions fit scale=cpu's 96-token
steps (the ToRA rows of data/samples/tir_sample.jsonl mostly do not), and 16 prompts x 4 SC-TIR
copies sample in a minute or two on CPU. Kept out of data/samples/, whose files train the offline
tokenizer (adding one would change every tiny twin). Deterministic: rerunning rewrites the same file."""
import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "numina_exp" / "data" / "kto" / "arith_tir_sample.jsonl"


def main(n: int = 16, seed: int = 0) -> None:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        a, b = rng.randrange(10, 100), rng.randrange(10, 100)
        op, value = rng.choice([("+", a + b), ("*", a * b), ("-", a - b)])
        problem = f"What is ${a} {op} {b}$?"
        solution = (f"```python\nprint({a} {op} {b})\n```\n```output\n{value}\n```\n"
                    f"The answer is $\\boxed{{{value}}}$.")
        rows.append({"id": f"arith-{i}", "source": "synthetic-arithmetic", "problem": problem, "solution": solution,
                     "messages": [{"role": "user", "content": problem}, {"role": "assistant", "content": solution}]})
    OUT.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"{len(rows)} rows -> {OUT}")


if __name__ == "__main__":
    main()
