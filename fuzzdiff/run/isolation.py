"""How a pool worker isolates the runs of each side: bubblewrap, else Landlock, else rlimits.

``Isolation`` is what the caller asks for; ``fall_back`` says what this machine
can give (a sandbox that cannot start falls back, with a warning); ``sides``
makes one worker's executors for it: each side in its own bubblewrap sandbox,
or local runs confined by Landlock to a root of their own, or plain local runs
without capabilities; all but the sandbox under the worker's rlimits and pids
cgroup. A Python candidate may run in a fork-server (``pyfork``).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.util import Finalize
from typing import TYPE_CHECKING

from fuzzdiff.core.model import Case, Outcome, Program
from fuzzdiff.core.spec import Limits
from fuzzdiff.run.allowlist import Root
from fuzzdiff.run.cage import ProcessCage
from fuzzdiff.run.execute import Executor, LocalExecutor, apply_limits, become_subreaper
from fuzzdiff.run.landlock import drop_capabilities, has_capability, libc
from fuzzdiff.run.scratch import clear_dir, default_root, private_dir, remove_private

if TYPE_CHECKING:
    from fuzzdiff.run.landlock import Ruleset
    from fuzzdiff.run.pyfork import PythonForkLauncher
    from fuzzdiff.run.sandbox import SandboxExecutor


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


#: The default: local runs under rlimits, a fork-server for a Python candidate
#: unless ``FUZZDIFF_PYFORK=0`` was set when this module was imported.
LOCAL = Isolation()


def fall_back(isolation: Isolation) -> tuple[Isolation, list[str]]:
    """The isolation this machine can give for ``isolation``, and warnings: a
    bubblewrap sandbox that cannot start here falls back to Landlock, or, where
    the kernel has none, to rlimits and a pids cgroup only."""
    if not isolation.sandbox:
        return isolation, []
    from fuzzdiff.run.sandbox import bwrap_available

    if bwrap_available():
        return isolation, []
    from fuzzdiff.run.landlock import abi

    if abi() >= 1:
        landlock = Isolation(
            sandbox=False,
            masked=isolation.masked,
            landlock=True,
            python_fork=isolation.python_fork,
            root=isolation.root,
        )
        return landlock, [
            "bubblewrap cannot start a sandbox here (install bubblewrap, allow user namespaces); "
            "falling back to Landlock, rlimits and a pids cgroup"
        ]
    return Isolation(python_fork=isolation.python_fork), [
        "bubblewrap cannot start a sandbox here and the kernel has no Landlock "
        "(install bubblewrap, allow user namespaces); running with rlimits and a pids cgroup "
        "only: the candidate can read the reference and fuzzdiff's data"
    ]


@dataclass(frozen=True, slots=True)
class Sides:
    """One worker's executors for the reference and the candidate, and what counts
    how the candidate's runs started (``take_launches``), if anything does."""

    reference: Executor
    candidate: Executor
    launcher: PythonForkLauncher | SandboxExecutor | None = None


def sides(env: Mapping[str, str], limits: Limits, reference: Program, isolation: Isolation) -> Sides:
    """The executors of a pool worker, made once in the worker process: but for a
    bubblewrap sandbox, they run under this process's limits (set here, once)
    and a pids cgroup made for it."""
    if isolation.sandbox:
        return _sandboxed(env, limits, isolation)
    become_subreaper()  # the orphans runs leave are this worker's to reap, not init's
    cage = ProcessCage.create(limits.processes)
    apply_limits(limits, cpu=False)
    if isolation.landlock:
        return _landlocked(env, limits, cage, reference, isolation)
    return _plain(env, limits, cage, isolation)


def candidate_side(env: Mapping[str, str], limits: Limits, isolation: Isolation, old: Sides) -> Sides:
    """The sides for a new candidate under ``isolation``; the reference's executor
    is kept. The candidate's fork-servers always start afresh (``forget``). Its
    sandbox is kept when its root and masks are the same (a batch slot writes
    every candidate to one path), else replaced; plain runs keep their executor,
    which depends on no candidate. Not for the Landlock fallback, whose
    confinement is made per worker (``PoolRunner.use_candidate`` restarts those)."""
    if isolation.landlock:
        raise ValueError("a Landlock worker's candidate cannot be swapped; start new workers")
    if isolation.sandbox:
        from fuzzdiff.run.sandbox import SandboxExecutor

        box = old.candidate if isinstance(old.candidate, SandboxExecutor) else None
        if box is not None and box.allowlist == isolation.root and box.masked_paths == tuple(isolation.masked):
            box.forget()
            return old
        if box is not None:
            box.close()
        boxed = _boxed_candidate(env, limits, isolation)
        return Sides(old.reference, boxed, boxed if isolation.python_fork else None)
    # Plain runs: the executor depends on no candidate; only its fork-servers do.
    if old.launcher is not None:
        old.launcher.forget()
    return old


def _boxed_candidate(env: Mapping[str, str], limits: Limits, isolation: Isolation) -> SandboxExecutor:
    """The candidate's sandbox: the masked paths hidden, its allowlisted root, a
    fork-server inside for a Python candidate."""
    from fuzzdiff.run.sandbox import SandboxExecutor

    return SandboxExecutor(
        env, limits, masked_paths=isolation.masked, python_fork=isolation.python_fork, allowlist=isolation.root
    )


def _sandboxed(env: Mapping[str, str], limits: Limits, isolation: Isolation) -> Sides:
    from fuzzdiff.run.sandbox import SandboxExecutor

    boxed = _boxed_candidate(env, limits, isolation)
    # the launch counts come back from the candidate's sandbox with each outcome
    return Sides(SandboxExecutor(env, limits), boxed, boxed if isolation.python_fork else None)


def _landlocked(
    env: Mapping[str, str], limits: Limits, cage: ProcessCage | None, reference: Program, isolation: Isolation
) -> Sides:
    allowed = None if isolation.root is None else tuple(sorted(isolation.root.binds))
    return Sides(
        _confined(env, limits, cage, isolation.masked, grant=reference.argv),
        _confined(env, limits, cage, isolation.masked, grant=(), allowed=allowed),
    )


def _plain(env: Mapping[str, str], limits: Limits, cage: ProcessCage | None, isolation: Isolation) -> Sides:
    # Plain runs: programs inherit no capability (root's keep its uid but cannot
    # read past file modes, chown, chmod others' files or raise hard limits), so a
    # candidate can neither read nor replace the reference cache's key. Best effort:
    # a worker that cannot drop them runs on as it is.
    with contextlib.suppress(OSError):
        drop_capabilities()
    local = LocalExecutor(env, limits, limits_inherited=True, cage=cage)
    if not isolation.python_fork:
        return Sides(local, local)
    from fuzzdiff.run.pyfork import PythonForkLauncher

    launcher = PythonForkLauncher(env, limits, limits_inherited=True)
    return Sides(local, LocalExecutor(env, limits, limits_inherited=True, cage=cage, launcher=launcher), launcher)


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
    ``allowed`` only those trees readable (the candidate's allowlist). Unlike the
    task factory's runs (``unprivileged``), these keep the host's /tmp,
    unwritable, on both sides alike: a candidate given by its path may lie in /tmp,
    where a private one would hide it, and a private /tmp for the reference alone
    would judge the two sides in different worlds."""
    from fuzzdiff.run.landlock import Policy, Ruleset, level

    root = str(private_dir("side", default_root()))
    Finalize(None, remove_private, args=(root,), exitpriority=10)
    granted = tuple(w for w in grant if os.path.isabs(w) and os.path.exists(w))
    ruleset = Ruleset(Policy(hidden=tuple(hidden), writable=(root,), granted=granted, allowed=allowed))
    executor = _OwnRootExecutor(env, limits, root=root, limits_inherited=True, cage=cage, confine=ruleset.restrict)
    executor.isolation = f"{level()}+{executor.isolation}"
    return executor


def unprivileged(env: Mapping[str, str], limits: Limits, nest: int = 0) -> tuple[LocalExecutor, list[str]]:
    """An executor for runs made outside a campaign's worker (the task factory's
    probes and calibrations, in the calling process), and warnings. Each child sets
    ``limits`` on itself, then drops every capability before ``exec``; where the
    kernel has Landlock it is also confined to a root of its own for writing
    (reading and executing stay allowed everywhere), emptied after each run: a run
    can neither change the machine (its clock, others' files) nor write outside
    its own directories. Without Landlock, capabilities only are dropped.
    ``nest``: its runs' directories lie that many levels deeper than usual (to
    tell output that depends on how deep they lie, ``realpath --relative-to``).

    Where this process may make a mount namespace (root), each confined run also
    gets a private, empty /tmp inside its root (``_BindTmp``), as a
    bubblewrap sandbox gives: programs that keep scratch files in /tmp whatever
    ``TMPDIR`` says (glibc's ``tmpfile``: ed, so patch) work as they do
    unconfined, and still write nothing outside their own root."""
    from fuzzdiff.run.landlock import Policy, Ruleset, abi, level

    if abi() >= 1:
        try:
            # root/run/d/...: the runs' own tree (emptied after each run), the only one
            # they may write in besides root/tmp, their private /tmp; neither can be
            # removed or renamed by a run (root itself is not writable)
            root = str(private_dir("side", default_root()))
            inner = os.path.join(root, "run", *["d"] * nest)
            os.makedirs(inner)
            tmp = _private_tmp_dir(root)
            try:
                ruleset = Ruleset(Policy(writable=(inner,) if tmp is None else (inner, tmp)))
            except BaseException:
                remove_private(root)
                raise
        except OSError as exc:
            why = f"Landlock failed here ({exc})"
        else:
            confined = _OwnRootExecutor(env, limits, root=inner, confine=ruleset.restrict)
            if tmp is not None:
                confined.private_tmp = tmp
                confined.confinements = (ruleset.restrict, _Confine(_BindTmp(tmp.encode()), ruleset.restrict))
            confined.isolation = f"{level()}{'+private-tmp' if tmp else ''}+{confined.isolation}"
            weakref.finalize(confined, _release, ruleset, root)
            return confined, []
    else:
        why = "the kernel has no Landlock"
    deeper = None
    if nest:
        top = str(private_dir("side", default_root()))
        atexit.register(remove_private, top)
        deeper = os.path.join(top, *["d"] * nest)
        os.makedirs(deeper)
    return LocalExecutor(env, limits, root=deeper, confine=drop_capabilities), [
        f"{why}: runs of the reference here drop every capability but are not write-confined "
        "(a run may write wherever this user can)"
    ]


def _release(ruleset: Ruleset, root: str) -> None:
    ruleset.close()
    remove_private(root)


class _OwnRootExecutor(LocalExecutor):
    """A ``LocalExecutor`` whose root directory is its alone: after each run the
    root is emptied, so nothing a run wrote beside its own directories (it may
    write anywhere under the root) reaches the next run. ``private_tmp``: the
    directory its runs see as /tmp, emptied after each run, unless the program
    itself lies in /tmp (``in_tmp``); ``confinements``: how a run is confined
    then, without the private /tmp and with it."""

    private_tmp: str | None = None
    confinements: tuple[Callable[[], None], Callable[[], None]] | None = None

    def run(self, program: Program, case: Case) -> Outcome:
        if self.confinements is not None:
            self.confine = self.confinements[not in_tmp(program.argv)]
        try:
            return super().run(program, case)
        finally:
            if self.private_tmp is not None:
                os.chmod(self.private_tmp, 0o1777)  # a run may have changed it (it is its /tmp)
                clear_dir(self.private_tmp)
            self.scratches.clear_root()


#: The directory under a confined factory executor's root that its runs see as /tmp.
PRIVATE_TMP = "tmp"
_CLONE_NEWNS = 0x00020000
_MS_BIND = 1 << 12
_MS_REC = 1 << 14
_MS_PRIVATE = 1 << 18
_CAP_SYS_ADMIN = 21


def _under_tmp(path: str) -> bool:
    return path == "/tmp" or path.startswith("/tmp/")


def _private_tmp_dir(root: str) -> str | None:
    """The directory under ``root`` that confined runs will see as /tmp, made now;
    None where a child may not bind one (``may_mount``), or where ``root`` lies in
    /tmp itself (``FUZZDIFF_TMPDIR`` there): the private /tmp would hide the runs'
    own directories. Landlock's rules follow the mount a path is reached through,
    so /tmp bound from this directory needs a rule on this very directory: it is
    made once and emptied after each run, never replaced."""
    if _under_tmp(os.path.realpath(root)) or not may_mount():
        return None
    tmp = os.path.join(root, PRIVATE_TMP)
    os.mkdir(tmp)
    os.chmod(tmp, 0o1777)  # as /tmp is, whatever the umask
    return tmp


@functools.lru_cache(maxsize=64)
def in_tmp(argv: tuple[str, ...]) -> bool:
    """Whether a program's files lie in /tmp: a word of its command line that is a
    path there (its executable, a script it is given), or the ``#!`` interpreter
    of its executable. A private /tmp would hide them, so such a program runs
    with the host's."""
    words = list(argv)
    with contextlib.suppress(OSError), open(argv[0], "rb") as head:
        first = head.readline(256)
        if first.startswith(b"#!"):
            words += [w.decode("utf-8", "surrogateescape") for w in first[2:].split()[:1]]
    paths = [p for w in words if os.path.isabs(w) for p in (os.path.abspath(w), os.path.realpath(w))]
    return any(_under_tmp(p) for p in paths)


@dataclass(frozen=True, slots=True)
class _BindTmp:
    """For a child about to ``exec`` (before it drops its capabilities): a mount
    namespace of its own, with ``source`` bound over /tmp. The bind is made only
    once the namespace's mounts no longer propagate back to the host's; where the
    kernel refuses a step, the child goes on with the host's /tmp (``may_mount``
    tries the steps once, so the executor does not claim a private /tmp then)."""

    source: bytes

    def __call__(self) -> None:
        self.apply()

    def apply(self) -> bool:
        c = libc()
        if c.unshare(_CLONE_NEWNS) != 0 or c.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
            return False
        return bool(c.mount(self.source, b"/tmp", None, _MS_BIND, None) == 0)


@functools.cache
def may_mount() -> bool:
    """Whether a child of this process can bind a directory of its own over /tmp:
    it needs CAP_SYS_ADMIN (root has it; an unprivileged user, or a container that
    withholds it, does not), and a kernel, seccomp filter or AppArmor profile that
    lets it mount (Docker's default profile does not). Tried once in a forked
    child, binding / over its /tmp, in a namespace that dies with it."""
    if not has_capability(_CAP_SYS_ADMIN):
        return False
    libc()  # loaded before the fork
    pid = os.fork()
    if pid == 0:  # the child: only system calls, then out
        ok = False
        with contextlib.suppress(BaseException):
            ok = _BindTmp(b"/").apply()
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


@dataclass(frozen=True, slots=True)
class _Confine:
    """Steps a child takes before ``exec``, in order."""

    first: Callable[[], None]
    then: Callable[[], None]

    def __call__(self) -> None:
        self.first()
        self.then()
