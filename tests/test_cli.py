"""The command line, run as a user runs it: exit codes, JSON contract, artefacts, errors."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

_DATA_HOME = tempfile.mkdtemp(prefix="fuzzdiff-test-data-")  # default corpora land here, not in ~
BUGGY = '#!/bin/sh\nbase64 "$@"\nrc=$?\nfor a in "$@"; do [ "$a" = "-d" ] && printf x; done\nexit $rc\n'


def fuzzdiff(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fuzzdiff", *args],
        capture_output=True,
        text=True,
        timeout=280,
        cwd=cwd,
        env={**os.environ, "XDG_DATA_HOME": _DATA_HOME, **(env or {})},
        check=False,
    )


@pytest.fixture
def buggy(tmp_path: Path) -> Path:
    path = tmp_path / "buggy.sh"
    path.write_text(BUGGY)
    path.chmod(0o755)
    return path


def test_divergence_json_contract(buggy: Path) -> None:
    proc = fuzzdiff("fuzz", "base64", "--candidate", str(buggy), "--budget", "400", "--seed", "3", "--json")
    assert proc.returncode == 1, proc.stderr
    obj = json.loads(proc.stdout)  # exactly one JSON document on stdout
    assert obj["verdict"] == "divergent"
    assert obj["task"] == "base64" and obj["seed"] == 3
    assert 1 <= obj["cases"] <= 400
    assert isinstance(obj["seconds"], float)
    ce = obj["counterexample"]
    assert ce["argv"] == ["-d"]
    assert ce["channels"] == ["stdout"]
    assert ce["reference"]["stdout"] == "" and ce["candidate"]["stdout"] == "x"
    assert set(ce) >= {"argv", "stdin", "files", "channels", "reference", "candidate", "fingerprint"}
    assert obj["artifacts"] == []
    assert obj["divergences"][0] == ce


def test_same_seed_same_counterexample_whatever_the_jobs(buggy: Path) -> None:
    runs = [
        json.loads(
            fuzzdiff(
                "fuzz", "base64", "--candidate", str(buggy), "--budget", "300", "--seed", "8", "--jobs", j, "--json"
            ).stdout
        )
        for j in ("1", "2")
    ]
    for key in ("cases", "verdict"):
        assert runs[0][key] == runs[1][key]
    strip = ("cpu_seconds", "max_rss_kb", "wall_seconds")
    for run in runs:
        for side in ("reference", "candidate"):
            for k in strip:
                run["counterexample"][side].pop(k)
            for k in strip:
                run["counterexample"]["original"][side].pop(k)
    assert runs[0]["counterexample"] == runs[1]["counterexample"]


def test_equivalent_exit_zero_and_text_report(tmp_path: Path) -> None:
    proc = fuzzdiff("fuzz", "base64", "--candidate", "base64", "--budget", "150", "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    assert "no divergence in 150 cases" in proc.stdout


def test_report_and_artifacts(buggy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = fuzzdiff("fuzz", "base64", "--candidate", str(buggy), "--budget", "300", "--seed", "2", "--out", str(out))
    assert proc.returncode == 1
    assert "stdout differs" in proc.stdout
    assert "Reproduce with:" in proc.stdout
    assert "command: base64 -d" in proc.stdout
    doc = json.loads((out / "case-1.json").read_text())
    assert doc["format"] == "fuzzdiff-case" and doc["version"] == 1
    assert doc["divergence"]["argv"] == ["-d"]
    script = out / "repro-1.sh"
    assert subprocess.run(["sh", str(script)], capture_output=True, timeout=60).returncode == 1
    fixed = subprocess.run(
        ["sh", str(script)],
        capture_output=True,
        timeout=60,
        env={**os.environ, "FUZZDIFF_CANDIDATE": "/usr/bin/base64"},
    )
    assert fixed.returncode == 0, fixed.stdout


def test_relative_candidate_path_is_resolved_against_the_caller(buggy: Path) -> None:
    proc = fuzzdiff(
        "fuzz", "base64", "--candidate", "sh ./buggy.sh", "--budget", "200", "--seed", "4", "--json", cwd=buggy.parent
    )
    assert proc.returncode == 1, proc.stderr
    assert "-d" in json.loads(proc.stdout)["counterexample"]["argv"]  # the candidate ran, from the caller's directory


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["fuzz", "no-such-task", "--candidate", "true"], "unknown task 'no-such-task'"),
        (["fuzz", "base64", "--candidate", "/nonexistent/prog"], "does not exist"),
        (["fuzz", "base64", "--candidate", "/usr/bin"], "'/usr/bin' is a directory"),
        (["fuzz", "base64", "--candidate", "no-such-program-xyz"], "not found on PATH"),
        (["fuzz", "base64", "--candidate", "'unbalanced"], "quotes"),
        (["fuzz", "base64", "--candidate", "true", "--budget", "many"], "--budget"),
        (["fuzz", "base64", "--candidate", "true", "--budget", "0"], "budget"),
        (["fuzz", "base64"], "--candidate"),
        (["fuzz", "base64", "--candidate", "true", "--frobnicate"], "frobnicate"),
        (["explode"], "explode"),
    ],
)
def test_usage_errors_exit_2_with_a_message(args: list[str], needle: str) -> None:
    proc = fuzzdiff(*args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_malformed_task_file(tmp_path: Path) -> None:
    task = tmp_path / "broken.toml"
    task.write_text('name = "x"\nprogram = "base64"\n[[options]]\nshort = "dd"\n')
    proc = fuzzdiff("fuzz", str(task), "--candidate", "base64")
    assert proc.returncode == 2
    assert "broken.toml" in proc.stderr and "one character" in proc.stderr


def test_missing_reference_program(tmp_path: Path) -> None:
    task = tmp_path / "ghost.toml"
    task.write_text('name = "ghost"\nprogram = "no-such-reference-xyz"\n')
    proc = fuzzdiff("fuzz", str(task), "--candidate", "true")
    assert proc.returncode == 2
    assert "reference of task 'ghost'" in proc.stderr and "not found" in proc.stderr


def test_tasks_lists_shipped_tasks() -> None:
    proc = fuzzdiff("tasks")
    assert proc.returncode == 0
    assert "base64" in proc.stdout


def test_minimize_a_stored_case(buggy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    fuzzdiff("fuzz", "base64", "--candidate", str(buggy), "--budget", "300", "--seed", "2", "--out", str(out))
    case = out / "case-1.json"
    doc = json.loads(case.read_text())
    doc["divergence"]["argv"] = ["-i", "-d", "--wrap=7"]  # a bigger case written by hand
    case.write_text(json.dumps(doc))
    again = fuzzdiff("minimize", str(case), "--candidate", str(buggy), "--json")
    assert again.returncode == 1, again.stderr
    assert json.loads(again.stdout)["counterexample"]["argv"] == ["-d"]
    fixed = fuzzdiff("minimize", str(case), "--candidate", "base64")
    assert fixed.returncode == 0
    assert "agrees" in fixed.stdout


@pytest.mark.parametrize("content", ["not json", '{"format": "fuzzdiff-case", "version": 99}', '{"a": 1}'])
def test_minimize_refuses_bad_case_files(tmp_path: Path, content: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    proc = fuzzdiff("minimize", str(bad), "--candidate", "base64")
    assert proc.returncode == 2
    assert "bad.json" in proc.stderr and "Traceback" not in proc.stderr


def test_corpus_record_replay_reduce(buggy: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpora" / "base64"
    rec = fuzzdiff("corpus", "record", "base64", "--out", str(corpus), "--budget", "300", "--seed", "1")
    assert rec.returncode == 0, rec.stderr
    assert "recorded 300 cases" in rec.stdout
    ok = fuzzdiff("replay", str(corpus), "--candidate", "base64", "--json")
    assert ok.returncode == 0, ok.stderr
    summary = json.loads(ok.stdout)
    assert summary["failed"] == 0 and summary["errors"] == 0 and summary["cases"] == summary["passed"] > 5
    junit = tmp_path / "junit.xml"
    bad = fuzzdiff("replay", str(corpus), "--candidate", str(buggy), "--junit", str(junit))
    assert bad.returncode == 1
    assert "FAILED" in bad.stdout and "stdout differs" in bad.stdout
    assert "<testsuite" in junit.read_text()
    stats = fuzzdiff("corpus", "stats", str(corpus), "--json")
    assert json.loads(stats.stdout)["cases"] == summary["cases"]
    fresh = fuzzdiff("corpus", "refresh", str(corpus), "--dry-run", "--jobs", "1")
    assert fresh.returncode == 0 and f"would update 0 of {summary['cases']} cases" in fresh.stdout, fresh.stderr
    gone = fuzzdiff("corpus", "refresh", str(tmp_path / "nowhere"))
    assert gone.returncode == 2 and "nowhere does not exist" in gone.stderr
    (corpus / "cases" / "broken.json").write_text("{not json")
    # a broken corpus is bad input (2), never a failing candidate (1); the other cases still run
    broken = fuzzdiff("replay", str(corpus), "--candidate", "base64")
    assert broken.returncode == 2, broken.stderr
    assert "broken.json" in broken.stdout and f"{summary['passed']} passed" in broken.stdout
    assert "could not be read (broken.json" in broken.stderr and "restore them" in broken.stderr
    unread = fuzzdiff("corpus", "refresh", str(corpus), "--dry-run", "--jobs", "1")
    assert unread.returncode == 2 and "not refreshed: broken.json" in unread.stdout
    assert fuzzdiff("corpus", "stats", str(corpus)).returncode == 2


def test_fuzz_records_into_a_corpus(buggy: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "mine"
    proc = fuzzdiff(
        "fuzz", "base64", "--candidate", str(buggy), "--budget", "200", "--seed", "5", "--corpus", str(corpus)
    )
    assert proc.returncode == 1
    kinds = [json.loads(p.read_text())["kind"] for p in (corpus / "cases").glob("*.json")]
    assert "divergence" in kinds and kinds.count("behaviour") >= 1
    replay = fuzzdiff("replay", str(corpus), "--candidate", str(buggy))
    assert replay.returncode == 1  # the recorded divergence still fails for the buggy candidate


def test_sandboxed_replay_keeps_the_corpus_from_the_candidate(tmp_path: Path) -> None:
    """A candidate that reads the corpus (the answers) passes only where it can read it."""
    from fuzzdiff.run.sandbox import bwrap_available

    if not bwrap_available():
        pytest.skip("bubblewrap cannot start a sandbox here")
    corpus = tmp_path / "corpora" / "base64"
    rec = fuzzdiff("corpus", "record", "base64", "--out", str(corpus), "--budget", "40", "--seed", "1")
    assert rec.returncode == 0, rec.stderr
    peeker = tmp_path / "peeker.sh"
    peeker.write_text(
        f'#!/bin/sh\nif cat {corpus}/manifest.json >/dev/null 2>&1; then exec base64 "$@"; fi\necho blind\n'
    )
    peeker.chmod(0o755)
    open_ = fuzzdiff("replay", str(corpus), "--candidate", str(peeker), "--json")
    assert open_.returncode == 0, open_.stdout
    boxed = fuzzdiff("replay", str(corpus), "--candidate", str(peeker), "--sandbox", "--json")
    assert boxed.returncode == 1
    summary = json.loads(boxed.stdout)
    assert summary["passed"] == 0 and summary["failed"] == summary["cases"] > 0


def test_replay_of_missing_corpus_is_a_usage_error(tmp_path: Path) -> None:
    proc = fuzzdiff("replay", str(tmp_path / "nope"), "--candidate", "base64")
    assert proc.returncode == 2
    assert "nope" in proc.stderr


def test_sandboxed_campaign_with_the_reference_masked(buggy: Path) -> None:
    """In the sandbox, a wrapper that execs the hidden reference can no longer pass for it."""
    from fuzzdiff.run.sandbox import bwrap_available

    if not bwrap_available():
        pytest.skip("bubblewrap cannot start here")
    plain = fuzzdiff("fuzz", "base64", "--candidate", "base64", "--budget", "100", "--seed", "1", "--sandbox", "--json")
    assert plain.returncode == 0, plain.stderr
    assert json.loads(plain.stdout)["isolation"] == "bubblewrap"
    wrapper = buggy.parent / "exec.sh"
    wrapper.write_text('#!/bin/sh\nexec base64 "$@"\n')
    wrapper.chmod(0o755)
    masked = fuzzdiff(
        "fuzz", "base64", "--candidate", str(wrapper), "--budget", "100", "--sandbox", "--mask-reference", "--json"
    )
    assert masked.returncode == 1
    assert "exit" in json.loads(masked.stdout)["counterexample"]["channels"]


def test_zero_config_fuzz_and_task_init(tmp_path: Path) -> None:
    same = fuzzdiff("fuzz", "--reference", "fold", "--candidate", "fold", "--budget", "200", "--seed", "1", "--json")
    assert same.returncode == 0, same.stderr
    assert json.loads(same.stdout)["verdict"] == "equivalent"
    task = tmp_path / "fold.toml"
    init = fuzzdiff("task", "init", "fold", "--out", str(task))
    assert init.returncode == 0
    again = fuzzdiff("fuzz", str(task), "--candidate", "fold", "--budget", "100", "--seed", "1")
    assert again.returncode == 0, again.stderr
    neither = fuzzdiff("fuzz", "--candidate", "fold")
    assert neither.returncode == 2 and "--reference" in neither.stderr


def test_busybox_family_zero_config() -> None:
    import shutil

    if shutil.which("busybox") is None:
        pytest.skip("busybox is not installed")
    same = fuzzdiff(
        "fuzz", "--reference", "busybox sort", "--candidate", "busybox sort", "--budget", "150", "--seed", "1"
    )
    assert same.returncode == 0, same.stdout + same.stderr
    gnu = fuzzdiff("fuzz", "--reference", "busybox sort", "--candidate", "sort", "--budget", "300", "--seed", "1")
    assert gnu.returncode == 1  # GNU sort and BusyBox sort differ, e.g. in error messages


def test_unwritable_out_keeps_the_report(buggy: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    proc = fuzzdiff(
        "fuzz", "base64", "--candidate", str(buggy), "--budget", "100", "--seed", "2", "--out", str(blocker)
    )
    assert proc.returncode == 1
    assert "cannot write artefacts" in proc.stderr and "Traceback" not in proc.stderr
    assert "command: base64 -d" in proc.stdout


def test_a_wrapper_that_runs_the_reference_by_its_path_is_equivalent(tmp_path: Path) -> None:
    """It sees that path as its name (``/usr/bin/tr: missing operand``); a wrapper
    running it by its bare name, or a copy, sees the task's name."""
    exe = shutil.which("tr")
    assert exe is not None
    for path in (exe, os.path.realpath(exe)):
        wrapper = tmp_path / "my tr"
        wrapper.write_text(f'#!/bin/sh\nexec {path} "$@"\n')
        wrapper.chmod(0o755)
        proc = fuzzdiff("fuzz", "tr", "--candidate", shlex.quote(str(wrapper)), "--budget", "300", "--seed", "6")
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_programs_own_options_are_its_fixed_arguments(tmp_path: Path) -> None:
    """`task init openssl dgst -sha256` was refused: "No such option: -s"."""
    task = tmp_path / "od.toml"
    proc = fuzzdiff("task", "init", "od", "-An", "--out", str(task))
    assert proc.returncode == 0, proc.stderr
    assert 'args = ["-An"]' in task.read_text()
    task.write_text(task.read_text() + "# my edit\n")
    proc = fuzzdiff("task", "init", "--out", str(task), "--", "fold", "--out")
    assert proc.returncode == 2 and "--force" in proc.stderr  # it replaced the edited file silently
    assert "# my edit" in task.read_text()
    proc = fuzzdiff("task", "init", "--force", "--out", str(task), "--", "fold", "--out")
    assert proc.returncode == 0, proc.stderr
    assert 'args = ["--out"]' in task.read_text()


def test_task_build_refuses_an_existing_task_file_before_it_builds(tmp_path: Path) -> None:
    """Without --out it refused NAME.toml only after mining, probing and calibrating:
    minutes of reference runs thrown away. The program must not run at all."""
    log = tmp_path / "runs.log"
    program = tmp_path / "myprog"
    program.write_text(f'#!/bin/sh\necho "$@" >> {shlex.quote(str(log))}\ncat\n')
    program.chmod(0o755)
    (tmp_path / "myprog.toml").write_text("# my edit\n")
    (tmp_path / "openssl-dgst.toml").write_text("# mine\n")
    for command in ([str(program)], ["openssl", "dgst", "-sha256"]):
        proc = fuzzdiff("task", "build", "--", *command, cwd=tmp_path)
        assert proc.returncode == 2 and "--force" in proc.stderr, proc.stderr
    assert not log.exists()
    assert (tmp_path / "myprog.toml").read_text() == "# my edit\n"


def test_task_build_refuses_an_out_that_cannot_be_a_file_before_it_builds(tmp_path: Path) -> None:
    """`--out DIR --force` probed for 15 s, then failed with "[Errno 21] Is a
    directory: '.DIR._mfk1pdz'"; `--out FILE/x.toml` with "[Errno 17] File exists"."""
    log = tmp_path / "runs.log"
    program = tmp_path / "myprog"
    program.write_text(f'#!/bin/sh\necho "$@" >> {shlex.quote(str(log))}\ncat\n')
    program.chmod(0o755)
    (tmp_path / "outdir").mkdir()
    (tmp_path / "afile").write_text("kept\n")
    for out, says in ((tmp_path / "outdir", "is a directory"), (tmp_path / "afile" / "x.toml", "is a file")):
        for verb in ("build", "init"):
            proc = fuzzdiff("task", verb, "--force", "--out", str(out), "--", str(program), cwd=tmp_path)
            assert proc.returncode == 2 and says in proc.stderr and "--out" in proc.stderr, proc.stderr
    assert not log.exists() and (tmp_path / "afile").read_text() == "kept\n"


def test_a_mistyped_option_before_the_program_is_named_as_one() -> None:
    """`task build --outt x.toml col` said "program '--outt' was not found on PATH"."""
    for verb, typo, meant in (("build", "--outt", "--out"), ("init", "--nmae", "--name")):
        proc = fuzzdiff("task", verb, typo, "x", "col")
        assert proc.returncode == 2, proc.stderr
        assert f"no such option: {typo}; did you mean {meant}?" in proc.stderr and "PATH" not in proc.stderr


def test_reports_show_the_references_fixed_arguments() -> None:
    from fuzzdiff.cli import shown_command
    from fuzzdiff.core.model import Program

    assert shown_command(Program(("/usr/bin/od", "-An"), "od")) == "od -An"  # was "od": the case seemed to lack -An
    assert shown_command(Program(("/usr/bin/openssl", "enc", "-K", "a b"), "openssl")) == "openssl enc -K 'a b'"


def test_replay_names_what_is_wrong_with_its_inputs(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    shutil.copytree(Path(__file__).resolve().parent.parent / "corpora" / "rev", corpus)
    # a JUnit path that is a directory was a warning after the run, and exit 0: a CI job lost its report
    proc = fuzzdiff("replay", str(corpus), "--candidate", "rev", "--junit", str(tmp_path))
    assert proc.returncode == 2 and "is a directory" in proc.stderr, proc.stderr
    # one that cannot be written at all was a warning, and exit 0, too
    (tmp_path / "a-file").write_text("")
    proc = fuzzdiff("replay", str(corpus), "--candidate", "rev", "--junit", str(tmp_path / "a-file" / "r.xml"))
    assert proc.returncode == 2 and "cannot write the JUnit report" in proc.stderr, proc.stderr
    assert "passed" in proc.stdout  # the result is still shown
    manifest = corpus / "manifest.json"
    doc = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**doc, "task": "nosuchtask"}))
    proc = fuzzdiff("replay", str(corpus), "--candidate", "rev")
    assert proc.returncode == 2 and "manifest.json names; give --task" in proc.stderr, proc.stderr
    manifest.write_text(json.dumps({**doc, "version": str(doc["version"])}))
    proc = fuzzdiff("replay", str(corpus), "--candidate", "rev")
    assert proc.returncode == 2 and "as the string" in proc.stderr, proc.stderr


def test_what_a_stranger_got_wrong_with_fuzz_and_minimize(buggy: Path, tmp_path: Path) -> None:
    """ "Reproduce with" lines dropped --shrink-budget (another counterexample) and
    minimize's --task (another verdict); a case file kept its task file's path
    relative to where fuzz ran; minimize --out naming a file was an internal error."""
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    own = tasks / "mine.toml"
    own.write_text((Path(__file__).resolve().parents[1] / "references" / "base64.toml").read_text())
    out = tmp_path / "out"
    proc = fuzzdiff(
        "fuzz", "tasks/mine.toml", "-c", str(buggy), "--budget", "100", "--seed", "3", "--shrink-budget", "0",
        "--no-corpus", "--out", str(out), "--json", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["reproduce"].endswith("--shrink-budget 0")
    case_file = out / "case-1.json"
    assert json.loads(case_file.read_text())["task_file"] == str(own)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = fuzzdiff("minimize", str(case_file), "-c", str(buggy), "--json", cwd=elsewhere)
    assert proc.returncode == 1, proc.stderr
    afile = tmp_path / "afile"
    afile.write_text("")
    proc = fuzzdiff("minimize", str(case_file), "-c", "base64", "--task", str(own), "--out", str(afile), "--json")
    assert proc.returncode == 0, proc.stderr  # the reference itself agrees: nothing to write
    proc = fuzzdiff("minimize", str(case_file), "-c", str(buggy), "--task", "base64", "--out", str(afile), "--json")
    assert proc.returncode == 1 and "cannot write artefacts" in proc.stderr, proc.stderr
    assert json.loads(proc.stdout)["reproduce"].endswith("--task base64")
    own.unlink()  # the task file is gone: not swapped for the shipped task of that name
    proc = fuzzdiff("minimize", str(case_file), "-c", str(buggy))
    assert proc.returncode == 2 and "does not exist; give --task" in proc.stderr, proc.stderr
    # a task made on the fly (`fuzz --reference`): the message says how to make it a file
    for recorded, make in (
        ("<built from base64 -w 0>", "`fuzzdiff task build base64 -w 0 --seed 5 --out task.toml`"),
        ("<mined from base64 --help>", "`fuzzdiff task init base64 --out task.toml`"),
    ):
        doc = json.loads(case_file.read_text())
        case_file.write_text(json.dumps({**doc, "task_file": recorded, "seed": 5}))
        proc = fuzzdiff("minimize", str(case_file), "-c", str(buggy))
        assert proc.returncode == 2 and make in proc.stderr and "--task task.toml" in proc.stderr, proc.stderr


def test_an_empty_corpus_is_refused_not_passed(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    proc = fuzzdiff("corpus", "record", "base64", "--out", str(corpus), "--budget", "3")
    assert proc.returncode == 0, proc.stderr
    shutil.rmtree(corpus / "cases")
    proc = fuzzdiff("replay", str(corpus), "-c", "base64")
    assert proc.returncode == 2 and "holds no cases" in proc.stderr, proc.stderr


def test_ctrl_c_keeps_what_fuzz_found(tmp_path: Path) -> None:
    """Ctrl-C used to end `fuzz` with nothing printed, written or recorded, the
    divergence met long before included. The candidate here diverges on every case
    and, some runs in, interrupts fuzzdiff itself (SIGINT, as Ctrl-C sends)."""
    pidfile, count = tmp_path / "pid", tmp_path / "count"
    cand = tmp_path / "cand.sh"
    cand.write_text(
        f'#!/bin/sh\nbase64 "$@"\nrc=$?\necho x\necho . >> {count}\n'
        f'if [ "$(wc -l < {count})" -ge 400 ] && [ -s {pidfile} ]; then kill -INT "$(cat {pidfile})"; fi\nexit $rc\n'
    )
    cand.chmod(0o755)
    out, corpus = tmp_path / "out", tmp_path / "corpus"
    args = ["fuzz", "base64", "-c", str(cand), "--budget", "100000", "--seed", "1", "--max-divergences", "5"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "fuzzdiff", *args, "--out", str(out), "--corpus", str(corpus), "--jobs", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "XDG_DATA_HOME": _DATA_HOME},
        # as at a terminal: a test run started in the background (`pytest &`) passes
        # SIGINT down ignored, and Python then keeps ignoring it, so Ctrl-C did nothing
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    pidfile.write_text(str(proc.pid))
    stdout, stderr = proc.communicate(timeout=280)
    assert proc.returncode == 130, stderr
    assert "DIVERGENT" in stdout and "interrupted after" in stderr and "no verdict" in stderr, stderr
    assert (out / "case-1.json").is_file() and (out / "repro-1.sh").is_file()
    # met, not shrunk yet: shown as first seen and not recorded; shrunk and re-run: recorded
    assert ("AS FIRST SEEN" in stdout) == (not (corpus / "cases").exists() or not any((corpus / "cases").iterdir()))


def test_coverage_side_without_coverage_is_refused() -> None:
    proc = fuzzdiff("fuzz", "base64", "-c", "base64", "--budget", "5", "--coverage-side", "candidate")
    assert proc.returncode == 2 and "add --coverage" in proc.stderr, proc.stderr


def test_minimize_takes_a_case_written_by_hand(buggy: Path, tmp_path: Path) -> None:
    """docs/fuzzing.md says minimize takes "one written by hand"; it needed both
    outcomes and a fingerprint, which only fuzzdiff can write."""
    case = tmp_path / "mine.json"
    doc = {"format": "fuzzdiff-case", "version": 1, "task": "base64", "divergence": {"argv": ["-d", "-w", "5"]}}
    case.write_text(json.dumps(doc))
    proc = fuzzdiff("minimize", str(case), "-c", str(buggy), "--json")
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["counterexample"]["argv"] == ["-d"]
    assert json.loads(proc.stdout)["executions"] > 1  # the runs it made (it said 0)


def test_mask_reference_without_the_sandbox_is_refused() -> None:
    """It hid nothing outside the sandbox (a wrapper of /usr/bin/tr ran the reference
    and was equivalent), said nothing, and was echoed in "Reproduce with"."""
    corpus = str(Path(__file__).resolve().parent.parent / "corpora" / "rev")
    for args in (
        ["fuzz", "tr", "--candidate", "tr", "--mask-reference", "--budget", "5"],
        ["replay", corpus, "--candidate", "rev", "--mask-reference"],
    ):
        proc = fuzzdiff(*args)
        assert proc.returncode == 2 and "add --sandbox" in proc.stderr, proc.stderr


def test_replay_needs_no_installed_reference(tmp_path: Path) -> None:
    """docs/corpora.md: "replay needs only the candidate and the committed corpus";
    it refused to start where the reference was not installed (exit 2)."""
    rev = shutil.which("rev")
    assert rev is not None
    copy = tmp_path / "bin" / "rev"
    copy.parent.mkdir()
    shutil.copy(rev, copy)
    task = tmp_path / "rev.toml"
    task.write_text(f'name = "rev"\nprogram = "{copy}"\n')
    proc = fuzzdiff("corpus", "record", str(task), "--out", str(tmp_path / "c"), "--budget", "30", "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    copy.unlink()  # the CI machine has no reference
    proc = fuzzdiff("replay", str(tmp_path / "c"), "--task", str(task), "--candidate", "rev", "--jobs", "1")
    assert proc.returncode == 0 and "0 failed" in proc.stdout, proc.stdout + proc.stderr
    proc = fuzzdiff("replay", str(tmp_path / "c"), "--task", str(task), "--candidate", "rev", "--rerun-reference")
    assert proc.returncode == 2 and "does not exist" in proc.stderr, proc.stderr  # that one must run it


def test_a_sandboxed_replay_hides_the_history_of_the_corpus_too(tmp_path: Path) -> None:
    """Corpora are meant to be committed; --sandbox hid the corpus directory but not
    the repository's .git, from which a candidate read every answer (`git show`)."""
    repo = tmp_path / "repo"
    shutil.copytree(Path(__file__).resolve().parent.parent / "corpora" / "rev", repo / "corpora" / "rev")
    (repo / ".git").mkdir()
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    spy = tmp_path / "spy.sh"  # beside the repository, as a candidate's code in the checkout is
    spy.write_text(f'#!/bin/sh\nif [ -e {shlex.quote(str(repo))}/.git/HEAD ]; then echo LEAK >&2; fi\nexec rev "$@"\n')
    spy.chmod(0o755)
    proc = fuzzdiff("replay", str(repo / "corpora" / "rev"), "--candidate", str(spy), "--sandbox", "--jobs", "1")
    if "bubblewrap" in proc.stderr and "cannot" in proc.stderr:
        pytest.skip("no sandbox here")
    assert proc.returncode == 0 and "LEAK" not in proc.stdout, proc.stdout[-2000:] + proc.stderr


def test_a_masked_replay_without_the_reference_installed_runs_a_candidate_of_its_name(tmp_path: Path) -> None:
    """Masking resolved the missing reference's name against the current directory
    and hid the candidate `./myrev` itself: "cannot start ... Permission denied"."""
    rev = shutil.which("rev")
    assert rev is not None
    shutil.copy(rev, tmp_path / "myrev")
    task = tmp_path / "myrev.toml"
    task.write_text(f'name = "myrev"\nprogram = "{tmp_path / "myrev"}"\n')
    proc = fuzzdiff("corpus", "record", str(task), "--out", str(tmp_path / "c"), "--budget", "20", "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    task.write_text('name = "myrev"\nprogram = "myrev"\n')  # not on any PATH here
    args = ["replay", str(tmp_path / "c"), "--task", str(task), "--candidate", "./myrev", "--jobs", "1"]
    proc = fuzzdiff(*args, "--sandbox", "--mask-reference", cwd=tmp_path)
    if "bubblewrap" in proc.stderr and "cannot" in proc.stderr and "start" not in proc.stderr:
        pytest.skip("no sandbox here")
    assert proc.returncode == 0 and "0 failed" in proc.stdout, proc.stdout[-2000:] + proc.stderr


def test_a_worktrees_history_is_found_through_its_git_file(tmp_path: Path) -> None:
    """A worktree's (or submodule's) `.git` is a file naming where its history lies:
    hiding the file alone left the answers readable there."""
    from fuzzdiff.run.paths import git_dirs

    main = tmp_path / "main" / ".git"
    (main / "worktrees" / "wt").mkdir(parents=True)
    (main / "worktrees" / "wt" / "commondir").write_text("../..\n")
    work = tmp_path / "wt"
    (work / "corpora" / "rev").mkdir(parents=True)
    (work / ".git").write_text(f"gitdir: {main / 'worktrees' / 'wt'}\n")
    found = git_dirs([work / "corpora" / "rev"])
    assert found == (str(work / ".git"), str(main / "worktrees" / "wt"), str(main)), found
