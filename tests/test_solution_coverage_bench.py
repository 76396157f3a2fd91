"""benchmarks/solution_coverage.py's arithmetic and its refusals: no processes, no coverage.py needed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "solution_coverage.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("solution_coverage_bench", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_branches_are_the_arcs_leaving_a_line_two_ways(bench: ModuleType) -> None:
    possible = frozenset({(-1, 1), (1, 2), (1, 3), (2, 4), (3, 4), (4, -1)})
    assert bench.branch_arcs(possible) == {(1, 2), (1, 3)}
    assert bench.lines_of({(-1, 1), (1, 3), (3, -1)}) == {1, 3}


def test_shares_count_what_no_case_ran(bench: ModuleType) -> None:
    r = bench.TaskCoverage("t", (1,), 10, statements=8, branches=4, missing_lines=[5, 6], missing_arcs=[(1, 3)])
    r.line_hits.update({1: 3, 2: 1, 3: 1})
    assert (r.line_share(), r.branch_share(), r.once()) == (0.75, 0.75, [2, 3])


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["--tasks", "cksum,nosuch"], "nosuch"),
        (["--tasks", "cksum", "--seeds", "1,x"], "1,x"),
        (["--tasks", "cksum", "--distil", "7,,y"], "7,,y"),
    ],
)
def test_bad_input_is_refused_with_exit_2_naming_it(
    bench: ModuleType, argv: list[str], names: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bench.main(argv) == 2
    assert names in capsys.readouterr().err
