"""Issue 23, through the CLI: one problem's code cannot change another problem's result. Two problems on one
sandbox worker (sandbox.workers=1, one problem in flight), the first one's code hostile (it lowers its zygote's
limits, leaves a locked deep tree, files in /tmp and /dev/shm, pre-created scratch dirs); the second's honest
code uses its whole budget. Its result and execution log must equal those of a run of it alone. The generations
come from backend=replay with `exec: null`, so the real decoder runs each block in the real sandbox."""
import json

from helpers import run_cli, strip_timing

HOSTILE = """import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
rl = (ctypes.c_ulong * 2)
for r, v in ((9, 300 << 20), (7, 40), (1, 1 << 20)):
    libc.syscall(302, os.getppid(), r, rl(v, v), None)
root = os.path.dirname(os.getcwd())
for i in range(1, 50):
    libc.mkdir(os.path.join(root, f'run{i}').encode(), 0o700)
for d in ('/tmp', '/dev/shm', root):
    try:
        open(os.path.join(d, 'leftover'), 'wb').write(b'x' * (8 << 20))
    except OSError:
        pass
libc.mkdir(b'deep', 0o700)
libc.chdir(b'deep')
for _ in range(2000):
    libc.mkdir(b'd' * 200, 0o700)
    libc.chdir(b'd' * 200)
libc.chmod(b'.', 0)
print('done')"""

HONEST = """a = np.ones(200 * 2**20 // 8)
files = [open(f'f{i}', 'w') for i in range(60)]
open('big', 'wb').write(b'x' * (2 << 20))
import os
print(a.nbytes >> 20, len(files), os.path.getsize('big'), sorted(os.listdir('.')) == sorted(['big', 'tmp.py'] + [f'f{i}' for i in range(60)]))"""


def _problem(pid: str, code: str) -> tuple[dict, list[dict]]:
    row = {"id": pid, "problem": f"Problem {pid}: what is 6 times 7?", "answer": "42"}
    steps = [f"We compute.\n```python\n{code}\n```\n```output\n", "So the final answer is $\\boxed{42}$."]
    lines = [{"problem_id": pid, "copy": 0, "step": s, "text": t, "num_tokens": len(t) // 4,
              "finish_reason": "stop" if s == 0 else "eos", "exec": None} for s, t in enumerate(steps)]
    return row, lines


def _run(tmp_path, name: str, problems: list) -> dict:
    suite, replay = tmp_path / f"{name}_suite.jsonl", tmp_path / f"{name}_gen.jsonl"
    suite.write_text("".join(json.dumps(row) + "\n" for row, _ in problems))
    replay.write_text("".join(json.dumps(line) + "\n" for _, lines in problems for line in lines))
    run_dir = tmp_path / name
    r = run_cli(["method=evaluate", "decoding=sc_tir_numina", "decoding.n=1", "decoding.m=2",
                 "decoding.problems_in_flight=1", "sandbox.workers=1", "backend=replay", f"backend.path={replay}",
                 "eval=jsonl", f"eval.path={suite}", f"hydra.run.dir={run_dir}"], timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    out = {}
    for row in strip_timing([json.loads(x) for x in (run_dir / "per_problem.jsonl").read_text().splitlines() if x]):
        out.setdefault(row["problem_id"], {})["result"] = row
    for p in sorted(run_dir.glob("generations*.jsonl")):
        for x in p.read_text().splitlines():
            if x.strip():
                line = json.loads(x)
                out.setdefault(line["problem_id"], {}).setdefault("log", []).append(strip_timing(line))
    return out


def test_one_problems_code_cannot_change_the_next_problems_result(tmp_path):
    alone = _run(tmp_path, "alone", [_problem("honest", HONEST)])
    after = _run(tmp_path, "after", [_problem("hostile", HOSTILE), _problem("honest", HONEST)])
    feedback = [line["exec"]["feedback"] for line in alone["honest"]["log"] if line.get("exec")]
    assert feedback == ["200 60 2097152 True"], alone["honest"]  # the honest block ran with its whole budget
    assert after["honest"] == alone["honest"]
