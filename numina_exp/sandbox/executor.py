"""Executor: a pool of warm sandbox workers that run model-written python snippets, in parallel, in order.

Each worker is one zygote process (inside one bubblewrap sandbox with isolation=bwrap) served by one host
thread; snippets queue on a shared queue, so `submit` works from any thread and `run` is `submit` + wait.
A worker whose zygote died (killed by a snippet, crashed) or hung is killed and restarted transparently.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import queue
import secrets
import select
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import Future

from numina_exp.config.sandbox import SandboxConfig

from . import cgroups, protocol
from . import isolation as iso
from .cgroups import WorkerCgroup
from .limits import rlimits
from .result import ExecResult
from .rules import Prepared, get_rules, signal_name
from .text import clean_code, clean_output
from .wipe import remove_path

log = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0  # a cold zygote imports numpy and sympy
GRACE_S = 5.0  # beyond the wall limit, for the zygote's own kill/cleanup, before we call it hung
WALL_FACTOR = 4.0  # the timeout counts the snippet's own time (see zygote.py); a starved one ends at this x timeout_s


def wall_limit(timeout_s: float) -> float:
    """Wall seconds after which the zygote kills a snippet however little of the machine it got."""
    return WALL_FACTOR * timeout_s


class WorkerDied(Exception):
    pass


class WorkerCompromised(WorkerDied):
    """The worker broke the protocol (a forged, injected or garbled message): it is killed, never trusted again."""


class WorkerUnavailable(WorkerDied):
    """The zygote could not set up a snippet (its scratch space is broken): the snippet never ran."""


def max_line(max_output_bytes: int) -> int:
    """Longer than any honest reply: two streams of max_output_bytes, each byte at most 6 JSON characters."""
    return 12 * int(max_output_bytes) + (1 << 20)


class _Worker:
    """One zygote process, its pipes, its protocol key and (where one can be made) its cgroup. Used by one host
    thread at a time."""

    def __init__(self, ex: "Executor", index: int):
        self.ex, self.index = ex, index
        self.proc: subprocess.Popen | None = None
        self.token = ""
        self.host_dir: str | None = None
        self.cgroup: WorkerCgroup | None = None
        self.key = b""
        self.seq_in = self.seq_out = 0
        self.ready = False
        self.buf = b""
        self.starts = 0

    def start(self) -> None:
        self.token = uuid.uuid4().hex
        self.ex.tokens.append(self.token)
        self.cgroup = WorkerCgroup.create(cgroups.name_for(self.token)) if self.ex.use_cgroups else None
        cpu_fd = self.cgroup.open_cpu_usage() if self.cgroup is not None else None
        settings = dict(self.ex.settings, cpuacct_fd=cpu_fd)
        argv, env, self.host_dir = iso.worker_launch(self.ex.mode, self.ex.python, settings, self.ex.cfg.tmpfs_mb,
                                                     token=self.token)
        if self.cgroup is not None:
            argv = self.cgroup.wrap(argv)
        debug = os.environ.get("NUMINA_SANDBOX_DEBUG")
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=None if debug else subprocess.DEVNULL, env=env, close_fds=True,
                                         pass_fds=[cpu_fd] if cpu_fd is not None else [],
                                         start_new_session=True, cwd=self.host_dir or "/")
        finally:
            if cpu_fd is not None:
                os.close(cpu_fd)
        self.key = secrets.token_bytes(protocol.KEY_BYTES)
        self.seq_in = self.seq_out = 0
        try:  # the key goes first on stdin, never through argv or the environment (/proc shows those)
            self.proc.stdin.write(self.key)
            self.proc.stdin.flush()
        except OSError:
            pass  # it died at once: found out when we read its first message
        self.ready, self.buf = False, b""
        self.starts += 1

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _read_msg(self, deadline: float) -> dict:
        """The zygote's next message, authenticated and in sequence; WorkerCompromised for anything else."""
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            if len(self.buf) > max_line(self.ex.cfg.max_output_bytes):
                raise WorkerCompromised("sent an over-long line")
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
        try:
            msg = protocol.decode(self.key, protocol.TO_HOST, self.seq_in, line)
        except protocol.ProtocolError as e:
            raise WorkerCompromised(f"broke the protocol ({e})") from None
        self.seq_in += 1
        return msg

    def _send(self, msg: dict) -> None:
        try:
            self.proc.stdin.write(protocol.encode(self.key, protocol.TO_ZYGOTE, self.seq_out, msg))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerDied("died") from None
        self.seq_out += 1

    def run(self, req: dict, timeout_s: float) -> dict:
        if not self.alive():
            self.stop()
            self.start()
        if not self.ready:
            msg = self._read_msg(time.monotonic() + START_TIMEOUT_S)
            if msg.get("event") != "ready":
                raise WorkerCompromised(f"unexpected first message {str(msg)[:200]}")
            if self.cgroup is not None:
                self.cgroup.limit(int(self.ex.cfg.max_processes), int(self.ex.cfg.memory_mb) << 20)
            self.ready = True
        self._send(req)
        deadline = time.monotonic() + wall_limit(timeout_s) + GRACE_S
        started = self._read_msg(deadline)
        if started.get("event") == "unavailable" and started.get("id") == req["id"]:
            raise WorkerUnavailable(f"could not set up the snippet ({str(started.get('why'))[:300]})")
        if started.get("event") != "started" or started.get("id") != req["id"]:
            raise WorkerCompromised(f"expected 'started' for request {req['id']}, got {str(started)[:200]}")
        done = self._read_msg(deadline)
        if done.get("event") != "done" or done.get("id") != req["id"]:
            raise WorkerCompromised(f"expected 'done' for request {req['id']}, got {str(done)[:200]}")
        try:
            return protocol.check_fields(done, protocol.DONE_FIELDS)
        except protocol.ProtocolError as e:
            raise WorkerCompromised(f"sent a malformed result ({e})") from None

    def stop(self) -> None:
        """Kill the zygote and everything it started, remove its cgroup and host scratch dir. Never raises: what
        a snippet left (on disk or elsewhere) must not break the executor; a failure is logged."""
        try:
            self._stop()
        except Exception as e:  # noqa: BLE001 (a worker that cannot be cleaned is still replaced)
            log.warning("sandbox worker %d: cleanup failed (%s: %s)", self.index, type(e).__name__, e)
        finally:
            self.proc, self.cgroup, self.host_dir, self.ready = None, None, None, False

    def _stop(self) -> None:
        """Its cgroup where it has one (nothing escapes that), else its process group, its PID namespace (bwrap)
        and the processes carrying its token."""
        if self.cgroup is not None:
            self.cgroup.kill_all()
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
            iso.kill_marked(self.token)  # setsid escapes whose zygote died (no cgroup)
        if self.cgroup is not None:
            self.cgroup.kill_all()
            self.cgroup.remove()
            self.cgroup = None
        if self.host_dir:
            problem = remove_path(self.host_dir)  # iterative, modes restored: a snippet's tree cannot stop it
            if problem:
                log.warning("sandbox worker %d: could not remove its scratch dir (%s)", self.index, problem)
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
        self.use_cgroups = True  # each worker tries to make one (cgroups.py); `limits` says what it got
        if self.use_cgroups:
            cgroups.sweep()  # those of evaluators killed before they could clean up (kill -9)
        if self.mode == "process":
            iso.sweep_host_dirs()  # (the same for their scratch dirs)
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
        log.info("sandbox budgets (%s): %s", self.mode, self.limits)

    @property
    def limits(self) -> str:
        """How the process and memory budgets are enforced: `cgroup` (kernel, whole worker tree) or `rlimit`
        (per process: RLIMIT_AS, RLIMIT_NPROC per user, which does not bind root; see docs/sandbox.md)."""
        return "cgroup" if all(w.cgroup is not None for w in self._workers) else "rlimit"

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
        prep = self.rules.prepare(clean_code(code))
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
            w.stop()  # never raises

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
        req = {"id": rid, "script": prep.script, "timeout": float(self.cfg.timeout_s), "echo": prep.echo,
               "preload": prep.preload, "wall_limit": wall_limit(self.cfg.timeout_s)}
        t0 = time.monotonic()
        for attempt in range(2):
            try:
                msg = w.run(req, self.cfg.timeout_s)
                break
            except Exception as e:  # WorkerDied, WorkerCompromised, or anything else a broken worker caused
                started = w.ready and not isinstance(e, WorkerUnavailable)
                what = e if isinstance(e, WorkerDied) else f"failed ({type(e).__name__}: {e})"
                log.warning("sandbox worker %d (%s) %s %s; killing and restarting it", w.index, self.mode, what,
                            "while running a snippet" if started else "before it was ready")
                w.stop()
                if started or attempt:  # the snippet ran and took the worker down (or it never came up)
                    if not started and not isinstance(e, (WorkerCompromised, WorkerUnavailable)):
                        raise RuntimeError(f"sandbox worker failed to start ({self.mode})") from e
                    r = ExecResult(status="killed", elapsed_s=time.monotonic() - t0,
                                   detail=f"the sandbox worker {what} while running this snippet (restarted)")
                    r.feedback = self._render(r, prep)
                    return r
        if msg["wipe_error"]:  # this snippet left what its worker cannot clean: it is the one reported
            log.warning("sandbox worker %d: a snippet left files its zygote could not remove (%s); replacing the "
                        "worker", w.index, msg["wipe_error"][:300])
            w.stop()
            r = ExecResult(status="killed", elapsed_s=float(msg["elapsed"]), wall_s=float(msg["wall"]),
                           script_path=msg["script_path"], leftovers=msg["leftovers"],
                           detail="it left files the sandbox could not remove; its worker was replaced")
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
        r = ExecResult(status=status, stdout=clean_output(msg["stdout"]), stderr=clean_output(msg["stderr"]),
                       elapsed_s=float(msg["elapsed"]), wall_s=float(msg["wall"]), returncode=rc,
                       truncated=msg["truncated"], script_path=msg["script_path"], detail=detail,
                       leftovers=msg["leftovers"])
        r.feedback = self._render(r, prep)
        return r

    def _render(self, r: ExecResult, prep: Prepared) -> str:
        if self.rules.name == "default":
            return self.rules.render(r, self.cfg.timeout_s, self.cfg.max_feedback_chars, prep.script)
        return self.rules.render(r, self.cfg.timeout_s, self.cfg.max_feedback_chars)
