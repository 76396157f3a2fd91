"""Running one program on one case: the only place fuzzdiff touches processes.

``Executor`` is a one-method interface, ``run(program, case) -> Outcome``.
Everything above it (generation, comparison, shrinking, the engine) can be
tested with ``FunctionExecutor`` and plain Python functions.

``LocalExecutor`` runs the program in a private working directory that holds
only the case's files (``scratch.Scratches``: a caged executor keeps one
directory and empties it between runs, or replaces it when a run changed more
than its contents), with a fixed environment, rlimits, a wall-clock deadline
after which the whole process group is killed, and caps on captured output and
on what the snapshot of its directory records (``scratch``).
The working directory's real path is rewritten to ``WORKDIR_PLACEHOLDER`` in
everything observed, so the two sides (whose directories necessarily differ)
cannot diverge on it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import functools
import os
import resource
import select
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Protocol

from fuzzdiff.core.errors import ProgramError
from fuzzdiff.core.model import Case, Outcome, Program, Termination
from fuzzdiff.core.spec import Limits
from fuzzdiff.run.cage import SWEEP_ROUNDS, ProcessCage
from fuzzdiff.run.hermetic import FROZEN_EPOCH, UMASK, fix_address_layout, is_hermetic, sweep_leftovers
from fuzzdiff.run.landlock import shed_capabilities
from fuzzdiff.run.scratch import Scratch, Scratches, SnapshotBounds, Stats, attributes, snapshot, write_files
from fuzzdiff.run.scratch import default_root as default_root

#: The path the working directory is shown as; also where a sandbox mounts it.
WORKDIR_PLACEHOLDER = b"/tmp/fuzzdiff-work"
#: Its parent as shown (``realpath ..``), the same as in a sandbox: a run's own
#: directory has a fresh name each time, and printed raw it made the reference
#: differ from itself and from every candidate.
PARENT_PLACEHOLDER = b"/tmp"
#: A run's private temporary directory as shown; also where a sandbox mounts it.
TMP_PLACEHOLDER = b"/tmp/fuzzdiff-tmp"
#: Bytes read from a pipe per call: a page multiple, big enough for floods.
READ_CHUNK = 1 << 16
#: Pids a cage sweep must spare: long-lived helpers of this process (fork-servers).
SPARED: set[int] = set()
#: Main processes of runs started here and not reaped yet (``reap_orphans`` leaves them).
_RUNNING: set[int] = set()
#: Whether this process adopts the orphans its runs leave (``become_subreaper``).
_subreaper = False
#: ``prctl`` option: orphaned descendants are reparented to this process, not to init.
PR_SET_CHILD_SUBREAPER = 36


class Executor(Protocol):
    """Runs a program on a case and reports what could be observed."""

    def run(self, program: Program, case: Case) -> Outcome: ...


class FunctionExecutor:
    """An executor backed by Python functions, for tests: ``fn(case) -> Outcome``."""

    def __init__(self, functions: Mapping[str, Callable[[Case], Outcome]]) -> None:
        self.functions = dict(functions)
        self.calls = 0

    def run(self, program: Program, case: Case) -> Outcome:
        self.calls += 1
        return self.functions[program.argv[0]](case)


class Started(Protocol):
    """A running program started by a ``Launcher``: its pid (a session leader) and
    how to collect its end once its process group was killed."""

    pid: int

    def reap(self) -> tuple[int, float, int]:
        """Wait status, CPU seconds and peak RSS (KiB); raises ``LaunchLost``."""
        ...


class Launcher(Protocol):
    """Starts some programs a faster way than a fresh process (see ``pyfork``)."""

    def launch(
        self, program: Program, case: Case, work: Path, env: dict[str, str], stdio: tuple[int, int, int]
    ) -> Started | None:
        """Start ``program`` on ``case`` with ``stdio`` as fds 0-2, or None: run it fresh."""
        ...


class LaunchLost(Exception):
    """A launcher lost a run it started (its server died); the run is repeated fresh."""


class _Fresh:
    """A fresh process started with ``subprocess``."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.pid = proc.pid

    def reap(self) -> tuple[int, float, int]:
        _, status, usage = os.wait4(self.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        return status, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


class _Direct:
    """A fresh process started with ``posix_spawn``."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def reap(self) -> tuple[int, float, int]:
        _, status, usage = os.wait4(self.pid, 0)
        return status, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def _posix_spawn(
    path: str,
    argv: list[str | bytes],
    work: Path,
    env: dict[str, str],
    stdio: tuple[int, int, int],
    umask: int | None = None,
) -> int:
    """Start ``path`` in ``work`` with ``stdio`` as descriptors 0-2, in a new session,
    as ``subprocess.Popen(cwd=work, start_new_session=True)`` would; the caller's
    own directory is restored before returning. Other descriptors are not passed:
    every descriptor of this process is close-on-exec (``_make_fds_private``).
    One difference remains: glibc leaves its two internal signals (32 and 33,
    below SIGRTMIN, unusable by programs linked with glibc) ignored in the child.
    ``umask``: the child's (this process's is restored too), else this process's."""
    home = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    mask = None if umask is None else os.umask(umask)
    try:
        os.chdir(work)
        actions = [(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in enumerate(stdio)]
        # Python ignores SIGPIPE (and SIGXFSZ); ignored signals survive exec, so they
        # are reset to default as Popen's restore_signals does.
        return os.posix_spawn(path, argv, env, file_actions=actions, setsid=True, setsigdef=_RESTORED_SIGNALS)
    finally:
        if mask is not None:
            os.umask(mask)
        os.fchdir(home)
        os.close(home)


_RESTORED_SIGNALS = (signal.SIGPIPE, signal.SIGXFSZ)


def _make_fds_private() -> None:
    """Mark every descriptor above 2 close-on-exec. Python makes its own so, but one
    inherited from whoever started this process would otherwise reach every run
    started with ``posix_spawn``, which (unlike ``Popen``) closes nothing."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2:
            with contextlib.suppress(OSError):
                if os.get_inheritable(fd):
                    os.set_inheritable(fd, False)


def apply_limits(limits: Limits, cpu: bool = True) -> None:
    """Set the run limits on the calling process; children inherit them.

    Called between fork and exec (``preexec_fn``), or once in a dedicated worker
    process so that its children can be spawned with the much cheaper vfork
    path. A worker leaves out the CPU limit, which would count its own time.
    Hard limits are lowered too: a program may raise a soft limit up to the
    hard one (``ulimit -v unlimited``), so a soft limit alone bounds nothing.
    """
    settings = [
        (resource.RLIMIT_AS, limits.memory_mb << 20),
        (resource.RLIMIT_FSIZE, limits.file_bytes),
        (resource.RLIMIT_NPROC, limits.processes),
        (resource.RLIMIT_CORE, 0),
    ]
    if cpu:
        settings.append((resource.RLIMIT_CPU, int(limits.timeout) + 2))
    for res, value in settings:
        with contextlib.suppress(ValueError, OSError):
            _, hard = resource.getrlimit(res)
            soft = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(res, (soft, soft))


def _child_setup(limits: Limits | None, confine: Callable[[], None] | None) -> None:
    if limits is not None:
        _child_limits(limits)
    if confine is not None:
        confine()


def _child_limits(limits: Limits) -> None:
    apply_limits(limits)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class LocalExecutor:
    """Runs programs as local processes, isolated by rlimits and a process group."""

    isolation = "rlimits"

    def __init__(
        self,
        env: Mapping[str, str],
        limits: Limits,
        root: str | None = None,
        limits_inherited: bool = False,
        cage: ProcessCage | None = None,
        confine: Callable[[], None] | None = None,
        launcher: Launcher | None = None,
    ) -> None:
        """``limits_inherited``: this process already runs under ``limits`` (see
        ``apply_limits``), so children need no per-spawn set-up, which saves
        about 1.7 ms a run (fork instead of vfork). ``confine``: called in each
        child just before ``exec`` (a Landlock ruleset's ``restrict``). ``launcher``:
        tried first for every unconfined run (``pyfork.PythonForkLauncher``)."""
        self.launcher = launcher
        self.env = dict(env)
        self.limits = limits
        self.root = root if root is not None else default_root()
        self.limits_inherited = limits_inherited
        self.cage = cage
        self.confine = confine
        if cage is not None:
            self.isolation = "rlimits+pids-cgroup"
        self._bounds = SnapshotBounds.of(limits)
        # Every run has the umask UMASK (what it makes gets the modes outcomes compare,
        # whatever this process's umask); hermetic runs (``hermetic``) also have
        # libfaketime's leftovers swept.
        self.hermetic = is_hermetic(self.env)
        self.umask = UMASK
        if self.hermetic:
            fix_address_layout()  # inherited by every child, both sides alike
        # Caged, nothing a run started outlives it: its directories may be kept.
        self.scratches = Scratches(self.root, reuse=cage is not None)
        self._fds_private = False

    def run(self, program: Program, case: Case) -> Outcome:
        with self.scratches.for_run() as scratch:
            return self._run_in(program, case, scratch)

    def _run_in(self, program: Program, case: Case, scratch: Scratch) -> Outcome:
        work = scratch.work
        write_files(work, case.files)
        env = run_env(self.env, case, work, scratch.tmp)
        scrub = functools.partial(_scrubbed, work=scratch.work_bytes, base=scratch.path_bytes)
        try:
            outcome = self._spawn(program, case, work, env, scrub=scrub)
        except LaunchLost:
            if self.cage is not None:
                sweep_cage(self.cage)  # a child the lost launcher could not name
            scratch.reset()  # start over from the case's files, in a fresh process
            write_files(work, case.files)
            outcome = self._spawn(program, case, work, env, fresh=True, scrub=scrub)
        if self.hermetic:
            sweep_leftovers()
        return _scrub(outcome, scrub, scratch.path_bytes)

    def _preexec(self) -> Callable[[], None] | None:
        limits = None if self.limits_inherited else self.limits
        if limits is None and self.confine is None:
            return None  # lets subprocess use vfork
        return partial(_child_setup, limits, self.confine)

    def _direct(self, program: Program, stdio: tuple[int, int, int]) -> bool:
        """Can this run start with ``posix_spawn`` (vfork and exec, some 35 us less than
        ``subprocess.Popen``)? Only with nothing to do in the child between fork and
        exec, an absolute path (``Popen`` looks a bare name up in the run's PATH),
        pipes above the standard descriptors, and no other thread in this process
        (the spawn changes this process's directory for a moment)."""
        if self._preexec() is not None or not os.path.isabs(program.argv[0]) or min(stdio) <= 2:
            return False
        if threading.active_count() != 1:
            return False
        if not self._fds_private:
            _make_fds_private()
            self._fds_private = True
        return True

    def _start(
        self, program: Program, case: Case, work: Path, env: dict[str, str], stdio: tuple[int, int, int], fresh: bool
    ) -> Started:
        # a fork-server's children hold no capabilities either (``pyfork``): it serves a
        # run confined that way too, not one confined otherwise (Landlock)
        if self.launcher is not None and not fresh and self.confine in (None, shed_capabilities):
            started = self.launcher.launch(program, case, work, env, stdio)
            if started is not None:
                return started
        argv: list[str | bytes] = [program.argv0, *program.argv[1:], *case.argv]
        if self._direct(program, stdio):
            try:
                return _Direct(_posix_spawn(program.argv[0], argv, work, env, stdio, self.umask))
            except OSError as exc:
                raise ProgramError(_not_started(program.argv[0], exc)) from exc
        try:
            proc = subprocess.Popen(
                argv,
                executable=program.argv[0],
                cwd=work,
                env=env,
                stdin=stdio[0],
                stdout=stdio[1],
                stderr=stdio[2],
                start_new_session=True,
                preexec_fn=self._preexec(),
                umask=-1 if self.umask is None else self.umask,
            )
        except OSError as exc:
            raise ProgramError(_not_started(program.argv[0], exc)) from exc
        return _Fresh(proc)

    def _watch(
        self,
        proc: Started,
        case: Case,
        start: float,
        stdin_w: int,
        stdout_r: int,
        stderr_r: int,
        ours: set[int],
    ) -> tuple[bytearray, bytearray, bool, bool]:
        """Feed the run its stdin and read its stdout and stderr until it has ended
        and they are closed, its deadline passes or its output passes the cap; then
        kill its process group and close ``ours``. Returns stdout, stderr, whether
        it timed out and whether it was capped."""
        pidfd: int | None = None
        exited = False
        try:
            # poll(2), not an epoll selector: no descriptor to create per run (some 15 us).
            poller = select.poll()
            try:
                pidfd = os.pidfd_open(proc.pid)
                poller.register(pidfd, select.POLLIN)
            except ProcessLookupError:
                # Ended and reaped already, which only a launcher's child can be (its
                # parent is not this process): a fork-server child that killed the
                # server. Its streams are read to their end; ``reap`` says what happened.
                exited = True
            pipes = _Pipes(poller, (stdin_w, stdout_r, stderr_r), case.stdin, self.limits.output_bytes, ours)
            timed_out = _pump(poller, pidfd, exited, pipes, start + self.limits.timeout)
        finally:
            _kill_group(proc.pid)
            if pidfd is not None:
                os.close(pidfd)
            for fd in ours:
                os.close(fd)
        return pipes.out, pipes.err, timed_out, pipes.capped

    def _spawn(
        self,
        program: Program,
        case: Case,
        work: Path,
        env: dict[str, str],
        fresh: bool = False,
        scrub: Callable[[bytes], bytes] | None = None,
    ) -> Outcome:
        """One run in ``work``; ``scrub`` rewrites the run's private paths in what the
        files snapshot digests (``scratch.snapshot``), as ``_scrub`` does in the rest."""
        start = time.monotonic()
        began = time.time()  # the wall clock files are dated by
        stdin_r, stdin_w = os.pipe2(os.O_CLOEXEC)
        stdout_r, stdout_w = os.pipe2(os.O_CLOEXEC)
        stderr_r, stderr_w = os.pipe2(os.O_CLOEXEC)
        ours = {stdin_w, stdout_r, stderr_r}
        try:
            proc = self._start(program, case, work, env, (stdin_r, stdout_w, stderr_w), fresh)
        except BaseException:
            for fd in ours:
                os.close(fd)
            raise
        finally:
            for fd in (stdin_r, stdout_w, stderr_w):
                os.close(fd)
        _RUNNING.add(proc.pid)
        try:
            out, err, timed_out, capped = self._watch(proc, case, start, stdin_w, stdout_r, stderr_r, ours)
            status, cpu, max_rss = proc.reap()
        finally:
            _RUNNING.discard(proc.pid)
            # Once the run is reaped (or has failed), so that a cage left with nothing
            # but this process is seen as such at once (``ProcessCage.alone``):
            # whatever left the process group (setsid) dies here.
            if self.cage is not None:
                sweep_cage(self.cage)
            reap_orphans()
        wall = time.monotonic() - start
        stats: Stats = {}
        files = snapshot(work, self._bounds, stats, scrub)
        attrs = attributes(files, stats, case.files, (began, time.time()), FROZEN_EPOCH if self.hermetic else None)
        if timed_out:
            termination, code, sig = Termination.TIMEOUT, None, None
        elif capped:
            termination, code, sig = Termination.OUTPUT_CAP, None, None
        elif os.WIFSIGNALED(status):
            termination, code, sig = Termination.SIGNALLED, None, os.WTERMSIG(status)
        else:
            termination, code, sig = Termination.EXITED, os.WEXITSTATUS(status), None
        return Outcome(
            termination=termination,
            exit_code=code,
            signal=sig,
            stdout=bytes(out),
            stderr=bytes(err),
            files=files,
            attrs=attrs,
            cpu_seconds=round(cpu, 6),
            max_rss_kb=max_rss,
            wall_seconds=round(wall, 6),
        )


class _Pipes:
    """The main process's ends of a run's pipes, registered with ``poller``: the
    case's stdin written to the run, its stdout and stderr read, each kept up to
    ``cap`` bytes (``capped`` once either passed it). ``ours`` loses each
    descriptor closed here."""

    def __init__(self, poller: select.poll, fds: tuple[int, int, int], stdin: bytes, cap: int, ours: set[int]) -> None:
        self.poller = poller
        self.stdin_w, stdout_r, stderr_r = fds
        self.out = bytearray()
        self.err = bytearray()
        self.buffers = {stdout_r: self.out, stderr_r: self.err}
        self.cap = cap
        self.capped = False
        self.ours = ours
        self.open_streams = 2
        poller.register(stdout_r, select.POLLIN)
        poller.register(stderr_r, select.POLLIN)
        self.pending = memoryview(stdin)
        self.stdin_fd = self.stdin_w if self.pending else -1  # its number may be reused once closed
        if self.pending:
            os.set_blocking(self.stdin_w, False)
            poller.register(self.stdin_w, select.POLLOUT)
        else:
            self._close_stdin()

    def ready(self, fd: int) -> None:
        """``fd`` may be written (stdin) or read (stdout, stderr) without blocking."""
        if fd == self.stdin_fd:
            self._write()
        else:
            self._read(fd)

    def _write(self) -> None:
        try:
            written = os.write(self.stdin_w, self.pending[:READ_CHUNK])
            self.pending = self.pending[written:]
        except BlockingIOError:
            pass
        except (BrokenPipeError, OSError):
            self.pending = self.pending[:0]
        if not self.pending:
            self.poller.unregister(self.stdin_w)
            self._close_stdin()

    def _close_stdin(self) -> None:
        os.close(self.stdin_w)
        self.ours.discard(self.stdin_w)

    def _read(self, fd: int) -> None:
        chunk = os.read(fd, READ_CHUNK)
        if not chunk:
            self.poller.unregister(fd)
            self.open_streams -= 1
            return
        buf = self.buffers[fd]
        buf += chunk
        if len(buf) > self.cap:
            del buf[self.cap :]
            self.capped = True


def _pump(poller: select.poll, pidfd: int | None, exited: bool, pipes: _Pipes, deadline: float) -> bool:
    """Serve ``pipes`` until the run has ended (``pidfd`` readable, or ``exited``
    already) and its streams are closed, or its output is capped; whether
    ``deadline`` passed first (a timeout).

    A run's output ends when its streams close, not when its main process exits:
    a process it left behind holding them still writes where a user reads (``prog
    | cat`` prints it, and waits for it). Draining them for 0.2 s only, as before,
    let a port whose background child printed a line 0.3 s after the exit score 1.0;
    one that holds them open past the deadline now times out, as its pipeline would."""
    while pipes.open_streams or not exited:
        now = time.monotonic()
        if now >= deadline:
            return True
        for fd, _ in poller.poll(max(0.0, deadline - now) * 1000):
            if fd == pidfd:
                exited = True
                poller.unregister(fd)
            else:
                pipes.ready(fd)
        if pipes.capped:
            break
    return False


def run_env(base: Mapping[str, str], case: Case, work: Path, tmp: Path) -> dict[str, str]:
    """A run's environment: the task's, the case's entries, and its own directories."""
    env = dict(base)
    env.update(case.env)
    env["HOME"] = str(work)
    env["PWD"] = str(work)
    env["TMPDIR"] = str(tmp)
    return env


def sweep_cage(cage: ProcessCage) -> None:
    """``cage.sweep()``, sparing ``SPARED`` (helpers such as fork-servers outlive runs)."""
    if not SPARED:
        cage.sweep()
        return
    for _ in range(SWEEP_ROUNDS):
        others = [p for p in cage.members() if p != cage.me and p not in SPARED]
        if not others:
            return
        for pid in others:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.001)


def missing_interpreter(path: str) -> str | None:
    """What is wrong with a script whose ``#!`` line names an interpreter that is not
    there (an absolute path that does not exist, or ``env``'s program not on
    ``PATH``), said for a message; None for any other file."""
    with contextlib.suppress(OSError):
        with open(path, "rb") as fh:
            line = fh.readline(256)
        if not line.startswith(b"#!"):
            return None
        words = [w.decode(errors="replace") for w in line[2:].split()]
        named = [w for w in words[1:] if not w.startswith("-")]
        by_env = bool(words) and os.path.basename(words[0]) == "env" and bool(named) and "=" not in named[0]
        if not words or not os.path.exists(words[0]):
            missing = words[0] if words else "(nothing)"
        elif by_env and shutil.which(named[0], path=os.environ.get("PATH", os.defpath)) is None:
            missing = named[0]
        else:
            return None
        return f"its #! line names {missing}, which is not installed"
    return None


def _not_started(path: str, exc: OSError) -> str:
    """Why ``path`` could not be started, and the fix: a script whose ``#!`` names
    an interpreter that is not there fails with ENOENT although the script is."""
    missing = missing_interpreter(path) if exc.errno == errno.ENOENT else None
    if missing is not None:
        return f"cannot start {path}: {missing}; install it or fix that line"
    return f"cannot start {path}: {exc.strerror}; check the path and its execute bit"


def become_subreaper() -> bool:
    """Make this process (a pool worker) the parent of the orphans its runs leave
    (``PR_SET_CHILD_SUBREAPER``), so that ``reap_orphans`` reaps them after each run;
    whether the kernel agreed. Left to an init that reaps slowly (a container's
    first process often does), the background children a run's end killed stayed
    zombies, each still counted in the worker's pids cgroup, until a later run of
    a port that was right could not fork ("Cannot fork") and was called flaky."""
    import ctypes

    global _subreaper
    _subreaper = bool(ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    return _subreaper


def reap_orphans() -> None:
    """Reap the ended orphans this subreaper adopted (none unless ``become_subreaper``
    was called), leaving fork-servers (``SPARED``) and runs not reaped yet
    (``_RUNNING``) to whoever waits for them."""
    while _subreaper:
        try:  # a look that leaves the child waitable, then a wait for it by its pid
            seen = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if seen is None or seen.si_pid in SPARED or seen.si_pid in _RUNNING:
            return
        try:
            if os.waitpid(seen.si_pid, os.WNOHANG)[0] == 0:
                return  # not waitable after all: never spin on it
        except ChildProcessError:
            continue  # another thread reaped it


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _scrubbed(data: bytes, work: bytes, base: bytes) -> bytes:
    """``data`` with a run's private paths (``work`` below ``base``) as fixed placeholders."""
    if base not in data:
        return data
    fixed = data.replace(work, WORKDIR_PLACEHOLDER).replace(base + b"/tmp", TMP_PLACEHOLDER)
    return fixed.replace(base, PARENT_PLACEHOLDER)  # what is left: the working directory's parent


def _scrub(outcome: Outcome, fix: Callable[[bytes], bytes], base: bytes) -> Outcome:
    """Replace this run's private paths with fixed placeholders (``fix``: ``_scrubbed``)."""
    files = tuple((n, None if c is None else fix(c)) for n, c in outcome.files)
    if base not in outcome.stdout and base not in outcome.stderr and files == outcome.files:
        return outcome
    return dataclasses.replace(outcome, stdout=fix(outcome.stdout), stderr=fix(outcome.stderr), files=files)


def _looks_runnable(path: str) -> bool:
    """Whether a file starts as a script (``#!``) or an ELF binary does."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        return True  # unreadable: the usual advice
    return head.startswith((b"#!", b"\x7fELF"))


def resolve_executable(name: str, path: str) -> str:
    """An absolute path for ``name``: as given when it has a slash, else found on ``path``."""
    if os.sep in name:
        full = os.path.abspath(name)
        if os.path.isdir(full):
            raise ProgramError(f"program {name!r} is a directory; give the program inside it")
        if not os.path.isfile(full):
            raise ProgramError(f"program {name!r} does not exist; check the path")
        if not os.access(full, os.X_OK):
            if _looks_runnable(full):
                raise ProgramError(f"program {name!r} is not executable; run chmod +x {name}")
            raise ProgramError(
                f"program {name!r} is not executable and is no program (no '#!' line, not a binary): check "
                f"the path, or name its interpreter (python3 {name})"
            )
        return full
    found = shutil.which(name, path=path)
    if found is None:
        raise ProgramError(f"program {name!r} was not found on PATH ({path}); install it or give its absolute path")
    return os.path.abspath(found)
