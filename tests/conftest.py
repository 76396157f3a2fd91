"""Shared helpers: fake programs made of Python functions, so most tests need no process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import fuzzdiff.run.sandbox
from fuzzdiff.core.model import CampaignResult, Case, Finished, Outcome, Program, Termination
from fuzzdiff.core.spec import TaskSpec, parse_task
from fuzzdiff.engine.campaign import CampaignConfig, Judge, run_campaign
from fuzzdiff.run.execute import FunctionExecutor
from fuzzdiff.run.landlock import abi
from fuzzdiff.run.runner import SerialRunner

REF = Program(argv=("/fake/ref",), argv0="prog")
CAND = Program(argv=("/fake/cand",), argv0="prog")


def exited(code: int = 0, stdout: bytes = b"", stderr: bytes = b"", files: tuple = ()) -> Outcome:
    return Outcome(Termination.EXITED, code, None, stdout, stderr, files)


def echo_program(case: Case) -> Outcome:
    """A reference: prints its arguments and stdin; fails on an argument '-x'."""
    if b"-x" in case.argv:
        return exited(1, stderr=b"prog: invalid option -- 'x'\n")
    return exited(0, stdout=b" ".join(case.argv) + b"|" + case.stdin, files=case.files)


SIMPLE_TASK = {
    "name": "echo",
    "program": "echo",
    "options": [
        {"short": "a", "long": "alpha"},
        {"short": "n", "long": "number", "value": {"kind": "int", "min": 0, "max": 50}},
    ],
    "operands": {"min": 0, "max": 2, "kinds": ["file", "dash", "missing"]},
    "stdin": {"models": ["empty", "text", "bytes"], "max_bytes": 64},
}


@pytest.fixture
def spec() -> TaskSpec:
    return parse_task(SIMPLE_TASK, "<test>")


def make_judge(spec: TaskSpec, reference: Callable[[Case], Outcome], candidate: Callable[[Case], Outcome]) -> Judge:
    executor = FunctionExecutor({REF.argv[0]: reference, CAND.argv[0]: candidate})
    return Judge(spec, SerialRunner(executor, REF, CAND), REF, CAND)


def fake_campaign(
    spec: TaskSpec,
    reference: Callable[[Case], Outcome],
    candidate: Callable[[Case], Outcome],
    **config: int,
) -> tuple[CampaignResult, list[object]]:
    """A whole campaign over fake programs (seed 1, budget 300 unless ``config``
    says otherwise): its result and every event."""
    executor = FunctionExecutor({REF.argv[0]: reference, CAND.argv[0]: candidate})
    runner = SerialRunner(executor, REF, CAND)
    events = list(run_campaign(spec, runner, REF, CAND, CampaignConfig(**{"seed": 1, "budget": 300, **config})))
    last = events[-1]
    assert isinstance(last, Finished)
    return last.result, events


@pytest.fixture(params=("bubblewrap", "landlock"))
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The sandbox, and the Landlock fallback where bubblewrap cannot start (forced
    by making bubblewrap look unavailable); skipped where the machine has neither."""
    chosen: str = request.param
    if chosen == "bubblewrap" and not fuzzdiff.run.sandbox.bwrap_available():
        pytest.skip("bubblewrap cannot start a sandbox here")
    if chosen == "landlock":
        if abi() < 1:
            pytest.skip("the kernel has no Landlock")
        monkeypatch.setattr(fuzzdiff.run.sandbox, "bwrap_available", lambda: False)
    return chosen


def host_processes(marker: str) -> list[int]:
    """Pids of host processes whose command line contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes().replace(b"\0", b" "):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found
