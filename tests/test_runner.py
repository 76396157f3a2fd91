"""The pair runners: every runner offers what ``PairRunner`` declares (so no caller
needs ``getattr``), with the same meaning; the heap is trimmed on schedule."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fuzzdiff.core.model import Case, Outcome, Program, Termination
from fuzzdiff.core.spec import DEFAULT_ENV, Limits
from fuzzdiff.run import memory
from fuzzdiff.run.execute import FunctionExecutor
from fuzzdiff.run.runner import Pair, PairRunner, PoolRunner, SerialRunner

from .helpers import CAND, REF, echo_program

LIMITS = Limits(timeout=5.0, processes=32)
ECHO = Program(argv=("/bin/sh", "-c", 'echo "$@"', "echo"), argv0="echo")
#: Echoes, except that it sleeps past the time limit on an argument ``slow``.
SLOW_ECHO = Program(argv=("/bin/sh", "-c", 'case "$1" in slow) sleep 30;; esac; echo "$@"', "echo"), argv0="echo")
SHORT = Limits(timeout=0.5, processes=32)


def declared() -> list[str]:
    """The members ``PairRunner`` declares (attributes its callers read, methods)."""
    return sorted(name for name in vars(PairRunner) if not name.startswith("_"))


def test_the_protocol_declares_what_callers_read() -> None:
    assert declared() == [
        "candidate_cpu_seconds",
        "candidate_executions",
        "close",
        "executions",
        "isolation",
        "jobs",
        "launches",
        "reference_executions",
        "run_pairs",
        "run_references",
        "warnings",
    ]


def missing(runner: object) -> list[str]:
    return [name for name in declared() if not hasattr(runner, name)]


def test_serial_runner_offers_every_member_and_counts_both_sides() -> None:
    runner = SerialRunner(FunctionExecutor({REF.argv[0]: echo_program, CAND.argv[0]: echo_program}), REF, CAND)
    assert missing(runner) == []
    cases = [Case(argv=(b"%d" % i,)) for i in range(5)]
    runner.run_pairs(cases + cases[:2])  # the last two from the cache
    assert (runner.executions, runner.reference_executions, runner.candidate_executions) == (5, 5, 5)
    assert runner.jobs == 1 and list(runner.warnings) == [] and dict(runner.launches) == {}
    assert runner.isolation == "none"  # a FunctionExecutor says nothing of isolation


@pytest.fixture
def pool() -> Iterator[PoolRunner]:
    runner = PoolRunner(1, DEFAULT_ENV, LIMITS, ECHO, ECHO)
    yield runner
    runner.close()


class Known:
    """A reference cache in memory."""

    def __init__(self) -> None:
        self.kept: dict[Case, Outcome] = {}

    def get(self, case: Case) -> Outcome | None:
        return self.kept.get(case)

    def put(self, case: Case, outcome: Outcome) -> None:
        self.kept[case] = outcome


@pytest.mark.e2e
@pytest.mark.timeout(120)
def test_pool_runner_offers_every_member_and_counts_each_side(pool: PoolRunner) -> None:
    assert missing(pool) == []
    cases = [Case(argv=(b"%d" % i,)) for i in range(6)]
    pool.run_pairs(cases)
    pool.run_pairs(cases[:2])  # from the cache
    assert (pool.executions, pool.reference_executions, pool.candidate_executions) == (6, 6, 6)
    assert pool.jobs == 1 and list(pool.warnings) == [] and pool.isolation == "rlimits+pids-cgroup"


@pytest.mark.e2e
@pytest.mark.timeout(120)
def test_a_reference_outcome_in_the_shared_cache_is_not_run_again() -> None:
    shared = Known()
    first = PoolRunner(1, DEFAULT_ENV, LIMITS, ECHO, ECHO, reference_cache=shared)
    second = PoolRunner(1, DEFAULT_ENV, LIMITS, ECHO, ECHO, reference_cache=shared)
    try:
        cases = [Case(argv=(b"%d" % i,)) for i in range(6)]
        first.run_pairs(cases)
        first.run_pairs(cases, fresh=True)  # fresh: the reference runs again too
        assert (first.executions, first.reference_executions, first.candidate_executions) == (12, 12, 12)
        second.run_pairs(cases)
        assert (second.executions, second.reference_executions, second.candidate_executions) == (6, 0, 6)
    finally:
        first.close()
        second.close()


class FailsOnArrival:
    """A ``runner.Meanwhile`` whose ``arrived`` fails at its first pair."""

    def arrived(self, index: int, pair: Pair) -> None:
        raise RuntimeError("judging failed")

    def step(self) -> bool:
        return False


@pytest.mark.e2e
@pytest.mark.timeout(120)
def test_an_error_on_arrival_is_raised_after_the_replies(pool: PoolRunner) -> None:
    with pytest.raises(RuntimeError, match="judging failed"):
        pool.run_pairs([Case(argv=(b"x%d" % i,)) for i in range(40)], meanwhile=FailsOnArrival())
    # every reply was read: the next batch gets its own outcomes
    pairs = pool.run_pairs([Case(argv=(b"y%d" % i,)) for i in range(40)])
    assert [ref.stdout for ref, _ in pairs] == [b"y%d\n" % i for i in range(40)]


def test_heap_is_trimmed_once_every_trim_every_executions(monkeypatch: pytest.MonkeyPatch) -> None:
    trims: list[int] = []
    monkeypatch.setattr(memory, "glibc_allocator", lambda: lambda: trims.append(1))
    trimmer = memory.HeapTrimmer()
    for _ in range(3 * memory.TRIM_EVERY // 100):
        trimmer.executed(100)
    trimmer.executed(memory.TRIM_EVERY)
    assert len(trims) == 3  # at 1100 and 2200 executions, then 800 left + 1024
    monkeypatch.setattr(memory, "glibc_allocator", lambda: None)
    memory.HeapTrimmer().executed(10 * memory.TRIM_EVERY)  # nothing to call: no error


@pytest.mark.e2e
@pytest.mark.timeout(120)
@pytest.mark.parametrize("jobs", [1, 2])
def test_stop_on_slow_returns_a_prefix_ending_at_the_first_slow_run(jobs: int) -> None:
    runner = PoolRunner(jobs, DEFAULT_ENV, SHORT, ECHO, SLOW_ECHO)
    try:
        cases = [Case(argv=(b"slow" if i in (3, 30) else b"%d" % i,)) for i in range(40)]
        pairs = runner.run_pairs(cases, stop_on_slow=True)
        assert [c.termination for _, c in pairs[:4]] == [Termination.EXITED] * 3 + [Termination.TIMEOUT]
        assert len(pairs) == 4  # a prefix ends at its first slow run
        # every chunk after the one that stopped was held back: at most one call
        # in hand per worker, and the one being stopped, ran further
        assert runner.candidate_executions <= 4 + 2 * jobs * 32
        # without the flag, the whole batch, both slow runs included
        assert [c.termination for _, c in runner.run_pairs(cases)].count(Termination.TIMEOUT) == 2
    finally:
        runner.close()


@pytest.mark.e2e
@pytest.mark.timeout(120)
def test_run_references_runs_the_reference_only_and_afresh() -> None:
    shared = Known()
    runner = PoolRunner(1, DEFAULT_ENV, SHORT, ECHO, SLOW_ECHO, reference_cache=shared)
    try:
        slow = Case(argv=(b"slow",))
        runner.run_pairs([slow])
        assert (runner.reference_executions, runner.candidate_executions) == (1, 1)
        again = runner.run_references([slow, slow])
        assert [o.stdout for o in again] == [b"slow\n", b"slow\n"]  # no candidate timeout paid
        assert (runner.reference_executions, runner.candidate_executions) == (3, 1)
    finally:
        runner.close()


@pytest.mark.e2e
@pytest.mark.timeout(120)
def test_use_candidate_swaps_the_candidate_and_forgets_its_pairs() -> None:
    upper = Program(argv=("/bin/sh", "-c", 'echo "$@" | tr a-z A-Z', "echo"), argv0="echo")
    runner = PoolRunner(2, DEFAULT_ENV, LIMITS, ECHO, ECHO)
    try:
        cases = [Case(argv=(b"ab%d" % i,)) for i in range(6)]
        assert all(r.stdout == c.stdout for r, c in runner.run_pairs(cases))
        runner.use_candidate(upper)
        assert runner.candidate_executions == 0
        pairs = runner.run_pairs(cases)  # not the old candidate's pairs from the cache
        assert [c.stdout for _, c in pairs] == [b"AB%d\n" % i for i in range(6)]
        assert runner.candidate_executions == 6
    finally:
        runner.close()
