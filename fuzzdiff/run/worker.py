"""What a worker process of ``runner.PoolRunner`` holds and the calls it serves.

``set_up`` is the worker's set-up (``pool.Workers`` calls it once, in the
worker): the executors of both sides, made for the requested ``Isolation``.
``run_chunk`` and ``run_side`` are the calls the runner sends it; each returns,
with its outcomes, how the candidate's runs started since the last call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fuzzdiff.core.model import AT_LIMIT, Case, Outcome, Program
from fuzzdiff.core.spec import Limits
from fuzzdiff.run.isolation import Isolation, Sides, candidate_side, sides

#: (label, runs) as ``pyfork.PythonForkLauncher.take_launches`` hands them over.
Launches = tuple[tuple[str, int], ...]


class _Worker:
    """A worker's executors (``sides``) with the program each side runs; the
    candidate's are replaced together by ``use``."""

    def __init__(self, sides: Sides, programs: tuple[Program, Program], env: Mapping[str, str], limits: Limits) -> None:
        self.sides = sides
        self.programs = programs
        self.env = env
        self.limits = limits

    def run(self, side: int, case: Case) -> Outcome:
        executor = self.sides.reference if side == 0 else self.sides.candidate
        return executor.run(self.programs[side], case)

    def use(self, candidate: Program, isolation: Isolation) -> None:
        self.sides = candidate_side(self.env, self.limits, isolation, self.sides)
        self.programs = (self.programs[0], candidate)

    def launches(self) -> Launches:
        """How the candidate's runs started since the last call (empty without a fork-server)."""
        launcher = self.sides.launcher
        return launcher.take_launches() if launcher is not None else ()


_WORKER: _Worker | None = None


def set_up(
    env: Mapping[str, str], limits: Limits, reference: Program, candidate: Program, isolation: Isolation
) -> None:
    global _WORKER
    _WORKER = _Worker(sides(env, limits, reference, isolation), (reference, candidate), env, limits)


def _worker() -> _Worker:
    assert _WORKER is not None, "worker not initialised"
    return _WORKER


def candidate_isolation() -> str:
    """How this worker isolates the candidate's runs."""
    return str(getattr(_worker().sides.candidate, "isolation", "unknown"))


def run_chunk(
    cases: Sequence[Case],
    need_reference: Sequence[bool] | None = None,
    stop_on_slow: bool = False,
    candidate: bool = True,
) -> tuple[list[tuple[Outcome | None, Outcome | None]], Launches]:
    """Both programs on each case; the reference only where ``need_reference`` says
    so, the candidate unless ``candidate`` is False (its outcome is then None).
    With ``stop_on_slow``, the chunk stops after the first candidate run that
    ended at a resource limit (``AT_LIMIT``): fewer outcomes than cases. With the
    outcomes, how the candidate's runs started."""
    worker = _worker()
    outcomes: list[tuple[Outcome | None, Outcome | None]] = []
    for i, c in enumerate(cases):
        ref = worker.run(0, c) if need_reference is None or need_reference[i] else None
        cand = worker.run(1, c) if candidate else None
        outcomes.append((ref, cand))
        if stop_on_slow and cand is not None and cand.termination in AT_LIMIT:
            break
    return outcomes, worker.launches()


def set_candidate(candidate: Program, isolation: Isolation) -> None:
    """Run ``candidate`` from now on, with fresh fork-servers and the sandbox its
    root needs (``isolation.candidate_side``); the reference's executor is kept."""
    _worker().use(candidate, isolation)


def run_side(side: int, case: Case) -> tuple[Outcome, Launches]:
    """One side (0: the reference, 1: the candidate) on one case."""
    worker = _worker()
    outcome = worker.run(side, case)
    return outcome, worker.launches()
