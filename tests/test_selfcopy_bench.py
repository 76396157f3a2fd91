"""The self-copy benchmark (benchmarks/selfcopy.py): its programs and one cheap row."""

from __future__ import annotations

import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from .helpers import load_benchmark

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_benchmark("selfcopy")


def test_its_programs_have_no_task_and_are_not_the_task_factorys(bench):
    manifest = tomllib.loads((ROOT / "references" / "library" / "programs.toml").read_text())
    tasked = {p["command"] for p in manifest["program"]} | {p.stem for p in (ROOT / "references").glob("*.toml")}
    factory = set(load_benchmark("taskfactory").PROGRAMS)
    assert not set(bench.PROGRAMS) & (tasked | factory)
    assert len(set(bench.PROGRAMS)) == len(bench.PROGRAMS)


def test_a_program_not_installed_is_said_so_and_not_run(bench, tmp_path):
    assert (
        bench.row("fuzzdiff-no-such-program", 10, 1, tmp_path) == "| fuzzdiff-no-such-program | not installed | | | | |"
    )
    assert not list(tmp_path.iterdir())


def test_what_a_verdict_rests_on_is_shown_from_the_json(bench):
    divergent = {"verdict": "divergent", "counterexample": {"argv": ["-a|b", "x"], "channels": ["stdout", "exit"]}}
    assert bench._why(divergent) == "-a\\|b x: stdout, exit differ"
    assert bench._why({"verdict": "inconclusive", "unstable": {"cases": 7}}) == "the reference varied on 7 cases"
    assert bench._why({"verdict": "equivalent"}) == ""
