"""Fixtures shared by test modules; plain helpers (fake programs, strategies, probes)
are in ``tests/helpers.py``."""

from __future__ import annotations

import pytest

import fuzzdiff.run.sandbox
from fuzzdiff.core.spec import TaskSpec, parse_task
from fuzzdiff.run.landlock import abi

from .helpers import SIMPLE_TASK


@pytest.fixture
def spec() -> TaskSpec:
    return parse_task(SIMPLE_TASK, "<test>")


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
