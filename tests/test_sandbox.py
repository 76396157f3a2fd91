"""SandboxExecutor against hostile programs: each threat gets its own test, and on
ordinary programs the sandbox gives exactly what LocalExecutor gives."""

from __future__ import annotations

import os
import pickle
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fuzzdiff.core.errors import CaseFileError
from fuzzdiff.core.generate import generate_cases
from fuzzdiff.core.model import Case, Outcome, Program, Termination
from fuzzdiff.core.spec import DEFAULT_ENV, Limits, load_task
from fuzzdiff.run import sandbox
from fuzzdiff.run.execute import LocalExecutor
from fuzzdiff.run.program import reference_program
from fuzzdiff.run.sandbox import SandboxExecutor, bwrap_available, runtime_dirs
from fuzzdiff.run.scratch import FILE_TIME

from .helpers import host_processes

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(120),
    pytest.mark.skipif(
        not bwrap_available(), reason="bubblewrap cannot start a sandbox here (bwrap missing or no namespaces)"
    ),
]

LIMITS = Limits(timeout=2.0, output_bytes=64 << 10, processes=32)
EMPTY = Case()


def sh(script: str) -> Program:
    return Program(argv=("/bin/sh", "-c", script), argv0="sh")


def py(code: str) -> Program:
    # argv0 is the full path: Python finds its prefix (and stdlib) from it
    return Program(argv=(sys.executable, "-c", code), argv0=sys.executable)


@pytest.fixture(scope="module")
def box() -> Iterator[SandboxExecutor]:
    executor = SandboxExecutor(DEFAULT_ENV, LIMITS)
    yield executor
    executor.close()


@pytest.fixture
def outside_tmp() -> Iterator[Path]:
    """A host directory outside /tmp: /tmp is private inside the sandbox anyway,
    so masking is only really tested elsewhere."""
    path = Path(tempfile.mkdtemp(prefix="fuzzdiff-sandbox-test-", dir="/var/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def wait_gone(marker: str, seconds: float = 3.0) -> list[int]:
    end = time.monotonic() + seconds
    while (left := host_processes(marker)) and time.monotonic() < end:
        time.sleep(0.02)
    return left


# -- escape ---------------------------------------------------------------------


def test_network_to_host_loopback_fails(box: SandboxExecutor) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        code = (
            "import socket\n"
            "try:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=1); print('connected')\n"
            "except OSError as e:\n"
            "    print('failed', e.errno)\n"
        )
        outcome = box.run(py(code), EMPTY)
        assert outcome.stdout.startswith(b"failed"), outcome
        listener.settimeout(0)
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()


def expected_tmp() -> bytes:
    """What `ls /tmp` shows inside: the two fixed directories, plus the top of any
    runtime directory bound in because this checkout or Python lives under /tmp."""
    names = {"fuzzdiff-tmp", "fuzzdiff-work"}
    names |= {Path(d).relative_to("/tmp").parts[0] for d in runtime_dirs() if d.startswith("/tmp/")}
    return "".join(f"{n}\n" for n in sorted(names)).encode()


def test_writes_outside_the_working_directory_fail(box: SandboxExecutor) -> None:
    targets = ["/etc/fuzzdiff-x", "/usr/fuzzdiff-x", "/root/fuzzdiff-x", "/var/tmp/fuzzdiff-x", os.getcwd() + "/fz-x"]
    assert not any(os.path.exists(t) for t in targets)
    script = "for p in " + " ".join(targets) + '; do echo hi > "$p" 2>/dev/null && echo "wrote $p"; done; echo done'
    outcome = box.run(sh(script), EMPTY)
    for t in targets[:4]:  # the system is read-only inside
        assert f"wrote {t}".encode() not in outcome.stdout
    assert outcome.stdout.endswith(b"done\n")
    # and nothing reached the host (a checkout under /tmp is a private tmpfs inside)
    assert not any(os.path.exists(t) for t in targets)


def test_capabilities_are_dropped(box: SandboxExecutor) -> None:
    script = "grep CapEff /proc/self/status; mount -o remount,rw / 2>/dev/null && echo remounted; echo done"
    outcome = box.run(sh(script), EMPTY)
    assert outcome.stdout == b"CapEff:\t0000000000000000\ndone\n"


def test_masked_file_cannot_be_read_or_run(outside_tmp: Path) -> None:
    secret = outside_tmp / "base64"
    shutil.copy("/usr/bin/base64", secret)
    probe = sh(f"wc -c < {secret}; echo hi | {secret} && echo ran")
    with SandboxExecutor(DEFAULT_ENV, LIMITS) as plain:
        assert plain.run(probe, EMPTY).stdout.endswith(b"aGkK\nran\n")  # the control: visible unmasked
    with SandboxExecutor(DEFAULT_ENV, LIMITS, masked_paths=[secret]) as masked:
        outcome = masked.run(probe, EMPTY)
    # the mask is a device node where devices cannot be opened: reading and running fail
    assert b"ran" not in outcome.stdout and b"aGkK" not in outcome.stdout
    assert outcome.stdout in (b"", b"0\n")


def test_masked_directory_appears_empty_and_read_only(outside_tmp: Path) -> None:
    corpus = outside_tmp / "corpus"
    corpus.mkdir()
    (corpus / "answers.json").write_text("the expected outputs")
    script = f"ls -A {corpus}; cat {corpus}/answers.json; echo x > {corpus}/new && echo wrote; echo done"
    with SandboxExecutor(DEFAULT_ENV, LIMITS, masked_paths=[str(corpus)]) as masked:
        outcome = masked.run(sh(script), EMPTY)
    assert outcome.stdout == b"done\n"
    assert b"answers" not in outcome.stdout
    assert sorted(p.name for p in corpus.iterdir()) == ["answers.json"]


def test_no_host_process_is_visible(box: SandboxExecutor) -> None:
    outcome = box.run(sh("ls /proc | grep -c '^[0-9]'; ps -e 2>/dev/null | grep -c pytest"), EMPTY)
    count, pytest_seen = outcome.stdout.split()[:2]
    assert int(count) <= 6  # bwrap's init, the server, sh, ls, grep
    assert pytest_seen == b"0"


def test_environment_is_exactly_the_fixed_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FUZZDIFF_SECRET", "leaked")
    with SandboxExecutor(DEFAULT_ENV, LIMITS) as fresh:
        inside = fresh.run(sh("env"), EMPTY)
    local = LocalExecutor(DEFAULT_ENV, LIMITS, root=str(tmp_path)).run(sh("env"), EMPTY)
    assert b"FUZZDIFF_SECRET" not in inside.stdout
    assert sorted(inside.stdout.splitlines()) == sorted(local.stdout.splitlines())
    expected = {*DEFAULT_ENV, "HOME", "PWD", "TMPDIR"}
    assert {line.split(b"=")[0].decode() for line in inside.stdout.splitlines()} == expected


# -- things that outlive a run ----------------------------------------------------


def test_detached_daemon_does_not_survive(box: SandboxExecutor) -> None:
    outcome = box.run(sh("setsid sleep 4444 </dev/null >/dev/null 2>&1 & sleep 0.3; echo started"), EMPTY)
    assert outcome.stdout == b"started\n"
    assert wait_gone("sleep 4444") == []


def test_state_does_not_persist_between_runs(box: SandboxExecutor) -> None:
    box.run(sh("echo 1 > /tmp/state; echo 1 > /dev/shm/state; echo 1 > $HOME/state"), EMPTY)
    outcome = box.run(sh("cat /tmp/state /dev/shm/state $HOME/state 2>/dev/null; echo done"), EMPTY)
    assert outcome.stdout == b"done\n"


@pytest.mark.skipif(shutil.which("ipcmk") is None, reason="ipcmk (util-linux) is not installed")
def test_system_v_ipc_does_not_persist_between_runs(box: SandboxExecutor) -> None:
    made = box.run(
        sh("ipcmk -M 4096 >/dev/null && ipcmk -Q >/dev/null && ipcmk -S 1 >/dev/null; ipcs | grep -c '^0x'"), EMPTY
    )
    assert made.stdout == b"3\n"
    assert box.run(sh("ipcs | grep -c '^0x'"), EMPTY).stdout == b"0\n"


def test_replies_cannot_be_forged_through_proc(box: SandboxExecutor) -> None:
    code = (
        "import os\n"
        "opened = 0\n"
        "for pid in (os.getppid(), 1):\n"
        "    try: fds = os.listdir(f'/proc/{pid}/fd')\n"
        "    except OSError: continue\n"
        "    for fd in fds:\n"
        "        try: os.close(os.open(f'/proc/{pid}/fd/{fd}', os.O_WRONLY)); opened += 1\n"
        "        except OSError: pass\n"
        "print(opened)\n"
    )
    outcome = box.run(py(code), EMPTY)
    # bwrap's init holds /dev/null and a pipe nobody reads any more; never the server's socket.
    assert box.run(sh("ls -l /proc/$PPID/fd 2>&1 | grep -c socket"), EMPTY).stdout == b"0\n"
    assert int(outcome.stdout) <= 3


# -- killing or stalling the server ------------------------------------------------


@pytest.mark.parametrize("script", ["kill -9 $PPID", "kill -9 -1"])
def test_killing_the_server_is_worker_lost_then_recovers(box: SandboxExecutor, script: str) -> None:
    for _ in range(2):  # deterministic: the same case loses it again
        outcome = box.run(sh(script + "; sleep 1; echo survived"), EMPTY)
        assert outcome.termination is Termination.WORKER_LOST
        assert outcome.exit_class() == "worker-lost"
        assert box.run(sh("echo fine"), EMPTY).stdout == b"fine\n"


def test_init_cannot_be_killed_from_inside(box: SandboxExecutor) -> None:
    outcome = box.run(sh("kill -9 1; echo survived"), EMPTY)
    assert (outcome.termination, outcome.stdout) == (Termination.EXITED, b"survived\n")


def test_catchable_signals_to_the_server_are_ignored(box: SandboxExecutor) -> None:
    outcome = box.run(sh("kill -TERM $PPID; kill -INT $PPID; kill -HUP $PPID; echo ok"), EMPTY)
    assert outcome.termination is Termination.EXITED
    assert outcome.stdout == b"ok\n"
    # and the programs still get default dispositions
    assert box.run(sh("kill -TERM $$; echo not-reached"), EMPTY).signal == 15


def test_a_stopped_server_is_given_up_on_without_waiting_out_the_safety_margin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # an hour of margin: only noticing the stopped server ends this run (the test's timeout guards it)
    monkeypatch.setattr(sandbox, "SAFETY_SECONDS", 3600.0)
    with SandboxExecutor(DEFAULT_ENV, Limits(timeout=0.5)) as fresh:
        assert fresh.run(sh("echo up"), EMPTY).stdout == b"up\n"
        assert fresh._server is not None and not fresh._server_stopped()  # found, and running
        outcome = fresh.run(sh("kill -STOP $PPID; sleep 3018"), EMPTY)
        assert outcome.termination is Termination.WORKER_LOST
        assert fresh.run(sh("echo fine"), EMPTY).stdout == b"fine\n"
    assert wait_gone("sleep 3018", seconds=15) == []


def test_recv_gives_up_once_stalled_and_not_before() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        far = time.monotonic() + 3600
        assert sandbox._recv(ours, far, lambda: True, after=time.monotonic()) is None
        asked: list[float] = []

        def not_stalled() -> bool:
            asked.append(time.monotonic())
            if len(asked) == 2:  # the answer comes while it waits
                sandbox._send(theirs, ("ok", 42))
            return False

        assert sandbox._recv(ours, far, not_stalled, after=time.monotonic()) == ("ok", 42)
        assert len(asked) >= 2


def test_stopping_the_server_is_worker_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "SAFETY_SECONDS", 1.0)
    with SandboxExecutor(DEFAULT_ENV, Limits(timeout=0.5)) as fresh:
        outcome = fresh.run(sh("kill -STOP $PPID; sleep 3017"), EMPTY)  # no hang: the test's timeout guards it
        assert outcome.termination is Termination.WORKER_LOST
        assert fresh.run(sh("echo fine"), EMPTY).stdout == b"fine\n"
    # a killed PID namespace is torn down by the kernel; under load that took over 3 s once
    assert wait_gone("sleep 3017", seconds=15) == []


# -- ordinary limits, as LocalExecutor ----------------------------------------------


def test_endless_loop_times_out(box: SandboxExecutor) -> None:
    outcome = box.run(sh("while :; do :; done"), EMPTY)
    assert outcome.termination is Termination.TIMEOUT


def test_flood_hits_the_output_cap(box: SandboxExecutor) -> None:
    outcome = box.run(sh("yes"), EMPTY)
    assert outcome.termination is Termination.OUTPUT_CAP
    assert len(outcome.stdout) == LIMITS.output_bytes


def test_closing_its_own_streams(box: SandboxExecutor) -> None:
    outcome = box.run(sh("echo a; exec >&- 2>&-; sleep 0.2; exit 3"), EMPTY)
    assert (outcome.termination, outcome.exit_code, outcome.stdout) == (Termination.EXITED, 3, b"a\n")


def test_death_by_sigsegv(box: SandboxExecutor) -> None:
    outcome = box.run(sh("kill -SEGV $$"), EMPTY)
    assert (outcome.termination, outcome.signal) == (Termination.SIGNALLED, 11)


def test_files_stdin_argv_and_fixed_paths(box: SandboxExecutor) -> None:
    case = Case(argv=(b"x y",), stdin=b"in\0put", files=((b"d/f", b"content"),))
    program = Program(argv=("/bin/sh", "-c", 'cat; echo "$1"; pwd; echo $TMPDIR; cat d/f > out', "sh"), argv0="sh")
    outcome = box.run(program, case)
    assert outcome.stdout == b"in\0putx y\n/tmp/fuzzdiff-work\n/tmp/fuzzdiff-tmp\n"
    assert dict(outcome.files) == {b"d": None, b"d/f": b"content", b"out": b"content"}


def test_case_errors_are_raised(box: SandboxExecutor) -> None:
    with pytest.raises(CaseFileError):
        box.run(sh("true"), Case(files=((b"../escape", b"x"),)))
    assert box.run(sh("echo fine"), EMPTY).stdout == b"fine\n"


def test_pickled_executor_starts_its_own_sandbox(box: SandboxExecutor) -> None:
    box.run(sh("true"), EMPTY)
    copy: SandboxExecutor = pickle.loads(pickle.dumps(box))
    try:
        assert copy.run(sh("echo copy"), EMPTY).stdout == b"copy\n"
        assert copy.starts == 1
    finally:
        copy.close()


def test_bwrap_missing_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    with pytest.raises(sandbox.SandboxError, match="bwrap"):
        SandboxExecutor(DEFAULT_ENV, LIMITS)


# -- equivalence with LocalExecutor ----------------------------------------------------


def _observable(outcome: Outcome) -> tuple[object, ...]:
    return (outcome.exit_class(), outcome.stdout, outcome.stderr, outcome.files)


def test_same_outcomes_as_local_executor_on_base64(tmp_path: Path) -> None:
    spec = load_task("base64")
    ref = reference_program(spec)
    cases = list(generate_cases(spec, 1, 30))
    local = LocalExecutor(dict(spec.env), spec.limits, root=str(tmp_path))
    with SandboxExecutor(dict(spec.env), spec.limits) as boxed:
        for case in cases:
            assert _observable(boxed.run(ref, case)) == _observable(local.run(ref, case)), case


def test_program_under_host_tmp_is_bound_in_read_only(tmp_path: Path) -> None:
    # /tmp is private inside; the program's own directory is bound in, read-only
    script = tmp_path / "prog.sh"
    script.write_text('cat "$(dirname "$0")/data"; echo x > "$(dirname "$0")/new" 2>/dev/null || echo read-only\n')
    (tmp_path / "data").write_text("data\n")
    copy = tmp_path / "copy-base64"
    shutil.copy("/usr/bin/base64", copy)
    with SandboxExecutor(DEFAULT_ENV, LIMITS) as fresh:
        first = fresh.run(Program(argv=("/bin/sh", str(script)), argv0="sh"), EMPTY)
        second = fresh.run(Program(argv=(str(copy),), argv0="base64"), Case(stdin=b"hi"))
        again = fresh.run(Program(argv=("/bin/sh", str(script)), argv0="sh"), EMPTY)
        assert fresh.starts == 1  # the directory was bound in before the first start
    assert first.stdout == again.stdout == b"data\nread-only\n"
    assert second.stdout == b"aGk=\n"
    assert not (tmp_path / "new").exists()


def test_a_program_right_in_tmp_keeps_its_sandbox_across_runs() -> None:
    """A script directly in /tmp is bound in as a file; the wipe after each run must
    leave that mount, or every run would pay for a new sandbox."""
    fd, name = tempfile.mkstemp(prefix="fuzzdiff-test-", suffix=".sh", dir="/tmp")
    try:
        os.write(fd, b'printf "%s" "$1"\n')
        os.close(fd)
        program = Program(argv=("/bin/sh", name), argv0="sh")
        with SandboxExecutor(DEFAULT_ENV, LIMITS) as fresh:
            outs = [fresh.run(program, Case(argv=(str(n).encode(),))).stdout for n in range(3)]
            assert fresh.starts == 1
        assert outs == [b"0", b"1", b"2"]
    finally:
        os.unlink(name)


def test_process_storm_is_capped_and_cleaned_up(box: SandboxExecutor) -> None:
    box.start()
    if not box.caged:
        pytest.skip("no writable pids cgroup on this machine")
    script = "i=0; while [ $i -lt 200 ]; do sleep 4446 & i=$((i+1)); done; echo done; wait"
    outcome = box.run(sh(script), EMPTY)
    assert outcome.termination in (Termination.EXITED, Termination.TIMEOUT)
    assert b"fork" in outcome.stderr.lower() or b"resource" in outcome.stderr.lower()
    assert wait_gone("sleep 4446") == []
    assert box.run(sh("echo fine"), EMPTY).stdout == b"fine\n"


def test_scratch_space_is_bounded() -> None:
    limits = Limits(timeout=5.0, file_bytes=1 << 20)
    script = "i=0; while [ $i -lt 100 ]; do head -c 1048576 /dev/zero > /tmp/f$i || break; i=$((i+1)); done; echo $i"
    with SandboxExecutor(DEFAULT_ENV, limits) as fresh:
        outcome = fresh.run(sh(script), EMPTY)
        assert b"No space left" in outcome.stderr
        assert int(outcome.stdout) <= 64  # 64 MiB, the smallest size
        assert fresh.run(sh("ls /tmp"), EMPTY).stdout == expected_tmp()  # wiped after the run


def test_masking_the_package_directory_keeps_the_server_working() -> None:
    repo = Path(sandbox.__file__).resolve().parents[2]
    with SandboxExecutor(DEFAULT_ENV, LIMITS, masked_paths=[repo]) as masked:
        outcome = masked.run(sh(f"ls {repo}"), EMPTY)
    assert outcome.stdout == b"fuzzdiff\n"  # the rest of the tree is hidden


def test_a_private_directory_itself_is_never_bound_in() -> None:
    with SandboxExecutor(DEFAULT_ENV, LIMITS) as fresh:
        outcome = fresh.run(Program(argv=("/bin/ls", "/tmp"), argv0="ls"), EMPTY)
    assert outcome.stdout == expected_tmp()


def test_root_puts_the_sandbox_tmp_on_the_host(tmp_path: Path) -> None:
    with SandboxExecutor(DEFAULT_ENV, LIMITS, root=str(tmp_path)) as fresh:
        assert fresh.run(sh("echo hi > f; cat f; sleep 0.1"), EMPTY).stdout == b"hi\n"
        assert len(list(tmp_path.iterdir())) == 1
        assert fresh.run(sh("kill -9 $PPID"), EMPTY).termination is Termination.WORKER_LOST
        assert fresh.run(sh("ls -A /tmp"), EMPTY).stdout == expected_tmp()
    assert list(tmp_path.iterdir()) == []


def test_case_files_have_one_fixed_date_in_the_sandbox_too(box: SandboxExecutor) -> None:
    case = Case(files=((b"a", b"x"), (b"d/f", b"y")))
    outcome = box.run(sh('stat -c "%Y" a d d/f . ..'), case)
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stdout.split() == [b"%d" % FILE_TIME] * 5


def test_the_working_directory_is_755_whatever_the_umask_fuzzdiff_runs_with() -> None:
    """Under umask 077 a sandboxed run's working directory was 0700, where plain
    runs and every recorded corpus have 0755: an honest chmod failed 195 of its
    200 stored cases on `.`'s mode alone."""
    old = os.umask(0o077)  # the sandbox's worker starts with the first run and keeps it
    executor = SandboxExecutor(DEFAULT_ENV, LIMITS)
    try:
        for _ in range(2):  # the first run's directory and the one made after the wipe
            outcome = executor.run(sh("stat -c %a ."), EMPTY)
            assert (outcome.stdout, outcome.attrs) == (b"755\n", ())
    finally:
        executor.close()
        os.umask(old)
