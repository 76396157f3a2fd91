"""The library builder (``factory.library``) on tiny shell programs in a temporary
directory: a missing program is skipped with its reason, a built task has its
file, card and corpus, building again makes nothing, an edited task gets a fresh
card and corpus, and cases that do not repeat are kept out of a corpus."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fuzzdiff.core.errors import UserError
from fuzzdiff.core.model import Outcome, Termination
from fuzzdiff.core.spec import load_task, parse_task
from fuzzdiff.factory import library
from fuzzdiff.factory.build import agrees, executor_for
from fuzzdiff.run import landlock
from fuzzdiff.run.execute import FunctionExecutor
from fuzzdiff.run.program import reference_program
from fuzzdiff.store.corpus import load_corpus

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="runs shell programs")

#: A deterministic filter with a --help to mine: upper-cases and/or reverses its input.
TINY = r"""#!/bin/sh
case "$1" in
  --help) printf 'Usage: tiny [OPTION]...\nFilter standard input.\n\n'
          printf '  -u, --upper    upper-case the input\n  -r, --reverse  reverse the order of lines\n'; exit 0;;
  --version) echo "tiny 1.0"; exit 0;;
esac
up=0; rev=0
for a in "$@"; do
  case "$a" in
    -u|--upper) up=1;;
    -r|--reverse) rev=1;;
    *) echo "tiny: invalid argument '$a'" >&2; exit 2;;
  esac
done
if [ $rev = 1 ]; then f="tac"; else f="cat"; fi
if [ $up = 1 ]; then $f | tr a-z A-Z; else $f; fi
"""

#: A program that answers "same" to empty input and a random number otherwise.
FLAKY = r"""#!/bin/sh
if [ "$1" = "--help" ]; then echo "Usage: flaky"; exit 0; fi
data=$(cat)
if [ -z "$data" ]; then echo same; else od -An -N4 -tu4 /dev/urandom; fi
"""


def script(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / "bin" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def make_library(tmp_path: Path, programs: str, cases: int = 20) -> library.Library:
    manifest = tmp_path / "references" / "library" / "programs.toml"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(programs)
    return library.Library.beside(manifest, cases_per_corpus=cases, calibration_cases=30)


def replays(lib: library.Library, name: str) -> bool:
    """Every stored case of ``name``'s corpus gives its stored outcome when the
    reference runs it again, twice."""
    spec = load_task(str(lib.task_path(name)))
    program = reference_program(spec)
    executor = executor_for(spec)
    corpus = load_corpus(lib.corpus_path(name))
    return all(
        agrees(spec, program, s.case, s.expected, executor.run(program, s.case)) for s in corpus.cases for _ in range(2)
    )


def test_a_missing_program_is_skipped_with_its_reason(tmp_path: Path) -> None:
    lib = make_library(tmp_path, '[[program]]\nname = "gone"\ncommand = "no-such-program-fuzzdiff"\nfamily = "text"\n')
    (result,) = library.build_library(lib, library.load_manifest(lib.manifest))
    assert result.status == "skipped"
    assert "no-such-program-fuzzdiff is not installed" in result.reason
    assert not lib.task_path("gone").exists()
    assert "skipped gone: no-such-program-fuzzdiff is not installed" in library.summary_text([result])


def test_builds_a_task_once_then_keeps_it(tmp_path: Path) -> None:
    tiny = script(tmp_path, "tiny", TINY)
    lib = make_library(
        tmp_path,
        f'[[program]]\nname = "tiny"\ncommand = "{tiny}"\nfamily = "text"\n'
        'description = "a tiny filter"\nprobe-budget = 60\ntools = ["cat"]\n',
    )
    entries = library.load_manifest(lib.manifest)
    (first,) = library.build_library(lib, entries)
    assert first.status == "built", first.reason
    assert first.made == ("task", "card", "corpus")
    spec = load_task(str(lib.task_path("tiny")))
    assert (spec.family, spec.description) == ("text", "a tiny filter")
    # the manifest's tools beside those the build saw it run: a sandboxed candidate may run them
    assert spec.tools == (("sh", "cat", "tac", "tr") if shutil.which("strace") else ("sh", "cat"))
    card = json.loads(lib.card_path("tiny").read_text())
    assert card["task"] == "tiny" and card["deterministic"] is True
    assert first.corpus_cases == len(load_corpus(lib.corpus_path("tiny")).cases) == 20
    assert replays(lib, "tiny")

    files = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    (again,) = library.build_library(lib, entries)
    assert (again.status, again.made) == ("kept", ())
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == files

    # A comment changes nothing; an edit by hand gets a fresh card and corpus, the file kept.
    task = lib.task_path("tiny")
    task.write_text(task.read_text() + "# a comment\n")
    (commented,) = library.build_library(lib, entries)
    assert commented.made == ()
    task.write_text(task.read_text().replace('"a tiny filter"', '"a tiny filter, edited"'))
    (edited,) = library.build_library(lib, entries)
    assert edited.made == ("card", "corpus")
    assert "a tiny filter, edited" in task.read_text()
    assert edited.corpus_cases == 20


def test_a_hand_written_task_only_gets_what_is_missing(tmp_path: Path) -> None:
    tiny = script(tmp_path, "tiny", TINY)
    lib = make_library(
        tmp_path, f'[[program]]\nname = "tiny"\ncommand = "{tiny}"\nfamily = "text"\nhandwritten = true\n'
    )
    entries = library.load_manifest(lib.manifest)
    (absent,) = library.build_library(lib, entries)
    assert absent.status == "skipped" and "is not there yet" in absent.reason
    text = f'name = "tiny"\nprogram = "{tiny}"\n[[options]]\nshort = "u"\n[stdin]\nmodels = ["lines"]\n'
    lib.task_path("tiny").write_text(text)
    lib.card_path("tiny").write_text("{}")  # someone else's card, even an odd one, is left alone
    (present,) = library.build_library(lib, entries, force=True)
    assert present.made == ("corpus",)
    assert lib.task_path("tiny").read_text() == text
    assert lib.card_path("tiny").read_text() == "{}"
    assert present.corpus_cases == 20


def test_cases_that_do_not_repeat_stay_out_of_the_corpus(tmp_path: Path) -> None:
    flaky = script(tmp_path, "flaky", FLAKY)
    table = {"name": "flaky", "program": str(flaky), "stdin": {"models": ["empty", "lines"]}}
    spec = parse_task(table, "<test>")
    where = tmp_path / "corpus"
    added, dropped = library.record_stable(spec, reference_program(spec), where, 5, seed=1)
    stored = load_corpus(where).cases
    assert added == len(stored) >= 1 and dropped >= 1
    assert all(s.case.stdin.strip() == b"" for s in stored)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[[program]]\nname = "a"\ncommand = "cat"\nfamily = "text"\ncolour = 1\n', "unknown key 'colour'"),
        ('[[program]]\nname = "a"\ncommand = "cat"\nfamily = "poetry"\n', "unknown family 'poetry'"),
        ('[[program]]\nname = "a"\nfamily = "text"\n', "'command' must be a non-empty string"),
        ('[[program]]\nname = "a/b"\ncommand = "cat"\nfamily = "text"\n', "must be a plain file name"),
        ('[[program]]\nname = "a"\ncommand = "cat"\nfamily = "text"\n' * 2, "task names given twice: a"),
        ("[[program]\n", "is not valid TOML"),
        ('[[program]]\nname = "a"\ncommand = "cat"\nfamily = "text"\ntools = "diff"\n', "'tools' must be a list"),
        ('[[program]]\nname = "a"\ncommand = "cat"\nfamily = "text"\ntools = ["lib/x"]\n', "or absolute paths"),
    ],
)
def test_a_bad_manifest_is_named_with_the_fix(tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "programs.toml"
    path.write_text(text)
    with pytest.raises(UserError, match=said.replace("(", r"\(")):
        library.load_manifest(path)


def test_the_command_refuses_a_missing_manifest(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "fuzzdiff", "task", "library", str(tmp_path / "none.toml")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert run.returncode == 2
    assert "cannot read the library manifest" in run.stderr


def test_only_takes_names_separated_by_commas(tmp_path: Path) -> None:
    manifest = tmp_path / "programs.toml"
    manifest.write_text('[[program]]\nname = "a"\ncommand = "rev"\nfamily = "text"\ndescription = "d"\n')

    def library(only: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "fuzzdiff", "task", "library", str(manifest), "--only", only]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, env={**os.environ, "NO_COLOR": "1"})

    run = library("a,nosuch")
    assert run.returncode == 2  # `a,nosuch` was one unknown name; now nosuch is the one named
    assert "--only nosuch: no such program" in run.stderr, run.stderr
    empty = library(",")  # nothing named at all must not mean every program
    assert empty.returncode == 2 and "names no program" in empty.stderr, empty.stderr


def test_a_case_whose_outcome_depends_on_how_deep_it_runs_is_not_recorded(tmp_path: Path) -> None:
    """The shipped realpath corpus held two `--relative-to` cases whose "../" count
    was that of the recording's directories: they failed in a sandbox and under
    another FUZZDIFF_TMPDIR. The third run of each recorded case lies deeper now."""
    from fuzzdiff.core.model import Program

    spec = load_task("rev")
    depth = Program(argv=("/bin/sh", "-c", "pwd -P | tr -cd / | wc -c"), argv0="rev")
    added, dropped = library.record_stable(spec, depth, tmp_path / "depth", 3, seed=1)
    assert (added, dropped) == (0, 3 * library.TRIES_PER_CASE)  # nothing recorded: every try varied
    steady = Program(argv=("/bin/sh", "-c", "pwd -P"), argv0="rev")  # the path itself is shown as a placeholder
    assert library.record_stable(spec, steady, tmp_path / "steady", 3, seed=1) == (3, 0)


#: A directory every user may write in, outside /tmp (which a confined run as root
#: now has a private one of): confined, a run cannot write here; unconfined, it can.
SHARED_OUTSIDE = "/var/tmp"
needs_shared_outside = pytest.mark.skipif(
    landlock.abi() < 1 or not os.access(SHARED_OUTSIDE, os.W_OK | os.X_OK),
    reason=f"no Landlock here (runs are not write-confined), or no writable {SHARED_OUTSIDE}",
)


@needs_shared_outside
def test_a_case_whose_outcome_depends_on_the_recordings_confinement_is_not_recorded(tmp_path: Path) -> None:
    """patch runs ed, which keeps its buffer in /tmp: recorded confined (Landlock lets
    a run write in its own tree only), ed said "Permission denied"; replayed as a
    campaign runs the reference, it printed `?`, and three shipped cases failed
    against patch itself. A recorded case is run once more as a replay runs it.
    (Confined runs as root now have a private /tmp, so ed works there; a shared
    directory outside it still tells the two apart.)"""
    from fuzzdiff.core.model import Program

    spec = load_task("rev")
    script = 'f=$(mktemp /var/tmp/fuzzdiff-recording.XXXXXX 2>/dev/null) && rm -f "$f" && echo wrote || echo denied'
    tmp_writer = Program(argv=("/bin/sh", "-c", script), argv0="rev")
    added, dropped = library.record_stable(spec, tmp_writer, tmp_path / "tmp", 3, seed=1)
    assert (added, dropped) == (0, 3 * library.TRIES_PER_CASE)
    own = Program(argv=("/bin/sh", "-c", ": > mine && echo wrote"), argv0="rev")  # its own directory: allowed
    assert library.record_stable(spec, own, tmp_path / "own", 3, seed=1) == (3, 0)


def test_every_recording_run_must_agree_with_the_first(tmp_path: Path) -> None:
    from fuzzdiff.core.model import Program

    spec = load_task("rev")
    program = Program(argv=("rev",), argv0="rev")
    said = FunctionExecutor({"rev": lambda case: Outcome(Termination.EXITED, 0, None, b"x\n", b"")})
    other = FunctionExecutor({"rev": lambda case: Outcome(Termination.EXITED, 0, None, b"y\n", b"")})
    assert library.record_stable(spec, program, tmp_path / "a", 2, seed=1, runners=(said, said, said)) == (2, 0)
    added, _ = library.record_stable(spec, program, tmp_path / "b", 2, seed=1, runners=(said, said, other))
    assert added == 0
    assert len(library.recording_runners(spec)) == 4  # confined twice, deeper, and as a replay runs it


def test_task_builds_corpus_keeps_only_what_a_replay_repeats() -> None:
    """`task build patch` wrote a corpus that patch itself failed in two cases:
    calibration runs the reference confined, where ed could not write in /tmp."""
    from fuzzdiff.core.model import Case, Program
    from fuzzdiff.factory.build import replayable

    spec = load_task("rev")
    program = Program(argv=("/bin/sh", "-c", "echo wrote"), argv0="rev")
    case = Case(argv=(), stdin=b"", files=())
    confined = Outcome(Termination.EXITED, 0, None, b"denied\n", b"")  # as a confined run said it
    plain = Outcome(Termination.EXITED, 0, None, b"wrote\n", b"")
    assert replayable(spec, program, [(case, confined), (case, plain)]) == [(case, plain)]


@needs_shared_outside
def test_task_build_writes_no_case_a_replay_would_not_repeat(tmp_path: Path) -> None:
    """The same through ``build``: a program that writes in a shared directory
    calibrates confined ("denied") and replays as "wrote", so none of its cases is
    recorded."""
    from fuzzdiff.factory.build import build

    script = tmp_path / "tmpwriter"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = --help ]; then\n'
        '  echo "Usage: tmpwriter [OPTION]... [FILE]"; echo "  -q, --quiet  say less"; exit 0\n'
        "fi\n"
        'f=$(mktemp /var/tmp/fuzzdiff-recording.XXXXXX 2>/dev/null) && rm -f "$f" && echo wrote || echo denied\n'
    )
    script.chmod(0o755)
    built = build([str(script)], probing=False, cases=20)
    assert built.card.accepted_share == 1.0 and built.card.deterministic  # confined, it said "denied" each time
    assert built.novel == []
