"""OpenAI-compatible endpoint backend (`backend=openai`): a `vllm serve`, TGI, or a hosted API.

Uses the text completions route (`POST {backend.url}/completions`): SC-TIR continues the model's own
text after each code output, which a chat route cannot do portably; the caller renders the teacher's
chat template into the prompt. Keys (numina_exp/config/backend.py):

* `backend.url` (e.g. http://127.0.0.1:8000/v1), `backend.model` (null: the first id of GET /models),
* `backend.api_key_env`: the NAME of the environment variable holding the key (the key itself is never
  in the config, the run dir or a log line; error messages quote the server, never the request headers),
* `backend.concurrency`: requests in flight at once,
* `backend.retries`, `backend.backoff_s`, `backend.backoff_max_s`, `backend.request_timeout_s`: a
  request that is refused, times out, answers 429/5xx or with malformed JSON is retried after
  backoff_s * 2**attempt (capped, with jitter); after `retries` retries it fails with EndpointError.
* `backend.vllm_extensions`: send vLLM's per-request `seed`, `top_k` and `include_stop_str_in_output`
  (true for vllm serve; false for endpoints that reject unknown fields - then a matched stop string is
  re-appended from the response's `stop_reason` when the server gives one).

`usage` counts requests, retries, failures and the prompt/completion tokens the server reported."""
from __future__ import annotations

import os
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Optional, Sequence

from ..core.text import bounded, escape_invisible
from .base import Backend, Completion, GenKey, Sampling, request_seed

# Credentials a server (or a proxy echoing the request) may quote back: bearer tokens, key/authorization fields.
_CREDENTIAL = re.compile(r"(?i)(bearer\s+|(?:api[_-]?key|authorization|x-api-key|token)[\x27\"]?\s*[:=]\s*[\x27\"]?)"
                         r"[^\s\x27\",;}&]+")
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


class EndpointError(RuntimeError):
    """The endpoint failed a request after every retry; `reason` is refused | timeout | http_<code> | malformed."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


_RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class OpenAIBackend(Backend):
    prompts_per_call = None  # the thread pool takes any number; `concurrency` bounds what is in flight
    batch_invariant = True  # with vllm_extensions each request sends its own seed (set per instance)

    @classmethod
    def check_config(cls, cfg) -> None:
        from .keys import check_openai
        check_openai(cfg)

    @classmethod
    def batch_invariant_for(cls, backend_cfg) -> bool:
        # without the per-request seed the server samples freely: no run is reproducible, batched or not
        return bool(backend_cfg.get("vllm_extensions", True))

    def __init__(self, cfg, model_source: Optional[str] = None):
        import httpx

        b = cfg.backend
        if not b.url:
            raise ValueError("backend=openai needs backend.url (e.g. http://127.0.0.1:8000/v1)")
        self.url = str(b.url).rstrip("/")
        self.concurrency = int(b.concurrency)
        self.retries = int(b.retries)
        self.backoff_s = float(b.backoff_s)
        self.backoff_max_s = float(b.backoff_max_s)
        self.vllm_extensions = bool(b.vllm_extensions)
        self.batch_invariant = self.batch_invariant_for(b)
        # the server batches what this client keeps in flight: `concurrency` requests
        self.max_batch_sequences = self.concurrency
        self.capacity_note = f"backend.concurrency {self.concurrency} requests in flight"
        headers = {"Content-Type": "application/json"}
        self._secrets: list[str] = []
        self.shown_url = _USERINFO.sub("[redacted]@", self.url)
        if b.api_key_env:
            key = os.environ.get(str(b.api_key_env))
            if not key:
                raise ValueError(f"backend.api_key_env={b.api_key_env}: that environment variable is not set")
            headers["Authorization"] = f"Bearer {key}"
            self._secrets.append(key)
        self._client = httpx.Client(headers=headers, timeout=httpx.Timeout(float(b.request_timeout_s)),
                                    limits=httpx.Limits(max_connections=max(self.concurrency, 1)))
        self._lock = threading.Lock()
        self.usage = {"requests": 0, "retries": 0, "failures": 0, "prompt_tokens": 0, "completion_tokens": 0}
        self.model = str(b.model) if b.model else self._first_model()
        self.served_model = self.model

    def _quote(self, text, limit: int = 300) -> str:
        """What a server said, safe for a console and a log: the API key and anything that looks like a
        credential redacted (a proxy may echo the request headers), invisible characters and terminal
        escapes shown as escapes, one line, at most `limit` characters."""
        text = str(text)
        for secret in self._secrets:  # whole, or cut short by the server (its first 8 characters onward)
            text = text.replace(secret, "[redacted]")
            if len(secret) >= 8:
                text = re.sub(re.escape(secret[:8]) + r"\S*", "[redacted]", text)
        text = _USERINFO.sub("[redacted]@", _CREDENTIAL.sub(r"\1[redacted]", text))
        return bounded(escape_invisible(text, keep=""), limit)

    # --- one request, with retries ----------------------------------------------------------------
    def _count(self, **kw):
        with self._lock:
            for k, v in kw.items():
                self.usage[k] += v

    def _post(self, route: str, body: Optional[dict]) -> dict:
        import httpx

        last = None
        for attempt in range(self.retries + 1):
            if attempt:
                delay = min(self.backoff_max_s, self.backoff_s * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
                self._count(retries=1)
                time.sleep(delay)
            try:
                if body is None:
                    resp = self._client.get(self.url + route)
                else:
                    resp = self._client.post(self.url + route, json=body)
            except httpx.TimeoutException as err:
                last = EndpointError("timeout", f"{self.shown_url}{route}: timed out ({type(err).__name__})")
                continue
            except httpx.TransportError as err:
                last = EndpointError("refused", f"{self.shown_url}{route}: {type(err).__name__}: {self._quote(err)}")
                continue
            if resp.status_code != 200:
                last = EndpointError(f"http_{resp.status_code}",
                                     f"{self.shown_url}{route}: HTTP {resp.status_code}: {self._quote(resp.text)}")
                if resp.status_code in _RETRYABLE_STATUS:
                    continue
                break  # 400 / 401 / 404: asking again will not help
            try:
                data = resp.json()
                if not isinstance(data, dict):
                    raise ValueError("not a JSON object")
            except ValueError as err:
                last = EndpointError("malformed", f"{self.shown_url}{route}: malformed JSON ({err}): {self._quote(resp.text, 200)}")
                continue
            return data
        self._count(failures=1)
        raise EndpointError(last.reason, f"{last} (after {self.retries} retries)")

    def _first_model(self) -> str:
        data = self._post("/models", None)
        models = data.get("data") or []
        if not models or "id" not in models[0]:
            raise EndpointError("malformed", f"{self.shown_url}/models lists no model; set backend.model")
        return str(models[0]["id"])

    def _complete(self, prompt: str, sampling: Sampling, key: Optional[GenKey]) -> list[Completion]:
        body = {"model": self.model, "prompt": prompt, "n": sampling.n, "temperature": sampling.temperature,
                "top_p": sampling.top_p, "max_tokens": sampling.max_new_tokens}
        if sampling.stop:
            body["stop"] = list(sampling.stop)
        if self.vllm_extensions:
            seed = request_seed(sampling.seed, key)
            if seed is not None:
                body["seed"] = seed
            if sampling.top_k and sampling.top_k > 0:
                body["top_k"] = sampling.top_k
            body["include_stop_str_in_output"] = bool(sampling.include_stop_in_output)
        data = self._post("/completions", body)
        choices = data.get("choices")
        if not isinstance(choices, list) or len(choices) != sampling.n or not all(isinstance(c, dict) and "text" in c for c in choices):
            self._count(failures=1)
            raise EndpointError("malformed", f"{self.shown_url}/completions: expected {sampling.n} choices with text, "
                                             f"got {self._quote(data, 200)}")
        usage = data.get("usage") or {}
        self._count(requests=1, prompt_tokens=int(usage.get("prompt_tokens") or 0),
                    completion_tokens=int(usage.get("completion_tokens") or 0))
        per_choice = int(usage.get("completion_tokens") or 0) // max(sampling.n, 1)
        out = []
        for c in sorted(choices, key=lambda c: c.get("index", 0)):
            text, stop_reason = str(c["text"]), c.get("stop_reason")
            if c.get("finish_reason") == "length":
                reason = "length"
            elif isinstance(stop_reason, str):
                reason = "stop"
                if sampling.include_stop_in_output and not text.endswith(stop_reason):
                    text += stop_reason  # the server cut the stop string off
            else:
                reason = "eos"
            out.append(Completion(text, per_choice, reason))
        return out

    # --- the Backend interface --------------------------------------------------------------------
    def generate(self, prompts: Sequence[str], sampling: Sampling,
                 keys: Optional[Sequence[GenKey]] = None) -> list[list[Completion]]:
        if not prompts:
            return []
        keys = list(keys) if keys is not None else [None] * len(prompts)
        if self.concurrency <= 1 or len(prompts) == 1:
            return [self._complete(p, sampling, k) for p, k in zip(prompts, keys)]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(prompts))) as pool:
            return list(pool.map(lambda pk: self._complete(pk[0], sampling, pk[1]), zip(prompts, keys)))

    def close(self) -> None:
        self._client.close()
