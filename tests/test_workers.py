"""The pool runner's worker processes (a pipe each): errors come back as raised,
a dead worker is reported as lost and replaced, closing leaves nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from fuzzdiff.core.model import Case, Program, Termination
from fuzzdiff.core.spec import DEFAULT_ENV, Limits
from fuzzdiff.run.runner import Pair as OutcomePair
from fuzzdiff.run.runner import PoolRunner, WorkerLost, chunk_sizes

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

LIMITS = Limits(timeout=5.0, processes=32)
ECHO = Program(argv=("/bin/sh", "-c", 'echo "$@"', "echo"), argv0="echo")


@pytest.fixture
def runner() -> Iterator[PoolRunner]:
    pool = PoolRunner(2, DEFAULT_ENV, LIMITS, ECHO, ECHO)
    yield pool
    pool.close()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_worker_that_cannot_set_up_raises_its_error_and_leaves_no_worker(jobs: int) -> None:
    """Workers set up side by side: a set-up error is still raised here, no worker
    is left running, and the next pool starts."""
    from fuzzdiff.run.isolation import Isolation
    from fuzzdiff.run.pool import Workers
    from fuzzdiff.run.worker import set_up

    started: list[int] = []
    real_start = Workers._start

    def start(self: Workers) -> None:
        real_start(self)
        started.append(self.procs[-1].pid or 0)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Workers, "_start", start)
        with pytest.raises(AttributeError):  # limits None: the set-up reads limits.processes
            Workers(jobs, set_up, (dict(DEFAULT_ENV), None, ECHO, ECHO, Isolation()))
    assert len(started) == jobs
    assert not [pid for pid in started if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    pool = PoolRunner(jobs, DEFAULT_ENV, LIMITS, ECHO, ECHO)  # and workers still start afterwards
    try:
        ((_, cand),) = pool.run_pairs([Case(argv=(b"ok",))])
        assert cand.stdout == b"ok\n"
    finally:
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


def test_small_calls_queued_behind_large_outcomes_do_not_deadlock() -> None:
    """Small cases are queued two to a worker while megabytes come back, and
    large cases in between go only to a worker with nothing in hand."""
    cat = Program(argv=("/bin/sh", "-c", 'cat; [ -n "$1" ] && head -c "$1" /dev/zero', "big"), argv0="big")
    limits = Limits(timeout=10.0, processes=32, output_bytes=4 << 20)
    pool = PoolRunner(2, DEFAULT_ENV, limits, cat, cat)
    try:
        cases = [
            Case(argv=(b"%d" % (1 << 20),)) if i % 3 else Case(stdin=bytes([65 + i % 26]) * (1 << 19))
            for i in range(40)
        ]
        pairs = pool.run_pairs(cases)
        for case, (ref, cand) in zip(cases, pairs, strict=True):
            assert ref.stdout == cand.stdout == (case.stdin or bytes(1 << 20))
    finally:
        pool.close()


class Recorder:
    """A ``runner.Meanwhile`` that records what it is told and stops after ``steps`` steps."""

    def __init__(self, steps: int, fail: bool = False) -> None:
        self.arrived_pairs: dict[int, bytes | None] = {}
        self.left = steps
        self.taken = 0  # steps that did something
        self.asked = 0  # calls of ``step``
        self.fail = fail

    def arrived(self, index: int, pair: OutcomePair) -> None:
        assert index not in self.arrived_pairs
        self.arrived_pairs[index] = pair[0].stdout

    def step(self) -> bool:
        self.asked += 1
        if self.fail:
            raise RuntimeError("judging failed")
        if self.left == 0:
            return False
        self.left -= 1
        self.taken += 1
        return True


def test_meanwhile_hears_of_each_pair_and_is_stepped_while_waiting(runner: PoolRunner) -> None:
    runner.run_pairs([Case(argv=(b"%d" % i,)) for i in range(0, 40, 3)])  # some will come from the cache
    work = Recorder(1_000_000)
    cases = [Case(argv=(b"%d" % i,)) for i in range(40)]
    pairs = runner.run_pairs(cases, meanwhile=work)
    assert [ref.stdout for ref, _ in pairs] == [b"%d\n" % i for i in range(40)]
    assert work.arrived_pairs == {i: b"%d\n" % i for i in range(40)}
    assert 0 < work.taken < 1_000_000  # stepped while waiting, left unfinished

    # a meanwhile with nothing to do is not spun on: the runner waits for replies
    idle = Recorder(0)
    runner.run_pairs([Case(argv=(b"z%d" % i,)) for i in range(40)], meanwhile=idle)
    assert len(idle.arrived_pairs) == 40
    assert idle.asked <= len(chunk_sizes(40, 2))  # asked once a wait at most, each wait ending in a reply


def test_an_error_in_meanwhile_is_raised_after_the_replies(runner: PoolRunner) -> None:
    with pytest.raises(RuntimeError, match="judging failed"):
        runner.run_pairs([Case(argv=(b"x%d" % i,)) for i in range(40)], meanwhile=Recorder(1, fail=True))
    # every reply was read: the next batch gets its own outcomes
    pairs = runner.run_pairs([Case(argv=(b"y%d" % i,)) for i in range(40)])
    assert [ref.stdout for ref, _ in pairs] == [b"y%d\n" % i for i in range(40)]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_run_that_kills_its_worker_is_blamed_alone_and_the_batch_finishes(jobs: int, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    killer = Program(
        argv=("/bin/sh", "-c", f'echo >> {runs}; [ "$1" = die ] && kill -9 $PPID; echo "$@"', "echo"), argv0="echo"
    )
    pool = PoolRunner(jobs, DEFAULT_ENV, LIMITS, ECHO, killer)
    try:
        cases = [Case(argv=(b"die" if i == 30 else b"%d" % i,)) for i in range(40)]
        work = Recorder(1_000_000)
        pairs = pool.run_pairs(cases, meanwhile=work)
        for i, (ref, cand) in enumerate(pairs):
            assert ref.stdout == cases[i].argv[0] + b"\n"
            if i == 30:
                assert cand.termination is Termination.WORKER_LOST
            else:
                assert cand.stdout == ref.stdout
        # what the meanwhile was told agrees with what was returned
        assert all(work.arrived_pairs[i] == pairs[i][0].stdout for i in work.arrived_pairs)
        if jobs == 1:
            # Two chunks of 20, one after the other: the first came back before the
            # second died at case 30 (11 runs), and only the second is run again,
            # one case at a time (20 runs); running both again would make 71.
            assert len(runs.read_text()) == 20 + 11 + 20
    finally:
        pool.close()


LEFT_OPEN = """
from fuzzdiff.core.model import Case, Program
from fuzzdiff.run.runner import PoolRunner
from fuzzdiff.core.spec import DEFAULT_ENV, Limits
if __name__ == "__main__":
    echo = Program(argv=("/bin/echo",), argv0="echo")
    runner = PoolRunner(2, DEFAULT_ENV, Limits(timeout=5.0, processes=32), echo, echo)
    runner.run_pairs([Case()])
    raise SystemExit("left without closing the runner")
"""


def test_leaving_without_close_does_not_hang(tmp_path: Path) -> None:
    script = tmp_path / "left_open.py"
    script.write_text(LEFT_OPEN)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=60, check=False)
    assert done.returncode == 1 and b"left without closing" in done.stderr
