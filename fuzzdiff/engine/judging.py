"""Judging a pair of outcomes, and what a campaign learns from each judged case.

``Judge`` runs cases through a ``PairRunner`` and turns outcome pairs into
divergences. ``Tally`` keeps what every judged case adds to a campaign: distinct
behaviours of the pair, the first case of each new reference behaviour
(``novel``, what campaigns record into corpora), the cases the reference
accepted and the options they used (the trust summary), and the divergent cases
set aside because the reference did not repeat itself. ``reference_varies`` and
``confirm`` re-run a case fresh (never from a cache) to tell a reference's
nondeterminism and a flaky candidate from a bug.

Memory: each record is capped by construction, first come first kept, never by
timing (``SIGNATURES``, ``NOVEL_LIMIT``, ``NOVEL_BYTES``, ``UNSTABLE_EXAMPLES``),
so a result is a function of the seed whatever binds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fuzzdiff.core.compare import compare, normalise, shown_as
from fuzzdiff.core.model import NO_ANSWER, Case, Divergence, Outcome, Program, Termination
from fuzzdiff.core.spec import TaskSpec
from fuzzdiff.core.triage import Acceptance, stderr_class
from fuzzdiff.run.runner import Meanwhile, Pair, PairRunner
from fuzzdiff.store.corpus import outcome_behaviour

#: Re-runs of a minimal case before it is reported; a case that does not
#: reproduce every time is reported as flaky.
CONFIRM_RUNS = 3
#: Fresh re-runs of a divergent case before it counts (only for a fingerprint not
#: found yet): a reference that does not repeat its own output is set aside, never
#: shrunk or blamed. Two are cheap next to shrinking and catch output that changes
#: on every run (a shuffle, a temporary name, a clock).
STABILITY_RUNS = 2
#: Further re-runs of the reference on a minimal case before its candidate is blamed:
#: a reference choosing between two outputs repeats itself 3 + 12 times by chance
#: once in 2**15.
BLAME_RUNS = 12
#: Fresh re-runs, one after another, a candidate's timeout gets to repeat before it
#: counts: whether a run finishes within its limit depends on the machine's load as
#: much as on the program (a shell wrapper timed out once on a busy CI machine).
TIMEOUT_RERUNS = 2
#: Set-aside cases the result keeps as examples for the report.
UNSTABLE_EXAMPLES = 3
#: Distinct behaviour signatures remembered (pair signatures for ``behaviours``,
#: reference signatures for ``novel``), first come, first kept: past it, a
#: signature not seen yet is neither counted nor new. Campaigns of the shipped
#: tasks see a few hundred.
SIGNATURES = 8192
#: First cases of new reference behaviours kept for the result's ``novel`` (what
#: campaigns record into the corpus), first come, first kept, and the bytes of
#: cases and outcomes they may hold: later behaviours still guide, unrecorded.
NOVEL_LIMIT = 1024
NOVEL_BYTES = 8 << 20


def behaviour_signature(reference: Outcome, candidate: Outcome, channels: tuple[str, ...]) -> tuple[object, ...]:
    """A coarse class of what the pair did: both exit classes, the differing
    channels, the class of the reference's first stderr line and the size class
    of both stdouts. Counts distinct behaviours; a case with a new one joins the
    guidance pool."""

    def size_class(data: bytes) -> int:
        return min(len(data).bit_length(), 17)

    return (
        reference.exit_class(),
        candidate.exit_class(),
        channels,
        stderr_class(reference.stderr),
        size_class(reference.stdout),
        size_class(candidate.stdout),
    )


class Signatures:
    """Distinct signatures seen, remembered by a 16-byte digest of their ``repr``,
    at most ``limit`` of them (the first ones): bounded memory whatever a
    signature holds, and membership depends only on the order of additions."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = SIGNATURES if limit is None else limit
        self.digests: set[bytes] = set()

    def __len__(self) -> int:
        return len(self.digests)

    def add(self, signature: tuple[object, ...]) -> bool:
        """Remember ``signature``; True if it is new and there was room for it."""
        digest = hashlib.blake2b(repr(signature).encode(), digest_size=16).digest()
        if digest in self.digests or len(self.digests) >= self.limit:
            return False
        self.digests.add(digest)
        return True


class Novel:
    """The first case of each new reference behaviour, with the reference's outcome:
    the first ``limit`` of them that fit in ``max_bytes`` (``Case.size`` plus
    ``Outcome.size``). Depends only on the order of additions."""

    def __init__(self, limit: int | None = None, max_bytes: int | None = None) -> None:
        self.limit = NOVEL_LIMIT if limit is None else limit
        self.max_bytes = NOVEL_BYTES if max_bytes is None else max_bytes
        self.bytes = 0
        self.entries: list[tuple[Case, Outcome]] = []

    def add(self, case: Case, outcome: Outcome) -> None:
        cost = case.size() + outcome.size()
        if len(self.entries) < self.limit and self.bytes + cost <= self.max_bytes:
            self.entries.append((case, outcome))
            self.bytes += cost


class SetAside:
    """Divergent cases on which the reference was not deterministic: counted, and
    the first ``UNSTABLE_EXAMPLES`` kept with the reference channels that varied."""

    def __init__(self) -> None:
        self.count = 0
        self.wavered = 0  # of them, where the reference's own output changed (not a timeout or a fault)
        self.unanswered = 0  # of them, where it faulted on memory or passed a run limit
        self.examples: list[tuple[Case, tuple[str, ...]]] = []

    def add(self, case: Case, channels: tuple[str, ...]) -> None:
        self.count += 1
        self.wavered += not channels or not set(channels) <= NO_ANSWER
        self.unanswered += channels in (("crash",), ("limit",))
        if len(self.examples) < UNSTABLE_EXAMPLES:
            self.examples.append((case, channels))


@dataclass(frozen=True, slots=True)
class Judged:
    """One case judged: its normalised pair, the divergence (None: they agree) and
    whether it showed the campaign something new (a guidance parent)."""

    index: int  # position among the campaign's judged cases
    case: Case
    reference: Outcome
    candidate: Outcome
    divergence: Divergence | None
    new: bool


class Tally:
    """What judged cases add to a campaign, in the order they are judged."""

    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec
        self.judged = 0
        self.behaviours = Signatures()
        self.novel_seen = Signatures()
        self.novel = Novel()
        # Option combinations the reference accepted: a new one is a new behaviour
        # for guidance (a parent that bugs needing several options build on).
        self.combinations = Signatures()
        self.acceptance = Acceptance(spec)
        self.aside = SetAside()

    def judge(self, case: Case, reference: Outcome, candidate: Outcome) -> Judged:
        """Compare a normalised pair and count what it shows."""
        div = compare(case, reference, candidate, self.spec.compare)
        new = self.behaviours.add(behaviour_signature(reference, candidate, div.channels if div else ()))
        if not reference.no_answer() and self.novel_seen.add(outcome_behaviour(case, reference)):
            self.novel.add(case, reference)
            new = True
        if reference.exit_code == 0 and self.combinations.add(self.acceptance.accept(case.argv)):
            new = True
        self.judged += 1
        return Judged(self.judged - 1, case, reference, candidate, div, new)


class Judge:
    """Runs cases through a runner and turns outcome pairs into divergences."""

    def __init__(self, spec: TaskSpec, runner: PairRunner, reference: Program, candidate: Program) -> None:
        self.spec = spec
        self.runner = runner
        self.reference = reference
        self.candidate = candidate
        self.name = reference.argv0
        #: Both sides are normalised by the names of both (``compare.shown_as``): an
        #: output the two programs print alike stays alike (the reference printing
        #: an operand that is the candidate's installed path, `dirname /usr/bin/dirname/x`).
        self.shown = shown_as(reference, candidate)

    def outcomes(self, cases: Sequence[Case], fresh: bool = False) -> list[Pair]:
        """Normalised outcome pairs."""
        return [self.normalised(pair) for pair in self.runner.run_pairs(cases, fresh=fresh)]

    def run(self, cases: Sequence[Case], meanwhile: Meanwhile) -> list[Pair]:
        """Outcome pairs as they came, to be passed through ``normalised`` before
        comparing; ``meanwhile``: see ``runner.Meanwhile``."""
        return self.runner.run_pairs(cases, meanwhile=meanwhile)

    def references(self, cases: Sequence[Case]) -> list[Outcome]:
        """The reference run afresh on each case, normalised (the candidate not run)."""
        cmp = self.spec.compare
        return [normalise(r, self.shown, self.name, cmp) for r in self.runner.run_references(cases)]

    def normalised(self, pair: Pair) -> Pair:
        cmp = self.spec.compare
        return (
            normalise(pair[0], self.shown, self.name, cmp),
            normalise(pair[1], self.shown, self.name, cmp),
        )

    def check(self, cases: Sequence[Case]) -> list[Divergence | None]:
        return [
            compare(case, r, c, self.spec.compare) for case, (r, c) in zip(cases, self.outcomes(cases), strict=True)
        ]


def retry_timeout(judge: Judge, div: Divergence, runs: int = TIMEOUT_RERUNS) -> Divergence | None:
    """``div`` judged again where its candidate ran out of time and its reference
    did not: the case is re-run afresh, one run at a time, and the first run in which
    both sides finish decides (its divergence, or None where they agree). A timeout
    stands only where it repeats; any other divergence is returned as it is."""
    if div.candidate.termination is not Termination.TIMEOUT or div.reference.termination is Termination.TIMEOUT:
        return div
    for _ in range(runs):
        ((reference, candidate),) = judge.outcomes([div.case], fresh=True)
        if Termination.TIMEOUT not in (reference.termination, candidate.termination):
            return compare(div.case, reference, candidate, judge.spec.compare)
    return div


def confirm(judge: Judge, div: Divergence, runs: int = CONFIRM_RUNS) -> tuple[bool, tuple[str, ...]]:
    """Re-run a divergence's case afresh; does it keep its fingerprint, and which side wavers?"""
    cases = [div.case] * runs
    pairs = judge.outcomes(cases, fresh=True)
    unstable: list[str] = []
    if any(_observable(r) != _observable(div.reference) for r, _ in pairs):
        unstable.append("reference")
    if any(_observable(c) != _observable(div.candidate) for _, c in pairs):
        unstable.append("candidate")
    if not unstable or unstable == ["candidate"]:
        # A reference choosing between a few outputs repeats itself by chance (a coin
        # does, three times in eight): before the candidate is blamed, the reference
        # must repeat itself many times more. A few runs next to shrinking's hundreds.
        again = judge.outcomes([div.case] * BLAME_RUNS, fresh=True)
        if any(_observable(r) != _observable(div.reference) for r, _ in again):
            unstable.insert(0, "reference")
    same = all(
        (d := compare(div.case, r, c, judge.spec.compare)) is not None and d.fingerprint == div.fingerprint
        for r, c in pairs
    )
    return same, tuple(unstable)


def unanswered(reference: Outcome) -> tuple[str, ...]:
    """Why the reference's outcome is no answer to hold a candidate to, as the
    channel a set-aside case is counted under: ``("timeout",)`` when it ran past
    its limit (whether it finishes depends on the machine's load),
    ``("crash",)`` when it faulted on memory (``Outcome.memory_fault``: whether
    it faults depends on its memory layout), ``("limit",)`` when it was killed
    for passing one of the run's own limits (``Outcome.over_limit``: a file
    past the size limit); empty when it answered."""
    if reference.termination is Termination.TIMEOUT:
        return ("timeout",)
    if reference.memory_fault():
        return ("crash",)
    if reference.over_limit():
        return ("limit",)
    return ()


def reference_varies(judge: Judge, case: Case, reference: Outcome, runs: int = STABILITY_RUNS) -> tuple[str, ...]:
    """Run ``case`` afresh ``runs`` times: the channels on which the reference's
    (normalised) outcome ever differed from ``reference``; empty if it is stable."""
    again = judge.references([case] * runs)
    varied = {name for r in again for name in varying_channels(reference, r)}
    return tuple(name for name, _ in _CHANNELS if name in varied)


_CHANNELS: tuple[tuple[str, Callable[[Outcome], object]], ...] = (
    ("exit", Outcome.exit_class),
    ("stdout", lambda o: o.stdout),
    ("stderr", lambda o: o.stderr),
    ("files", Outcome.tree),
)


def varying_channels(first: Outcome, second: Outcome) -> tuple[str, ...]:
    """The channels on which two runs of one program on one case differ, in report order."""
    return tuple(name for name, get in _CHANNELS if get(first) != get(second))


def spellings(spec: TaskSpec) -> tuple[tuple[bytes, bytes], ...]:
    """Each option's long spelling with its short one, for the shrinker."""
    return tuple((f"--{o.long}".encode(), f"-{o.short}".encode()) for o in spec.options if o.long and o.short)


def _observable(o: Outcome) -> tuple[object, ...]:
    return (o.exit_class(), o.stdout, o.stderr, o.files, o.attrs)
