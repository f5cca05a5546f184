"""early_stop=adaptive (Adaptive-Consistency's posterior stopping, lossy by design): the posterior is
right, a problem stops only when the fixed votes make the leader likely enough (or the lossless rule
holds), it saves tokens beyond the lossless rule, and bad keys fail at validation."""
import random

import pytest
from decode_scripted import FakeExecutor, RecordingReplay, cfg_for, code, final
from helpers import compose_cfg

from numina_exp.config import ConfigError
from numina_exp.decode import make_decoder
from numina_exp.decode.early_stop import beta_confidence, dirichlet_confidence, leader_confidence
from numina_exp.methods._validate import validate


@pytest.mark.parametrize("k", range(1, 8))
def test_beta_posterior_unanimous_votes(k):
    # k votes for one answer, none for another, uniform prior: P(Beta(k+1, 1) > 1/2) = 1 - 2^-(k+1)
    assert beta_confidence([k]) == pytest.approx(1 - 0.5 ** (k + 1), abs=1e-12)


def test_posteriors_grow_with_the_margin_and_agree_on_clear_cases():
    assert beta_confidence([3, 3]) == pytest.approx(0.5)
    seq = [beta_confidence([c, 2]) for c in range(2, 12)]
    assert all(a < b for a, b in zip(seq, seq[1:]))
    # Dirichlet over all groups: a third group only lowers the leader's chance
    assert dirichlet_confidence([8, 2]) > dirichlet_confidence([8, 2, 2]) > 0.5
    assert dirichlet_confidence([12]) > 0.95 and dirichlet_confidence([2, 2, 1]) < 0.6
    assert dirichlet_confidence([5, 1], seed=3) == dirichlet_confidence([5, 1], seed=3)  # deterministic


def _problem(rng, pid, n, m):
    fav = str(rng.randint(0, 9))
    recs = []
    for c in range(n):
        for s in range(m):
            r = rng.random()
            ans = fav if rng.random() < 0.7 else str(rng.randint(0, 9))
            t = code() if (s == 0 or r < 0.3) else (final(ans) if r < 0.85 else "no code, no answer")
            recs.append({"problem_id": pid, "copy": c, "step": s, "text": t, "num_tokens": rng.randint(20, 200),
                         "finish_reason": "stop" if t.endswith("```output\n") else "eos"})
    return recs


_BASE = {}


def _decode(recs, pid, n, m, extra):
    from omegaconf import OmegaConf
    if "cfg" not in _BASE:  # compose once (Hydra takes ~0.5 s a call); each run merges its keys
        _BASE["cfg"] = cfg_for("sc_tir", 1, 1, ["decoding.pipelining=false"])
    cfg = OmegaConf.merge(_BASE["cfg"], OmegaConf.from_dotlist([f"decoding.n={n}", f"decoding.m={m}", *extra]))
    dec = make_decoder(cfg, backend=RecordingReplay(recs), executor=FakeExecutor())
    (res,) = dec.decode([{"id": pid, "problem": "Scripted?"}], seed=0)
    return res, cfg.decoding


def test_adaptive_stops_only_when_confident_and_saves_tokens():
    rng = random.Random(7)
    tokens = {"lossless": 0, "adaptive": 0}
    agree = total = 0
    for i in range(40):
        n, m, pid = rng.randint(6, 16), rng.randint(2, 4), f"q{i}"
        recs = _problem(rng, pid, n, m)
        lossless, _ = _decode(recs, pid, n, m, ["decoding.early_stop=lossless"])
        adaptive, d = _decode(recs, pid, n, m, ["decoding.early_stop=adaptive", "decoding.early_stop_threshold=0.9"])
        assert adaptive.tokens <= lossless.tokens, i  # it stops whenever lossless does, maybe earlier
        tokens["lossless"] += lossless.tokens
        tokens["adaptive"] += adaptive.tokens
        if adaptive.early_stopped and not lossless.early_stopped:
            # the votes fixed when it stopped make the leader likely enough under the posterior
            fixed = [c.value for c in adaptive.copies if c.status in ("answered", "discarded")]
            assert leader_confidence(fixed, d) >= 0.9, (i, fixed)
        agree += adaptive.answer == lossless.answer
        total += 1
    assert tokens["adaptive"] < tokens["lossless"]
    assert agree >= 0.8 * total  # lossy, but mostly the full run's answer on problems with a favourite


@pytest.mark.parametrize("bad,key", [
    (["decoding.early_stop_threshold=1.0"], "decoding.early_stop_threshold"),
    (["decoding.early_stop_prior=0"], "decoding.early_stop_prior"),
])
def test_bad_adaptive_keys_fail_at_validation(bad, key):
    cfg = compose_cfg(["decoding=sc_tir", "decoding.early_stop=adaptive", "model=tiny_llama", "eval=gsm8k", *bad])
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        validate(cfg)


def test_unknown_posterior_fails_at_composition_naming_the_key():
    """A closed choice is a StrEnum in the schema: Hydra refuses it before validation, naming key and value."""
    with pytest.raises(Exception, match=r"early_stop_posterior[\s\S]*gauss|gauss[\s\S]*early_stop_posterior"):
        compose_cfg(["decoding=sc_tir", "decoding.early_stop_posterior=gauss"])


def test_adaptive_is_never_the_default():
    assert compose_cfg(["decoding=sc_tir"]).decoding.early_stop == "lossless"
    assert compose_cfg(["decoding=sc_tir_numina"]).decoding.early_stop == "none"
