"""The in-sandbox side of ``SandboxExecutor``: a small server inside bubblewrap.

Started once per executor (see ``sandbox.py``) with one end of a socket pair
as file descriptor ``argv[1]``. It reads length-prefixed pickles of
``(Program, Case)`` and answers each with a length-prefixed pickle of
``("ok", Outcome, launches)`` or ``("error", exception)``; ``launches`` says how
a Python program's run started (``pyfork``), empty for other programs.

Each case runs with ``LocalExecutor`` machinery, under fixed paths: the working
directory is always ``/tmp/fuzzdiff-work`` and the temporary directory always
``/tmp/fuzzdiff-tmp`` (the placeholders themselves, so no path can differ
between runs or need scrubbing). After every run the server kills every other
process in its PID namespace (bubblewrap's init excepted) and empties /tmp and
/dev/shm, so nothing a program starts or stores outlives its run.

With ``python_fork`` (sent at start), Python programs run in a fork-server
(``pyfork.PythonForkLauncher``) started inside the sandbox: the sweep spares it
(``execute.SPARED``), its start-up directory goes with the first wipe, and it is
non-dumpable like the server (its children become dumpable again, as after
exec). A run that kills or stops it is run again fresh, from a clean slate.

The server makes itself non-dumpable: programs (same uid, no capabilities)
cannot open its file descriptors through /proc or ptrace it, so they cannot
forge replies. The socket is not inherited by bubblewrap's init, nor by
programs (``close_fds``).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import resource
import signal
import socket
import stat
import struct
import sys
import time
from pathlib import Path

from fuzzdiff.core.model import Case, Outcome, Program, Termination
from fuzzdiff.core.spec import Limits
from fuzzdiff.run.cage import SWEEP_ROUNDS, ProcessCage
from fuzzdiff.run.execute import (
    SPARED,
    TMP_PLACEHOLDER,
    WORKDIR_PLACEHOLDER,
    LaunchLost,
    LocalExecutor,
    apply_limits,
    run_env,
    sweep_cage,
)
from fuzzdiff.run.landlock import drop_capabilities
from fuzzdiff.run.scratch import make_work, remove_at, remove_tree, restore_mode, write_files

HEADER = struct.Struct("<Q")
#: The host's request to stop every fork-server (``SandboxExecutor.forget``).
FORGET = "forget"
WORK = Path(os.fsdecode(WORKDIR_PLACEHOLDER))
TMP = Path(os.fsdecode(TMP_PLACEHOLDER))
#: Directories a program can write to beside its own; emptied after every run.
SCRATCH = (Path("/tmp"), Path("/dev/shm"))
PR_SET_DUMPABLE = 4
#: Catchable signals a program could kill the server with; a Python handler
#: (unlike SIG_IGN) is reset to the default on exec, so programs see no change.
SHIELDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM)


def send(sock: socket.socket, obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(HEADER.pack(len(data)) + data)


def recv_exact(sock: socket.socket, size: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < size:
        chunk = sock.recv(min(size - len(buf), 1 << 20))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


class NamespaceSweeper(ProcessCage):
    """A ``ProcessCage`` whose members are every live process of this PID namespace
    but its init (pid 1): ``sweep`` kills them all but the server."""

    def __init__(self) -> None:
        super().__init__(Path("/proc"), Path("/proc"))

    def members(self) -> list[int]:
        return self._live(set())

    def _live(self, skip: set[int]) -> list[int]:
        """Live processes of the namespace but init and ``skip`` (whose status is not
        read: after most runs the listing holds nothing else)."""
        pids = []
        for name in os.listdir("/proc"):
            if not name.isdigit() or name == "1" or int(name) in skip:
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    state = fh.read().rsplit(b")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state not in (b"Z", b"X"):  # zombies are reaped by init; they cannot act
                pids.append(int(name))
        return pids

    def sweep(self) -> int:
        """Kill every member but this server and ``SPARED`` (its fork-servers)."""
        killed = 0
        for _ in range(SWEEP_ROUNDS):
            others = self._live({self.me, *SPARED})
            if not others:
                return killed
            for pid in others:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
            time.sleep(0.001)
        return killed

    def close(self) -> None:
        self.sweep()


class FixedPathExecutor(LocalExecutor):
    """``LocalExecutor`` with the working and temporary directories at fixed paths
    (one run at a time: the sandbox is private to one executor)."""

    #: The wipe after the last run left something behind: only a fresh sandbox is
    #: clean again (``serve`` quits once it has replied).
    spoiled = False

    def run(self, program: Program, case: Case) -> Outcome:
        spawned = False
        try:
            env = self._prepare(case)
            try:
                outcome = self._spawn(program, case, WORK, env)  # sweeps once the run is over
            except LaunchLost:
                # The fork-server died (or was stopped) during the run: the case runs
                # again in a fresh process, from a clean slate, as if it were the first.
                if self.cage is not None:
                    sweep_cage(self.cage)
                if not _wipe_scratch():
                    # no clean slate here: the run is lost, as if it had killed the server
                    self.spoiled = True
                    return Outcome(Termination.WORKER_LOST, None, None, b"", b"")
                env = self._prepare(case)
                outcome = self._spawn(program, case, WORK, env, fresh=True)
            spawned = True
            return outcome
        finally:
            if self.cage is not None and not spawned:
                sweep_cage(self.cage)  # spares the fork-servers (``SPARED``)
            self.spoiled = not _wipe_scratch() or self.spoiled

    def _prepare(self, case: Case) -> dict[str, str]:
        """The case's working and temporary directories, and its environment."""
        for path, make in ((WORK, make_work), (TMP, Path.mkdir)):
            try:
                make(path)  # the wipe after the last run removed it
            except FileExistsError:
                remove_tree(path)
                make(path)
        write_files(WORK, case.files)
        return run_env(self.env, case, WORK, TMP)


#: Host directories bound read-only inside /tmp or /dev/shm (the programs'
#: own): the wipe leaves the directories leading to them.
KEEP: set[str] = set()
#: Device, inode and permission bits of the scratch directories and of those in
#: ``KEEP``, as the server found them: the wipe puts the bits back, and a
#: directory that is no longer the one found (moved, replaced) spoils the sandbox.
FOUND: dict[str, tuple[int, int, int]] = {}
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _note_found() -> None:
    """Fill ``FOUND``, once, before the first wipe."""
    for path in (*map(str, SCRATCH), *KEEP):
        with contextlib.suppress(OSError):
            st = os.lstat(path)
            if stat.S_ISDIR(st.st_mode):
                # with the owner's bits, which a lost sandbox's run (in a /tmp bound
                # in from the host) may have taken away
                FOUND[path] = (st.st_dev, st.st_ino, stat.S_IMODE(st.st_mode) | 0o700)


IPC_RMID = 0
_LIBC: ctypes.CDLL | None = None


#: ``shmctl``/``msgctl``/``semctl`` commands that report how many objects of their
#: kind exist (``SHM_INFO``: ``used_ids``, the first int; ``MSG_INFO``:
#: ``msgpool``, the first; ``SEM_INFO``: ``semusz``, the eighth).
_COUNTS = {"shm": (14, 0), "msg": (12, 0), "sem": (19, 7)}


def _ipc_count(kind: str) -> int | None:
    """How many objects of ``kind`` this IPC namespace holds (None: not known)."""
    if _LIBC is None:
        return None
    command, field = _COUNTS[kind]
    info = (ctypes.c_int * 32)()  # larger than each of the kernel's structures
    if kind == "shm":
        done = _LIBC.shmctl(0, command, info)
    elif kind == "msg":
        done = _LIBC.msgctl(0, command, info)
    else:
        done = _LIBC.semctl(0, 0, command, info)
    return None if done < 0 else int(info[field])


def _remove_sysv_ipc() -> None:
    """Remove every System V shared memory segment, message queue and semaphore set
    of this IPC namespace: state a program could otherwise keep between runs. A kind
    is listed only when its count is not zero: three calls instead of three reads
    of /proc after most runs."""
    if _LIBC is None:
        return
    for kind in ("shm", "msg", "sem"):
        if _ipc_count(kind) == 0:
            continue
        try:
            with open(f"/proc/sysvipc/{kind}") as fh:
                rows = fh.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            ident = int(row.split()[1])
            if kind == "shm":
                _LIBC.shmctl(ident, IPC_RMID, None)
            elif kind == "msg":
                _LIBC.msgctl(ident, IPC_RMID, None)
            else:
                _LIBC.semctl(ident, 0, IPC_RMID)


def _wipe_scratch() -> bool:
    """Empty /tmp and /dev/shm, and remove System V IPC objects, so that nothing a run
    stored outlives it; permission bits a run took away are put back first. True
    when all is as the server found it; else the sandbox must be replaced."""
    _remove_sysv_ipc()
    clean = True
    for root in SCRATCH:
        clean = _wipe_around(str(root), None) and clean
    return clean


def _wipe_around(path: str, device: int | None) -> bool:
    """Empty the directory ``path`` (a scratch root, or one leading to a kept
    directory) but for the way to kept directories, which are emptied the same
    way; a kept directory itself (another file system than ``device``) is left."""
    found = FOUND.get(path)
    if found is None:
        if device is not None and path in KEEP:  # a program's own file right in /tmp, bound in read-only
            try:
                return os.lstat(path).st_dev != device  # still the mount: left as it is
            except OSError:
                return False
        return device is None and not os.path.lexists(path)  # a root the sandbox has not
    try:
        try:
            fd = os.open(path, _DIR_FLAGS)
        except PermissionError:  # a run took its owner's bits away
            restore_mode(None, path, found[2])
            fd = os.open(path, _DIR_FLAGS)
    except OSError:
        return False
    try:
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != found[:2]:
            return False  # moved or replaced: only a fresh sandbox has it back
        if device is not None and st.st_dev != device:
            return True  # a kept directory: a read-only mount
        if stat.S_IMODE(st.st_mode) != found[2]:
            os.fchmod(fd, found[2])
        with os.scandir(fd) as listing:
            entries = [(entry.name, entry.is_dir(follow_symlinks=False)) for entry in listing]
        clean = True
        for name, is_dir in entries:
            inner = os.path.join(path, name)
            wiped = _wipe_around(inner, st.st_dev) if inner in KEEP else _remove(fd, name, is_dir)
            clean = wiped and clean
        return clean
    except OSError:
        return False
    finally:
        os.close(fd)


def _remove(fd: int, name: str, is_dir: bool) -> bool:
    """Remove the entry ``name`` of ``fd``: an empty directory (the working and
    temporary ones, most often) with one call, anything else with ``remove_at``."""
    if is_dir:
        with contextlib.suppress(OSError):
            os.rmdir(name, dir_fd=fd)
            return True
    return remove_at(fd, name)


def _shield() -> None:
    global _LIBC
    with contextlib.suppress(OSError, AttributeError):
        _LIBC = ctypes.CDLL(None, use_errno=True)
        _LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    for sig in SHIELDED:
        signal.signal(sig, lambda _signum, _frame: None)


#: The resource limits a run could lower on the server (``own_state``).
_RLIMITS = tuple(getattr(resource, n) for n in dir(resource) if n.startswith("RLIMIT_"))


def own_state() -> tuple[object, ...]:
    """What a program of the sandbox could change about this server, which outlives
    it, through ``/proc`` or system calls the seccomp filter cannot see into: its
    limits, niceness, CPUs, OOM score and its session's autogroup niceness."""

    def read(path: str) -> str:
        try:
            with open(path) as fh:
                return fh.read()
        except OSError:
            return ""

    return (
        tuple(resource.getrlimit(r) for r in _RLIMITS),
        os.getpriority(os.PRIO_PROCESS, 0),
        tuple(sorted(os.sched_getaffinity(0))),
        read("/proc/self/oom_score_adj"),
        read("/proc/self/autogroup"),
    )


def serve(fd: int, env: dict[str, str], limits: Limits, python_fork: bool = False) -> None:
    sock = socket.socket(fileno=fd)
    _shield()
    with contextlib.suppress(OSError):
        drop_capabilities()  # the bounding set too: a hermetic run's fixed address layout survives exec
    apply_limits(limits, cpu=False)
    launcher = None
    if python_fork:
        from fuzzdiff.run.pyfork import PythonForkLauncher

        # The server's start-up directory lies in /tmp and is removed once it has
        # started; the server itself is spared by the sweep. A start is bounded by
        # the run's timeout, which it counts against: the host gives up on the
        # sandbox soon after that (``sandbox.SAFETY_SECONDS``).
        launcher = PythonForkLauncher(
            env, limits, root="/tmp", limits_inherited=True, shield=True, start_timeout=limits.timeout
        )
    executor = FixedPathExecutor(
        env, limits, root="/tmp", limits_inherited=True, cage=NamespaceSweeper(), launcher=launcher
    )
    _note_found()
    _wipe_scratch()  # a /tmp bound in from the host may hold what a lost sandbox left
    state = own_state()
    send(sock, ("ready", os.getpid()))
    while True:
        header = recv_exact(sock, HEADER.size)
        if header is None:
            return
        body = recv_exact(sock, HEADER.unpack(header)[0])
        if body is None:
            return
        message = pickle.loads(body)
        if message == FORGET:  # a new candidate from now on: its fork-servers start afresh
            if launcher is not None:
                launcher.forget()
            send(sock, ("forgot",))
            continue
        program, case = message
        try:
            outcome = executor.run(program, case)
            # A run may have changed this server (same user): what the next runs would
            # inherit from it, or get less of. Then the next run gets a fresh sandbox.
            executor.spoiled = executor.spoiled or own_state() != state
            # with how the run started, when it was a Python program (``pyfork``),
            # and whether the host must replace this sandbox before the next run
            launches = launcher.take_launches() if launcher is not None else ()
            reply: tuple[object, ...] = ("ok", outcome, launches, executor.spoiled)
        except Exception as exc:  # reported to the caller, which raises it
            reply = ("error", exc)
        send(sock, reply)
        if executor.spoiled:
            return  # what the wipe could not remove goes with this sandbox


def main() -> None:
    fd = int(sys.argv[1])
    sock = socket.socket(fileno=os.dup(fd))
    os.close(fd)
    header = recv_exact(sock, HEADER.size)
    if header is None:
        return
    body = recv_exact(sock, HEADER.unpack(header)[0])
    if body is None:
        return
    env, limits, exposed, python_fork = pickle.loads(body)
    for path in exposed:
        parts = Path(path).parts
        KEEP.update(str(Path(*parts[:n])) for n in range(2, len(parts) + 1))
    serve(sock.detach(), env, limits, python_fork)


if __name__ == "__main__":
    main()
