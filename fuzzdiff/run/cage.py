"""A pids cgroup around a worker process: a hard cap on processes, and a sweep.

RLIMIT_NPROC is not enforced for root, and a process that calls ``setsid``
escapes the process-group kill. A cgroup fixes both where the kernel offers
one: every process a worker starts stays in the worker's cgroup (no syscall
moves it out without privileges over the cgroup tree), ``pids.max`` caps how
many there can be, and after each run the worker kills every member but itself.

Works with the cgroup v1 ``pids`` hierarchy or a cgroup v2 tree with the pids
controller. Where neither is writable, ``ProcessCage.create`` returns ``None``
and the isolation level says so. The sandbox (``sandbox.py``) also puts each
sandbox in a memory cgroup (``limit_memory``), made and swept up the same way.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from pathlib import Path

#: Tasks (threads included) the worker itself needs beside the program's processes.
WORKER_TASKS = 16
#: Rounds of kill-and-reread while sweeping: a fork loop may add members between reads.
SWEEP_ROUNDS = 50

_CGROUP_FS = Path("/sys/fs/cgroup")


def _controller_root(controller: str) -> Path | None:
    """Where to make cgroups with ``controller``: its cgroup v1 hierarchy, else the
    cgroup v2 tree if it offers the controller; None where neither is writable."""
    for root in (_CGROUP_FS / controller, _CGROUP_FS):
        if (root / "cgroup.procs").is_file() and os.access(root, os.W_OK):
            if root.name == controller:
                return root
            controllers = root / "cgroup.controllers"
            if controllers.is_file() and controller in controllers.read_text().split():
                return root
    return None


def pids_root() -> Path | None:
    return _controller_root("pids")


def memory_root() -> Path | None:
    return _controller_root("memory")


def limit_memory(path: Path, limit: int) -> None:
    """Cap the memory of cgroup ``path`` (v1 or v2) at ``limit`` bytes, swap included
    where the kernel accounts it (else a run could use swap as memory past the cap).
    Raises ``OSError`` if the cgroup has no memory controller."""
    if (path / "memory.max").exists():  # v2
        (path / "memory.max").write_text(str(limit))
        with contextlib.suppress(OSError):
            (path / "memory.swap.max").write_text("0")
    else:  # v1: memsw (memory and swap) may not be set below the memory limit, so after it
        (path / "memory.limit_in_bytes").write_text(str(limit))
        with contextlib.suppress(OSError):
            (path / "memory.memsw.limit_in_bytes").write_text(str(limit))


class ProcessCage:
    """The calling process moved into a fresh pids cgroup of its own."""

    def __init__(self, path: Path, parent: Path) -> None:
        self.path = path
        self.parent = parent
        self.me = os.getpid()
        self._procs = os.fsencode(path / "cgroup.procs")
        self._count: int | None = None  # pids.current, kept open (see ``alone``)

    @classmethod
    def create(cls, processes: int) -> ProcessCage | None:
        root = pids_root()
        if root is None:
            return None
        remove_stale(root)
        path = root / f"fuzzdiff-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            path.mkdir()
            (path / "pids.max").write_text(str(processes + WORKER_TASKS))
            (path / "cgroup.procs").write_text(str(os.getpid()))
        except OSError:
            with contextlib.suppress(OSError):
                path.rmdir()
            return None
        return cls(path, root)

    def members(self) -> list[int]:
        # Opened afresh each time: a kept descriptor re-read with pread returns the
        # list as it was one read earlier (the kernel's cached copy), missing new members.
        chunks: list[bytes] = []
        try:
            fd = os.open(self._procs, os.O_RDONLY | os.O_CLOEXEC)
            try:
                while chunk := os.read(fd, 1 << 16):
                    chunks.append(chunk)
            finally:
                os.close(fd)
        except OSError:
            return []
        return [int(p) for p in b"".join(chunks).split()]

    def alone(self) -> bool:
        """True if the cage holds one task: this process, single-threaded. Read from
        ``pids.current`` through a kept descriptor, which costs about a microsecond
        where listing the members costs 10 to 40 (this runs after every run). The
        count takes in every task until it is reaped, so 1 leaves no room for
        another process; anything else (a thread, a zombie, a read error) says
        False, and the caller lists the members."""
        try:
            if self._count is None:
                self._count = os.open(self.path / "pids.current", os.O_RDONLY | os.O_CLOEXEC)
            return os.pread(self._count, 32, 0) == b"1\n"
        except OSError:
            return False

    def sweep(self) -> int:
        """Kill every process in the cage but this one; returns how many distinct
        processes were sent the kill. A killed process stays listed until it has
        finished exiting, which on a loaded machine can span several rounds: it is
        signalled again but counted once."""
        killed: set[int] = set()
        if self.alone():
            return 0
        for _ in range(SWEEP_ROUNDS):
            others = [p for p in self.members() if p != self.me]
            if not others:
                break
            for pid in others:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
                    killed.add(pid)
            time.sleep(0.001)
        return len(killed)

    def close(self) -> None:
        self.sweep()
        if self._count is not None:
            with contextlib.suppress(OSError):
                os.close(self._count)
            self._count = None
        with contextlib.suppress(OSError):
            (self.parent / "cgroup.procs").write_text(str(self.me))
        with contextlib.suppress(OSError):
            self.path.rmdir()


def remove_stale(root: Path) -> None:
    """Remove empty cages left by workers that were killed before closing theirs."""
    for old in root.glob("fuzzdiff-*"):
        with contextlib.suppress(OSError, ValueError):
            pid = int(old.name.split("-")[1])
            if not Path(f"/proc/{pid}").exists():
                old.rmdir()
