"""A real one-node Slurm for the tests: munged, slurmctld and slurmd started from a private directory
(own slurm.conf, own munge key and socket, own free ports, own state and logs), stopped by PID.

Nothing system-wide is touched: the daemons never read /etc/slurm or /etc/munge, and client commands
(sbatch, squeue, scancel, sinfo, submitit) find this cluster through $SLURM_CONF. Needs root (slurmd
runs jobs as their submitter; munged is started as the `munge` user) and the Debian packages
`slurmctld slurmd slurm-client munge` (`make install` adds them where it can)."""
from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REQUIRED = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scancel")
INSTALL_HINT = ("run `make install` as root on Debian/Ubuntu, or `apt-get install -y --no-install-recommends "
                "slurmctld slurmd slurm-client munge`")


class SlurmUnavailable(RuntimeError):
    """Why this machine cannot host the test cluster (the test fails with this text)."""


def why_unavailable() -> str | None:
    missing = [b for b in REQUIRED if shutil.which(b) is None and not Path("/usr/sbin", b).exists()]
    if missing:
        return f"Slurm is not installed ({', '.join(missing)} not found): {INSTALL_HINT}"
    if os.geteuid() != 0:
        return "the test cluster needs root (slurmd starts jobs as their user; munged runs as `munge`)"
    try:
        pwd.getpwnam("munge")
    except KeyError:
        return f"no `munge` user (the munge package creates it): {INSTALL_HINT}"
    return None


def _exe(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin") / name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _node_line() -> tuple[str, str]:
    """(node name, `NodeName=... CPUs=... RealMemory=...`) as `slurmd -C` reports this machine."""
    out = subprocess.run([_exe("slurmd"), "-C"], capture_output=True, text=True, timeout=30).stdout
    line = next((x for x in out.splitlines() if x.startswith("NodeName=")), None)
    if line is None:
        raise SlurmUnavailable(f"`slurmd -C` printed no NodeName line: {out!r}")
    name = re.match(r"NodeName=(\S+)", line).group(1)
    return name, line


class SlurmCluster:
    """Start with `start()`, stop with `stop()` (by PID). `env` is what a client needs (SLURM_CONF)."""

    partition = "cpu"  # what hydra/launcher=slurm_cpu asks for

    def __init__(self, root: Path | None = None):
        self.root = Path(root or tempfile.mkdtemp(prefix="numina-slurm-"))
        os.chmod(self.root, 0o755)  # munged (user munge) must reach its own sub-directory
        self.conf = self.root / "slurm.conf"
        self.procs: dict[str, subprocess.Popen] = {}
        self.env = {"SLURM_CONF": str(self.conf)}

    # --- files ----------------------------------------------------------------------------------------
    def _munge_files(self) -> Path:
        mdir = self.root / "munge"
        mdir.mkdir(exist_ok=True)
        key = mdir / "munge.key"
        key.write_bytes(os.urandom(1024))
        munge = pwd.getpwnam("munge")
        for p in (mdir, key):
            os.chown(p, munge.pw_uid, munge.pw_gid)
        os.chmod(key, 0o400)
        os.chmod(mdir, 0o755)  # munged: clients (any user) must reach the socket; the key stays 0400
        return mdir

    def write_conf(self) -> None:
        node, node_line = _node_line()
        self.node = node
        for d in ("state", "spool", "log"):
            (self.root / d).mkdir(exist_ok=True)
        r = self.root
        self.conf.write_text("\n".join([
            "# one-node test cluster written by tests/slurm/cluster.py",
            "ClusterName=numinatest",
            f"SlurmctldHost={node}(127.0.0.1)",
            f"SlurmctldPort={_free_port()}",
            f"SlurmdPort={_free_port()}",
            "SlurmUser=root",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={r / 'munge' / 'munge.socket'}",
            f"StateSaveLocation={r / 'state'}",
            f"SlurmdSpoolDir={r / 'spool'}",
            f"SlurmctldPidFile={r / 'slurmctld.pid'}",
            f"SlurmdPidFile={r / 'slurmd.pid'}",
            f"SlurmctldLogFile={r / 'log' / 'slurmctld.log'}",
            f"SlurmdLogFile={r / 'log' / 'slurmd.log'}",
            "ProctrackType=proctrack/linuxproc",  # no cgroups needed
            "TaskPlugin=task/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core",
            "SchedulerType=sched/backfill",
            "AccountingStorageType=accounting_storage/none",  # submitit then says "Bypassing sacct error": harmless
            "JobAcctGatherType=jobacct_gather/none",
            "JobCompType=jobcomp/none",
            "MpiDefault=none",
            "ReturnToService=2",
            "KillWait=5",
            f"{node_line} NodeAddr=127.0.0.1 State=UNKNOWN",
            f"PartitionName={self.partition} Nodes={node} Default=YES MaxTime=INFINITE State=UP",
            "",
        ]))

    # --- daemons --------------------------------------------------------------------------------------
    def _spawn(self, name: str, cmd: list[str], **kw) -> None:
        with open(self.root / "log" / f"{name}.out", "wb") as log:
            self.procs[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                                env={**os.environ, **self.env}, start_new_session=True, **kw)

    def _logs(self) -> str:
        out = []
        for p in sorted((self.root / "log").glob("*")) + sorted((self.root / "munge").glob("*.log")):
            try:
                out.append(f"--- {p.name}\n" + p.read_text(errors="replace")[-1500:])
            except OSError:
                pass
        return "\n".join(out)

    def _check_alive(self, what: str) -> None:
        dead = {n: p.returncode for n, p in self.procs.items() if p.poll() is not None}
        if dead:
            raise SlurmUnavailable(f"{what}: {dead} exited\n{self._logs()}")

    def start(self, timeout: float = 60) -> "SlurmCluster":
        reason = why_unavailable()
        if reason:
            raise SlurmUnavailable(reason)
        mdir = self._munge_files()
        self.write_conf()
        socket_path = mdir / "munge.socket"
        self._spawn("munged", [_exe("munged"), "--foreground", f"--socket={socket_path}",
                               f"--key-file={mdir / 'munge.key'}", f"--pid-file={mdir / 'munged.pid'}",
                               f"--log-file={mdir / 'munged.log'}", f"--seed-file={mdir / 'munged.seed'}"],
                    user="munge", group="munge", extra_groups=[])
        deadline = time.time() + timeout
        while not socket_path.exists():
            self._check_alive("munged did not start")
            if time.time() > deadline:
                raise SlurmUnavailable(f"munged created no socket in {timeout}s\n{self._logs()}")
            time.sleep(0.05)
        self._spawn("slurmctld", [_exe("slurmctld"), "-D", "-i", "-f", str(self.conf)])
        self._spawn("slurmd", [_exe("slurmd"), "-D", "-f", str(self.conf)])
        while True:
            self._check_alive("a Slurm daemon died at start")
            state = self.run("sinfo", "-h", "-o", "%T", check=False).stdout.strip()
            if state == "idle":
                return self
            if time.time() > deadline:
                raise SlurmUnavailable(f"node not idle after {timeout}s (sinfo: {state!r})\n{self._logs()}")
            time.sleep(0.2)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(list(args), env={**os.environ, **self.env}, capture_output=True, text=True, timeout=60,
                              check=check)

    def stop(self) -> None:
        """scancel what is left, then SIGTERM each daemon by PID (slurmd, slurmctld, munged), SIGKILL after 10 s."""
        if self.procs.get("slurmctld") and self.procs["slurmctld"].poll() is None:
            self.run("scancel", "--user", "root", check=False)
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self.procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self.procs.clear()
