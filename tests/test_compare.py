"""Comparison and normalisation."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzzdiff.core.compare import compare, differing_channels, normalise
from fuzzdiff.core.errors import SpecError
from fuzzdiff.core.model import Case, Outcome, Program, Termination
from fuzzdiff.core.spec import CompareSpec, Replacement, parse_task
from fuzzdiff.run.program import candidate_program
from fuzzdiff.store.artifacts import _RENAME_AWK

from .helpers import exited, outcomes

EXACT = CompareSpec()


@given(outcomes)
def test_an_outcome_never_differs_from_itself(o: Outcome) -> None:
    assert differing_channels(o, o, EXACT) == ()
    assert compare(Case(), o, o, EXACT) is None


def test_each_channel_is_reported() -> None:
    base = exited(0, b"out", b"err", ((b"f", b"1"),))
    assert differing_channels(base, dataclasses.replace(base, exit_code=1), EXACT) == ("exit",)
    assert differing_channels(base, dataclasses.replace(base, stdout=b"x"), EXACT) == ("stdout",)
    assert differing_channels(base, dataclasses.replace(base, stderr=b"x"), EXACT) == ("stderr",)
    assert differing_channels(base, dataclasses.replace(base, files=()), EXACT) == ("files",)


def test_stderr_modes() -> None:
    a, b = exited(1, stderr=b"one"), exited(1, stderr=b"two")
    presence = CompareSpec(modes=(("stderr", "presence"),))
    assert differing_channels(a, b, presence) == ()
    assert differing_channels(a, exited(1), presence) == ("stderr",)
    assert differing_channels(a, exited(1), CompareSpec(modes=(("stderr", "ignore"),))) == ()


def test_timeouts_compare_only_how_the_run_ended() -> None:
    t1 = Outcome(Termination.TIMEOUT, None, None, b"partial 1", b"", ())
    t2 = Outcome(Termination.TIMEOUT, None, None, b"partial 22", b"", ())
    assert differing_channels(t1, t2, EXACT) == ()
    assert differing_channels(t1, exited(0), EXACT)[0] == "exit"


SCRIPT = Program(
    argv=("/usr/bin/python3", "/home/u/my_b64.py"), argv0="python3", aliases=("/home/u/my_b64.py", "my_b64.py")
)


def test_program_name_normaliser_maps_script_names() -> None:
    o = exited(1, stderr=b"/home/u/my_b64.py: invalid input\nTry 'my_b64.py --help' for more information.\n")
    n = normalise(o, SCRIPT, "base64", EXACT)
    assert n.stderr == b"base64: invalid input\nTry 'base64 --help' for more information.\n"


def test_program_name_normaliser_maps_names_in_usage_lines() -> None:
    """``--help`` of a program started by its full path (``date -u`` as a candidate) names it there."""
    date = Program(argv=("/usr/bin/date", "-u"), argv0="/usr/bin/date", aliases=("/usr/bin/date",))
    o = exited(0, stdout=b"Usage: /usr/bin/date [OPTION]...\n  or:  /usr/bin/date [-u|--utc]\nsee /usr/bin/date x\n")
    n = normalise(o, date, "date", EXACT)
    assert n.stdout == b"Usage: date [OPTION]...\n  or:  date [-u|--utc]\nsee date x\n"  # a path, anywhere


def test_program_name_normaliser_maps_a_renamed_copys_base_name(tmp_path: Path) -> None:
    """A renamed copy of bzip2 given fixed arguments (``./cp-bzip2 -d -c``) runs by its
    path, names itself by its base name, also in bzip2's own "   usage:" line; 57 of
    200 cases of the shipped bzip2-d corpus failed. The repro scripts' awk agrees."""
    exe = tmp_path / "cp-bzip2"
    exe.write_bytes(b"")
    exe.chmod(0o755)
    spec = parse_task({"name": "bzip2-d", "program": "bzip2", "args": ["-d", "-c"]})
    program = candidate_program(f"{exe} -d -c", spec)
    assert program.argv0 == str(exe) and "cp-bzip2" in program.aliases
    text = b"cp-bzip2: a.bz2 is not a bzip2 file.\n   usage: cp-bzip2 [flags and input files]\nsee cp-bzip2 x\n"
    want = b"bzip2: a.bz2 is not a bzip2 file.\n   usage: bzip2 [flags and input files]\nsee cp-bzip2 x\n"
    assert normalise(exited(1, stderr=text), program, "bzip2", EXACT).stderr == want
    awk = shutil.which("awk")
    if awk is not None:
        done = subprocess.run(
            [awk, _RENAME_AWK],
            input=text,
            capture_output=True,
            env={"ALIASES": "\n".join(program.aliases), "NAME": "bzip2"},
            check=True,
        )
        assert done.stdout == want.removesuffix(b"\n")  # the script's awk drops the last newline


def test_program_name_normaliser_maps_a_path_wherever_it_stands_alone() -> None:
    """A wrapper running the reference by its path (``exec /usr/bin/cat "$@"``) shows
    that path mid-sentence in help texts (cat, numfmt, jq): false alarms. A bare
    name still counts only where a name stands, now after leading blanks too. A path
    before a closing quote counts (findutils' ``bugs in the "/usr/bin/xargs"
    program``), except in a traceback's ``File "..."`` line."""
    cat = Program(argv=("/tmp/w/mycat",), argv0="cat", aliases=("/usr/bin/cat", "mycat", "/tmp/x/my cat"))
    text = (
        b"  /usr/bin/cat f - g  Output\nUse /usr/bin/cat --help\n  $ /usr/bin/cat x\n"
        b"/usr/bin/catx /usr/bin/cat/ a/usr/bin/cat\n   mycat [opt]\n\tmycat: e\nsee mycat here\n'/tmp/x/my cat': no\n"
        b'bugs in the "/usr/bin/cat" program\n  File "/usr/bin/cat", line 3\n'
    )
    want = (
        b"  cat f - g  Output\nUse cat --help\n  $ cat x\n"
        b"/usr/bin/catx /usr/bin/cat/ a/usr/bin/cat\n   cat [opt]\n\tcat: e\nsee mycat here\n'cat': no\n"
        b'bugs in the "cat" program\n  File "/usr/bin/cat", line 3\n'
    )
    assert normalise(exited(0, stdout=text), cat, "cat", EXACT).stdout == want
    awk = shutil.which("awk")
    if awk is not None:
        env = {"ALIASES": "\n".join(cat.aliases), "NAME": "cat"}
        done = subprocess.run([awk, _RENAME_AWK], input=text, capture_output=True, env=env, check=True)
        assert done.stdout == want.removesuffix(b"\n")


def test_program_name_normaliser_leaves_other_text_alone() -> None:
    o = exited(0, stdout=b"the file my_b64.py.bak and my_b64.pyc\n")
    assert normalise(o, SCRIPT, "base64", EXACT).stdout == o.stdout


def test_program_name_normaliser_can_be_switched_off() -> None:
    o = exited(1, stderr=b"my_b64.py: bad\n")
    assert normalise(o, SCRIPT, "base64", CompareSpec(normalise=())).stderr == o.stderr


@given(st.binary(max_size=80), st.sampled_from(["my_b64.py", "/home/u/my_b64.py", "x"]))
def test_normalisers_are_idempotent(data: bytes, alias: str) -> None:
    spec = CompareSpec(replace=(Replacement("stdout", r"[0-9]+", "N"),))
    prog = Program(argv=("/bin/x",), argv0="x", aliases=(alias,))
    o = exited(0, stdout=data + b"\n" + alias.encode() + b": " + data, stderr=alias.encode() + b":" + data)
    once = normalise(o, prog, "base64", spec)
    assert normalise(once, prog, "base64", spec) == once


def test_declared_replacement_applies_to_both_sides() -> None:
    spec = CompareSpec(replace=(Replacement("stderr", r"line [0-9]+", "line N"),))
    a = normalise(exited(1, stderr=b"error at line 3"), SCRIPT, "p", spec)
    b = normalise(exited(1, stderr=b"error at line 12"), SCRIPT, "p", spec)
    assert differing_channels(a, b, spec) == ()


def test_a_names_replacement_renames_the_files_a_run_left_and_only_those() -> None:
    """dos2unix leaves ``d2utmpIn25Vs`` where it is refused, another name each run."""
    spec = CompareSpec(replace=(Replacement("names", r"(?:(?<=/)|^)d2utmp[A-Za-z0-9]{6}", "d2utmpXXXXXX"),))
    a = exited(1, stderr=b"d2utmpIn25Vs", files=((b"a", b"x"), (b"d2utmpIn25Vs", b"")))
    a = dataclasses.replace(a, attrs=((b"d2utmpIn25Vs", "mode 0600"),))
    b = exited(1, stderr=b"d2utmpJrR91U", files=((b"a", b"x"), (b"d/d2utmpJrR91U", b"")))
    b = dataclasses.replace(b, attrs=((b"d/d2utmpJrR91U", "mode 0600"),))
    na, nb = normalise(a, SCRIPT, "p", spec), normalise(b, SCRIPT, "p", spec)
    assert na.files == ((b"a", b"x"), (b"d2utmpXXXXXX", b"")) and na.attrs == ((b"d2utmpXXXXXX", "mode 0600"),)
    assert nb.files == ((b"a", b"x"), (b"d/d2utmpXXXXXX", b""))
    assert na.stderr == b"d2utmpIn25Vs"  # streams only by replacements of their own
    c = dataclasses.replace(
        b, stderr=b"", files=((b"a", b"x"), (b"d2utmpJrR91U", b"")), attrs=((b"d2utmpJrR91U", "mode 0600"),)
    )
    assert differing_channels(na, normalise(c, SCRIPT, "p", spec), CompareSpec()) == ("stderr",)
    assert normalise(exited(0, files=((b"xd2utmpJrR91U", b""),)), SCRIPT, "p", spec).files == ((b"xd2utmpJrR91U", b""),)
    with pytest.raises(SpecError, match="stdout, stderr or names"):
        parse_task({"name": "t", "program": "p", "compare": {"replace": [{"channel": "files", "pattern": "x"}]}})


def test_a_report_cuts_a_long_line_but_still_shows_where_long_lines_differ() -> None:
    from fuzzdiff.core.report import MAX_INLINE, diff_lines

    flood = diff_lines(b"a\n", b"y" * 1_000_000 + b"\n")
    assert max(map(len, flood)) < MAX_INLINE + 50 and flood[-1].endswith("(999600 more characters)")
    late = diff_lines(b"x" * 900 + b"1\n", b"x" * 900 + b"2\n")  # equal as far as a cut from the start shows
    assert [line[0] for line in late[3:]] == ["-", "+"] and late[3].endswith("x1") and late[4].endswith("x2")
    assert max(map(len, late)) < MAX_INLINE + 50


def test_output_both_programs_print_alike_is_never_told_apart_by_the_names(tmp_path: Path) -> None:
    """The normaliser rewrote the candidate's output only: a copy of dirname, given
    `/usr/bin/dirname/x`, printed `/usr/bin/dirname` like the reference, and the
    candidate's (its installed path is its alias) became `dirname`: a false alarm.
    And `sh w.sh` had `sh` as a name, so the shell's `sh: 1: x: not found`, printed
    by both awk programs alike, became `mawk: 1: ...` on one side only."""
    from fuzzdiff.engine.judging import Judge
    from fuzzdiff.run.execute import FunctionExecutor
    from fuzzdiff.run.runner import SerialRunner

    copy = tmp_path / "dirname"
    shutil.copy("/usr/bin/dirname", copy)
    spec = parse_task({"name": "dirname", "program": "dirname", "compare": {"normalise": ["program-name"]}})
    ref, cand = Program(argv=("/usr/bin/dirname",), argv0="dirname"), candidate_program(str(copy), spec)
    assert "/usr/bin/dirname" in cand.aliases
    printed = exited(0, stdout=b"/usr/bin/dirname\n", stderr=b"sh: 1: x: not found\n")
    runner = SerialRunner(
        FunctionExecutor({ref.argv[0]: lambda c: printed, cand.argv[0]: lambda c: printed}), ref, cand
    )
    judge = Judge(spec, runner, ref, cand)
    assert judge.check([Case(argv=(b"/usr/bin/dirname/x",))]) == [None]
    script = tmp_path / "w.sh"
    script.write_text('exec mawk "$@"\n')
    assert "sh" not in candidate_program(f"sh {script}", spec).aliases


def test_two_outputs_cut_short_are_compared_where_both_go() -> None:
    """Both past the output cap agreed whatever they printed: GNU `seq -s , 1 300000`
    and toybox's `000001,000002,...` (a wrong port flooding where the reference
    floods passed). Each cut-short output is the start of the whole; the part both
    hold is compared, to the last line end both have."""

    def cut(stdout: bytes, how: Termination = Termination.OUTPUT_CAP) -> Outcome:
        return Outcome(how, None, None, stdout, b"")

    spec = CompareSpec()
    ref = cut(b"1,2,3,4,5," * 100_000)
    assert differing_channels(ref, cut(b"000001,000002," * 100_000), spec) == ("stdout",)
    assert differing_channels(ref, cut(ref.stdout[:700_000]), spec) == ()  # the same, cut elsewhere
    lines = b"".join(b"%d\n" % i for i in range(100_000))
    assert differing_channels(cut(lines), cut(lines[:5000] + b"oops"), spec) == ()  # a torn last line
    assert differing_channels(cut(lines), cut(lines.replace(b"\n42\n", b"\n24\n")[:5000]), spec) == ("stdout",)
    slow = cut(lines[:5000], Termination.TIMEOUT)
    assert differing_channels(cut(lines, Termination.TIMEOUT), slow, spec) == ()  # a slower one, as far as it got
    assert differing_channels(cut(b"", Termination.TIMEOUT), cut(b"x\n", Termination.TIMEOUT), spec) == ()


def test_a_multi_call_candidate_runs_its_applet_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`coreutils seq` ran as argv[0]=/usr/bin/coreutils, `seq` as its first word:
    uutils said "Try 'coreutils seq --help'" (shown as 'seq seq'), and beside a
    directory named seq the word became `/here/seq`: "function/utility not found".
    A multi-call binary is run the way its installed links run it: argv[0] is the
    applet, and the repro script starts it so too."""
    from fuzzdiff.store.artifacts import repro_script

    box = shutil.which("busybox")
    if box is None:
        pytest.skip("busybox is not installed")
    (tmp_path / "seq").mkdir()
    monkeypatch.chdir(tmp_path)
    spec = parse_task({"name": "seq", "program": "seq"})
    reference = Program(("/usr/bin/seq",), "seq")
    cand = candidate_program("busybox seq -s :", spec)
    assert cand.argv == (box, "-s", ":") and cand.argv0 == "seq"
    done = subprocess.run(["bash", "-c", 'exec -a "$0" "$@"', cand.argv0, *cand.argv, "3"], capture_output=True)
    assert done.stdout == b"1:2:3\n"
    script = repro_script(Case(argv=(b"3",)), spec, reference, cand)
    assert "CNAMED=yes" in script  # the applet is the task's name
    other = repro_script(Case(argv=(b"3",)), spec, Program(("/usr/bin/seq",), "gseq"), cand)
    assert "CNAMED='as:seq'" in other  # or another: it is started under its own
    ran = subprocess.run(["sh", "-c", other], capture_output=True, text=True, cwd=tmp_path)
    assert ran.returncode == 1 and "1:2:3" in ran.stdout, ran
    ran = subprocess.run(["sh", "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert ran.returncode == 1 and "1:2:3" in ran.stdout, ran
    same = repro_script(Case(argv=(b"3",)), spec, reference, candidate_program("busybox seq", spec))
    assert subprocess.run(["sh", "-c", same], capture_output=True, cwd=tmp_path).returncode == 0


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv")
def test_the_repro_script_runs_programs_without_capabilities_as_fuzzdiff_does(tmp_path: Path) -> None:
    """`chmod -R = d a` fails for GNU under fuzzdiff (no capabilities: d is unreadable
    once its mode is 0), and the script, run by root with them, said "no divergence"."""
    from fuzzdiff.store.artifacts import repro_script

    fake = tmp_path / "fake"
    fake.write_text("#!/bin/sh\nprintf 'CapEff:\\t0000000000000000\\n'\n")
    fake.chmod(0o755)
    spec = parse_task({"name": "grep", "program": "grep"})
    case = Case(argv=(b"CapEff", b"/proc/self/status"))
    script = repro_script(case, spec, Program(("/usr/bin/grep",), "grep"), Program((str(fake),), "grep"))
    ran = subprocess.run(["sh", "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr  # the reference's effective set is empty too
