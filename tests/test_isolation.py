"""A new candidate on warm workers (``isolation.candidate_side``): its fork-servers
always start afresh, and its sandbox is kept only where its root is the same. The
fork-server's own check of the script's file state is a second guard only: a
rewritten script of the same size can keep its inode and, within the file system's
timestamp granularity, its times."""

from __future__ import annotations

from typing import Any, cast

from fuzzdiff.core.spec import DEFAULT_ENV, Limits
from fuzzdiff.run.allowlist import Root
from fuzzdiff.run.execute import LocalExecutor
from fuzzdiff.run.isolation import Isolation, Sides, candidate_side
from fuzzdiff.run.sandbox import SandboxExecutor

LIMITS = Limits(timeout=2.0)


class Forgetful:
    """Counts what a candidate swap asks of a launcher."""

    def __init__(self) -> None:
        self.forgotten = 0
        self.closed = 0

    def forget(self) -> None:
        self.forgotten += 1

    def close(self) -> None:
        self.closed += 1


def test_plain_runs_keep_their_executor_and_forget_the_fork_servers() -> None:
    launcher = Forgetful()
    local = LocalExecutor(DEFAULT_ENV, LIMITS)
    old = Sides(local, local, cast(Any, launcher))
    assert candidate_side(DEFAULT_ENV, LIMITS, Isolation(), old) is old
    assert (launcher.forgotten, launcher.closed) == (1, 0)


def test_a_sandbox_with_the_same_root_is_kept_and_forgets_its_fork_servers() -> None:
    root = Root(frozenset({"/usr"}))
    box = SandboxExecutor(DEFAULT_ENV, LIMITS, python_fork=True, allowlist=root)  # never started
    calls = Forgetful()
    box.forget = calls.forget  # type: ignore[method-assign]
    box.close = calls.close  # type: ignore[method-assign]
    old = Sides(LocalExecutor(DEFAULT_ENV, LIMITS), box, box)
    same = candidate_side(DEFAULT_ENV, LIMITS, Isolation(sandbox=True, root=root), old)
    assert same is old and (calls.forgotten, calls.closed) == (1, 0)
    other = Root(frozenset({"/opt"}))
    moved = candidate_side(DEFAULT_ENV, LIMITS, Isolation(sandbox=True, root=other), old)
    assert calls.closed == 1 and moved.candidate is not box and moved.reference is old.reference
    assert isinstance(moved.candidate, SandboxExecutor) and moved.candidate.allowlist == other
