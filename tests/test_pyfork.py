"""The Python fork-server against fresh interpreters: identical outcomes on probe scripts.

Every probe in ``tests/pyfork_probes/`` prints or exercises one detail of how a
script starts, runs and ends. Each runs on several cases through a plain
``LocalExecutor`` (a fresh interpreter per run) and through one whose launcher
is a ``PythonForkLauncher``; stdout, stderr, exit status, termination and the
files left behind must be the same, and the fork-server must really have run
the case (no silent fallback).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from fuzzdiff.api import prepare
from fuzzdiff.core.model import CampaignResult, Case, Finished, Outcome, Program, Termination
from fuzzdiff.core.report import json_report, text_report
from fuzzdiff.core.spec import Limits
from fuzzdiff.engine.campaign import CampaignConfig, run_campaign
from fuzzdiff.oracle.scoring import score
from fuzzdiff.run.execute import SPARED, LocalExecutor
from fuzzdiff.run.pyfork import PythonForkLauncher, plan, script_imports
from fuzzdiff.run.runner import Meanwhile, PoolRunner
from fuzzdiff.run.runner import Pair as OutcomePair

from .helpers import CASES, ENV, FORMS, GOOD_BASE64, LIMITS, PARAMS, PROBES, interpreter_form, observable, shebang_form

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

Pair = tuple[LocalExecutor, LocalExecutor, PythonForkLauncher]


@pytest.fixture(scope="module")
def executors(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    root = str(tmp_path_factory.mktemp("pyfork"))
    launcher = PythonForkLauncher(ENV, LIMITS, root=root)
    yield LocalExecutor(ENV, LIMITS, root=root), LocalExecutor(ENV, LIMITS, root=root, launcher=launcher), launcher
    launcher.close()


def both(executors: Pair, program: Program, case: Case) -> tuple[Outcome, Outcome]:
    fresh, forked, launcher = executors
    before = launcher.forked
    expected = fresh.run(program, case)
    got = forked.run(program, case)
    assert launcher.last_reason is None, f"fell back to a fresh run: {launcher.last_reason}"
    assert launcher.forked == before + 1
    return expected, got


def assert_same(executors: Pair, program: Program, case: Case) -> Outcome:
    expected, got = both(executors, program, case)
    for field, a, b in zip(
        ("termination", "exit", "signal", "stdout", "stderr", "files"),
        observable(expected),
        observable(got),
        strict=True,
    ):
        assert a == b, f"{field} differs for {case}:\nfresh:  {a!r}\nforked: {b!r}"
    return got


@pytest.mark.parametrize(("form", "name", "index"), PARAMS, ids=[f"{n}-{i}-{f}" for f, n, i in PARAMS])
def test_probe_outcomes_are_identical(executors: Pair, form: str, name: str, index: int) -> None:
    assert_same(executors, FORMS[form](name), CASES[name][index])


def test_probes_really_probe(executors: Pair) -> None:
    """Spot checks that the probes observe what they claim (the comparison is not vacuous)."""
    out = assert_same(executors, interpreter_form("identity.py"), Case(argv=(b"a",)))
    assert f"['{PROBES / 'identity.py'}', 'a']".encode() in out.stdout
    assert b"__main__ " + str(PROBES / "identity.py").encode() in out.stdout
    assert f"{PROBES}".encode() in out.stdout  # sys.path[0]
    out = assert_same(executors, interpreter_form("exits.py"), Case(argv=(b"kbi",)))
    assert out.termination is Termination.SIGNALLED and out.signal == signal.SIGINT
    assert b'Traceback (most recent call last):\n  File "' + str(PROBES).encode() in out.stderr
    assert b"pyfork_server" not in out.stderr
    out = assert_same(executors, interpreter_form("exits.py"), Case(argv=(b"str",)))
    assert (out.exit_code, out.stderr) == (1, b"err start\na message for stderr\n")
    out = assert_same(executors, interpreter_form("brokenpipe.py"), Case())
    assert out.exit_code == 120 and b"BrokenPipeError" in out.stderr
    out = assert_same(executors, interpreter_form("atexit_threads.py"), Case())
    assert out.stdout.index(b"thread 2 done") < out.stdout.index(b"atexit last registered")
    assert b"del at shutdown" in out.stdout and b"ZeroDivisionError" in out.stderr
    out = assert_same(executors, interpreter_form("output.py"), Case(argv=(b"1000000",)))
    assert len(out.stdout) > 900_000
    out = assert_same(executors, interpreter_form("warns.py"), Case())
    assert b"DeprecationWarning: the imp module is deprecated" in out.stderr


def test_modules_and_random_state(executors: Pair) -> None:
    """After the same top-level imports ``sys.modules`` is the same; random seeds are not shared."""
    program = interpreter_form("modules.py")
    seen = set()
    for n in range(3):
        expected, got = both(executors, program, Case(argv=(str(n).encode(),)))
        assert (got.exit_code, got.stdout) == (expected.exit_code, expected.stdout)
        seen.add(got.stderr)
    assert len(seen) == 3


def test_local_modules_shadow_standard_ones(executors: Pair) -> None:
    """A module beside the script wins over the standard one, also when a standard
    module imports it; the fork-server never imports it ahead of the run."""
    out = assert_same(executors, interpreter_form("shadow/main.py"), Case())
    assert out.stderr.count(b"local") == 2
    info = executors[2].servers()[interpreter_form("shadow/main.py")]
    assert info["preimported"] == [] and "shadows numbers" in info["skipped"]["fractions"]


def test_script_change_is_picked_up(executors: Pair, tmp_path: Path) -> None:
    script = tmp_path / "changing.py"
    script.write_text("print('first')\n")
    program = Program(argv=(sys.executable, str(script)), argv0=sys.executable)
    assert assert_same(executors, program, Case()).stdout == b"first\n"
    time.sleep(0.01)
    script.write_text("print('second')\n")
    got = executors[1].run(program, Case())
    assert got.stdout == b"second\n"
    assert assert_same(executors, program, Case()).stdout == b"second\n"


def test_forget_starts_every_program_afresh(executors: Pair, tmp_path: Path) -> None:
    """A batch slot's next candidate lies at the same path: ``forget`` stops its
    server, whatever the script's file state says."""
    script = tmp_path / "same_path.py"
    script.write_text("print('one')\n")
    program = Program(argv=(sys.executable, str(script)), argv0=sys.executable)
    assert assert_same(executors, program, Case()).stdout == b"one\n"
    server = executors[2]._servers[program]
    executors[2].forget()
    assert program not in executors[2].servers() and not server.alive()
    assert assert_same(executors, program, Case()).stdout == b"one\n"
    assert executors[2]._servers[program] is not server


def test_unrelated_files_beside_the_script_keep_its_server(executors: Pair, tmp_path: Path) -> None:
    """A busy directory (a script right in /tmp) must not cost a new server per run:
    only entries named like a loaded module can change what a child runs."""
    script = tmp_path / "steady.py"
    script.write_text("import json\nprint(json.dumps([1]))\n")
    program = Program(argv=(sys.executable, str(script)), argv0=sys.executable)
    assert assert_same(executors, program, Case()).stdout == b"[1]\n"
    server = executors[2]._servers[program]
    for n in range(3):
        (tmp_path / f"other-{n}.txt").write_text("x")
        (tmp_path / f"tmpdir{n}").mkdir()
        assert assert_same(executors, program, Case()).stdout == b"[1]\n"
    assert executors[2]._servers[program] is server


def test_a_new_module_shadowing_a_loaded_one_is_picked_up(executors: Pair, tmp_path: Path) -> None:
    script = tmp_path / "shadowed.py"
    script.write_text("import json\nprint(json.dumps([1]))\n")
    program = Program(argv=(sys.executable, str(script)), argv0=sys.executable)
    assert assert_same(executors, program, Case()).stdout == b"[1]\n"
    (tmp_path / "json.py").write_text("def dumps(x):\n    return 'shadowed'\n")
    got = executors[1].run(program, Case())
    assert got.stdout == b"shadowed\n"  # as a fresh interpreter: json.py beside the script wins
    assert got.stdout == executors[0].run(program, Case()).stdout


def test_a_local_module_edited_in_place_is_picked_up(executors: Pair, tmp_path: Path) -> None:
    """Editing a file does not change its directory; a module beside the script is
    never loaded ahead of the run, so the edit is seen as a fresh run sees it."""
    (tmp_path / "helper.py").write_text("WORD = 'first'\n")
    script = tmp_path / "uses_helper.py"
    script.write_text("import helper\nprint(helper.WORD)\n")
    program = Program(argv=(sys.executable, str(script)), argv0=sys.executable)
    assert assert_same(executors, program, Case()).stdout == b"first\n"
    listed = os.stat(tmp_path).st_mtime_ns
    with open(tmp_path / "helper.py", "r+") as fh:  # the same file, rewritten in place
        fh.write("WORD = 'changed'\n")  # another size: the byte-code cache sees the change at once
    assert os.stat(tmp_path).st_mtime_ns == listed
    assert executors[1].run(program, Case()).stdout == b"changed\n"
    assert executors[0].run(program, Case()).stdout == b"changed\n"


def test_loop_is_killed_at_the_timeout_and_the_server_survives(tmp_path: Path) -> None:
    limits = Limits(timeout=1.0, memory_mb=1024, output_bytes=1 << 20, file_bytes=1 << 20, processes=64)
    launcher = PythonForkLauncher(ENV, limits, root=str(tmp_path))
    executor = LocalExecutor(ENV, limits, root=str(tmp_path), launcher=launcher)
    program = interpreter_form("loop.py")
    try:
        out = executor.run(program, Case(argv=(b"quiet",)))
        assert launcher.last_reason is None
        assert out.termination is Termination.TIMEOUT and out.stdout == b"looping\n"
        (server,) = launcher._servers.values()
        pid = server.proc.pid
        assert server.alive() and pid in SPARED
        out = executor.run(program, Case())
        assert (out.termination, out.exit_code, out.stdout) == (Termination.EXITED, 0, b"looping\n")
        assert launcher.forked == 2 and server.alive() and next(iter(launcher._servers.values())).proc.pid == pid
    finally:
        launcher.close()
    assert not server.alive() and pid not in SPARED


def test_server_killed_mid_run_reruns_fresh(executors: Pair, tmp_path: Path) -> None:
    """A script that kills its parent when that parent is the fork-server: the run is
    lost, repeated fresh (where the parent is this process, which it spares), and the
    outcome is the fresh one; the launcher says why."""
    script = tmp_path / "killer.py"
    script.write_text(
        "import os, signal\n"
        "with open(f'/proc/{os.getppid()}/cmdline', 'rb') as fh:\n"
        "    if b'pyfork_server' in fh.read():\n"
        "        os.kill(os.getppid(), signal.SIGKILL)\n"
        "print('done')\n"
    )
    program = Program(argv=(sys.executable, str(script)), argv0=sys.executable)
    fresh, forked, launcher = executors
    lost = launcher.fallbacks["the fork-server died during the run; ran fresh"]
    got = forked.run(program, Case())
    assert observable(got) == observable(fresh.run(program, Case()))
    assert got.stdout == b"done\n"
    assert launcher.fallbacks["the fork-server died during the run; ran fresh"] == lost + 1


def test_server_death_is_recovered(tmp_path: Path) -> None:
    """The server dies between cases (killed from outside): the next case starts a new one."""
    launcher = PythonForkLauncher(ENV, LIMITS, root=str(tmp_path))
    executor = LocalExecutor(ENV, LIMITS, root=str(tmp_path), launcher=launcher)
    program = interpreter_form("exits.py")
    try:
        assert executor.run(program, Case(argv=(b"fall",))).stdout == b"start\nfalls off the end\n"
        (server,) = launcher._servers.values()
        os.kill(server.proc.pid, signal.SIGKILL)
        server.proc.wait()
        out = executor.run(program, Case(argv=(b"fall",)))
        assert out.stdout == b"start\nfalls off the end\n" and launcher.last_reason is None
        assert next(iter(launcher._servers.values())) is not server
    finally:
        launcher.close()


@pytest.mark.parametrize(
    ("program", "case", "reason"),
    [
        (Program(argv=(sys.executable, "-c", "print(1)"), argv0=sys.executable), Case(), "-c runs no script"),
        (Program(argv=(sys.executable, "-m", "json.tool"), argv0=sys.executable), Case(), "-m runs no script"),
        (
            Program(argv=(sys.executable, "-x", str(PROBES / "stdin_lines.py")), argv0=sys.executable),
            Case(),
            "-x is not",
        ),
        (Program(argv=("/bin/echo",), argv0="echo"), Case(), "not a Python program"),
        (interpreter_form("stdin_lines.py"), Case(env=(("PYTHONIOENCODING", "latin-1"),)), "sets PYTHONIOENCODING"),
        (interpreter_form("stdin_lines.py"), Case(env=(("LC_ALL", "C.UTF-8"),)), "sets LC_ALL"),
        (interpreter_form("stdin_lines.py"), Case(env=(("TZ", "Europe/Paris"),)), "sets TZ"),
        (interpreter_form("stdin_lines.py"), Case(files=((b".local/lib/x", b""),)), "~/.local"),
    ],
)
def test_fallback_runs_fresh_and_says_why(executors: Pair, program: Program, case: Case, reason: str) -> None:
    fresh, forked, launcher = executors
    before = launcher.forked
    got = forked.run(program, case)
    assert launcher.last_reason is not None and reason in launcher.last_reason
    assert launcher.forked == before
    assert observable(got) == observable(fresh.run(program, case))


def test_script_that_does_not_compile_runs_fresh(executors: Pair, tmp_path: Path) -> None:
    """Compile errors (and compile-time warnings) are reported by a fresh run, exactly."""
    script = tmp_path / "broken.py"
    script.write_text('print("never runs"\n')
    program = Program(argv=(sys.executable, str(script)), argv0=sys.executable)
    fresh, forked, launcher = executors
    got = forked.run(program, Case())
    assert launcher.last_reason is not None and "does not compile" in launcher.last_reason
    assert got.exit_code == 1 and b"SyntaxError" in got.stderr
    assert observable(got) == observable(fresh.run(program, Case()))
    script.write_text("x = 1\nprint(x is 1)\n")  # SyntaxWarning at compile time
    got = forked.run(program, Case())
    assert launcher.last_reason is not None and "warnings" in launcher.last_reason
    assert b"SyntaxWarning" in got.stderr


@pytest.mark.parametrize(
    "source",
    [
        b'# -*- coding: latin-1 -*-\nprint(ascii("caf\xe9"), __doc__)\n',
        b'\xef\xbb\xbf"""BOM."""\nprint(ascii("caf\xc3\xa9"), __doc__)\n',
        b"import sys\r\nprint(sys.argv[1:])\r\n",
    ],
    ids=["latin1-cookie", "utf8-bom", "crlf"],
)
def test_source_encodings(executors: Pair, tmp_path: Path, source: bytes) -> None:
    script = tmp_path / "encoded.py"
    script.write_bytes(source)
    program = Program(argv=(sys.executable, str(script)), argv0=sys.executable)
    out = assert_same(executors, program, Case(argv=(b"x",)))
    assert out.exit_code == 0 and out.stdout


def test_plans() -> None:
    flags = Program(argv=(sys.executable, "-u", "-X", "utf8", "-OO", str(PROBES / "exits.py"), "extra"), argv0="py")
    found = plan(flags, ENV)
    assert not isinstance(found, str)
    assert found.prefix == ("py", "-u", "-X", "utf8", "-OO") and found.args == ("extra",)
    found = plan(shebang_form("exits.py"), ENV)
    assert not isinstance(found, str) and found.launch == ("/usr/bin/env", "python3")
    assert plan(Program(argv=(sys.executable, "-X", "importtime", "x.py"), argv0="p"), ENV) == (
        "interpreter option -X importtime is not supported"
    )


def test_unbuffered_flag_is_honoured(executors: Pair) -> None:
    program = Program(argv=(sys.executable, "-u", str(PROBES / "output.py")), argv0=sys.executable)
    out = assert_same(executors, program, Case(argv=(b"12345", b"_exit")))
    assert out.stdout.endswith(b"tail without newline ")  # unbuffered: nothing lost at os._exit


def test_script_imports_are_found_everywhere() -> None:
    names = script_imports(str(PROBES / "modules.py"))
    assert names[:4] == ["argparse", "json", "random", "sys"]
    assert "collections" in names and "collections.OrderedDict" in names


# -- how runs started reaches results ------------------------------------------------

PYTHONPATH_REASON = "fresh: the case sets PYTHONPATH, which the interpreter reads at start-up"


def test_launches_are_counted_per_run_and_handed_over(executors: Pair) -> None:
    _, forked, launcher = executors
    launcher.take_launches()  # what earlier tests ran
    program = interpreter_form("stdin_lines.py")
    forked.run(program, Case())
    forked.run(program, Case(stdin=b"x\n"))
    forked.run(program, Case(env=(("PYTHONPATH", "/nonexistent"),)))
    forked.run(Program(argv=("/bin/echo",), argv0="echo"), Case())  # not Python: not counted
    assert launcher.take_launches() == (("fork-server", 2), (PYTHONPATH_REASON, 1))
    assert launcher.take_launches() == ()  # the count starts over


def python_campaign(jobs: int, runner_type: type[PoolRunner] = PoolRunner) -> CampaignResult:
    """base64 against the pure-Python example, on real worker processes."""
    setup = prepare("base64", f"{sys.executable} {GOOD_BASE64}")
    spec_ = setup.spec
    runner = runner_type(jobs, dict(spec_.env), spec_.limits, setup.reference, setup.candidate)
    try:
        config = CampaignConfig(seed=3, budget=48, shrink=False)
        *_, last = run_campaign(spec_, runner, setup.reference, setup.candidate, config, runner.isolation)
    finally:
        runner.close()
    assert isinstance(last, Finished)
    return last.result


def test_campaign_result_counts_fork_server_runs_whatever_the_jobs() -> None:
    results = [python_campaign(jobs) for jobs in (1, 2)]
    for result in results:
        assert result.executions > 0
        assert result.launches == (("fork-server", result.executions),)  # the candidate ran once per pair
    assert results[0].launches == results[1].launches
    result = results[0]
    report = text_report(result, "base64", "fuzzdiff ...")
    assert f"python fork-server: {result.executions} runs" in report and "fresh interpreter" not in report
    assert json_report(result, ["base64"], ["python3"])["launches"] == {"fork-server": result.executions}


class PythonPathOnEveryOtherCase(PoolRunner):
    """Runs every other case of a batch with PYTHONPATH set (the reference, native
    base64, does not read it): those cases cannot use the candidate's fork-server."""

    sent = 0

    def run_pairs(
        self, cases: Sequence[Case], fresh: bool = False, meanwhile: Meanwhile | None = None, stop_on_slow: bool = False
    ) -> list[OutcomePair]:
        changed = [replace(c, env=(("PYTHONPATH", "/nonexistent"),)) if i % 2 else c for i, c in enumerate(cases)]
        self.sent += sum(i % 2 for i in range(len(cases)))
        return super().run_pairs(changed, fresh, meanwhile, stop_on_slow)


def test_campaign_result_says_why_runs_were_fresh() -> None:
    result = python_campaign(2, PythonPathOnEveryOtherCase)
    launches = dict(result.launches)
    assert set(launches) == {"fork-server", PYTHONPATH_REASON}
    assert sum(launches.values()) == result.executions
    assert launches[PYTHONPATH_REASON] == result.executions // 2  # one case in two: no repeats, no cache hits
    report = text_report(result, "base64", "fuzzdiff ...")
    fresh = launches[PYTHONPATH_REASON]
    assert (
        f"python fork-server: {launches['fork-server']} runs; fresh interpreter: {fresh} "
        "(the case sets PYTHONPATH, which the interpreter reads at start-up)"
    ) in report


def test_score_counts_fork_server_runs(tmp_path: Path) -> None:
    result = score(
        "base64",
        f"{sys.executable} {GOOD_BASE64}",
        budget=24,
        seed=1,
        jobs=1,
        cache=tmp_path,
        use_pool=False,
        sandbox=False,
        mask_reference=False,
    )
    assert result.status == "ok", result.error
    assert result.launches == (("fork-server", result.candidate_executions),)
    assert result.to_json()["launches"] == {"fork-server": result.candidate_executions}


def test_a_stopped_or_signalled_server_is_seen_as_interfered_with() -> None:
    """``interfered`` reads the server's state and pending signals from /proc: a
    process stopped, or with a SIGSTOP pending, counts; a running one does not."""
    from types import SimpleNamespace

    from fuzzdiff.run.pyfork import _Server

    proc = subprocess.Popen(["sleep", "30"])
    server = SimpleNamespace(proc=proc, _status=lambda: _Server._status(server))  # type: ignore[has-type]
    try:
        assert _Server.interfered(server) is False  # type: ignore[arg-type]
        os.kill(proc.pid, signal.SIGSTOP)
        deadline = time.monotonic() + 5
        while not _Server.interfered(server) and time.monotonic() < deadline:  # type: ignore[arg-type]
            time.sleep(0.01)
        assert _Server.interfered(server) is True  # type: ignore[arg-type]
        os.kill(proc.pid, signal.SIGCONT)
        deadline = time.monotonic() + 5
        while _Server.interfered(server) and time.monotonic() < deadline:  # type: ignore[arg-type]
            time.sleep(0.01)
        assert _Server.interfered(server) is False  # type: ignore[arg-type]
    finally:
        proc.kill()
        proc.wait()
    assert _Server.interfered(server) is False  # type: ignore[arg-type]  # gone: the reap finds out


def test_a_python_candidates_hash_order_is_the_same_on_every_score(tmp_path: Path) -> None:
    """A port printing a set of strings scored 1.0 on one call and 0.0 on the next,
    same budget and seed: each score's fork-server drew its own hash secret. With
    the runs' environment (``DEFAULT_ENV``: PYTHONHASHSEED=0) two fork-servers, as
    two scores start them, and a fresh interpreter print the set in one order."""
    script = tmp_path / "order.py"
    script.write_text("print(list({'apple', 'pear', 'plum', 'fig', 'kiwi', 'lime', 'date', 'yuzu'}))\n")
    program = Program(argv=(sys.executable, str(script)), argv0=sys.executable)
    outputs = []
    for n in range(2):
        root = tmp_path / f"score{n}"
        root.mkdir()
        launcher = PythonForkLauncher(ENV, LIMITS, root=str(root))
        try:
            outputs.append(LocalExecutor(ENV, LIMITS, root=str(root), launcher=launcher).run(program, Case()).stdout)
            assert launcher.forked == 1, launcher.last_reason
        finally:
            launcher.close()
    outputs.append(LocalExecutor(ENV, LIMITS, root=str(tmp_path)).run(program, Case()).stdout)
    assert outputs[0] and len(set(outputs)) == 1, outputs
