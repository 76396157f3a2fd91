"""A pool of worker processes, each served over its own pipe.

``Workers`` starts ``jobs`` processes from a fork server; each runs a set-up
call once, then every ``(function, args)`` it is sent, replying ``("ok",
result)`` or ``("error", exception)``. ``Workers.map_in_order`` spreads calls
over the workers, keeps each one busy, and lets the caller work while it waits
(the runner's overlap: ``runner.Meanwhile``). Nothing here knows what the calls
do; ``worker`` holds what a worker of the pair runner sets up and runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing
import os
import select
import signal
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from multiprocessing.util import Finalize

from fuzzdiff.core.errors import UserError
from fuzzdiff.run.landlock import undumpable

#: Largest pickled call a worker is given while it still has one in hand (see
#: ``Workers.map_in_order``): far below the 208 KiB socket buffer, far above a
#: chunk of ordinary cases (a chunk of 4 generated base64 cases: 0.3 to 0.6 KiB).
QUEUED_BYTES = 16 << 10


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


def _serve(conn: Connection, setup: Callable[..., None], initargs: tuple[object, ...]) -> None:
    """A worker's loop: set up (``setup(*initargs)``), then run each ``(function,
    args)`` received and send back ``("ok", result)`` or ``("error", exception)``,
    until told to stop or the main process is gone (``_stop_on_hang_up``).

    The worker first leaves the main process's session: a program's parent is
    its worker, so a candidate that signals its parent's process group
    (``kill -TERM -$(ps -o pgid= -p $PPID)``) reaches this worker alone (lost,
    restarted, and the run reported ``worker-lost``), never the main process or
    the shell that started it."""
    os.setsid()
    with contextlib.suppress(OSError):
        undumpable()  # no candidate may trace a worker or read its memory
    try:
        try:
            _stop_on_hang_up(conn)
            _serve_calls(conn, setup, initargs)
        finally:
            # Done serving: the hang-up that follows must not interrupt the exit's
            # clean-up (fork-servers stopping), which would print a traceback. It
            # may come before this line is done (told to stop, then hung up on).
            signal.signal(signal.SIGIO, signal.SIG_IGN)
    except (_HungUp, BrokenPipeError, ConnectionResetError):
        return  # the main process is gone: nobody reads what this worker would say


def _serve_calls(conn: Connection, setup: Callable[..., None], initargs: tuple[object, ...]) -> None:
    try:
        setup(*initargs)
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


#: What a script that scores at import time is told (in the helper process that imported it).
UNGUARDED = (
    "fuzzdiff was called while Python was importing your script's __main__ module in a helper process "
    "(its workers start from a fork server that imports __main__): the script scores or trains at import "
    'time. Move that code into a function called under `if __name__ == "__main__":` (docs/training.md)'
)


class Workers:
    """``jobs`` worker processes, each served over its own pipe, each set up by
    ``setup(*initargs)`` (a module-level function: it is sent by name).

    Replaces ``ProcessPoolExecutor``, whose manager and feeder threads hand every
    message on: with two workers on two cores they left both CPUs about 9% idle
    (a pipe per worker: under 1%, and 10 to 15% more pairs a second). Workers
    start from a fork server (never inheriting this process's threads or locks)."""

    def __init__(self, jobs: int, setup: Callable[..., None], initargs: tuple[object, ...]) -> None:
        if getattr(multiprocessing.current_process(), "_inheriting", False):
            # Python is importing the caller's script in a helper process (the fork
            # server, or a worker): the script scores or trains at import time.
            raise UserError(UNGUARDED)
        self.context = multiprocessing.get_context("forkserver")
        # The fork server imports fuzzdiff once, when it starts (``__main__`` is its
        # default): a worker forked from it starts with the modules loaded instead of
        # importing them (0.2 s each, hypothesis included), which a reward oracle
        # scoring one candidate after another would pay for every candidate.
        self.context.set_forkserver_preload(["__main__", __name__, setup.__module__])
        self.setup = setup
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
        proc = self.context.Process(target=_serve, args=(theirs, self.setup, self.initargs), name="fuzzdiff-worker")
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

    def broadcast(self, function: Callable[..., object], *args: object) -> list[object]:
        """``function(*args)`` on every worker, side by side; their results in worker order."""
        for conn in self.conns:
            self.send(conn, function, *args)
        return [self.reply(conn) for conn in self.conns]

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
        stop: Callable[[object], bool] | None = None,
    ) -> list[object]:
        """``function(*a)`` for each ``a``, spread over the workers, results in the
        order of ``arguments``; ``WorkerLost`` if one died. ``on_reply(k, result)``
        is called as the result for ``arguments[k]`` comes back (in any order), and
        ``step()`` whenever no reply is waiting, until it returns False (then this
        waits for a reply). An error from either is raised once all replies are in,
        so the pool stays in step with its workers. Once ``stop(result)`` is true
        for a result, no further call is sent: the calls already sent are awaited
        and the result of each call never sent is None. How the calls are handed
        out: ``_Calls``."""
        calls = _Calls(self.conns, function, arguments, stop)
        side = _SideWork(step, on_reply)
        try:
            while not calls.all_back():
                ready = calls.ready(wait=False) if side.stepping else []
                if not ready:
                    if side.step():
                        continue
                    ready = calls.ready(wait=True)
                for fd in ready:
                    k, result = calls.take(fd)
                    side.replied(k, result)
                calls.feed_idle()
        except WorkerLost:
            if side.failed is not None:
                raise side.failed from None
            raise
        if side.failed is not None:
            raise side.failed
        return calls.results_in_order()

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


class _Calls:
    """The calls of one ``map_in_order``: what each worker holds, the next call to
    send (pickled once), and the results back so far.

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

    def __init__(
        self,
        conns: Sequence[Connection],
        function: Callable[..., object],
        arguments: Sequence[tuple[object, ...]],
        stop: Callable[[object], bool] | None = None,
    ) -> None:
        self.conns = conns
        self.stop = stop
        self.stopped = False
        self.function = function
        self.arguments = arguments
        self.queued: dict[Connection, deque[int]] = {conn: deque() for conn in conns}
        self.following = 0  # the index of the next call to send
        self.message: bytes | None = None  # arguments[following], pickled
        self.results: dict[int, object] = {}
        self.poller = select.poll()  # the workers with calls in hand (kept across steps: cheap to ask)
        self.by_fd = {conn.fileno(): conn for conn in conns}
        for conn in conns:
            self.feed(conn)

    def feed(self, conn: Connection) -> None:
        """Send ``conn``'s worker the calls it may hold (see the class)."""
        while self.following < len(self.arguments) and not self.stopped:
            held = len(self.queued[conn])
            if held > 1 or (held and len(self.arguments) - self.following <= len(self.conns)):
                return
            if self.message is None:
                self.message = bytes(ForkingPickler.dumps((self.function, self.arguments[self.following])))
            if held and len(self.message) > QUEUED_BYTES:
                return
            Workers.send_bytes(conn, self.message)
            if not held:
                self.poller.register(conn.fileno(), select.POLLIN)
            self.queued[conn].append(self.following)
            self.following += 1
            self.message = None

    def feed_idle(self) -> None:
        """A call held back may go to a worker now idle."""
        for conn in self.conns:
            if not self.queued[conn]:
                self.feed(conn)

    def ready(self, wait: bool) -> list[int]:
        """The descriptors of workers whose reply is waiting; ``wait``: until there is one."""
        return [fd for fd, _ in (self.poller.poll() if wait else self.poller.poll(0))]

    def take(self, fd: int) -> tuple[int, object]:
        """The reply waiting on ``fd``: the index of its call and its result. The
        worker is sent what it may hold now."""
        conn = self.by_fd[fd]
        k = self.queued[conn].popleft()
        self.results[k] = Workers.reply(conn)
        if self.stop is not None and not self.stopped and self.stop(self.results[k]):
            self.stopped = True
        if not self.queued[conn]:
            self.poller.unregister(fd)
        self.feed(conn)
        return k, self.results[k]

    def all_back(self) -> bool:
        """Every call sent has replied, and none is left to send (or sending stopped)."""
        sent_all = self.stopped or self.following == len(self.arguments)
        return sent_all and not any(self.queued.values())

    def results_in_order(self) -> list[object]:
        return [self.results.get(k) for k in range(len(self.arguments))]


class _SideWork:
    """``step`` and ``on_reply`` of one ``map_in_order``, called while its workers
    run. The first error either raises is kept in ``failed`` and raised once
    every reply is in; after it no reply is handed on, and a ``step`` that
    raised is not called again."""

    def __init__(self, step: Callable[[], bool] | None, on_reply: Callable[[int, object], None] | None) -> None:
        self._step = step
        self._on_reply = on_reply
        self.failed: BaseException | None = None

    @property
    def stepping(self) -> bool:
        return self._step is not None

    def step(self) -> bool:
        """A step of the caller's work; False when there is none (or it failed)."""
        if self._step is None:
            return False
        try:
            return self._step()
        except BaseException as exc:
            self.failed, self._step = exc, None
            return False

    def replied(self, k: int, result: object) -> None:
        if self._on_reply is None or self.failed is not None:
            return
        try:
            self._on_reply(k, result)
        except BaseException as exc:
            self.failed = exc
