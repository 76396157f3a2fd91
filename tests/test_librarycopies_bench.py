"""benchmarks/librarycopies.py: an exact copy of a shipped task's reference, scored
by the oracle with its defaults, must get 1.0."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from .helpers import load_benchmark

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_benchmark("librarycopies")


def test_bare_leaves_out_the_tasks_with_fixed_arguments(bench: ModuleType) -> None:
    every, bare = bench.shipped(False), bench.shipped(True)
    assert "cksum-md5" in every and "cksum-md5" not in bare
    assert {"patch", "diff3", "sdiff", "ed"} <= set(bare)


def test_a_copy_of_a_reference_that_runs_another_program_scores_one(bench: ModuleType, tmp_path: Path) -> None:
    """patch runs ed: before the task listed ed as a tool, an exact copy of patch
    scored 0.0 in the masked sandbox ("ed FAILED")."""
    assert " | ok | 1.0 | " in bench.row("patch", 100, 1, tmp_path)


def test_a_copy_of_a_reference_that_reads_its_own_data_scores_one(bench: ModuleType, tmp_path: Path) -> None:
    """figlet reads its fonts in /usr/share/figlet: before `task build` listed the data
    a reference reads as tools, an exact copy scored 0.0 there ("Unable to open font file")."""
    assert " | ok | 1.0 | " in bench.row("figlet", 100, 1, tmp_path)


def test_an_unknown_task_is_named(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.argv", ["librarycopies.py", "--tasks", "no-such-task,cat"])
    with pytest.raises(SystemExit) as exc:
        bench.main()
    assert exc.value.code == 2 and "no-such-task is no shipped task" in capsys.readouterr().err
