"""The shipped tasks (the hand-written ones and a fixed sample of the library, see
test_library.py), end to end with the real reference: equivalent candidates are
judged equivalent and planted bugs of each kind are found.

These run real processes (a few minutes in all); they are the acceptance tests
of "zero false positives" and "finds bugs" on the shipped tasks. A planted bug
must be found within 2000 cases (a campaign stops at its first divergence, so
this costs little); an equivalent candidate runs its whole budget, which is
EQUIVALENT_BUDGET cases in the default run, to keep `.ci/run` short, and
`FUZZDIFF_E2E_BUDGET=N` (`make e2e-full`: 2000) for a longer sweep.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from fuzzdiff.api import fuzz, prepare
from fuzzdiff.core.generate import generate_cases
from fuzzdiff.core.model import Case
from fuzzdiff.core.spec import TaskSpec, load_task
from fuzzdiff.engine.judging import Judge
from fuzzdiff.run.execute import LocalExecutor
from fuzzdiff.run.program import reference_program
from fuzzdiff.run.runner import SerialRunner
from fuzzdiff.store.artifacts import write_artifacts

from .helpers import full_check_tasks, instantiate

BUDGET = 2000


def _budget(text: str) -> int:
    """``FUZZDIFF_E2E_BUDGET``, refused with a message naming it when it is not a count."""
    if not text.isdigit() or int(text) < 1:
        raise pytest.UsageError(f"FUZZDIFF_E2E_BUDGET must be a positive number of cases, not {text!r}")
    return int(text)


EQUIVALENT_BUDGET = _budget(os.environ.get("FUZZDIFF_E2E_BUDGET") or "500")
TASKS = full_check_tasks()  # the hand-written tasks and a fixed sample of the rest (test_library.py)

pytestmark = pytest.mark.e2e


def has_file_operands(spec: TaskSpec) -> bool:
    return "file" in spec.operands.kinds and spec.operands.max > 0


@pytest.mark.parametrize("task", TASKS)
def test_reference_is_deterministic(task: str) -> None:
    spec = load_task(task)
    ref = reference_program(spec)
    executor = LocalExecutor(dict(spec.env), spec.limits)
    runner = SerialRunner(executor, ref, ref)
    sample = list(generate_cases(spec, 2024, 60))
    for case, (a, b) in zip(sample, runner.run_pairs(sample), strict=True):
        assert (a.exit_class(), a.stdout, a.stderr, a.files) == (b.exit_class(), b.stdout, b.stderr, b.files), case


@pytest.mark.parametrize("task", TASKS)
def test_reference_version_is_recorded(task: str) -> None:
    assert prepare(task, "true").warnings == ()


@pytest.mark.parametrize("task", TASKS)
def test_copy_under_another_name_is_equivalent(task: str, tmp_path: Path) -> None:
    spec = load_task(task)
    copy = tmp_path / "some dir" / f"my-{task}-clone"
    copy.parent.mkdir()
    shutil.copy(reference_program(spec).argv[0], copy)
    result = fuzz(task, f"'{copy}'", budget=EQUIVALENT_BUDGET, seed=11)
    assert result.verdict == "equivalent", result.counterexample
    assert result.cases == EQUIVALENT_BUDGET


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("template", ["equivalent_exec.sh", "equivalent_stdin_copy.sh"])
def test_wrapper_is_equivalent(task: str, template: str, tmp_path: Path) -> None:
    spec = load_task(task)
    result = fuzz(task, instantiate(template, spec, tmp_path), budget=EQUIVALENT_BUDGET, seed=12)
    assert result.verdict == "equivalent", result.counterexample


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize(
    ("template", "channels"),
    [
        ("bug_option.sh", ("stdout",)),
        ("bug_content.sh", ("stdout",)),
        ("bug_filename.sh", ("stdout",)),
        ("bug_exit.sh", ("exit",)),
        ("bug_stderr.sh", ("stderr",)),
    ],
)
def test_planted_bug_is_found(task: str, template: str, channels: tuple[str, ...], tmp_path: Path) -> None:
    spec = load_task(task)
    if template == "bug_filename.sh" and not has_file_operands(spec):
        pytest.skip(f"{task} takes no file operands")
    command = instantiate(template, spec, tmp_path)
    result = fuzz(task, command, budget=BUDGET, seed=13)
    assert result.verdict == "divergent"
    finding = result.findings[0]
    assert finding.divergence.channels == channels
    assert finding.confirmed
    assert finding.divergence.case.size() <= finding.original.case.size()
    assert finding.shrink_proposals < 2000, "the shrink budget ran out: the case may not be 1-minimal"
    # the written reproduction replays the divergence on its own
    setup = prepare(task, command)
    paths = write_artifacts(tmp_path / "out", [finding], setup.spec, 13, setup.reference, setup.candidate)
    script = next(p for p in paths if p.endswith(".sh"))
    replay = subprocess.run(["sh", script], capture_output=True, timeout=60)
    assert replay.returncode == 1, replay.stdout


def test_python_candidate_sees_same_program_name(tmp_path: Path) -> None:
    """A candidate run through an interpreter and naming itself by sys.argv[0] is not penalised."""
    script = tmp_path / "my_base64.py"
    script.write_text(
        "import os, sys\n"
        "name = sys.argv[0]\n"
        "os.execvp('base64', ['base64', *sys.argv[1:]]) if len(sys.argv) < 2 or sys.argv[1] != '--bogus' else None\n"
        "sys.stderr.write(f\"{name}: unrecognized option '--bogus'\\nTry '{name} --help' for more information.\\n\")\n"
        "sys.exit(1)\n"
    )
    setup = prepare("base64", "python3 my_base64.py", cwd=str(tmp_path))
    runner = SerialRunner(LocalExecutor(dict(setup.spec.env), setup.spec.limits), setup.reference, setup.candidate)
    judge = Judge(setup.spec, runner, setup.reference, setup.candidate)
    bogus, plain = Case(argv=(b"--bogus",)), Case(argv=(b"-d",), stdin=b"YQ==")
    (_, cand), _ = runner.run_pairs([bogus, plain])
    assert cand.stderr.startswith(str(tmp_path / "my_base64.py").encode())  # raw: the script's own path
    assert judge.check([bogus, plain]) == [None, None]  # judged: the same program name
