"""Coverage-guided mode (``fuzzdiff fuzz --coverage``, ``fuzzdiff.engine.coverage``).

The planted bug in ``tests/coverage/cat_planted.py`` (a Python ``cat -u``) needs
``-u`` and standard input starting with the four bytes "QZ!?": random
generation meets it about once in 10**9 cases, so finding it within a budget
of 1000 is the branch and comparison feedback at work.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from fuzzdiff.api import prepare
from fuzzdiff.core.errors import UserError
from fuzzdiff.core.generate import case_from_bytes
from fuzzdiff.core.spec import load_task
from fuzzdiff.engine.coverage import CoverageStats, Harness, python_targets

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
needs_atheris = pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="the coverage extra")

HERE = Path(__file__).resolve().parent / "coverage"
TASK = str(HERE / "cat.toml")
PLANTED = f"python3 {HERE / 'cat_planted.py'}"
_DATA_HOME = tempfile.mkdtemp(prefix="fuzzdiff-test-data-")


def fuzzdiff(*args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process; ``code`` runs before it (to hide a module, say)."""
    prelude = (code or "") + "\nfrom fuzzdiff.cli import main\nmain()"
    return subprocess.run(
        [sys.executable, "-c", prelude, *args],
        capture_output=True,
        text=True,
        timeout=280,
        env={**os.environ, "XDG_DATA_HOME": _DATA_HOME},
        check=False,
    )


def test_decoding_is_a_pure_function_of_the_bytes() -> None:
    spec = load_task("base64")
    rng = random.Random(5)
    blobs = [rng.randbytes(rng.randrange(0, 300)) for _ in range(200)]
    first = [case_from_bytes(spec, b) for b in blobs]
    again = [case_from_bytes(load_task("base64"), b) for b in blobs]  # another spec object, same task
    assert first == again
    assert len({c.key() for c in first}) > 150  # different bytes make different cases


@needs_atheris
def test_the_same_seed_gives_the_same_inputs() -> None:
    setup = prepare(TASK, PLANTED)
    targets = python_targets(setup)

    def inputs(seed: int) -> list[bytes]:
        harness = Harness(setup.spec, targets, seed, runs=100_000)
        try:
            stats = CoverageStats()
            harness.start(stats)
            return harness.take(40, stats)
        finally:
            harness.close()

    first = inputs(3)
    assert len(first) == 40 and len(set(first)) == 40
    assert inputs(3) == first
    assert inputs(4) != first


def _bytes(value: str | dict[str, str]) -> bytes:
    return base64.b64decode(value["base64"]) if isinstance(value, dict) else value.encode()


@needs_atheris
def test_finds_the_planted_bug_and_it_replays(tmp_path: Path) -> None:
    proc = fuzzdiff(
        "fuzz", TASK, "--candidate", PLANTED, "--budget", "1000", "--seed", "4", "--jobs", "1", "--coverage", "--json",
        "--out", str(tmp_path), "--no-corpus",
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    repro = subprocess.run(["sh", str(tmp_path / "repro-1.sh")], capture_output=True, check=False, timeout=60)
    assert repro.returncode == 1, repro  # an ordinary finding: its script replays it without atheris
    obj = json.loads(proc.stdout)
    assert obj["verdict"] == "divergent"
    assert obj["reproduce"].endswith("--seed 4 --coverage")
    coverage = obj["coverage"]
    assert coverage["programs"] == [f"candidate: {HERE / 'cat_planted.py'}"]
    assert 0 < coverage["reached"] <= coverage["counters"] and coverage["cases"] >= obj["cases"]
    found = obj["counterexample"]
    assert found["via"] == "coverage"
    assert found["confirmed"]  # re-run afresh by the ordinary judge: the same divergence
    assert found["argv"] == ["-u"] and _bytes(found["stdin"]).startswith(b"QZ!?")
    assert found["channels"] == ["stdout"]
    assert _bytes(found["candidate"]["stdout"]) == _bytes(found["reference"]["stdout"])[:-1]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["base64", "--candidate", "cat"], "needs a Python program on one side"),
        (["base64", "--candidate", PLANTED, "--sandbox"], "cannot be combined with --sandbox"),
        (["base64", "--candidate", PLANTED, "--guidance", "none"], "drop --guidance"),
        (["base64", "--candidate", PLANTED, "--coverage-side", "reference"], "the reference is not a Python script"),
        (["base64", "--candidate", PLANTED, "--coverage-side", "left"], "unknown coverage side 'left'"),
    ],
)
def test_bad_usage_exits_2(args: list[str], needle: str) -> None:
    proc = fuzzdiff("fuzz", *args, "--coverage", "--budget", "5", "--seed", "1")
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_missing_atheris_names_the_extra() -> None:
    proc = fuzzdiff(
        "fuzz", TASK, "--candidate", PLANTED, "--coverage", "--budget", "5", "--seed", "1",
        code="import sys; sys.modules['atheris'] = None",
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "pip install 'fuzzdiff[coverage]'" in proc.stderr


def test_a_python_reference_is_a_target_too(tmp_path: Path) -> None:
    script = tmp_path / "ref"
    script.write_text(f"#!{sys.executable}\nimport sys\nsys.stdout.buffer.write(sys.stdin.buffer.read())\n")
    script.chmod(0o755)
    task = tmp_path / "t.toml"
    task.write_text(Path(TASK).read_text().replace('program = "cat"', f'program = "{script}"'))
    setup = prepare(str(task), "cat")
    assert [side for side, _ in python_targets(setup)] == ["reference"]
    assert [side for side, _ in python_targets(prepare(str(task), PLANTED))] == ["reference", "candidate"]
    assert [side for side, _ in python_targets(prepare(str(task), PLANTED), "candidate")] == ["candidate"]
    with pytest.raises(UserError, match="the candidate is not a Python script"):
        python_targets(setup, "both")


HOSTILE = """\
import os, sys
data = sys.stdin.buffer.read()
if data == b"loop":
    while True:
        pass
if data == b"raise":
    raise RuntimeError("boom")
if data == b"exit":
    os._exit(3)
if data == b"kill":
    os.kill(os.getpid(), 9)
sys.stdout.buffer.write(data)
"""


@needs_atheris
def test_every_way_a_run_ends_leaves_its_coverage(tmp_path: Path) -> None:
    from dataclasses import replace

    from fuzzdiff.core.model import Case
    from fuzzdiff.engine.coverage_harness import Harness as Runner
    from fuzzdiff.engine.coverage_harness import HarnessConfig, Target

    script = tmp_path / "hostile.py"
    script.write_text(HOSTILE)
    spec = load_task(TASK)
    root = tmp_path / "runs"
    root.mkdir()
    config = HarnessConfig(
        spec, (Target("candidate", str(script), ()),), spec.env, replace(spec.limits, timeout=0.5), 1, 1, 64, str(root)
    )
    read, write = os.pipe()
    runner = Runner(config, write)
    assert runner.prepare() is None
    (program,) = runner.programs
    coverage = {stdin: runner.run(program, Case(stdin=stdin)) for stdin in (b"ok", b"loop", b"raise", b"exit", b"kill")}
    os.close(read)
    os.close(write)
    branches = {stdin: {index for index, _ in hits} for stdin, (hits, _) in coverage.items()}
    assert all(branches.values())  # killed, timed out or not, each run's branches were kept
    assert len({frozenset(b) for b in branches.values()}) == 5  # and each took its own path
    assert any(a == b"loop" for a, *_ in coverage[b"ok"][1])  # comparisons are recorded when the run ends...
    assert any(a == b"raise" for a, *_ in coverage[b"exit"][1])  # ...even by os._exit
    assert coverage[b"kill"][1] == []  # but not when it is killed
    assert list(root.iterdir()) == []  # each run's directory is gone


@needs_atheris
def test_a_candidate_that_kills_the_harness_gets_no_verdict(tmp_path: Path) -> None:
    """It ran in a child of the harness and killed it: "no divergence in 0 cases",
    exit 0, for a candidate wrong on every input."""
    script = tmp_path / "kills.py"
    script.write_text(
        "import os, sys\nif 'atheris' in sys.modules:\n    os.kill(os.getppid(), 9)\nsys.stdout.write('WRONG')\n"
    )
    proc = fuzzdiff(
        "fuzz", TASK, "--candidate", f"python3 {script}", "--budget", "50", "--seed", "1", "--jobs", "1",
        "--coverage", "--no-corpus",
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "no verdict" in proc.stderr and "killed by signal 9" in proc.stderr
