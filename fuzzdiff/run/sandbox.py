"""Runs in a bubblewrap sandbox that programs cannot escape, stall or cheat.

``SandboxExecutor`` is an ``Executor`` that starts ONE long-lived ``bwrap``
process per executor (on first use), running a small server
(``sandbox_worker``) that executes cases one at a time with ``LocalExecutor``
machinery. The bwrap start-up (~6 ms, plus ~40 ms for the server's Python) is
paid once, not once per case.

Inside: new PID, network, IPC, UTS and cgroup namespaces (no host process is
visible, no network but a private loopback), every capability dropped, the
host's root read-only, private /dev, /proc, /tmp and /dev/shm, an empty
environment, and the ``masked_paths`` hidden (files read as empty and cannot
be executed, directories appear empty and read-only), a seccomp filter
(``seccomp``: no keyrings, message queues, namespaces, tracing, ...) and, where
the kernel lets us, a pids and a memory cgroup (``memory_limit``). bubblewrap
itself starts with an empty environment. After every run the
server kills every process it did not start itself and empties /tmp and
/dev/shm, so detached daemons and stored state do not outlive a run.

With ``python_fork``, Python programs run in a fork-server inside the sandbox
(see ``sandbox_worker``); replies then say how each run started (``take_launches``).

If the server dies or stalls during a case (the program killed it), the
executor kills the sandbox, returns an ``Outcome`` with termination
``WORKER_LOST`` and starts a fresh sandbox for the next case.

The executor must be used from the thread that started it (``bwrap
--die-with-parent`` ties the sandbox to that thread). Pickling it copies only
its configuration: the copy starts a sandbox of its own, so it can be created
in one process and sent to workers.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import io
import os
import pickle
import shutil
import socket
import struct
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

import psutil

from fuzzdiff.core.model import Case, Outcome, Program, Termination
from fuzzdiff.core.spec import Limits
from fuzzdiff.run import seccomp
from fuzzdiff.run.allowlist import Allowlist, Root, always, needs
from fuzzdiff.run.cage import limit_memory, memory_root, pids_root, remove_stale
from fuzzdiff.run.paths import under
from fuzzdiff.run.sandbox_worker import FORGET
from fuzzdiff.run.scratch import PRIVATE_DIRS, private_dir, remove_private

HEADER = struct.Struct("<Q")
#: Seconds a reply may take beyond the run's own timeout (drain, snapshot, sweep)
#: before the sandbox is deemed stalled and killed.
SAFETY_SECONDS = 5.0
#: Seconds the sandbox may take to start and say it is ready.
START_SECONDS = 15.0
#: Seconds between looks at a server that has not answered by its run's deadline.
STALL_CHECK = 0.25
#: Processes of the sandbox itself (bwrap, its init, the server) beside the program's.
SANDBOX_TASKS = 8
#: Smallest size of the private /tmp and /dev/shm (each is also at least 16 files at the size limit).
SCRATCH_BYTES = 64 << 20
#: Processes of one run that may each hold its address-space limit (``Limits.memory_mb``)
#: at once: a pipeline's two ends. Address space is seldom all resident, so more fit.
MEMORY_PROCESSES = 2
#: Memory of the sandbox's own processes (the server, a Python fork-server) beside the program's.
SANDBOX_MEMORY = 256 << 20

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # fuzzdiff/, not run/
# The server runs on the interpreter itself, not a virtualenv's link to it: a
# virtualenv inside a masked checkout is hidden with it (``-I -S`` ignore the
# virtualenv anyway; the server needs only the standard library and the package).
_SERVER_PYTHON = os.path.realpath(sys.executable)
# Runs the server without the package's __init__ (which imports the whole
# toolkit): a bare package module pointing at this directory.
_BOOTSTRAP = (
    "import sys, types\n"
    "pkg = types.ModuleType('fuzzdiff')\n"
    f"pkg.__path__ = [{_PACKAGE_DIR!r}]\n"
    "sys.modules['fuzzdiff'] = pkg\n"
    "from fuzzdiff.run.sandbox_worker import main\n"
    "main()\n"
)


class SandboxError(RuntimeError):
    """The sandbox cannot be started (no bwrap, no namespaces): fall back or fix."""


def bwrap_path() -> str | None:
    """bwrap on PATH, else Debian's /usr/bin/bwrap (PATH may be minimal), else None."""
    found = shutil.which("bwrap")
    if found is None and os.access("/usr/bin/bwrap", os.X_OK):
        found = "/usr/bin/bwrap"
    return found


def exposed_dirs(program: Program) -> set[str]:
    """Host directories holding the program's files (its executable, a script it is
    given) that lie in a directory private inside the sandbox (/tmp, /dev/shm):
    they are bound in read-only, at the same path, so the program can run."""
    found = set()
    for word in program.argv:
        if os.path.isabs(word) and os.path.exists(word):
            for path in {os.path.abspath(word), os.path.realpath(word)}:
                if under(path, PRIVATE_DIRS) and path not in PRIVATE_DIRS:
                    where = os.path.dirname(path) if not os.path.isdir(path) else path
                    # a file right in /tmp: itself, not the host's whole /tmp
                    found.add(path if where in PRIVATE_DIRS else where)
    return found


#: Kernel settings under /proc, bound read-only over the sandbox's own /proc (a
#: container runtime's list). bwrap covers only those it finds writable by access(2),
#: which says no to root for the directory /proc/sys (mode 0555) although root may
#: write most files in it without any capability: a program run as uid 0 set the
#: host's ``kernel.core_pattern`` to a command of its own, which the kernel then ran
#: on the host, outside every namespace, and changed the host name other runs saw.
PROC_READ_ONLY = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs")


def runtime_dirs() -> frozenset[str]:
    """fuzzdiff's own package and the Python running it, where they lie in a directory
    that is private inside the sandbox (a checkout or a virtualenv under /tmp): the
    server must be able to start. Bound in read-only, like a program's directory."""
    found = set()
    for path in (_PACKAGE_DIR, sys.prefix, sys.base_prefix, os.path.dirname(sys.executable)):
        real = os.path.realpath(path)
        if under(real, PRIVATE_DIRS) and real not in PRIVATE_DIRS:
            found.add(real)
    return frozenset(found)


def bwrap_args(
    masked_paths: Iterable[str] = (),
    tmp_dir: str | None = None,
    exposed: Iterable[str] = (),
    scratch_bytes: int = SCRATCH_BYTES,
    root: Root | None = None,
) -> list[str]:
    """The bwrap options (without the command) for one sandbox; ``scratch_bytes``
    bounds the private /tmp (unless ``tmp_dir`` is bound there) and /dev/shm.

    ``root``: the sandbox is built from this allowlist (``fuzzdiff.run.allowlist``) on
    an empty, read-only root; None: the host's ``/`` is bound read-only (the
    reference's sandbox: the reference is trusted and must see what it sees on
    the host)."""
    size = ("--size", str(scratch_bytes))
    exposed = list(exposed)
    exe = bwrap_path()
    if exe is None:
        raise SandboxError("bubblewrap (bwrap) is not installed; install it (apt-get install bubblewrap)")
    args = [
        exe,
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "fuzzdiff",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        # root keeps CAP_SETPCAP alone, for the server to empty the bounding set with
        # (``sandbox_worker.serve``): else every exec by uid 0 "gains" capabilities that
        # no_new_privs then withholds, and the kernel clears ADDR_NO_RANDOMIZE on it (which
        # the server's executor sets for a hermetic task, as a local one does)
        *(("--cap-add", "CAP_SETPCAP") if os.geteuid() == 0 else ()),
        *(("--ro-bind", "/", "/") if root is None else ()),
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        *(arg for path in PROC_READ_ONLY for arg in ("--ro-bind-try", path, path)),
        *(("--bind", tmp_dir, "/tmp") if tmp_dir else (*size, "--tmpfs", "/tmp")),
        *size,
        "--tmpfs",
        "/dev/shm",
        "--remount-ro",
        "/dev",
        *(root.args() if root is not None else ()),
        *(arg for d in sorted(exposed) for arg in ("--ro-bind", d, d)),
        "--clearenv",
        "--chdir",
        "/",
    ]
    read_only = []
    keep_package = keep_python = False
    visible = None if root is None else [*root.binds, *exposed]
    for raw in masked_paths:
        path = os.path.realpath(raw)
        if under(path, PRIVATE_DIRS) and not under(path, exposed):
            continue  # already invisible: /tmp and /dev/shm are private inside
        if visible is not None and not under(path, visible):
            continue  # not in the allowlist: not there to hide
        if os.path.isdir(path):
            args += ["--tmpfs", path]
            read_only.append(path)
        elif os.path.exists(path):
            args += ["--ro-bind", "/dev/null", path]
        keep_package = keep_package or under(_PACKAGE_DIR, [path])
        keep_python = keep_python or under(_SERVER_PYTHON, [path])
    if keep_package:  # the server's own code must stay visible
        args += ["--ro-bind", _PACKAGE_DIR, _PACKAGE_DIR]
    if keep_python:  # and its interpreter (a copy in a virtualenv inside what is masked)
        args += ["--ro-bind", _SERVER_PYTHON, _SERVER_PYTHON]
    for path in read_only:  # last: bwrap makes mount points in them first
        args += ["--remount-ro", path]
    if root is not None:  # the empty root is a tmpfs: nothing may be left on it between runs
        args += ["--remount-ro", "/"]
    return args


@functools.cache
def server_root() -> Root:
    """What the sandbox's server needs in an allowlisted root: the Python running
    fuzzdiff (its standard library, not its site-packages), fuzzdiff's own package,
    and the files every sandbox holds (``allowlist.always``)."""
    python = needs([_SERVER_PYTHON], Allowlist(tools=()))
    return python.union(always()).union(Root(binds=frozenset({_PACKAGE_DIR})))


@functools.cache
def bwrap_available() -> bool:
    """Whether a trivial sandbox starts here (tried once, then cached)."""
    true = shutil.which("true") or "/bin/true"
    try:
        done = subprocess.run(
            [*bwrap_args(), "--", true],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=START_SECONDS,
            check=False,
        )
    except (SandboxError, OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


_SAFE_MODULES = {
    "fuzzdiff.core.model": {"Outcome", "Termination"},
    "fuzzdiff.core.errors": None,  # any of our error types
    "copyreg": {"__newobj__", "_reconstructor"},
}


class _ReplyUnpickler(pickle.Unpickler):
    """Unpickles only outcomes and exceptions: defence in depth should a reply be forged."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins":
            obj = getattr(builtins, name, None)
            if (isinstance(obj, type) and issubclass(obj, BaseException)) or name in ("tuple", "bytes", "str"):
                return obj
        elif module in _SAFE_MODULES:
            allowed = _SAFE_MODULES[module]
            if allowed is None or name in allowed:
                return super().find_class(module, name)
        raise pickle.UnpicklingError(f"sandbox reply may not hold {module}.{name}")


def _server_process(bwrap_pid: int) -> psutil.Process | None:
    """The sandbox's server as the host sees it: once it is ready, the only process
    under bubblewrap's two (the outer one and the namespace's init) that is not
    bubblewrap. None if it cannot be told."""
    try:
        found = [p for p in psutil.Process(bwrap_pid).children(recursive=True) if p.name() != "bwrap"]
    except psutil.Error:
        return None
    return found[0] if len(found) == 1 else None


def _send(sock: socket.socket, obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(HEADER.pack(len(data)) + data)


def _recv(sock: socket.socket, deadline: float, stalled: Callable[[], bool] | None = None, after: float = 0.0) -> Any:
    """One message, or None on end of file, error or deadline; or None as soon as
    ``stalled()`` says so, asked every ``STALL_CHECK`` seconds from ``after`` on."""
    buf = bytearray()
    need = HEADER.size
    header_done = False
    while True:
        while len(buf) < need:
            now = time.monotonic()
            left = deadline - now
            if left <= 0:
                return None
            if stalled is not None and now >= after:
                if stalled():
                    return None
                left = min(left, STALL_CHECK)
            elif stalled is not None:
                left = min(left, after - now)
            sock.settimeout(left)
            try:
                chunk = sock.recv(min(need - len(buf), 1 << 20))
            except TimeoutError:
                continue
            except OSError:
                return None
            if not chunk:
                return None
            buf += chunk
        if header_done:
            try:
                return _ReplyUnpickler(io.BytesIO(bytes(buf))).load()
            except Exception:
                return None
        (need,) = HEADER.unpack(buf)
        buf.clear()
        header_done = True


def _descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (read from /proc)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, ()))
    return found


def scratch_bytes(limits: Limits) -> int:
    """Size of the private /tmp and of /dev/shm: at least 16 files at the size limit."""
    return max(SCRATCH_BYTES, 16 * limits.file_bytes)


def memory_limit(limits: Limits) -> int:
    """Bytes a sandbox's memory cgroup may hold: ``MEMORY_PROCESSES`` processes at the
    address-space limit, /tmp and /dev/shm full (files in a tmpfs are charged to
    the cgroup that wrote them) and the sandbox's own processes. RLIMIT_AS caps
    each process only: without this, ``processes`` of them could hold that much each."""
    per_process = limits.memory_mb << 20
    return min(limits.processes, MEMORY_PROCESSES) * per_process + 2 * scratch_bytes(limits) + SANDBOX_MEMORY


@dataclass(frozen=True, slots=True)
class Cgroups:
    """A sandbox's cgroups: a pids cgroup (a cap on processes) and a memory cgroup (a
    cap on their memory together), each None where none could be made. With cgroup
    v2 both are the same directory."""

    pids: Path | None
    memory: Path | None

    def paths(self) -> list[Path]:
        return list(dict.fromkeys(p for p in (self.pids, self.memory) if p is not None))


def _new_cgroup(root: Path | None, limit: Callable[[Path], None]) -> Path | None:
    """A fresh cgroup under ``root`` with ``limit`` written; None if either fails."""
    if root is None:
        return None
    remove_stale(root)
    # named like ProcessCage's cages, so a stale one is removed the same way
    path = root / f"fuzzdiff-{os.getpid()}-sandbox{uuid.uuid4().hex[:8]}"
    try:
        path.mkdir()
        limit(path)
    except OSError:
        _remove_cgroup(Cgroups(path, None))
        return None
    return path


def _cage_tree(pid: int, processes: int, memory: int) -> Cgroups:
    """Move the sandbox (idle: nothing forks meanwhile) into a fresh pids cgroup
    capped at ``processes`` tasks and a memory cgroup capped at ``memory`` bytes
    (one cgroup for both with cgroup v2). Either is None where no such cgroup is
    writable; the sandbox runs without that cap (``caged``, ``memory_capped``)."""
    pids_at, memory_at = pids_root(), memory_root()

    def cap_pids(path: Path) -> None:
        (path / "pids.max").write_text(str(processes))

    def cap_memory(path: Path) -> None:
        limit_memory(path, memory)

    def cap_both(path: Path) -> None:
        cap_pids(path)
        cap_memory(path)

    if pids_at is not None and pids_at == memory_at:  # cgroup v2: one tree
        both = _new_cgroup(pids_at, cap_both)
        groups = Cgroups(both, both) if both is not None else Cgroups(_new_cgroup(pids_at, cap_pids), None)
    else:
        groups = Cgroups(_new_cgroup(pids_at, cap_pids), _new_cgroup(memory_at, cap_memory))
    members = _descendants(pid)
    kept = []
    for path in groups.paths():
        try:
            for member in members:
                (path / "cgroup.procs").write_text(str(member))
        except OSError:
            for member in members:  # those already moved go back, so the cgroup can go
                with contextlib.suppress(OSError):
                    (path.parent / "cgroup.procs").write_text(str(member))
            _remove_cgroup(Cgroups(path, None))
        else:
            kept.append(path)
    return Cgroups(*(p if p in kept else None for p in (groups.pids, groups.memory)))


def _remove_cgroup(groups: Cgroups) -> None:
    """Remove a sandbox's cgroups once its processes (killed) are gone."""
    for path in groups.paths():
        for _ in range(100):
            try:
                path.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.01)


def worker_lost(wall: float = 0.0) -> Outcome:
    return Outcome(
        termination=Termination.WORKER_LOST,
        exit_code=None,
        signal=None,
        stdout=b"",
        stderr=b"",
        files=(),
        wall_seconds=round(wall, 6),
    )


class SandboxExecutor:
    """Runs programs inside one long-lived bubblewrap sandbox (see the module docstring)."""

    isolation = "bubblewrap"

    def __init__(
        self,
        env: Mapping[str, str],
        limits: Limits,
        masked_paths: Iterable[str | os.PathLike[str]] = (),
        root: str | None = None,
        python_fork: bool = False,
        allowlist: Root | None = None,
    ) -> None:
        """``masked_paths``: files and directories of the host to hide (corpora, the
        reference's sources, ...). ``root``: where the sandbox's /tmp (working
        directories) lives on the host; by default a private tmpfs. ``python_fork``:
        Python programs run in a fork-server inside the sandbox (``pyfork``);
        ``take_launches`` says how their runs started. ``allowlist``: the sandbox's
        root holds only these host paths (and what the server itself needs), not
        the host's ``/`` (see ``fuzzdiff.run.allowlist``)."""
        self.env = dict(env)
        self.allowlist = allowlist
        self.limits = limits
        self.masked_paths = tuple(os.fspath(p) for p in masked_paths)
        self.root = root
        self.python_fork = python_fork
        #: How runs of Python programs started (``pyfork`` labels), since ``take_launches``.
        self.launches: Counter[str] = Counter()
        if bwrap_path() is None:
            raise SandboxError("bubblewrap (bwrap) is not installed; install it (apt-get install bubblewrap)")
        self._proc: subprocess.Popen[bytes] | None = None
        self._server: psutil.Process | None = None  # the server inside, as the host sees it
        self._sock: socket.socket | None = None
        self._tmp_dir: str | None = None
        self._cgroup: Cgroups | None = None
        #: Host directories bound in read-only for the programs run so far (see ``exposed_dirs``).
        self.exposed: frozenset[str] = frozenset()
        self._needs: dict[tuple[str, ...], set[str]] = {}  # ``exposed_dirs`` by program, once each
        #: Sandboxes started, restarts included.
        self.starts = 0
        self.lost = 0

    # -- pickling: configuration only -------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "limits": self.limits,
            "masked_paths": self.masked_paths,
            "root": self.root,
            "python_fork": self.python_fork,
            "allowlist": self.allowlist,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["env"],
            state["limits"],
            state["masked_paths"],
            state["root"],
            state.get("python_fork", False),
            state.get("allowlist"),
        )

    # -- life cycle -------------------------------------------------------------

    def start(self) -> None:
        """Start the sandbox now (else on first use); raises ``SandboxError`` if it cannot."""
        if self._sock is not None:
            return
        if self.root is not None and self._tmp_dir is None:
            self._tmp_dir = str(private_dir("sandbox", self.root))
        parent, child = socket.socketpair()
        exposed = self.exposed | runtime_dirs()
        try:
            filter_fd = seccomp.program_fd()
        except OSError as exc:
            parent.close()
            child.close()
            raise SandboxError(f"cannot pass the seccomp filter to bubblewrap: {exc}") from exc
        cmd = [
            *bwrap_args(
                self.masked_paths,
                self._tmp_dir,
                exposed,
                scratch_bytes(self.limits),
                None if self.allowlist is None else self.allowlist.union(server_root()),
            ),
            "--seccomp",  # applied to the server, so to everything in the sandbox (see ``seccomp``)
            str(filter_fd),
            "--",
            _SERVER_PYTHON,
            "-I",
            "-S",
            "-c",
            _BOOTSTRAP,
            str(child.fileno()),
        ]
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=(child.fileno(), filter_fd),
                # Nothing of ours: bubblewrap's init (pid 1 inside) keeps the environment
                # it was started with in /proc/1/environ, readable by every program, and
                # --clearenv empties only the server's.
                env={},
                start_new_session=True,  # a terminal's ^C does not reach the sandbox
            )
        except OSError as exc:
            parent.close()
            raise SandboxError(f"cannot run bubblewrap: {exc}") from exc
        finally:
            child.close()
            os.close(filter_fd)
        self.starts += 1
        ready = None
        with contextlib.suppress(OSError):
            _send(parent, (self.env, self.limits, sorted(exposed), self.python_fork))
            ready = _recv(parent, time.monotonic() + START_SECONDS)
        if not (isinstance(ready, tuple) and ready and ready[0] == "ready"):
            proc.kill()
            try:
                _, err = proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                err = b""
            parent.close()
            message = err.decode(errors="replace").strip() or f"exit status {proc.returncode}"
            raise SandboxError(f"the bubblewrap sandbox did not start: {message}")
        # Bubblewrap's init still holds this pipe; programs could write to it.
        # Nothing reads it from now on: they get EPIPE.
        assert proc.stderr is not None
        proc.stderr.close()
        self._proc = proc
        self._sock = parent
        self._cgroup = _cage_tree(proc.pid, self.limits.processes + SANDBOX_TASKS, memory_limit(self.limits))
        self._server = _server_process(proc.pid)

    def _server_stopped(self) -> bool:
        """Is the sandbox's server stopped by a signal (so it will never answer)?"""
        if self._server is None:
            return False
        try:
            return self._server.status() in (psutil.STATUS_STOPPED, psutil.STATUS_TRACING_STOP)
        except psutil.Error:
            return False

    def _stop(self) -> None:
        proc, sock = self._proc, self._sock
        self._proc = self._sock = None
        self._server = None
        if sock is not None:
            sock.close()
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()  # --die-with-parent takes the whole PID namespace with it
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        if self._cgroup is not None:
            _remove_cgroup(self._cgroup)
            self._cgroup = None

    @property
    def caged(self) -> bool:
        """Whether the running sandbox is in a pids cgroup (a hard cap on processes,
        which RLIMIT_NPROC is not for root)."""
        return self._cgroup is not None and self._cgroup.pids is not None

    @property
    def memory_capped(self) -> bool:
        """Whether the running sandbox is in a memory cgroup (a cap on the memory of
        all its processes together, which RLIMIT_AS is not: see ``memory_limit``)."""
        return self._cgroup is not None and self._cgroup.memory is not None

    def close(self) -> None:
        """Stop the sandbox; a later ``run`` starts a new one."""
        self._stop()
        if self._tmp_dir is not None:
            remove_private(self._tmp_dir)
            self._tmp_dir = None

    def __enter__(self) -> SandboxExecutor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    # -- running ----------------------------------------------------------------

    def run(self, program: Program, case: Case) -> Outcome:
        # Looked up once per program (its path's parts cost a system call each, every run).
        needed = self._needs.get(program.argv)
        if needed is None:
            needed = self._needs[program.argv] = exposed_dirs(program)
        if not needed <= self.exposed:
            # A program under /tmp or /dev/shm: restart with its directory bound in
            # (once per program: a campaign has two).
            self._stop()
            self.exposed |= needed
        self.start()
        sock = self._sock
        assert sock is not None
        start = time.monotonic()
        reply = None
        with contextlib.suppress(OSError):
            _send(sock, (program, case))
            # Past the run's own deadline the server answers at once unless it is
            # stopped (a program sent it SIGSTOP): then it is lost without waiting
            # the SAFETY_SECONDS out, which every case of such a candidate would cost.
            reply = _recv(
                sock,
                start + self.limits.timeout + SAFETY_SECONDS,
                self._server_stopped,
                start + self.limits.timeout + STALL_CHECK,
            )
        if not (isinstance(reply, tuple) and len(reply) in (2, 3, 4)):
            # The server died (the program killed it) or stalled: a fresh sandbox next time.
            self._stop()
            self.lost += 1
            return worker_lost(time.monotonic() - start)
        kind, value = reply[:2]
        if kind == "error" and isinstance(value, BaseException):
            raise value
        launches = reply[2] if len(reply) >= 3 else None
        if kind != "ok" or not isinstance(value, Outcome) or not _is_launches(launches):
            self._stop()
            self.lost += 1
            return worker_lost(time.monotonic() - start)
        for label, runs in launches:
            self.launches[label] += runs
        if len(reply) == 4 and reply[3] is True:
            # The server could not clean up after this run and has quit: the outcome
            # stands, and the next run gets a fresh sandbox.
            self._stop()
        return value

    def forget(self) -> None:
        """Stop the fork-servers inside (the sandbox itself keeps running): the
        programs it runs from now on are new ones, even at the same paths."""
        sock = self._sock
        if sock is None:
            return
        reply = None
        with contextlib.suppress(OSError):
            _send(sock, FORGET)
            reply = _recv(sock, time.monotonic() + self.limits.timeout + SAFETY_SECONDS)
        if reply != ("forgot",):
            self._stop()  # whatever it holds goes with it; the next run starts a fresh sandbox

    def take_launches(self) -> tuple[tuple[str, int], ...]:
        """How runs of Python programs started since the last call, by label (see
        ``pyfork.PythonForkLauncher.take_launches``); the count starts over."""
        taken = tuple(sorted((label, n) for label, n in self.launches.items() if n > 0))
        self.launches.clear()
        return taken


def _is_launches(value: object) -> TypeGuard[tuple[tuple[str, int], ...]]:
    return isinstance(value, tuple) and all(
        isinstance(item, tuple)
        and len(item) == 2
        and isinstance(item[0], str)
        and isinstance(item[1], int)
        and not isinstance(item[1], bool)
        for item in value
    )
