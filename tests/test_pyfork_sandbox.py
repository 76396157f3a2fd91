"""The Python fork-server inside the bubblewrap sandbox, against fresh interpreters there.

The probes of ``test_pyfork`` run through a ``SandboxExecutor`` without and one
with ``python_fork``: outcomes must be identical and every run of the second
must have been a fork-server run (``take_launches``). Then what a run can do to
the fork-server (its parent): kill or stop it (the case reruns fresh, with the
fresh outcome), or try to leave state for the next run (nothing survives).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import fuzzdiff.run.sandbox
from fuzzdiff.api import prepare
from fuzzdiff.core.model import LAUNCH_FRESH, Case, Finished, Outcome, Program, Termination
from fuzzdiff.core.spec import Limits
from fuzzdiff.engine.campaign import CampaignConfig, run_campaign
from fuzzdiff.oracle.scoring import score
from fuzzdiff.run.pyfork import LOST
from fuzzdiff.run.runner import Isolation, PoolRunner
from fuzzdiff.run.sandbox import SandboxExecutor, bwrap_available

from .helpers import CASES, ENV, FORMS, GOOD_BASE64, LIMITS, PARAMS, interpreter_form, observable

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(300),
    pytest.mark.skipif(
        not bwrap_available(), reason="bubblewrap cannot start a sandbox here (bwrap missing or no namespaces)"
    ),
]

FORKED = (("fork-server", 1),)
RERUN = ((LAUNCH_FRESH + LOST, 1),)

Boxes = tuple[SandboxExecutor, SandboxExecutor]


@pytest.fixture(scope="module")
def boxes() -> Iterator[Boxes]:
    with SandboxExecutor(ENV, LIMITS) as fresh, SandboxExecutor(ENV, LIMITS, python_fork=True) as forked:
        yield fresh, forked


def run_both(boxes: Boxes, program: Program, case: Case) -> tuple[Outcome, Outcome, tuple[tuple[str, int], ...]]:
    """The fresh outcome, the fork-server box's outcome, and how its run started."""
    fresh, forked = boxes
    forked.take_launches()
    expected = fresh.run(program, case)
    got = forked.run(program, case)
    assert fresh.take_launches() == ()  # no fork-server there
    return expected, got, forked.take_launches()


def assert_same(boxes: Boxes, program: Program, case: Case, launches: object = FORKED) -> Outcome:
    expected, got, started = run_both(boxes, program, case)
    assert started == launches
    for field, a, b in zip(
        ("termination", "exit", "signal", "stdout", "stderr", "files"),
        observable(expected),
        observable(got),
        strict=True,
    ):
        assert a == b, f"{field} differs for {case}:\nfresh:  {a!r}\nforked: {b!r}"
    return got


@pytest.mark.parametrize(("form", "name", "index"), PARAMS, ids=[f"{n}-{i}-{f}" for f, n, i in PARAMS])
def test_probe_outcomes_are_identical_in_the_sandbox(boxes: Boxes, form: str, name: str, index: int) -> None:
    assert_same(boxes, FORMS[form](name), CASES[name][index])


def test_runs_are_dumpable_and_leave_nothing_for_the_next(boxes: Boxes) -> None:
    """The fork-server is not dumpable (no /proc access, no ptrace) but its children
    are, as after exec; marks left anywhere (its directory, memory, /tmp) are gone
    by the next run, which may be served by the same fork-server."""
    program = interpreter_form("parent.py")
    for _ in range(3):
        out = assert_same(boxes, program, Case(argv=(b"state",)))
        assert out.stdout.startswith(b"dumpable 1\nmarks found: []\n"), out.stdout
        for line in (b"cannot mark /proc/PARENT/cwd", b"parent mem: denied", b"ptrace parent: denied"):
            assert line in out.stdout
        assert b"marked /tmp\n" in out.stdout  # the wipe is what removes it


@pytest.mark.parametrize("action", [b"kill", b"stop"])
def test_run_that_kills_or_stops_its_fork_server_reruns_fresh(
    action: bytes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The case reruns in a fresh process (where the parent is the sandbox's server,
    which the probe leaves alone): the fresh outcome, counted as a lost fork-server
    run; the next case gets a new fork-server. The short timeout makes a stopped
    fork-server that went unnoticed a lost sandbox (the host stops waiting first)."""
    monkeypatch.setattr(fuzzdiff.run.sandbox, "SAFETY_SECONDS", 3.0)
    limits = Limits(timeout=1.0, memory_mb=1024, output_bytes=1 << 20, file_bytes=1 << 20, processes=64)
    with SandboxExecutor(ENV, limits) as fresh, SandboxExecutor(ENV, limits, python_fork=True) as forked:
        program = interpreter_form("parent.py")
        out = assert_same((fresh, forked), program, Case(argv=(action,)), launches=RERUN)
        assert out.stdout == b"dumpable 1\ndone\n"
        assert forked.lost == 0 and forked.starts == 1
        assert_same((fresh, forked), interpreter_form("stdin_lines.py"), Case(stdin=b"x\n"))
        assert_same((fresh, forked), program, Case(argv=(action,)), launches=RERUN)


def test_fork_server_slower_to_start_than_the_timeout_is_given_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module the script imports sleeps at import time, longer than a run may take:
    a fresh run times out; the fork-server's start is given up at the timeout, within
    what the host waits for the sandbox, and the case times out as the fresh run does
    (not a lost sandbox); later cases run fresh, saying why."""
    monkeypatch.setattr(fuzzdiff.run.sandbox, "SAFETY_SECONDS", 3.0)
    limits = Limits(timeout=1.0, memory_mb=1024, output_bytes=1 << 20, file_bytes=1 << 20, processes=64)
    lib = tmp_path / "lib"  # under the script's directory, which is bound into the sandbox
    lib.mkdir()
    (lib / "slow_at_import.py").write_text("import time\ntime.sleep(8)\n")
    script = tmp_path / "slow.py"
    script.write_text("import slow_at_import\nprint('imported')\n")
    env = {**ENV, "PYTHONPATH": str(lib)}
    program = Program(argv=(sys.executable, str(script)), argv0=sys.executable)
    with SandboxExecutor(env, limits) as fresh, SandboxExecutor(env, limits, python_fork=True) as forked:
        for _ in range(2):
            expected, got, launches = run_both((fresh, forked), program, Case())
            assert expected.termination is Termination.TIMEOUT
            assert observable(got) == observable(expected)
            assert forked.lost == 0
            ((label, runs),) = launches
            assert runs == 1 and label.startswith(LAUNCH_FRESH + "fork-server: ")


def test_pool_runner_counts_fork_server_runs_in_the_sandbox() -> None:
    setup = prepare("base64", f"{sys.executable} {GOOD_BASE64}")
    spec_ = setup.spec
    runner = PoolRunner(
        2, dict(spec_.env), spec_.limits, setup.reference, setup.candidate, isolation=Isolation(sandbox=True)
    )
    try:
        assert runner.isolation.startswith("bubblewrap")
        config = CampaignConfig(seed=3, budget=32, shrink=False)
        *_, last = run_campaign(spec_, runner, setup.reference, setup.candidate, config, runner.isolation)
    finally:
        runner.close()
    assert isinstance(last, Finished)
    result = last.result
    assert result.executions > 0 and result.findings == ()
    assert result.launches == (("fork-server", result.executions),)


def test_score_counts_fork_server_runs_in_the_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def judge(cache: Path) -> tuple[float | None, str, tuple[tuple[str, int], ...], int]:
        result = score(
            "base64", f"{sys.executable} {GOOD_BASE64}", budget=24, seed=1, jobs=1, cache=cache, use_pool=False
        )
        assert result.status == "ok", result.error
        return result.reward, result.isolation, result.launches, result.candidate_executions

    reward, isolation, launches, runs = judge(tmp_path / "on")
    assert isolation.startswith("bubblewrap") and reward == 1.0
    assert launches == (("fork-server", runs),)
    monkeypatch.setenv("FUZZDIFF_PYFORK", "0")
    assert judge(tmp_path / "off") == (reward, isolation, (), runs)
