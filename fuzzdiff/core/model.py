"""Value types that flow through fuzzdiff: Case, Outcome, Divergence and friends.

Every type here is a frozen, slotted dataclass (or an enum) so values can be
hashed, cached, compared and sent between processes safely. This module imports
nothing of ours; everything else imports it.

All observable data is kept as ``bytes``: arguments, file names and contents,
standard streams. Programs under test are not obliged to speak UTF-8, so neither
are we.
"""

from __future__ import annotations

import enum
import hashlib
import signal
from collections.abc import Iterable
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import TypeVar

#: Channels a user can observe, in the order reports list them.
CHANNELS: tuple[str, ...] = ("exit", "stdout", "stderr", "files")
#: Labels of ``CampaignResult.launches``: a run in a Python fork-server's child,
#: and (followed by the reason) a run in a fresh interpreter.
LAUNCH_FORKED = "fork-server"
LAUNCH_FRESH = "fresh: "


T = TypeVar("T")


def _pickled_by_fields(cls: type[T]) -> type[T]:
    """Pickle a dataclass as a call of its constructor with its fields in order,
    not the dataclass default (state set field by field): cases go to the workers
    and outcomes come back pickled, on every run, and a constructor call is several
    times cheaper to unpickle (docs/benchmarks.md, "Fresh generation and pickling")."""
    state = attrgetter(*(f.name for f in fields(cls)))  # type: ignore[arg-type]

    def reduce(self: T) -> tuple[type[T], tuple[object, ...]]:
        return (cls, state(self))

    cls.__reduce__ = reduce  # type: ignore[assignment,method-assign]
    return cls


def file_names_problem(names: Iterable[bytes]) -> str | None:
    """Why these case file names cannot all be written in a working directory, or
    None: each a relative path of real components (no ``.``, ``..``, empty or NUL),
    and no name a directory another one is under (``sub`` and ``sub/x``)."""
    listed = set(names)
    for name in sorted(listed):
        parts = name.split(b"/")
        if not name or name.startswith(b"/") or b"\0" in name or any(p in (b"", b".", b"..") for p in parts):
            return f"case file name {name!r} must be a relative path inside the working directory"
        for i in range(1, len(parts)):
            if b"/".join(parts[:i]) in listed:
                return f"case file name {name!r} is under {b'/'.join(parts[:i])!r}, which is a file of the case too"
    return None


def reaches_out(arg: bytes) -> bool:
    """Whether an argument, or its value after ``=``, is a path that leaves the case's
    directory: absolute, or with a ``..`` component. Shrinking and mutation never
    make one a case did not hold: shrinking `chmod -s -r nodir/x` reached
    `chmod -s -r /`, and in plain mode, run as root, the host's `/` lost its
    read bits (a task's own strings, `/dev/null` or `../x`, stay as written)."""
    values = [arg]
    if arg.startswith(b"-"):  # `--dir=/x`, and a short option's attached value, `-d/x`
        values += [arg.split(b"=", 1)[1]] if b"=" in arg else []
        values += [arg[2:]] if not arg.startswith(b"--") else []
    return any(v.startswith(b"/") or b".." in v.split(b"/") for v in values)


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class Case:
    """One input to a program: arguments (without the program name), stdin and files.

    ``files`` maps a relative path inside the private working directory to its
    content, kept as a tuple of pairs sorted by name so equal cases are equal
    values. ``env`` holds extra environment variables on top of the task's
    fixed environment.
    """

    argv: tuple[bytes, ...] = ()
    stdin: bytes = b""
    files: tuple[tuple[bytes, bytes], ...] = ()
    env: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        # One entry per name (the last wins, as when the files are written), sorted.
        object.__setattr__(self, "files", tuple(sorted(dict(self.files).items())))
        object.__setattr__(self, "env", tuple(sorted(self.env)))

    def size(self) -> int:
        """A measure of how big the case is, used to tell which of two is smaller."""
        return (
            sum(len(a) + 1 for a in self.argv)
            + len(self.stdin)
            + sum(len(n) + len(c) + 1 for n, c in self.files)
            + sum(len(k) + len(v) for k, v in self.env)
        )

    def outside(self) -> frozenset[bytes]:
        """The arguments that name a place outside the case's directory (``reaches_out``)."""
        return frozenset(a for a in self.argv if reaches_out(a))

    def key(self) -> str:
        """A content hash that names the case (caches, corpus file names)."""
        h = hashlib.sha256()
        for part in (self.argv, (self.stdin,), *self.files):
            for item in part:
                h.update(len(item).to_bytes(8, "little"))
                h.update(item)
            h.update(b"\x00|")
        for k, v in self.env:
            h.update(f"{k}={v}".encode() + b"\x00")
        return h.hexdigest()[:32]


class Termination(enum.Enum):
    """How a run ended. Ordered from ordinary to abnormal."""

    EXITED = "exited"
    SIGNALLED = "signalled"
    TIMEOUT = "timeout"
    OUTPUT_CAP = "output-cap"
    # The sandbox running it was lost mid-run: the program killed or stopped the
    # sandbox's server (``SandboxExecutor``); the same case loses it again.
    WORKER_LOST = "worker-lost"


#: Signals of a memory-access fault (SIGSEGV, SIGBUS). Whether a program that
#: reads out of bounds faults depends on its memory layout (how big the
#: environment is, where the allocator put things), not only on the case: GNU
#: cksum 9.1 faults on ``printf 'aaaaaa (\nSHA384' | cksum -c`` with an empty
#: environment and answers "no properly formatted checksum lines" with a shell's.
MEMORY_FAULTS = frozenset({int(signal.SIGSEGV), int(signal.SIGBUS)})
#: Signals the kernel sends a program for passing one of the run's own limits:
#: SIGXFSZ (writing a file past ``Limits.file_bytes``) and SIGXCPU (CPU seconds).
LIMIT_SIGNALS = frozenset({int(signal.SIGXFSZ), int(signal.SIGXCPU)})
#: The channels a case set aside is counted under when the reference gave no
#: answer there (``engine.judging.unanswered``), as opposed to varying output.
NO_ANSWER = frozenset({"timeout", "crash", "limit"})

#: Runs that ended at a resource limit (the whole time limit, or a flood): after
#: the first such run of a candidate, a binary score has its answer.
AT_LIMIT = frozenset({Termination.TIMEOUT, Termination.OUTPUT_CAP})


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class Outcome:
    """Everything observable about one run of one program on one case.

    ``files`` is the final state of the working directory: regular files as
    (path, content), directories as (path, None). ``attrs`` holds, for each entry
    whose mode or modification time is not what its content implies, a short text
    (``"mode 0755"``, ``"modified at 2001-02-03 04:05:06 UTC"``): files are
    written 0644 and directories 0755, dated ``scratch.FILE_TIME``, and a file
    whose content the run wrote is dated within it (``scratch.attributes``).
    Both are compared. Resource figures are reported but never compared.
    """

    termination: Termination
    exit_code: int | None
    signal: int | None
    stdout: bytes
    stderr: bytes
    files: tuple[tuple[bytes, bytes | None], ...] = ()
    attrs: tuple[tuple[bytes, str], ...] = ()
    cpu_seconds: float = 0.0
    max_rss_kb: int = 0
    wall_seconds: float = 0.0

    def size(self) -> int:
        """Bytes of data the outcome holds (streams, file names and contents): what
        memory bounds count."""
        files = sum(len(n) + len(c or b"") for n, c in self.files)
        return len(self.stdout) + len(self.stderr) + files + sum(len(n) + len(a) for n, a in self.attrs)

    def tree(self) -> tuple[object, ...]:
        """The working directory as it was left: files with contents, and attributes."""
        return (self.files, self.attrs)

    def memory_fault(self) -> bool:
        """Killed by a memory-access fault (``MEMORY_FAULTS``): undefined behaviour,
        no answer a reimplementation can be held to."""
        return self.termination is Termination.SIGNALLED and self.signal in MEMORY_FAULTS

    def over_limit(self) -> bool:
        """Killed for passing one of the run's limits (``LIMIT_SIGNALS``): what the
        program does without fuzzdiff's limits is not known (GNU truncate dies of
        SIGXFSZ at 17M where a Python port, which ignores it, says "File too large")."""
        return self.termination is Termination.SIGNALLED and self.signal in LIMIT_SIGNALS

    def no_answer(self) -> bool:
        """An outcome no candidate can be held to: a memory fault, a limit passed, or
        a run past its time (how long a program may take is the machine's, and a
        campaign sets such a case aside; ``tr -d -c '[[a*9223372036854775808]...'``
        was stored as a timeout in tr's corpus and failed every honest replay)."""
        return self.memory_fault() or self.over_limit() or self.termination is Termination.TIMEOUT

    def exit_class(self) -> str:
        """A short stable name for how the run ended: ``exit:1``, ``signal:11``, ``timeout``."""
        if self.termination is Termination.EXITED:
            return f"exit:{self.exit_code}"
        if self.termination is Termination.SIGNALLED:
            return f"signal:{self.signal}"
        return str(self.termination.value)


@dataclass(frozen=True, slots=True)
class Program:
    """A program to run: the full command prefix and the name it is shown as.

    ``argv`` starts with the absolute path of the executable. ``argv0`` is what
    the program receives as ``argv[0]``; reference and candidate get the same
    one, so messages that start with the program's name agree by construction.
    ``aliases`` are other spellings of the program's name that may appear in its
    messages (for example a script's path), which the ``program-name``
    normaliser rewrites to ``argv0``.
    """

    argv: tuple[str, ...]
    argv0: str
    aliases: tuple[str, ...] = ()

    def display(self) -> str:
        return " ".join(self.argv)


@dataclass(frozen=True, slots=True, order=True)
class Fingerprint:
    """What kind of divergence this is; shrinking must keep it unchanged."""

    channels: tuple[str, ...]
    reference_exit: str
    candidate_exit: str

    def __str__(self) -> str:
        return f"{'+'.join(self.channels)} [{self.reference_exit} vs {self.candidate_exit}]"


@dataclass(frozen=True, slots=True)
class Divergence:
    """A case on which the two programs were observed to differ."""

    case: Case
    reference: Outcome
    candidate: Outcome
    channels: tuple[str, ...]
    fingerprint: Fingerprint


class Via(enum.StrEnum):
    """How a finding was first met."""

    GENERATION = "generation"  # a case of the search (fresh or mutant)
    SHRINKING = "shrinking"  # met while shrinking another finding
    STORED_CASE = "stored case"  # a corpus case judged again
    COVERAGE = "coverage"  # a case of the coverage-guided search
    INTERRUPTED = "interrupted"  # as first seen: the run stopped before it was shrunk and re-run


class Verdict(enum.StrEnum):
    """What a campaign concludes about the candidate."""

    EQUIVALENT = "equivalent"
    DIVERGENT = "divergent"  # a finding blames the candidate
    INCONCLUSIVE = "inconclusive"  # too many cases set aside: the reference did not repeat itself


@dataclass(frozen=True, slots=True)
class Finding:
    """One distinct bug: the shrunk divergence, what it was shrunk from, and whether it replays."""

    divergence: Divergence
    original: Divergence
    found_at: int  # index of the generated case that first showed it
    shrink_proposals: int = 0
    confirmed: bool = True  # the minimal case reproduced on every re-run
    unstable: tuple[str, ...] = ()  # sides whose output changed between re-runs
    via: Via = Via.GENERATION


#: Share of judged cases the reference may be unstable on before a campaign with no
#: blamed finding is inconclusive rather than equivalent: a few odd cases (a clock,
#: a temporary name) leave the rest of the evidence standing; beyond 1 in 20 the
#: cases that could be judged are no longer a fair sample of the task.
UNSTABLE_SHARE = 0.05
#: Share of judged cases on which the reference may give no answer by the case
#: itself (a memory fault, a run limit passed: ``Outcome.no_answer``) before a
#: campaign is inconclusive. Those say nothing of nondeterminism, so they are not
#: held to ``UNSTABLE_SHARE`` (GNU truncate passes the 16 MiB file limit on 3 to 6%
#: of its cases); only when most cases give no answer is the sample too thin.
UNANSWERED_SHARE = 0.5


def too_many_aside(aside: int, unanswered: int, cases: int) -> bool:
    """Whether ``aside`` set-aside cases of ``cases`` judged, ``unanswered`` of them
    with no answer by the case itself, leave equivalence untold."""
    rest = aside - unanswered
    return (rest > 0 and rest > UNSTABLE_SHARE * max(cases, 1)) or unanswered > UNANSWERED_SHARE * max(cases, 1)


@dataclass(frozen=True, slots=True)
class CampaignResult:
    """What a campaign found. ``counterexample`` is the first finding's minimal divergence."""

    task: str
    seed: int
    cases: int
    seconds: float
    behaviours: int
    executions: int
    findings: tuple[Finding, ...] = ()
    isolation: str = "rlimits"
    warnings: tuple[str, ...] = ()
    # the first case of each distinct reference behaviour, with the reference's outcome
    # (the first judging.NOVEL_LIMIT of them that fit in judging.NOVEL_BYTES)
    novel: tuple[tuple[Case, Outcome], ...] = ()
    # how the candidate's runs of a Python program started, sorted by label:
    # (LAUNCH_FORKED, n) and (LAUNCH_FRESH + reason, n); empty when no fork-server
    # was in use (native candidates, sandboxed runs)
    launches: tuple[tuple[str, int], ...] = ()
    # Trust: judged cases the reference accepted (exited 0), None where they were
    # not counted (a stored case minimised again); the
    # task's options (labels), and enumerated option values ("--format=hex"),
    # never in a case the reference accepted.
    accepted: int | None = None
    options_never_accepted: tuple[str, ...] = ()
    values_never_accepted: tuple[str, ...] = ()
    # findings grouped by likely root cause: (cause, indexes into ``findings``),
    # groups in the order of their first finding; presentation only
    groups: tuple[tuple[str, tuple[int, ...]], ...] = ()
    # Divergent cases set aside because the reference did not behave the same when
    # run again (never shrunk, never counted toward ``max_divergences``), and the
    # first few of them: (case, reference channels that varied between runs).
    unstable_cases: int = 0
    unstable_examples: tuple[tuple[Case, tuple[str, ...]], ...] = ()
    # of those, the cases on which the reference's own output changed (not a
    # timeout, a memory fault or a run limit passed, which depend on the machine
    # and fuzzdiff's limits, not the program)
    wavered_cases: int = 0
    # of those, the cases on which the reference faulted on memory or passed a run
    # limit (``Outcome.no_answer``): a property of the case, not of the machine
    unanswered_cases: int = 0

    @property
    def inconclusive(self) -> bool:
        """More than ``UNSTABLE_SHARE`` of the judged cases were set aside for
        varying or timing out (all of them when the reference never behaved the same
        twice), or more than ``UNANSWERED_SHARE`` for giving no answer
        (``too_many_aside``): equivalence cannot be told."""
        return too_many_aside(self.unstable_cases, self.unanswered_cases, self.cases)

    @property
    def accepted_share(self) -> float | None:
        """Share of judged cases the reference accepted; None if not counted."""
        if self.accepted is None or self.cases <= 0:
            return None
        return self.accepted / self.cases

    @property
    def blamed(self) -> tuple[Finding, ...]:
        """Findings that count against the candidate: a divergence on which the
        reference itself was not deterministic is reported, never blamed; nor is
        a ``doubtful`` one."""
        doubtful = self.doubtful
        return tuple(f for f in self.findings if "reference" not in f.unstable and f not in doubtful)

    @property
    def doubtful(self) -> tuple[Finding, ...]:
        """Findings that did not reproduce on every re-run (flaky) in a campaign
        where the reference's own output changed on some case: the reference is
        known to waver, and a candidate as random as it (a copy of it) wavers
        where the reference's re-runs happened not to. Evidence neither way."""
        if not self.wavered_cases:
            return ()
        return tuple(f for f in self.findings if not f.confirmed and "reference" not in f.unstable)

    @property
    def verdict(self) -> Verdict:
        """Divergent if a finding blames the candidate, else inconclusive if too
        many cases were set aside as unstable or a finding is doubtful, else
        equivalent."""
        if self.blamed:
            return Verdict.DIVERGENT
        if self.inconclusive or self.doubtful:
            return Verdict.INCONCLUSIVE
        return Verdict.EQUIVALENT

    @property
    def counterexample(self) -> Divergence | None:
        return self.blamed[0].divergence if self.blamed else None


# -- events a campaign yields, consumed by the CLI and reporters -------------


@dataclass(frozen=True, slots=True)
class Progress:
    cases: int
    behaviours: int
    divergences: int
    elapsed: float


@dataclass(frozen=True, slots=True)
class Found:
    index: int
    divergence: Divergence


@dataclass(frozen=True, slots=True)
class Shrunk:
    finding: Finding


@dataclass(frozen=True, slots=True)
class Finished:
    result: CampaignResult


Event = Progress | Found | Shrunk | Finished
