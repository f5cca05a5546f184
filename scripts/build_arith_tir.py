"""Builds numina_exp/data/kto/arith_tir_sample.jsonl: short tool-integrated arithmetic problems in
the NuminaMath-TIR row format (problem, solution with a ```python / ```output block and a boxed answer,
messages). A tiny twin learns this format within scale=cpu's step cap, so sampling from it yields both
correct and incorrect copies (KTO needs both classes); the real stage-2 data is far beyond 1 M
parameters and 96 tokens per step. Few distinct problems, each repeated: the twin memorises their
solutions within the step cap and, sampled at temperature 0.8, still gets some of them wrong. Kept out of data/samples/, whose files train the offline tokenizer
(adding one would change every tiny twin). Deterministic: `python scripts/build_arith_tir.py` rewrites the
same file."""
import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "numina_exp" / "data" / "kto" / "arith_tir_sample.jsonl"


def main(distinct: int = 2, copies: int = 40, seed: int = 0) -> None:
    rng = random.Random(seed)
    rows = []
    problems = []
    for _ in range(distinct):
        a, b = rng.randrange(10, 100), rng.randrange(10, 100)
        problems.append((a, b, *rng.choice([("+", a + b), ("*", a * b), ("-", a - b)])))
    for i in range(distinct * copies):
        a, b, op, value = problems[i % distinct]
        problem = f"What is ${a} {op} {b}$?"
        solution = (f"```python\nprint({a} {op} {b})\n```\n```output\n{value}\n```\n"
                    f"The answer is $\\boxed{{{value}}}$.")
        rows.append({"id": f"arith-{i}", "source": "synthetic-arithmetic", "problem": problem, "solution": solution,
                     "messages": [{"role": "user", "content": problem}, {"role": "assistant", "content": solution}]})
    OUT.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"{len(rows)} rows -> {OUT}")


if __name__ == "__main__":
    main()
