"""backend=openai error paths against a tiny local HTTP server: refused, timed out, malformed JSON and
503 are retried with back-off, then reported as EndpointError; the key never leaves the header."""
import socket

import pytest
from helpers import compose_cfg
from openai_stub import StubServer

from numina_exp.generate.base import GenKey, Sampling
from numina_exp.generate.openai import EndpointError, OpenAIBackend

SECRET = "sk-test-do-not-log-0123456789"
SAMPLING = Sampling(n=1, temperature=0.0, max_new_tokens=16, stop=["```output\n"], seed=3)


def _cfg(url, *extra):
    # a generous request timeout by default: on a loaded box a short one turns a slow reply into a retry; the
    # tests of the timeout path set their own
    return compose_cfg(["backend=openai", f"backend.url={url}", "backend.backoff_s=0.01", "backend.backoff_max_s=0.05",
                        "backend.request_timeout_s=30", "backend.retries=2", "backend.api_key_env=NUMINA_TEST_KEY", *extra])


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("NUMINA_TEST_KEY", SECRET)


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_flaky_endpoint_is_retried_and_answers():
    # the one planned timeout costs request_timeout_s; 2 s leaves the other four replies room on a loaded box
    # (at 0.5 s a slow "ok" reply was retried once more than planned)
    with StubServer(script=["503", "malformed", "timeout"], delay_s=4.0) as srv:
        b = OpenAIBackend(_cfg(srv.url, "backend.retries=3", "backend.request_timeout_s=2"))
        out = b.generate(["p"], SAMPLING, [GenKey("x", 0, 0)])
        b.close()
    assert out[0][0].text.endswith("```output\n") and out[0][0].finish_reason == "stop"
    assert b.model == "stub-model"  # from GET /models
    assert b.usage["retries"] == 3 and b.usage["requests"] == 1 and b.usage["failures"] == 0
    assert b.usage["prompt_tokens"] == 10 and b.usage["completion_tokens"] == 7
    # the key goes in the header only; vLLM's per-request seed and kept stop string are sent
    assert all(h.get("Authorization") == f"Bearer {SECRET}" for h in srv.headers)
    assert srv.requests[-1]["seed"] is not None and srv.requests[-1]["include_stop_str_in_output"] is True


@pytest.mark.parametrize("mode,reason", [("malformed", "malformed"), ("timeout", "timeout"), ("503", "http_503")])
def test_persistent_failure_is_reported_after_retries(mode, reason):
    # only the timeout mode needs a short request timeout; for the others a slow reply must not turn into one
    timeout_s = 0.5 if mode == "timeout" else 30
    with StubServer(default=mode, delay_s=1.0) as srv:
        b = OpenAIBackend(_cfg(srv.url, "backend.model=m", f"backend.request_timeout_s={timeout_s}"))
        with pytest.raises(EndpointError) as err:
            b.generate(["p"], SAMPLING, [GenKey("x", 0, 0)])
        b.close()
    assert err.value.reason == reason and "after 2 retries" in str(err.value)
    assert len(srv.requests) == 3 and b.usage["failures"] == 1
    assert SECRET not in str(err.value)


def test_client_error_is_not_retried():
    with StubServer(default="400") as srv:
        b = OpenAIBackend(_cfg(srv.url, "backend.model=m"))
        with pytest.raises(EndpointError) as err:
            b.generate(["p"], SAMPLING)
    assert err.value.reason == "http_400" and len(srv.requests) == 1


def test_refused_connection_is_reported():
    b = OpenAIBackend(_cfg(f"http://127.0.0.1:{_free_port()}/v1", "backend.model=m"))
    with pytest.raises(EndpointError) as err:
        b.generate(["p"], SAMPLING)
    assert err.value.reason == "refused" and b.usage["retries"] == 2


def test_concurrent_requests_keep_prompt_order():
    with StubServer(reply=lambda prompt: f"reply to {prompt}") as srv:
        b = OpenAIBackend(_cfg(srv.url, "backend.model=m", "backend.concurrency=4"))
        out = b.generate([f"p{i}" for i in range(8)], SAMPLING, [GenKey(f"q{i}", 0, 0) for i in range(8)])
        b.close()
    assert [o[0].text for o in out] == [f"reply to p{i}" for i in range(8)]  # each answer at its prompt's place
    assert sorted(r["prompt"] for r in srv.requests) == sorted(f"p{i}" for i in range(8))
    seeds = {r["prompt"]: r["seed"] for r in srv.requests}
    assert len(set(seeds.values())) == 8  # per-request seeds from (seed, problem, copy, step)


def test_missing_key_variable_is_a_config_error(monkeypatch):
    from numina_exp.config import ConfigError
    from numina_exp.generate.checks import check_backend_capabilities as check_backend
    monkeypatch.delenv("NUMINA_TEST_KEY")
    with pytest.raises(ConfigError, match="backend.api_key_env"):
        check_backend(_cfg("http://127.0.0.1:1/v1"))


def test_problems_in_flight_auto_sends_the_requests_of_one_at_a_time():
    """SC-TIR over the endpoint: with problems_in_flight=auto (several problems' copies in flight at
    once) the server receives exactly the requests - prompt and per-request seed - of one problem at a
    time, and the results are the same."""
    import hashlib

    from helpers import strip_timing

    from numina_exp.decode import make_decoder
    from numina_exp.sandbox import Executor

    def reply(prompt):  # the stub's model: code first, then an answer that depends on the prompt
        if "```output" not in prompt:
            return "```python\nprint(6*7)\n```\n```output\n"
        return f"so the answer is $\\boxed{{{int(hashlib.sha256(prompt.encode()).hexdigest(), 16) % 3}}}$."

    problems = [{"id": f"p{i}", "problem": f"What is 6*{7 + i}?"} for i in range(4)]
    runs, requests = {}, {}
    with Executor(rules="numina", isolation="auto", timeout_s=5.0, workers=2) as ex:
        for k in ("1", "auto"):
            with StubServer(reply=reply) as srv:
                cfg = _cfg(srv.url, "backend.model=m", "backend.concurrency=8", "decoding=sc_tir_numina", "decoding.n=4",
                           "decoding.m=2", f"decoding.problems_in_flight={k}")
                dec = make_decoder(cfg, executor=ex)
                runs[k] = [r.to_json() for r in dec.decode(problems, seed=3)]
                flight = dec.in_flight
                dec.close()
                requests[k] = sorted((r["prompt"], r["seed"]) for r in srv.requests)
    assert flight[0] == 2  # concurrency 8 / n=4
    assert requests["auto"] == requests["1"] and len(requests["1"]) == 4 * 4 * 2
    assert strip_timing(runs["auto"]) == strip_timing(runs["1"])
