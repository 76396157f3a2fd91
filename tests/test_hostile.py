"""Hostile programs against the pool runner's workers: the worker survives, and
nothing the program started outlives its run (where a pids cgroup is available)."""

from __future__ import annotations

import pytest

from fuzzdiff.core.model import Case, Program, Termination
from fuzzdiff.core.spec import DEFAULT_ENV, Limits
from fuzzdiff.run.cage import ProcessCage
from fuzzdiff.run.runner import PoolRunner

from .helpers import host_processes

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

LIMITS = Limits(timeout=2.0, processes=32)


def sh(script: str) -> Program:
    return Program(argv=("/bin/sh", "-c", script), argv0="sh")


@pytest.fixture
def caged() -> None:
    cage = ProcessCage.create(4)
    if cage is None:
        pytest.skip("no writable pids cgroup on this machine")
    cage.close()


def run(program: Program) -> tuple[object, str]:
    runner = PoolRunner(1, DEFAULT_ENV, LIMITS, program, sh("exit 0"))
    try:
        ((outcome, _),) = runner.run_pairs([Case()])
        return outcome, runner.isolation
    finally:
        runner.close()


def test_detached_daemon_does_not_outlive_its_run(caged: None) -> None:
    outcome, isolation = run(sh("setsid sleep 4321 </dev/null >/dev/null 2>&1 & sleep 0.3; echo started"))
    assert isolation == "rlimits+pids-cgroup"
    assert outcome.stdout == b"started\n"  # type: ignore[attr-defined]
    assert host_processes("sleep 4321") == []


def test_process_storm_is_capped_and_cleaned_up(caged: None) -> None:
    script = "i=0; while [ $i -lt 200 ]; do sleep 4322 & i=$((i+1)); done; echo done; wait"
    outcome, _ = run(sh(script))
    assert outcome.termination in (Termination.EXITED, Termination.TIMEOUT)  # type: ignore[attr-defined]
    assert b"fork" in outcome.stderr.lower() or b"resource" in outcome.stderr.lower()  # type: ignore[attr-defined]
    assert host_processes("sleep 4322") == []


def test_worker_keeps_working_after_hostile_runs(caged: None) -> None:
    runner = PoolRunner(1, DEFAULT_ENV, LIMITS, sh("setsid sleep 4323 & yes"), sh("printf ok"))
    try:
        for _ in range(3):
            ((ref, cand),) = runner.run_pairs([Case()], fresh=True)
            assert ref.termination is Termination.OUTPUT_CAP
            assert cand.stdout == b"ok"
    finally:
        runner.close()
    assert host_processes("sleep 4323") == []


def test_isolation_is_reported_without_a_cgroup_too() -> None:
    outcome, isolation = run(sh("echo hi"))
    probe = ProcessCage.create(4)  # can this machine make a cage at all?
    if probe is not None:
        probe.close()
    expected = "rlimits+pids-cgroup" if probe is not None else "rlimits"
    assert isolation == expected
    assert outcome.stdout == b"hi\n"  # type: ignore[attr-defined]


def test_candidate_killing_its_worker_is_a_behaviour_not_a_crash() -> None:
    """`kill -9 $PPID` takes the worker down; the runner restarts it and blames the right side."""
    runner = PoolRunner(1, DEFAULT_ENV, LIMITS, sh("printf ref"), sh('case "$0" in *) kill -9 $PPID;; esac; sleep 1'))
    try:
        pairs = runner.run_pairs([Case(argv=(b"a",)), Case(argv=(b"b",))])
        for ref, cand in pairs:
            assert ref.stdout == b"ref"
            assert cand.termination is Termination.WORKER_LOST
        # and the runner still works afterwards
        ((ref, _),) = runner.run_pairs([Case(argv=(b"c",))])
        assert ref.stdout == b"ref"
    finally:
        runner.close()


def test_background_children_a_run_leaves_never_use_up_the_process_cap(caged: None) -> None:
    """Killed at each run's end, the background children of a port that was right
    stayed zombies under a container's init (which reaps slowly), each counted in the
    worker's pids cgroup: after some 100 runs the port could not fork and was called
    flaky. The worker adopts such orphans and reaps them after every run."""
    limits = Limits(timeout=2.0, processes=8)
    leaves = sh("echo ok; i=0; while [ $i -lt 4 ]; do sleep 4324 </dev/null >/dev/null 2>&1 & i=$((i+1)); done")
    runner = PoolRunner(1, DEFAULT_ENV, limits, leaves, sh("echo ok"))
    try:
        for _ in range(10):
            pairs = runner.run_pairs([Case()] * 5, fresh=True)
            assert all(ref.stdout == b"ok\n" and ref.exit_code == 0 for ref, _ in pairs), pairs
    finally:
        runner.close()
    assert host_processes("sleep 4324") == []
