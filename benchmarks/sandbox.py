"""Sandbox benchmark: the anchor's fresh `python3 tmp.py` per block vs the warm executor (not a timed test).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sandbox.py [--isolation bwrap] [--workers 2] [--readme --label L]

--readme adds one row (labelled L) to the runs table in benchmarks/README.md and keeps the earlier rows.

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
    ap.add_argument("--readme", action="store_true", help="add a row to the runs table in benchmarks/README.md")
    ap.add_argument("--label", default="", help="the row's first cell (what was measured)")
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
        limits = getattr(ex, "limits", "rlimit")

    rows = [("fresh python3 per block (anchor)", base), (f"warm executor, isolation={args.isolation}", warm)]
    load = os.getloadavg()[0]
    lines = [f"48 snippets, numina rules, {args.workers} workers, {os.cpu_count()} cores, load average {load:.1f} "
             f"at the end; executor startup {startup:.2f} s (limits: {limits})", "",
             "| way | snippets/s | p50 ms | p99 ms |", "|---|---:|---:|---:|"]
    for name, m in rows:
        lines.append(f"| {name} | {m['rate']:.1f} | {m['p50']:.1f} | {m['p99']:.1f} |")
    ratio = warm["rate"] / base["rate"]
    lines += ["", f"throughput ratio (warm / fresh): **{ratio:.1f}x**; target >= 50x and p99 < 50 ms"]
    print("\n".join(lines))
    if args.readme:
        row = (f"| {args.label or time.strftime('%Y-%m-%d')} | {args.isolation} ({limits}) | {load:.1f} | "
               f"{base['rate']:.1f} | {warm['rate']:.1f} | {warm['p50']:.1f} | {warm['p99']:.1f} | {ratio:.1f}x |")
        write_readme(row)


HEADER = ("| run | isolation (budgets) | load avg | fresh python3 snippets/s | warm snippets/s | p50 ms | p99 ms | "
          "ratio |\n|---|---|---:|---:|---:|---:|---:|---:|")


def write_readme(row: str) -> None:
    """Append `row` to the runs table of the `## sandbox` section (made on first use)."""
    path = Path(__file__).with_name("README.md")
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    start = text.find("## sandbox")
    if start < 0:
        text = text.rstrip("\n") + "\n\n## sandbox\n\n" + HEADER + "\n"
        start = text.find("## sandbox")
    end = text.find("\n## ", start + 1)
    end = len(text) if end < 0 else end
    section = text[start:end]
    if HEADER not in section:
        section = section.rstrip("\n") + "\n\n" + HEADER + "\n"
    lines = section.rstrip("\n").split("\n")
    last = max(i for i, ln in enumerate(lines) if ln.startswith("|"))
    lines.insert(last + 1, row)
    text = text[:start] + "\n".join(lines) + "\n" + ("\n" if end < len(text) else "") + text[end:].lstrip("\n")
    path.write_text(text)


if __name__ == "__main__":
    main()
