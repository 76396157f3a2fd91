"""Hermetic runs (``run.hermetic``): a frozen clock and seeded randomness on both
sides through libfaketime, a fixed umask, no fork-server, leftovers swept."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

import fuzzdiff.run.hermetic as hermetic
from fuzzdiff.core.errors import ProgramError
from fuzzdiff.core.model import Case, Program
from fuzzdiff.core.spec import Limits, TaskSpec, parse_task
from fuzzdiff.engine.setup import open_runner, prepare
from fuzzdiff.run.execute import LocalExecutor, resolve_executable
from fuzzdiff.run.hermetic import FROZEN_TIME, HERMETIC_LIB, hermetic_spec, sweep_leftovers
from fuzzdiff.run.pyfork import PRELOADED, PythonForkLauncher

needs_lib = pytest.mark.skipif(not os.path.isfile(HERMETIC_LIB), reason="libfaketime is not installed")
pytestmark = [pytest.mark.timeout(300)]

FROZEN_SECONDS = b"1609459200\n"  # FROZEN_TIME, UTC, as `date +%s` shows it
assert FROZEN_TIME == "2021-01-01 00:00:00"
_DATA_HOME = tempfile.mkdtemp(prefix="fuzzdiff-test-data-")  # default corpora land here, not in ~
SHUF_TASK = """
name = "shuf"
program = "shuf"
description = "shuffles its input lines"

[operands]
min = 0
max = 0
kinds = ["dash"]

[stdin]
models = ["text"]
max_bytes = 200
"""


def task(name: str, hermetic_key: bool) -> TaskSpec:
    return parse_task({"name": name, "program": name, "hermetic": hermetic_key}, "<test>")


def run(spec: TaskSpec, *argv: bytes, stdin: bytes = b"", program: str | None = None) -> bytes:
    env = dict(hermetic_spec(spec).env)
    exe = resolve_executable(program or spec.program, env["PATH"])
    outcome = LocalExecutor(env, Limits()).run(Program((exe,), spec.program), Case(argv=argv, stdin=stdin))
    assert outcome.exit_code == 0, outcome.stderr
    return outcome.stdout


@needs_lib
def test_the_clock_is_frozen_and_randomness_seeded() -> None:
    spec = task("date", True)
    assert run(spec, b"+%s") == run(spec, b"+%s") == FROZEN_SECONDS
    lines = b"".join(b"%d\n" % i for i in range(50))
    shuf = task("shuf", True)
    first = run(shuf, stdin=lines)
    assert first == run(shuf, stdin=lines)
    assert first != lines and sorted(first.splitlines()) == sorted(lines.splitlines())


@needs_lib
def test_mktemp_names_repeat_with_the_address_layout_fixed() -> None:
    """mktemp mixes address bits into the names it makes; a hermetic executor turns
    address randomisation off for its children (as ``setarch -R`` does)."""
    spec = task("mktemp", True)
    names = {run(spec, b"-p", b".") for _ in range(3)}
    assert len(names) == 1, names


@needs_lib
@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_mktemp_names_repeat_in_the_sandbox_too() -> None:
    """In bubblewrap as root, every exec "gained" capabilities that no_new_privs withheld,
    and the kernel cleared ADDR_NO_RANDOMIZE on each: sandboxed hermetic mktemp varied."""
    from fuzzdiff.run.sandbox import SandboxExecutor

    env = dict(hermetic_spec(task("mktemp", True)).env)
    executor = SandboxExecutor(env, Limits())
    try:
        program = Program((resolve_executable("mktemp", env["PATH"]),), "mktemp")
        names = {executor.run(program, Case(argv=(b"-u",))).stdout for _ in range(3)}
        layout = executor.run(Program(("/bin/cat", "/proc/self/personality"), "cat"), Case()).stdout
    finally:
        executor.close()
    assert int(layout, 16) & hermetic.ADDR_NO_RANDOMIZE, layout
    assert len(names) == 1, names


def test_without_hermetic_the_clock_is_the_real_one() -> None:
    year = run(task("date", False), b"+%Y")
    assert year != b"2021\n"
    assert int(year) >= 2024


@needs_lib
def test_every_run_has_a_fixed_umask_hermetic_or_not() -> None:
    """Outcomes compare modes (``Outcome.attrs``), so what a run makes must not
    depend on the umask of whoever runs fuzzdiff."""
    old = os.umask(0o077)
    try:
        assert run(task("sh", True), b"-c", b"umask") == b"0022\n"
        assert run(task("sh", False), b"-c", b"umask") == b"0022\n"
    finally:
        os.umask(old)


@needs_lib
def test_a_python_candidate_runs_fresh_under_the_preload(tmp_path: Path) -> None:
    """A forked child of a server started without the preload would see the real clock."""
    script = tmp_path / "clock.py"
    script.write_text("import time\nprint(int(time.time()))\n")
    env = dict(hermetic_spec(task("python3", True)).env)
    launcher = PythonForkLauncher(env, Limits())
    executor = LocalExecutor(env, Limits(), launcher=launcher)
    exe = resolve_executable("python3", env["PATH"])
    for _ in range(2):
        outcome = executor.run(Program((exe, str(script)), "clock"), Case())
        assert outcome.stdout == FROZEN_SECONDS, outcome.stderr
    assert launcher.last_reason == PRELOADED and launcher.forked == 0


@needs_lib
@pytest.mark.e2e
def test_a_sandboxed_candidate_sees_the_frozen_clock(mode: str) -> None:
    """Both sides; the candidate (another ``date``, the reference being masked) in its
    allowlisted root under bubblewrap, or confined to it by Landlock."""
    if shutil.which("busybox") is None:
        pytest.skip("busybox is not installed (the candidate's date)")
    setup = prepare(task("date", True), "busybox date")
    with open_runner(setup, jobs=1, sandbox=True, mask_reference=True) as runner:
        [(reference, candidate)] = runner.run_pairs([Case(argv=(b"+%s",))])
        isolation = runner.isolation
    assert ("bubblewrap" if mode == "bubblewrap" else "landlock") in isolation
    assert reference.stderr == candidate.stderr == b""
    assert reference.stdout == candidate.stdout == FROZEN_SECONDS


def fuzzdiff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fuzzdiff", *args],
        capture_output=True,
        text=True,
        timeout=280,
        env={**os.environ, "XDG_DATA_HOME": _DATA_HOME},
        check=False,
    )


@needs_lib
@pytest.mark.e2e
def test_a_hermetic_campaign_of_shuf_against_itself_is_equivalent(tmp_path: Path) -> None:
    path = tmp_path / "shuf.toml"
    path.write_text(SHUF_TASK)
    common = [str(path), "--candidate", "shuf", "--budget", "100", "--seed", "1", "--json", "--no-corpus"]
    done = fuzzdiff("fuzz", *common, "--hermetic")
    report = json.loads(done.stdout)
    assert (done.returncode, report["verdict"], report["unstable"]["cases"]) == (0, "equivalent", 0), done.stderr
    assert report["reproduce"].endswith(" --hermetic")
    plain = fuzzdiff("fuzz", *common)
    report = json.loads(plain.stdout)
    # Mostly inconclusive (exit 4); a pair whose re-runs happened to repeat may
    # also be reported divergent (exit 1): either way, never equivalent.
    assert (plain.returncode, report["verdict"]) in ((4, "inconclusive"), (1, "divergent")), plain.stderr
    assert report["unstable"]["cases"] > 0


def test_a_missing_library_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hermetic, "HERMETIC_LIB", "/nonexistent/libfaketime.so.1")
    with pytest.raises(ProgramError, match=r"/nonexistent/libfaketime\.so\.1.*apt-get install libfaketime"):
        hermetic_spec(task("date", True))
    assert hermetic_spec(task("date", False)) == task("date", False)  # not asked for: not needed


@needs_lib
def test_the_task_environment_gains_the_variables_once() -> None:
    spec = replace(task("date", True), env=(("LD_PRELOAD", "/lib/own.so"), ("PATH", "/usr/bin:/bin")))
    once = hermetic_spec(spec)
    env = dict(once.env)
    assert env["LD_PRELOAD"] == f"{HERMETIC_LIB}:/lib/own.so"
    assert env["FAKETIME"] == FROZEN_TIME and env["FAKERANDOM_SEED"]
    assert hermetic_spec(once) == once


def test_leftovers_of_gone_processes_are_swept(tmp_path: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()  # reaped: its pid names no process (until reused, which the sweep tolerates)
    names = [f"faketime_shm_{gone.pid}", f"sem.faketime_sem_{gone.pid}"]
    alive = [f"faketime_shm_{os.getpid()}", f"sem.faketime_sem_{os.getpid()}", "faketime_shm_x", "other_1"]
    for name in names + alive:
        (tmp_path / name).write_bytes(b"")
    assert sweep_leftovers(str(tmp_path)) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(alive)
    assert sweep_leftovers(str(tmp_path / "missing")) == 0


@needs_lib
@pytest.mark.skipif(shutil.which("sh") is None, reason="no sh")
def test_hermetic_runs_leave_nothing_in_dev_shm() -> None:
    """A shell replaces itself with its last command (exec): libfaketime's objects of
    that process are never removed by the library itself."""
    before = set(os.listdir("/dev/shm"))
    run(task("sh", True), b"-c", b"date >/dev/null; exec date")
    left = [n for n in set(os.listdir("/dev/shm")) - before if "faketime" in n and not alive(n)]
    assert left == []


def alive(name: str) -> bool:
    try:
        os.kill(int(name.rsplit("_", 1)[1]), 0)
    except ProcessLookupError:
        return False
    return True
