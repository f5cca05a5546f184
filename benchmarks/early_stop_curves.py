"""Early stop on recorded real runs and on scripted ones: tokens saved and accuracy, from the logs.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/early_stop_curves.py [--run benchmarks/data/<name> ...] [--out DIR]

Each recorded run (a generations.jsonl with every copy's full history, recorded with early_stop=none)
is re-decoded by `sc_tir` over the replay backend, recorded execution results reused: no model, no
re-generation. Rows: `none` (the recorded run itself), `lossless` (provably the full run's answers),
`adaptive` at several thresholds with the beta and the dirichlet posterior (lossy by design).
Tokens = tokens the stopped run would have generated. The scripted rows use randomized problems as in
tests/decode/test_early_stop.py (answers drawn with a favourite), graded against that favourite.
Writes early_stop.md (tables) and early_stop.png (accuracy vs tokens) to --out.
"""
from __future__ import annotations

import argparse
import random
from pathlib import Path

from recorded import DATA, cfg_for, load_recording

THRESHOLDS = (0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def settings() -> list[tuple[str, list[str]]]:
    out = [("none", ["decoding.early_stop=none"]), ("lossless", ["decoding.early_stop=lossless"])]
    for post in ("beta", "dirichlet"):
        for t in THRESHOLDS:
            out.append((f"adaptive {post} {t}", ["decoding.early_stop=adaptive", f"decoding.early_stop_posterior={post}",
                                                 f"decoding.early_stop_threshold={t}"]))
    return out


def replay(cfg, records: list[dict], problems: list[dict]):
    from numina_exp.decode import make_decoder
    from numina_exp.generate.replay import ReplayBackend

    class NoExec:  # every execution is in the log; running code here would be a bug
        def run(self, codes):
            raise AssertionError("replay without a recorded execution result")

        submit = run

    dec = make_decoder(cfg, backend=ReplayBackend(records=records), executor=NoExec())
    return list(dec.decode(problems, seed=0))


def score(results, problems, kind: str) -> tuple[float, int, int]:
    from numina_exp.grading import is_equivalent

    gold = {p["id"]: p["answer"] for p in problems}
    correct = sum(bool(r.answer is not None and is_equivalent(str(r.answer), str(gold[r.problem_id]), kind)) for r in results)
    return correct / len(results), sum(r.tokens for r in results), sum(r.early_stopped for r in results)


def real_rows(run: str) -> tuple[str, list[dict]]:
    rec = load_recording(run)
    kind = rec.config["eval"]["answer_kind"]
    rows = []
    for name, ov in settings():
        res = replay(cfg_for(rec, ov), rec.generations, rec.problems)
        acc, tok, stopped = score(res, rec.problems, kind)
        rows.append({"setting": name, "accuracy": acc, "tokens": tok, "stopped": stopped, "problems": len(res)})
    title = (f"{rec.name}: {rec.config['model']['name']} on {rec.config['eval']['name']}, {len(rec.problems)} problems, "
             f"N={rec.n}, M={rec.m}")
    return title, rows


def scripted_problem(rng: random.Random, pid: str, n: int, m: int) -> tuple[list[dict], str]:
    fav = str(rng.randint(0, 9))
    recs = []
    for c in range(n):
        for s in range(m):
            r = rng.random()
            ans = fav if rng.random() < 0.45 else str(rng.randint(0, 9))
            if s == 0 or r < 0.35:
                t = "Let us compute.\n```python\nprint(6*7)\n```\n```output\n"
            elif r < 0.85:
                t = f"\nSo the answer is $\\boxed{{{ans}}}$."
            else:
                t = "no code and no answer"
            recs.append({"problem_id": pid, "copy": c, "step": s, "text": t, "num_tokens": rng.randint(20, 300),
                         "finish_reason": "stop" if t.endswith("```output\n") else "eos",
                         "exec": {"status": "ok", "feedback": "42"} if t.endswith("```output\n") else None})
    return recs, fav


def scripted_rows(count: int = 200, n: int = 16, m: int = 4) -> tuple[str, list[dict]]:
    from hydra import compose, initialize_config_dir

    from recorded import REPO

    rng = random.Random(1234)
    records, problems = [], []
    for i in range(count):
        recs, fav = scripted_problem(rng, f"s{i}", n, m)
        records += recs
        problems.append({"id": f"s{i}", "problem": "Scripted problem?", "answer": fav})
    rows = []
    with initialize_config_dir(config_dir=str(REPO / "numina_exp" / "conf"), version_base="1.3"):
        base = ["model=tiny_llama", "decoding=sc_tir", f"decoding.n={n}", f"decoding.m={m}", "decoding.pipelining=false",
                "backend=replay", "backend.path=unused"]
        for name, ov in settings():
            res = replay(compose(config_name="config", overrides=base + ov), records, problems)
            acc, tok, stopped = score(res, problems, "integer")
            rows.append({"setting": name, "accuracy": acc, "tokens": tok, "stopped": stopped, "problems": len(res)})
    return f"scripted: {count} randomized problems, N={n}, M={m}", rows


def table(title: str, rows: list[dict]) -> str:
    full = rows[0]["tokens"]
    out = [f"### {title}", "", "| early stop | accuracy | tokens | saved | problems stopped early |", "|---|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['setting']} | {100 * r['accuracy']:.1f} % | {r['tokens']:,} | {100 * (1 - r['tokens'] / full):.1f} % | "
                   f"{r['stopped']}/{r['problems']} |")
    return "\n".join(out)


def plot(sets: list[tuple[str, list[dict]]], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(sets), figsize=(4.6 * len(sets), 3.4), squeeze=False)
    for ax, (title, rows) in zip(axes[0], sets):
        full = rows[0]["tokens"]
        for post, marker in (("beta", "o-"), ("dirichlet", "s-")):
            pts = [r for r in rows if r["setting"].startswith(f"adaptive {post}")]
            ax.plot([r["tokens"] / full for r in pts], [100 * r["accuracy"] for r in pts], marker, label=f"adaptive ({post})", ms=4)
        for name, marker in (("none", "k*"), ("lossless", "r^")):
            r = next(r for r in rows if r["setting"] == name)
            ax.plot([r["tokens"] / full], [100 * r["accuracy"]], marker, ms=10, label=name)
        ax.set_xlabel("tokens (fraction of the full run)")
        ax.set_ylabel("accuracy %")
        ax.set_title(title, fontsize=7)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", action="append", default=None, help="recorded run dir (default: every benchmarks/data/* recording)")
    ap.add_argument("--out", default="benchmarks/results")
    args = ap.parse_args()
    runs = args.run or sorted(str(p) for p in DATA.iterdir() if (p / "generations.jsonl").exists())
    sets = [real_rows(r) for r in runs] + [scripted_rows()]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = "\n\n".join(table(t, rows) for t, rows in sets)
    (out / "early_stop.md").write_text(text + "\n")
    plot(sets, out / "early_stop.png")
    print(text)
    print(f"-> {out / 'early_stop.md'}, {out / 'early_stop.png'}")


if __name__ == "__main__":
    main()
