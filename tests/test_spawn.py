"""The executor's two ways of starting a program, ``posix_spawn`` (workers, whose
limits are inherited) and ``subprocess.Popen`` (everywhere else), give the same
outcome on programs that probe what a started process sees."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from fuzzdiff.core import spec
from fuzzdiff.core.errors import ProgramError
from fuzzdiff.core.model import Case, Outcome, Program
from fuzzdiff.core.spec import Limits
from fuzzdiff.run import execute
from fuzzdiff.run.execute import LocalExecutor

LIMITS = Limits(timeout=5.0, memory_mb=512, output_bytes=64 << 10, file_bytes=1 << 20, processes=64)
SH = "/bin/sh"


def sh(script: str) -> Program:
    return Program(argv=(SH, "-c", script, "prog"), argv0="prog")


PROBES: dict[str, tuple[Program, Case]] = {
    "exit status": (sh("exit 7"), Case()),
    "signal": (sh("kill -TERM $$"), Case()),
    "argv and argv0": (
        Program(argv=(sys.executable, "-c", "import sys; print(sys.argv)"), argv0="python3"),
        Case(argv=(b"a b", b"", b"--x=\xff")),
    ),
    "stdin": (sh("od -c"), Case(stdin=b"line\n\x00bin")),
    "environment": (sh("env | sort"), Case(env=(("EXTRA", "1"),))),
    "directory and files": (sh("pwd; ls -la . | sed 1d | cut -c1-10,40-; cat f"), Case(files=((b"f", b"data\n"),))),
    # only the standard descriptors (and the listing's own) are open
    "descriptors": (sh("ls /proc/self/fd"), Case()),
    # ignored signals survive exec: Python ignores SIGPIPE, a run must not. glibc's
    # posix_spawn leaves its two internal signals (32, 33) ignored, which no
    # program linked with glibc can use; the ordinary signals must match.
    "ignored signals": (
        sh(
            "grep SigBlk /proc/self/status;"
            " v=$(sed -n 's/^SigIgn:\t//p' /proc/self/status); echo $((0x$v & 0x7fffffff))"
        ),
        Case(),
    ),
    "sigpipe": (sh("yes | head -n 2; echo done"), Case()),
    # a new session: the program leads it
    "session": (
        Program(argv=(sys.executable, "-c", "import os; print(os.getsid(0) == os.getpid())"), argv0="python3"),
        Case(),
    ),
    "umask": (sh("umask"), Case()),
}


def _executor(root: Path) -> LocalExecutor:
    # limits_inherited: nothing to do between fork and exec, so posix_spawn may be used
    return LocalExecutor(dict(spec.DEFAULT_ENV), LIMITS, root=str(root), limits_inherited=True)


def _observed(outcome: Outcome) -> tuple[object, ...]:
    return (outcome.termination, outcome.exit_code, outcome.signal, outcome.stdout, outcome.stderr, outcome.files)


@pytest.mark.parametrize("probe", sorted(PROBES))
def test_posix_spawn_and_popen_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, probe: str) -> None:
    program, case = PROBES[probe]
    spawned: list[str] = []
    real = execute._posix_spawn

    def counting(path: str, *args: object) -> int:
        spawned.append(path)
        return real(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(execute, "_posix_spawn", counting)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    direct = _executor(tmp_path).run(program, case)
    assert spawned, "the direct path was not taken"

    monkeypatch.setattr(LocalExecutor, "_direct", lambda self, program, stdio: False)
    spawned.clear()
    popen = _executor(tmp_path).run(program, case)
    assert not spawned
    assert _observed(direct) == _observed(popen)


def test_direct_spawn_passes_no_inherited_descriptor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    leaked_r, leaked_w = os.pipe()
    os.set_inheritable(leaked_w, True)  # as a descriptor inherited from a parent would be
    try:
        outcome = _executor(tmp_path).run(sh("ls /proc/self/fd | sort -n | tr '\\n' ' '"), Case())
        assert str(leaked_w) not in outcome.stdout.decode().split()
        assert outcome.stdout.decode().split()[:3] == ["0", "1", "2"]
    finally:
        os.close(leaked_r)
        os.close(leaked_w)


def test_direct_spawn_restores_the_callers_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    before = os.getcwd()
    _executor(tmp_path).run(sh("true"), Case())
    assert os.getcwd() == before


def test_direct_spawn_of_a_missing_program_is_a_program_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    missing = Program(argv=(str(tmp_path / "no-such-program"),), argv0="prog")
    with pytest.raises(ProgramError, match="no-such-program"):
        _executor(tmp_path).run(missing, Case())


def test_threads_or_a_bare_name_use_popen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ex = _executor(tmp_path)
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert not ex._direct(sh("true"), (5, 6, 7))
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert ex._direct(sh("true"), (5, 6, 7))
    assert not ex._direct(Program(argv=("sh", "-c", "true"), argv0="sh"), (5, 6, 7))
    assert not ex._direct(sh("true"), (0, 6, 7))
    limited = LocalExecutor(dict(spec.DEFAULT_ENV), LIMITS, root=str(tmp_path))
    assert not limited._direct(sh("true"), (5, 6, 7))
