"""A new user's first hour (issue 23): the mistakes a newcomer makes get a clear
answer, and what fuzzdiff writes and prints is readable."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import tempfile
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

import fuzzdiff
from fuzzdiff.core.errors import ProgramError, SpecError
from fuzzdiff.core.generate import FILE_NAMES, generate_cases
from fuzzdiff.core.model import Case, Divergence, Finding, Fingerprint, Program
from fuzzdiff.core.mutate import Mutator, OptionReader, Parent
from fuzzdiff.core.spec import (
    CONTENT_MODELS,
    NORMALISERS,
    OPERAND_KINDS,
    TABLE_KEYS,
    VALUE_KINDS,
    load_task,
    parse_task,
)
from fuzzdiff.oracle.scoring import Candidate, score
from fuzzdiff.run.hermetic import HERMETIC_LIB, hermetic_spec
from fuzzdiff.run.program import candidate_program, reference_program
from fuzzdiff.store.artifacts import read_case_file, write_artifacts
from fuzzdiff.store.corpus import StoredCase
from fuzzdiff.store.replay import MAX_TEST_NAME, CaseResult, ReplayResult, junit_names, junit_xml

from .helpers import SIMPLE_TASK, exited, script_on_path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "references" / "README.md"


def fuzzdiff_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_DATA_HOME": str(cwd / "data"), "XDG_CACHE_HOME": str(cwd)}
    return subprocess.run(
        [sys.executable, "-m", "fuzzdiff", *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=env
    )


# -- 1. a candidate that cannot start is a usage error --------------------------------


@pytest.mark.parametrize("command", ["python3 nope.py", "python3 -u sub/nope.py", "sh ./nope", "sh sub/../nope.sh"])
def test_a_missing_script_is_named_before_anything_runs(tmp_path: Path, command: str) -> None:
    (tmp_path / "sub").mkdir()
    with pytest.raises(ProgramError) as info:
        candidate_program(command, load_task("base64"), cwd=str(tmp_path))
    message = str(info.value)
    assert "does not exist" in message and "nope" in message and str(tmp_path) in message


@pytest.mark.parametrize(
    "command",
    [
        "cat --mode fast",  # a word that names no file is an argument
        "sed /x/d",  # a path into a directory that does not exist: a sed script
        "sed -e /tmp/x/d",  # the value of an option
        "cat -o /tmp/new-output",
        f"{sys.executable} -c 'print(1/2)'",
        f"{sys.executable} -m json.tool",
        "sh my.sh",  # exists in the caller's directory
    ],
)
def test_arguments_that_name_no_file_are_kept(tmp_path: Path, command: str) -> None:
    (tmp_path / "my.sh").write_text('exec base64 "$@"\n')
    program = candidate_program(command, load_task("base64"), cwd=str(tmp_path))
    assert len(program.argv) == len(command.split())


def test_cli_fuzz_and_score_exit_2_for_a_missing_script(tmp_path: Path) -> None:
    fuzz = ["fuzz", "base64", "--seed", "1", "--budget", "5", "--no-corpus"]
    for args in (fuzz, ["score", "base64", "--budget", "5"]):
        proc = fuzzdiff_cli(*args, "--candidate", "python3 nope.py", cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert "nope.py" in proc.stderr and "does not exist" in proc.stderr
        assert "DIVERGENT" not in proc.stdout and "reward" not in proc.stdout


def test_oracle_scores_a_candidate_that_cannot_start_as_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = score("base64", "python3 /nonexistent-dir/nope.py", budget=5, cache=tmp_path, sandbox=False)
    assert missing.status == "error" and missing.reward is None and "nope.py" in missing.error
    # source text is written to a file by the oracle; what can be missing is the interpreter
    monkeypatch.setenv("PATH", str(tmp_path))
    source = Candidate(source="import sys\n", language="python")
    no_python = score("base64", source, budget=5, cache=tmp_path, sandbox=False)
    assert no_python.status == "error" and no_python.reward is None and "python3" in no_python.error


# -- 2. weight 0 keeps an option out of mutants too -----------------------------------

WEIGHTED_TASK = {
    **SIMPLE_TASK,
    "options": [
        {"short": "a", "long": "alpha"},
        {"short": "n", "long": "number", "value": {"kind": "int", "min": 0, "max": 50}, "weight": 0},
        {"long": "beta", "weight": 0.0},
    ],
    "generate": {"malformed": 0.0},
}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_weight_zero_holds_for_mutants(seed: int) -> None:
    spec = parse_task(WEIGHTED_TASK, "<test>")
    reader = OptionReader(spec)
    excluded = {o.label() for o in spec.options if o.weight == 0}
    assert excluded == {"--number", "--beta"}
    mutator = Mutator(spec, frozenset({"pool", "mutate", "dictionary", "feedback"}))
    # what the reference printed (a usage message) and a stored case from before the weight was 0
    usage = b"usage: prog [-a] [-n N] [--beta]\n  --number=N  --be -n5\n"
    mutator.dictionary.harvest(usage)
    old = Parent(Case(argv=(b"-n", b"7", b"--beta", b"-a", b"--number=3")), usage)
    pool = [Parent(c, b" ".join(c.argv) + b"\n" + usage) for c in generate_cases(spec, seed, 30)]
    assert not any(excluded & set(reader.names(p.case.argv)) for p in pool)
    rng = random.Random(seed)
    made = [mutator.mutant(rng, rng.choice([*pool, old]), rng.choice([*pool, old])) for _ in range(3000)]
    cases = [m for m in made if m is not None]
    assert len(cases) > 1500
    named = {name for m in cases for name in reader.names(m.argv)}
    assert "--alpha" in named
    assert not named & excluded


def test_a_task_whose_options_all_weigh_zero_gets_none_from_the_dictionary() -> None:
    spec = parse_task({**WEIGHTED_TASK, "options": [{"short": "n", "long": "number", "weight": 0}]}, "<test>")
    mutator = Mutator(spec, frozenset({"dictionary", "feedback"}))
    rng = random.Random(5)
    assert not any(mutator.dictionary.option(rng) for _ in range(200))


# -- 3. every problem of a task file, with suggestions ---------------------------------

BAD_TASK = """\
name = "x"
program = "base64"
colour = "red"
[[options]]
short = "a"
wieght = 2
[[options]]
short = "ab"
[limits]
timout = 3
[compare]
stderr = "fuzzy"
"""


def test_every_problem_of_a_task_file_is_reported_with_suggestions(tmp_path: Path) -> None:
    task = tmp_path / "bad.toml"
    task.write_text(BAD_TASK)
    with pytest.raises(SpecError) as info:
        load_task(str(task))
    lines = str(info.value).splitlines()
    assert lines[0] == f"{task}: 5 problems (array tables are counted from 1):"
    assert all(line.startswith(f"{task}: ") for line in lines)
    body = "\n".join(lines[1:])
    assert "unknown key colour" in body
    assert "[[options]] #1: unknown key wieght; did you mean 'weight'?" in body
    assert "[[options]] #2: short: a short option is one character" in body
    assert "unknown key limits.timout; did you mean 'timeout'?" in body
    assert "compare.stderr: unknown mode 'fuzzy'" in body
    proc = fuzzdiff_cli("fuzz", str(task), "--candidate", "cat", "--seed", "1", cwd=tmp_path)
    assert proc.returncode == 2
    assert "did you mean 'weight'" in proc.stderr and "did you mean 'timeout'" in proc.stderr


def test_a_value_of_the_wrong_shape_is_one_problem_not_a_crash() -> None:
    with pytest.raises(SpecError) as info:
        parse_task({**SIMPLE_TASK, "options": [3, {"long": "x", "value": "int"}], "stdin": []}, "t.toml")
    assert str(info.value).splitlines()[1:] == [
        "t.toml: [[options]] #1: must be a table, got int 3",
        "t.toml: [[options]] #2: value must be a table, got str 'int'",
        "t.toml: stdin must be a table, got list []",
    ]


# -- 4. readable JUnit names ---------------------------------------------------------


def stored(argv: tuple[bytes, ...], stdin: bytes = b"") -> StoredCase:
    case = Case(argv=argv, stdin=stdin)
    return StoredCase(case.key(), case, exited(0))


def test_junit_names_are_command_lines_unique_only_where_needed() -> None:
    long = stored(tuple(b"-w%d" % i for i in range(60)))
    cases = [stored((b"-d",), b"YQ=="), stored((b"-d",), b"YWI="), stored((b"-w", b"5")), long, stored(())]
    names = junit_names(cases, "base64")
    assert names[2] == "base64 -w 5" and names[4] == "base64"
    assert names[0] == f"base64 -d [{cases[0].key[:8]}]" and names[1] == f"base64 -d [{cases[1].key[:8]}]"
    assert names[3].startswith("base64 -w0 -w1 -w2") and len(names[3]) == MAX_TEST_NAME
    assert len(set(names)) == len(names)
    result = ReplayResult("base64", "corpus", tuple(_passed(s) for s in cases))
    tree = ET.fromstring(junit_xml(result, "base64"))
    assert [tc.get("name") for tc in tree.iter("testcase")] == names


def _passed(s: StoredCase) -> CaseResult:
    return CaseResult(s, "passed", s.expected)


# -- 5. a repro script with a relative FUZZDIFF_CANDIDATE -----------------------------


@pytest.mark.parametrize("override", ["./good.sh", "sh good.sh", "sh sub/good.sh"])
def test_repro_script_takes_a_relative_candidate(tmp_path: Path, override: str) -> None:
    spec = load_task("base64")
    case = Case(argv=(b"-d",), stdin=b"YQ==")
    div = Divergence(
        case,
        exited(0, b"a"),
        exited(0, b"b"),
        ("stdout",),
        Fingerprint(("stdout",), "exit:0", "exit:0"),
    )
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/bin/sh\necho b\n")
    bad.chmod(0o755)
    out = tmp_path / "out"
    written = write_artifacts(
        out, [Finding(div, div, 0)], spec, 1, reference_program(spec), Program((str(bad),), "base64")
    )
    script = next(p for p in written if p.endswith(".sh"))
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    for good in (work / "good.sh", work / "sub" / "good.sh"):
        good.write_text('#!/bin/sh\nexec base64 "$@"\n')
        good.chmod(0o755)
    still = subprocess.run([script], cwd=work, capture_output=True, text=True, timeout=30)
    assert still.returncode == 1 and "stdout differs" in still.stdout
    env = {**os.environ, "FUZZDIFF_CANDIDATE": override}
    fixed = subprocess.run([script], cwd=work, capture_output=True, text=True, timeout=30, env=env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "no divergence" in fixed.stdout
    assert "relative paths" in Path(script).read_text()  # and the script says so


def test_repro_script_runs_the_programs_as_fuzzdiff_did(tmp_path: Path) -> None:
    """A candidate at a path with blanks ran as "/tmp/w\303\251ird" (the script split it
    at blanks), and a reference with fixed arguments (od -An) ran under its full path
    as argv[0], so its messages named /usr/bin/od where fuzzdiff's said od."""
    spec = parse_task({"name": "od", "program": "od", "args": ["-An"]})
    case = Case(argv=(b"",))
    div = Divergence(case, exited(1, b""), exited(1, b"x"), ("stdout",), Fingerprint(("stdout",), "", ""))
    folder = tmp_path / "w\u00e9ird dir"
    folder.mkdir()
    same = folder / "my od"
    same.write_text('#!/bin/sh\nexec od -An "$@"\n')
    same.chmod(0o755)
    written = write_artifacts(
        tmp_path / "out", [Finding(div, div, 0)], spec, 1, reference_program(spec), Program((str(same),), "od")
    )
    script = next(p for p in written if p.endswith(".sh"))
    agree = subprocess.run([script], cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert agree.returncode == 0 and "no divergence" in agree.stdout, agree.stdout + agree.stderr


@pytest.mark.parametrize(("program", "argv"), [("realpath", (b".", b"x/..")), ("printenv", (b"HOME", b"TMPDIR"))])
def test_repro_script_shows_each_sides_private_paths_as_fuzzdiff_does(
    tmp_path: Path, program: str, argv: tuple[bytes, ...]
) -> None:
    """The sides run in directories of their own, which fuzzdiff maps to fixed
    placeholders in what they print; the script did not, so a correct candidate of
    `realpath .` (or a program printing $HOME) "still differed" in it."""
    spec = parse_task({"name": program, "program": program})
    case = Case(argv=argv)
    div = Divergence(case, exited(0, b"a"), exited(5, b"a"), ("exit",), Fingerprint(("exit",), "exit:0", "exit:5"))
    same = tmp_path / "same.sh"
    same.write_text(f'#!/bin/sh\nexec {program} "$@"\n')
    same.chmod(0o755)
    written = write_artifacts(
        tmp_path / "out", [Finding(div, div, 0)], spec, 1, reference_program(spec), Program((str(same),), program)
    )
    script = next(p for p in written if p.endswith(".sh"))
    agree = subprocess.run([script], cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert agree.returncode == 0 and "no divergence" in agree.stdout, agree.stdout + agree.stderr
    other = tmp_path / "other.sh"
    other.write_text(f'#!/bin/sh\n{program} "$@"; echo "$HOME"\n')
    other.chmod(0o755)
    env = {**os.environ, "FUZZDIFF_CANDIDATE": str(other)}
    differs = subprocess.run([script], cwd=tmp_path, capture_output=True, text=True, timeout=30, env=env)
    assert differs.returncode == 1 and "> /tmp/fuzzdiff-work" in differs.stdout, differs.stdout


def test_repro_script_of_a_masked_run_says_what_it_cannot_reproduce(tmp_path: Path) -> None:
    """With --mask-reference a wrapper that runs the reference fails in fuzzdiff
    ("wc: not found") and agrees in the script, which has no sandbox: it said "no
    divergence" and nothing more."""
    spec = parse_task({"name": "wc", "program": "wc"})
    case = Case()
    div = Divergence(case, exited(0, b"a"), exited(127, b""), ("exit",), Fingerprint(("exit",), "exit:0", "exit:127"))
    wrapper = tmp_path / "wrapper.sh"
    wrapper.write_text('#!/bin/sh\nexec wc "$@"\n')
    wrapper.chmod(0o755)
    notes = {}
    for masked in (False, True):
        written = write_artifacts(
            tmp_path / f"out-{masked}",
            [Finding(div, div, 0)],
            spec,
            1,
            reference_program(spec),
            Program((str(wrapper),), "wc"),
            masked=masked,
        )
        script = next(p for p in written if p.endswith(".sh"))
        run = subprocess.run([script], cwd=tmp_path, capture_output=True, text=True, timeout=30)
        assert run.returncode == 0 and "no divergence" in run.stdout, run.stdout + run.stderr
        notes[masked] = "--mask-reference" in run.stdout
    assert notes == {False: False, True: True}


@pytest.mark.skipif(not os.path.exists(HERMETIC_LIB), reason="libfaketime is not installed")
def test_repro_script_gives_a_hermetic_program_what_fuzzdiff_gives_it(tmp_path: Path) -> None:
    """A repro of a hermetic mktemp task said "still differs" for mktemp itself (no
    private TMPDIR, address randomisation on) and left its names in the real /tmp."""
    spec = hermetic_spec(parse_task({"name": "mktemp", "program": "mktemp", "hermetic": True}))
    case = Case(argv=(b"-d",))
    div = Divergence(case, exited(0, b"a"), exited(0, b"b"), ("stdout",), Fingerprint(("stdout",), "", ""))
    ref = reference_program(spec)
    written = write_artifacts(tmp_path / "out", [Finding(div, div, 0)], spec, 1, ref, ref)
    script = next(p for p in written if p.endswith(".sh"))
    before = set(os.listdir(tempfile.gettempdir()))
    agree = subprocess.run([script], cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert agree.returncode == 0 and "no divergence" in agree.stdout, agree.stdout + agree.stderr
    assert not {n for n in set(os.listdir(tempfile.gettempdir())) - before if n.startswith("tmp.")}


def test_repro_script_names_the_candidate_as_fuzzdiff_compares_it(tmp_path: Path) -> None:
    """fuzzdiff maps a name the candidate calls itself by (the reference's installed
    path that a wrapper runs, a Python candidate's own path) back to the program's
    name; the script did not, so a fixed wrapper "still differed" in it."""
    spec = load_task("base64")
    real = reference_program(spec).argv[0]
    case = Case(argv=(b"--nope",))
    div = Divergence(case, exited(1, b""), exited(0, b""), ("exit",), Fingerprint(("exit",), "exit:1", "exit:0"))
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/bin/sh\nexit 0\n")
    bad.chmod(0o755)
    cand = candidate_program(str(bad), spec)
    written = write_artifacts(tmp_path / "out", [Finding(div, div, 0)], spec, 1, reference_program(spec), cand)
    script = next(p for p in written if p.endswith(".sh"))
    (tmp_path / "wrap.sh").write_text(f'#!/bin/sh\nexec {real} "$@"\n')
    (tmp_path / "wrap.sh").chmod(0o755)
    (tmp_path / "port.py").write_text(
        f"import os, sys\nos.execv({real!r}, [sys.argv[0], *sys.argv[1:]])\n"  # names itself by its path
    )
    (tmp_path / "off.sh").write_text(f'#!/bin/sh\nexec {real} "$@" 2>&1 | sed s/option/opt/ >&2\n')
    (tmp_path / "off.sh").chmod(0o755)
    for fixed in ("./wrap.sh", f"{sys.executable} port.py"):
        env = {**os.environ, "FUZZDIFF_CANDIDATE": fixed}
        run = subprocess.run([script], cwd=tmp_path, capture_output=True, text=True, timeout=30, env=env)
        assert run.returncode == 0 and "no divergence" in run.stdout, (fixed, run.stdout + run.stderr)
    env = {**os.environ, "FUZZDIFF_CANDIDATE": "./off.sh"}  # renamed, and still wrong: still differs
    run = subprocess.run([script], cwd=tmp_path, capture_output=True, text=True, timeout=30, env=env)
    assert run.returncode == 1 and "stderr differs" in run.stdout, run.stdout


# -- 6. which fuzzdiff runs -----------------------------------------------------------


def test_version_names_the_version_and_the_install(tmp_path: Path) -> None:
    proc = fuzzdiff_cli("--version", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"fuzzdiff {fuzzdiff.__version__}")
    assert f"location: {Path(fuzzdiff.__file__).resolve().parent}" in proc.stdout


# -- 7. the task format page documents every key --------------------------------------


def test_the_task_format_page_documents_every_key() -> None:
    text = README.read_text()
    missing = []
    for table, keys in TABLE_KEYS.items():
        for key in keys:
            documented = rf"(`{key}`|^\s*#?\s*{key} =|[{{,]\s*{key} =|\[{{1,2}}([a-z]+\.)?{key}\]{{1,2}})"
            if not re.search(documented, text, re.MULTILINE):
                missing.append(f"{table}: {key}")
    for word in (*NORMALISERS, *VALUE_KINDS, *OPERAND_KINDS, *CONTENT_MODELS):
        if f"`{word}`" not in text:
            missing.append(f"value {word}")
    assert not missing, f"references/README.md does not document: {', '.join(missing)}"


def _shown(name: bytes) -> str:
    """A file name as the page writes it: Python byte-string escapes, no quotes."""
    out = []
    for b in name:
        if b == 0x5C:
            out.append("\\\\")
        elif b == 0x0A:
            out.append("\\n")
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    return "".join(out)


def test_the_task_format_page_lists_the_generated_file_names_and_its_example_loads() -> None:
    text = README.read_text()
    assert all(f"`{_shown(n)}`" in text for n in FILE_NAMES), [_shown(n) for n in FILE_NAMES]
    example = re.search(r"```toml\n(.*?)```", text, re.DOTALL)
    assert example is not None
    spec = parse_task(tomllib.loads(example.group(1)), "references/README.md")
    assert {k for o in spec.options for k in (o.short, o.long)} >= {"w", "wrap", "decode", "ignore-garbage"}


def test_repro_script_gives_stdin_through_a_pipe_as_fuzzdiff_does(tmp_path: Path) -> None:
    """A program may treat a seekable file on stdin differently from a pipe (tail, dd,
    head -c); the repro script must hand it a pipe, or a divergence seen by fuzzdiff
    may not replay (two matrix counterexamples once did not)."""
    spec = load_task("base64")
    case = Case(argv=(), stdin=b"data")
    div = Divergence(case, exited(0, b"pipe\n"), exited(0, b"other\n"), ("stdout",), Fingerprint(("stdout",), "", ""))
    kind = tmp_path / "kind.sh"
    kind.write_text('#!/bin/sh\nif [ -p /dev/stdin ]; then echo pipe; else echo "not a pipe"; fi\n')
    kind.chmod(0o755)
    other = tmp_path / "other.sh"
    other.write_text("#!/bin/sh\necho pipe\n")
    other.chmod(0o755)
    written = write_artifacts(
        tmp_path / "out", [Finding(div, div, 0)], spec, 1, Program((str(kind),), "base64"), Program((str(other),), "b")
    )
    script = next(p for p in written if p.endswith(".sh"))
    agree = subprocess.run([script], cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert agree.returncode == 0 and "no divergence" in agree.stdout, agree.stdout + agree.stderr


def test_a_report_case_file_keeps_a_bounded_output_and_says_what_was_cut(tmp_path: Path) -> None:
    spec = load_task("base64")
    case = Case(argv=(b"-d",), stdin=b"YQ==" * 3)
    flood = replace(exited(0, b"a" * 100), files=((b"out", b"z" * 50), (b"small", b"s")))
    div = Divergence(case, flood, exited(1, b"b", b"oops"), ("stdout",), Fingerprint(("stdout",), "", ""))
    program = reference_program(spec)
    [whole, _] = write_artifacts(tmp_path / "whole", [Finding(div, div, 0)], spec, 1, program, program)
    [short, _] = write_artifacts(tmp_path / "short", [Finding(div, div, 0)], spec, 1, program, program, keep_output=8)
    doc, kept = read_case_file(short)
    assert doc["cut"] == {"reference.stdout": 100, "reference.files/out": 50}
    assert kept.reference.files == ((b"out", b"z" * 8), (b"small", b"s"))
    assert kept.reference.stdout == b"a" * 8 and kept.candidate.stdout == b"b" and kept.candidate.stderr == b"oops"
    assert kept.case == case  # what replay and minimize read is whole
    assert "cut" not in read_case_file(whole)[0] and read_case_file(whole)[1].reference.stdout == b"a" * 100


def test_repro_script_runs_under_the_task_limits_with_piped_outputs(tmp_path: Path) -> None:
    """fuzzdiff runs a program with a file-size limit, an address-space limit and pipes
    for stdout and stderr; a repro script without them showed agreement on divergences
    the matrix had found (uutils truncate past the file-size limit, xxd -r seeking stdout)."""
    spec = load_task("base64")
    spec = replace(spec, limits=replace(spec.limits, file_bytes=2048))
    case = Case(argv=())
    div = Divergence(case, exited(0, b"x"), exited(0, b"y"), ("stdout",), Fingerprint(("stdout",), "", ""))
    probe = tmp_path / "probe.sh"
    probe.write_text(
        "#!/bin/sh\n[ -p /dev/stdout ] && echo stdout-pipe\n[ -p /dev/stderr ] && echo stderr-pipe\n"
        "head -c 8192 /dev/zero > big; echo wrote $?\n"
    )
    probe.chmod(0o755)
    expected = tmp_path / "expected.sh"
    expected.write_text("#!/bin/sh\necho stdout-pipe; echo stderr-pipe; echo wrote 153\n")
    expected.chmod(0o755)
    written = write_artifacts(
        tmp_path / "out", [Finding(div, div, 0)], spec, 1, Program((str(probe),), "p"), Program((str(expected),), "p")
    )
    script = next(p for p in written if p.endswith(".sh"))
    done = subprocess.run([script], cwd=tmp_path, capture_output=True, text=True, timeout=30)
    # the files differ (only the probe made `big`), stdout does not
    assert "stdout differs" not in done.stdout, done.stdout + done.stderr


def test_a_python_shim_is_run_through_to_its_interpreter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pyenv's `python3` is a shell script in a home directory that runs `pyenv exec`,
    which a sandbox never shows: a candidate `python3 mine.py` exited 127 on every
    case, "divergent", under `--sandbox` for anyone with pyenv first on PATH."""
    real = os.path.realpath(sys.executable)
    script_on_path(tmp_path / "shims", "python3", f'#!/bin/sh\nexec "{real}" "$@"\n', monkeypatch)
    (tmp_path / "mine.py").write_text("print(1)\n")
    spec = parse_task({"name": "cat", "program": "cat"}, "<test>")
    got = candidate_program("python3 mine.py", spec, str(tmp_path))
    assert os.path.realpath(got.argv[0]) == real and got.argv[1] == str(tmp_path / "mine.py")
    # any other script on PATH is run as it is
    other = script_on_path(tmp_path / "bin", "mytool", "#!/bin/sh\ncat\n", monkeypatch)
    assert candidate_program("mytool", spec, str(tmp_path)).argv[0] == str(other)
