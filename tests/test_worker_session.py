"""A candidate that signals its parent's process group reaches a worker, never
fuzzdiff's main process or the shell that started it (issue 17, threat 8)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from fuzzdiff.core.model import Case, Outcome, Program
from fuzzdiff.core.spec import DEFAULT_ENV, Limits
from fuzzdiff.run.pool import Workers
from fuzzdiff.run.runner import PoolRunner
from fuzzdiff.run.worker import run_side

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

_DATA_HOME = tempfile.mkdtemp(prefix="fuzzdiff-test-data-")
FUZZ = ("fuzz", "base64", "--budget", "20", "--seed", "1")
#: Kills the process group of its parent (a worker, or the main process if it ran
#: programs itself), then behaves as base64 would.
SHELL_KILLER = "#!/bin/sh\nkill -TERM -$(ps -o pgid= -p $PPID | tr -d ' ')\nexec base64 \"$@\"\n"
PYTHON_KILLER = (
    "import os, signal, sys\nos.killpg(os.getpgid(os.getppid()), signal.SIGTERM)\nsys.stdout.write('not base64')\n"
)


def _fuzz_in_own_session(candidate: str, *flags: str) -> subprocess.CompletedProcess[str]:
    """``fuzzdiff fuzz`` in a session of its own, as a shell would start it: what
    kills its process group kills nothing of the test's."""
    return subprocess.run(
        [sys.executable, "-m", "fuzzdiff", *FUZZ, "--candidate", candidate, "--json", "--no-corpus", *flags],
        capture_output=True,
        text=True,
        timeout=280,
        env={**os.environ, "XDG_DATA_HOME": _DATA_HOME},
        start_new_session=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("script", "name", "flags"),
    [
        (SHELL_KILLER, "killer.sh", ()),
        (SHELL_KILLER, "killer.sh", ("--jobs", "1")),
        (PYTHON_KILLER, "killer.py", ("--jobs", "1")),
    ],
    ids=["shell", "shell-jobs1", "python-jobs1"],
)
def test_a_candidate_killing_its_parents_group_is_a_divergence(
    tmp_path: Path, script: str, name: str, flags: tuple[str, ...]
) -> None:
    path = tmp_path / name
    path.write_text(script)
    path.chmod(0o755)
    candidate = str(path) if name.endswith(".sh") else f"{sys.executable} {path}"
    proc = _fuzz_in_own_session(candidate, *flags)
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])
    report = json.loads(proc.stdout)  # exactly one object: the report was printed
    assert report["verdict"] == "divergent"
    assert report["counterexample"]["candidate"]["termination"] == "worker-lost"


LIMITS = Limits(timeout=60.0, processes=32)


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.05)
    return False


def test_workers_have_sessions_of_their_own() -> None:
    echo = Program(argv=("/bin/echo",), argv0="echo")
    runner = PoolRunner(2, DEFAULT_ENV, LIMITS, echo, echo)
    try:
        sessions = [runner.pool.call(os.getsid, 0) for _ in range(2)]
        assert os.getsid(0) not in sessions
        assert sessions == [p.pid for p in runner.pool.procs][:1] * 2  # ``call`` asks the first worker
    finally:
        runner.close()


def test_a_worker_stops_mid_run_once_the_main_process_hangs_up(tmp_path: Path) -> None:
    """Workers no longer get a terminal's ^C (their own session): when the main
    process goes (^C, killed), the worker must not run on to the end of its chunk,
    and the run it was watching is killed on the way out."""
    pid_file = tmp_path / "pid"
    sleeper = Program(argv=("/bin/sh", "-c", f'echo $$ > "{pid_file}"; exec sleep 50'), argv0="sleeper")
    runner = PoolRunner(1, DEFAULT_ENV, LIMITS, sleeper, sleeper)
    try:
        worker = runner.pool.procs[0]
        Workers.send(runner.pool.conns[0], run_side, 1, Case())
        deadline = time.monotonic() + 30
        while not pid_file.exists() or not pid_file.read_text().strip():
            assert time.monotonic() < deadline, "the run never started"
            time.sleep(0.05)
        run_pid = int(pid_file.read_text())
        runner.pool.conns[0].close()  # as when the main process exits or is killed
        worker.join(timeout=20)
        assert not worker.is_alive(), "the worker ran on after the main process hung up"
        assert _gone(run_pid, 20), "the run the worker was watching was left running"
    finally:
        runner.pool.conns = []
        runner.close()


def plain_pair(probe: Program) -> tuple[Outcome, Outcome]:
    """``probe`` run as both sides of one empty case by a plain (unsandboxed) worker."""
    runner = PoolRunner(1, DEFAULT_ENV, Limits(), probe, probe)
    try:
        ((reference, candidate),) = runner.run_pairs([Case(argv=())])
    finally:
        runner.close()
    return reference, candidate


def test_plain_runs_hold_no_capability() -> None:
    """A plain-mode program runs as fuzzdiff's uid but with no capability: as root it
    cannot read past file modes, chmod what is not its own or chown (so it can
    neither read nor replace the reference cache's key)."""
    probe = Program(argv=("/bin/sh", "-c", "grep CapEff /proc/self/status"), argv0="sh")
    for outcome in plain_pair(probe):
        assert outcome.stdout.split() == [b"CapEff:", b"0000000000000000"], outcome


#: Tries to trace its parent (its worker) and read the parent's environment.
TRACER = (
    "import ctypes, os, sys\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "parent = os.getppid()\n"
    "if libc.ptrace(16, parent, 0, 0) == 0:\n"  # PTRACE_ATTACH
    "    libc.ptrace(17, parent, 0, 0)\n"  # PTRACE_DETACH
    "    print('traced')\n"
    "try:\n"
    "    open(f'/proc/{parent}/environ', 'rb').read()\n"
    "    print('environ')\n"
    "except OSError:\n"
    "    pass\n"
)


def test_plain_runs_cannot_trace_their_worker_or_read_its_environment() -> None:
    probe = Program(argv=(sys.executable, "-c", TRACER), argv0=sys.executable)
    for outcome in plain_pair(probe):
        assert (outcome.exit_code, outcome.stdout) == (0, b""), outcome
