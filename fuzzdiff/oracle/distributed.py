"""Scoring batches of candidates on a Ray cluster (the optional ``ray`` extra).

This is the batch path of ``oracle.batch`` spread over a cluster. The pieces:

- ``Scorer`` actors, each with its own ``BatchScorer``: ``jobs`` CPUs and
  ``jobs + 1`` warm slots (worker processes with their sandboxes), kept across
  candidates and batches. An actor takes several calls at once (a threaded
  actor); each call scores one candidate on a free slot, so candidates are
  interleaved on the actor's workers, not run one after another.
- One ``ReferenceStore`` actor holds reference outcomes computed anywhere in
  the cluster, keyed like ``DiskReferenceCache`` (the cache directory's name,
  which hashes the reference binary, argv[0], environment and limits, then the
  case key). Scorers exchange outcomes with it in batches: buffered puts go up
  and everything new since the scorer's cursor comes down in the same call, at
  most every ``PULL_SECONDS`` while misses occur, and once after each score.
- The driver (``RayScorer.score``) scores each distinct candidate of a batch
  once and keeps each actor's slots busy, with one call queued besides,
  least-loaded actor first. A call that fails because its actor, worker or
  node died is put back at the head of the queue and the dead actor replaced
  by a fresh one (Ray places it on a live node); each candidate's score is
  stored once, by index, from the one call that returned it. A retried
  candidate runs alone on an idle scorer, so a candidate that kills its scorer
  costs others at most one attempt, and one that loses its scorer
  ``MAX_ATTEMPTS`` times gets ``status="error"``.

Results equal local ``scoring.score(..., use_pool=False)`` with the same seed: the
shared pool of earlier findings is never used here, because with candidates
scored concurrently on several nodes its contents (and so the rewards) would
depend on scheduling. Caches only change how often the reference runs
(``reference_executions``), never an outcome. Each node's on-disk cache
(``cache``, default ``$FUZZDIFF_CACHE`` or ``~/.cache/fuzzdiff`` on that node) is
used too unless ``disk=False``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import socket
import threading
import time
import uuid
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from fuzzdiff.core.errors import UserError
from fuzzdiff.core.model import Case, Outcome
from fuzzdiff.oracle.batch import BatchScorer, Request, first_copies
from fuzzdiff.oracle.scoring import DEADLINE, DEFAULT_BUDGET, Candidate, Score, parse_policy
from fuzzdiff.store.refcache import DiskReferenceCache

#: Calls in flight per scorer beyond its slots: queued, so no slot waits on the driver.
QUEUED_PER_ACTOR = 1
#: Seconds a scorer is given to stop its workers before it is killed.
CLOSE_SECONDS = 10.0
#: Calls per candidate before its score is an error: a candidate that kills every
#: scorer it lands on must not stall the batch or eat the cluster.
MAX_ATTEMPTS = 3
#: Reference outcomes a scorer keeps in memory (all tasks); ~1 KB each typically.
MEMORY_OUTCOMES = 65536
#: Outcomes the store keeps per cache namespace; past that, new ones are not
#: shared (sharing only saves reference runs) and the store's memory stays bounded.
STORE_OUTCOMES = 200_000
#: Seconds between pulls while a score keeps missing: one call per judged window
#: in practice, instead of one per shrinking step.
PULL_SECONDS = 0.2
#: Buffered outcomes pushed at once, so a long score shares before it ends.
PUSH_BATCH = 256

#: Seconds to wait for a TCP connection to a cluster's address before giving up.
CONNECT_SECONDS = 5.0

INSTALL_HINT = "pip install 'fuzzdiff[ray]'"


def import_ray() -> Any:
    """The ``ray`` module, or a ``UserError`` naming the extra to install."""
    try:
        import ray
    except ImportError as exc:
        raise UserError(f"scoring on Ray needs Ray installed: {INSTALL_HINT}") from exc
    return ray


def first_line(exc: BaseException) -> str:
    """Ray's errors run to many lines; a score's ``error`` is one."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def check_reachable(address: str) -> None:
    """Fail fast on a HOST:PORT nobody listens on (Ray itself retries for minutes)."""
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    if not host or not port.isdigit():
        return  # "auto" and other forms: Ray judges them
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as exc:
        raise UserError(
            f"cannot reach a Ray cluster at {address!r}: {exc}; "
            "give the head node's HOST:PORT (`ray start --head` prints it) or auto"
        ) from exc


class ReferenceStore:
    """Reference outcomes from every scorer, per cache namespace, in arrival order.

    Each namespace is an append-only log; a scorer's cursor is how much of it
    that scorer has seen. ``epoch`` changes when the store is recreated, so
    cursors into a lost store are reset rather than trusted."""

    def __init__(self, limit: int = STORE_OUTCOMES) -> None:
        self.limit = limit
        self.epoch = uuid.uuid4().hex
        self.logs: dict[str, list[tuple[str, Outcome]]] = {}
        self.keys: dict[str, set[str]] = {}
        self.counts: Counter[str] = Counter()

    def exchange(
        self, namespace: str, outcomes: list[tuple[str, Outcome]], cursor: int, epoch: str
    ) -> tuple[list[tuple[str, Outcome]], int, str]:
        """Store ``outcomes``; return what arrived since ``cursor`` (not counting
        these), the new cursor and the store's epoch."""
        log = self.logs.setdefault(namespace, [])
        keys = self.keys.setdefault(namespace, set())
        news = log[cursor:] if epoch == self.epoch else list(log)
        for key, outcome in outcomes:
            if key in keys:
                self.counts["duplicates"] += 1
            elif len(log) >= self.limit:
                self.counts["dropped"] += 1
            else:
                keys.add(key)
                log.append((key, outcome))
                self.counts["stored"] += 1
        self.counts["calls"] += 1
        self.counts["served"] += len(news)
        return news, len(log), self.epoch

    def stats(self) -> dict[str, int]:
        return {"namespaces": len(self.logs), "outcomes": sum(map(len, self.logs.values())), **self.counts}


class _Memory:
    """A scorer's outcomes across scores: ``(namespace, key) -> (outcome, shared)``,
    where ``shared`` says it came from another scorer through the store."""

    def __init__(self, size: int = MEMORY_OUTCOMES) -> None:
        self.size = size
        self.data: OrderedDict[tuple[str, str], tuple[Outcome, bool]] = OrderedDict()
        self.cursors: dict[str, tuple[int, str]] = {}
        self.lock = threading.Lock()  # the actor's calls run on several threads

    def get(self, item: tuple[str, str]) -> tuple[Outcome, bool] | None:
        with self.lock:
            hit = self.data.get(item)
            if hit is not None:
                self.data.move_to_end(item)
            return hit

    def put(self, item: tuple[str, str], outcome: Outcome, shared: bool) -> None:
        with self.lock:
            self.data[item] = (outcome, shared)
            self.data.move_to_end(item)
            if len(self.data) > self.size:
                self.data.popitem(last=False)


class LayeredReferenceCache:
    """The ``ReferenceCache`` a scorer gives ``scoring.score``: memory, then this
    node's disk (optional), then the cluster's store (optional).

    ``counts``: ``lookups``, ``memory_hits``, ``disk_hits``, ``shared_hits`` (the
    outcome was computed by another scorer), ``misses`` (the reference runs),
    ``store_calls``, ``pushed``, ``pulled``, ``store_errors``."""

    def __init__(
        self, disk: DiskReferenceCache, memory: _Memory, store: Any | None, use_disk: bool, counts: Counter[str]
    ) -> None:
        self.disk = disk
        self.namespace = disk.path.name
        self.memory = memory
        self.store = store
        self.use_disk = use_disk
        self.counts = counts
        self.pending: list[tuple[str, Outcome]] = []
        self.last_pull: float | None = None

    def get(self, case: Case) -> Outcome | None:
        self.counts["lookups"] += 1
        item = (self.namespace, case.key())
        hit = self.memory.get(item)
        if hit is None and self.use_disk:
            outcome = self.disk.get(case)
            if outcome is not None:
                self.counts["disk_hits"] += 1
                self.memory.put(item, outcome, False)
                return outcome
        if hit is None and self.store is not None and self._may_pull():
            self.sync()
            hit = self.memory.get(item)
        if hit is None:
            self.counts["misses"] += 1
            return None
        outcome, shared = hit
        self.counts["shared_hits" if shared else "memory_hits"] += 1
        return outcome

    def put(self, case: Case, outcome: Outcome) -> None:
        stable = dataclasses.replace(outcome, cpu_seconds=0.0, max_rss_kb=0, wall_seconds=0.0)
        item = (self.namespace, case.key())
        self.memory.put(item, stable, False)
        if self.use_disk:
            self.disk.put(case, stable)
        if self.store is not None:
            self.pending.append((item[1], stable))
            if len(self.pending) >= PUSH_BATCH:
                self.sync()

    def _may_pull(self) -> bool:
        return self.last_pull is None or time.monotonic() - self.last_pull >= PULL_SECONDS

    def sync(self) -> None:
        """Push buffered outcomes and pull what others stored since our cursor: one call."""
        if self.store is None:
            return
        ray = import_ray()
        cursor, epoch = self.memory.cursors.get(self.namespace, (0, ""))
        pending, self.pending = self.pending, []
        self.last_pull = time.monotonic()
        try:
            news, cursor, epoch = ray.get(self.store.exchange.remote(self.namespace, pending, cursor, epoch))
        except ray.exceptions.RayError:
            self.counts["store_errors"] += 1
            self.store = None  # sharing only saves reference runs: go on without it
            return
        self.memory.cursors[self.namespace] = (cursor, epoch)
        for key, outcome in news:
            if self.memory.get((self.namespace, key)) is None:
                self.memory.put((self.namespace, key), outcome, True)
        self.counts["store_calls"] += 1
        self.counts["pushed"] += len(pending)
        self.counts["pulled"] += len(news)


@dataclass(frozen=True, slots=True)
class Served:
    """What a scorer returns for one candidate: its score, cache counts and who scored it."""

    score: Score
    counts: dict[str, int]
    scorer: str


class Scorer:
    """A Ray actor that scores candidates on its own warm ``BatchScorer``,
    several calls at once, keeping reference outcomes in memory."""

    def __init__(self, store: Any | None, use_disk: bool, cwd: str, name: str, slots: int) -> None:
        if os.path.isdir(cwd):
            os.chdir(cwd)  # relative task files and candidate paths mean what they meant to the driver
        self.store = store
        self.use_disk = use_disk
        self.name = name
        self.slots = slots
        self.memory = _Memory()
        self.scorers: dict[tuple[bool, bool, Path | None], BatchScorer] = {}
        self.lock = threading.Lock()

    def _scorer(self, options: dict[str, Any]) -> BatchScorer:
        key = (bool(options["sandbox"]), bool(options["mask_reference"]), options["cache"])
        with self.lock:
            if key not in self.scorers:
                sandbox, mask, cache = key
                self.scorers[key] = BatchScorer(
                    slots=self.slots, sandbox=sandbox, mask_reference=mask, cache=cache, use_pool=False
                )
            return self.scorers[key]

    def score(self, task: str, candidate: Candidate | str, options: dict[str, Any]) -> Served:
        counts: Counter[str] = Counter()
        layers: list[LayeredReferenceCache] = []

        def layer(disk: DiskReferenceCache) -> LayeredReferenceCache:
            layers.append(LayeredReferenceCache(disk, self.memory, self.store, self.use_disk, counts))
            return layers[-1]

        request = _request(task, candidate, options)
        result = self._scorer(options).score_batch([request], reference_cache=layer)[0]
        for each in layers:
            each.sync()  # share what this score computed before the next one starts
        return Served(result, dict(counts), self.name)

    def close(self) -> None:
        """Stop every slot's workers (before the actor is killed)."""
        with self.lock:
            scorers, self.scorers = list(self.scorers.values()), {}
        for scorer in scorers:
            scorer.close()


def _request(task: str, candidate: Candidate | str, options: dict[str, Any]) -> Request:
    cand = Candidate(command=candidate) if isinstance(candidate, str) else candidate
    settings = {name: options[name] for name in ("budget", "seed", "policy", "deadline")}
    return Request(task, cand, **settings)


_REMOTE: dict[str, Any] = {}


def _remote(cls: type, **options: Any) -> Any:
    """``ray.remote`` applied on first use, so importing this module needs no Ray."""
    key = f"{cls.__name__}:{sorted(options.items())}"
    if key not in _REMOTE:
        _REMOTE[key] = import_ray().remote(**options)(cls)
    return _REMOTE[key]


class RayScorer:
    """A pool of ``Scorer`` actors and one ``ReferenceStore``; reuse it across
    batches to keep them warm. Starts a local Ray runtime (or connects to
    ``address``) unless Ray is already initialised, and shuts down only what it
    started."""

    def __init__(
        self,
        *,
        address: str | None = None,
        actors: int | None = None,
        jobs: int = 1,
        share: bool = True,
        disk: bool = True,
        at_most: int | None = None,
    ) -> None:
        """``jobs``: CPUs per actor, which keeps ``jobs + 1`` warm slots (one
        candidate each at a time); ``actors``: default one per ``jobs`` CPUs of
        the cluster, at most ``at_most``; ``share``: use a cluster-wide
        ``ReferenceStore``; ``disk``: each node's on-disk cache."""
        ray = import_ray()
        self.ray = ray
        self.jobs = jobs
        self.slots = jobs + 1  # as BatchScorer's default: a spare slot fills a judging slot's idle time
        self.disk = disk
        self.started = False
        if not ray.is_initialized():
            if address is not None:
                check_reachable(address)
            try:
                ray.init(
                    address=address or "local",
                    include_dashboard=False,
                    log_to_driver=False,  # workers' output must not mix with our JSON lines
                    logging_level=logging.WARNING,
                )
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise UserError(
                    f"cannot start or reach a Ray cluster at {address or 'local'!r}: {exc}; "
                    "check --ray-address (HOST:6379 of a `ray start --head` node, or auto); a cluster with "
                    "token authentication also needs RAY_AUTH_MODE=token and its RAY_AUTH_TOKEN here"
                ) from exc
            self.started = True
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.size = actors or max(1, min(cpus // jobs, at_most or cpus))
        self.store = _remote(ReferenceStore, num_cpus=0).remote() if share else None
        self.cwd = os.getcwd()
        self.generation = 0
        self.actors: list[Any] = [self._new_actor() for _ in range(self.size)]
        self.next = 0
        self.counts: Counter[str] = Counter()
        self.reference: Counter[str] = Counter()
        #: Which scorer returned each score of the last batch.
        self.scored_by: list[str] = []

    def _new_actor(self) -> Any:
        self.generation += 1
        cls = _remote(Scorer, num_cpus=self.jobs, max_restarts=0)
        concurrency = self.slots + QUEUED_PER_ACTOR
        return cls.options(scheduling_strategy="SPREAD", max_concurrency=concurrency).remote(
            self.store, self.disk, self.cwd, f"scorer-{self.generation}", self.slots
        )

    def score(
        self,
        task: str,
        candidates: Sequence[Candidate | str],
        *,
        budget: int = DEFAULT_BUDGET,
        seed: int = 0,
        policy: str = "binary",
        cache: Path | None = None,
        deadline: float = DEADLINE,
        sandbox: bool = True,
        mask_reference: bool = True,
        max_in_flight: int | None = None,
        on_submit: Callable[[int, Any], None] | None = None,
    ) -> list[Score]:
        """Scores in input order, equal to ``scoring.score(..., use_pool=False)``;
        a candidate given twice is scored once.

        ``on_submit(index, actor)`` is called after each call is sent (tests use
        it to kill a scorer mid-batch)."""
        parse_policy(policy)
        ray = self.ray
        errors = ray.exceptions
        dead = (errors.RayActorError, errors.WorkerCrashedError, errors.NodeDiedError, errors.ObjectLostError)
        options = {
            "budget": budget,
            "seed": seed,
            "policy": policy,
            "cache": cache,
            "deadline": deadline,
            "sandbox": sandbox,
            "mask_reference": mask_reference,
        }
        limit = max(1, max_in_flight or (self.slots + QUEUED_PER_ACTOR) * len(self.actors))
        results: list[Score | None] = [None] * len(candidates)
        self.scored_by = [""] * len(candidates)
        attempts = [0] * len(candidates)
        copies = first_copies([_request(task, cand, options).key() for cand in candidates])
        queue = deque(sorted(set(copies)))
        flight: dict[Any, tuple[int, int, Any]] = {}  # ref -> (index, slot, actor)
        load = [0] * len(self.actors)
        alone = [False] * len(self.actors)  # the slot runs a retried candidate and nothing else
        while queue or flight:
            while queue and len(flight) < limit:
                index = queue[0]
                retried = attempts[index] > 0
                free = [s for s in range(len(self.actors)) if not alone[s] and (load[s] == 0 or not retried)]
                if not free:
                    break  # a retried candidate waits for an idle scorer
                slot = min(free, key=lambda s: (load[s], (s - self.next) % len(self.actors)))
                self.next = (slot + 1) % len(self.actors)
                queue.popleft()
                alone[slot] = retried
                actor = self.actors[slot]
                attempts[index] += 1
                self.counts["attempts"] += 1
                flight[actor.score.remote(task, candidates[index], options)] = (index, slot, actor)
                load[slot] += 1
                if on_submit is not None:
                    on_submit(index, actor)
            ready, _ = ray.wait(list(flight), num_returns=1)
            for ref in ready:
                index, slot, actor = flight.pop(ref)
                load[slot] -= 1
                alone[slot] = False
                try:
                    served: Served = ray.get(ref)
                except dead as exc:
                    self._lost(slot, actor)
                    if attempts[index] < MAX_ATTEMPTS:
                        self.counts["retries"] += 1
                        queue.appendleft(index)
                    else:
                        self.counts["failed"] += 1
                        results[index] = self._error(
                            task, options, f"lost its Ray scorer {attempts[index]} times: {first_line(exc)}"
                        )
                    continue
                except ray.exceptions.RayError as exc:  # the scorer raised: fuzzdiff's fault, not the candidate's
                    self.counts["failed"] += 1
                    results[index] = self._error(task, options, f"internal error on Ray: {first_line(exc)}")
                    continue
                assert results[index] is None, "a candidate is scored once"
                results[index] = served.score
                self.scored_by[index] = served.scorer
                self.counts["scores"] += 1
                self.reference.update(served.counts)
        for i, j in enumerate(copies):
            results[i], self.scored_by[i] = results[j], self.scored_by[j]
        return [r for r in results if r is not None]

    def _lost(self, slot: int, actor: Any) -> None:
        """Replace the actor in ``slot`` if it is still the one that failed."""
        if self.actors[slot] is not actor:
            return  # already replaced after an earlier failed call
        with contextlib.suppress(Exception):  # it may be gone already
            self.ray.kill(actor, no_restart=True)
        self.actors[slot] = self._new_actor()
        self.counts["actors_replaced"] += 1

    @staticmethod
    def _error(task: str, options: dict[str, Any], message: str) -> Score:
        return Score(
            task=task,
            status="error",
            reward=None,
            policy=options["policy"],
            seed=options["seed"],
            budget=options["budget"],
            error=message,
        )

    def stats(self) -> dict[str, Any]:
        """Dispatch counts and reference-cache figures (summed over accepted scores)."""
        ref = dict(self.reference)
        lookups = ref.get("lookups", 0)
        hits = lookups - ref.get("misses", 0)
        out: dict[str, Any] = {"actors": len(self.actors), **self.counts, "reference": ref}
        out["hit_rate"] = round(hits / lookups, 4) if lookups else 0.0
        out["shared_hit_rate"] = round(ref.get("shared_hits", 0) / lookups, 4) if lookups else 0.0
        if self.store is not None:
            with contextlib.suppress(self.ray.exceptions.RayError):  # a lost store has no figures
                out["store"] = self.ray.get(self.store.stats.remote())
        return out

    def close(self) -> None:
        stopping = [actor.close.remote() for actor in self.actors]
        with contextlib.suppress(Exception):  # a scorer may be gone already: killing it below is enough
            self.ray.wait(stopping, num_returns=len(stopping), timeout=CLOSE_SECONDS)
        for actor in [*self.actors, self.store]:
            if actor is not None:
                with contextlib.suppress(Exception):  # it may be gone already
                    self.ray.kill(actor, no_restart=True)
        self.actors = []
        if self.started:
            self.ray.shutdown()

    def __enter__(self) -> RayScorer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def score_ray(
    task: str,
    candidates: Sequence[Candidate | str],
    *,
    address: str | None = None,
    budget: int = DEFAULT_BUDGET,
    seed: int = 0,
    policy: str = "binary",
    jobs: int = 1,
    cache: Path | None = None,
    deadline: float = DEADLINE,
    sandbox: bool = True,
    mask_reference: bool = True,
    actors: int | None = None,
    max_in_flight: int | None = None,
    share: bool = True,
) -> list[Score]:
    """Score ``candidates`` on Ray (a local runtime unless ``address``); input order.

    Same results as ``[scoring.score(task, c, ..., use_pool=False) for c in candidates]``.
    ``jobs``: CPUs per actor (each keeps ``jobs + 1`` warm slots);
    ``actors``: default one per ``jobs`` CPUs of the cluster, at most one per
    candidate; ``share``: the cluster-wide reference store."""
    if not candidates:
        return []
    parse_policy(policy)
    with RayScorer(address=address, actors=actors, jobs=jobs, share=share, at_most=len(candidates)) as pool:
        return pool.score(
            task,
            candidates,
            budget=budget,
            seed=seed,
            policy=policy,
            cache=cache,
            deadline=deadline,
            sandbox=sandbox,
            mask_reference=mask_reference,
            max_in_flight=max_in_flight,
        )
