"""A tiny local HTTP server speaking the OpenAI completions protocol, for the ERROR paths only
(refusals, timeouts, malformed JSON, flaky 503s); the real-server tests use `vllm serve`.
`script` is a list of behaviours consumed one per request; when it runs out, `default` applies.
`reply(prompt) -> text` answers instead of the fixed `text`; after `fail_after` answered requests every
further request gets a 503 (an endpoint that goes down mid-run). `hold(prompt) -> bool` keeps the matching
requests unanswered until `release()`: `held` is set once one arrives, so a test knows the client is
blocked on the server at a known point (an event to act on, not a sleep)."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StubServer:
    def __init__(self, script=(), default="ok", text="```python\nprint(6*7)\n```\n```output\n", delay_s=3.0,
                 reply=None, fail_after=None, hold=None):
        self.reply = reply
        self.hold = hold
        self.held = threading.Event()
        self._released = threading.Event()
        self.fail_after = fail_after
        self.answered = 0
        self.script = list(script)
        self.default = default
        self.text = text
        self.delay_s = delay_s
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, code, body: bytes):
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                self._send(200, json.dumps({"data": [{"id": "stub-model"}]}).encode())

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append(body)
                stub.headers.append(dict(self.headers))
                if stub.hold is not None and not stub._released.is_set() and stub.hold(body.get("prompt", "")):
                    stub.held.set()
                    stub._released.wait()
                mode = stub.script.pop(0) if stub.script else stub.default
                if stub.fail_after is not None and stub.answered >= stub.fail_after:
                    mode = "503"
                if mode == "timeout":
                    time.sleep(stub.delay_s)
                    mode = "ok"
                if mode == "malformed":
                    return self._send(200, b"{not json")
                if mode == "503":
                    return self._send(503, b'{"error": "overloaded"}')
                if mode == "400":
                    return self._send(400, b'{"error": "bad request"}')
                text = stub.reply(body["prompt"]) if stub.reply else stub.text
                stop = "```output\n" if text.endswith("```output\n") else None
                if stop and not body.get("include_stop_str_in_output"):
                    text = text[: -len(stop)]
                stub.answered += 1
                choices = [{"index": i, "text": text, "finish_reason": "stop", "stop_reason": stop}
                           for i in range(body.get("n", 1))]
                self._send(200, json.dumps({"choices": choices,
                                            "usage": {"prompt_tokens": 10, "completion_tokens": 7 * len(choices)}}).encode())

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def release(self):
        """Answer the held requests (and every later one) as usual."""
        self._released.set()

    def __exit__(self, *exc):
        self._released.set()  # a held handler thread would keep shutdown() waiting
        self.httpd.shutdown()
        self.httpd.server_close()
