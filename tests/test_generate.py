"""Generation: deterministic per seed, structured, and covering malformed inputs."""

from __future__ import annotations

import subprocess
import sys

from fuzzdiff.generate import generate_batch, generate_cases
from fuzzdiff.model import Case
from fuzzdiff.spec import TaskSpec, load_task


def test_same_seed_same_cases(spec: TaskSpec) -> None:
    assert list(generate_cases(spec, 5, 300)) == list(generate_cases(spec, 5, 300))


def test_different_seeds_differ(spec: TaskSpec) -> None:
    assert list(generate_cases(spec, 1, 100)) != list(generate_cases(spec, 2, 100))


def test_budget_is_respected_and_cases_are_distinct(spec: TaskSpec) -> None:
    cases = list(generate_cases(spec, 3, 500))
    assert len(cases) == 500
    assert len({c.key() for c in cases}) == 500


def test_prefix_stability(spec: TaskSpec) -> None:
    """A bigger budget extends the same sequence: budgets never change earlier cases."""
    small = list(generate_cases(spec, 9, 100))
    large = list(generate_cases(spec, 9, 400))
    assert large[:100] == small


def test_file_operands_have_files(spec: TaskSpec) -> None:
    for case in generate_cases(spec, 4, 300):
        names = {n for n, _ in case.files}
        for name in names:
            assert name in case.argv or any(n.startswith(name.split(b"/")[0]) for n in names)


def test_structure_is_exercised(spec: TaskSpec) -> None:
    cases = list(generate_cases(spec, 11, 1000))
    argv = [a for c in cases for a in c.argv]
    assert b"-a" in argv and b"--alpha" in argv
    assert any(a.startswith(b"--number=") for a in argv)
    assert any(a.startswith(b"-n") and len(a) > 2 for a in argv)  # -n5 spelling
    assert b"-" in argv and b"--" in argv
    assert any(a in (b"-q", b"-z", b"--bogus", b"--no-such-option") for a in argv)  # malformed share
    assert any(b"\n" in n or b" " in n for c in cases for n, _ in c.files)  # hostile names
    assert any(c.stdin == b"" for c in cases) and any(len(c.stdin) > 20 for c in cases)


def test_seed_is_independent_of_loaded_modules() -> None:
    """Hypothesis harvests constants from loaded local modules; generation must not depend on that."""
    code = (
        "import sys\n"
        "if sys.argv[1] == 'extra':\n"
        "    import fuzzdiff.cli, json, email, csv\n"
        "from fuzzdiff.spec import load_task\n"
        "from fuzzdiff.generate import generate_cases\n"
        "print(''.join(c.key() for c in generate_cases(load_task('base64'), 7, 300)))\n"
    )
    outs = {
        subprocess.run([sys.executable, "-c", code, mode], capture_output=True, check=True, cwd=cwd).stdout
        for mode, cwd in (("plain", "/"), ("extra", None))
    }
    assert len(outs) == 1


def test_batch_is_deterministic() -> None:
    spec = load_task("base64")
    a: list[Case] = generate_batch(spec, 123, 50)
    assert a == generate_batch(spec, 123, 50)
