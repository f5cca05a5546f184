"""Sandbox benchmark: the anchor's fresh `python3 tmp.py` per block vs the warm executor (not a timed test).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sandbox.py [--isolation bwrap] [--workers 2] [--readme]

Throughput: 48 snippets in flight at once on `workers` slots (the baseline runs `workers` subprocesses at a time).
Latency: the same snippets one at a time, round trip from submit to result (p50/p99).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from numina_exp.sandbox import Executor  # noqa: E402
from numina_exp.sandbox.rules import NuminaRules  # noqa: E402

SNIPPETS = [
    "import sympy\nprint(sympy.factorint(2**61 - 1))",
    "print(sum(range(100)))",
    "x = sp.Symbol('x')\nprint(sp.solve(x**2 - 5*x + 6, x))",
    "math.comb(30, 12)",
    "print(np.arange(10).sum())",
    "import sympy\nprint(sympy.isprime(2**89 - 1))",
] * 8  # 48


def fresh_python(code: str, timeout_s: float = 60.0) -> str:
    """The anchor: a fresh interpreter per block, numina prelude (its 5 s timeout widened: a loaded machine)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "tmp.py")
        Path(path).write_text(NuminaRules.build_script(code))
        r = subprocess.run([sys.executable, path], capture_output=True, text=True, timeout=timeout_s,
                           env={"PATH": os.environ["PATH"], "OMP_NUM_THREADS": "1"})
        return r.stdout.strip() if r.returncode == 0 else NuminaRules.filter_stderr(r.stderr, path)


def measure(run_one, run_batch, codes) -> dict:
    lat = []
    for c in codes:
        t = time.perf_counter()
        run_one(c)
        lat.append(time.perf_counter() - t)
    t = time.perf_counter()
    run_batch(codes)
    wall = time.perf_counter() - t
    lat.sort()
    return {"rate": len(codes) / wall, "p50": statistics.median(lat) * 1e3,
            "p99": lat[min(len(lat) - 1, int(round(0.99 * (len(lat) - 1))))] * 1e3}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--isolation", default="bwrap")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--readme", action="store_true", help="write the table into benchmarks/README.md")
    args = ap.parse_args()

    with ThreadPoolExecutor(args.workers) as pool:
        base = measure(fresh_python, lambda cs: list(pool.map(fresh_python, cs)), SNIPPETS)
    t = time.perf_counter()
    with Executor(isolation=args.isolation, rules="numina", workers=args.workers, timeout_s=5) as ex:
        ex.run(["print(0)"] * args.workers)  # wait for the workers to be warm
        startup = time.perf_counter() - t
        results = ex.run(SNIPPETS)
        assert all(r.status == "ok" for r in results), [r.feedback for r in results if r.status != "ok"]
        assert [r.feedback for r in results[:6]] == [fresh_python(c) for c in SNIPPETS[:6]]
        warm = measure(lambda c: ex.run([c]), ex.run, SNIPPETS)

    rows = [("fresh python3 per block (anchor)", base), (f"warm executor, isolation={args.isolation}", warm)]
    lines = [f"48 snippets (sympy factorint/solve/isprime, numpy, trivial), numina rules, {args.workers} workers, "
             f"{os.cpu_count()} cores (shared: load average {os.getloadavg()[0]:.1f} at the end; the fresh-python "
             f"baseline suffers most from load, ~300 ms/block on an idle machine); executor startup {startup:.2f} s "
             "(once, includes the zygote's sympy warm-up)", "",
             "| way | snippets/s | p50 ms | p99 ms |", "|---|---:|---:|---:|"]
    for name, m in rows:
        lines.append(f"| {name} | {m['rate']:.1f} | {m['p50']:.1f} | {m['p99']:.1f} |")
    lines += ["", f"throughput ratio (warm / fresh): **{warm['rate'] / base['rate']:.1f}x**; "
              f"target >= 20x and p99 < 50 ms"]
    table = "\n".join(lines)
    print(table)
    if args.readme:
        write_readme(table)


def write_readme(table: str) -> None:
    path = Path(__file__).with_name("README.md")
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    section = ("## sandbox\n\n`benchmarks/sandbox.py` (run: `OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sandbox.py "
               "--readme`).\n\n" + table + "\n")
    start = text.find("## sandbox")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        nxt = text.find("\n## ", start + 1)
        text = text[:start] + section + ("" if nxt < 0 else text[nxt:].lstrip("\n").join(["\n", ""]))
    path.write_text(text)


if __name__ == "__main__":
    main()
