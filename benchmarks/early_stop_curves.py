"""Early stop: tokens saved and accuracy, lossless and adaptive, from recorded logs (no re-generation).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/early_stop_curves.py [--run RUN_DIR ...] [--runs-only] [--out DIR]
        [--scripted N]

Three sources, each replayed under: `none` (every sample / copy), `lossless` (stop once nothing left can
change the winner: provably the full answer), `adaptive` at thresholds 0.6..0.99 with the beta and
the dirichlet posterior (numina_exp.decode.early_stop; lossy by design).
* real vote patterns: benchmarks/data/qwen_math_cot_8.jsonl, 8 real sampled CoT completions on each
  of 80 MATH-test problems (build_vote_patterns.py), drawn one at a time in their recorded order as in
  Adaptive-Consistency; tokens = the drawn samples' tokens; a vote's correctness is its samples' grade.
* scripted SC-TIR: 200 randomized problems (--scripted), N=16, M=4 (as tests/decode/test_early_stop.py), decoded by
  `sc_tir` over the replay backend.
* --run: any evaluation run dir recorded with early_stop=none (per_problem.jsonl and each seed's generation
  log, generations.jsonl or generations.seed<S>.jsonl, with every copy's history), re-decoded by `sc_tir`
  over the replay backend with the recorded executions: each seed with its own seed, on the run's own
  suite (resolved_config.yaml eval) and decoding settings (vote_equivalence, tie_break, answer_rule, ...;
  recorded.replay_cfg), graded with its eval.answer_kind; the seeds are pooled (accuracy over every
  (seed, problem), tokens summed). The `none` replay must give the recorded answers (checked).
* --run, sequential (a run dir with per_problem.jsonl): the same copies drawn one at a time, each whole, as
  Adaptive-Consistency samples; the bound on what a copy-at-a-time schedule saves, which SC-TIR's
  step-synchronous loop (every copy advances together) cannot reach.
Every row also counts the (seed, problem) answers equal to the `none` row's (`lossless` must keep them all).
Writes early_stop.md and early_stop.png (accuracy vs tokens) to --out.
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from recorded import REPO, compose, jsonl_rows, load_recordings, replay_cfg

VOTES = REPO / "benchmarks" / "data" / "qwen_math_cot_8.jsonl"

THRESHOLDS = (0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def settings() -> list[tuple[str, list[str]]]:
    out = [("none", ["decoding.early_stop=none"]), ("lossless", ["decoding.early_stop=lossless"])]
    for post in ("beta", "dirichlet"):
        for t in THRESHOLDS:
            out.append((f"adaptive {post} {t}", ["decoding.early_stop=adaptive", f"decoding.early_stop_posterior={post}",
                                                 f"decoding.early_stop_threshold={t}"]))
    return out


def replay(cfg, records: list[dict], problems: list[dict], seed: int = 0):
    from numina_exp.decode import make_decoder
    from numina_exp.generate.replay import ReplayBackend

    class NoExec:  # every execution is in the log; running code here would be a bug
        def run(self, codes):
            raise AssertionError("replay without a recorded execution result")

        submit = run

    dec = make_decoder(cfg, backend=ReplayBackend(records=records), executor=NoExec())
    return list(dec.decode(problems, seed=seed))


def score(results, problems, kind: str) -> tuple[int, int, int]:
    """(correct, tokens, problems stopped early) of one decode."""
    from numina_exp.grading import is_equivalent

    gold = {p["id"]: p["answer"] for p in problems}
    correct = sum(bool(r.answer is not None and is_equivalent(str(r.answer), str(gold[r.problem_id]), kind)) for r in results)
    return correct, sum(r.tokens for r in results), sum(r.early_stopped for r in results)


def _same(a, b) -> bool:
    return a == b or (a is not None and b is not None and str(a) == str(b))


def real_rows(run: str) -> tuple[str, list[dict]]:
    recs = load_recordings(run)
    rows = []
    for name, ov in settings():
        correct = tokens = stopped = count = 0
        answers: dict = {}
        for rec in recs:  # each seed replayed with its own seed, then pooled
            res = replay(replay_cfg(rec, ov), rec.generations, rec.problems, seed=rec.seed)
            c, t, s = score(res, rec.problems, rec.answer_kind)
            correct, tokens, stopped, count = correct + c, tokens + t, stopped + s, count + len(res)
            answers.update({(rec.seed, r.problem_id): r.answer for r in res})
        rows.append({"setting": name, "accuracy": correct / count, "tokens": tokens, "stopped": stopped, "problems": count,
                     "answers": answers})
    recorded = {(rec.seed, pid): a for rec in recs for pid, a in (rec.answers or {}).items()}
    if recorded:  # the replay of the full run is the recorded run, or nothing below means anything
        off = [k for k, a in rows[0]["answers"].items() if not _same(a, recorded[k])]
        if off:
            raise SystemExit(f"{run}: replaying early_stop=none changed {len(off)} recorded answers, e.g. (seed, problem) "
                             f"{off[0]}: {rows[0]['answers'][off[0]]!r} vs {recorded[off[0]]!r}; the decoding settings differ")
    seeds = [rec.seed for rec in recs]
    return (f"{recs[0].name}: {len(recs[0].problems)} problems x {len(seeds)} seed(s) {seeds}, N={recs[0].n}, M={recs[0].m}, "
            f"vote_equivalence={replay_cfg(recs[0], []).decoding.vote_equivalence}, graded {recs[0].answer_kind}"), rows


def sequential_run_rows(run: str) -> tuple[str, list[dict]]:
    """The same run's copies drawn one at a time (Adaptive-Consistency's sequential sampling), each whole
    (all its steps, its recorded tokens), in the recorded pool order; a copy without an answer draws no vote.
    What SC-TIR's step-synchronous loop cannot do (every copy of a problem advances together, so most
    tokens are spent before the first vote): the bound on what a copy-at-a-time schedule would save."""
    from types import SimpleNamespace

    from numina_exp.decode.early_stop import can_change, confident
    from numina_exp.decode.voting import tally
    from numina_exp.grading import is_equivalent

    recs = load_recordings(run)
    kind = recs[0].answer_kind
    records = jsonl_rows(Path(run) / "per_problem.jsonl")
    run_d = replay_cfg(recs[0], []).decoding
    rows = []
    for name, ov in settings():
        opts = dict(o.split("=", 1) for o in ov)
        mode = opts["decoding.early_stop"]
        d = SimpleNamespace(vote_equivalence=str(run_d.vote_equivalence), tie_break=str(run_d.tie_break),
                            integer_mode=str(run_d.integer_mode), early_stop_prior=float(run_d.early_stop_prior),
                            early_stop_posterior=opts.get("decoding.early_stop_posterior", "beta"),
                            early_stop_threshold=float(opts.get("decoding.early_stop_threshold", 0.95)))
        correct = tokens = stopped = 0
        answers: dict = {}
        for r in records:
            by_copy = {c["copy"]: c for c in r["copies"]}
            copies = [by_copy[i] for i in r["pool_order"]]
            values = [c["value"] if c["status"] == "answered" else None for c in copies]
            n = k = len(copies)
            if mode != "none":
                for k in range(1, n + 1):
                    fixed = [((0, i), values[i]) for i in range(k)]
                    if not can_change(fixed, [(1, j) for j in range(k, n)], d) or (mode == "adaptive" and confident(values[:k], d)):
                        break
            winner, _, _ = tally(values[:k], d, seed=int(r.get("seed", 0)))
            stopped += k < n
            tokens += sum(c["tokens"] for c in copies[:k])
            correct += bool(winner is not None and is_equivalent(str(winner), str(r["gold"]), kind))
            answers[(int(r.get("seed", 0)), r["problem_id"])] = winner
        rows.append({"setting": name, "accuracy": correct / len(records), "tokens": tokens, "stopped": stopped,
                     "problems": len(records), "answers": answers})
    off = [k for k, r in zip(rows[0]["answers"], records) if not _same(rows[0]["answers"][k], r["answer"])]
    if off:
        raise SystemExit(f"{run}: the sequential vote over every copy differs from the recorded answer for {off[:3]}")
    return (f"{recs[0].name}, sequential: its copies drawn one at a time, each whole, in recorded pool order "
            f"({len(records)} (seed, problem) pairs)"), rows


def vote_pattern_rows(path: Path = VOTES) -> tuple[str, list[dict]]:
    """Sequential sampling over real samples: after each draw, stop if the rule says so."""
    from types import SimpleNamespace

    from numina_exp.decode.early_stop import can_change, confident

    samples = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    by_problem: dict = {}
    for smp in samples:
        by_problem.setdefault(smp["problem"], []).append(smp)
    rows = []
    for name, ov in settings():
        opts = dict(o.split("=", 1) for o in ov)
        mode = opts["decoding.early_stop"]
        d = SimpleNamespace(vote_equivalence="integer", tie_break="first_seen", integer_mode="round",
                            early_stop_posterior=opts.get("decoding.early_stop_posterior", "beta"),
                            early_stop_threshold=float(opts.get("decoding.early_stop_threshold", 0.95)), early_stop_prior=1.0)
        correct = tokens = stopped = 0
        answers: dict = {}
        for smps in by_problem.values():
            ids: dict = {}
            values = [ids.setdefault(smp["pred"], len(ids)) for smp in smps]  # answers as small ints: exact grouping
            n, k = len(smps), len(smps)
            if mode != "none":
                for k in range(1, n + 1):
                    fixed = [((0, i), values[i]) for i in range(k)]
                    if not can_change(fixed, [(1, j) for j in range(k, n)], d) or (mode == "adaptive" and confident(values[:k], d)):
                        break
            stopped += k < n
            tokens += sum(smp["num_tokens"] for smp in smps[:k])
            counts: dict = {}
            for v in values[:k]:
                counts[v] = counts.get(v, 0) + 1
            winner = max(counts, key=lambda v: (counts[v], -values.index(v)))  # most votes, first seen on ties
            correct += smps[values.index(winner)]["correct"]
            answers[smps[0]["problem"]] = smps[values.index(winner)]["pred"]
        rows.append({"setting": name, "accuracy": correct / len(by_problem), "tokens": tokens, "stopped": stopped,
                     "problems": len(by_problem), "answers": answers})
    return (f"real vote patterns: {len(by_problem)} MATH-test problems x {len(samples) // len(by_problem)} sampled CoT "
            "completions (Qwen2.5-Math example), sequential"), rows


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
    rng = random.Random(1234)
    records, problems = [], []
    for i in range(count):
        recs, fav = scripted_problem(rng, f"s{i}", n, m)
        records += recs
        problems.append({"id": f"s{i}", "problem": "Scripted problem?", "answer": fav})
    rows = []
    base = ["model=tiny_llama", "decoding=sc_tir", f"decoding.n={n}", f"decoding.m={m}", "decoding.pipelining=false",
            "backend=replay", "backend.path=unused"]
    for name, ov in settings():
        res = replay(compose(base + ov), records, problems)
        correct, tok, stopped = score(res, problems, "integer")
        rows.append({"setting": name, "accuracy": correct / len(res), "tokens": tok, "stopped": stopped, "problems": len(res),
                     "answers": {r.problem_id: r.answer for r in res}})
    return f"scripted: {count} randomized problems, N={n}, M={m}", rows


def table(title: str, rows: list[dict]) -> str:
    """One row per setting; `answers = none`: answers identical to the full run's, problem by problem (and seed)."""
    full, ref = rows[0], rows[0]["answers"]
    out = [f"### {title}", "", "| early stop | accuracy | vs none (points) | tokens | saved | fewer tokens | answers = none | "
           "problems stopped early |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        same = sum(_same(a, ref[k]) for k, a in r["answers"].items())
        out.append(f"| {r['setting']} | {100 * r['accuracy']:.1f} % | {100 * (r['accuracy'] - full['accuracy']):+.1f} | "
                   f"{r['tokens']:,} | {100 * (1 - r['tokens'] / full['tokens']):.1f} % | {full['tokens'] / r['tokens']:.2f}x | "
                   f"{same}/{len(ref)} | {r['stopped']}/{r['problems']} |")
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
    ap.add_argument("--run", action="append", default=[], help="an evaluation run dir recorded with early_stop=none")
    ap.add_argument("--out", default="benchmarks/results")
    ap.add_argument("--runs-only", action="store_true", help="only the --run dirs (not the vote patterns and scripted problems)")
    ap.add_argument("--scripted", type=int, default=200, help="scripted SC-TIR problems (the README's table: 200)")
    args = ap.parse_args()
    sets = ([] if args.runs_only else [vote_pattern_rows()]) + [real_rows(r) for r in args.run]
    sets += [sequential_run_rows(r) for r in args.run if (Path(r) / "per_problem.jsonl").exists()]
    sets += [] if args.runs_only else [scripted_rows(args.scripted)]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = "\n\n".join(table(t, rows) for t, rows in sets)
    (out / "early_stop.md").write_text(text + "\n")
    plot(sets, out / "early_stop.png")
    print(text)
    print(f"-> {out / 'early_stop.md'}, {out / 'early_stop.png'}")


if __name__ == "__main__":
    main()
