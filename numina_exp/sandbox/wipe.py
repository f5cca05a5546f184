"""Removing what a snippet left on disk, whatever it did to it; stdlib only (the zygote imports it as a top-level
module, the host as numina_exp.sandbox.wipe).

A snippet controls the tree it leaves: modes that lock its owner out (a capability-less zygote is an ordinary
owner: it cannot enter or empty a 0500 or 0000 directory until it restores the mode), trees deeper than any
recursion limit (shutil.rmtree raised RecursionError near 1000 levels) or PATH_MAX (a snippet chdir()s as deep as
it likes), symlinks. So: no recursion (an explicit stack), no long paths (every call is relative to an open
directory fd, one level at a time, never following a symlink), modes restored by the owner before entering or
emptying a directory, and the way back up checked by inode. It runs after every process of the snippet is dead,
so nothing changes the tree meanwhile (a change is reported, never followed).
"""
import os
import stat

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class WipeError(Exception):
    """Something could not be removed: the caller treats its scratch space as dirty."""


def _enter(name: str, dir_fd: int) -> int:
    """An fd of the directory `name` (in `dir_fd`), with its owner's rwx restored so that it can be emptied."""
    try:
        fd = os.open(name, DIR_FLAGS, dir_fd=dir_fd)
    except PermissionError:  # no r or x for its owner: restore them (not a symlink: the caller lstat'ed it)
        os.chmod(name, 0o700, dir_fd=dir_fd)
        fd = os.open(name, DIR_FLAGS, dir_fd=dir_fd)
    if stat.S_IMODE(os.fstat(fd).st_mode) & 0o700 != 0o700:
        os.fchmod(fd, 0o700)
    return fd


def _clear_files(fd: int) -> list[str]:
    """Unlink every non-directory in the directory `fd`; return its subdirectories' names."""
    dirs = []
    with os.scandir(fd) as it:
        entries = list(it)
    for e in entries:
        if e.is_dir(follow_symlinks=False):
            dirs.append(e.name)
        else:
            os.unlink(e.name, dir_fd=fd)
    return dirs


def remove_tree(name: str, dir_fd: int) -> None:
    """Remove `name` (relative to the directory `dir_fd`) and everything under it. Raises OSError/WipeError."""
    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(name, dir_fd=dir_fd)
        return
    cur = _enter(name, dir_fd)
    names, ids = [name], [(st.st_dev, st.st_ino)]
    try:
        pending = [_clear_files(cur)]  # per level: the subdirectories still to remove
        while True:
            if pending[-1]:
                sub = pending[-1].pop()
                sst = os.stat(sub, dir_fd=cur, follow_symlinks=False)
                if not stat.S_ISDIR(sst.st_mode):
                    raise WipeError(f"{sub!r} changed type during the wipe")
                nxt = _enter(sub, cur)
                os.close(cur)
                cur = nxt
                names.append(sub)
                ids.append((sst.st_dev, sst.st_ino))
                pending.append(_clear_files(cur))
                continue
            done = names.pop()  # `cur` is empty now
            ids.pop()
            pending.pop()
            if not names:
                os.close(cur)
                cur = -1
                os.rmdir(done, dir_fd=dir_fd)
                return
            up = os.open("..", DIR_FLAGS, dir_fd=cur)
            ust = os.fstat(up)
            os.close(cur)
            cur = up
            if (ust.st_dev, ust.st_ino) != ids[-1]:
                raise WipeError("a directory moved during the wipe")
            os.rmdir(done, dir_fd=cur)
    finally:
        if cur >= 0:
            os.close(cur)


def empty_dir(root: str, keep: tuple = (), mode: int | None = None) -> list[str]:
    """Delete everything in `root` except the paths in `keep` (read-only binds) and the directories leading to
    them (whose other entries are deleted); restore `root`'s mode first when given. Returns what could not be
    removed ("path: why"), empty when `root` is clean. Never raises."""
    problems: list[str] = []
    try:
        if mode is not None and stat.S_IMODE(os.stat(root).st_mode) != mode:
            os.chmod(root, mode)
        fd = os.open(root, DIR_FLAGS)
    except OSError as e:
        return [f"{root}: {e}"]
    try:
        with os.scandir(fd) as it:
            names = [e.name for e in it]
        for name in names:
            p = os.path.join(root, name)
            if p in keep:
                continue
            try:
                if any(k.startswith(p + os.sep) for k in keep):
                    if stat.S_IMODE(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode) & 0o700 != 0o700:
                        os.chmod(name, 0o755, dir_fd=fd)
                    problems += empty_dir(p, keep)
                else:
                    remove_tree(name, fd)
            except (OSError, WipeError, RecursionError, MemoryError) as e:
                problems.append(f"{p}: {type(e).__name__}: {e}")
    except OSError as e:
        problems.append(f"{root}: {e}")
    finally:
        os.close(fd)
    return problems


def remove_path(path: str) -> str | None:
    """Remove `path` (a tree or a file; nothing there is fine). None when it is gone, else why not. Never raises."""
    parent, name = os.path.split(os.path.abspath(path))
    try:
        fd = os.open(parent or "/", DIR_FLAGS)
    except OSError as e:
        return f"{parent}: {e}"
    try:
        remove_tree(name, fd)
    except FileNotFoundError:
        pass
    except (OSError, WipeError, RecursionError, MemoryError) as e:
        return f"{path}: {type(e).__name__}: {e}"
    finally:
        os.close(fd)
    return None
