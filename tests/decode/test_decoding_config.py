"""decoding= x backend= combinations: every strategy with every backend validates; bad options fail clearly."""
import pytest
from helpers import compose_cfg, run_cli

from numina_exp.config import ConfigError
from numina_exp.methods._validate import validate


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cfg")
    (d / "p.jsonl").write_text('{"id": "a", "problem": "1+1?", "answer": "2"}\n')
    line = '{{"problem_id": "a", "copy": {c}, "step": 0, "text": "2", "num_tokens": 1, "finish_reason": "eos"}}\n'
    (d / "g.jsonl").write_text("".join(line.format(c=c) for c in range(48)))  # wide enough for every strategy
    (d / "narrow.jsonl").write_text(line.format(c=0) + line.format(c=1))
    return d


def _base(files):
    return ["method=evaluate", "eval=jsonl", f"eval.path={files / 'p.jsonl'}"]


@pytest.mark.parametrize("strategy", ["greedy", "maj_k", "sc_tir_numina", "sc_tir"])
@pytest.mark.parametrize("backend", ["hf", "vllm", "replay"])
def test_every_strategy_with_every_backend(files, strategy, backend):
    extra = [f"backend.path={files / 'g.jsonl'}"] if backend == "replay" else []
    validate(compose_cfg(_base(files) + [f"decoding={strategy}", f"backend={backend}", *extra]))


def test_replay_narrower_than_n_fails_before_decoding(files):
    cfg = compose_cfg(_base(files) + ["decoding=sc_tir", "backend=replay", f"backend.path={files / 'narrow.jsonl'}"])
    with pytest.raises(ConfigError, match=r"decoding\.n.*holds only 2 copies"):
        validate(cfg)
    cfg.decoding.n = 2
    validate(cfg)


@pytest.mark.parametrize("bad,key", [
    (["decoding=greedy", "decoding.early_stop=lossless"], "decoding.early_stop"),
    (["decoding=sc_tir_numina", "decoding.pipelining=true"], "decoding.early_stop"),
    (["decoding=sc_tir", "decoding.include_stop_in_output=false"], "decoding.include_stop_in_output"),
    (["decoding=maj_k", "decoding.temperature=0"], "decoding.temperature"),
    (["backend=vllm", "backend.static_cache=true"], "backend.static_cache"),
    (["backend=hf", "backend.data_parallel_size=2"], "backend.data_parallel_size"),
    (["backend=hf", "backend.compile=true"], "backend.compile"),
    (["decoding=sc_tir_numina", "decoding.problems_in_flight=0"], "decoding.problems_in_flight"),
    (["decoding=maj_k", "decoding.problems_in_flight=2"], "decoding.problems_in_flight"),
    (["decoding=sc_tir_numina", "decoding.problems_in_flight=2", "eval.mode=kaggle_sim"], "decoding.problems_in_flight"),
    (["decoding=sc_tir_numina", "decoding.problems_in_flight=many"], "decoding.problems_in_flight"),
    (["decoding=sc_tir_numina", "decoding.problems_in_flight=2.5"], "decoding.problems_in_flight"),
    (["decoding=sc_tir_numina", "decoding.problems_in_flight=true"], "decoding.problems_in_flight"),
    (["decoding=sc_tir_numina", "decoding.problems_in_flight=-1"], "decoding.problems_in_flight"),
])
def test_bad_options_are_rejected(files, bad, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        validate(compose_cfg(_base(files) + bad))


@pytest.mark.parametrize("ok", [
    ["decoding=sc_tir_numina"],  # the default: auto
    ["decoding=sc_tir", "decoding.problems_in_flight=auto", "eval.mode=kaggle_sim"],  # auto is 1 there
    ["decoding=sc_tir_numina", "decoding.problems_in_flight=7"],
    ["decoding=maj_k", "decoding.problems_in_flight=auto"],
    ["decoding=greedy", "decoding.problems_in_flight=1"],
])
def test_problems_in_flight_accepts_auto_and_positive_ints(files, ok):
    cfg = compose_cfg(_base(files) + ok)
    validate(cfg)
    if ok == ["decoding=sc_tir_numina"]:
        assert cfg.decoding.problems_in_flight == "auto"


def test_unknown_strategy_fails_clearly(files):
    proc = run_cli(_base(files) + ["decoding=bogus"], timeout=120)
    assert proc.returncode != 0 and "Could not find 'decoding/bogus'" in proc.stderr and "sc_tir_numina" in proc.stderr
