"""LocalExecutor on real processes: exit, signals, streams, argv, files, isolation, limits."""

from __future__ import annotations

import errno
import os
import re
import signal
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from fuzzdiff.core import spec
from fuzzdiff.core.errors import CaseFileError, ProgramError
from fuzzdiff.core.model import Case, Outcome, Program, Termination
from fuzzdiff.core.spec import Limits
from fuzzdiff.run.execute import (
    WORKDIR_PLACEHOLDER,
    FunctionExecutor,
    LaunchLost,
    LocalExecutor,
    resolve_executable,
)
from fuzzdiff.run.scratch import FILE_TIME, remove_tree

from .helpers import file_content

SH = "/bin/sh"
PYTHON = sys.executable
EMPTY = Case()
LIMITS = Limits(timeout=2.0, memory_mb=512, output_bytes=64 << 10, file_bytes=1 << 20, processes=64)


def executor(root: Path, limits: Limits = LIMITS) -> LocalExecutor:
    return LocalExecutor(dict(spec.DEFAULT_ENV), limits, root=str(root))


def sh(script: str, argv0: str = "prog") -> Program:
    """A program that runs ``script`` with /bin/sh; the case's argv become $1, $2, ..."""
    return Program(argv=(SH, "-c", script, argv0), argv0=argv0)


def py(code: str) -> Program:
    return Program(argv=(PYTHON, "-c", code), argv0="python3")


def run(tmp_path: Path, program: Program, case: Case = EMPTY, limits: Limits = LIMITS) -> Outcome:
    return executor(tmp_path, limits).run(program, case)


def files_of(outcome: Outcome) -> dict[bytes, bytes | None]:
    return dict(outcome.files)


def surviving(marker: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if marker in cmdline and proc.status() != psutil.STATUS_ZOMBIE:
            found.append(proc)
    return found


def wait_gone(marker: str, seconds: float = 2.0) -> list[psutil.Process]:
    """Processes whose command line holds ``marker`` after up to ``seconds`` (SIGKILL is not synchronous)."""
    end = time.monotonic() + seconds
    while (left := surviving(marker)) and time.monotonic() < end:
        time.sleep(0.02)
    return left


# -- exit status and signals ----------------------------------------------------


def test_exit_zero(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh("exit 0"))
    assert outcome.termination is Termination.EXITED
    assert outcome.exit_code == 0
    assert outcome.signal is None
    assert outcome.exit_class() == "exit:0"


def test_exit_nonzero(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh("exit 42"))
    assert outcome.termination is Termination.EXITED
    assert outcome.exit_code == 42
    assert outcome.exit_class() == "exit:42"


def test_death_by_signal(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh("kill -SEGV $$"))
    assert outcome.termination is Termination.SIGNALLED
    assert outcome.signal == signal.SIGSEGV
    assert outcome.exit_code is None
    assert outcome.exit_class() == f"signal:{int(signal.SIGSEGV)}"


def test_sigpipe_is_not_ignored_in_child(tmp_path: Path) -> None:
    # The parent (Python) ignores SIGPIPE; the program must get the default action back.
    outcome = run(tmp_path, sh("yes | head -c 3"))
    assert outcome.termination is Termination.EXITED
    assert outcome.stdout == b"y\ny"


# -- stdin ------------------------------------------------------------------------


def test_stdin_binary_with_nul_delivered_exactly(tmp_path: Path) -> None:
    data = bytes(range(256)) * 4 + b"\x00\x00end\x00"
    outcome = run(tmp_path, Program(argv=("/bin/cat",), argv0="cat"), Case(stdin=data))
    assert outcome.exit_code == 0
    assert outcome.stdout == data


def test_large_stdin_read_fully(tmp_path: Path) -> None:
    data = os.urandom(1 << 20) * 5 + b"tail"  # several MiB, far above a pipe buffer
    outcome = run(tmp_path, sh("wc -c; :"), Case(stdin=data))
    assert outcome.termination is Termination.EXITED
    assert int(outcome.stdout) == len(data)


def test_large_stdin_hashed_exactly(tmp_path: Path) -> None:
    import hashlib

    data = os.urandom(3 << 20)
    outcome = run(tmp_path, Program(argv=("/usr/bin/sha256sum",), argv0="sha256sum"), Case(stdin=data))
    assert outcome.exit_code == 0
    assert outcome.stdout.split()[0].decode() == hashlib.sha256(data).hexdigest()


@pytest.mark.timeout(30)
def test_large_stdin_to_program_that_never_reads(tmp_path: Path) -> None:
    data = b"x" * (4 << 20)
    outcome = run(tmp_path, sh("echo done; exit 3"), Case(stdin=data))
    assert outcome.termination is Termination.EXITED
    assert outcome.exit_code == 3
    assert outcome.stdout == b"done\n"
    assert outcome.wall_seconds < LIMITS.timeout


def test_empty_stdin_is_eof(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh("wc -c"), Case(stdin=b""))
    assert outcome.exit_code == 0
    assert outcome.stdout.strip() == b"0"


# -- stdout and stderr ------------------------------------------------------------


def test_stdout_and_stderr_captured_separately(tmp_path: Path) -> None:
    code = "import sys; sys.stdout.buffer.write(b'out\\x00\\xff\\n'); sys.stderr.buffer.write(b'err\\xfe\\x00')"
    outcome = run(tmp_path, py(code))
    assert outcome.exit_code == 0
    assert outcome.stdout == b"out\x00\xff\n"
    assert outcome.stderr == b"err\xfe\x00"


def test_large_outputs_on_both_streams_below_cap(tmp_path: Path) -> None:
    n = LIMITS.output_bytes  # exactly at the cap is not over it
    code = f"import sys; sys.stdout.buffer.write(b'o' * {n}); sys.stderr.buffer.write(b'e' * {n})"
    outcome = run(tmp_path, py(code))
    assert outcome.termination is Termination.EXITED
    assert outcome.stdout == b"o" * n
    assert outcome.stderr == b"e" * n


# -- argv ---------------------------------------------------------------------------


def test_argv_bytes_passed_exactly(tmp_path: Path) -> None:
    args = (b"plain", b"", b"two words", b"line\nbreak", b"\xff\xfe\x80", b"-n", b"--", b"$HOME", b"*")
    outcome = run(tmp_path, sh('for a in "$@"; do printf "%s|" "$a"; done'), Case(argv=args))
    assert outcome.exit_code == 0
    assert outcome.stdout == b"".join(a + b"|" for a in args)


def test_argv_count_includes_empty_strings(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh('printf %s "$#"'), Case(argv=(b"", b"", b"x")))
    assert outcome.stdout == b"3"


def test_argv0_is_program_argv0(tmp_path: Path) -> None:
    # python -c replaces sys.argv[0] with '-c'; the real argv[0] is in /proc.
    code = "import sys; sys.stdout.buffer.write(open('/proc/self/cmdline', 'rb').read())"
    outcome = run(tmp_path, Program(argv=(PYTHON, "-c", code), argv0="the-name"), Case(argv=(b"a\xff",)))
    assert outcome.stdout.split(b"\x00")[0] == b"the-name"
    assert outcome.stdout.split(b"\x00")[-2] == b"a\xff"


def test_argv0_seen_by_shell_script(tmp_path: Path) -> None:
    script = tmp_path / "prog.sh"
    script.write_bytes(b'#!/bin/sh\nprintf "%s|" "$0" "$@"\n')
    script.chmod(0o755)
    outcome = run(tmp_path, Program(argv=(str(script), "fixed"), argv0="shown-name"), Case(argv=(b"x",)))
    # A #! script gets its own path as $0; the prefix and case argv follow in order.
    assert outcome.stdout.endswith(b"|fixed|x|")


def test_argv0_seen_by_binary(tmp_path: Path) -> None:
    # `ls` reports errors under its argv[0]; a missing file forces a message.
    outcome = run(tmp_path, Program(argv=("/bin/ls",), argv0="shown-name"), Case(argv=(b"no-such-file",)))
    assert outcome.exit_code != 0
    assert outcome.stderr.startswith(b"shown-name: ")


def test_argv0_seen_by_sh_c(tmp_path: Path) -> None:
    # With sh -c, $0 is the argument after the script; the executor passes argv0 as argv[0] of sh itself.
    outcome = run(tmp_path, sh('printf %s "$0"', argv0="zero-name"))
    assert outcome.stdout == b"zero-name"


# -- input files ------------------------------------------------------------------

HOSTILE_NAMES = (b"with space", b"-dash", b"new\nline", b"back\\slash", b"\xff\xfe.bin")


def test_case_files_exist_with_exact_names_and_content(tmp_path: Path) -> None:
    files = tuple((name, b"content of " + name + b"\x00\xff") for name in HOSTILE_NAMES)
    code = (
        "import os, sys\n"
        "names = sorted(os.listdir(b'.'))\n"
        "for n in names:\n"
        "    sys.stdout.buffer.write(repr((n, open(n, 'rb').read())).encode() + b'\\n')\n"
    )
    outcome = run(tmp_path, py(code), Case(files=files))
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stdout == b"".join(repr(pair).encode() + b"\n" for pair in sorted(files))
    assert files_of(outcome) == dict(files)


def test_case_file_named_on_command_line(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh('cat -- "$1"'), Case(argv=(b"-dash",), files=((b"-dash", b"dash content"),)))
    assert outcome.stdout == b"dash content"


def test_nested_case_files(tmp_path: Path) -> None:
    files = ((b"dir/f", b"inner"), (b"dir/sub/g", b"deeper"), (b"top", b"t"))
    outcome = run(tmp_path, sh("cat dir/f dir/sub/g top"), Case(files=files))
    assert outcome.stdout == b"innerdeepert"
    assert files_of(outcome) == {
        b"dir": None,
        b"dir/sub": None,
        b"dir/f": b"inner",
        b"dir/sub/g": b"deeper",
        b"top": b"t",
    }


def test_empty_case_file(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh("test -f empty && test ! -s empty"), Case(files=((b"empty", b""),)))
    assert outcome.exit_code == 0
    assert files_of(outcome) == {b"empty": b""}


@pytest.mark.parametrize("name", [b"../escaped", b"a/../../escaped", b"/tmp/escaped-abs", b"", b"nul\x00name"])
def test_case_file_names_cannot_escape_workdir(tmp_path: Path, name: bytes) -> None:
    root = tmp_path / "root"
    root.mkdir()
    with pytest.raises(CaseFileError, match="relative path"):
        run(root, sh("true"), Case(files=((name, b"x"),)))
    assert list(root.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["root"]
    assert not os.path.exists("/tmp/escaped-abs")


# -- files after the run --------------------------------------------------------


def test_created_changed_deleted_files_in_outcome(tmp_path: Path) -> None:
    files = ((b"keep", b"same"), (b"change", b"old"), (b"gone", b"bye"))
    script = "printf new > change; rm gone; printf made > created; mkdir -p d/e; printf x > d/e/f; mkdir empty"
    outcome = run(tmp_path, sh(script), Case(files=files))
    assert outcome.exit_code == 0
    assert files_of(outcome) == {
        b"keep": b"same",
        b"change": b"new",
        b"created": b"made",
        b"d": None,
        b"d/e": None,
        b"d/e/f": b"x",
        b"empty": None,
    }
    assert [name for name, _ in outcome.files] == sorted(name for name, _ in outcome.files)


def test_created_file_with_hostile_name(tmp_path: Path) -> None:
    names = (b"a\\b c", b"\xff\xfe.bin", b"-n\nx")
    outcome = run(tmp_path, sh('for n in "$@"; do printf %s "$n" > "./$n"; done'), Case(argv=names))
    assert files_of(outcome) == {n: n for n in names}


def test_symlink_recorded_not_followed(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh("printf t > target; ln -s target link; ln -s /etc dirlink"))
    entries = files_of(outcome)
    assert entries[b"target"] == b"t"
    assert entries[b"link"] == b"\x00symlink\x00target"
    assert entries[b"dirlink"] == b"\x00symlink\x00/etc"
    assert not any(name.startswith(b"dirlink/") for name in entries)


def test_file_content_mentioning_workdir_is_scrubbed(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh('pwd > where; printf %s "$HOME" > home'))
    assert files_of(outcome) == {b"where": WORKDIR_PLACEHOLDER + b"\n", b"home": WORKDIR_PLACEHOLDER}


# -- isolation: paths, environment, directories ---------------------------------


def test_pwd_shows_placeholder(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh("pwd; /bin/pwd; /bin/pwd -P; echo $PWD"))
    assert outcome.stdout == (WORKDIR_PLACEHOLDER + b"\n") * 4
    assert str(tmp_path).encode() not in outcome.stdout


def test_pwd_under_symlinked_root_shows_placeholder(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    outcome = run(link, sh("pwd; /bin/pwd -P; readlink -f ."))
    assert outcome.stdout == (WORKDIR_PLACEHOLDER + b"\n") * 3
    assert list(real.iterdir()) == []


def test_relative_root_still_gives_placeholder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "rel").mkdir()
    monkeypatch.chdir(tmp_path)
    outcome = LocalExecutor(dict(spec.DEFAULT_ENV), LIMITS, root="rel").run(sh("pwd; cd && pwd"), Case())
    assert outcome.stdout == (WORKDIR_PLACEHOLDER + b"\n") * 2
    assert outcome.stderr == b""
    assert list((tmp_path / "rel").iterdir()) == []


def test_the_working_directorys_parent_is_shown_as_in_a_sandbox(tmp_path: Path) -> None:
    # realpath --relative-base prints a path outside the base in full: the run's own
    # directory, a fresh name each run, unless it is scrubbed as the sandbox shows it
    outcome = run(tmp_path, sh("realpath ..; cd .. && pwd -P"))
    assert outcome.stdout == b"/tmp\n/tmp\n"
    assert str(tmp_path).encode() not in outcome.stdout


def test_workdir_in_stderr_and_error_messages_is_scrubbed(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh('ls "$PWD/missing"'))
    assert outcome.exit_code != 0
    assert WORKDIR_PLACEHOLDER + b"/missing" in outcome.stderr
    assert str(tmp_path).encode() not in outcome.stderr


def test_tmpdir_is_private_and_scrubbed(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh('printf %s "$TMPDIR"; test -d "$TMPDIR" && test -w "$TMPDIR"'))
    assert outcome.exit_code == 0
    assert outcome.stdout == b"/tmp/fuzzdiff-tmp"


def test_home_is_workdir(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh('printf "%s\\n" "$HOME"; cd; pwd'))
    assert outcome.stdout == WORKDIR_PLACEHOLDER + b"\n" + WORKDIR_PLACEHOLDER + b"\n"


def test_fixed_environment_seen(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh('printf "%s|%s|%s|%s" "$LC_ALL" "$LANG" "$TZ" "$PATH"'))
    assert outcome.stdout == b"C|C|UTC|/usr/local/bin:/usr/bin:/bin"


def test_parent_environment_not_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUZZDIFF_LEAK_CHECK", "leaked")
    outcome = run(tmp_path, Program(argv=("/usr/bin/env",), argv0="env"))
    names = {line.split(b"=", 1)[0] for line in outcome.stdout.splitlines()}
    assert b"FUZZDIFF_LEAK_CHECK" not in names
    assert b"leaked" not in outcome.stdout
    assert names == {b"LC_ALL", b"LANG", b"TZ", b"PATH", b"PYTHONHASHSEED", b"HOME", b"PWD", b"TMPDIR"}


def test_case_env_added(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh('printf %s "$EXTRA"'), Case(env=(("EXTRA", "value"),)))
    assert outcome.stdout == b"value"


def test_date_uses_utc(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh("date -d @0 +%H:%Z"))
    assert outcome.stdout == b"00:UTC\n"


def test_runs_use_different_private_directories(tmp_path: Path) -> None:
    ex = executor(tmp_path)
    program = sh("ls -A; printf x > marker; cat /proc/self/mountinfo >/dev/null; readlink /proc/$$/cwd")
    first = ex.run(program, Case())
    second = ex.run(program, Case())
    # Each run starts empty: the first run's marker is not visible to the second.
    assert first.stdout == second.stdout == WORKDIR_PLACEHOLDER + b"\n"
    assert list(tmp_path.iterdir()) == []


def test_private_directories_differ(tmp_path: Path) -> None:
    seen: list[str] = []

    class Spy(LocalExecutor):
        def _spawn(self, program: Program, case: Case, work: Path, *rest: Any, **named: Any) -> Outcome:
            seen.append(str(work))
            return super()._spawn(program, case, work, *rest, **named)

    ex = Spy(dict(spec.DEFAULT_ENV), LIMITS, root=str(tmp_path))
    ex.run(sh("true"), Case())
    ex.run(sh("true"), Case())
    assert len(set(seen)) == 2
    assert all(s.startswith(str(tmp_path)) for s in seen)
    assert list(tmp_path.iterdir()) == []


def test_nothing_left_behind(tmp_path: Path) -> None:
    run(tmp_path, sh("printf x > a; mkdir -p b/c; printf y > b/c/d"), Case(files=((b"in", b"i"),)))
    assert list(tmp_path.iterdir()) == []


def test_nothing_left_behind_after_read_only_directory(tmp_path: Path) -> None:
    script = (
        "mkdir ro; printf x > ro/f; mkdir ro/sub; printf y > ro/sub/g; chmod 500 ro/sub; chmod 500 ro; chmod 400 ro/f"
    )
    outcome = run(tmp_path, sh(script))
    assert outcome.exit_code == 0
    assert files_of(outcome)[b"ro/f"] == b"x"
    assert list(tmp_path.iterdir()) == []


def test_nothing_left_behind_after_unreadable_directory(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh("mkdir -p locked/in; printf x > locked/in/f; chmod 000 locked/in locked; chmod 000 ."))
    assert outcome.termination is Termination.EXITED
    assert list(tmp_path.iterdir()) == []


def test_nothing_left_behind_when_program_removes_workdir(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh('rm -rf "$PWD" "$TMPDIR"'))
    assert outcome.exit_code == 0
    assert outcome.files == ()
    assert list(tmp_path.iterdir()) == []


def test_nothing_left_behind_after_timeout(tmp_path: Path) -> None:
    limits = Limits(timeout=0.5, output_bytes=64 << 10)
    outcome = run(tmp_path, sh('i=0; while :; do i=$((i+1)); printf x > "f$((i % 50))"; done'), limits=limits)
    assert outcome.termination is Termination.TIMEOUT
    assert list(tmp_path.iterdir()) == []


def test_failed_removal_never_touches_the_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # If the private directory cannot be removed (say a daemonised grandchild keeps
    # writing into it), clean-up must not chmod the shared root (/tmp by default).
    root = tmp_path / "root"
    root.mkdir()
    root.chmod(0o1777)
    base = root / "fuzzdiff-x"
    (base / "work").mkdir(parents=True)
    real_rmdir = os.rmdir

    def stubborn_rmdir(path: str, *, dir_fd: int | None = None) -> None:
        if os.fspath(path) == str(base):
            raise OSError(errno.ENOTEMPTY, "Directory not empty")
        real_rmdir(path, dir_fd=dir_fd)

    monkeypatch.setattr(os, "rmdir", stubborn_rmdir)
    remove_tree(base)
    assert stat.S_IMODE(root.stat().st_mode) == 0o1777


# -- timeout and process groups ---------------------------------------------------


@pytest.mark.timeout(30)
def test_endless_loop_times_out(tmp_path: Path) -> None:
    limits = Limits(timeout=1.0, output_bytes=64 << 10)
    start = time.monotonic()
    outcome = run(tmp_path, sh("while :; do :; done"), limits=limits)
    assert outcome.termination is Termination.TIMEOUT
    assert outcome.exit_code is None and outcome.signal is None
    assert outcome.exit_class() == "timeout"
    assert 0.9 <= time.monotonic() - start < 15


@pytest.mark.timeout(30)
def test_sleeping_program_times_out(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh("echo before; sleep 30"), limits=Limits(timeout=0.5))
    assert outcome.termination is Termination.TIMEOUT
    assert outcome.stdout == b"before\n"


@pytest.mark.timeout(30)
def test_timeout_kills_background_children(tmp_path: Path) -> None:
    marker = "1234.5"
    outcome = run(
        tmp_path,
        sh(f"sleep {marker} & sleep {marker} >/dev/null 2>&1 & while :; do :; done"),
        limits=Limits(timeout=0.5),
    )
    assert outcome.termination is Termination.TIMEOUT
    assert wait_gone(marker) == []


@pytest.mark.timeout(30)
def test_exit_with_background_child_holding_stdout(tmp_path: Path) -> None:
    """Output ends when the streams close: a child left holding stdout keeps it
    open as it would keep ``prog | cat`` waiting, so the run times out (and the
    child dies with it). Before, output was read for 0.2 s past the exit only."""
    marker = "1235.5"
    outcome = run(tmp_path, sh(f"echo hi; sleep {marker} & exit 7"), limits=Limits(timeout=2.0))
    assert outcome.termination is Termination.TIMEOUT
    assert outcome.stdout == b"hi\n"
    assert wait_gone(marker) == []


@pytest.mark.timeout(30)
def test_output_a_background_child_writes_after_the_exit_is_read(tmp_path: Path) -> None:
    """A port that printed its last line from a background child 0.3 s after its
    main process exited scored 1.0 against a reference that never printed it."""
    outcome = run(tmp_path, sh("echo hi; (sleep 0.3; echo late) & exit 7"), limits=Limits(timeout=5.0))
    assert outcome.termination is Termination.EXITED
    assert outcome.exit_code == 7
    assert outcome.stdout == b"hi\nlate\n"


@pytest.mark.timeout(30)
def test_exit_with_detached_background_child_is_killed(tmp_path: Path) -> None:
    marker = "1236.5"
    outcome = run(tmp_path, sh(f"sleep {marker} </dev/null >/dev/null 2>&1 & exit 0"), limits=Limits(timeout=5.0))
    assert outcome.termination is Termination.EXITED
    assert wait_gone(marker) == []


@pytest.mark.timeout(30)
def test_program_closing_streams_early_still_waited_for(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh("echo a; exec >&- 2>&-; sleep 0.3; printf done > f"))
    assert outcome.termination is Termination.EXITED
    assert outcome.stdout == b"a\n"
    assert files_of(outcome) == {b"f": b"done"}


# -- output cap -------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_stdout_flood_is_capped(tmp_path: Path) -> None:
    outcome = run(tmp_path, Program(argv=("/usr/bin/yes",), argv0="yes"))
    assert outcome.termination is Termination.OUTPUT_CAP
    assert len(outcome.stdout) == LIMITS.output_bytes
    assert outcome.stdout == b"y\n" * (LIMITS.output_bytes // 2)
    assert outcome.exit_class() == "output-cap"


@pytest.mark.timeout(30)
def test_stderr_flood_is_capped(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh("echo out; yes err >&2"))
    assert outcome.termination is Termination.OUTPUT_CAP
    assert len(outcome.stderr) == LIMITS.output_bytes
    assert outcome.stdout == b"out\n"


@pytest.mark.timeout(30)
def test_output_one_byte_over_cap(tmp_path: Path) -> None:
    n = LIMITS.output_bytes + 1
    outcome = run(tmp_path, py(f"import sys; sys.stdout.buffer.write(b'z' * {n})"))
    assert outcome.termination is Termination.OUTPUT_CAP
    assert outcome.stdout == b"z" * LIMITS.output_bytes


# -- memory and file size -----------------------------------------------------------


@pytest.mark.timeout(30)
def test_memory_limit_stops_allocation(tmp_path: Path) -> None:
    limits = Limits(timeout=5.0, memory_mb=256)
    outcome = run(tmp_path, py("b = bytearray(2 << 30); print('allocated')"), limits=limits)
    assert outcome.termination in (Termination.EXITED, Termination.SIGNALLED)
    assert outcome.exit_code != 0
    assert b"allocated" not in outcome.stdout
    assert b"MemoryError" in outcome.stderr


@pytest.mark.timeout(30)
def test_file_size_limit_stops_big_write_by_signal(tmp_path: Path) -> None:
    limits = Limits(timeout=5.0, file_bytes=64 << 10)
    outcome = run(tmp_path, sh("head -c 1000000 /dev/zero > big"), limits=limits)
    assert not (outcome.termination is Termination.EXITED and outcome.exit_code == 0)
    assert len(files_of(outcome).get(b"big") or b"") <= limits.file_bytes
    # head dies of SIGXFSZ, so the shell reports 128 + 25.
    assert outcome.exit_code == 128 + signal.SIGXFSZ


@pytest.mark.timeout(30)
def test_file_size_limit_direct_signal(tmp_path: Path) -> None:
    limits = Limits(timeout=5.0, file_bytes=64 << 10)
    program = Program(argv=("/usr/bin/dd",), argv0="dd")
    outcome = run(tmp_path, program, Case(argv=(b"if=/dev/zero", b"of=big", b"bs=1M", b"count=1")), limits=limits)
    assert outcome.termination is Termination.SIGNALLED
    assert outcome.signal == signal.SIGXFSZ
    assert len(file_content(outcome, b"big")) <= limits.file_bytes


@pytest.mark.timeout(30)
def test_file_size_limit_in_python_is_an_error(tmp_path: Path) -> None:
    # Python ignores SIGXFSZ, so the write fails with EFBIG instead.
    limits = Limits(timeout=5.0, file_bytes=64 << 10)
    outcome = run(tmp_path, py("open('big', 'wb').write(b'x' * 1000000)"), limits=limits)
    assert not (outcome.termination is Termination.EXITED and outcome.exit_code == 0)
    assert len(file_content(outcome, b"big")) <= limits.file_bytes


# -- FunctionExecutor ---------------------------------------------------------------


def test_function_executor_dispatches_and_counts() -> None:
    def one(case: Case) -> Outcome:
        return Outcome(Termination.EXITED, 1, None, case.stdin, b"")

    def two(case: Case) -> Outcome:
        return Outcome(Termination.EXITED, 2, None, b"".join(case.argv), b"")

    ex = FunctionExecutor({"/a": one, "/b": two})
    case = Case(argv=(b"x", b"y"), stdin=b"in")
    assert ex.run(Program(argv=("/a",), argv0="p"), case).stdout == b"in"
    assert ex.run(Program(argv=("/b", "--flag"), argv0="p"), case) == Outcome(Termination.EXITED, 2, None, b"xy", b"")
    assert ex.run(Program(argv=("/a",), argv0="q"), case).exit_code == 1
    assert ex.calls == 3


def test_function_executor_unknown_program() -> None:
    ex = FunctionExecutor({})
    with pytest.raises(KeyError):
        ex.run(Program(argv=("/nope",), argv0="p"), Case())


# -- resolving and starting programs ------------------------------------------------


def test_resolve_executable_absolute_and_on_path(tmp_path: Path) -> None:
    assert resolve_executable("/bin/sh", spec.DEFAULT_ENV["PATH"]) == "/bin/sh"
    found = resolve_executable("sh", spec.DEFAULT_ENV["PATH"])
    assert os.path.isabs(found) and os.access(found, os.X_OK)


def test_resolve_executable_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "prog"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    assert resolve_executable("./prog", "/nonexistent") == str(script)


def test_resolve_executable_missing_path(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-program")
    with pytest.raises(ProgramError, match="no-such-program"):
        resolve_executable(missing, spec.DEFAULT_ENV["PATH"])


def test_resolve_executable_missing_on_path() -> None:
    with pytest.raises(ProgramError, match="fuzzdiff-no-such-program"):
        resolve_executable("fuzzdiff-no-such-program", spec.DEFAULT_ENV["PATH"])


def test_resolve_executable_not_executable(tmp_path: Path) -> None:
    script = tmp_path / "plain-file"
    script.write_text("#!/bin/sh\n")
    script.chmod(stat.S_IRUSR | stat.S_IWUSR)
    with pytest.raises(ProgramError, match=r"plain-file.*not executable; run chmod \+x"):
        resolve_executable(str(script), spec.DEFAULT_ENV["PATH"])
    data = tmp_path / "passwd"  # `task build /etc/passwd` was told to run chmod +x on it
    data.write_text("root:x:0:0:root:/root:/bin/bash\n")
    with pytest.raises(ProgramError, match=r"passwd.*is no program.*python3") as raised:
        resolve_executable(str(data), spec.DEFAULT_ENV["PATH"])
    assert "chmod" not in str(raised.value)


def test_a_script_whose_interpreter_is_missing_is_named_as_such(tmp_path: Path) -> None:
    """Its #! line named an interpreter that does not exist: the candidate was "No such
    file or directory; check the path and its execute bit" although the script was
    there, and `score` called it an infrastructure error (exit 1) where `fuzz` exited 2."""
    from fuzzdiff.core.spec import parse_task
    from fuzzdiff.run.program import candidate_program

    task = parse_task({"name": "cat", "program": "cat"}, "<test>")
    for line, named in (("#!/nonexistent/interp", "/nonexistent/interp"), ("#!/usr/bin/env no-such-interp", "no-")):
        script = tmp_path / "port.sh"
        script.write_text(f"{line}\necho hi\n")
        script.chmod(0o755)
        with pytest.raises(ProgramError, match=f"#! line names {re.escape(named)}.*not installed"):
            candidate_program(str(script), task)
        if named.startswith("/"):  # `env` itself starts, and says so on stderr (exit 127)
            with pytest.raises(ProgramError, match=f"#! line names {re.escape(named)}"):
                run(tmp_path, Program(argv=(str(script),), argv0="port"))
    script.write_text("#!/bin/sh\necho hi\n")
    assert candidate_program(str(script), task).argv == (str(script),)


def test_resolve_executable_directory(tmp_path: Path) -> None:
    with pytest.raises(ProgramError, match=re.escape(tmp_path.name)):
        resolve_executable(str(tmp_path), spec.DEFAULT_ENV["PATH"])


def test_run_missing_program_raises_program_error(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    missing = str(tmp_path / "gone-program")
    with pytest.raises(ProgramError, match="gone-program"):
        run(root, Program(argv=(missing,), argv0="gone"))
    assert list(root.iterdir()) == []


def test_run_non_executable_raises_program_error(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    script = tmp_path / "not-exec"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o644)
    with pytest.raises(ProgramError, match="not-exec"):
        run(root, Program(argv=(str(script),), argv0="x"))
    assert list(root.iterdir()) == []


# -- resource figures -------------------------------------------------------------


def test_resource_figures_reported(tmp_path: Path) -> None:
    outcome = run(tmp_path, sh("i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"))
    assert outcome.exit_code == 0
    assert outcome.cpu_seconds > 0
    assert outcome.max_rss_kb > 0
    assert outcome.wall_seconds > 0


# A caged executor keeps its private directory from run to run; nothing a run did
# may reach the next one.

HOSTILE_LEFTOVERS = [
    'printf x > a; mkdir -p b/c; printf y > b/c/d; printf t > "$TMPDIR/t"',
    "printf x > ../beside",
    "chmod 500 .",
    'chmod 000 "$TMPDIR"',
    "mkdir -p locked/in; chmod 000 locked/in locked",
    'rm -rf "$PWD" "$TMPDIR"',
    "cd ..; rm -rf work; mkdir work",
    "mkfifo pipe; ln -s / link",
]


@pytest.fixture
def caged_executor(tmp_path: Path) -> Iterator[LocalExecutor]:
    from fuzzdiff.run.cage import ProcessCage

    cage = ProcessCage.create(LIMITS.processes)
    if cage is None:
        pytest.skip("no writable pids cgroup on this machine")
    yield LocalExecutor(dict(spec.DEFAULT_ENV), LIMITS, root=str(tmp_path), cage=cage)
    cage.close()


@pytest.mark.parametrize("script", HOSTILE_LEFTOVERS)
def test_reused_directory_starts_pristine(caged_executor: LocalExecutor, tmp_path: Path, script: str) -> None:
    look = sh('find . "$TMPDIR" .. | sort; stat -c "%a %F" . "$TMPDIR" ..')
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    pristine = executor(fresh).run(look, Case())
    caged_executor.run(look, Case())
    kept = caged_executor.scratches.kept
    assert kept is not None
    caged_executor.run(sh(script), Case(files=((b"in", b"i"),)))
    after = caged_executor.run(look, Case())
    assert after.stdout == pristine.stdout and after.stderr == pristine.stderr == b""


def test_caged_executor_reuses_its_directory(caged_executor: LocalExecutor, tmp_path: Path) -> None:
    caged_executor.run(sh("printf x > f"), Case())
    first = caged_executor.scratches.kept
    caged_executor.run(sh("true"), Case())
    assert first is not None and caged_executor.scratches.kept is first
    assert [p.name for p in tmp_path.iterdir()] == [first.path.name]


def test_sweep_removes_directories_whose_creator_is_gone(tmp_path: Path) -> None:
    from fuzzdiff.run.scratch import SCRATCH_PREFIX, new_scratch, sweep_scratch

    live = new_scratch(str(tmp_path))
    dead = tmp_path / f"{SCRATCH_PREFIX}dead"
    (dead / "work").mkdir(parents=True)
    (dead / "work" / "f").write_bytes(b"x")
    other = tmp_path / "fuzzdiff-sandbox-keep"
    other.mkdir()
    assert sweep_scratch(str(tmp_path)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.path.name, other.name])
    assert sweep_scratch(str(tmp_path)) == 0  # once per process and root
    live.remove()


@pytest.mark.parametrize(
    "swap",
    [
        'cd ..; rm -rf work; ln -s "$CANARY" work',
        'rm -rf "$TMPDIR"; ln -s "$CANARY" "$TMPDIR"',
        'B=$(basename "$(dirname "$PWD")"); cd ../..; mv "$B" moved; ln -s "$CANARY" "$B"',
    ],
)
def test_a_directory_swapped_for_a_link_is_never_followed(
    caged_executor: LocalExecutor, tmp_path: Path, swap: str
) -> None:
    """A run that replaces its directories with links must not make the clean-up
    empty what they point to (here a canary; it could have been /etc)."""
    canary = tmp_path / "canary"
    (canary / "sub").mkdir(parents=True)
    (canary / "keep").write_bytes(b"k")
    (canary / "sub" / "keep").write_bytes(b"k")
    script = f"CANARY={os.fsdecode(canary)}; {swap}"
    caged_executor.run(sh("true"), Case())
    first = caged_executor.scratches.kept
    outcome = caged_executor.run(sh(script), Case())
    assert outcome.exit_code == 0, outcome.stderr
    assert caged_executor.scratches.kept is None and first is not None  # the swap was seen
    caged_executor.run(sh("true"), Case())
    assert (canary / "keep").read_bytes() == b"k"
    assert (canary / "sub" / "keep").read_bytes() == b"k"


def test_remove_tree_removes_a_link_not_its_target(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir(mode=0o755)
    (target / "f").write_bytes(b"x")
    link = tmp_path / "link"
    link.symlink_to(target)
    remove_tree(link)
    assert not link.exists() and not link.is_symlink()
    assert (target / "f").read_bytes() == b"x" and stat.S_IMODE(target.stat().st_mode) == 0o755


class ReapedBeforeWatched:
    """A launcher whose child has ended and been reaped by someone else before the
    executor looks at it, as a fork-server's child that killed its server can be."""

    def __init__(self) -> None:
        self.launched = 0

    def launch(
        self, program: Program, case: Case, work: Path, env: dict[str, str], stdio: tuple[int, int, int]
    ) -> object:
        self.launched += 1
        actions = [(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in enumerate(stdio)]
        pid = os.posix_spawn("/bin/sh", ["sh", "-c", "echo from-launcher"], env, file_actions=actions, setsid=True)
        os.waitpid(pid, 0)  # reaped: its pid names nothing any more

        class Lost:
            def __init__(self) -> None:
                self.pid = pid

            def reap(self) -> tuple[int, float, int]:
                raise LaunchLost("the server was killed")

        return Lost()


def test_a_launched_child_already_reaped_is_run_again_fresh(tmp_path: Path) -> None:
    launcher = ReapedBeforeWatched()
    ex = LocalExecutor(dict(spec.DEFAULT_ENV), LIMITS, root=str(tmp_path), launcher=launcher)  # type: ignore[arg-type]
    outcome = ex.run(sh("echo fresh"), Case())
    assert launcher.launched == 1
    assert outcome.termination is Termination.EXITED and outcome.stdout == b"fresh\n"


class RecordingCage:
    """Stands in for ``cage.ProcessCage``: at each sweep, records whether the run's
    process was reaped already (``ProcessCage.alone`` counts it until then)."""

    def __init__(self) -> None:
        self.me = os.getpid()
        self.child: int | None = None
        self.reaped_at_sweep: list[bool] = []

    def sweep(self) -> int:
        assert self.child is not None
        try:
            os.waitid(os.P_PID, self.child, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            self.reaped_at_sweep.append(False)
        except ChildProcessError:
            self.reaped_at_sweep.append(True)
        return 0


class WatchedExecutor(LocalExecutor):
    """Tells its cage the pid of each run's process."""

    def _start(self, *args: object, **kwargs: object) -> object:  # type: ignore[override]
        started = super()._start(*args, **kwargs)  # type: ignore[arg-type]
        assert isinstance(self.cage, RecordingCage)
        self.cage.child = started.pid
        return started


def test_cage_is_swept_once_the_run_is_reaped(tmp_path: Path) -> None:
    cage = RecordingCage()
    ex = WatchedExecutor(dict(spec.DEFAULT_ENV), LIMITS, root=str(tmp_path), cage=cage)  # type: ignore[arg-type]
    assert ex.run(sh("echo hi"), Case()).stdout == b"hi\n"
    assert cage.reaped_at_sweep == [True]


@pytest.mark.parametrize("where", ["setting up the watch", "watching"])
def test_cage_is_swept_when_a_run_fails_midway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """An error once the program has started (here from ``poll``, made or asked)
    still kills what the run started: its process group, and (the sweep) whatever
    left it."""
    import select

    real = select.poll

    class Failing:
        def __init__(self) -> None:
            if where == "setting up the watch":
                raise RuntimeError("watching failed")
            self.inner = real()

        def register(self, *args: int) -> None:
            self.inner.register(*args)

        def unregister(self, fd: int) -> None:
            self.inner.unregister(fd)

        def poll(self, *args: float) -> list[tuple[int, int]]:
            raise RuntimeError("watching failed")

    monkeypatch.setattr(select, "poll", Failing)
    cage = RecordingCage()
    ex = WatchedExecutor(dict(spec.DEFAULT_ENV), LIMITS, root=str(tmp_path), cage=cage)  # type: ignore[arg-type]
    marker = "4324" if where == "watching" else "4325"
    with pytest.raises(RuntimeError, match="watching failed"):
        ex.run(sh(f"sleep {marker}"), Case())
    assert cage.reaped_at_sweep == [False]  # swept, though the failed run was not reaped
    assert wait_gone(marker) == []


def test_case_files_and_their_directories_have_one_fixed_date(tmp_path: Path) -> None:
    """``ls -l``, ``stat`` and ``tar`` print an input's date: the moment it was
    written made each run differ (``ls --full-time`` of ``.`` and ``..`` too)."""
    case = Case(files=((b"a", b"x"), (b"d/e/f", b"y")))
    outcome = run(tmp_path, sh('stat -c "%n %Y %X" a d d/e d/e/f . ..'), case)
    assert outcome.exit_code == 0, outcome.stderr
    dates = {line.split(b" ", 1)[0]: line.split(b" ", 1)[1] for line in outcome.stdout.splitlines()}
    assert dates == dict.fromkeys([b"a", b"d", b"d/e", b"d/e/f", b".", b".."], b"%d %d" % (FILE_TIME, FILE_TIME))


ORPHAN = """
import os, time
from fuzzdiff.run import execute

def zombies():  # ended children of this process, not yet reaped
    me, found = str(os.getpid()), []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and fields[1] == me:
            found.append(pid)
    return found

assert execute.become_subreaper()
middle = os.fork()
if middle == 0:  # a run's main process, leaving a child behind
    if os.fork() == 0:
        time.sleep(0.2)
        os._exit(0)
    os._exit(0)
os.waitpid(middle, 0)  # the run itself is reaped as a run is
for _ in range(100):  # the orphan ends, as this process's child now
    if zombies():
        break
    time.sleep(0.05)
adopted = len(zombies())
execute.reap_orphans()
print(adopted, len(zombies()))
"""


def test_a_worker_adopts_and_reaps_the_orphans_its_runs_leave() -> None:
    """A process made a subreaper is the parent of what its runs leave behind, and
    ``reap_orphans`` reaps them: left to a container's init, which may reap slowly,
    they stayed zombies in the worker's pids cgroup (``test_hostile`` shows what that
    did). Run in a process of its own, so this one adopts nothing."""
    import subprocess

    root = str(Path(__file__).resolve().parent.parent)
    done = subprocess.run([sys.executable, "-c", ORPHAN], capture_output=True, text=True, timeout=60, cwd=root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "0"]  # adopted one orphan, then reaped it
