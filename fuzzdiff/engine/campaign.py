"""The campaign: generate cases, run both programs, compare, shrink what differs.

One core serves every mode. A ``Campaign`` holds a campaign's state and runs it
in named phases:

1. **search**: a search strategy feeds it cases, which it judges in order
   (``judge_pair``), re-running a divergence fresh before it counts (``admit``):
   where the reference's own output changes, or where the reference timed out
   (no answer to compare), the case is set aside (counted, never shrunk or
   blamed); a candidate's timeout counts only where it repeats on fresh runs.
   ``guided.GuidedSearch`` is ``fuzz``'s (fresh cases and mutants, overlapped
   with the runner); ``StreamSearch`` judges windows from
   a source that does not depend on results (the coverage harness, the reward
   oracle's phases).
2. **settle**: each finding is shrunk and confirmed, in the order found;
   divergences of other fingerprints met while shrinking join the queue; a
   finding whose reference is unstable on its minimal case is set aside and the
   search resumes where it stopped.
3. **result**: a ``CampaignResult``.

``run_campaign`` is a generator of typed events (``Progress``, ``Found``,
``Shrunk``, ``Finished``); the CLI, reports and the reward API consume them and
hold no logic of their own. The engine reaches the world only through a
``PairRunner`` and the task spec. ``cases`` in the result counts the cases
judged up to and including the one that completed the requested number of
findings (or the whole budget).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from fuzzdiff.core.model import (
    CampaignResult,
    Case,
    Divergence,
    Event,
    Finding,
    Fingerprint,
    Finished,
    Found,
    Program,
    Progress,
    Shrunk,
    Via,
)
from fuzzdiff.core.mutate import GUIDANCE
from fuzzdiff.core.shrink import Shrinker
from fuzzdiff.core.spec import TaskSpec
from fuzzdiff.core.triage import group_findings
from fuzzdiff.engine.judging import (
    CONFIRM_RUNS,
    Judge,
    Judged,
    Tally,
    confirm,
    reference_varies,
    retry_timeout,
    spellings,
    unanswered,
)
from fuzzdiff.run.runner import Pair, PairRunner

#: Shrinking proposals per finding unless told otherwise (``fuzz``, ``minimize``).
SHRINK_BUDGET = 2000


@dataclass(frozen=True, slots=True)
class CampaignConfig:
    seed: int
    budget: int = 1000  # generated cases at most
    max_divergences: int = 1  # distinct fingerprints to find before stopping
    shrink: bool = True
    shrink_budget: int = SHRINK_BUDGET  # proposals per finding
    batch: int = 4  # cases evaluated together while shrinking
    guidance: frozenset[str] = frozenset(GUIDANCE)  # mutate.GUIDANCE names; empty: generation alone
    # Re-run every divergent case for stability, not only the first of each
    # fingerprint: where every case counts (the oracle's graded reward).
    recheck_every: bool = False


class Search(Protocol):
    """A search strategy: judges cases through the campaign until it has enough or
    runs out; ``paused`` is not None where it stopped inside work it can resume."""

    @property
    def paused(self) -> object: ...

    def run(self) -> Iterator[Event]: ...


class Campaign:
    """One campaign's state and its phases (see the module's docstring)."""

    def __init__(
        self,
        spec: TaskSpec,
        runner: PairRunner,
        reference: Program,
        candidate: Program,
        config: CampaignConfig,
        isolation: str = "rlimits",
        warnings: tuple[str, ...] = (),
    ) -> None:
        self.spec = spec
        self.config = config
        self.judge = Judge(spec, runner, reference, candidate)
        self.tally = Tally(spec)
        self.isolation = isolation
        self.warnings = warnings
        self.start = time.monotonic()
        # Fingerprints counted toward max_divergences (found, or met while shrinking),
        # and the divergences found by judging that are still to be shrunk, in order.
        self.seen: set[Fingerprint] = set()
        # Other fingerprints of a divergence found (not counted): where shrinking moved
        # one (the reference no longer at the output cap, ``Shrinker.keeps``), the
        # fingerprint it moved to. Never a new finding.
        self.aliases: set[Fingerprint] = set()
        self.pending: list[tuple[int, Divergence, Via]] = []
        self.findings: list[Finding] = []
        self._events: list[Event] = []  # found while judging, handed out by ``flush``

    # -- phase 1: search

    def judge_pair(self, case: Case, pair: Pair) -> Judged:
        """Normalise and compare one pair as it came from the runner; count it."""
        reference, candidate = self.judge.normalised(pair)
        return self.tally.judge(case, reference, candidate)

    def needs_rerun(self, judged: Judged) -> bool:
        """Whether ``judged``'s divergence must be re-run before it counts (``admit``)."""
        div = judged.divergence
        return div is not None and (self.config.recheck_every or not self.known(div.fingerprint))

    def known(self, fp: Fingerprint) -> bool:
        """Whether ``fp`` is a divergence found already (or what one shrank to)."""
        return fp in self.seen or fp in self.aliases

    def admit(self, judged: Judged, via: Via) -> Divergence | None:
        """Re-run a divergent case fresh (the runner must be idle): set it aside
        where the reference's output changes (None), else it stands, and a new
        fingerprint is a finding to settle (``Found``)."""
        div = judged.divergence
        assert div is not None
        if why := unanswered(judged.reference):
            # The reference timed out, faulted on memory or passed a run limit: the case is evidence
            # neither way and is set aside like one it does not repeat.
            self.tally.aside.add(judged.case, why)
            return None
        found = retry_timeout(self.judge, div)
        if found is None:  # the candidate's timeout did not repeat, and then it agreed
            return None
        div = found
        varied = reference_varies(self.judge, judged.case, div.reference)
        if varied:
            self.tally.aside.add(judged.case, varied)
            return None
        if not self.known(div.fingerprint):
            self.seen.add(div.fingerprint)
            self.pending.append((judged.index, div, via))
            self._events.append(Found(judged.index, div))
        return div

    def enough(self) -> bool:
        return len(self.seen) >= self.config.max_divergences

    def progress(self) -> None:
        tally = self.tally
        elapsed = time.monotonic() - self.start
        self._events.append(Progress(tally.judged, len(tally.behaviours), len(self.seen), elapsed))

    def flush(self) -> list[Event]:
        """The events recorded since the last flush."""
        events, self._events = self._events, []
        return events

    # -- phase 2: settle

    def settle(self) -> Generator[Event, None, bool]:
        """Shrink and confirm each pending finding in order; returns whether one was
        set aside (its reference unstable on the minimal case)."""
        discarded = False
        while self.pending:
            index, div, via = self.pending.pop(0)
            finding, others = shrink_and_confirm(self.judge, div, index, self.config, via)
            final = finding.divergence.fingerprint
            if "reference" in finding.unstable:
                minimal = finding.divergence
                varied = reference_varies(self.judge, minimal.case, minimal.reference, CONFIRM_RUNS)
                self.tally.aside.add(minimal.case, varied)
                self.seen.discard(div.fingerprint)
                discarded = True
            else:
                # one that shrank past the output cap onto another finding's fingerprint is
                # kept: it was another divergence when found (uutils' nl refusing a byte
                # that is not UTF-8 beside its `nl -p`), and may be another bug
                self.findings.append(finding)
                if final != div.fingerprint:
                    self.aliases.add(final)
                yield Shrunk(finding)
            for fp in sorted(others):
                if self.known(fp) or self.enough() or unanswered(others[fp].reference):
                    continue
                # met while shrinking, not admitted: a timeout there must repeat too
                other = retry_timeout(self.judge, others[fp])
                if other is not None and not self.known(other.fingerprint):
                    self.seen.add(other.fingerprint)
                    self.pending.append((index, other, Via.SHRINKING))
        return discarded

    # -- phase 3: result

    def result(self) -> CampaignResult:
        tally, runner = self.tally, self.judge.runner
        findings = tuple(self.findings)
        return CampaignResult(
            task=self.spec.name,
            seed=self.config.seed,
            cases=tally.judged,
            seconds=round(time.monotonic() - self.start, 3),
            behaviours=len(tally.behaviours),
            executions=runner.executions,
            findings=findings,
            isolation=self.isolation,
            warnings=self.warnings,
            novel=tuple(tally.novel.entries),
            launches=tuple(sorted(runner.launches.items())),
            accepted=tally.acceptance.accepted,
            options_never_accepted=tally.acceptance.options_never_accepted(),
            values_never_accepted=tally.acceptance.values_never_accepted(),
            groups=group_findings(findings, tally.acceptance.reader),
            unstable_cases=tally.aside.count,
            wavered_cases=tally.aside.wavered,
            unanswered_cases=tally.aside.unanswered,
            unstable_examples=tuple(tally.aside.examples),
        )

    # -- all phases

    def run(self, search: Search, after_search: Callable[[], tuple[str, ...]] | None = None) -> Iterator[Event]:
        """Search, settle, and resume a paused search while a finding was set aside
        and more are wanted; then the result. ``after_search`` (once, before
        settling) may free what the search held and returns warnings to add."""
        while True:
            yield from search.run()
            if after_search is not None:
                self.warnings = (*self.warnings, *after_search())
                after_search = None
            discarded = yield from self.settle()
            if not (discarded and search.paused is not None and not self.enough()):
                break
        yield Finished(self.result())


class StreamSearch:
    """Judges windows of ``(label, case)`` from a source that does not depend on
    results, each run whole, then judged in order, until the source ends or
    enough is found; findings are found ``via``. ``before`` (if given) may stop
    the search before a case is judged; ``observe`` sees each judged case with
    its label and its divergence as it stands after the stability check (None:
    agreed, or set aside). Labels are the caller's (the oracle's phases).
    ``stop_on_slow``: the runner may stop a window at a candidate run that hit a
    resource limit, the rest of it running next (a binary score has its answer
    there; a graded one checks its deadline before each case; see ``_judge``)."""

    paused = None  # it never stops inside a window it could resume

    def __init__(
        self,
        campaign: Campaign,
        windows: Iterable[Sequence[tuple[str, Case]]],
        via: Via,
        before: Callable[[str, Case], bool] = lambda label, case: False,
        observe: Callable[[str, Judged, Divergence | None], None] = lambda label, judged, div: None,
        stop_on_slow: bool = False,
    ) -> None:
        self.campaign = campaign
        self.stop_on_slow = stop_on_slow
        self.windows = windows
        self.via = via
        self.before = before
        self.observe = observe

    def run(self) -> Iterator[Event]:
        campaign = self.campaign
        for window in self.windows:
            stopped = self._judge(window)
            campaign.progress()
            yield from campaign.flush()
            if stopped or campaign.enough():
                return

    def _judge(self, window: Sequence[tuple[str, Case]]) -> bool:
        """Judge a window in order; whether ``before`` stopped it. With
        ``stop_on_slow`` the runner may hand back only a prefix (up to a slow
        candidate run): the rest runs next unless judging has stopped by then."""
        campaign = self.campaign
        rest = list(window)
        while rest:
            pairs = campaign.judge.runner.run_pairs([case for _, case in rest], stop_on_slow=self.stop_on_slow)
            if not pairs:
                raise RuntimeError("the runner returned no pair for a window")  # a broken runner, never a verdict
            for (label, case), pair in zip(rest, pairs, strict=False):
                if self.before(label, case):
                    return True
                judged = campaign.judge_pair(case, pair)
                div = campaign.admit(judged, self.via) if campaign.needs_rerun(judged) else judged.divergence
                self.observe(label, judged, div)
                if campaign.enough():
                    return False
            rest = rest[len(pairs) :]
        return False


def run_campaign(
    spec: TaskSpec,
    runner: PairRunner,
    reference: Program,
    candidate: Program,
    config: CampaignConfig,
    isolation: str = "rlimits",
    warnings: tuple[str, ...] = (),
) -> Iterator[Event]:
    """``fuzz``'s campaign: the guided search (``guided``), then settling."""
    from fuzzdiff.engine.guided import GuidedSearch  # it builds on this module

    campaign = Campaign(spec, runner, reference, candidate, config, isolation, warnings)
    yield from campaign.run(GuidedSearch(campaign))


def shrink(
    judge: Judge, div: Divergence, budget: int, batch: int, stop: Callable[[], bool] | None = None
) -> tuple[Divergence, Shrinker]:
    """``div`` shrunk with at most ``budget`` proposals, ``batch`` judged together,
    until ``stop`` says so; with the shrinker (its statistics and the other
    fingerprints it met)."""
    shrinker = Shrinker(judge.check, div, budget=budget, batch=batch, spellings=spellings(judge.spec), stop=stop)
    return shrinker.shrink(), shrinker


def shrink_and_confirm(
    judge: Judge, div: Divergence, index: int, config: CampaignConfig, via: Via = Via.GENERATION
) -> tuple[Finding, dict[Fingerprint, Divergence]]:
    """A finding from a divergence: shrunk (unless the config says not to) and
    confirmed by fresh re-runs; with the divergences of other fingerprints met
    while shrinking."""
    proposals = 0
    minimal = div
    others: dict[Fingerprint, Divergence] = {}
    if config.shrink:
        minimal, shrinker = shrink(judge, div, config.shrink_budget, config.batch)
        proposals = shrinker.stats.proposals
        others = shrinker.others
    confirmed, unstable = confirm(judge, minimal)
    return Finding(minimal, div, index, proposals, confirmed, unstable, via), others


def minimize(judge: Judge, case: Case, config: CampaignConfig) -> Finding | None:
    """Judge one stored case again and shrink it if it still diverges (``None`` if not)."""
    (div,) = judge.check([case])
    if div is None:
        return None
    return shrink_and_confirm(judge, div, 0, config, Via.STORED_CASE)[0]
