"""benchmarks/solution_coverage.py's arithmetic and its refusals: no processes, no coverage.py needed."""

from __future__ import annotations

from types import ModuleType

import pytest

from .helpers import load_benchmark


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_benchmark("solution_coverage")


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
        (["--tasks", "cksum", "--write"], "--distil"),
        (["--tasks", "cksum", "--budget", "-3"], "-3"),
    ],
)
def test_bad_input_is_refused_with_exit_2_naming_it(
    bench: ModuleType, argv: list[str], names: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bench.main(argv) == 2
    assert names in capsys.readouterr().err
