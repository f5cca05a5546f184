"""Executor: a pool of warm sandbox workers that run model-written python snippets, in parallel, in order.

Each worker is one zygote process (inside one bubblewrap sandbox with isolation=bwrap) served by one host
thread; snippets queue on a shared queue, so `submit` works from any thread and `run` is `submit` + wait.
A worker whose zygote died (killed by a snippet, crashed) or hung is killed and restarted transparently.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import queue
import select
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import Future

from numina_exp.config.sandbox import SandboxConfig

from . import isolation as iso
from .limits import rlimits
from .result import ExecResult
from .rules import Prepared, get_rules, signal_name

log = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0  # a cold zygote imports numpy and sympy
GRACE_S = 5.0  # beyond the wall limit, for the zygote's own kill/cleanup, before we call it hung
WALL_FACTOR = 4.0  # the timeout counts the snippet's own time (see zygote.py); a starved one ends at this x timeout_s


def wall_limit(timeout_s: float) -> float:
    """Wall seconds after which the zygote kills a snippet however little of the machine it got."""
    return WALL_FACTOR * timeout_s


class WorkerDied(Exception):
    pass


class _Worker:
    """One zygote process and its pipes. Used by one host thread at a time."""

    def __init__(self, ex: "Executor", index: int):
        self.ex, self.index = ex, index
        self.proc: subprocess.Popen | None = None
        self.token = ""
        self.host_dir: str | None = None
        self.ready = False
        self.buf = b""
        self.starts = 0

    def start(self) -> None:
        argv, env, self.host_dir = iso.worker_launch(self.ex.mode, self.ex.python, self.ex.settings,
                                                     self.ex.cfg.tmpfs_mb)
        self.token = env[iso.TOKEN_VAR]
        self.ex.tokens.append(self.token)
        debug = os.environ.get("NUMINA_SANDBOX_DEBUG")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=None if debug else subprocess.DEVNULL, env=env, close_fds=True,
                                     start_new_session=True, cwd=self.host_dir or "/")
        self.ready, self.buf = False, b""
        self.starts += 1

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _read_msg(self, deadline: float) -> dict:
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerDied("hung")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                data = os.read(fd, 1 << 20)
                if not data:
                    raise WorkerDied("died")
                self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def run(self, req: dict, timeout_s: float) -> dict:
        if not self.alive():
            self.stop()
            self.start()
        if not self.ready:
            msg = self._read_msg(time.monotonic() + START_TIMEOUT_S)
            if msg.get("event") != "ready":
                raise WorkerDied(f"unexpected first message {msg}")
            self.ready = True
        try:
            self.proc.stdin.write((json.dumps(req) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerDied("died") from None
        deadline = time.monotonic() + wall_limit(timeout_s) + GRACE_S
        while True:
            msg = self._read_msg(deadline)
            if msg.get("id") == req["id"] and msg.get("event") == "done":
                return msg

    def stop(self) -> None:
        """Kill the zygote and everything it started (bwrap: its PID namespace goes with it)."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, 9)
            except OSError:
                pass
            try:
                self.proc.kill()
            except OSError:
                pass
            self.proc.wait()
            for f in (self.proc.stdin, self.proc.stdout):
                try:
                    f.close()
                except OSError:
                    pass
            self.proc = None
        if self.token:
            iso.kill_marked(self.token)  # setsid escapes whose zygote died (process mode)
        if self.host_dir:
            shutil.rmtree(self.host_dir, ignore_errors=True)
            self.host_dir = None
        self.ready = False


class Executor:
    """Run snippets in a warm, sandboxed pool. Keyword arguments are SandboxConfig fields; all optional.

    with Executor(rules="numina", timeout_s=5) as ex:
        results = ex.run(["print(1+1)", "x ="])   # list[ExecResult], in order
        fut = ex.submit("print(2)")                 # concurrent.futures.Future[ExecResult]
    """

    def __init__(self, **kwargs):
        self.cfg = SandboxConfig(**kwargs)
        c = self.cfg
        if c.timeout_s <= 0 or c.workers < 1 or c.memory_mb < 64 or c.max_output_bytes < 1:
            raise ValueError(f"invalid sandbox config: {c}")
        self.rules = get_rules(c.rules)
        self.mode = iso.resolve(c.isolation)
        self.python = c.python or sys.executable
        self.settings = {"rlimits": rlimits(c), "max_output_bytes": int(c.max_output_bytes),
                         "max_processes": int(c.max_processes)}
        self._q: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._closed = False
        self._ids = 0
        self.tokens: list[str] = []  # every worker token ever used: iso.marked_pids(t) finds its processes
        self._workers = [_Worker(self, i) for i in range(c.workers)]
        for w in self._workers:  # warm up concurrently: the imports happen while we build threads
            w.start()
        self._threads = [threading.Thread(target=self._loop, args=(w,), name=f"sandbox-{w.index}", daemon=True)
                         for w in self._workers]
        for t in self._threads:
            t.start()

    @classmethod
    def from_config(cls, cfg) -> "Executor":
        """From a SandboxConfig, an omegaconf DictConfig of the sandbox group, or a plain mapping."""
        if dataclasses.is_dataclass(cfg):
            d = dataclasses.asdict(cfg)
        else:
            try:
                from omegaconf import DictConfig, OmegaConf
                d = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg)
            except ImportError:
                d = dict(cfg)
        return cls(**d)

    # ------------------------------------------------------------------ public API
    def submit(self, code: str) -> "Future[ExecResult]":
        fut: Future = Future()
        prep = self.rules.prepare(code)
        if prep.refusal is not None:
            r = ExecResult(status="refused", detail=prep.refusal)
            r.feedback = self._render(r, prep)
            fut.set_running_or_notify_cancel()
            fut.set_result(r)
            return fut
        with self._lock:
            if self._closed:
                raise RuntimeError("Executor is closed")
            self._ids += 1
            self._q.put((fut, prep, self._ids))
        return fut

    def run(self, codes: list[str]) -> list[ExecResult]:
        futs = [self.submit(c) for c in codes]
        return [f.result() for f in futs]

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for _ in self._threads:
                self._q.put(None)
        for t in self._threads:
            t.join()
        for w in self._workers:
            w.stop()

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    # ------------------------------------------------------------------ internals
    def _loop(self, w: _Worker) -> None:
        while True:
            item = self._q.get()
            if item is None:
                return
            fut, prep, rid = item
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(self._execute(w, prep, rid))
            except BaseException as e:  # never lose a future
                fut.set_exception(e)

    def _execute(self, w: _Worker, prep: Prepared, rid: int) -> ExecResult:
        req = {"id": rid, "script": prep.script, "timeout": self.cfg.timeout_s, "echo": prep.echo,
               "preload": prep.preload, "wall_limit": wall_limit(self.cfg.timeout_s)}
        t0 = time.monotonic()
        for attempt in range(2):
            try:
                msg = w.run(req, self.cfg.timeout_s)
                break
            except WorkerDied as e:
                started = w.ready
                log.warning("sandbox worker %d (%s) %s %s; restarting it", w.index, self.mode, e,
                            "while running a snippet" if started else "before it was ready")
                w.stop()
                if started or attempt:  # the snippet ran and took the worker down (or it never came up)
                    if not started:
                        raise RuntimeError(f"sandbox worker failed to start ({self.mode})") from e
                    r = ExecResult(status="killed", elapsed_s=time.monotonic() - t0,
                                   detail=f"the sandbox worker {e} while running this snippet (restarted)")
                    r.feedback = self._render(r, prep)
                    return r
        rc = msg["returncode"]
        if msg["timed_out"]:
            status, detail = "timeout", f"no exit after {self.cfg.timeout_s:g} s; killed"
        elif rc == 0:
            status, detail = "ok", ""
        elif rc < 0:
            status, detail = "killed", f"killed by {signal_name(rc)}"
        else:
            status, detail = "error", ""
        r = ExecResult(status=status, stdout=msg["stdout"], stderr=msg["stderr"], elapsed_s=msg["elapsed"],
                       wall_s=msg.get("wall", msg["elapsed"]),
                       returncode=rc, truncated=msg["truncated"], script_path=msg["script_path"], detail=detail,
                       leftovers=msg.get("leftovers", 0))
        r.feedback = self._render(r, prep)
        return r

    def _render(self, r: ExecResult, prep: Prepared) -> str:
        if self.rules.name == "default":
            return self.rules.render(r, self.cfg.timeout_s, self.cfg.max_feedback_chars, prep.script)
        return self.rules.render(r, self.cfg.timeout_s, self.cfg.max_feedback_chars)
