"""backend=openai quotes what the server said when a request fails, but never the API key: a proxy that
echoes the request (headers included) into its error body, whole or cut short, an echo in a malformed
answer, a URL with credentials, and terminal escapes / bidi characters in the body all reach the message
redacted, escaped and bounded."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from helpers import compose_cfg

from numina_exp.generate.base import GenKey, Sampling
from numina_exp.generate.openai import EndpointError, OpenAIBackend

SECRET = "sk-proj-0123456789abcdefSECRET"
SAMPLING = Sampling(n=1, temperature=0.0, max_new_tokens=8, stop=["```output\n"], seed=1)


class EchoProxy:
    """Answers every POST with `status` and a body built from the request's headers by `body(headers)`."""

    def __init__(self, status: int, body):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                data = proxy.body(dict(self.headers)).encode("utf-8")
                self.send_response(proxy.status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.status, self.body = status, body
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("NUMINA_TEST_KEY", SECRET)


def _fail(url: str) -> str:
    cfg = compose_cfg(["backend=openai", f"backend.url={url}", "backend.model=m", "backend.retries=1",
                       "backend.backoff_s=0.01", "backend.backoff_max_s=0.02", "backend.api_key_env=NUMINA_TEST_KEY"])
    b = OpenAIBackend(cfg)
    try:
        with pytest.raises(EndpointError) as err:
            b.generate(["p"], SAMPLING, [GenKey("x", 0, 0)])
    finally:
        b.close()
    return str(err.value)


ECHOES = {
    "headers_json": (401, lambda h: json.dumps({"error": "unauthorized", "request_headers": h})),
    "raw_key": (403, lambda h: f"key {h['Authorization'].split()[-1]} is not allowed here"),
    "cut_short": (502, lambda h: "upstream said: " + h["Authorization"].split()[-1][:12]),
    "malformed": (200, lambda h: "<html>" + json.dumps(h)),
}


@pytest.mark.parametrize("case", sorted(ECHOES))
def test_an_echoed_key_never_reaches_the_message(case):
    status, body = ECHOES[case]
    with EchoProxy(status, body) as proxy:
        msg = _fail(proxy.url)
    assert SECRET not in msg and SECRET[:10] not in msg, msg
    assert "[redacted]" in msg or case == "malformed"  # a malformed answer is quoted for 200 characters only


def test_body_is_one_bounded_line_without_terminal_escapes():
    body = "\x1b]0;pwned\x07\x1b[2J\u202eoverride\r\nsecond line " + "x" * 5000
    with EchoProxy(500, lambda h: body) as proxy:
        msg = _fail(proxy.url)
    assert "\x1b" not in msg and "\u202e" not in msg and "\r" not in msg and "\n" not in msg
    assert "\\x1b" in msg and "\\u202e" in msg
    assert len(msg) < 600


def test_credentials_in_the_url_are_not_shown(monkeypatch):
    with EchoProxy(503, lambda h: "busy") as proxy:
        url = proxy.url.replace("http://", "http://alice:hunter2pass@")
        msg = _fail(url)
    assert "hunter2pass" not in msg and "[redacted]@127.0.0.1" in msg
