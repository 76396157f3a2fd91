"""The paths benchmark (benchmarks/taskpaths.py) on made-up callgrind profiles: no valgrind."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from .helpers import load_benchmark


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_benchmark("taskpaths")


def _profile(path: Path, own: list[int], libc: list[int], counts: int = 1) -> Path:
    """A callgrind profile in the uncompressed form the wrapper asks for."""
    lines = ["version: 1", "positions: instr line", "events: Ir", "", "ob=/usr/bin/prog", "fl=???", "fn=0x1000"]
    lines += [f"{hex(a)} 0 {counts}" for a in own]
    lines += ["calls=1 0x9c940 0", f"{hex(own[0])} 0 {counts}" if own else "0x1 0 1"]
    lines += ["ob=/usr/lib/x86_64-linux-gnu/libc.so.6", "fn=0x9c940"]
    lines += [f"{hex(a)} 0 {counts}" for a in libc]
    lines += ["ob=/usr/lib/x86_64-linux-gnu/libjq.so.1", "fn=0x50", "0x50 0 1"]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_path_holds_the_programs_own_instructions_only(bench, tmp_path):
    got = bench.executed(_profile(tmp_path / "a.cg", [0x10, 0x14], [0x9C940, 0x9C944]))
    assert got == {("/usr/bin/prog", 0x10), ("/usr/bin/prog", 0x14), ("/usr/lib/x86_64-linux-gnu/libjq.so.1", 0x50)}


def test_paths_ignore_counts_and_libc_and_union_counts_instructions(bench, tmp_path):
    profiles = [
        _profile(tmp_path / "1.cg", [0x10, 0x14], [0x9C940]),
        _profile(tmp_path / "2.cg", [0x14, 0x10], [0x9C944], counts=7),  # same set: same path
        _profile(tmp_path / "3.cg", [0x10, 0x18], []),  # a new path, one new instruction
    ]
    runs, paths, instructions = bench.reach_of(profiles)
    assert (runs, paths) == (3, 2)
    assert instructions == 4  # 0x10, 0x14, 0x18 and libjq's 0x50


def test_the_table_gives_ratios_and_says_why_a_cell_is_empty(bench):
    R = bench.Reach
    rows = [
        ("a", R(100, 100, 10, 20, 1000), R(100, 100, 20, 50, 1500)),
        ("b", "exit 2: no such program", R(100, 100, 5, 5, 10)),
    ]
    lines = bench.table(rows)
    assert lines[2] == "| a | 100 | 200 | 1000 | 200 | 500 | 1500 | 2.50 | 1.50 |"
    assert lines[3].startswith("| b | n/a | n/a | n/a | 50 | 50 | 10 | n/a | n/a |")
    assert "paths per 1,000 2.50, instructions reached 1.50" in bench.summary(rows)


def test_a_campaign_where_valgrind_changed_the_output_is_not_measured(bench, tmp_path, monkeypatch):
    def fake(verdict: str):
        got = {"cases": 22, "behaviours": 9, "verdict": verdict}
        return lambda args: subprocess.CompletedProcess(args, 1, json.dumps(got), "")

    (tmp_path / "w").mkdir()
    _profile(tmp_path / "w" / "1.cg", [0x10], [])  # the one run the campaign made under callgrind
    args = (["--reference", "numfmt"], "numfmt", bench.argparse.Namespace(budget=22, seed=1, jobs=0))
    monkeypatch.setattr(bench.taskfactory, "run_cli", fake("divergent"))
    got = bench.campaign(*args, tmp_path / "wrapper", tmp_path / "w")
    assert isinstance(got, str) and "divergent in 22 cases" in got
    monkeypatch.setattr(bench.taskfactory, "run_cli", fake("equivalent"))
    assert bench.campaign(*args, tmp_path / "wrapper", tmp_path / "w") == bench.Reach(22, 1, 9, 1, 2)
