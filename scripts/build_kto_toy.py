"""Builds numina_exp/data/kto/toy_samples.jsonl: a learnable KTO toy in samples.jsonl form (what
method=sample writes), the default data of +experiment=kto_from_samples so that it runs as is.

Per problem ("What is a plus b?") one desirable copy that carries a fixed pattern (a python block, its
output, a boxed answer) and one undesirable copy in plain words; every 4th problem is held out (split
`heldout`) for the implicit-reward evaluation. A tiny twin learns to tell them apart in a dozen KTO
steps. Deterministic: rerunning rewrites the same file."""
import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "numina_exp" / "data" / "kto" / "toy_samples.jsonl"


def toy_samples(problems: int = 40, heldout_every: int = 4, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(problems):
        a, b = rng.randrange(10, 99), rng.randrange(10, 99)
        prompt = f"### Problem: What is {a} plus {b}?\n### Solution: "
        good = f"```python\nprint({a}+{b})\n```\n```output\n{a + b}\n```\nThe answer is $\\boxed{{{a + b}}}$."
        wrong = a + b + rng.randrange(1, 9)
        bad = f"Maybe the sum is {wrong}, I guess so, probably."
        split = "heldout" if i % heldout_every == 0 else "train"
        for copy, (text, ok, ans) in enumerate([(good, True, a + b), (bad, False, wrong)]):
            rows.append({"problem_id": f"toy-{i}", "prompt": prompt, "completion": text, "answer": str(ans),
                         "gold": str(a + b), "label": ok, "correct": ok, "copy": copy, "status": "answered",
                         "split": split, "tokens": len(text) // 4})
    return rows


def main() -> None:
    rows = toy_samples()
    OUT.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"{len(rows)} rows -> {OUT}")


if __name__ == "__main__":
    main()
