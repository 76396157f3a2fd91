"""Running the reference and the candidate on batches of cases, serially or on several cores.

A ``PairRunner`` takes cases in a fixed order and returns their outcome pairs in
the same order, whatever order the work finished in, so parallelism never
changes a result. Results are cached by case content, which shrinking relies on
(it proposes the same case many times). ``launches`` counts how the candidate's
runs of a Python program started (fork-server, or fresh and why), gathered from
the workers with their outcomes.

``PoolRunner`` runs on worker processes (``pool``, each set up by ``worker``
for an ``isolation.Isolation``). While they run a batch, the caller works on
the pairs already back (``Meanwhile``; the engine's side is ``guided.Overlap``,
the runner's ``_Arrivals``).
"""

from __future__ import annotations

import os
from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Protocol, cast

from fuzzdiff.core.model import AT_LIMIT, Case, Outcome, Program, Termination
from fuzzdiff.core.spec import Limits
from fuzzdiff.run.allowlist import Root
from fuzzdiff.run.execute import Executor
from fuzzdiff.run.isolation import LOCAL, fall_back
from fuzzdiff.run.isolation import Isolation as Isolation
from fuzzdiff.run.memory import HeapTrimmer
from fuzzdiff.run.pool import WorkerLost as WorkerLost
from fuzzdiff.run.pool import Workers
from fuzzdiff.run.worker import Launches, candidate_isolation, run_chunk, run_side, set_candidate, set_up

#: Cases sent to a worker at once, at most (see ``chunk_sizes`` for how a batch is
#: cut). On one core, chunks of 32 rather than 8 ran 2 to 4% more pairs a second.
CHUNK = 32
#: Outcome pairs kept in the cache; bounded so long campaigns stay flat in memory.
CACHE_SIZE = 4096
#: Bytes of cases and outcomes the cache keeps (``Case.size``, ``Outcome.size``),
#: oldest dropped first: pairs of large mutants (64 KiB inputs, outputs up to the
#: cap) would otherwise make CACHE_SIZE pairs hundreds of MiB. Shrinking, which
#: relies on the cache, works on small cases.
CACHE_BYTES = 8 << 20

Pair = tuple[Outcome, Outcome]
#: A chunk's outcomes from a worker: the reference's is None where it was known,
#: the candidate's where it was not asked for (``run_references``).
Replied = list[tuple[Outcome | None, Outcome | None]]


def _stopped_early(reply: object) -> bool:
    """Whether a worker's ``run_chunk`` reply stopped at a slow run (see ``stop_on_slow``)."""
    outcomes, _ = cast(tuple[Replied, Launches], reply)
    return bool(outcomes) and outcomes[-1][1] is not None and outcomes[-1][1].termination in AT_LIMIT


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
    """Runs both programs on batches of cases; what its callers read of it."""

    @property
    def isolation(self) -> str:
        """How the candidate's runs are isolated (``rlimits``, ``bubblewrap``, ...)."""
        ...

    @property
    def jobs(self) -> int:
        """Worker processes (1: runs in this process)."""
        ...

    @property
    def executions(self) -> int:
        """Pairs run (not taken from a cache)."""
        ...

    @property
    def reference_executions(self) -> int:
        """Runs of the reference (not taken from either cache)."""
        ...

    @property
    def candidate_executions(self) -> int:
        """Runs of the candidate."""
        ...

    @property
    def launches(self) -> Mapping[str, int]:
        """How the candidate's runs started (``pyfork``), where something counts them."""
        ...

    @property
    def candidate_cpu_seconds(self) -> float:
        """CPU seconds of the candidate's runs (``Outcome.cpu_seconds``, summed)."""
        ...

    @property
    def warnings(self) -> Sequence[str]:
        """What the user should know of how runs are isolated (a fallback taken)."""
        ...

    def run_pairs(
        self, cases: Sequence[Case], fresh: bool = False, meanwhile: Meanwhile | None = None, stop_on_slow: bool = False
    ) -> list[Pair]:
        """Outcome pairs in the order of ``cases``; ``fresh`` bypasses the cache.
        ``meanwhile``: see ``Meanwhile``. ``stop_on_slow``: the runner may stop
        after a candidate run that ended at a resource limit (``AT_LIMIT``) and return
        the pairs of a prefix of ``cases`` only, one that ends with such a run."""
        ...

    def run_references(self, cases: Sequence[Case]) -> list[Outcome]:
        """The reference run afresh on each case (never from a cache), the
        candidate not at all: what a stability check needs."""
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

    def split(self, cases: Sequence[Case], fresh: bool) -> tuple[dict[int, Pair], list[tuple[int, Case]]]:
        """The pairs of ``cases`` held here, by index, and the cases to run (all of
        them when ``fresh``), with their indices."""
        held: dict[int, Pair] = {}
        todo: list[tuple[int, Case]] = []
        for i, case in enumerate(cases):
            pair = None if fresh else self.get(case)
            if pair is None:
                todo.append((i, case))
            else:
                held[i] = pair
        return held, todo


class SerialRunner:
    """Runs every pair in this process with any executor (real or fake)."""

    jobs = 1
    warnings: Sequence[str] = ()

    def __init__(self, executor: Executor, reference: Program, candidate: Program) -> None:
        self.executor = executor
        self.reference = reference
        self.candidate = candidate
        self.cache = _Cache()
        self.executions = 0
        self.candidate_cpu_seconds = 0.0
        self.isolation: str = getattr(executor, "isolation", "none")
        #: How runs started, where the executor has a launcher that counts them (``pyfork``).
        self.launches: Counter[str] = Counter()
        self._take_launches = getattr(getattr(executor, "launcher", None), "take_launches", None)

    @property
    def reference_executions(self) -> int:
        return self.executions  # every pair run here runs both sides

    @property
    def candidate_executions(self) -> int:
        return self.executions

    def run_pairs(
        self, cases: Sequence[Case], fresh: bool = False, meanwhile: Meanwhile | None = None, stop_on_slow: bool = False
    ) -> list[Pair]:
        """``meanwhile`` is left to the caller: runs here are in this process."""
        out: list[Pair] = []
        for case in cases:
            pair = None if fresh else self.cache.get(case)
            if pair is None:
                pair = (self.executor.run(self.reference, case), self.executor.run(self.candidate, case))
                self.executions += 1
                self.candidate_cpu_seconds += pair[1].cpu_seconds
                self.cache.put(case, pair)
                if self._take_launches is not None:
                    self.launches.update(dict(self._take_launches()))
            out.append(pair)
            if stop_on_slow and pair[1].termination in AT_LIMIT:
                break
        return out

    def run_references(self, cases: Sequence[Case]) -> list[Outcome]:
        return [self.executor.run(self.reference, case) for case in cases]

    def close(self) -> None:
        pass


class ReferenceCache(Protocol):
    """Outcomes of the reference by case, shared across candidates (see ``refcache``)."""

    def get(self, case: Case) -> Outcome | None: ...

    def put(self, case: Case, outcome: Outcome) -> None: ...


class _Arrivals:
    """The runner's side of the overlap (``Meanwhile``) for one batch: each chunk's
    outcomes, kept as its worker's reply comes back (in any order) and handed on
    pair by pair to the caller's ``meanwhile``, whose ``step`` the pool calls
    while no reply is waiting (``pool.Workers.map_in_order``). ``launches``
    gathers how the candidate's runs started."""

    def __init__(
        self,
        chunks: Sequence[Sequence[tuple[int, Case]]],
        known: Mapping[int, Outcome],
        meanwhile: Meanwhile | None,
        launches: Counter[str],
    ) -> None:
        self.chunks = chunks
        self.known = known
        self.meanwhile = meanwhile
        self.launches = launches
        self.back: dict[int, Replied] = {}

    def replied(self, k: int, reply: object) -> None:
        """``chunks[k]``'s reply: ``run_chunk``'s outcomes and launch counts."""
        outcomes, launches = cast(tuple[Replied, Launches], reply)
        self.launches.update(dict(launches))
        self.back[k] = outcomes
        if self.meanwhile is not None:
            for (i, _), (ref, cand) in zip(self.chunks[k], outcomes, strict=False):  # stopped: fewer
                assert cand is not None  # only ``run_references`` asks for none, with no meanwhile
                self.meanwhile.arrived(i, (self.known[i] if ref is None else ref, cand))


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
        isolation: Isolation = LOCAL,
    ):
        """``reference_cache``: reference outcomes found there are not run again, and
        new ones are added to it. ``isolation``: see ``Isolation``; a sandbox that
        cannot start here falls back to local runs, noted in ``warnings``."""
        isolation, self.warnings = fall_back(isolation)
        self.jobs = jobs
        self.cache = _Cache()
        self.reference_cache = reference_cache
        self.executions = 0
        self.reference_executions = 0
        self.candidate_executions = 0
        self.candidate_cpu_seconds = 0.0
        #: How the candidate's runs started (``pyfork``: fork-server, or fresh and
        #: why), summed over the workers; empty when no fork-server is in use.
        self.launches: Counter[str] = Counter()
        self._initargs = (dict(env), limits, reference, candidate, isolation)
        self._trimmer = HeapTrimmer()
        self.pool = Workers(jobs, set_up, self._initargs)
        #: How the workers isolate runs (they all set up alike; ask one).
        self.isolation: str = str(self.pool.call(candidate_isolation))

    def run_pairs(
        self, cases: Sequence[Case], fresh: bool = False, meanwhile: Meanwhile | None = None, stop_on_slow: bool = False
    ) -> list[Pair]:
        results, todo = self.cache.split(cases, fresh)
        if stop_on_slow:  # a slow run already known ends the batch there
            slow = [i for i, pair in results.items() if pair[1].termination in AT_LIMIT]
            if slow:
                end = min(slow) + 1
                todo = [(i, case) for i, case in todo if i < end]
        known = self._known_references(todo, fresh)
        chunks: list[list[tuple[int, Case]]] = []
        start = 0
        for size in chunk_sizes(len(todo), self.jobs):
            chunks.append(todo[start : start + size])
            start += size
        if meanwhile is not None:
            for i, pair in sorted(results.items()):
                meanwhile.arrived(i, pair)
        for chunk, outcomes in zip(chunks, self._run_chunks(chunks, known, meanwhile, stop_on_slow), strict=True):
            self._record(chunk, outcomes, known, results)
        self._trimmer.executed(len(todo))
        out: list[Pair] = []
        for i in range(len(cases)):  # the longest prefix with pairs (all of it unless stopped)
            if i not in results:
                break
            out.append(results[i])
            if stop_on_slow and results[i][1].termination in AT_LIMIT:
                break
        return out

    def run_references(self, cases: Sequence[Case]) -> list[Outcome]:
        chunks = [list(enumerate(cases))]
        (outcomes,) = self._run_chunks(chunks, {}, None, candidate=False)
        self.reference_executions += len(outcomes)
        return [ref for ref, _ in outcomes if ref is not None]

    def _known_references(self, todo: Sequence[tuple[int, Case]], fresh: bool) -> dict[int, Outcome]:
        """The reference outcomes of ``todo`` in the reference cache, by index
        (none when ``fresh``: the reference runs again too)."""
        if self.reference_cache is None or fresh:
            return {}
        known: dict[int, Outcome] = {}
        for i, case in todo:
            hit = self.reference_cache.get(case)
            if hit is not None:
                known[i] = hit
        return known

    def _run_chunks(
        self,
        chunks: Sequence[Sequence[tuple[int, Case]]],
        known: Mapping[int, Outcome],
        meanwhile: Meanwhile | None,
        stop_on_slow: bool = False,
        candidate: bool = True,
    ) -> list[Replied]:
        """Each chunk's outcomes from the workers (``meanwhile`` told of each pair as
        it comes back). If a run killed its worker (``kill -9 $PPID``), new workers
        run the chunks not back one case at a time, to find which case and side
        did it. ``stop_on_slow``: a chunk stops after a slow candidate run, and no
        chunk is sent after one did (their replies are empty). ``candidate``:
        False runs the reference only (the candidate's outcomes are None)."""
        arrivals = _Arrivals(chunks, known, meanwhile, self.launches)
        try:
            self.pool.map_in_order(
                run_chunk,
                [
                    ([c for _, c in chunk], [i not in known for i, _ in chunk], stop_on_slow, candidate)
                    for chunk in chunks
                ],
                meanwhile.step if meanwhile is not None else None,
                arrivals.replied,
                _stopped_early if stop_on_slow else None,
            )
        except WorkerLost:
            self._restart()
            for k, chunk in enumerate(chunks):
                if k not in arrivals.back:
                    arrivals.back[k] = self._one_by_one(chunk, known, candidate)
        return [arrivals.back.get(k, []) for k in range(len(chunks))]

    def _record(
        self,
        chunk: Sequence[tuple[int, Case]],
        outcomes: Replied,
        known: Mapping[int, Outcome],
        results: dict[int, Pair],
    ) -> None:
        """Count, cache and keep in ``results`` the pairs of a chunk run."""
        for (i, case), (ref, cand) in zip(chunk, outcomes, strict=False):  # a stopped chunk's are fewer
            assert cand is not None
            if ref is None:
                ref = known[i]
            else:
                self.reference_executions += 1
                if self.reference_cache is not None:
                    self.reference_cache.put(case, ref)
            self.candidate_executions += 1
            self.candidate_cpu_seconds += cand.cpu_seconds
            results[i] = (ref, cand)
            self.cache.put(case, (ref, cand))
            self.executions += 1

    def use_candidate(self, candidate: Program, root: Root | None = None) -> None:
        """Run ``candidate`` from now on, on the same (warm) workers: each makes its
        candidate executor afresh (with ``root`` as the candidate's sandbox root,
        and new fork-servers); the reference's sandboxes and cache are kept. The
        pair cache and the counts start again. Where a worker's candidate cannot be
        swapped (the Landlock fallback), new workers start."""
        env, limits, reference, _, isolation = self._initargs
        isolation = replace(isolation, root=root)
        self._initargs = (env, limits, reference, candidate, isolation)
        self.cache = _Cache()
        self.executions = self.reference_executions = self.candidate_executions = 0
        self.candidate_cpu_seconds = 0.0
        self.launches = Counter()
        if isolation.landlock:
            self._restart()
            return
        try:
            self.pool.broadcast(set_candidate, candidate, isolation)
        except WorkerLost:
            self._restart()

    def _restart(self) -> None:
        self.pool.close(kill=True)
        self.pool = Workers(self.jobs, set_up, self._initargs)

    def _one_by_one(self, chunk: Sequence[tuple[int, Case]], known: Mapping[int, Outcome], candidate: bool) -> Replied:
        """Run each case alone; a side that kills its worker gets a ``worker-lost`` outcome."""
        out: Replied = []
        for i, case in chunk:
            ref: Outcome | None = None
            if i not in known:
                ref = self._side(0, case)
            out.append((ref, self._side(1, case) if candidate else None))
        return out

    def _side(self, side: int, case: Case) -> Outcome:
        try:
            reply = self.pool.call(run_side, side, case)
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
