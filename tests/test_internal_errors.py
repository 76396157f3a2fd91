"""A bug in fuzzdiff exits with status 3, never 1 ("divergent") or a bare
traceback, and with --json still prints one JSON object saying so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

import pytest
from typer.testing import CliRunner

from fuzzdiff import cli
from fuzzdiff.core.errors import EXIT_INTERNAL, UserError, describe

ROOT = Path(__file__).resolve().parent.parent
_DATA_HOME = tempfile.mkdtemp(prefix="fuzzdiff-test-data-")
FUZZ = ("fuzz", "base64", "--budget", "10", "--seed", "1")
#: Runs the command line with the engine's comparison broken: a failure deep in a
#: campaign, in the main process, after the workers have run cases.
BROKEN_ENGINE = """
import sys
import fuzzdiff.engine.judging

def broken(*args, **kwargs):
    raise RuntimeError("injected failure\\nover two lines")

fuzzdiff.engine.judging.compare = broken
from fuzzdiff.cli import main
sys.argv = ["fuzzdiff", *sys.argv[1:]]
main()
"""


def _broken_fuzz(*flags: str, debug: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_DATA_HOME": _DATA_HOME, "PYTHONPATH": str(ROOT)}
    env.pop("FUZZDIFF_DEBUG", None)
    if debug:
        env["FUZZDIFF_DEBUG"] = "1"
    return subprocess.run(
        [sys.executable, "-c", BROKEN_ENGINE, *FUZZ, "--candidate", "cat", "--no-corpus", *flags],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
        check=False,
    )


@pytest.mark.e2e
@pytest.mark.timeout(200)
def test_an_internal_failure_in_a_campaign_exits_3_with_one_json_object() -> None:
    proc = _broken_fuzz("--json")
    assert proc.returncode == EXIT_INTERNAL, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1
    obj = json.loads(lines[0])
    assert obj["verdict"] == "error" and obj["command"] == "fuzz" and obj["version"] == 1
    assert obj["error"].startswith("RuntimeError: injected failure over two lines (at ")
    assert "Traceback" not in proc.stderr
    (message,) = [line for line in proc.stderr.splitlines() if "internal error" in line]
    assert "injected failure" in message and "FUZZDIFF_DEBUG=1" in message


@pytest.mark.e2e
@pytest.mark.timeout(200)
def test_the_traceback_is_shown_with_fuzzdiff_debug_and_text_mode_prints_no_report() -> None:
    proc = _broken_fuzz(debug=True)
    assert proc.returncode == EXIT_INTERNAL, proc.stderr
    assert proc.stdout == ""
    assert "Traceback (most recent call last)" in proc.stderr and "in broken" in proc.stderr
    assert "fuzzdiff: internal error in `fuzzdiff fuzz`" in proc.stderr


def _boom(*args: object, **kwargs: object) -> NoReturn:
    raise KeyError("lost")


@pytest.mark.parametrize(
    ("patched", "argv", "json_out"),
    [
        ("fuzz_events", ["fuzz", "base64", "-c", "cat", "--budget", "5", "--no-corpus", "--json"], True),
        ("read_case_input", ["minimize", "case-1.json", "-c", "cat", "--json"], True),
        ("load_corpus", ["replay", str(ROOT / "corpora" / "base64"), "-c", "cat", "--json"], True),
        ("run_record", ["corpus", "record", "base64", "--out", "{tmp}/c", "--budget", "2"], False),
        ("load_corpus", ["corpus", "reduce", str(ROOT / "corpora" / "base64"), "--dry-run"], False),
        ("load_corpus", ["corpus", "stats", str(ROOT / "corpora" / "base64"), "--json"], True),
        ("oracle_score", ["score", "base64", "-c", "cat", "--no-sandbox", "--json"], True),
    ],
)
def test_every_campaign_command_reports_an_unexpected_exception(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, patched: str, argv: list[str], json_out: bool
) -> None:
    monkeypatch.setattr(cli, patched, _boom)
    monkeypatch.delenv("FUZZDIFF_DEBUG", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    result = CliRunner().invoke(cli.app, [a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert result.exit_code == EXIT_INTERNAL, (result.output, result.exception)
    assert "internal error" in result.stderr and "KeyError: 'lost'" in result.stderr
    if json_out:
        (line,) = result.stdout.splitlines()
        obj = json.loads(line)
        assert obj["verdict"] == "error" and obj["error"].startswith("KeyError: 'lost' (at ")
    else:
        assert result.stdout == ""


def test_usage_errors_pass_through_unchanged(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A command's own exit (status 2 here) and a ``UserError`` escaping a command
    (shown by ``main``, status 2) are not internal errors."""
    result = CliRunner().invoke(cli.app, ["fuzz", "no-such-task", "-c", "cat", "--seed", "1", "--no-corpus"])
    assert result.exit_code == 2 and "unknown task" in result.stderr

    def refuse(*args: object, **kwargs: object) -> NoReturn:
        raise UserError("the candidate is not welcome; pick another")

    monkeypatch.setattr(cli, "oracle_score", refuse)
    monkeypatch.setattr(sys, "argv", ["fuzzdiff", "score", "base64", "-c", "cat", "--no-sandbox", "--json"])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == 2
    captured = capsys.readouterr()
    assert captured.err == "fuzzdiff: error: the candidate is not welcome; pick another\n" and captured.out == ""


def test_main_reports_a_failure_outside_any_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "app", _boom)
    monkeypatch.delenv("FUZZDIFF_DEBUG", raising=False)
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == EXIT_INTERNAL
    assert "fuzzdiff: internal error (a bug in fuzzdiff): KeyError: 'lost'" in capsys.readouterr().err


def test_describe_names_the_exception_and_where_it_was_raised() -> None:
    try:
        _boom()
    except KeyError as exc:
        assert describe(exc) == "KeyError: 'lost' (at test_internal_errors.py:" + _line_of_boom() + " in _boom)"
    assert describe(ValueError()) == "ValueError"


def _line_of_boom() -> str:
    return str(_boom.__code__.co_firstlineno + 1)
