"""Sandbox benchmark: the anchor's fresh `python3 tmp.py` per block vs the warm executor (not a timed test).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sandbox.py [--isolation bwrap] [--workers 2] [--readme --label L]

--readme adds one row (labelled L) to the runs table in benchmarks/README.md and keeps the earlier rows.
--profile prints the per-snippet cost split instead (fork, Landlock, seccomp, cgroup CPU read, wipe, protocol):
each step timed alone, 300 times, in a process set up as a zygote is (numpy + sympy warm, frozen heap).

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


PROFILE = r"""
import gc, json, os, statistics, sys, time
sys.path.insert(0, SANDBOX)
import confine, protocol, wipe, zygote
import math, numpy, sympy
zygote._warmup()
paths = json.loads(sys.argv[1])
confine.drop_privileges()
ll = confine.LandlockDomain(confine.build_landlock(paths["read"], paths["write"], paths["devices"], paths["hidden"]))
sc = confine.SeccompProgram(confine.compile_seccomp())
gc.collect()
gc.freeze()
root = paths["write"][0]
cg = os.open("/sys/fs/cgroup/cpuacct/cpuacct.usage", os.O_RDONLY)

def forked(f):
    t = time.perf_counter_ns()
    pid = os.fork()
    if pid == 0:
        f()
        os._exit(0)
    os.waitpid(pid, 0)
    return time.perf_counter_ns() - t

def timed(f):
    t = time.perf_counter_ns()
    f()
    return time.perf_counter_ns() - t

def scratch_and_wipe():
    d = os.path.join(root, "run-" + os.urandom(12).hex())
    os.mkdir(d, 0o700)
    with open(os.path.join(d, "tmp.py"), "x") as f:
        f.write("print(1)")
    assert wipe.empty_dir(root, (), None) == []

key = os.urandom(32)
done = {"id": 1, "event": "done", "returncode": 0, "timed_out": False, "stdout": "42\n", "stderr": "",
        "truncated": False, "elapsed": 0.01, "wall": 0.01, "leftovers": 0, "script_path": "/tmp/x/tmp.py",
        "wipe_error": ""}
steps = {
    "fork + exit + wait (bare)": lambda: forked(lambda: None),
    "fork + Landlock enter": lambda: forked(ll.enter),
    "fork + seccomp load": lambda: forked(sc.load),
    "fork + Landlock + seccomp": lambda: forked(lambda: (ll.enter(), sc.load())),
    "cgroup CPU read (cpuacct.usage)": lambda: timed(lambda: zygote._group_cpu(cg)),
    "scratch dir + script + wipe": lambda: timed(scratch_and_wipe),
    "leftover scan (/proc children)": lambda: timed(lambda: zygote._live_descendants(0)),
    "protocol: encode + decode a result": lambda: timed(lambda: protocol.decode(
        key, b"z2h", 0, protocol.encode(key, b"z2h", 0, done)[:-1])),
}
out = {}
for name, f in steps.items():
    ns = sorted(f() for _ in range(300))
    out[name] = (statistics.median(ns) / 1e6, ns[int(0.99 * (len(ns) - 1))] / 1e6)
print(json.dumps(out))
"""


def profile() -> None:
    """The per-snippet cost split (see the module docstring), measured on the host's kernel."""
    import json

    from numina_exp.sandbox import isolation as iso
    with tempfile.TemporaryDirectory(prefix="numina-profile-") as d:
        paths = iso.landlock_paths("process", sys.executable, d)
        code = PROFILE.replace("SANDBOX", repr(str(iso.ZYGOTE.parent)))
        r = subprocess.run([sys.executable, "-I", "-c", code, json.dumps(paths)], capture_output=True, text=True,
                           timeout=600, env={"PATH": os.environ["PATH"], "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-3000:]
    rows = json.loads(r.stdout)
    print(f"per-snippet costs, 300 runs each, load average {os.getloadavg()[0]:.1f}\n")
    print("| step | median ms | p99 ms |\n|---|---:|---:|")
    for name, (med, p99) in rows.items():
        print(f"| {name} | {med:.3f} | {p99:.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--isolation", default="bwrap")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--readme", action="store_true", help="add a row to the runs table in benchmarks/README.md")
    ap.add_argument("--label", default="", help="the row's first cell (what was measured)")
    ap.add_argument("--profile", action="store_true", help="print the per-snippet cost split and exit")
    ap.add_argument("--snippets", type=int, default=len(SNIPPETS), help=f"the first K snippets (the README's rows: all {len(SNIPPETS)})")
    args = ap.parse_args()
    if args.profile:
        profile()
        return

    if args.readme and args.snippets != len(SNIPPETS):
        ap.error(f"--readme rows are measured on all {len(SNIPPETS)} snippets; drop --snippets")
    snippets = SNIPPETS[:args.snippets]
    with ThreadPoolExecutor(args.workers) as pool:
        base = measure(fresh_python, lambda cs: list(pool.map(fresh_python, cs)), snippets)
    t = time.perf_counter()
    with Executor(isolation=args.isolation, rules="numina", workers=args.workers, timeout_s=5) as ex:
        ex.run(["print(0)"] * args.workers)  # wait for the workers to be warm
        startup = time.perf_counter() - t
        results = ex.run(snippets)
        assert all(r.status == "ok" for r in results), [r.feedback for r in results if r.status != "ok"]
        assert [r.feedback for r in results[:6]] == [fresh_python(c) for c in snippets[:6]]
        warm = measure(lambda c: ex.run([c]), ex.run, snippets)
        limits = getattr(ex, "limits", "rlimit")

    rows = [("fresh python3 per block (anchor)", base), (f"warm executor, isolation={args.isolation}", warm)]
    load = os.getloadavg()[0]
    lines = [f"{len(snippets)} snippets, numina rules, {args.workers} workers, {os.cpu_count()} cores, load average {load:.1f} "
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


def write_readme(row: str, path: Path | None = None) -> None:
    """Append `row` to the runs table of the `## sandbox` section (made on first use).

    The row goes after the last row of the table under HEADER, not after the section's last table: the
    section also holds the per-snippet cost split, and a run row appended there is lost in the wrong table.
    """
    path = path or Path(__file__).with_name("README.md")
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
    last = lines.index(HEADER.split("\n")[1])  # the header's separator line
    while last + 1 < len(lines) and lines[last + 1].startswith("|"):
        last += 1
    lines.insert(last + 1, row)
    text = text[:start] + "\n".join(lines) + "\n" + ("\n" if end < len(text) else "") + text[end:].lstrip("\n")
    path.write_text(text)


if __name__ == "__main__":
    main()
