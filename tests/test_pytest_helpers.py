"""``corpus_params`` and ``check_case`` in a user's pytest suite, run by a real pytest.

A corpus is recorded with the real ``base64``; a generated test file replays it
against a candidate through the helpers, in a pytest subprocess, and the test
reads what that pytest printed: test ids, and for each failure one line naming
the case and the channels, the diff, one line to reproduce it, and nothing of
fuzzdiff's own frames.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from fuzzdiff.core.model import Case
from fuzzdiff.core.spec import load_task
from fuzzdiff.run.execute import LocalExecutor
from fuzzdiff.run.program import reference_program
from fuzzdiff.store.corpus import CorpusWriter
from fuzzdiff.store.replay import record

REPO = Path(__file__).resolve().parents[1]
CASES = [
    Case(argv=(b"-w", b"4"), stdin=b"hello\n"),
    Case(stdin=b"abc"),
    Case(argv=(b"-d",), stdin=b"YWJj\n"),
]
#: Lines one failure may take in pytest's report: its header, the case line,
#: a diff of one changed line (its heading, ---/+++/@@ and a few lines), the repro line.
MAX_FAILURE_LINES = 12

TEST_FILE = """
import pytest
from fuzzdiff.store.replay import check_case, corpus_params

@pytest.mark.parametrize("stored", corpus_params({root!r}))
def test_corpus(stored):
    check_case(stored, {cand!r}, "base64")
"""


def run_pytest(tmp_path: Path, body: str, *args: str) -> subprocess.CompletedProcess[str]:
    spec = load_task("base64")
    root = tmp_path / "corpus"
    recorded = record(
        CorpusWriter(root, spec, reference_program(spec)), LocalExecutor(dict(spec.env), spec.limits), CASES
    )
    assert len(recorded.added) == len(CASES)
    cand = tmp_path / "cand.sh"
    cand.write_text(f"#!/bin/sh\n{body}\n")
    cand.chmod(0o755)
    (tmp_path / "test_user.py").write_text(TEST_FILE.format(root=str(root), cand=str(cand)))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-o", "addopts="]
    return subprocess.run(
        [*cmd, *args, "test_user.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def failure_sections(output: str) -> dict[str, list[str]]:
    """Each failure's lines in pytest's report, by the test id in its ``___ name ___`` header."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines():
        header = re.fullmatch(r"_{3,} (test_corpus\[.*\]) _{3,}", line)
        if header:
            current = sections.setdefault(header.group(1), [])
        elif line.startswith("=") or line.startswith("FAILED "):
            current = None
        elif current is not None:
            current.append(line)
    return sections


def test_failures_are_short_and_show_the_diff(tmp_path: Path) -> None:
    proc = run_pytest(tmp_path, 'base64 "$@"; echo extra')
    assert proc.returncode == 1, proc.stdout + proc.stderr
    sections = failure_sections(proc.stdout)
    assert sorted(sections) == ["test_corpus[base64 -d]", "test_corpus[base64 -w 4]", "test_corpus[base64]"]
    for test_id, lines in sections.items():
        text = "\n".join(lines)
        assert len([line for line in lines if line.strip()]) <= MAX_FAILURE_LINES, text
        command = test_id[len("test_corpus[") : -1]
        case_line = next(line for line in lines if line.strip())
        assert command in case_line and "stdout differs" in case_line, text
        assert any(line.strip().startswith("+") and "extra" in line for line in lines), text
        assert sum("fuzzdiff replay" in line for line in lines) == 1, text
        assert "replay.py" not in text and "Traceback" not in text, text


def test_cases_are_named_by_their_command_lines(tmp_path: Path) -> None:
    proc = run_pytest(tmp_path, 'exec base64 "$@"', "-vv")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    passed = set(re.findall(r"^test_user\.py::test_corpus\[(.*)\] PASSED", proc.stdout, re.M))
    assert passed == {"base64", "base64 -d", "base64 -w 4"}, proc.stdout


def test_corpus_params_refuses_a_corpus_without_cases(tmp_path: Path) -> None:
    """The documented pytest gate passed ("1 skipped", exit 0) on a corpus whose
    cases/ were not checked out, where `fuzzdiff replay` refuses it."""
    import pytest

    from fuzzdiff.core.errors import CaseFileError
    from fuzzdiff.store.replay import corpus_params

    spec = load_task("rev")
    corpus = tmp_path / "rev"
    CorpusWriter(corpus, spec, reference_program(spec))  # a manifest, no case
    with pytest.raises(CaseFileError, match="holds no cases"):
        corpus_params(corpus)
