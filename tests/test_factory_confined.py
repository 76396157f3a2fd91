"""The task factory never runs a reference unconfined: its probes and calibrations
(``factory.build.executor_for``) run without capabilities and, where the kernel has
Landlock, may write only in directories of their own. Probing ``date`` as root once
reset the machine's clock, and a probe with operand ``/b`` made the file /b."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from fuzzdiff.core.model import Case, Termination
from fuzzdiff.core.spec import TaskSpec, load_task
from fuzzdiff.factory import build
from fuzzdiff.factory.build import executor_for
from fuzzdiff.run import landlock
from fuzzdiff.run.program import reference_program

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="Linux capabilities and Landlock")

SH = shutil.which("sh") or "/bin/sh"


def shell_task(tmp_path: Path) -> TaskSpec:
    path = tmp_path / "sh.toml"
    path.write_text(f'name = "sh"\nprogram = "{SH}"\n')
    return load_task(str(path))


def capabilities(status: bytes) -> int:
    """The effective capabilities in a ``/proc/PID/status`` text."""
    found = re.search(rb"^CapEff:\s*([0-9a-f]+)$", status, re.MULTILINE)
    assert found is not None, status
    return int(found.group(1), 16)


def own_capabilities() -> int:
    return capabilities(Path("/proc/self/status").read_bytes())


def test_a_probe_cannot_write_outside_its_own_directories(tmp_path: Path) -> None:
    if landlock.abi() < 1:
        pytest.skip("the kernel has no Landlock: probes drop capabilities only")
    outside = tmp_path / "outside"
    outside.mkdir()
    spec = shell_task(tmp_path)
    script = f"touch {outside}/fuzzdiff-h5-escape-$$; echo made > inside; echo tmp > $TMPDIR/t && echo wrote-tmp"
    for executor in (executor_for(spec, timeout=5.0), executor_for(spec)):  # a probe's, a calibration's
        outcome = executor.run(reference_program(spec), Case(argv=(b"-c", script.encode())))
        assert outcome.termination is Termination.EXITED, outcome
        assert list(outside.iterdir()) == []
        assert b"Permission denied" in outcome.stderr or b"not permitted" in outcome.stderr
        # its own working and temporary directories stay writable
        assert outcome.files == ((b"inside", b"made\n"),)
        assert outcome.stdout == b"wrote-tmp\n"


def test_a_probe_has_no_capabilities(tmp_path: Path) -> None:
    if own_capabilities() == 0:
        pytest.skip("this process has no capabilities to drop")
    spec = shell_task(tmp_path)
    outcome = executor_for(spec, timeout=5.0).run(reference_program(spec), Case(argv=(b"-c", b"cat /proc/self/status")))
    assert outcome.exit_code == 0, outcome
    assert capabilities(outcome.stdout) == 0


def test_without_landlock_a_probe_still_drops_capabilities_and_the_build_warns_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if own_capabilities() == 0:
        pytest.skip("this process has no capabilities to drop")
    monkeypatch.setattr(landlock, "abi", lambda: 0)
    monkeypatch.setattr(build, "_WARNED", set(), raising=False)
    spec = shell_task(tmp_path)
    executors = [executor_for(spec, timeout=5.0), executor_for(spec)]
    warned = capsys.readouterr().err
    assert warned.count("fuzzdiff: warning:") == 1, warned
    assert "not write-confined" in warned
    for executor in executors:
        outcome = executor.run(reference_program(spec), Case(argv=(b"-c", b"cat /proc/self/status")))
        assert outcome.exit_code == 0, outcome
        assert capabilities(outcome.stdout) == 0


def test_help_and_version_are_read_without_capabilities_in_a_directory_of_their_own(tmp_path: Path) -> None:
    """``--help`` (mining) and ``--version`` (the task's version line) run outside any
    executor: a program that treats them as file names must not write where we stand."""
    if own_capabilities() == 0:
        pytest.skip("this process has no capabilities to drop")
    from fuzzdiff.core.model import Program
    from fuzzdiff.factory.mine import help_text
    from fuzzdiff.run.program import reference_version

    script = tmp_path / "prog"
    script.write_text("#!/bin/sh\ngrep CapEff /proc/self/status\ntouch made-here\n")
    script.chmod(0o755)
    text = help_text([str(script)])
    assert capabilities(text.encode()) == 0
    assert reference_version(Program((str(script),), "prog")) is not None
    assert not (Path.cwd() / "made-here").exists()


HELP = 'if [ "${1:-}" = --help ]; then echo "Usage: prog [FILE]"; echo "  -n  number lines"; exit 0; fi\n'


def test_a_version_line_that_changes_is_not_recorded(tmp_path: Path) -> None:
    """A program whose --version prints the clock got it recorded as its version,
    and every later run warned that the reference had changed."""
    from fuzzdiff.factory.build import build

    prog = tmp_path / "clocky"
    prog.write_text(f'#!/bin/sh\n{HELP}if [ "${{1:-}}" = --version ]; then date +%s%N; exit 0; fi\ncat\n')
    prog.chmod(0o755)
    built = build([str(prog)], seed=1, budget=40, cases=10)
    assert not [line for line in built.toml().splitlines() if line.startswith("version =")]
    steady = tmp_path / "steady"
    steady.write_text(f'#!/bin/sh\n{HELP}if [ "${{1:-}}" = --version ]; then echo "steady 1.0"; exit 0; fi\ncat\n')
    steady.chmod(0o755)
    assert 'version = "steady 1.0"' in build([str(steady)], seed=1, budget=40, cases=10).toml()
