"""The campaign: generate cases, run both programs, compare, shrink what differs.

``run_campaign`` is a generator of typed events (``Progress``, ``Found``,
``Shrunk``, ``Finished``); the CLI, reports and the reward API consume them and
hold no logic of their own. The engine reaches the world only through a
``PairRunner`` (which wraps the executor) and the task spec.

Guidance: after the first window, part of each window is mutants
(``mutate``) of cases that showed a new behaviour signature of the pair (the
pool), including cases made from the reference's own output (feedback); the
rest is fresh structured generation. ``CampaignConfig.guidance`` switches each
part off; an empty set is generation alone.

Overlap and determinism: window n is its head, fresh cases (all of the first
window, a quarter of later ones), and its tail, mutants made from the pool as it
stands once window n-1 is judged. Each batch given to the runner is what is left
of window n (its tail), then window n+1's head. While the batch runs, window n
is judged pair by pair in case order as the workers' replies come back, then
window n+1's tail is made, while the workers are still busy with its head, and
fresh cases are drawn ahead (``runner.Meanwhile``, ``Overlap``). The tail's
mutants, from a random source derived from the seed and the window's number,
see every case judged before them. So what runs depends only on the seed and on
results, never on timing or the number of workers, and the workers wait for the
main process only at the end of a batch (its last chunk). ``cases`` in the result
counts the cases judged up to and including the one that completed the
requested number of findings (or the whole budget); the rest of that batch
still runs, and is not judged. Making mutants from the pool one window late
instead, so that they overlapped too, found the feedback-reached planted bugs
after twice as many cases (benchmarks/killrate.py: base64-decode-long 115
against 310), a bad trade when budgets are counted in cases.

Memory: what a campaign keeps is capped by construction, first come first kept
or most recent kept, never by timing: judged case keys (``JUDGED_KEYS``),
behaviour signatures (``SIGNATURES``), novel cases (``NOVEL_LIMIT``,
``NOVEL_BYTES``), the pool (``POOL_LIMIT``, ``POOL_BYTES``), the dictionary
(``mutate.MAX_TOKENS``) and the runner's cache (``runner.CACHE_SIZE``,
``CACHE_BYTES``). The caps rarely bind (campaigns of the shipped tasks see a few
hundred behaviours); where one does, the result is still a function of the seed.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Generic, TypeVar

from fuzzdiff.core.compare import compare, normalise
from fuzzdiff.core.generate import RecentKeys as RecentKeys  # re-exported: the engine's judged keys
from fuzzdiff.core.generate import derive_seed, generate_cases
from fuzzdiff.core.model import (
    CampaignResult,
    Case,
    Divergence,
    Event,
    Finding,
    Fingerprint,
    Finished,
    Found,
    Outcome,
    Program,
    Progress,
    Shrunk,
)
from fuzzdiff.core.mutate import GUIDANCE, MAX_DATA, Mutator, Parent
from fuzzdiff.core.shrink import Shrinker
from fuzzdiff.core.spec import TaskSpec
from fuzzdiff.core.triage import Acceptance, group_findings
from fuzzdiff.core.triage import stderr_class as stderr_class  # re-exported: part of the behaviour signature
from fuzzdiff.run.runner import Meanwhile, Pair, PairRunner
from fuzzdiff.store.corpus import outcome_behaviour

T = TypeVar("T")

#: Cases judged between progress events (and between checks for enough findings).
WINDOW = 64
#: Re-runs of a minimal case before it is reported; a case that does not
#: reproduce every time is reported as flaky.
CONFIRM_RUNS = 3
#: Fresh re-runs of a divergent case before it counts (only for a fingerprint not
#: found yet): a reference that does not repeat its own output is set aside, never
#: shrunk or blamed. Two are cheap next to shrinking and catch output that changes
#: on every run (a shuffle, a temporary name, a clock).
STABILITY_RUNS = 2
#: Set-aside cases the result keeps as examples for the report.
UNSTABLE_EXAMPLES = 3
#: Fresh cases drawn ahead while workers run, at most: all a window can take (a
#: draw left for building the window is time the workers wait).
AHEAD = WINDOW
#: Share of a window made of mutants once there are parents. Measured on the
#: planted bugs (benchmarks/killrate.py, README): 0.75 killed more runs than 0.5
#: or 0.25, and shallow bugs still fall to the first window, all fresh generation.
MUTANT_SHARE = 0.75
#: Parents the pool keeps; signatures are coarse, so a campaign rarely fills it.
POOL_LIMIT = 2048
#: Bytes of cases and reference output the pool keeps (first come, first kept):
#: with POOL_LIMIT, the pool's memory is bounded whatever the outputs' sizes.
#: A parent keeps at most MAX_DATA bytes of the reference's stdout, all that
#: feedback ever uses.
POOL_BYTES = 8 << 20
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
#: Share of parents taken from the last window judged rather than the pool: the
#: pool holds one case per coarse signature, the window the variety around it.
RECENT_SHARE = 0.25
#: Attempts at one mutant not judged before; past them the slot goes to fresh generation.
MUTANT_TRIES = 4
#: Keys of judged cases remembered for skipping repeats: the most recent ones only,
#: so that a campaign's memory stays flat however many cases it runs.
JUDGED_KEYS = 16384


@dataclass(frozen=True, slots=True)
class CampaignConfig:
    seed: int
    budget: int = 1000  # generated cases at most
    max_divergences: int = 1  # distinct fingerprints to find before stopping
    shrink: bool = True
    shrink_budget: int = 2000  # proposals per finding
    batch: int = 4  # cases evaluated together while shrinking
    guidance: frozenset[str] = frozenset(GUIDANCE)  # mutate.GUIDANCE names; empty: generation alone


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


class Guide:
    """The pool of parents and the mutator: what mutants are made from.

    ``observe`` is called for every judged case in order; ``mutants`` draws
    parents from the pool as it stands, and a share from the last window judged
    (with "pool" off: all from the last window). The pool keeps the first
    parents that fit in ``POOL_LIMIT`` and ``POOL_BYTES``.
    """

    def __init__(self, spec: TaskSpec, seed: int, guidance: frozenset[str]) -> None:
        self.mutator = Mutator(spec, guidance)
        self.use_pool = "pool" in guidance
        self.seed = seed
        self.pool: list[Parent] = []
        self.pool_bytes = 0
        self.recent: list[Parent] = []
        self.last: list[Parent] = []

    def observe(self, case: Case, reference: Outcome, new_behaviour: bool) -> None:
        parent = Parent(case, reference.stdout[:MAX_DATA])  # feedback uses no more
        if new_behaviour:
            cost = case.size() + len(parent.stdout)
            if self.use_pool and len(self.pool) < POOL_LIMIT and self.pool_bytes + cost <= POOL_BYTES:
                self.pool.append(parent)
                self.pool_bytes += cost
            if self.mutator.use_dictionary:
                self.mutator.dictionary.harvest(reference.stdout)
                self.mutator.dictionary.harvest(reference.stderr)
        self.recent.append(parent)

    def end_window(self) -> None:
        self.last, self.recent = self.recent, []

    def _parent(self, rng: random.Random) -> Parent:
        if self.pool and (not self.last or rng.random() >= RECENT_SHARE):
            return rng.choice(self.pool)
        return rng.choice(self.last)

    def mutants(self, count: int, seen: RecentKeys, *path: object) -> list[Case]:
        """Up to ``count`` mutants not in ``seen`` (added to it), from a source seeded by ``path``."""
        if count <= 0 or not (self.pool or self.last) or not self.mutator.active:
            return []
        rng = random.Random(derive_seed(self.seed, "mutate", *path))
        out: list[Case] = []
        for _ in range(count):
            for _ in range(MUTANT_TRIES):
                case = self.mutator.mutant(rng, self._parent(rng), self._parent(rng))
                if case is not None and (key := case.key()) not in seen:
                    seen.add(key)
                    out.append(case)
                    break
        return out


class SetAside:
    """Divergent cases on which the reference was not deterministic: counted, and
    the first ``UNSTABLE_EXAMPLES`` kept with the reference channels that varied."""

    def __init__(self) -> None:
        self.count = 0
        self.examples: list[tuple[Case, tuple[str, ...]]] = []

    def add(self, case: Case, channels: tuple[str, ...]) -> None:
        self.count += 1
        if len(self.examples) < UNSTABLE_EXAMPLES:
            self.examples.append((case, channels))


class Judge:
    """Runs cases through a runner and turns outcome pairs into divergences."""

    def __init__(self, spec: TaskSpec, runner: PairRunner, reference: Program, candidate: Program) -> None:
        self.spec = spec
        self.runner = runner
        self.reference = reference
        self.candidate = candidate
        self.name = reference.argv0

    def outcomes(self, cases: Sequence[Case], fresh: bool = False) -> list[Pair]:
        """Normalised outcome pairs."""
        return [self.normalised(pair) for pair in self.runner.run_pairs(cases, fresh=fresh)]

    def run(self, cases: Sequence[Case], meanwhile: Meanwhile) -> list[Pair]:
        """Outcome pairs as they came, to be passed through ``normalised`` before
        comparing; ``meanwhile``: see ``runner.Meanwhile``."""
        return self.runner.run_pairs(cases, meanwhile=meanwhile)

    def normalised(self, pair: Pair) -> Pair:
        cmp = self.spec.compare
        return (
            normalise(pair[0], self.reference, self.name, cmp),
            normalise(pair[1], self.candidate, self.name, cmp),
        )

    def check(self, cases: Sequence[Case]) -> list[Divergence | None]:
        return [
            compare(case, r, c, self.spec.compare) for case, (r, c) in zip(cases, self.outcomes(cases), strict=True)
        ]


def run_campaign(
    spec: TaskSpec,
    runner: PairRunner,
    reference: Program,
    candidate: Program,
    config: CampaignConfig,
    isolation: str = "rlimits",
    warnings: tuple[str, ...] = (),
) -> Iterator[Event]:
    judge = Judge(spec, runner, reference, candidate)
    start = time.monotonic()
    behaviours = Signatures()
    # Fingerprints counted toward max_divergences (found, or met while shrinking),
    # and the divergences found by judging that are still to be shrunk, in order.
    seen: set[Fingerprint] = set()
    pending: list[tuple[int, Divergence, str]] = []
    # The rest of the window judging stopped in once enough was found: resumed if
    # a finding is set aside after shrinking (see ``search``).
    paused: Generator[bool, None, bool] | None = None
    novel_seen = Signatures()
    novel = Novel()
    # Option combinations the reference accepted: a new one is a new behaviour
    # for guidance (a parent that bugs needing several options build on).
    combinations = Signatures()
    # Cases the reference accepted and the options they used: the result's trust summary.
    acceptance = Acceptance(spec)
    aside = SetAside()  # divergent cases whose reference was not stable
    batch_done = False  # the runner has returned the batch being judged: it may run more
    judged = 0
    stream = generate_cases(spec, config.seed, config.budget)
    guide = Guide(spec, config.seed, config.guidance)
    judged_keys = RecentKeys(JUDGED_KEYS)
    taken = 0  # cases put in windows so far
    planned = 0  # size of the next window, set when its head is drawn
    following: list[Case] = []  # the tail of the next window, made once this one is judged
    dry = False  # the fresh stream has ended
    events: list[Event] = []  # found while judging, yielded once the window is judged
    ahead: deque[Case] = deque()  # fresh cases drawn early, while workers run (see ``Overlap``)

    def draw() -> Case | None:
        return ahead.popleft() if ahead or draw_ahead() else None

    def draw_ahead() -> bool:
        """Draw a fresh case for later (they do not depend on results); False if
        enough are drawn or generation has ended."""
        nonlocal dry
        if dry or len(ahead) >= AHEAD:
            return False
        case = next(stream, None)
        if case is None:
            dry = True
            return False
        ahead.append(case)
        return True

    def fresh_cases(count: int) -> list[Case]:
        """Up to ``count`` fresh cases not judged before (fewer once generation ends)."""
        fresh: list[Case] = []
        while len(fresh) < count and (case := draw()) is not None:
            if (key := case.key()) not in judged_keys:
                judged_keys.add(key)
                fresh.append(case)
        return fresh

    def head(number: int) -> list[Case]:
        """The fresh cases that open window ``number``, drawn before its mutants
        exist (they run while the window before is judged): all of the first
        window, a share of later ones (``MUTANT_SHARE``)."""
        nonlocal taken, planned
        planned = min(WINDOW, config.budget - taken)
        mutants = round(planned * MUTANT_SHARE) if number > 0 and guide.mutator.active else 0
        fresh = fresh_cases(planned - mutants)
        taken += len(fresh)
        return fresh

    def tail(number: int, opened: int) -> list[Case]:
        """The rest of window ``number`` after its ``opened`` fresh cases: mutants
        of the pool as it stands, then fresh cases where mutants fell short, then,
        generation exhausted, mutants again."""
        nonlocal taken
        left = planned - opened
        rest = guide.mutants(left, judged_keys, number)
        rest += fresh_cases(left - len(rest))
        if len(rest) < left and dry:
            rest += guide.mutants(left - len(rest), judged_keys, number, "fill")
        taken += len(rest)
        return rest

    def judge_window(
        window: Sequence[Case],
        number: int,
        opened: Sequence[Pair],
        next_head: int | None,
        pairs: Mapping[int, Pair],
        begin: int = 0,
    ) -> Generator[bool, None, bool]:
        """Judge window ``number`` in case order as its pairs arrive: the first
        ``len(opened)`` are in hand, the others arrive in ``pairs`` (by index in
        this batch). Then make the tail of the next window (whose head holds
        ``next_head`` cases; None: there is no next window), which the next batch
        opens with. True once enough is found. Yields whether it did anything
        (False: the next pair is not back). ``begin``: the first case to judge
        (the cases before it were judged when the window was paused)."""
        nonlocal judged, following, paused
        for index, case in enumerate(window):
            if index < begin:
                continue
            if index < len(opened):
                pair = opened[index]
            else:
                while index - len(opened) not in pairs:
                    yield False
                pair = pairs[index - len(opened)]
            judged += 1
            ref, cand = judge.normalised(pair)
            div = compare(case, ref, cand, spec.compare)
            new = behaviours.add(behaviour_signature(ref, cand, div.channels if div else ()))
            if novel_seen.add(outcome_behaviour(case, ref)):
                novel.add(case, ref)
                new = True
            if ref.exit_code == 0 and combinations.add(acceptance.accept(case.argv)):
                new = True
            guide.observe(case, ref, new)
            if div is not None and div.fingerprint not in seen:
                # The stability check runs the case again: wait until the runner
                # has handed the whole batch back (it is not re-entrant).
                while not batch_done:
                    yield False
                varied = reference_varies(judge, case, ref)
                if varied:
                    aside.add(case, varied)
                else:
                    seen.add(div.fingerprint)
                    pending.append((judged - 1, div, "generation"))
                    events.append(Found(judged - 1, div))
                    if len(seen) >= config.max_divergences:
                        # Every pair is in hand (the check waited for the batch).
                        every = [*opened, *(pairs[k] for k in range(len(window) - len(opened)))]
                        paused = judge_window(window, number, every, next_head, {}, index + 1)
                        return True
            yield True
        guide.end_window()
        events.append(Progress(judged, len(behaviours), len(seen), time.monotonic() - start))
        if next_head is not None:
            following = tail(number + 1, next_head)
        return False

    # Window n is its head (fresh cases) and its tail (mutants of the pool as it
    # stands once window n-1 is judged). A batch runs what is left of window n (its
    # tail; all of the first window), then window n+1's head: while the head runs,
    # window n is judged pair by pair as pairs come back and window n+1's tail is
    # made, so the workers do not wait for it. What runs depends only on the seed
    # and on results, never on timing.
    coming = head(0)
    following = tail(0, len(coming))
    opened: list[Pair] = []  # pairs of the window's cases that ran in the batch before
    number = 0

    def search() -> Iterator[Event]:
        """Judge windows until enough is found (pausing the window it stopped in)
        or the budget is spent; a paused window is finished first."""
        nonlocal coming, following, opened, number, batch_done, paused
        if paused is not None:
            rest, paused = paused, None
            enough = _drain(rest)
            yield from events
            events.clear()
            if enough:
                return
            number += 1
        while coming or following:
            window = coming + following
            unrun = window[len(opened) :]
            more = taken < config.budget
            coming = head(number + 1) if more else []
            following = []
            batch = unrun + coming
            overlap = Overlap(
                partial(judge_window, window, number, opened, len(coming) if more else None), spare=draw_ahead
            )
            batch_done = False
            pairs = judge.run(batch, overlap)
            batch_done = True
            enough = overlap.finish(pairs)
            opened = pairs[len(unrun) :]
            yield from events
            events.clear()
            if enough:
                return
            number += 1

    # Shrink each finding in the order found. Divergences of other fingerprints
    # met while shrinking join the queue (up to max_divergences) instead of being lost.
    # A finding whose reference is unstable on its minimal case is set aside and
    # does not count: the search resumes where it stopped.
    findings: list[Finding] = []
    while True:
        yield from search()
        discarded = False
        while pending:
            index, div, via = pending.pop(0)
            finding, others = shrink_and_confirm(judge, div, index, config, via)
            if "reference" in finding.unstable:
                minimal = finding.divergence
                aside.add(minimal.case, reference_varies(judge, minimal.case, minimal.reference, CONFIRM_RUNS))
                seen.discard(div.fingerprint)
                discarded = True
            else:
                findings.append(finding)
                yield Shrunk(finding)
            for fp in sorted(others):
                if fp not in seen and len(seen) < config.max_divergences:
                    seen.add(fp)
                    pending.append((index, others[fp], "shrinking"))
        if not (discarded and paused is not None and len(seen) < config.max_divergences):
            break

    result = CampaignResult(
        task=spec.name,
        seed=config.seed,
        cases=judged,
        seconds=round(time.monotonic() - start, 3),
        behaviours=len(behaviours),
        executions=getattr(runner, "executions", 0),
        findings=tuple(findings),
        isolation=isolation,
        warnings=warnings,
        novel=tuple(novel.entries),
        launches=tuple(sorted(getattr(runner, "launches", {}).items())),
        accepted=acceptance.accepted,
        options_never_accepted=acceptance.options_never_accepted(),
        values_never_accepted=acceptance.values_never_accepted(),
        groups=group_findings(findings, acceptance.reader),
        unstable_cases=aside.count,
        unstable_examples=tuple(aside.examples),
    )
    yield Finished(result)


class Overlap(Generic[T]):
    """``runner.Meanwhile`` over a generator of work on the pairs of one batch: made
    with the dict of pairs arrived so far, it yields whether a step did anything
    (False: it waits for a pair). Meanwhile ``spare`` is called, if given, for work
    whose results do not depend on when it is done. ``finish`` hands it every
    pair and runs the work to its end (not ``spare``)."""

    def __init__(
        self,
        work: Callable[[Mapping[int, Pair]], Generator[bool, None, T]],
        spare: Callable[[], bool] = lambda: False,
    ) -> None:
        self.pairs: dict[int, Pair] = {}
        self.steps = work(self.pairs)
        self.spare = spare
        self.done = False
        self.value: T | None = None

    def arrived(self, index: int, pair: Pair) -> None:
        self.pairs[index] = pair

    def _advance(self) -> bool:
        """A step of the work; whether it did anything."""
        try:
            return next(self.steps)
        except StopIteration as stop:
            self.done, self.value = True, stop.value
            return False

    def step(self) -> bool:
        return (not self.done and self._advance()) or self.spare()

    def finish(self, pairs: Sequence[Pair]) -> T:
        """Every pair arrived (``pairs`` in case order); the remaining work, then its return value."""
        self.pairs.update(enumerate(pairs))
        while not self.done:
            self._advance()
        return self.value  # type: ignore[return-value]


def _drain(work: Generator[bool, None, T]) -> T:
    """Run ``work`` to its end (every pair it waits for is in hand); its return value."""
    while True:
        try:
            next(work)
        except StopIteration as stop:
            value: T = stop.value
            return value


def shrink_and_confirm(
    judge: Judge, div: Divergence, index: int, config: CampaignConfig, via: str = "generation"
) -> tuple[Finding, dict[Fingerprint, Divergence]]:
    proposals = 0
    minimal = div
    others: dict[Fingerprint, Divergence] = {}
    if config.shrink:
        shrinker = Shrinker(
            judge.check, div, budget=config.shrink_budget, batch=config.batch, spellings=spellings(judge.spec)
        )
        minimal = shrinker.shrink()
        proposals = shrinker.stats.proposals
        others = shrinker.others
    confirmed, unstable = confirm(judge, minimal)
    return Finding(minimal, div, index, proposals, confirmed, unstable, via), others


def minimize(judge: Judge, case: Case, config: CampaignConfig) -> Finding | None:
    """Judge one stored case again and shrink it if it still diverges (``None`` if not)."""
    (div,) = judge.check([case])
    if div is None:
        return None
    return shrink_and_confirm(judge, div, 0, config, "stored case")[0]


def spellings(spec: TaskSpec) -> tuple[tuple[bytes, bytes], ...]:
    """Each option's long spelling with its short one, for the shrinker."""
    return tuple((f"--{o.long}".encode(), f"-{o.short}".encode()) for o in spec.options if o.long and o.short)


def confirm(judge: Judge, div: Divergence, runs: int = CONFIRM_RUNS) -> tuple[bool, tuple[str, ...]]:
    """Re-run a divergence's case afresh; does it keep its fingerprint, and which side wavers?"""
    cases = [div.case] * runs
    pairs = judge.outcomes(cases, fresh=True)
    unstable: list[str] = []
    if any(_observable(r) != _observable(div.reference) for r, _ in pairs):
        unstable.append("reference")
    if any(_observable(c) != _observable(div.candidate) for _, c in pairs):
        unstable.append("candidate")
    same = all(
        (d := compare(div.case, r, c, judge.spec.compare)) is not None and d.fingerprint == div.fingerprint
        for r, c in pairs
    )
    return same, tuple(unstable)


def reference_varies(judge: Judge, case: Case, reference: Outcome, runs: int = STABILITY_RUNS) -> tuple[str, ...]:
    """Run ``case`` afresh ``runs`` times: the channels on which the reference's
    (normalised) outcome ever differed from ``reference``; empty if it is stable."""
    again = [r for r, _ in judge.outcomes([case] * runs, fresh=True)]
    checks: tuple[tuple[str, Callable[[Outcome], object]], ...] = (
        ("exit", Outcome.exit_class),
        ("stdout", lambda o: o.stdout),
        ("stderr", lambda o: o.stderr),
        ("files", lambda o: o.files),
    )
    return tuple(name for name, get in checks if any(get(r) != get(reference) for r in again))


def _observable(o: Outcome) -> tuple[object, ...]:
    return (o.exit_class(), o.stdout, o.stderr, o.files)
