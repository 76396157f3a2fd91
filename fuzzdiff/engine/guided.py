"""The guided search of ``fuzz``: windows of fresh cases and mutants, run while
the window before is judged.

Guidance: after the first window, part of each window is mutants (``mutate``)
of cases that showed a new behaviour signature of the pair (the pool, ``Guide``),
including cases made from the reference's own output (feedback); the rest is
fresh structured generation. ``CampaignConfig.guidance`` switches each part off;
an empty set is generation alone.

Overlap, the one mechanism that lets the workers run while the main process
judges: window n is its head, fresh cases (all of the first window, a quarter of
later ones), and its tail, mutants made from the pool as it stands once window
n-1 is judged. Each batch given to the runner is what is left of window n (its
tail), then window n+1's head. While the batch runs, window n is judged pair by
pair in case order as the workers' replies come back (``Overlap``, a
``runner.Meanwhile``), then window n+1's tail is made while the workers are
still busy with its head, and fresh cases are drawn ahead. The tail's mutants,
from a random source derived from the seed and the window's number, see every
case judged before them. So what runs depends only on the seed and on results,
never on timing or the number of workers. A divergence's stability check runs
the case again, so it waits until the runner has handed the whole batch back
(the runner is not re-entrant). The rest of a batch after the case that
completes the requested findings still runs and is not judged; the window is
paused there and resumed if a finding is later set aside. Mutants are never
made ahead of the cases before them: feedback must see every judged case, since
budgets count cases, not seconds (docs/benchmarks.md, kill rate).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Generic, TypeVar

from fuzzdiff.core.generate import RecentKeys, derive_seed
from fuzzdiff.core.model import Case, Event, Outcome, Via
from fuzzdiff.core.mutate import MAX_DATA, Mutator, Parent
from fuzzdiff.core.plan import case_stream
from fuzzdiff.core.spec import TaskSpec
from fuzzdiff.run.runner import Pair

if TYPE_CHECKING:
    from fuzzdiff.engine.campaign import Campaign

T = TypeVar("T")

#: Cases judged between progress events (and between checks for enough findings).
WINDOW = 64
#: Fresh cases drawn ahead while workers run, at most: all a window can take (a
#: draw left for building the window is time the workers wait).
AHEAD = WINDOW
#: Share of a window made of mutants once there are parents. 0.75 killed more
#: planted bugs than 0.5 or 0.25 (docs/benchmarks.md, kill rate), and shallow bugs
#: still fall to the first window, all fresh generation.
MUTANT_SHARE = 0.75
#: Parents the pool keeps; signatures are coarse, so a campaign rarely fills it.
POOL_LIMIT = 2048
#: Bytes of cases and reference output the pool keeps (first come, first kept):
#: with POOL_LIMIT, the pool's memory is bounded whatever the outputs' sizes.
#: A parent keeps at most MAX_DATA bytes of the reference's stdout, all that
#: feedback ever uses.
POOL_BYTES = 8 << 20
#: Share of parents taken from the last window judged rather than the pool: the
#: pool holds one case per coarse signature, the window the variety around it.
RECENT_SHARE = 0.25
#: Attempts at one mutant not judged before; past them the slot goes to fresh generation.
MUTANT_TRIES = 4
#: Keys of judged cases remembered for skipping repeats: the most recent ones only,
#: so that a campaign's memory stays flat however many cases it runs.
JUDGED_KEYS = 16384


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


class GuidedSearch:
    """The search phase of ``fuzz``: the windows of the plan above, judged through
    the campaign's ``judge_pair`` and ``admit``."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        config = campaign.config
        self.budget = config.budget
        self.stream = case_stream(campaign.spec, config.seed, config.budget)
        self.guide = Guide(campaign.spec, config.seed, config.guidance)
        self.judged_keys = RecentKeys(JUDGED_KEYS)
        self.taken = 0  # cases put in windows so far
        self.planned = 0  # size of the next window, set when its head is drawn
        self.dry = False  # the fresh stream has ended
        self.ahead: deque[Case] = deque()  # fresh cases drawn early, while workers run
        self.batch_done = False  # the runner has returned the batch being judged: it may run more
        # The rest of the window judging stopped in once enough was found: resumed
        # if a finding is set aside after shrinking.
        self.paused: Generator[bool, None, bool] | None = None
        self.number = 0  # the window being judged
        self.coming = self._head(0)  # the head of the window to run next
        self.following = self._tail(0, len(self.coming))  # its tail
        self.opened: list[Pair] = []  # pairs of the window's cases that ran in the batch before

    # -- making windows

    def _draw(self) -> Case | None:
        return self.ahead.popleft() if self.ahead or self.draw_ahead() else None

    def draw_ahead(self) -> bool:
        """Draw a fresh case for later (they do not depend on results); False if
        enough are drawn or generation has ended."""
        if self.dry or len(self.ahead) >= AHEAD:
            return False
        case = next(self.stream, None)
        if case is None:
            self.dry = True
            return False
        self.ahead.append(case)
        return True

    def _fresh(self, count: int) -> list[Case]:
        """Up to ``count`` fresh cases not judged before (fewer once generation ends)."""
        fresh: list[Case] = []
        while len(fresh) < count and (case := self._draw()) is not None:
            if (key := case.key()) not in self.judged_keys:
                self.judged_keys.add(key)
                fresh.append(case)
        return fresh

    def _head(self, number: int) -> list[Case]:
        """The fresh cases that open window ``number``, drawn before its mutants
        exist: all of the first window, a share of later ones (``MUTANT_SHARE``)."""
        self.planned = min(WINDOW, self.budget - self.taken)
        mutants = round(self.planned * MUTANT_SHARE) if number > 0 and self.guide.mutator.active else 0
        fresh = self._fresh(self.planned - mutants)
        self.taken += len(fresh)
        return fresh

    def _tail(self, number: int, opened: int) -> list[Case]:
        """The rest of window ``number`` after its ``opened`` fresh cases: mutants
        of the pool as it stands, then fresh cases where mutants fell short, then,
        generation exhausted, mutants again."""
        left = self.planned - opened
        rest = self.guide.mutants(left, self.judged_keys, number)
        rest += self._fresh(left - len(rest))
        if len(rest) < left and self.dry:
            rest += self.guide.mutants(left - len(rest), self.judged_keys, number, "fill")
        self.taken += len(rest)
        return rest

    # -- judging

    def _judge_window(
        self,
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
        ``next_head`` cases; None: there is no next window). Yields whether it did
        anything (False: the next pair is not back); returns True once enough is
        found. ``begin``: the first case to judge (a paused window's)."""
        campaign = self.campaign
        for index in range(begin, len(window)):
            while index >= len(opened) and index - len(opened) not in pairs:
                yield False
            pair = opened[index] if index < len(opened) else pairs[index - len(opened)]
            judged = campaign.judge_pair(window[index], pair)
            self.guide.observe(judged.case, judged.reference, judged.new)
            if campaign.needs_rerun(judged):
                while not self.batch_done:  # the re-run needs the runner
                    yield False
                campaign.admit(judged, Via.GENERATION)
                if campaign.enough():  # every pair is in hand (the check waited for the batch)
                    every = [*opened, *(pairs[k] for k in range(len(window) - len(opened)))]
                    self.paused = self._judge_window(window, number, every, next_head, {}, index + 1)
                    return True
            yield True
        self.guide.end_window()
        campaign.progress()
        if next_head is not None:
            self.following = self._tail(number + 1, next_head)
        return False

    def run(self) -> Iterator[Event]:
        """Judge windows until enough is found (pausing the window it stopped in)
        or the budget is spent; a paused window is finished first."""
        campaign = self.campaign
        if self.paused is not None:
            rest, self.paused = self.paused, None
            enough = _drain(rest)
            yield from campaign.flush()
            if enough:
                return
            self.number += 1
        while self.coming or self.following:
            window = self.coming + self.following
            unrun = window[len(self.opened) :]
            more = self.taken < self.budget
            self.coming = self._head(self.number + 1) if more else []
            self.following = []
            work = partial(self._judge_window, window, self.number, self.opened, len(self.coming) if more else None)
            overlap = Overlap(work, spare=self.draw_ahead)
            self.batch_done = False
            pairs = campaign.judge.run(unrun + self.coming, overlap)
            self.batch_done = True
            enough = overlap.finish(pairs)
            self.opened = pairs[len(unrun) :]
            yield from campaign.flush()
            if enough:
                return
            self.number += 1


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
