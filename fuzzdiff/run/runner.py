"""Running the reference and the candidate on batches of cases, serially or on several cores.

A ``PairRunner`` takes cases in a fixed order and returns their outcome pairs in
the same order, whatever order the work finished in, so parallelism never
changes a result. Results are cached by case content, which shrinking relies on
(it proposes the same case many times). ``launches`` counts how the candidate's
runs of a Python program started (fork-server, or fresh and why), gathered from
the workers with their outcomes.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import multiprocessing
import os
import select
import shutil
import signal
import tempfile
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from multiprocessing.util import Finalize
from typing import TYPE_CHECKING, Protocol

from fuzzdiff.core.model import Case, Outcome, Program, Termination
from fuzzdiff.core.spec import Limits
from fuzzdiff.run.allowlist import Root
from fuzzdiff.run.cage import ProcessCage
from fuzzdiff.run.execute import Executor, LocalExecutor, apply_limits, default_root
from fuzzdiff.run.landlock import drop_capabilities, undumpable

if TYPE_CHECKING:
    from fuzzdiff.run.pyfork import PythonForkLauncher
    from fuzzdiff.run.sandbox import SandboxExecutor

#: Cases sent to a worker at once, at most (see ``chunk_sizes`` for how a batch is
#: cut). On one core, chunks of 32 rather than 8 ran 2 to 4% more pairs a second.
CHUNK = 32
#: Largest pickled call a worker is given while it still has one in hand (see
#: ``_Workers.map_in_order``): far below the 208 KiB socket buffer, far above a
#: chunk of ordinary cases (a chunk of 4 generated base64 cases: 0.3 to 0.6 KiB).
QUEUED_BYTES = 16 << 10
#: Outcome pairs kept in the cache; bounded so long campaigns stay flat in memory.
CACHE_SIZE = 4096
#: Bytes of cases and outcomes the cache keeps (``Case.size``, ``Outcome.size``),
#: oldest dropped first: pairs of large mutants (64 KiB inputs, outputs up to the
#: cap) would otherwise make CACHE_SIZE pairs hundreds of MiB. Shrinking, which
#: relies on the cache, works on small cases.
CACHE_BYTES = 8 << 20

#: Executions between returns of free heap memory to the system (``malloc_trim``).
TRIM_EVERY = 1024

Pair = tuple[Outcome, Outcome]
#: (label, runs) as ``pyfork.PythonForkLauncher.take_launches`` hands them over.
Launches = tuple[tuple[str, int], ...]


class Meanwhile(Protocol):
    """Work the caller wants done while the workers run its batch, typically judging
    the pairs already back. A runner tells it each pair as it becomes known (in any
    order, perhaps not all of them: the returned list is what counts) and advances
    it a step at a time whenever no worker's reply is waiting. It may leave any part
    undone (the caller finishes it); results must never depend on how far it got."""

    def arrived(self, index: int, pair: Pair) -> None:
        """The pair of ``cases[index]`` is known."""

    def step(self) -> bool:
        """A little of the work; False when there is nothing to do until more arrives."""
        ...


class PairRunner(Protocol):
    isolation: str

    def run_pairs(self, cases: Sequence[Case], fresh: bool = False, meanwhile: Meanwhile | None = None) -> list[Pair]:
        """Outcome pairs in the order of ``cases``; ``fresh`` bypasses the cache.
        ``meanwhile``: see ``Meanwhile``."""
        ...

    def close(self) -> None: ...


class _Cache:
    """The most recently used pairs, at most ``size`` of them and ``max_bytes`` in
    all; a pair larger than ``max_bytes`` alone is not kept. What it holds
    depends only on the order of calls."""

    def __init__(self, size: int = CACHE_SIZE, max_bytes: int = CACHE_BYTES) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self.data: OrderedDict[Case, Pair] = OrderedDict()
        self.hits = 0

    @staticmethod
    def cost(case: Case, pair: Pair) -> int:
        """Bytes of data a pair and its case hold: inputs, streams and files."""
        return case.size() + pair[0].size() + pair[1].size()

    def get(self, case: Case) -> Pair | None:
        pair = self.data.get(case)
        if pair is not None:
            self.hits += 1
            self.data.move_to_end(case)
        return pair

    def put(self, case: Case, pair: Pair) -> None:
        old = self.data.pop(case, None)
        if old is not None:
            self.bytes -= self.cost(case, old)
        cost = self.cost(case, pair)
        if cost > self.max_bytes:
            return
        self.data[case] = pair
        self.bytes += cost
        while len(self.data) > self.size or self.bytes > self.max_bytes:
            dropped, dropped_pair = self.data.popitem(last=False)
            self.bytes -= self.cost(dropped, dropped_pair)


def _glibc_allocator() -> Callable[[], object] | None:
    """glibc only: a call that returns free heap pages to the system, after fixing the
    mmap threshold at its default (128 KiB). Outcomes are unpickled on the pool's
    manager thread, in its own malloc arena, and freed on this one in cache order;
    glibc's moving mmap threshold puts large buffers (chunk results, set tables) on
    the heaps once one is freed. Without both, the main process's resident memory
    keeps rising in steps over a long campaign (benchmarks/memory.py) though the
    live data is capped. None where the C library has no ``malloc_trim``."""
    try:
        libc = ctypes.CDLL(None)
        trim, mallopt = libc.malloc_trim, libc.mallopt
    except (OSError, AttributeError):
        return None
    trim.argtypes, mallopt.argtypes = [ctypes.c_size_t], [ctypes.c_int, ctypes.c_int]
    mallopt(-3, 128 << 10)  # M_MMAP_THRESHOLD: large blocks always mmapped, unmapped when freed
    return lambda: trim(0)


class SerialRunner:
    """Runs every pair in this process with any executor (real or fake)."""

    def __init__(self, executor: Executor, reference: Program, candidate: Program) -> None:
        self.executor = executor
        self.reference = reference
        self.candidate = candidate
        self.cache = _Cache()
        self.executions = 0
        self.isolation: str = getattr(executor, "isolation", "none")
        #: How runs started, where the executor has a launcher that counts them (``pyfork``).
        self.launches: Counter[str] = Counter()
        self._take_launches = getattr(getattr(executor, "launcher", None), "take_launches", None)

    def run_pairs(self, cases: Sequence[Case], fresh: bool = False, meanwhile: Meanwhile | None = None) -> list[Pair]:
        """``meanwhile`` is left to the caller: runs here are in this process."""
        out: list[Pair] = []
        for case in cases:
            pair = None if fresh else self.cache.get(case)
            if pair is None:
                pair = (self.executor.run(self.reference, case), self.executor.run(self.candidate, case))
                self.executions += 1
                self.cache.put(case, pair)
                if self._take_launches is not None:
                    self.launches.update(dict(self._take_launches()))
            out.append(pair)
        return out

    def close(self) -> None:
        pass


@dataclass(frozen=True, slots=True)
class Isolation:
    """How workers run programs: locally, or each side in its own sandbox. ``masked``
    paths are hidden from the candidate only. ``landlock``: the sandbox is the
    Landlock fallback (``fuzzdiff.run.landlock``) rather than bubblewrap."""

    sandbox: bool = False
    masked: tuple[str, ...] = ()
    landlock: bool = False
    #: Python candidates run in a fork-server (``fuzzdiff.run.pyfork``), inside the
    #: candidate's bubblewrap sandbox when sandboxed (not under the Landlock
    #: fallback); ``FUZZDIFF_PYFORK=0`` in the environment turns it off.
    python_fork: bool = field(default_factory=lambda: os.environ.get("FUZZDIFF_PYFORK", "1") != "0")
    #: In bubblewrap, the candidate's root holds only these host paths
    #: (``fuzzdiff.run.allowlist``); None: the host's ``/``, read-only.
    root: Root | None = None


class _Worker:
    def __init__(
        self,
        reference: Executor,
        candidate: Executor,
        programs: tuple[Program, Program],
        launcher: PythonForkLauncher | SandboxExecutor | None = None,
    ) -> None:
        self.executors = (reference, candidate)
        self.programs = programs
        self.launcher = launcher

    def run(self, side: int, case: Case) -> Outcome:
        return self.executors[side].run(self.programs[side], case)

    def launches(self) -> Launches:
        """How the candidate's runs started since the last call (empty without a fork-server)."""
        return self.launcher.take_launches() if self.launcher is not None else ()


_WORKER: _Worker | None = None


def _init_worker(
    env: Mapping[str, str], limits: Limits, reference: Program, candidate: Program, isolation: Isolation
) -> None:
    global _WORKER
    if isolation.sandbox:
        from fuzzdiff.run.sandbox import SandboxExecutor

        boxed = SandboxExecutor(
            env, limits, masked_paths=isolation.masked, python_fork=isolation.python_fork, allowlist=isolation.root
        )
        # the launch counts come back from the candidate's sandbox with each outcome
        _WORKER = _Worker(
            SandboxExecutor(env, limits), boxed, (reference, candidate), boxed if isolation.python_fork else None
        )
        return
    cage = ProcessCage.create(limits.processes)
    apply_limits(limits, cpu=False)
    if isolation.landlock:
        _WORKER = _Worker(
            _confined(env, limits, cage, isolation.masked, grant=reference.argv),
            _confined(
                env,
                limits,
                cage,
                isolation.masked,
                grant=(),
                allowed=None if isolation.root is None else tuple(sorted(isolation.root.binds)),
            ),
            (reference, candidate),
        )
        return
    # Plain runs: programs inherit no capability (root's keep its uid but cannot
    # read past file modes, chown, chmod others' files or raise hard limits), so a
    # candidate can neither read nor replace the reference cache's key. Best effort:
    # a worker that cannot drop them runs on as it is.
    with contextlib.suppress(OSError):
        drop_capabilities()
    local = LocalExecutor(env, limits, limits_inherited=True, cage=cage)
    candidate_side = local
    launcher = None
    if isolation.python_fork:
        from fuzzdiff.run.pyfork import PythonForkLauncher

        launcher = PythonForkLauncher(env, limits, limits_inherited=True)
        candidate_side = LocalExecutor(env, limits, limits_inherited=True, cage=cage, launcher=launcher)
    _WORKER = _Worker(local, candidate_side, (reference, candidate), launcher)


def _confined(
    env: Mapping[str, str],
    limits: Limits,
    cage: ProcessCage | None,
    hidden: Sequence[str],
    grant: Sequence[str],
    allowed: tuple[str, ...] | None = None,
) -> LocalExecutor:
    """A local executor whose runs are confined by Landlock to their own directory
    tree (one per side and worker), with ``hidden`` unreadable except what
    ``grant`` names (the reference's own files, for the reference), and with
    ``allowed`` only those trees readable (the candidate's allowlist)."""
    from fuzzdiff.run.landlock import Policy, Ruleset, level

    root = tempfile.mkdtemp(prefix="fuzzdiff-side-", dir=default_root())
    Finalize(None, shutil.rmtree, args=(root,), kwargs={"ignore_errors": True}, exitpriority=10)
    granted = tuple(w for w in grant if os.path.isabs(w) and os.path.exists(w))
    ruleset = Ruleset(Policy(hidden=tuple(hidden), writable=(root,), granted=granted, allowed=allowed))
    executor = _OwnRootExecutor(env, limits, root=root, limits_inherited=True, cage=cage, confine=ruleset.restrict)
    executor.isolation = f"{level()}+{executor.isolation}"
    return executor


class _OwnRootExecutor(LocalExecutor):
    """A ``LocalExecutor`` whose root directory is its alone: after each run the
    root is emptied, so nothing a run wrote beside its own directories (it may
    write anywhere under the root) reaches the next run."""

    def run(self, program: Program, case: Case) -> Outcome:
        try:
            return super().run(program, case)
        finally:
            assert self.root is not None
            kept = self._scratch.path.name if self._scratch is not None else None
            for entry in os.scandir(self.root):
                if entry.name == kept:  # the executor's own directory, emptied by it
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


def _isolation() -> str:
    assert _WORKER is not None, "worker not initialised"
    return str(getattr(_WORKER.executors[1], "isolation", "unknown"))


def _run_chunk(
    cases: Sequence[Case], need_reference: Sequence[bool] | None = None
) -> tuple[list[tuple[Outcome | None, Outcome]], Launches]:
    """Both programs on each case; the reference only where ``need_reference`` says
    so. With the outcomes, how the candidate's runs started."""
    assert _WORKER is not None, "worker not initialised"
    worker = _WORKER
    outcomes = [
        (worker.run(0, c) if need_reference is None or need_reference[i] else None, worker.run(1, c))
        for i, c in enumerate(cases)
    ]
    return outcomes, worker.launches()


class WorkerLost(Exception):
    """A worker process died while it held work (a run killed it: ``kill -9 $PPID``)."""


class _HungUp(BaseException):
    """The main process closed its end of a worker's pipe: nobody will read what
    the worker does next. A ``BaseException`` so that no handler of run errors
    takes it for one."""


def _stop_on_hang_up(conn: Connection) -> None:
    """Raise ``_HungUp`` in this worker as soon as the main process closes its end
    of ``conn`` (it exits, was interrupted or killed, or gave up on the worker),
    even in the middle of a run, whose clean-up then kills what the run started.
    Workers are in their own session, so a terminal's ^C reaches only the main
    process; without this a worker would first finish the chunks it holds. The
    socket raises SIGIO on every event (``O_ASYNC``); the handler looks for a
    hang-up and ignores the rest (messages arriving)."""
    fd = conn.fileno()
    raised = False

    def on_io(signum: int, frame: object) -> None:
        nonlocal raised
        poller = select.poll()
        poller.register(fd, select.POLLRDHUP)  # POLLHUP and POLLERR are reported unasked
        if poller.poll(0) and not raised:
            raised = True
            raise _HungUp

    signal.signal(signal.SIGIO, on_io)
    fcntl.fcntl(fd, fcntl.F_SETOWN, os.getpid())
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_ASYNC)


def _serve(conn: Connection, initargs: tuple[object, ...]) -> None:
    """A worker's loop: set up (``_init_worker``), then run each ``(function, args)``
    received and send back ``("ok", result)`` or ``("error", exception)``, until
    told to stop or the main process is gone (``_stop_on_hang_up``).

    The worker first leaves the main process's session: a program's parent is
    its worker, so a candidate that signals its parent's process group
    (``kill -TERM -$(ps -o pgid= -p $PPID)``) reaches this worker alone (lost,
    restarted, and the run reported ``worker-lost``), never the main process or
    the shell that started it."""
    os.setsid()
    with contextlib.suppress(OSError):
        undumpable()  # no candidate may trace a worker or read its memory
    try:
        _stop_on_hang_up(conn)
        _serve_calls(conn, initargs)
    except (_HungUp, BrokenPipeError, ConnectionResetError):
        return  # the main process is gone: nobody reads what this worker would say
    finally:
        # Done serving: the hang-up that follows must not interrupt the exit's
        # clean-up (fork-servers stopping), which would print a traceback.
        signal.signal(signal.SIGIO, signal.SIG_IGN)


def _serve_calls(conn: Connection, initargs: tuple[object, ...]) -> None:
    try:
        _init_worker(*initargs)  # type: ignore[arg-type]
    except _HungUp:
        raise
    except BaseException as exc:  # reported to the main process, which raises it
        conn.send(("error", exc))
        return
    conn.send(("ok", None))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the main process is gone
        if message is None:
            return
        function, args = message
        try:
            reply: tuple[str, object] = ("ok", function(*args))
        except Exception as exc:  # reported to the main process, which raises it
            reply = ("error", exc)
        conn.send(reply)


def _hang_up(conns: Sequence[Connection]) -> None:
    for conn in conns:
        conn.close()


class _Workers:
    """``jobs`` worker processes, each served over its own pipe.

    Replaces ``ProcessPoolExecutor``, whose manager and feeder threads hand every
    message on: with two workers on two cores they left both CPUs about 9% idle
    (a pipe per worker: under 1%, and 10 to 15% more pairs a second). Workers
    start from a fork server (never inheriting this process's threads or locks)."""

    def __init__(self, jobs: int, initargs: tuple[object, ...]) -> None:
        self.context = multiprocessing.get_context("forkserver")
        # The fork server imports fuzzdiff once, when it starts (``__main__`` is its
        # default): a worker forked from it starts with the modules loaded instead of
        # importing them (0.2 s each, hypothesis included), which a reward oracle
        # scoring one candidate after another would pay for every candidate.
        self.context.set_forkserver_preload(["__main__", __name__])
        self.initargs = initargs
        self.conns: list[Connection] = []
        self.procs: list[multiprocessing.process.BaseProcess] = []
        # At exit without ``close`` (an exception went past the caller), multiprocessing
        # joins the workers, which wait for their next call for ever: hang up on them first.
        Finalize(self, _hang_up, args=(self.conns,), exitpriority=100)
        try:
            for _ in range(jobs):  # all started, then all awaited: they set up side by side
                self._start()
            for conn in self.conns:
                self.reply(conn)  # set up, or its error raised here
        except BaseException:
            self.close()
            raise

    def _start(self) -> None:
        ours, theirs = self.context.Pipe()
        proc = self.context.Process(target=_serve, args=(theirs, self.initargs), name="fuzzdiff-worker")
        proc.start()
        theirs.close()
        self.conns.append(ours)
        self.procs.append(proc)

    @staticmethod
    def reply(conn: Connection) -> object:
        """The next reply on ``conn``; raises what the worker raised, or ``WorkerLost``."""
        try:
            status, value = conn.recv()
        except (EOFError, OSError) as exc:
            raise WorkerLost("a worker process died") from exc
        if status == "error":
            assert isinstance(value, BaseException)
            raise value
        return value

    @classmethod
    def send(cls, conn: Connection, function: Callable[..., object], *args: object) -> None:
        cls.send_bytes(conn, bytes(ForkingPickler.dumps((function, args))))

    @staticmethod
    def send_bytes(conn: Connection, message: bytes) -> None:
        """A pickled ``(function, args)``, as ``conn.send`` would have sent it."""
        try:
            conn.send_bytes(message)
        except (BrokenPipeError, ConnectionResetError, OSError) as exc:
            raise WorkerLost("a worker process died") from exc

    def call(self, function: Callable[..., object], *args: object) -> object:
        """``function(*args)`` on the first worker."""
        self.send(self.conns[0], function, *args)
        return self.reply(self.conns[0])

    def map_in_order(
        self,
        function: Callable[..., object],
        arguments: Sequence[tuple[object, ...]],
        step: Callable[[], bool] | None = None,
        on_reply: Callable[[int, object], None] | None = None,
    ) -> list[object]:
        """``function(*a)`` for each ``a``, spread over the workers, results in the
        order of ``arguments``; ``WorkerLost`` if one died. ``on_reply(k, result)``
        is called as the result for ``arguments[k]`` comes back (in any order), and
        ``step()`` whenever no reply is waiting, until it returns False (then this
        waits for a reply). An error from either is raised once all replies are in,
        so the pool stays in step with its workers.

        A worker holds its current call and, when that call's message is small
        (``QUEUED_BYTES``), the next one, so it never waits for this process to
        be scheduled between calls: on two cores, with this process a third one
        competing for them, one call at a time left workers idle after each
        reply. A large message goes only to a worker with nothing in hand: with
        large cases going out and large outcomes coming back, both sides filled
        the socket and blocked in ``send`` for good (``tests/test_workers.py``).
        A small one always fits in the socket's buffer, which the worker empties
        (reading its current call whole) before it starts replying. The last
        ``jobs`` calls go only to workers with nothing in hand, so none waits
        behind another's last call while a worker idles."""
        results: dict[int, object] = {}
        queued: dict[Connection, deque[int]] = {conn: deque() for conn in self.conns}
        following = 0
        message: bytes | None = None  # arguments[following], pickled
        failed: BaseException | None = None  # raised by ``step`` or ``on_reply``
        poller = select.poll()  # the workers with calls in hand (kept across steps: cheap to ask)
        by_fd = {conn.fileno(): conn for conn in self.conns}

        def feed(conn: Connection) -> None:
            nonlocal following, message
            while following < len(arguments):
                held = len(queued[conn])
                if held > 1 or (held and len(arguments) - following <= len(self.conns)):
                    return
                if message is None:
                    message = bytes(ForkingPickler.dumps((function, arguments[following])))
                if held and len(message) > QUEUED_BYTES:
                    return
                self.send_bytes(conn, message)
                if not held:
                    poller.register(conn.fileno(), select.POLLIN)
                queued[conn].append(following)
                following += 1
                message = None

        for conn in self.conns:
            feed(conn)
        try:
            while len(results) < len(arguments):
                ready = poller.poll(0) if step is not None else []
                if not ready:
                    busy = False
                    if step is not None:
                        try:
                            busy = step()
                        except BaseException as exc:
                            failed, step = exc, None
                    if busy:
                        continue
                    ready = poller.poll()
                for fd, _ in ready:
                    done = by_fd[fd]
                    k = queued[done].popleft()
                    results[k] = self.reply(done)
                    if not queued[done]:
                        poller.unregister(fd)
                    feed(done)
                    if on_reply is not None and failed is None:
                        try:
                            on_reply(k, results[k])
                        except BaseException as exc:
                            failed = exc
                for idle in self.conns:  # a call held back may go to a worker now idle
                    if not queued[idle]:
                        feed(idle)
        except WorkerLost:
            if failed is not None:
                raise failed from None
            raise
        if failed is not None:
            raise failed
        return [results[k] for k in range(len(arguments))]

    def close(self, kill: bool = False) -> None:
        for conn in self.conns:
            if not kill:
                with contextlib.suppress(OSError, ValueError):
                    conn.send(None)
            conn.close()
        for proc in self.procs:
            proc.join(timeout=None if not kill else 1)
            if proc.is_alive():
                proc.kill()
                proc.join()
        self.conns, self.procs = [], []


class ReferenceCache(Protocol):
    """Outcomes of the reference by case, shared across candidates (see ``refcache``)."""

    def get(self, case: Case) -> Outcome | None: ...

    def put(self, case: Case, outcome: Outcome) -> None: ...


class PoolRunner:
    """Runs pairs on ``jobs`` worker processes, each with its own local executor."""

    def __init__(
        self,
        jobs: int,
        env: Mapping[str, str],
        limits: Limits,
        reference: Program,
        candidate: Program,
        reference_cache: ReferenceCache | None = None,
        isolation: Isolation = Isolation(),
    ):
        """``reference_cache``: reference outcomes found there are not run again, and
        new ones are added to it. ``isolation``: see ``Isolation``; a sandbox that
        cannot start here falls back to local runs, noted in ``warnings``."""
        self.warnings: list[str] = []
        if isolation.sandbox:
            from fuzzdiff.run.sandbox import bwrap_available

            if not bwrap_available():
                from fuzzdiff.run.landlock import abi

                if abi() >= 1:
                    self.warnings.append(
                        "bubblewrap cannot start a sandbox here (install bubblewrap, allow user namespaces); "
                        "falling back to Landlock, rlimits and a pids cgroup"
                    )
                    isolation = Isolation(
                        sandbox=False,
                        masked=isolation.masked,
                        landlock=True,
                        python_fork=isolation.python_fork,
                        root=isolation.root,
                    )
                else:
                    self.warnings.append(
                        "bubblewrap cannot start a sandbox here and the kernel has no Landlock "
                        "(install bubblewrap, allow user namespaces); running with rlimits and a pids cgroup "
                        "only: the candidate can read the reference and fuzzdiff's data"
                    )
                    isolation = Isolation(python_fork=isolation.python_fork)
        self.jobs = jobs
        self.cache = _Cache()
        self.reference_cache = reference_cache
        self.executions = 0
        self.reference_executions = 0
        self.candidate_executions = 0
        #: How the candidate's runs started (``pyfork``: fork-server, or fresh and
        #: why), summed over the workers; empty when no fork-server is in use.
        self.launches: Counter[str] = Counter()
        self._initargs = (dict(env), limits, reference, candidate, isolation)
        self._trim = _glibc_allocator()
        self._untrimmed = 0
        self.pool = _Workers(jobs, self._initargs)
        #: How the workers isolate runs (they all set up alike; ask one).
        self.isolation: str = str(self.pool.call(_isolation))

    def run_pairs(self, cases: Sequence[Case], fresh: bool = False, meanwhile: Meanwhile | None = None) -> list[Pair]:
        results: dict[int, Pair] = {}
        todo: list[tuple[int, Case]] = []
        for i, case in enumerate(cases):
            pair = None if fresh else self.cache.get(case)
            if pair is None:
                todo.append((i, case))
            else:
                results[i] = pair
        known: dict[int, Outcome] = {}
        if self.reference_cache is not None and not fresh:  # fresh: run the reference again too
            for i, case in todo:
                hit = self.reference_cache.get(case)
                if hit is not None:
                    known[i] = hit
        chunks: list[list[tuple[int, Case]]] = []
        start = 0
        for size in chunk_sizes(len(todo), self.jobs):
            chunks.append(todo[start : start + size])
            start += size
        if meanwhile is not None:
            for i, pair in sorted(results.items()):
                meanwhile.arrived(i, pair)
        # Chunks as they come back; if a worker is lost, the others are run again one case at a time.
        back: dict[int, list[tuple[Outcome | None, Outcome]]] = {}

        def on_reply(k: int, reply: object) -> None:
            back[k] = self._gather(reply)  # type: ignore[arg-type]
            if meanwhile is not None:
                for (i, _), (ref, cand) in zip(chunks[k], back[k], strict=True):
                    meanwhile.arrived(i, (known[i] if ref is None else ref, cand))

        try:
            self.pool.map_in_order(
                _run_chunk,
                [([c for _, c in chunk], [i not in known for i, _ in chunk]) for chunk in chunks],
                meanwhile.step if meanwhile is not None else None,
                on_reply,
            )
        except WorkerLost:
            # A run killed its worker (e.g. `kill -9 $PPID`): start new workers and
            # find which case and side did it, one case at a time.
            self._restart()
            for k, chunk in enumerate(chunks):
                if k not in back:
                    back[k] = self._one_by_one(chunk, known)
        for k, chunk in enumerate(chunks):
            for (i, case), (ref, cand) in zip(chunk, back[k], strict=True):
                if ref is None:
                    ref = known[i]
                else:
                    self.reference_executions += 1
                    if self.reference_cache is not None:
                        self.reference_cache.put(case, ref)
                self.candidate_executions += 1
                results[i] = (ref, cand)
                self.cache.put(case, (ref, cand))
                self.executions += 1
        self._untrimmed += len(todo)
        if self._trim is not None and self._untrimmed >= TRIM_EVERY:
            self._untrimmed = 0
            self._trim()
        return [results[i] for i in range(len(cases))]

    def _gather(
        self, result: tuple[list[tuple[Outcome | None, Outcome]], Launches]
    ) -> list[tuple[Outcome | None, Outcome]]:
        outcomes, launches = result
        self.launches.update(dict(launches))
        return outcomes

    def _restart(self) -> None:
        self.pool.close(kill=True)
        self.pool = _Workers(self.jobs, self._initargs)

    def _one_by_one(
        self, chunk: Sequence[tuple[int, Case]], known: Mapping[int, Outcome]
    ) -> list[tuple[Outcome | None, Outcome]]:
        """Run each case alone; a side that kills its worker gets a ``worker-lost`` outcome."""
        out: list[tuple[Outcome | None, Outcome]] = []
        for i, case in chunk:
            ref: Outcome | None = None
            if i not in known:
                ref = self._side(0, case)
            out.append((ref, self._side(1, case)))
        return out

    def _side(self, side: int, case: Case) -> Outcome:
        try:
            reply = self.pool.call(_run_side, side, case)
        except WorkerLost:
            self._restart()
            return Outcome(Termination.WORKER_LOST, None, None, b"", b"")
        assert isinstance(reply, tuple)
        outcome: Outcome = reply[0]
        launches: Launches = reply[1]
        self.launches.update(dict(launches))
        return outcome

    def close(self) -> None:
        self.pool.close()


def _run_side(side: int, case: Case) -> tuple[Outcome, Launches]:
    assert _WORKER is not None, "worker not initialised"
    outcome = _WORKER.run(side, case)
    return outcome, _WORKER.launches()


def chunk_sizes(count: int, jobs: int) -> list[int]:
    """How a batch of ``count`` cases is cut for ``jobs`` workers. One worker: in
    two (a message costs more than it saves). Several: each chunk a share of what
    is left (about ``1 / (2 * jobs)``, at most ``CHUNK``), so chunks shrink
    towards the end of the batch and no worker waits long for another's last one
    before the next batch can start."""
    if jobs == 1:
        size = max(1, min(CHUNK, count // 2))
        return [min(size, count - k) for k in range(0, count, size)]
    sizes: list[int] = []
    left = count
    while left > 0:
        size = max(1, min(CHUNK, -(-left // (2 * jobs))))
        sizes.append(size)
        left -= size
    return sizes


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
