"""Kernel-enforced confinement of a snippet's process: Landlock, seccomp, no capabilities, no new privileges.

Imported by the zygote (as a top-level module: it runs as `python -I zygote.py`, its own directory first on
sys.path) and by the host (to probe what the kernel offers). Nothing here imports numina_exp.

The zygote builds one Landlock ruleset and one seccomp filter at start-up; every snippet's child enforces both
on itself right after the fork, before any of the snippet's code runs. Both are inherited by everything the
snippet starts and cannot be lifted. Neither needs privileges (no_new_privs is set first).

- Landlock (filesystem): read and execute only the interpreter, its libraries and a few system paths; write only
  the scratch dir (and /dev/null). No TCP bind/connect. Signals (kill, pidfd_send_signal, ...) and abstract unix
  sockets only within the snippet's own processes. ptrace-class access (/proc/<pid>/mem, /environ, /fd) only to
  the snippet's own processes: the zygote and the evaluator are outside its domain.
- seccomp: no sockets (socketpair stays: pipes between its own processes), no ptrace or process_vm_*, calls
  that take a pid (prlimit64, setpriority, sched_set*, ioprio_set) only on the caller itself, no chmod or
  xattr changes, no namespaces (unshare, setns, clone with CLONE_NEW*), no mounts, no io_uring, bpf, perf, keyrings, module or
  kexec calls, no SysV IPC or POSIX message queues, no TIOCSTI. Each fails with EPERM, so Python raises PermissionError and the snippet can go on.
"""
import ctypes
import errno
import os

PR_SET_NO_NEW_PRIVS = 38
PR_CAPBSET_DROP = 24
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
PR_SET_DUMPABLE = 4
PR_SET_PDEATHSIG = 1

# Calls a snippet never needs and that reach outside it. EPERM, not a kill: the snippet gets PermissionError.
DENIED_SYSCALLS = (
    "socket", "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "pidfd_getfd", "kcmp",
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
    "fsmount", "fsconfig", "fspick", "mount_setattr", "bpf", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "keyctl", "add_key", "request_key",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon",
    "swapoff", "acct", "quotactl", "open_by_handle_at", "name_to_handle_at", "syslog", "iopl", "ioperm",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname",
    "move_pages", "migrate_pages", "lookup_dcookie", "vhangup",
    # SysV IPC and POSIX message queues live in the IPC namespace, which the `process` level shares with the host
    "shmget", "shmat", "shmctl", "shmdt", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semctl",
    "semtimedop", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
    "process_mrelease", "quotactl_fd", "get_robust_list",
    # Mode and xattr changes are not Landlock-controlled: a uid-0 snippet without capabilities still owns root's
    # files, so at the `process` level it could chmod the host's files (an interpreter made unexecutable), and at
    # both levels make its own directories unremovable by the zygote (the per-snippet wipe; wipe.py restores
    # modes anyway). Snippets create files with the modes they need (open/mkdir take a mode).
    "chmod", "fchmod", "fchmodat", "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr",
    "fremovexattr",
)
# Calls newer than libseccomp 2.5's table, by x86_64 number: fchmodat2 (6.6), setxattrat, removexattrat (6.13).
DENIED_SYSCALL_NUMBERS_X86_64 = (452, 463, 466)
# Calls that act on another process named by a pid argument and that neither Landlock (ABI <= 7 scopes signals
# and ptrace-class access only) nor a file permission confines: allowed only on the caller itself (pid 0). A
# snippet changes its own limits, priority and affinity; never its zygote's, its evaluator's or any other
# process's. {name: (index of the pid argument, (index, unsigned value above which it is refused) or None)}:
# setpriority/ioprio_set also take a `which`: PRIO_USER / IOPRIO_WHO_USER with who=0 means every process of
# the caller's uid, so only PRIO_PROCESS/PRIO_PGRP (0, 1) and IOPRIO_WHO_PROCESS/PGRP (1, 2) pass (the
# snippet's process group is its own: its first process calls setsid).
SELF_ONLY_SYSCALLS = {
    "prlimit64": (0, None), "sched_setaffinity": (0, None), "sched_setscheduler": (0, None),
    "sched_setparam": (0, None), "sched_setattr": (0, None),
    "setpriority": (1, (0, 1)), "ioprio_set": (1, (0, 2)),
}
CLONE_NEW_FLAGS = (0x00020000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000, 0x02000000,
                   0x00000080)  # NEWNS UTS IPC USER PID NET CGROUP TIME
TIOCSTI = 0x5412


_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded once in the zygote: a child only calls into it (each Python
_PRCTL = _LIBC.prctl                       # object a child builds costs copy-on-write page faults after the fork)
_PRCTL.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]


def _libc():
    return _LIBC


def prctl(option: int, arg: int = 0) -> None:
    if _PRCTL(option, arg, 0, 0, 0) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"prctl({option}): {os.strerror(e)}")


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is missing or disabled."""
    try:
        import landlockpy
    except ImportError:
        return 0
    try:
        return landlockpy.abi_version()
    except OSError:
        return 0


def seccomp_available() -> str | None:
    """None when seccomp filters can be built here, else why not."""
    try:
        import pyseccomp  # noqa: F401  (binds libseccomp through ctypes)
    except (ImportError, OSError) as e:
        return f"pyseccomp/libseccomp unavailable ({e}); pip install pyseccomp, apt-get install libseccomp2"
    return None


def drop_privileges() -> None:
    """no_new_privs, and no capabilities at all (matters when the evaluator runs as root): empty bounding and
    ambient sets, then empty effective/permitted/inheritable sets. A uid-0 process without capabilities is still
    the owner of root's files; Landlock, not file modes, decides what it may touch."""
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    try:
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    except OSError:
        pass
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            last = int(f.read())
    except (OSError, ValueError):
        last = 40
    for cap in range(last + 1):
        try:
            prctl(PR_CAPBSET_DROP, cap)
        except OSError:  # EPERM without CAP_SETPCAP: then we have nothing to drop either
            break

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    hdr = Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (Data * 2)()
    libc = _libc()
    if libc.capset(ctypes.byref(hdr), data) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"capset: {os.strerror(e)}")


def compile_seccomp() -> bytes:
    """The seccomp filter as BPF bytes, built once by libseccomp; `load_bpf` installs it in each child (a
    prctl: cheaper than letting libseccomp compile it again after every fork)."""
    f = build_seccomp()
    fd = os.memfd_create("seccomp-bpf")
    try:
        with os.fdopen(os.dup(fd), "wb") as out:
            f.export_bpf(out)
        return os.pread(fd, 1 << 20, 0)
    finally:
        os.close(fd)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class SeccompProgram:
    """Compiled BPF, laid out once in the zygote; `load()` in a child is one prctl (no_new_privs already set)."""

    def __init__(self, bpf: bytes):
        self.buf = ctypes.create_string_buffer(bpf, len(bpf))
        self.prog = _SockFprog(len(bpf) // 8, ctypes.addressof(self.buf))
        self.ref = ctypes.addressof(self.prog)

    def load(self) -> None:
        if _PRCTL(22, 2, self.ref, 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
            e = ctypes.get_errno()
            raise OSError(e, f"seccomp: {os.strerror(e)}")


def load_bpf(bpf: bytes) -> None:
    SeccompProgram(bpf).load()


def build_seccomp():
    """The seccomp filter (a pyseccomp.SyscallFilter)."""
    import pyseccomp as sc
    f = sc.SyscallFilter(sc.ALLOW)
    eperm = sc.ERRNO(errno.EPERM)
    for name in DENIED_SYSCALLS:
        try:
            f.add_rule(eperm, name)
        except (OSError, ValueError, RuntimeError):  # a call this kernel/arch does not have
            pass
    if os.uname().machine == "x86_64":
        for nr in DENIED_SYSCALL_NUMBERS_X86_64:
            f.add_rule(eperm, nr)
    for name, (pid_arg, which) in SELF_ONLY_SYSCALLS.items():
        f.add_rule(eperm, name, sc.Arg(pid_arg, sc.NE, 0))  # 64-bit compare: a pid with high bits set is refused
        if which is not None:
            f.add_rule(eperm, name, sc.Arg(which[0], sc.GT, which[1]))
    for flag in CLONE_NEW_FLAGS:  # clone with any CLONE_NEW* flag; plain fork/thread clones stay
        f.add_rule(eperm, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory, where seccomp cannot look: ENOSYS makes glibc fall back to clone
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    f.add_rule(eperm, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, TIOCSTI))
    return f


class LandlockDomain:
    """A built ruleset, kept open in the zygote; `enter()` in a child is one landlock_restrict_self syscall
    (landlockpy's `restrict` does the same after flag bookkeeping whose Python objects cost page faults there)."""

    def __init__(self, ruleset):
        self.ruleset = ruleset  # keeps the fd open
        self.fd = ruleset.fileno()
        self.syscall = _LIBC.syscall

    def enter(self) -> None:
        if self.syscall(446, self.fd, 0) != 0:  # landlock_restrict_self; no_new_privs is already set
            e = ctypes.get_errno()
            raise OSError(e, f"landlock_restrict_self: {os.strerror(e)}")


def build_landlock(read_paths, write_paths, device_paths, hidden=()):
    """A Landlock ruleset (landlockpy.Ruleset, not yet enforced): `read_paths` readable and executable except what
    lies in `hidden` (see `read_rules`), `write_paths` fully writable, `device_paths` (/dev/null, /dev/urandom ...)
    read+write; everything else denied. Signals and abstract unix sockets scoped to the domain (ABI >= 6); TCP
    denied (ABI >= 4)."""
    from landlockpy import AccessFS, AccessNet, Ruleset, Scope
    rs = Ruleset(handled_net=AccessNet.BIND_TCP | AccessNet.CONNECT_TCP | AccessNet.BIND_UDP
                 | AccessNet.CONNECT_SEND_UDP, scoped=Scope.ABSTRACT_UNIX_SOCKET | Scope.SIGNAL)
    read = AccessFS.EXECUTE | AccessFS.READ_FILE | AccessFS.READ_DIR
    every = ~AccessFS(0) & rs.handled_fs
    for p, listing_only in read_rules(read_paths, hidden):
        if listing_only:
            rs.allow_path(p, AccessFS.READ_DIR)
        elif os.path.exists(p):
            rs.allow_path(p, read if os.path.isdir(p) else AccessFS.EXECUTE | AccessFS.READ_FILE)
    for p in device_paths:
        if os.path.exists(p):
            rs.allow_path(p, AccessFS.READ_FILE | AccessFS.WRITE_FILE | AccessFS.TRUNCATE)
    for p in write_paths:
        if os.path.isdir(p):
            rs.allow_path(p, every)
    return rs


def read_rules(read_paths, hidden) -> list:
    """[(path, listing_only)]: Landlock rules grant a whole hierarchy and cannot take part of it back, so a read
    root that holds a hidden path is granted piece by piece: listing (names only) for it, full read for each of
    its entries that holds nothing hidden, the same split again for an entry that does, nothing for a hidden
    one. A path of `read_paths` that lies inside a hidden one (the zygote's own directory) is granted as given."""
    hidden = [os.path.realpath(h) for h in hidden]
    out, seen = [], set()
    todo = [os.path.realpath(p) if os.path.isdir(p) else p for p in read_paths]
    while todo:
        p = todo.pop()
        if p in hidden or p in seen:
            continue
        seen.add(p)
        inner = [h for h in hidden if h.startswith(p.rstrip("/") + "/")]
        if not inner or not os.path.isdir(p):
            out.append((p, False))
            continue
        out.append((p, True))
        try:
            # resolved: a rule follows a symlink (a venv's lib64 -> lib), so a link is judged by its target
            todo += [os.path.realpath(os.path.join(p, name)) for name in os.listdir(p)]
        except OSError:
            pass
    return out
