"""Mutation testing (mutmut 3.8.1, the dev extra): small plausible bugs put into one module at a time,
and the tests that claim to cover it run against each; a mutant no test kills is a bug no test would see.

    .venv/bin/python scripts/mutants.py [MODULE ...]      # default: every module below, smallest first
    make mutants MODULES="decode/early_stop grading/vote"

Each module runs in its own copy of the checkout (a temp dir; the shared tree is never mutated and mutmut's
`mutants/` folder never lands in it), with mutmut configured for that module and its tests only. Printed per
module: mutants, killed, survived, timeouts, the kill rate, and the surviving mutants' names (read them with
`mutmut show NAME` in the kept copy, see --keep). Runs outside CI: CPU heavy (run it under `heavy`)."""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# module (under numina_exp/) -> the tests that claim to cover it, smallest module first
MODULES = {
    "decode/sc_tir_rules": ["tests/decode/test_sc_tir_rules_decide.py", "tests/decode/test_sc_tir_numina.py",
                            "tests/decode/test_notebook_rules_by_default.py"],
    "grading/vote": ["tests/grading/test_vote.py", "tests/grading/test_vote_result_fields.py",
                     "tests/properties/test_grading_properties.py"],
    "methods/kto": ["tests/kto/test_kto_config_checks.py", "tests/kto/test_kto_pieces.py",
                    "tests/kto/test_kto_class_weights.py"],  # KTO data/weights
    "decode/early_stop": ["tests/decode/test_early_stop.py", "tests/decode/test_early_stop_adaptive.py",
                          "tests/decode/test_early_stop_math_and_posterior.py",
                          "tests/properties/test_early_stop_properties.py", "tests/decode/test_early_stop_boundaries.py"],
    "sandbox/protocol": ["tests/sandbox/test_protocol_auth.py", "tests/sandbox/test_protocol_wire.py"],
    "merge/plan": ["tests/merge/test_merge_plan_table.py", "tests/merge/test_merge_inputs.py", "tests/merge/test_merge_math.py"],
    "quantize/fidelity": ["tests/quantize/test_fidelity_report_files.py", "tests/quantize/test_fidelity_kl.py"],
    "grading/normalize": ["tests/grading/test_normalize_edges.py", "tests/grading/test_normalize.py", "tests/properties/test_grading_properties.py"],
    "grading/extract": ["tests/grading/test_extract_edges.py", "tests/grading/test_extract.py", "tests/properties/test_grading_properties.py"],
    "evaluate/implicit_reward": ["tests/kto/test_implicit_reward_fields.py", "tests/kto/test_kto_pieces.py",
                                 "tests/kto/test_completion_logps.py"],
    # not tests/slurm/test_sharded_eval.py: its Slurm jobs run the installed package, not mutmut's copy, so the
    # sharded run's plan (its code hash) never equals the in-process run's and the clean run fails
    "evaluate/shard": ["tests/evaluate/test_shard_pieces.py", "tests/evaluate/test_merge_foreign_plan.py",
                       "tests/evaluate/test_shard_merge_cli.py"],
    "evaluate/nm_grid": ["tests/evaluate/test_nm_grid_fields.py", "tests/evaluate/test_nm_grid_inference.py", "tests/evaluate/test_nm_grid.py", "tests/evaluate/test_nm_grid_unfinished_answers.py"],
    "evaluate/plan": ["tests/evaluate/test_plan_pieces.py", "tests/evaluate/test_resume_plan.py",
                      "tests/evaluate/test_resume_member_suites.py"],
    "train/rewards": ["tests/rl/test_rewards_pieces.py", "tests/rl/test_rewards.py", "tests/rl/test_rewards_program_output.py"],
}
# Modules whose tests are not fork-safe. quantize/fidelity loads a GPTQ model: gptqmodel's logger (logbar) swaps
# sys.stdout for a stream flushed by a background thread, and a mutant's worker forked from mutmut's main process
# (after the stats run started that thread) waits forever for it: every mutant ended as a wall-time "timeout" kill.
# mutmut's forkserver forks the workers from a process that only collected the tests.
FORKSERVER = {"quantize/fidelity"}
IGNORE = shutil.ignore_patterns(".venv", ".git", "outputs", "multirun", "mutants", "build", "*.egg-info",
                                "__pycache__", ".pytest_cache", "wandb")


def _config(module: str, tests: list[str]) -> str:
    lines = "\n    ".join(tests)
    return (f"\n[mutmut]\nsource_paths = numina_exp\nonly_mutate = numina_exp/{module}.py\n"
            f"pytest_add_cli_args_test_selection =\n    {lines}\n"
            # mutmut kills a mutant's run after (estimated test time + timeout_constant) x 15 s of wall time
            # (x 30 of CPU) and counts it as a kill. Its default constant of 1 s made fixture-heavy modules
            # (quantize/fidelity's model loading) and any run on a loaded box "time out" in ~30 s: false
            # kills. 20 s leaves every honest run room; a mutant that really hangs still ends, later.
            "timeout_constant = 20\n"
            + ("process_isolation = forkserver\n" if module in FORKSERVER else "")
            + "pytest_add_cli_args =\n    -p\n    no:cacheprovider\n    -x\n    -q\n"
            # everything a listed test may read besides the package: sweeps/ (the Slurm array of the
            # sharded-eval test), launch/, docs/ and the root files
            "also_copy =\n    conf\n    benchmarks\n    scripts\n    sweeps\n    launch\n    docs\n"
            "    Makefile\n    README.md\n    pyproject.toml\n")


def run_module(module: str, keep: bool) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"mutants-{module.replace('/', '-')}-"))
    src = work / "repo"
    shutil.copytree(REPO, src, symlinks=True, ignore=IGNORE)
    with open(src / "setup.cfg", "a") as f:
        f.write(_config(module, MODULES[module]))
    mutmut = [sys.executable, "-m", "mutmut"]
    # One cache for the module's whole run: tiny twins, tokenizers and test fixtures that cache by their
    # sources (test_fidelity_kl's quantized model) are built once, not once per mutant.
    env = {**os.environ, "NUMINA_EXP_CACHE": str(work / "cache")}
    proc = subprocess.run([*mutmut, "run", "--max-children", "1"], cwd=src, capture_output=True, text=True, env=env)
    res = subprocess.run([*mutmut, "results", "--all", "true"], cwd=src, capture_output=True, text=True)
    status: dict[str, str] = {}
    for line in res.stdout.splitlines():
        if ":" in line:
            name, st = line.rsplit(":", 1)
            status[name.strip()] = st.strip()
    counts: dict[str, int] = {}
    for st in status.values():
        counts[st] = counts.get(st, 0) + 1
    judged = sum(v for k, v in counts.items() if k in ("killed", "survived", "timeout"))
    killed = counts.get("killed", 0) + counts.get("timeout", 0)  # a mutant that hangs the tests is caught
    out = {"module": module, "mutants": len(status), "counts": counts,
           "kill_rate": round(killed / judged, 3) if judged else None,
           "survivors": sorted(n for n, st in status.items() if st == "survived"), "run_rc": proc.returncode,
           "copy": str(src) if keep else None}
    if proc.returncode != 0 or not judged:
        out["error"] = (proc.stdout + proc.stderr)[-3000:]
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("modules", nargs="*", help=f"modules under numina_exp/ (default: all): {', '.join(MODULES)}")
    ap.add_argument("--keep", action="store_true", help="keep each module's copy (to `mutmut show` a survivor)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        print(f"unknown module(s) {unknown}; known: {list(MODULES)}", file=sys.stderr)
        return 2
    results = []
    for module in args.modules or list(MODULES):
        r = run_module(module, args.keep)
        results.append(r)
        rate = "n/a" if r["kill_rate"] is None else f"{100 * r['kill_rate']:.1f} %"
        print(f"{module}: {r['mutants']} mutants {r['counts']} kill rate {rate}"
              + (f"; copy kept at {r['copy']}" if r["copy"] else ""), flush=True)
        for s in r["survivors"]:
            print(f"  survived: {s}", flush=True)
        if "error" in r:
            print(r["error"], flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
