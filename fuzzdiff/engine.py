"""The campaign: generate cases, run both programs, compare, shrink what differs.

``run_campaign`` is a generator of typed events (``Progress``, ``Found``,
``Shrunk``, ``Finished``); the CLI, reports and the reward API consume them and
hold no logic of their own. The engine reaches the world only through a
``PairRunner`` (which wraps the executor) and the task spec.

Determinism: cases come from the seed in a fixed order and are judged in that
order, whatever the number of workers. ``cases`` in the result counts the
generated cases up to and including the one that completed the requested
number of findings (or the whole budget), so it too is independent of
parallelism.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .compare import compare, normalise
from .corpus import outcome_behaviour
from .generate import generate_cases
from .model import (
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
from .runner import PairRunner
from .shrink import Shrinker
from .spec import TaskSpec

#: Cases judged between progress events (and between checks for enough findings).
WINDOW = 64
#: Re-runs of a minimal case before it is reported; a case that does not
#: reproduce every time is reported as flaky.
CONFIRM_RUNS = 3


@dataclass(frozen=True, slots=True)
class CampaignConfig:
    seed: int
    budget: int = 1000  # generated cases at most
    max_divergences: int = 1  # distinct fingerprints to find before stopping
    shrink: bool = True
    shrink_budget: int = 2000  # proposals per finding
    batch: int = 4  # cases evaluated together while shrinking


def behaviour_signature(reference: Outcome, candidate: Outcome, channels: tuple[str, ...]) -> tuple[object, ...]:
    """A coarse class of what the pair did; counts distinct behaviours seen."""

    def size_class(data: bytes) -> int:
        return min(len(data).bit_length(), 12)

    return (
        reference.exit_class(),
        candidate.exit_class(),
        channels,
        bool(reference.stderr),
        size_class(reference.stdout),
    )


class Judge:
    """Runs cases through a runner and turns outcome pairs into divergences."""

    def __init__(self, spec: TaskSpec, runner: PairRunner, reference: Program, candidate: Program) -> None:
        self.spec = spec
        self.runner = runner
        self.reference = reference
        self.candidate = candidate
        self.name = reference.argv0

    def outcomes(self, cases: Sequence[Case], fresh: bool = False) -> list[tuple[Outcome, Outcome]]:
        pairs = self.runner.run_pairs(cases, fresh=fresh)
        cmp = self.spec.compare
        return [
            (normalise(r, self.reference, self.name, cmp), normalise(c, self.candidate, self.name, cmp))
            for r, c in pairs
        ]

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
    behaviours: set[tuple[object, ...]] = set()
    first: dict[Fingerprint, tuple[int, Divergence]] = {}
    novel_seen: set[tuple[object, ...]] = set()
    novel: list[tuple[Case, Outcome]] = []
    judged = 0
    stream = generate_cases(spec, config.seed, config.budget)

    def take() -> list[Case]:
        return [c for _, c in zip(range(WINDOW), stream, strict=False)]

    # Generation (pure Python, ~1 ms a case) overlaps with execution: the next
    # window is drawn on a helper thread while the workers run this one.
    prefetch = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fuzzdiff-generate")
    upcoming = prefetch.submit(take)
    exhausted = False
    while not exhausted and len(first) < config.max_divergences:
        window = upcoming.result()
        if len(window) < WINDOW:
            exhausted = True
        else:
            upcoming = prefetch.submit(take)
        if not window:
            break
        for case, (ref, cand) in zip(window, judge.outcomes(window), strict=True):
            judged += 1
            div = compare(case, ref, cand, spec.compare)
            behaviours.add(behaviour_signature(ref, cand, div.channels if div else ()))
            sig = outcome_behaviour(case, ref)
            if sig not in novel_seen:
                novel_seen.add(sig)
                novel.append((case, ref))
            if div is not None and div.fingerprint not in first:
                first[div.fingerprint] = (judged - 1, div)
                yield Found(judged - 1, div)
                if len(first) >= config.max_divergences:
                    break
        yield Progress(judged, len(behaviours), len(first), time.monotonic() - start)
    prefetch.shutdown(wait=True, cancel_futures=True)

    # Shrink each finding in the order found. Divergences of other fingerprints
    # met while shrinking join the queue (up to max_divergences) instead of being lost.
    findings: list[Finding] = []
    queue = [(index, div, "generation") for index, div in sorted(first.values(), key=lambda t: t[0])]
    seen = set(first)
    while queue:
        index, div, via = queue.pop(0)
        finding, others = _finish(judge, div, index, config, via)
        findings.append(finding)
        yield Shrunk(finding)
        for fp in sorted(others):
            if fp not in seen and len(seen) < config.max_divergences:
                seen.add(fp)
                queue.append((index, others[fp], "shrinking"))

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
        novel=tuple(novel),
    )
    yield Finished(result)


def _finish(
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
    return _finish(judge, div, 0, config, "stored case")[0]


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


def _observable(o: Outcome) -> tuple[object, ...]:
    return (o.exit_class(), o.stdout, o.stderr, o.files)
