"""Scoring a batch of candidates at once on warm workers: the oracle for training loops.

``BatchScorer`` is made once (by a training script, the HTTP service, an
adapter) and scores batches of ``Request``s for as long as it lives:

- **Slots.** It keeps ``slots`` warm runners, each one worker process with its
  sandboxes (``scoring.score`` starts and stops its own for every candidate).
  A batch's candidates are handed to the slots in input order and scored side
  by side, one per slot at a time; a slot keeps its worker across candidates
  and batches, and changes only the candidate side for each: the candidate is
  written to the slot's own directory (the same path each time, one candidate
  at a time), so the slot's sandbox is kept and only its fork-servers start
  afresh (``PoolRunner.use_candidate``, ``SandboxExecutor.forget``). More slots than
  cores keep the cores busy while a slot judges or shrinks between runs.
- **Same rewards as one by one.** Each candidate is scored exactly as
  ``scoring.score`` scores it (the same phases, cases and judging); only where
  runs happen changes. The shared pool of earlier findings is read once when
  a batch starts, and the batch's own findings join it when the batch ends, in
  input order: every candidate of a batch sees the same pool, whatever was
  scored first.
- **Duplicates** (same task, candidate text, budget, seed, policy) are scored
  once; each copy gets the same ``Score``.
- **Caps.** Every request has a wall-clock deadline (``status="deadline"``),
  and a binary score stops at the candidate's first timeout or output flood.

The reference's outcomes come from the on-disk cache shared by all slots,
scorers and processes (``refcache``).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from fuzzdiff.core.errors import UserError
from fuzzdiff.core.model import Case
from fuzzdiff.engine.setup import Setup, make_runner, prepare, sandboxed_root
from fuzzdiff.oracle.scoring import (
    DEADLINE,
    DEFAULT_BUDGET,
    Candidate,
    Pool,
    Score,
    as_candidate,
    check_settings,
    materialise,
    parse_policy,
    reference_outcomes,
    score_on,
    unscored,
)
from fuzzdiff.run.runner import PoolRunner, ReferenceCache, default_jobs
from fuzzdiff.run.scratch import private_dir, remove_private, staging_root
from fuzzdiff.store.refcache import DiskReferenceCache


@dataclass(frozen=True, slots=True)
class Request:
    """One candidate to score for one task, with the score's settings."""

    task: str
    candidate: Candidate  # a plain command line is taken too, as ``score`` takes it
    budget: int = DEFAULT_BUDGET
    seed: int = 0
    policy: str = "binary"
    deadline: float = DEADLINE

    def __post_init__(self) -> None:
        object.__setattr__(self, "candidate", as_candidate(self.candidate))
        parse_policy(self.policy)
        check_settings(self.budget, self.seed, self.deadline)  # the caller's mistake: raised, as by ``score``

    def key(self) -> tuple[object, ...]:
        """What makes two requests the same score."""
        cand = self.candidate
        return (self.task, cand.identity(), cand.language, self.budget, self.seed, self.policy, self.deadline)


def first_copies(keys: Sequence[object]) -> list[int]:
    """For each key, the index of its first occurrence: a batch scores those
    indexes only and gives each copy its first's score."""
    first: dict[object, int] = {}
    return [first.setdefault(key, i) for i, key in enumerate(keys)]


def default_slots() -> int:
    """One slot per core and one more: a slot's worker idles while its thread
    judges or shrinks, and the spare slot fills that time."""
    return default_jobs() + 1


class _PoolSnapshot:
    """The shared pool as a batch sees it: each task's entries read once, at its
    first use in the batch (nothing is added before the batch ends, so that is
    the pool as it was when the batch started); empty when the pool is not used."""

    def __init__(self, cache: Path | None, use: bool) -> None:
        self.cache = cache
        self.read: dict[str, list[tuple[str, Case]]] = {}
        self.lock = threading.Lock()
        self.off = not use

    def entries(self, task: str) -> list[tuple[str, Case]]:
        if self.off:
            return []
        with self.lock:
            if task not in self.read:
                self.read[task] = Pool(task, self.cache).entries()
            return self.read[task]


class _Slot:
    """One warm runner (one worker process) and the task set-up it serves."""

    def __init__(self) -> None:
        self.key: tuple[object, ...] | None = None
        self.runner: PoolRunner | None = None
        # Where this slot's candidate is written, the same path for each: its sandbox
        # (whose root holds the path) is kept, only its fork-servers restart. It
        # holds one candidate at a time, so no candidate can read another.
        self.home = private_dir("slot", staging_root())

    def write(self, candidate: Candidate) -> str:
        """The slot's own copy of ``candidate`` (the last one's removed), as a command line.

        The directory itself is kept (a sandbox binds it by inode), emptied; where
        something in it cannot be removed (an unsandboxed candidate may write
        there), the slot moves to a new directory, and so to a new sandbox."""
        for entry in list(self.home.iterdir()):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    entry.unlink()
        if any(self.home.iterdir()):
            remove_private(self.home)
            self.home = private_dir("slot", staging_root())
        return materialise(candidate, self.home)

    def runner_for(
        self, setup: Setup, sandbox: bool, mask: bool, reference_cache: Callable[[Setup], ReferenceCache]
    ) -> PoolRunner:
        """A runner for ``setup``'s candidate: this slot's own with the candidate
        swapped in when it serves the same task and reference, else a new one."""
        key = (setup.spec, setup.reference, sandbox, mask)
        if self.runner is not None and self.key == key:
            self.runner.use_candidate(setup.candidate, sandboxed_root(setup, mask)[1] if sandbox else None)
            self.runner.reference_cache = reference_cache(setup)  # this score's, which may count its own hits
            return self.runner
        self.close()
        self.runner = make_runner(setup, 1, sandbox, mask, reference_cache(setup))
        self.key = key
        return self.runner

    def close(self) -> None:
        if self.runner is not None:
            runner, self.runner, self.key = self.runner, None, None
            runner.close()

    def remove(self) -> None:
        self.close()
        remove_private(self.home)


class BatchScorer:
    """Scores batches of candidates concurrently on warm workers (see the module).

    Pickling keeps the settings only: the copy starts its own workers when it
    first scores (so a scorer can be handed to another process, such as TRL's
    reward process). Close it (or use it as a context manager) to stop them."""

    def __init__(
        self,
        *,
        slots: int | None = None,
        sandbox: bool = True,
        mask_reference: bool = True,
        cache: Path | None = None,
        use_pool: bool = False,
        reference_cache: Callable[[DiskReferenceCache], ReferenceCache] | None = None,
    ) -> None:
        self.slots = slots or default_slots()
        self.sandbox = sandbox
        self.mask_reference = mask_reference
        self.cache = cache
        self.use_pool = use_pool
        self.reference_cache = reference_cache
        self._free: queue.SimpleQueue[_Slot] = queue.SimpleQueue()
        self._all: list[_Slot] = []
        self._threads: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    # -- pickling: settings only ------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        keep = ("slots", "sandbox", "mask_reference", "cache", "use_pool", "reference_cache")
        return {name: getattr(self, name) for name in keep}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    # -- scoring ----------------------------------------------------------------

    def score(self, task: str, candidate: Candidate | str, **settings: Any) -> Score:
        """One candidate (a batch of one); ``settings``: ``Request``'s fields."""
        cand = Candidate(command=candidate) if isinstance(candidate, str) else candidate
        return self.score_batch([Request(task, cand, **settings)])[0]

    def score_batch(
        self,
        requests: Sequence[Request],
        *,
        reference_cache: Callable[[DiskReferenceCache], ReferenceCache] | None = None,
    ) -> list[Score]:
        """Every request scored, in input order; never raises for a candidate's faults.

        ``reference_cache``: for this batch only, in place of the scorer's own
        (the Ray scorer counts each call's cache hits this way)."""
        if not requests:
            return []
        for request in requests:  # the caller's mistake: raised before anything runs
            parse_policy(request.policy)
        copies = first_copies([request.key() for request in requests])
        unique = sorted(set(copies))
        pools = _PoolSnapshot(self.cache, self.use_pool)
        found: dict[int, tuple[str, Case]] = {}
        threads = self._executor()
        layer = reference_cache or self.reference_cache
        futures = {i: threads.submit(self._score_one, i, requests[i], pools, found, layer) for i in unique}
        scores = {i: future.result() for i, future in futures.items()}
        if self.use_pool:  # this batch's findings join the pool once it is done, in input order
            for i in sorted(found):
                name, case = found[i]
                Pool(name, self.cache).add(case, requests[i].candidate.identity())
        return [scores[i] for i in copies]

    async def ascore_batch(self, requests: Sequence[Request]) -> list[Score]:
        """``score_batch`` without blocking an event loop (it runs on a thread)."""
        return await asyncio.to_thread(self.score_batch, requests)

    def close(self) -> None:
        """Stop the workers and threads; a later score starts them again."""
        with self._lock:
            threads, self._threads = self._threads, None
            slots, self._all = self._all, []
            self._free = queue.SimpleQueue()
        if threads is not None:
            threads.shutdown(wait=True)
        for slot in slots:
            slot.remove()

    def __enter__(self) -> BatchScorer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- inside --------------------------------------------------------------------

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(max_workers=self.slots, thread_name_prefix="fuzzdiff-slot")
                self._all = [_Slot() for _ in range(self.slots)]
                for slot in self._all:
                    self._free.put(slot)
            return self._threads

    def _score_one(
        self,
        index: int,
        request: Request,
        pools: _PoolSnapshot,
        found: dict[int, tuple[str, Case]],
        layer: Callable[[DiskReferenceCache], ReferenceCache] | None,
    ) -> Score:
        """Score ``request`` on a free slot; the minimal case it found for the pool
        goes into ``found[index]``."""
        start = time.monotonic()
        cand = request.candidate
        base = unscored(request.task, parse_policy(request.policy), request.seed, request.budget)
        slot = self._free.get()
        try:
            try:
                setup = prepare(request.task, slot.write(cand))
            except UserError as exc:
                return replace(base, error=str(exc), seconds=round(time.monotonic() - start, 3))
            outcomes = partial(reference_outcomes, cache=self.cache, wrap=layer, sandbox=self.sandbox)
            runner = slot.runner_for(setup, self.sandbox, self.mask_reference, outcomes)
            earlier = [case for who, case in pools.entries(setup.spec.name) if who != cand.identity()]
            result, minimal = score_on(setup, runner, cand, base, earlier, request.deadline, start, slot.home)
            if minimal is not None:
                found[index] = (setup.spec.name, minimal)
            return result
        except UserError as exc:  # as ``score`` has it: a candidate that cannot start on a case
            slot.close()
            return replace(base, error=str(exc), seconds=round(time.monotonic() - start, 3))
        except Exception as exc:  # the oracle's own failure: reported, never a reward
            slot.close()  # whatever state it was left in, the next candidate starts afresh
            return replace(base, error=f"internal error: {type(exc).__name__}: {exc}")
        finally:
            self._free.put(slot)
