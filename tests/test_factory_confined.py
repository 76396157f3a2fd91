"""The task factory never runs a reference unconfined: its probes and calibrations
(``factory.build.executor_for``) run without capabilities and, where the kernel has
Landlock, may write only in directories of their own. Probing ``date`` as root once
reset the machine's clock, and a probe with operand ``/b`` made the file /b."""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from fuzzdiff.core.model import Case, Program, Termination
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
    if not os.access("/var/tmp", os.W_OK):
        pytest.skip("no writable /var/tmp to try writing in")
    outside = Path(tempfile.mkdtemp(prefix="fuzzdiff-outside-", dir="/var/tmp"))  # not in /tmp: runs see it
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
    outside.rmdir()


def test_a_probe_run_as_root_has_a_private_tmp_that_no_other_run_sees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ed keeps its buffer in /tmp whatever TMPDIR says (glibc's tmpfile), so under
    Landlock alone `task build ed` found nothing ed accepts. Where fuzzdiff may make
    a mount namespace, a confined run's /tmp is an empty directory of its own,
    emptied after the run; the host's /tmp is untouched."""
    if landlock.abi() < 1 or not capabilities(Path("/proc/self/status").read_bytes()) >> 21 & 1:  # CAP_SYS_ADMIN
        pytest.skip("no Landlock, or no mount namespaces for this process: /tmp stays the host's, unwritable")
    spec = shell_task(tmp_path)
    executor = executor_for(spec, timeout=5.0)
    assert "private-tmp" in getattr(executor, "isolation", "")
    marker = f"fuzzdiff-private-tmp-{tmp_path.name}"
    script = f"ls -A /tmp; echo x > /tmp/{marker} && cat /tmp/{marker}"
    first = executor.run(reference_program(spec), Case(argv=(b"-c", script.encode())))
    assert (first.exit_code, first.stdout, first.stderr) == (0, b"x\n", b""), first  # empty, and writable
    assert not (Path("/tmp") / marker).exists()
    second = executor.run(reference_program(spec), Case(argv=(b"-c", b"ls -A /tmp")))
    assert (second.exit_code, second.stdout) == (0, b""), second  # nothing the first run left
    # where the runs' own directories lie in /tmp (FUZZDIFF_TMPDIR), a private /tmp would hide them
    monkeypatch.setenv("FUZZDIFF_TMPDIR", str(tmp_path))
    in_tmp = executor_for(spec, timeout=5.0)
    assert "private-tmp" not in getattr(in_tmp, "isolation", "")
    wrote = in_tmp.run(reference_program(spec), Case(argv=(b"-c", b'echo x > "$TMPDIR/t" && ls "$HOME" >/dev/null')))
    assert (wrote.exit_code, wrote.stderr) == (0, b""), wrote
    monkeypatch.delenv("FUZZDIFF_TMPDIR")
    ed = shutil.which("ed")
    if ed is not None:  # the program that showed it
        session = Case(argv=(b"-s", b"a"), stdin=b",p\n", files=((b"a", b"hi\n"),))
        edit = executor.run(Program(argv=(ed,), argv0="ed"), session)
        assert (edit.exit_code, edit.stdout, edit.stderr) == (0, b"hi\n", b""), edit


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
