"""The pool runner's worker processes (a pipe each): errors come back as raised,
a dead worker is reported as lost and replaced, closing leaves nothing behind."""

from __future__ import annotations

import os

import psutil
import pytest

from fuzzdiff.model import Case, Program, Termination
from fuzzdiff.runner import PoolRunner, WorkerLost
from fuzzdiff.spec import DEFAULT_ENV, Limits

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

LIMITS = Limits(timeout=5.0, processes=32)
ECHO = Program(argv=("/bin/sh", "-c", 'echo "$@"', "echo"), argv0="echo")


@pytest.fixture
def runner() -> PoolRunner:
    pool = PoolRunner(2, DEFAULT_ENV, LIMITS, ECHO, ECHO)
    yield pool  # type: ignore[misc]
    pool.close()


def test_an_error_in_a_worker_is_raised_here(runner: PoolRunner) -> None:
    with pytest.raises(ValueError, match="invalid literal"):
        runner.pool.call(int, "not a number")
    assert runner.pool.call(int, "7") == 7  # the worker lives on


def test_a_dead_worker_is_lost_and_the_runner_goes_on(runner: PoolRunner) -> None:
    with pytest.raises(WorkerLost):
        runner.pool.call(os._exit, 3)
    runner._restart()
    pairs = runner.run_pairs([Case(argv=(b"%d" % i,)) for i in range(20)])
    assert [ref.stdout for ref, _ in pairs] == [b"%d\n" % i for i in range(20)]


def test_a_run_that_kills_its_worker_is_found_and_the_batch_finishes() -> None:
    killer = Program(argv=("/bin/sh", "-c", '[ "$1" = kill ] && kill -9 $PPID; echo "$@"', "k"), argv0="k")
    pool = PoolRunner(2, DEFAULT_ENV, LIMITS, ECHO, killer)
    try:
        cases = [Case(argv=(b"%d" % i,)) for i in range(10)] + [Case(argv=(b"kill",))]
        pairs = pool.run_pairs(cases)
        assert [ref.stdout for ref, _ in pairs[:10]] == [b"%d\n" % i for i in range(10)]
        assert pairs[10][1].termination is Termination.WORKER_LOST
        assert pairs[10][0].stdout == b"kill\n"
    finally:
        pool.close()


def test_closing_leaves_no_worker(runner: PoolRunner) -> None:
    pids = [proc.pid for proc in runner.pool.procs]
    assert len(pids) == 2 and all(psutil.pid_exists(pid) for pid in pids)
    runner.close()
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie" for pid in pids)


def test_large_cases_and_outcomes_both_ways_do_not_deadlock() -> None:
    """Megabytes going out to a worker while megabytes come back: a worker never
    gets a call while it may still be writing its last reply."""
    cat = Program(argv=("/bin/cat",), argv0="cat")
    limits = Limits(timeout=10.0, processes=32, output_bytes=4 << 20)
    pool = PoolRunner(1, DEFAULT_ENV, limits, cat, cat)
    try:
        cases = [Case(stdin=bytes([65 + i]) * (1 << 20)) for i in range(8)]
        pairs = pool.run_pairs(cases)
        assert [len(ref.stdout) for ref, _ in pairs] == [1 << 20] * 8
        assert all(cand.stdout == case.stdin for case, (_, cand) in zip(cases, pairs, strict=True))
    finally:
        pool.close()
