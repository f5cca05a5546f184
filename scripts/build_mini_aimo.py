"""Builds the shipped Mini-AIMO files (numina_exp/data/mini_aimo/*.jsonl) from the pure generator in
numina_exp/data/mini_aimo, running every solution program in numina_exp.sandbox.

    python scripts/build_mini_aimo.py            # rewrites the shipped files (deterministic: same bytes)
    python scripts/build_mini_aimo.py --out DIR  # writes them elsewhere (the tests compare the two)
    python scripts/build_mini_aimo.py --sandbox numina --out DIR   # outputs as decoding=sc_tir_numina renders them

Each ```output block is what SC-TIR appends at decode time, produced the same way: the program is the
last ```python block of the text so far as numina_exp.decode.sc_tir_rules.decide extracts it (with
its surrounding newlines), run by an Executor built from conf/sandbox/<SANDBOX>.yaml (the sandbox that
decoding=sc_tir uses), and its rendered `feedback` goes between "```output\\n" and "\\n```".

A row is refused (the build stops) when a program's output is not the one the generator declared, a
planted mistake does not fail with its exception, decide() would not execute a block or accept the
final answer, or the answer the grader extracts differs from the generator's answer."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from omegaconf import OmegaConf

from numina_exp.core.paths import conf_dir
from numina_exp.data.mini_aimo import SOURCE, generate_splits, render_tir, tir_plan
from numina_exp.data.mini_aimo.generate import output_prefixes
from numina_exp.decode.sc_tir_rules import decide
from numina_exp.grading import aimo_integer, extract_answer
from numina_exp.sandbox import Executor

OUT = Path(__file__).resolve().parents[1] / "numina_exp" / "data" / "mini_aimo"
SANDBOX = "default"  # conf/sandbox/default.yaml: the rendering decoding=sc_tir (eval_sc_tir) runs with
FILES = ("train_cot", "train_tir", "train_mmos", "val", "test", "test_heldout")


class Refused(ValueError):
    """A generated row that is not data: its solution does not do what the generator says."""


def executor(workers: int = 2, sandbox: str = SANDBOX) -> Executor:
    cfg = OmegaConf.to_container(OmegaConf.load(conf_dir() / "sandbox" / f"{sandbox}.yaml"), resolve=True)
    return Executor(**dict(cfg, workers=workers))


def run_plans(plans: list[tuple], ex: Executor) -> list[list[str]]:
    """Outputs (rendered feedback) of every program of every plan, step by step: step k of each plan runs
    on the text with the REAL outputs of its steps before k. Identical programs run once."""
    outputs: list[list[str]] = [[] for _ in plans]
    for k in range(max(len(steps) for _, steps, _ in plans)):
        todo = [(i, steps) for i, (_, steps, _) in enumerate(plans) if len(steps) > k]
        codes = []
        for i, steps in todo:
            prefix = output_prefixes(steps[:k + 1], outputs[i] + [""])[k]
            dec = decide(prefix, last_step=False)
            if dec.action != "execute":
                raise Refused(f"{plans[i][0]}: SC-TIR would not execute program {k + 1} ({dec.action}, rule {dec.rule})")
            codes.append(dec.code)
        unique = sorted(set(codes))
        results = dict(zip(unique, ex.run(unique)))
        for (i, steps), code in zip(todo, codes):
            r, step = results[code], steps[k]
            if step.raises:
                if r.status != "error" or step.raises not in r.feedback:
                    raise Refused(f"{plans[i][0]}: program {k + 1} should raise {step.raises}, got {r.status}: "
                                  f"{r.feedback!r}")
            elif r.status != "ok" or r.feedback != step.prints:
                raise Refused(f"{plans[i][0]}: program {k + 1} should print {step.prints!r}, the sandbox says "
                              f"{r.status}: {r.feedback!r}")
            outputs[i].append(r.feedback)
    return outputs


def check_answer(row_id: str, text: str, answer: int, tir: bool) -> None:
    if tir:
        dec = decide(text, last_step=False)
        if dec.action != "answer":
            raise Refused(f"{row_id}: SC-TIR would not take the answer of this solution ({dec.action}, rule {dec.rule})")
    got = aimo_integer(extract_answer(text, "numina"))
    if got != answer or f"\\boxed{{{answer}}}" not in text:
        raise Refused(f"{row_id}: the boxed answer grades as {got}, the generator's answer is {answer}")


def train_row(d, solution: str, **extra) -> dict:
    it = d.item
    return {"id": d.id, "source": SOURCE, "problem": it.problem, "solution": solution,
            "messages": [{"role": "user", "content": it.problem}, {"role": "assistant", "content": solution}],
            "answer": str(it.answer), "family": it.family, "level": it.level, **extra}


def eval_row(d) -> dict:
    return {"id": d.id, "problem": d.item.problem, "answer": str(d.item.answer), "family": d.item.family,
            "level": d.item.level}


def build(seed: int = 0, sizes: dict | None = None, workers: int = 2, sandbox: str = SANDBOX) -> dict[str, list[dict]]:
    splits = generate_splits(seed, sizes)
    train = splits["train"]
    tir = [(d.id, *tir_plan(d)) for d in train]  # (id, kind, steps)
    mmos = [(d.id, "single", (d.item.single,)) for d in train]
    plans = [(rid, steps, kind) for rid, kind, steps in tir] + [(rid, steps, kind) for rid, kind, steps in mmos]
    with executor(workers, sandbox) as ex:
        outs = run_plans(plans, ex)
    files: dict[str, list[dict]] = {"train_cot": [], "train_tir": [], "train_mmos": []}
    for j, d in enumerate(train):
        it = d.item
        if "```" in it.cot:
            raise Refused(f"{d.id}: a CoT solution holds a code block")
        check_answer(d.id, it.cot, it.answer, tir=False)
        files["train_cot"].append(train_row(d, it.cot))
        for name, (rid, steps, kind), out in (("train_tir", plans[j], outs[j]),
                                               ("train_mmos", plans[len(train) + j], outs[len(train) + j])):
            text = render_tir(steps, out, it.final)
            check_answer(rid, text, it.answer, tir=True)
            files[name].append(train_row(d, text, tir_kind=kind))
    for split in ("val", "test", "test_heldout"):
        files[split] = [eval_row(d) for d in splits[split]]
    train_texts = {d.item.problem for d in train}
    for split in ("val", "test", "test_heldout"):
        leaked = [r["id"] for r in files[split] if r["problem"] in train_texts]
        if leaked:
            raise Refused(f"{split} problems occur in train: {leaked[:5]}")
    return files


def write(files: dict[str, list[dict]], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        (out / f"{name}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in files[name]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sandbox", default=SANDBOX, help="conf/sandbox/NAME.yaml renders the output blocks; `numina` "
                    "matches decoding=sc_tir_numina (only the failing programs' blocks differ); write it with --out")
    a = ap.parse_args(argv)
    if a.sandbox != SANDBOX and a.out == OUT:
        ap.error(f"the shipped files are rendered with sandbox={SANDBOX}; write --sandbox {a.sandbox} with --out DIR")
    files = build(a.seed, workers=a.workers, sandbox=a.sandbox)
    write(files, a.out)
    for name in FILES:
        print(f"{len(files[name]):5d} rows -> {a.out / name}.jsonl")
    return 0


if __name__ == "__main__":
    sys.exit(main())
