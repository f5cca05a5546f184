"""kaggle_sim.run replays the RECORDED costs: the same answers with other recorded times give another
score under the same budget. Two scripted passes decode identical copies and differ only in what they
record: each problem's wall/generation seconds, and how the tokens of its log are spread over the steps."""
import json

from eval_scripted import ScriptedDecoder, result_from_copies, scripted_copies
from helpers import compose_cfg

from numina_exp.decode import as_log
from numina_exp.evaluate import kaggle_sim


class CostedDecoder(ScriptedDecoder):
    """ScriptedDecoder's copies, with recorded seconds `wall(pid)` (all of it generation) and per-step
    token counts `tokens(pid, step)` in the generation log."""

    def __init__(self, wall, tokens, **kw):
        super().__init__(**kw)
        self.wall, self.tokens = wall, tokens

    def decode(self, problems, seed=0, gen_log=None):
        log = as_log(gen_log)
        try:
            for p in problems:
                pid = str(p["id"])
                copies = scripted_copies(p["answer"], seed, pid, self.n, self.m, self.p)
                for c in copies:
                    for s in range(max(c.steps, 1)):
                        log.append(pid, c.copy, s, f"text {pid} {c.copy} {s}", self.tokens(pid, s), "stop")
                log.flush()
                r = result_from_copies(pid, copies, self.m, p.get("answer"))
                r.wall_s = r.generation_s = self.wall(pid)
                yield r
        finally:
            log.discard()


def _odd(pid: str) -> bool:
    return int(pid.rsplit("-", 1)[-1] if "-" in pid else sum(map(ord, pid))) % 2 == 1


def _run(tmp_path, name, wall, tokens=lambda pid, s: 5, budget=60.0, policies="[fixed,even_split]"):
    cfg = compose_cfg(["experiment=eval_kaggle_sim", "eval.limit=30", "decoding.n=8", "eval.progress=false",
                       "eval.orders=3", "eval.speed_factor=1.0", f"eval.budget_s={budget}", f"eval.policies={policies}",
                       "eval.budget_scales=[1.0]"])
    res = kaggle_sim.run(cfg, tmp_path / name, decoder=CostedDecoder(wall, tokens, n=8))
    per_problem = [json.loads(line) for line in (tmp_path / name / "per_problem.jsonl").read_text().splitlines()]
    return res, {r["problem_id"]: r["answer"] for r in per_problem}


def test_score_follows_the_recorded_problem_times(tmp_path):
    # 30 problems drawn; 1 s each fits the 60 s budget; then half of them recorded at 5 s
    even, answers_even = _run(tmp_path, "even", lambda pid: 1.0)
    skew, answers_skew = _run(tmp_path, "skew", lambda pid: 5.0 if _odd(pid) else 1.0)
    assert answers_even == answers_skew  # the same pass, other recorded costs
    for pol in ("fixed", "even_split"):
        assert even["policies"][pol]["time_used"] != skew["policies"][pol]["time_used"], pol
    assert even["policies"]["fixed"]["mean"] == even["plain_run_score"]  # everything fits
    assert skew["policies"]["fixed"]["mean"] < even["policies"]["fixed"]["mean"]
    assert skew["policies"]["even_split"]["mean"] < even["policies"]["even_split"]["mean"]


def test_steps_follow_the_recorded_tokens_of_each_step(tmp_path):
    # every problem takes 4 s; its tokens sit in its first step or in its later ones. even_split gives each
    # problem 60 s / 30 = 2 s: a front-loaded problem cannot even finish step 0 (~4 s) in it, a back-loaded
    # one runs its cheap first step and more before the deadline.
    front, _ = _run(tmp_path, "front", lambda pid: 4.0, tokens=lambda pid, s: 1000 if s == 0 else 1,
                    policies="[even_split]")
    back, _ = _run(tmp_path, "back", lambda pid: 4.0, tokens=lambda pid, s: 1 if s == 0 else 1000,
                   policies="[even_split]")
    steps_front = [r["steps"] for run_ in front["policies"]["even_split"]["runs"] for r in run_["rows"]]
    steps_back = [r["steps"] for run_ in back["policies"]["even_split"]["runs"] for r in run_["rows"]]
    assert steps_front != steps_back
    assert sum(steps_back) > sum(steps_front)  # cheap early steps: more of them fit before the deadline
