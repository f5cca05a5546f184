"""Grading throughput: 5000 MATH reference answers and 1055+1055 ToRA GSM8K completions.

    OMP_NUM_THREADS=1 python benchmarks/grading.py --data DIR [--workers 2]

DIR holds a local copy of the public MATH test set (math_test.jsonl) and ToRA's GSM8K outputs
(or set NUMINA_SOURCE_DATA); without one the benchmark says so and exits.

Prints a markdown table (answers/s and totals). "forced" rows bypass the string fast path and
send every pair through math-verify in the worker pool (a fresh pool: no cache, startup included).
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from numina_exp.grading import GraderPool, extract_answer  # noqa: E402


def _rows(path: Path) -> list[dict]:
    with open(path) as f:
        return [json.loads(line) for line in f]


def _run(name, texts, golds, rule, workers, fast_path):
    t0 = time.perf_counter()
    preds = [extract_answer(t, rule) for t in texts]
    t1 = time.perf_counter()
    with GraderPool(workers=workers, timeout_s=5.0) as pool:
        res = pool.grade(preds, golds, "math", fast_path=fast_path)
        stats = pool.stats
    t2 = time.perf_counter()
    n = len(texts)
    return (name, "fast path" if fast_path else "forced", n, sum(r.equivalent for r in res),
            stats.worker_items, stats.timeouts, t1 - t0, t2 - t1, n / (t2 - t0))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=os.environ.get("NUMINA_SOURCE_DATA"))
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    if args.data is None or not (Path(args.data) / "math_test.jsonl").is_file():
        print("grading benchmark skipped: give --data DIR (or NUMINA_SOURCE_DATA) holding math_test.jsonl and "
              "ToRA's GSM8K outputs")
        return
    args.data = Path(args.data)
    math_rows = _rows(args.data / "math_test.jsonl")
    jobs = [("MATH test reference (boxed)", [r["solution"] for r in math_rows],
             [r["answer"] for r in math_rows], "boxed")]
    for f in ("tora_70b_gsm8k_tir", "tora_code_34b_gsm8k_tir"):
        rows = _rows(args.data / "completions" / f"{f}.jsonl")
        jobs.append((f"{f} (auto)", [r["completion"] for r in rows], [r["answer"] for r in rows], "auto"))
    lines = ["| set | path | answers | equivalent | math-verify calls | timeouts | extract s | grade s | answers/s |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    total_n, total_t = 0, 0.0
    for name, texts, golds, rule in jobs:
        for fast in (True, False):
            r = _run(name, texts, golds, rule, args.workers, fast)
            lines.append("| {} | {} | {} | {} | {} | {} | {:.2f} | {:.2f} | {:,.0f} |".format(*r))
            total_n += r[2]
            total_t += r[6] + r[7]
    lines.append(f"| **total** | | {total_n} | | | | | {total_t:.2f} | {total_n / total_t:,.0f} |")
    print(f"workers={args.workers}, cpus={os.cpu_count()}, OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
