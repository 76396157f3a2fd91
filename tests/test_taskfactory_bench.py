"""The task-factory benchmark's summary (benchmarks/taskfactory.py) on made-up rows: no processes."""

from __future__ import annotations

from types import ModuleType

import pytest

from .helpers import load_benchmark


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_benchmark("taskfactory")


def test_summary_medians_and_programs_below_a_fifth(bench):
    M, Row = bench.Measure, bench.Row
    rows = [
        # help: 10% at 50/1000; probed: 60% at 150/1000 (ratio 3)
        Row("a", M(100, 0.10, 5, "equivalent", 0), M(100, 0.60, 15, "equivalent", 0)),
        # help: 30% at 100/1000; probed: 19% at 100/1000 (ratio 1); 0.20 itself is not below
        Row("b", M(200, 0.30, 20, "equivalent", 0), M(100, 0.19, 10, "equivalent", 0)),
        Row("c", M(100, 0.20, 10, "equivalent", 0), M(100, 0.90, 20, "inconclusive", 7)),  # ratio 2
        Row("d", M(100, 0.50, 10, "equivalent", 0), None),  # no probed task: in the help figures only
        Row("e", None, None, note="help: exit 2"),  # no measurement at all: in neither
    ]
    s = bench.summarise(rows)
    assert s.median_help == pytest.approx(0.25)  # median of 0.10, 0.30, 0.20, 0.50
    assert s.median_probed == pytest.approx(0.60)  # median of 0.60, 0.19, 0.90
    assert s.below_help == ("a",)
    assert s.below_probed == ("b",)
    assert s.median_ratio == pytest.approx(2.0)  # median of 3, 1, 2
    line = bench.summary_line(s)
    assert "help 25%, probed 60%" in line
    assert "help 1 (a), probed 1 (b)" in line
    assert "probed/help: 2.00" in line


def test_summary_without_probed_rows_says_n_a(bench):
    M, Row = bench.Measure, bench.Row
    s = bench.summarise([Row("a", M(300, 0.0, 9, "equivalent", 0)), Row("b", M(300, 0.5, 30, "equivalent", 0))])
    assert s.median_help == pytest.approx(0.25)
    assert (s.median_probed, s.below_probed, s.median_ratio) == (None, (), None)
    assert s.below_help == ("a",)
    assert "probed n/a" in bench.summary_line(s)
    lines = bench.table([Row("a", M(300, 0.0, 9, "equivalent", 0))])
    assert lines[-1] == "| a | 0% | 30 | n/a | n/a | n/a | n/a / n/a |"


def test_only_tasks_written_outside_the_library_are_refused(bench):
    refused = bench.excluded_shipped()
    assert {"cksum", "head", "tr", "wc"} <= refused  # the hand-written original ten
    assert not refused & {"seq", "jq", "csplit", "sed"}  # the library's: the factory built them (or tried)
    # every program the benchmark lists can be measured
    assert not refused & {command.split()[0] for command in bench.PROGRAMS.values()}
