"""The warm parent ("zygote") of one sandbox worker; runs *inside* the sandbox, stdlib-only.

Started as `python -I -B zygote.py '<json settings>'` (inside bwrap, or directly in `process` mode). It imports
math, numpy and sympy once, then serves JSON-line requests on stdin: for each snippet it writes the script to a
fresh scratch dir, forks one child that runs it as `__main__` with fd-level stdout/stderr pipes and rlimits,
supervises it (timeout on the snippet's own time, capped output), then kills every leftover process and wipes the scratch
space, so the next snippet starts from the same pristine state. The zygote itself never runs user code.

Protocol (protocol.py: authenticated lines; the key arrives as the first 32 bytes on stdin): requests on stdin,
replies on the protocol fd (the original stdout): {"event": "ready"} once, then per request {"id", "event":
"started", "pid"} and {"id", "event": "done", "returncode", "timed_out", "stdout", "stderr", "truncated",
"elapsed", "wall", "leftovers"}. A request that fails authentication ends the zygote (exit 3, no reply).

Reaching the zygote from a snippet: it is non-dumpable (PR_SET_DUMPABLE 0: its /proc/<pid>/mem, /fd, /environ
and ptrace need CAP_SYS_PTRACE, which nothing in here has), holds no capabilities and has no_new_privs; each
child closes every inherited descriptor and confines itself (confine.py: Landlock puts the zygote outside the
child's domain for ptrace, /proc and signals; seccomp refuses ptrace and process_vm_*) before the snippet runs.

The timeout counts the snippet's *own* time, not the machine's load: wall time since the fork minus the time its
process sat runnable waiting for a CPU that something else had (/proc/<pid>/schedstat), plus the CPU time of any
other process the snippet started (a fork bomb is charged for its forks). Sleeping and blocking count; a busy host
does not. A hard wall limit (`wall_limit` in the request) still ends a snippet that is starved for too long.
"""
import ast
import atexit
import builtins
import gc
import io
import json
import mmap
import os
import resource
import select
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves our own directory off sys.path
import confine  # noqa: E402
import protocol  # noqa: E402
import wipe  # noqa: E402

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
MADV_WIPEONFORK = 18
MAX_REQUEST_BYTES = 64 << 20
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
SPAWN_EVENTS = {"os.fork", "os.forkpty"}
EXEC_EVENTS = {"os.exec", "os.posix_spawn", "os.spawn", "os.system", "subprocess.Popen", "pty.spawn", "os.startfile"}
PATH_WRITE_EVENTS = {  # event -> indices of path arguments that get modified
    "os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.rename": (0, 1), "os.chmod": (0,),
    "os.chown": (0,), "os.link": (1,), "os.symlink": (1,), "os.truncate": (0,), "os.utime": (0,),
    "os.mkfifo": (0,), "os.mknod": (0,), "os.setxattr": (0,), "os.removexattr": (0,), "shutil.rmtree": (0,),
}
NET_EVENTS = {"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"}


def _prctl(option: int, arg: int) -> None:
    confine.prctl(option, int(arg))  # raises: a protection we could not set up must not be assumed


def _children() -> list[int]:
    """Direct children of this (single-threaded, subreaper) process, zombies included."""
    pids = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/children") as f:
                pids += [int(p) for p in f.read().split()]
        except FileNotFoundError:  # kernel without CONFIG_PROC_CHILDREN: scan every process's parent
            return _children_by_scan()
        except OSError:
            pass
    return pids


def _children_by_scan() -> list[int]:
    me, pids = os.getpid(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == me:
                        pids.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return pids


def _in_own_pid_namespace() -> bool:
    """True only inside bwrap's PID namespace (we are pid 2 under bwrap's init): kill(-1) is then safe."""
    try:
        with open("/proc/1/comm") as f:
            return os.getpid() <= 3 and f.read().strip() == "bwrap"
    except OSError:
        return False


CLK_TCK = os.sysconf("SC_CLK_TCK")


def _run_delay(pid: int) -> float | None:
    """Seconds this task has spent runnable but waiting for a CPU; None when the kernel does not say."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def _cpu(proc: str, reaped: bool = False) -> float:
    """CPU seconds of /proc/<pid> (all its threads; with `reaped`, plus its reaped children's) or of
    /proc/<pid>/task/<tid> (that thread)."""
    try:
        with open(f"{proc}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if reaped else 0)
        return ticks / CLK_TCK
    except (OSError, ValueError, IndexError):
        return 0.0


def _group_cpu(fd: int) -> float | None:
    """CPU seconds of every task that ever ran in the worker's cgroup (cpuacct.usage, ns); None if unreadable."""
    try:
        return int(os.pread(fd, 64, 0)) / 1e9
    except (OSError, ValueError):
        return None


def _thread_cpu(pid: int) -> float:
    """CPU seconds of the thread `pid` (ns precision, from schedstat); tick-based stat when that is missing."""
    try:
        with open(f"/proc/{pid}/task/{pid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return _cpu(f"/proc/{pid}/task/{pid}")


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tids = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    kids = [int(k) for k in f.read().split()]
            except OSError:
                continue
            out += kids
            todo += kids
    return out


class Zygote:
    def __init__(self, settings: dict, key: memoryview, landlock=None, seccomp=None):
        self.s = settings
        self.key = key  # a MADV_WIPEONFORK page: zeros in every child
        self.landlock, self.seccomp = landlock, seccomp
        self.seq_in = self.seq_out = 0
        self.inbuf = b""
        self.root = settings["scratch_root"]
        self.wipe = settings["wipe_dirs"]  # emptied after every snippet: everything a snippet can write to
        self.keep = tuple(settings.get("wipe_keep", []))
        self.modes = {d: os.stat(d).st_mode & 0o7777 for d in self.wipe}  # restored: a snippet may chmod them
        self.nsinit = settings["mode"] == "bwrap" and _in_own_pid_namespace()
        self.counter = mmap.mmap(-1, 8)  # fork budget shared by the whole lineage of one snippet
        self.cpu_fd = settings.get("cpuacct_fd")  # the worker cgroup's cpuacct.usage, passed by the host
        if self.cpu_fd is not None and _group_cpu(self.cpu_fd) is None:
            self.cpu_fd = None
        self.cpu0 = self.mine0 = 0.0
        self.n = 0
        self.proto = os.fdopen(os.dup(1), "wb")
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 1)  # stray prints (ours or a library's) cannot corrupt the protocol
        os.close(devnull)
        sys.stdout = open(1, "w", closefd=False)

    def send(self, msg: dict) -> None:
        self.proto.write(protocol.encode(self.key, protocol.TO_HOST, self.seq_out, msg))
        self.proto.flush()
        self.seq_out += 1

    def _read_line(self) -> bytes | None:
        while b"\n" not in self.inbuf:
            if len(self.inbuf) > MAX_REQUEST_BYTES:
                raise protocol.ProtocolError("request too long")
            data = os.read(0, 1 << 20)
            if not data:
                return None
            self.inbuf += data
        line, self.inbuf = self.inbuf.split(b"\n", 1)
        return line

    def serve(self) -> None:
        self.send({"event": "ready", "pid": os.getpid(), "nsinit": self.nsinit})
        while True:
            try:
                line = self._read_line()
                if line is None:
                    return
                req = protocol.check_fields(protocol.decode(self.key, protocol.TO_ZYGOTE, self.seq_in, line),
                                            protocol.REQUEST_FIELDS)
            except protocol.ProtocolError as e:  # someone other than the host wrote on our stdin
                sys.stderr.write(f"zygote: protocol violation on stdin ({e}); exiting\n")
                os._exit(3)
            self.seq_in += 1
            self.send(self.run(req))

    # ---------------------------------------------------------------- one snippet
    def _scratch(self, script: str) -> tuple[str, str]:
        """A fresh scratch dir with the script in it. Its name is random and it is created exclusively: a snippet
        cannot pre-create or predict the next one's (and the wipe leaves nothing in the scratch root anyway)."""
        for _ in range(8):
            scratch = os.path.join(self.root, f"run-{os.urandom(12).hex()}")
            try:
                os.mkdir(scratch, 0o700)
                break
            except FileExistsError:
                continue
        else:
            raise OSError("no fresh scratch dir name in 8 tries")
        path = os.path.join(scratch, "tmp.py")
        with open(path, "x", encoding="utf-8", errors="replace") as f:  # the host already replaced lone surrogates
            f.write(script)
        return scratch, path

    def run(self, req: dict) -> dict:
        self.n += 1
        try:
            scratch, path = self._scratch(req["script"])
        except OSError as e:  # the snippet never ran: the host replaces this worker and runs it on a fresh one
            return {"id": req["id"], "event": "unavailable", "why": f"scratch dir: {e}"}
        r_out, w_out = os.pipe()
        r_err, w_err = os.pipe()
        self.counter.seek(0)
        self.counter.write(b"\0" * 8)
        sys.stderr.flush()
        if self.cpu_fd is not None:  # the group's CPU and ours at the fork: the difference later is the snippet's
            self.cpu0, self.mine0 = _group_cpu(self.cpu_fd), time.process_time()
        t0 = time.monotonic()
        pid = os.fork()
        if pid == 0:  # never returns
            _child(req, path, scratch, w_out, w_err, self.s, self.counter, self.landlock, self.seccomp)
        os.close(w_out)
        os.close(w_err)
        self.send({"id": req["id"], "event": "started", "pid": pid})
        timeout = float(req["timeout"])
        wall_limit = max(float(req.get("wall_limit") or 0.0), timeout)
        cap = int(self.s["max_output_bytes"])
        out, bufs = self._supervise(pid, r_out, r_err, timeout, wall_limit, cap, t0)
        out["leftovers"] = self._kill_leftovers(pid, out.pop("left"))
        # Every process of the snippet is gone now, so the pipes reach EOF: whatever it wrote before it ended
        # (or before the kill) is in them. Reading it all here is what makes the result complete: a child that
        # exited at the deadline, between our decision and the kill, is `ok` with all of its output.
        out["truncated"] |= _drain(bufs, cap)
        out["stdout"] = bytes(bufs[r_out]).decode("utf-8", "replace")
        out["stderr"] = bytes(bufs[r_err]).decode("utf-8", "replace")
        for fd in bufs:
            os.close(fd)
        out.update(id=req["id"], event="done", script_path=path, wipe_error=self._wipe())
        return out

    def _own_time(self, pid: int, wall: float) -> tuple[float, int]:
        """(the snippet's own time so far, how many other processes it has): see the module docstring. `pid` is
        alive or an unreaped zombie. Every other process under the zygote belongs to this snippet (subreaper)."""
        delay = _run_delay(pid)
        own = wall - min(delay, wall) if delay is not None else wall
        others = [p for p in _descendants(os.getpid()) if p != pid]
        # CPU time of everything else the snippet runs: its other threads, its processes, live or reaped by anyone
        group = _group_cpu(self.cpu_fd) if self.cpu_fd is not None else None
        if group is not None:  # the cgroup counted every task: less ours and the first thread's
            own += max(group - self.cpu0 - (time.process_time() - self.mine0) - _thread_cpu(pid), 0.0)
            return own, max(len(others), os.cpu_count() or 1)
        # no cgroup: each process with the children it reaped (a process the kernel reaped, SIGCHLD ignored, is
        # lost here; RLIMIT_CPU still bounds each one)
        own += max(_cpu(f"/proc/{pid}", reaped=True) - _cpu(f"/proc/{pid}/task/{pid}"), 0.0)
        own += sum(_cpu(f"/proc/{p}", reaped=True) for p in others)
        return own, len(others)

    def _supervise(self, pid, r_out, r_err, timeout, wall_limit, cap, t0) -> dict:
        hard_deadline = t0 + wall_limit
        bufs = {r_out: bytearray(), r_err: bytearray()}
        open_fds = [r_out, r_err]
        try:  # readable when the child exits: no polling
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = None
        truncated = timed_out = False
        status = None
        own = 0.0
        check_at = t0 + timeout  # own time <= wall time (plus other processes' CPU: checked sooner then)
        while True:
            if status is None:
                now = time.monotonic()
                exited = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
                if exited or now >= check_at or now >= hard_deadline:
                    own, others = self._own_time(pid, now - t0)  # before reaping: the zombie still has its stats
                    if exited:
                        _, status = os.waitpid(pid, 0)
                    elif own >= timeout or now >= hard_deadline:
                        timed_out = True
                        break
                    else:  # the own-time clock runs at most 1 + (CPUs its other processes can use) x the wall
                        rate = 1 + min(others, os.cpu_count() or 1)
                        check_at = now + max((timeout - own) / rate, 0.002)
            if status is not None and not open_fds:
                break
            now = time.monotonic()
            if now >= hard_deadline:
                if status is None:
                    continue  # -> timed out, above
                break  # the child has exited but a grandchild keeps its pipes busy
            # once the child has exited, only drain what is already there (a grandchild may hold the pipe)
            wait = 0.0 if status is not None else min(check_at - now, hard_deadline - now,
                                                      0.05 if pidfd is None else 1.0)
            wait = max(wait, 0.0)
            watch = open_fds + ([pidfd] if pidfd is not None and status is None else [])
            if not open_fds and pidfd is None:
                time.sleep(min(wait, 0.002))
                continue
            ready, _, _ = select.select(watch, [], [], wait)
            if not ready and status is not None:
                break
            for fd in ready:
                if fd != pidfd:
                    truncated |= _read_some(fd, bufs, cap, open_fds)
        wall = time.monotonic() - t0
        left = _live_descendants(pid)  # before any kill: what the snippet left running
        if status is None:
            _kill_group(pid)
            _, status = os.waitpid(pid, 0)
            timed_out = not os.WIFEXITED(status)  # it exited on its own just before the kill: say how
        if pidfd is not None:
            os.close(pidfd)
        rc = os.waitstatus_to_exitcode(status)
        out = {"returncode": rc, "timed_out": timed_out, "truncated": truncated, "elapsed": own, "wall": wall,
               "left": left}
        return out, {fd: bufs[fd] for fd in (r_out, r_err)}

    def _kill_leftovers(self, pid: int, left: set) -> int:
        """Kill every process the snippet left (grandchildren, setsid escapes: we are their subreaper). Returns how
        many processes that was: `left` (alive when the snippet ended) and any it started after that count."""
        killed = set(left)
        _kill_group(pid)
        if self.nsinit:
            try:
                os.kill(-1, signal.SIGKILL)  # everything in our PID namespace except bwrap's init and us
            except OSError:
                pass
        give_up = time.monotonic() + 5.0
        while True:
            kids = _children()
            if not kids:
                return len(killed)
            for k in kids:
                if _alive(k):
                    killed.add(k)
                try:
                    pg = os.getpgid(k)
                    if pg != os.getpgrp():
                        os.killpg(pg, signal.SIGKILL)
                    os.kill(k, signal.SIGKILL)
                except OSError:
                    pass
            while True:
                try:
                    got, _ = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if not got:
                    break
            if time.monotonic() > give_up:
                sys.stderr.write("zygote: could not reap the snippet's processes; exiting\n")
                os._exit(70)
            time.sleep(0.001)

    def _wipe(self) -> str:
        """Empty everything the snippet could write (bwrap: the private /tmp and /dev/shm; process: the scratch
        root), modes restored. "" when clean, else what is left: the host then replaces this worker."""
        problems = []
        for d in self.wipe:
            problems += wipe.empty_dir(d, self.keep, self.modes[d])
        return "; ".join(problems)[:2000]


def _drain(bufs: dict, cap: int, limit_s: float = 2.0) -> bool:
    """Read each pipe to EOF (its writers are dead), keeping at most `cap` bytes per stream. True if any was
    cut. Bounded in time in case a writer survived somehow."""
    truncated = False
    open_fds = list(bufs)
    end = time.monotonic() + limit_s
    while open_fds:
        left = end - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select(open_fds, [], [], left)
        for fd in ready:
            truncated |= _read_some(fd, bufs, cap, open_fds)
    return truncated


def _read_some(fd: int, bufs: dict, cap: int, open_fds: list) -> bool:
    """One read from a ready pipe into bufs[fd], keeping at most `cap` bytes (True if some were cut); at
    EOF the fd leaves `open_fds`."""
    data = os.read(fd, 1 << 16)
    if not data:
        open_fds.remove(fd)
        return False
    room = cap - len(bufs[fd])
    if len(data) > room:
        bufs[fd] += data[:max(room, 0)]
        return True
    bufs[fd] += data
    return False


def _alive(pid: int) -> bool:
    """A live process (not a zombie: one that exited on its own is not a leftover)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def _live_descendants(pid: int) -> set:
    """Live processes under the zygote other than `pid`: all belong to the running snippet (we are a subreaper)."""
    return {p for p in _descendants(os.getpid()) if p != pid and _alive(p)}


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


# -------------------------------------------------------------------- the child
def _exit_code(e: SystemExit) -> int:
    code = e.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        sys.stderr.write(f"{code}\n")
    except Exception:
        pass
    return 1


def _display(value) -> None:
    """REPL-style echo of a trailing bare expression (default rules)."""
    if value is not None:
        print(repr(value))


def _echo_last_expression(tree: ast.Module) -> ast.Module:
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body[-1]
        call = ast.Call(func=ast.Name("__numina_display__", ast.Load()), args=[last.value], keywords=[])
        tree.body[-1] = ast.copy_location(ast.Expr(call), last)
        ast.fix_missing_locations(tree)
    return tree


def _guard(scratch: str, settings: dict, counter: mmap.mmap):
    """Audit hook: a fork budget for the snippet's whole lineage; in `process` mode (no kernel sandbox) also
    refuses writes outside the scratch dir, exec of other programs, network, signals to foreign processes and
    peeking into other processes' /proc. Best effort: ctypes can call libc directly."""
    budget = int(settings["max_processes"])
    strict = bool(settings["strict"])
    prefix = scratch + os.sep

    def allowed_path(p) -> bool:
        if isinstance(p, int):
            return True
        p = os.path.realpath(os.fsdecode(p))
        return p.startswith(prefix) or p == os.devnull

    def hook(event, args):
        if event in SPAWN_EVENTS or (event in EXEC_EVENTS and not strict):
            if event in SPAWN_EVENTS:
                n = int.from_bytes(counter[:8], "little") + 1
                counter[:8] = n.to_bytes(8, "little")
                if n > budget:
                    raise PermissionError(f"sandbox: more than {budget} processes")
            return
        if not strict:
            return
        if event in EXEC_EVENTS:
            raise PermissionError(f"sandbox: {event} is not allowed")
        if event == "open":
            path, mode, flags = (list(args) + [None, None, None])[:3]
            if isinstance(path, int):
                return
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & WRITE_FLAGS)
            if writing and not allowed_path(path):
                raise PermissionError(f"sandbox: writing outside the scratch dir is not allowed: {path}")
            sp = os.fsdecode(path)
            if sp.startswith("/proc/"):
                part = sp.split("/")[2]
                if part.isdigit() and int(part) != os.getpid():
                    raise PermissionError("sandbox: other processes are not visible")
        elif event in PATH_WRITE_EVENTS:
            for i in PATH_WRITE_EVENTS[event]:
                if i < len(args) and not allowed_path(args[i]):
                    raise PermissionError(f"sandbox: modifying {args[i]!r} is not allowed")
        elif event in NET_EVENTS:
            raise PermissionError("sandbox: network access is not allowed")
        elif event in ("os.kill", "os.killpg"):
            target = args[0]
            if target in (0, os.getpid()):
                return
            try:
                same = event == "os.kill" and target > 0 and os.getsid(target) == os.getsid(0)
                same = same or (event == "os.killpg" and os.getsid(target) == os.getsid(0))
            except OSError:
                same = False
            if not same:
                raise PermissionError("sandbox: signalling processes outside the snippet is not allowed")

    sys.addaudithook(hook)


def _child(req, path, scratch, w_out, w_err, settings, counter, landlock, seccomp) -> None:
    code_rc = 121  # anything failing before the snippet's code runs (confinement included): it does not run
    try:
        os.setsid()
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the zygote gone (killed, restarted): so is this
        if os.getppid() != settings["zygote_pid"]:
            os._exit(code_rc)
        try:  # when a memory cgroup runs out, the kernel kills the snippet, not the zygote
            fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
            os.write(fd, b"1000")
            os.close(fd)
        except OSError:
            pass
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(w_out, 1)
        os.dup2(w_err, 2)
        os.chdir(scratch)
        for name, value in settings["rlimits"].items():
            lim = getattr(resource, name)
            try:
                resource.setrlimit(lim, (value, value))
            except (ValueError, OSError):
                pass
        if landlock is not None:
            landlock.enter()
        if seccomp is not None:
            seccomp.load()
        os.closerange(3, 65536)  # the protocol pipes, the ruleset: nothing of the zygote's stays open
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM):
            signal.signal(sig, signal.SIG_DFL)
        sys.stdin = sys.__stdin__ = open(0, "r", encoding="utf-8", closefd=False)
        # line-buffered (a script's piped stdout is block-buffered): what was printed before a timeout or a
        # kill still comes back
        sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", closefd=False, buffering=1)
        sys.stderr = sys.__stderr__ = io.TextIOWrapper(open(2, "wb", closefd=False), encoding="utf-8",
                                                       errors="backslashreplace", line_buffering=True)
        os.environ["TMPDIR"] = scratch
        sys.argv[:] = [path]
        sys.path[0] = scratch
        atexit._clear()
        g = {"__name__": "__main__", "__file__": path, "__builtins__": builtins, "__doc__": None,
             "__package__": None, "__spec__": None, "__loader__": None, "__cached__": None}
        if req.get("preload"):
            g.update(math=sys.modules["math"], np=sys.modules["numpy"], sp=sys.modules["sympy"])
        if req.get("echo"):
            g["__numina_display__"] = _display
        src = req["script"]
        _guard(scratch, settings, counter)
        code_rc = 0
        try:
            if req.get("echo"):
                code = compile(_echo_last_expression(ast.parse(src, path)), path, "exec")
            else:
                code = compile(src, path, "exec")
            exec(code, g)
        except SystemExit as e:
            code_rc = _exit_code(e)
        except BaseException as e:  # print it the way the interpreter does for a script: our frames hidden
            tb = e.__traceback__
            while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
                tb = tb.tb_next
            e.__traceback__ = tb
            try:
                sys.excepthook(type(e), e, tb)
            except BaseException:
                pass
            code_rc = 1
        try:
            threading._shutdown()  # like the interpreter: wait for non-daemon threads
        except BaseException:
            pass
        try:
            atexit._run_exitfuncs()
        except BaseException:
            pass
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
    except BaseException:
        try:
            import traceback
            os.write(2, ("sandbox: the snippet's process could not be set up:\n"
                         + traceback.format_exc()).encode("utf-8", "replace"))
        except BaseException:
            pass
    finally:
        os._exit(code_rc)


def _warmup() -> None:
    """Run the usual sympy/numpy entry points once, so their lazy imports and one-off setup happen here and not
    in every child (sp.solve costs ~100 ms on a first call). The expression cache is cleared afterwards, so
    children start with what a fresh interpreter would have, minus the import time."""
    import numpy as np
    import sympy as sp
    x, y = sp.symbols("x y")
    work = [
        lambda: sp.solve(x**2 - 5 * x + 6, x), lambda: sp.solve([x + y - 3, x - y - 1], [x, y]),
        lambda: sp.simplify((x**2 - 1) / (x - 1)), lambda: sp.factor(x**3 - 1), lambda: sp.expand((x + 1)**5),
        lambda: sp.integrate(x**2, (x, 0, 1)), lambda: sp.diff(sp.sin(x), x), lambda: sp.limit(sp.sin(x) / x, x, 0),
        lambda: sp.factorint(2**61 - 1), lambda: sp.isprime(2**89 - 1), lambda: sp.nsimplify(0.5),
        lambda: sp.N(sp.pi, 20), lambda: sp.Matrix([[1, 2], [3, 4]]).det(), lambda: sp.series(sp.exp(x), x, 0, 3),
        lambda: sp.summation(x, (x, 1, 10)), lambda: sp.Poly(x**2 + 1, x).all_coeffs(), lambda: sp.sympify("1/3+x"),
        lambda: sp.divisors(360), lambda: sp.totient(100), lambda: sp.mod_inverse(3, 11), lambda: sp.nsolve(x**2 - 2, x, 1),
        lambda: np.linalg.solve(np.eye(2), np.ones(2)), lambda: np.roots([1, -3, 2]),
    ]
    for f in work:
        try:
            f()
        except Exception:
            pass
    sp.core.cache.clear_cache()


def _read_key() -> memoryview:
    """The protocol key: the first bytes on stdin, read straight into a page that forks see as zeros."""
    page = mmap.mmap(-1, mmap.PAGESIZE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    page.madvise(MADV_WIPEONFORK)
    view = memoryview(page)[:protocol.KEY_BYTES]
    got = 0
    while got < protocol.KEY_BYTES:
        n = os.readv(0, [view[got:]])
        if n <= 0:
            os._exit(3)
        got += n
    return view


def main() -> None:
    _prctl(PR_SET_DUMPABLE, 0)  # first: nothing of ours is readable or traceable by a same-uid process from here on
    settings = json.loads(sys.argv[1])
    key = _read_key()
    if settings.get("pdeathsig"):
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    os.makedirs(settings["scratch_root"], exist_ok=True)
    os.chdir(settings["scratch_root"])
    for mod in settings.get("preimport", ["math", "numpy", "sympy"]):
        __import__(mod)
    if settings.get("warmup", True):
        _warmup()
    # Drop what we do not need before any fork: capabilities (root in `process` mode), new privileges.
    confine.drop_privileges()
    landlock = seccomp = None
    if settings.get("landlock"):
        paths = settings["landlock"]
        landlock = confine.LandlockDomain(confine.build_landlock(paths["read"], paths["write"], paths["devices"],
                                                                 paths.get("hidden", ())))
    if settings.get("seccomp", True):
        seccomp = confine.SeccompProgram(confine.compile_seccomp())
    settings["zygote_pid"] = os.getpid()
    gc.collect()
    gc.freeze()  # keep the warm heap shared copy-on-write with the children
    Zygote(settings, key, landlock, seccomp).serve()


if __name__ == "__main__":
    main()
