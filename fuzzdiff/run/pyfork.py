"""A fork-server for Python candidates: one interpreter per worker, one fork per case.

A fresh interpreter costs tens of milliseconds before a script's first line
runs; most of it is start-up and imports. ``PythonForkLauncher`` starts the
candidate's interpreter once (same executable, same argv[0] and flags, the
environment a case gets), has it import what the script imports, and then runs
each case in a forked child of that server (``pyfork_server.py``) that makes
itself what a fresh ``python3 script.py`` would be: argv, ``__main__``,
``sys.path[0]``, standard streams, environment, working directory, session,
rlimits. The case's pipe ends travel to the server over a Unix socket, so the
executor keeps its own selector loop, output caps, deadline and group kill.

Where fidelity cannot be promised the launcher declines and the executor runs a
fresh process; each decline names its reason (``fallbacks``, ``static_reason``):
programs that are not ``python script.py`` or a Python-shebang script, unknown
interpreter flags, a case that changes ``PYTHON*``, locale, ``TZ`` or ``PATH``
variables, or creates ``~/.local`` (user site-packages), a script that does not
compile cleanly, a server that failed or died. ``take_launches`` hands over
how each run of a Python program started since it was last called
(``model.LAUNCH_FORKED``, or ``LAUNCH_FRESH`` and the reason); the pool runner
gathers these into campaign and score results.

A server's start-up directory (home, temp, log) is removed once it has started.
A run that stops (or traces) its server, which a fresh run would have done to
its own parent, is noticed (``interfered``): the server is killed and the run
lost (``LaunchLost``: the executor reruns it fresh). Inside a sandbox
(``sandbox_worker``) the launcher is made with ``shield``: its servers are not
dumpable, so runs cannot ptrace them nor open their memory or descriptors.

Known differences from a fresh run: seeds other libraries draw at import
time (``os.fork`` reseeds ``random``) are shared; the script's module frame has
the server's frame below it (``sys._getframe(1)``; the recursion depth this
costs is compensated on CPython 3.11); modules the script imports only in some
paths are already loaded; objects of the server (start-up and preimported
modules) are frozen out of the garbage collector (``gc.freeze``), so cyclic
garbage among them is not collected at the child's exit.
"""

from __future__ import annotations

import ast
import contextlib
import marshal
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any

from fuzzdiff.core.model import LAUNCH_FORKED, LAUNCH_FRESH, Case, Program
from fuzzdiff.core.spec import Limits
from fuzzdiff.run.execute import SPARED, LaunchLost, apply_limits, default_root
from fuzzdiff.run.landlock import shed_capabilities
from fuzzdiff.run.scratch import remove_tree

SERVER = str(Path(__file__).with_name("pyfork_server.py"))
#: Interpreter names recognised as CPython (``python``, ``python3``, ``python3.11``).
PYTHON_NAME = re.compile(r"python(\d+(\.\d+)?)?")
#: Interpreter options that change nothing the server cannot reproduce by being
#: started with them too; anything else (-c, -m, -i, -v, -X importtime ...) runs fresh.
PLAIN_FLAGS = frozenset("BEIOPqsSub")
X_OPTIONS = re.compile(r"utf8(=[01])?|int_max_str_digits=\d+|warn_default_encoding|frozen_modules=(on|off)")
#: Environment variables read at interpreter start-up or at import time: a case
#: that sets them differently from the server's start runs fresh.
SENSITIVE_PREFIXES = ("PYTHON", "LC_")
SENSITIVE_NAMES = frozenset({"LANG", "LANGUAGE", "TZ", "PATH"})
#: Variables that differ per case by construction and that the child sets itself.
PER_CASE = frozenset({"HOME", "PWD", "TMPDIR"})
#: Seconds a server may take to start and preimport (numpy-sized imports included).
START_TIMEOUT = 60.0
#: Seconds to wait for the server's answer to a request (it forks and replies).
REPLY_TIMEOUT = 10.0
#: Seconds between checks that a server that has not answered yet was not stopped.
POLL_SECONDS = 0.02
#: Times a server is restarted without a thread-starting module before giving up.
THREAD_RETRIES = 3
#: Server deaths tolerated per program before fresh runs only.
MAX_RESTARTS = 5
#: SIGSTOP's bit in /proc/PID/status's pending signal masks.
STOP_SIGNAL = 1 << (signal.SIGSTOP - 1)
#: Why a program is not run through a fork-server when it is no Python program
#: at all; its runs are not counted in ``launches``.
NOT_PYTHON = "not a Python program"
#: Why a run with a preloaded library (a hermetic run's libfaketime) starts fresh: the
#: loader preloads it at exec only, so a forked child of the server would run without it.
PRELOADED = "LD_PRELOAD takes effect at exec only"


@dataclass(frozen=True, slots=True)
class Plan:
    """How a fresh run starts the interpreter, and which script it runs."""

    executable: str  # what is executed to start the interpreter
    launch: tuple[str, ...]  # its argv up to the script (env + name, or argv0 + flags)
    prefix: tuple[str, ...]  # the interpreter's own argv up to the script (sys.orig_argv)
    script: str
    args: tuple[str, ...]  # words after the script in the candidate's command


def plan(program: Program, env: Mapping[str, str]) -> Plan | str:
    """The plan for running ``program`` through a fork-server, or why it cannot be."""
    exe = program.argv[0]
    if PYTHON_NAME.fullmatch(os.path.basename(exe)):
        return _interpreter_plan(program)
    try:
        with open(exe, "rb") as fh:
            first = fh.readline(256)
    except OSError:
        return NOT_PYTHON
    if not first.startswith(b"#!"):
        return NOT_PYTHON
    words = first[2:].strip(b" \t\n").split()
    if not any(b"python" in os.path.basename(w) for w in words):
        return NOT_PYTHON
    if not os.access(exe, os.X_OK):
        return "the script is not executable"
    if len(words) == 1 and PYTHON_NAME.fullmatch(os.path.basename(words[0]).decode(errors="replace")):
        interp = os.fsdecode(words[0])
        launch: tuple[str, ...] = (interp,)
        executable, prefix = interp, (interp,)
    elif len(words) == 2 and words[0] == b"/usr/bin/env" and PYTHON_NAME.fullmatch(os.fsdecode(words[1])):
        name = os.fsdecode(words[1])
        if shutil.which(name, path=env.get("PATH", os.defpath)) is None:
            return f"{name} is not on the task's PATH"
        launch, executable, prefix = ("/usr/bin/env", name), "/usr/bin/env", (name,)
    else:
        return "the shebang line is not a plain python interpreter"
    if not os.access(executable, os.X_OK):
        return f"interpreter {executable} is not executable"
    return Plan(executable, launch, prefix, exe, tuple(program.argv[1:]))


def _interpreter_plan(program: Program) -> Plan | str:
    words = list(program.argv[1:])
    flags: list[str] = []
    while words and words[0].startswith("-"):
        word = words.pop(0)
        if word in ("-c", "-m", "-", "--") or word.startswith(("-c", "-m")):
            return f"interpreter option {word} runs no script file"
        if word[1:2] in ("W", "X"):
            value = word[2:] or (words.pop(0) if words else "")
            if word[1] == "X" and not X_OPTIONS.fullmatch(value):
                return f"interpreter option -X {value} is not supported"
            flags.extend([word[:2], value])
        elif len(word) > 1 and all(c in PLAIN_FLAGS for c in word[1:]):
            flags.append(word)
        else:
            return f"interpreter option {word} is not supported"
    if not words:
        return "no script file"
    script = words[0]
    if not os.path.isabs(script) or not os.path.isfile(script):
        return "the script path is not an absolute path to a file"
    prefix = (program.argv0, *flags)
    return Plan(program.argv[0], prefix, prefix, script, tuple(words[1:]))


def script_imports(script: str) -> list[str]:
    """Absolute module names the script imports anywhere, in source order."""
    try:
        with open(script, "rb") as fh:
            tree = ast.parse(fh.read())
    except (OSError, SyntaxError, ValueError):
        return []
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*")
    return list(dict.fromkeys(names))


def _file_state(path: str) -> tuple[int, ...]:
    try:
        st = os.stat(path)
    except OSError:
        return ()
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _stop_all(servers: dict[Program, _Server]) -> None:
    while servers:
        servers.popitem()[1].stop()


def _kill_child(pid: int) -> None:
    """Kill a server's child and its session's group (it may not have called setsid yet)."""
    for kill in (os.killpg, os.kill):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(pid, signal.SIGKILL)


def _server_limits(limits: Limits) -> None:
    # As for a fresh candidate, but without the CPU limit: each child sets its own;
    # and without capabilities, as a campaign's workers and the sandbox hold none
    # (``execute.LocalExecutor`` may then use the server for a confine that sheds them).
    apply_limits(limits, cpu=False)
    shed_capabilities()
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class ServerError(Exception):
    """The server could not start or stopped answering."""


class _Server:
    """One running ``pyfork_server`` for one plan."""

    def __init__(
        self,
        plan: Plan,
        env: Mapping[str, str],
        limits: Limits,
        root: str | None,
        inherited: bool,
        skip: set[str],
        shield: bool = False,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self.plan = plan
        self.base = Path(os.path.realpath(tempfile.mkdtemp(prefix="fuzzdiff-pyfork-", dir=root)))
        home = self.base / "home"
        tmp = self.base / "tmp"
        home.mkdir()
        tmp.mkdir()
        self.env = dict(env)
        self.env.update({"HOME": str(home), "PWD": str(home), "TMPDIR": str(tmp)})
        self.log = self.base / "log"
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock = mine
        try:
            with open(self.log, "wb") as log:
                self.proc = subprocess.Popen(
                    [*plan.launch, SERVER, str(theirs.fileno())],
                    executable=plan.executable,
                    cwd=home,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    pass_fds=(theirs.fileno(),),
                    start_new_session=True,
                    preexec_fn=None if inherited else partial(_server_limits, limits),
                )
        except OSError as exc:
            mine.close()
            remove_tree(self.base)
            raise ServerError(f"cannot start {plan.executable}: {exc.strerror}") from exc
        finally:
            theirs.close()
        SPARED.add(self.proc.pid)
        cpu = None if inherited else int(limits.timeout) + 2
        names = [n for n in script_imports(plan.script) if n.partition(".")[0] not in skip and n not in skip]
        spawn_env = [(os.fsencode(k), os.fsencode(v)) for k, v in self.env.items()]
        config = {"script": plan.script, "cpu": cpu, "env": spawn_env, "names": names, "shield": shield}
        try:
            self.sock.settimeout(start_timeout)
            self._send(config)
            reply = self._recv()
        except (OSError, EOFError, ValueError) as exc:
            why = self.last_log()
            self.stop()
            raise ServerError(f"the fork-server did not start: {why}") from exc
        if not isinstance(reply, dict) or not reply.get("ok"):
            self.stop()
            refusal = reply.get("reason") if isinstance(reply, dict) else None
            raise ServerError(str(refusal or "the fork-server did not start"))
        self.info: dict[str, Any] = reply
        self.sock.settimeout(REPLY_TIMEOUT)
        # Its home, temp directory and log served the start only (children get the
        # case's): gone now, so that runs never see them (a sandbox's /tmp is theirs).
        remove_tree(self.base)

    def _send(self, obj: Any, fds: tuple[int, ...] = ()) -> None:
        data = marshal.dumps(obj)
        data = len(data).to_bytes(4, "little") + data
        if fds:
            sent = socket.send_fds(self.sock, [data], list(fds))
            data = data[sent:]
        if data:
            self.sock.sendall(data)

    def _recv(self) -> object:
        head = self._exact(4)
        return marshal.loads(self._exact(int.from_bytes(head, "little")))

    def _exact(self, size: int) -> bytes:
        buf = bytearray()
        while len(buf) < size:
            chunk = self.sock.recv(size - len(buf))
            if not chunk:
                raise EOFError("the fork-server closed its socket")
            buf += chunk
        return bytes(buf)

    def request(
        self, orig_argv: list[bytes], argv: list[bytes], env: dict[str, str], cwd: str, stdio: tuple[int, ...]
    ) -> tuple[str, Any]:
        """Send one case; returns ("pid", pid) once the child is ready to run the
        script, or ("fallback", why) or ("stale", why) when no child runs it.
        Raises ``LaunchLost`` (after killing the child, if there is one) when the
        server fails once it has the case's streams: the child may have run."""
        pairs = [(os.fsencode(k), os.fsencode(v)) for k, v in env.items()]
        pid = 0
        try:
            self._send((orig_argv, argv, pairs, os.fsencode(cwd)), stdio)
            kind, value = self._reply()
            if kind != "pid":
                return kind, value
            pid = int(value)
            kind, value = self._reply()
        except (OSError, EOFError, ValueError, ServerError) as exc:
            if pid > 0:
                _kill_child(pid)
            raise LaunchLost(f"the fork-server stopped answering: {exc}") from exc
        return ("pid", pid) if kind == "ready" else (kind, value)

    def _reply(self) -> tuple[str, Any]:
        self._await()
        reply = self._recv()
        if not isinstance(reply, tuple) or len(reply) != 2 or not isinstance(reply[0], str):
            raise ServerError("the fork-server sent a malformed reply")
        return reply[0], reply[1]

    def _await(self) -> None:
        """Wait for the server's next message. The case's script runs as soon as its
        child is set up, before the server's replies: if it stopped the server, the
        server is killed (``ServerError``)."""
        poll = select.poll()
        poll.register(self.sock, select.POLLIN)
        deadline = time.monotonic() + REPLY_TIMEOUT
        while not poll.poll(POLL_SECONDS * 1000):
            if self._stopped():
                raise ServerError("the fork-server was stopped")
            if time.monotonic() > deadline:
                raise ServerError("the fork-server did not answer")

    def _stopped(self) -> bool:
        """``interfered``, and if so the server is killed."""
        if not self.interfered():
            return False
        # what a fresh run would have done to its own parent (the executor) is seen
        # only when the case runs fresh
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        return True

    def reap(self) -> tuple[int, float, int]:
        if self._stopped():
            raise LaunchLost("the fork-server was stopped during the run")
        try:
            self._send("reap")
            self._await()
            reply = self._recv()
        except (OSError, EOFError, ValueError, ServerError) as exc:
            raise LaunchLost(f"the fork-server died during the run: {exc}") from exc
        if not (isinstance(reply, tuple) and len(reply) == 4 and reply[0] == "status"):
            raise LaunchLost("the fork-server sent a malformed status")
        _, status, cpu, rss = reply
        return int(status), float(cpu), int(rss)

    def interfered(self) -> bool:
        """Whether the server has a SIGSTOP pending or is stopped or traced (by the
        run, which is over: its processes are killed before the reap). The file is
        read twice: its state line comes before its signal masks, and a pending
        SIGSTOP turns into the stopped state between them."""
        try:
            first, second = (dict(_STATUS_FIELDS.findall(self._status())) for _ in range(2))
            pending = int(first[b"ShdPnd"], 16) | int(first[b"SigPnd"], 16)
            states = {first[b"State"][:1], second[b"State"][:1]}
        except (OSError, KeyError, IndexError, ValueError):
            return False  # gone: the reap finds out
        return bool(pending & STOP_SIGNAL) or bool(states & {b"T", b"t"})

    def _status(self) -> bytes:
        """``/proc/PID/status`` of the server (one read: the file is a few KiB)."""
        fd = os.open(f"/proc/{self.proc.pid}/status", os.O_RDONLY | os.O_CLOEXEC)
        try:
            return os.read(fd, 1 << 16)
        finally:
            os.close(fd)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def last_log(self) -> str:
        try:
            lines = self.log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        return lines[-1] if lines else "no output"

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
        try:
            self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        SPARED.discard(self.proc.pid)
        remove_tree(self.base)


#: The lines of /proc/PID/status that ``interfered`` reads (State comes first).
_STATUS_FIELDS = re.compile(rb"^(State|SigPnd|ShdPnd):\s*(\S+)", re.MULTILINE)

#: The reason noted when a server dies while a case runs (the case is rerun fresh).
LOST = "the fork-server died during the run; ran fresh"


@dataclass(slots=True)
class _Forked:
    """A case running in a fork-server's child (``execute.Started``)."""

    pid: int
    server: _Server
    launcher: PythonForkLauncher

    def reap(self) -> tuple[int, float, int]:
        try:
            return self.server.reap()
        except LaunchLost:
            self.launcher.lost(self.server)
            raise


class PythonForkLauncher:
    """Runs Python candidates in fork-server children; declines (``None``) otherwise.

    ``fallbacks`` counts the reasons cases ran fresh; ``forked`` counts the others.
    ``launches`` counts the runs of Python programs since ``take_launches`` was
    last called, by ``LAUNCH_FORKED`` or ``LAUNCH_FRESH`` and the reason
    (programs that are not Python are left out: a fork-server was never an
    option for them).
    """

    def __init__(
        self,
        env: Mapping[str, str],
        limits: Limits,
        root: str | None = None,
        limits_inherited: bool = False,
        shield: bool = False,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        """``shield``: servers make themselves non-dumpable (``pyfork_server``), so
        that the cases they fork cannot reach into them; for use in a sandbox.
        ``start_timeout``: seconds a server may take to start (its imports
        included); one that takes longer is given up (the case runs fresh)."""
        self.env = dict(env)
        self.limits = limits
        self.root = root if root is not None else default_root()
        self.limits_inherited = limits_inherited
        self.shield = shield
        self.start_timeout = start_timeout
        self.forked = 0
        self.fallbacks: Counter[str] = Counter()
        self.launches: Counter[str] = Counter()
        self.last_reason: str | None = None
        self._plans: dict[Program, Plan | str] = {}
        self._servers: dict[Program, _Server] = {}
        self._restarts: Counter[Program] = Counter()
        self._skip: dict[Program, set[str]] = {}
        #: Why a server for a program could not start, and the script's state then.
        self._refused: dict[Program, tuple[tuple[int, ...], str]] = {}
        # Pool workers end with os._exit, after multiprocessing's finalizers (not atexit's).
        Finalize(self, _stop_all, args=(self._servers,), exitpriority=10)

    def __getstate__(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "limits": self.limits,
            "root": self.root,
            "limits_inherited": self.limits_inherited,
            "shield": self.shield,
            "start_timeout": self.start_timeout,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["env"],
            state["limits"],
            state["root"],
            state["limits_inherited"],
            state.get("shield", False),
            state.get("start_timeout", START_TIMEOUT),
        )

    def static_reason(self, program: Program) -> str | None:
        """Why no case of ``program`` can run in a fork-server, or None."""
        found = self._plans.get(program)
        if found is None:
            found = plan(program, self.env)
            if isinstance(found, Plan) and self.env.get("LD_PRELOAD"):
                found = PRELOADED
            self._plans[program] = found
        return found if isinstance(found, str) else None

    def launch(
        self, program: Program, case: Case, work: Path, env: dict[str, str], stdio: tuple[int, int, int]
    ) -> _Forked | None:
        why = self.static_reason(program)
        if why is None:
            why = self._case_reason(case, env)
        if why is None:
            started = self._try(program, case, work, env, stdio)
            if isinstance(started, _Forked):
                self.forked += 1
                self.launches[LAUNCH_FORKED] += 1
                self.last_reason = None
                return started
            why = started
        self.fallbacks[why] += 1
        if why != NOT_PYTHON:
            self.launches[LAUNCH_FRESH + why] += 1
        self.last_reason = why
        return None

    def take_launches(self) -> tuple[tuple[str, int], ...]:
        """``launches`` since the last call, sorted by label; the count starts over."""
        taken = tuple(sorted((label, n) for label, n in self.launches.items() if n > 0))
        self.launches.clear()
        return taken

    def _case_reason(self, case: Case, env: Mapping[str, str]) -> str | None:
        for key in sorted(set(env) | set(self.env)):
            if key in PER_CASE:
                continue
            if (key.startswith(SENSITIVE_PREFIXES) or key in SENSITIVE_NAMES) and env.get(key) != self.env.get(key):
                return f"the case sets {key}, which the interpreter reads at start-up"
        if any(name == b".local" or name.startswith(b".local/") for name, _ in case.files):
            return "the case creates ~/.local (user site-packages are found at start-up)"
        return None

    def _try(
        self, program: Program, case: Case, work: Path, env: dict[str, str], stdio: tuple[int, int, int]
    ) -> _Forked | str:
        found = self._plans[program]
        assert isinstance(found, Plan)
        server = self._servers.get(program)
        if server is not None and not server.alive():
            self._drop(program)
            server = None
        if server is None:
            state = _file_state(found.script)
            refused = self._refused.get(program)
            if refused is not None and refused[0] == state:
                return refused[1]
            started = self._start(program, found)
            if isinstance(started, str):
                self._refused[program] = (state, started)
            if isinstance(started, str):
                return started
            server = started
        args = [found.script, *found.args]
        orig = [os.fsencode(a) for a in (*found.prefix, *args)] + list(case.argv)
        argv = [os.fsencode(a) for a in args] + list(case.argv)
        try:
            kind, value = server.request(orig, argv, env, str(work), stdio)
        except LaunchLost:
            self.lost(server, counted=False)
            raise
        if kind == "pid":
            return _Forked(int(value), server, self)
        if kind == "stale":
            self._servers.pop(program).stop()
        return str(value)

    def _start(self, program: Program, found: Plan) -> _Server | str:
        if self._restarts[program] > MAX_RESTARTS:
            return "the fork-server kept dying"
        skip = self._skip.setdefault(program, set())
        for _ in range(THREAD_RETRIES + 1):
            try:
                server = _Server(
                    found,
                    self.env,
                    self.limits,
                    self.root,
                    self.limits_inherited,
                    skip,
                    self.shield,
                    self.start_timeout,
                )
            except ServerError as exc:
                reason = str(exc)
                threaded = re.match(r"RuntimeError: threads: importing (\S+) started a thread", reason)
                if threaded:
                    skip.add(threaded.group(1))
                    continue
                return f"fork-server: {reason}"
            self._restarts[program] += 1
            self._servers[program] = server
            return server
        return "fork-server: imports keep starting threads"

    def lost(self, server: _Server, counted: bool = True) -> None:
        """``server`` died during a run (``counted`` as forked): note it; the next
        case starts a new one."""
        self.forked -= counted
        self.launches[LAUNCH_FORKED] -= counted
        self.fallbacks[LOST] += 1
        self.launches[LAUNCH_FRESH + LOST] += 1
        self.last_reason = LOST
        for program, running in list(self._servers.items()):
            if running is server:
                self._drop(program)

    def _drop(self, program: Program) -> None:
        server = self._servers.pop(program, None)
        if server is not None:
            server.stop()

    def servers(self) -> dict[Program, dict[str, Any]]:
        """What each running server reported at start (version, preimported modules)."""
        return {p: s.info for p, s in self._servers.items()}

    def close(self) -> None:
        _stop_all(self._servers)

    def forget(self) -> None:
        """Stop every server and forget what was learned of each program (plans,
        restarts, refusals): the programs from now on are new ones, even at the
        same paths. The launch counts are kept until ``take_launches``."""
        self.close()
        self._plans.clear()
        self._restarts.clear()
        self._skip.clear()
        self._refused.clear()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()
