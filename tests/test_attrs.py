"""Modes and modification times are observed: a chmod that never sets an execute
bit, or a touch that ignores the time it is given, passed 1,000 cases before
outcomes carried them (``Outcome.attrs``, ``scratch.attributes``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest

from fuzzdiff.core.codec import decode_outcome, encode_outcome
from fuzzdiff.core.compare import differing_channels, fingerprint
from fuzzdiff.core.model import Case, Divergence, Outcome, Program, Termination
from fuzzdiff.core.report import describe_divergence
from fuzzdiff.core.spec import CompareSpec, Limits
from fuzzdiff.oracle.scoring import feedback
from fuzzdiff.run.execute import LocalExecutor
from fuzzdiff.run.scratch import FILE_TIME, attributes
from fuzzdiff.run.scratch import EntryStat as E

NS = 10**9
WINDOW = (2_000_000_000.0, 2_000_000_005.0)  # the run's wall clock, start and end
DURING = int(2_000_000_002 * NS)


def said(files: Mapping[bytes, bytes | None], stats: dict[bytes, E], given: dict[bytes, bytes]) -> dict[bytes, str]:
    return dict(attributes(tuple(sorted(files.items())), stats, tuple(sorted(given.items())), WINDOW))


def test_what_the_content_implies_is_not_said() -> None:
    files = {b"given": b"x", b"made": b"new", b"d": None}
    stats = {
        b"given": E("file", 0o644, FILE_TIME * NS),
        b"made": E("file", 0o644, DURING),
        b"d": E("dir", 0o755, DURING),
    }
    assert said(files, stats, {b"given": b"x"}) == {}


def test_a_mode_other_than_the_case_gave_is_said() -> None:
    files = {b"f": b"x", b"d": None}
    stats = {b"f": E("file", 0o4755, FILE_TIME * NS), b"d": E("dir", 0o700, DURING)}
    assert said(files, stats, {b"f": b"x"}) == {b"f": "mode 4755", b"d": "mode 0700"}


def test_a_time_other_than_the_content_implies_is_said() -> None:
    files = {b"touched": b"x", b"moved": b"y", b"dated": b"z", b"rewritten": b"w"}
    stats = {
        b"touched": E("file", 0o644, DURING),  # given, left as it was, written again: touch
        b"moved": E("file", 0o644, FILE_TIME * NS),  # new here, dated as the case's files: mv, cp -p
        b"dated": E("file", 0o644, 981_173_106 * NS + 5),  # touch -d
        b"rewritten": E("file", 0o644, DURING),  # content changed, dated within the run: nothing to say
    }
    got = said(files, stats, {b"touched": b"x", b"rewritten": b"v"})
    assert got == {
        b"touched": "modified during the run",
        b"moved": "modified at 2020-01-01 00:00:00 UTC",
        b"dated": "modified at 2001-02-03 04:05:06.000000005 UTC",
    }


def test_two_runs_at_different_moments_agree_and_a_time_past_any_calendar_is_still_said() -> None:
    files = {b"f": b"new"}
    early = attributes(tuple(files.items()), {b"f": E("file", 0o644, DURING)}, (), WINDOW)
    hour_later = (WINDOW[0] + 3600, WINDOW[1] + 3600)
    later = attributes(tuple(files.items()), {b"f": E("file", 0o644, DURING + 3600 * NS)}, (), hour_later)
    assert early == later == ()
    far = dict(attributes(tuple(files.items()), {b"f": E("file", 0o644, 2**62)}, (), WINDOW))
    assert far[b"f"].startswith("modified at ")


def test_an_unreadable_file_left_in_place_is_not_said_to_be_modified() -> None:
    files = {b"f": b"\x00unreadable\x00EACCES"}
    assert said(files, {b"f": E("file", 0o000, FILE_TIME * NS)}, {b"f": b""}) == {b"f": "mode 0000"}


def outcome(**attrs: str) -> Outcome:
    return Outcome(
        Termination.EXITED, 0, None, b"", b"", ((b"a", b""),), tuple((k.encode(), v) for k, v in sorted(attrs.items()))
    )


def test_outcomes_that_differ_only_in_attributes_differ_in_files_and_the_report_says_how() -> None:
    ref, cand = outcome(a="mode 0755"), outcome()
    assert differing_channels(ref, cand, CompareSpec()) == ("files",)
    assert differing_channels(ref, outcome(a="mode 0755"), CompareSpec()) == ()
    case = Case(argv=(b"+x", b"a"), files=((b"a", b""),))
    div = Divergence(case, ref, cand, ("files",), fingerprint(ref, cand, ("files",)))
    text = "\n".join(describe_divergence(div))
    assert '"a": reference content unchanged, mode 0755; candidate unchanged' in text


def test_attributes_survive_json_and_old_json_reads_as_none() -> None:
    with_attrs = outcome(a="mode 0700, modified at 2001-02-03 04:05:06 UTC")
    assert decode_outcome(encode_outcome(with_attrs)) == with_attrs
    old = encode_outcome(outcome())
    assert "attrs" not in old
    assert decode_outcome(old).attrs == ()


def run(tmp_path: Path, script: str, files: tuple[tuple[bytes, bytes], ...]) -> Outcome:
    executor = LocalExecutor({"PATH": os.environ["PATH"]}, Limits(), root=str(tmp_path))
    return executor.run(Program((shutil.which("sh") or "/bin/sh", "-c", script), "sh"), Case(files=files))


def test_a_real_run_reports_modes_and_times_whatever_fuzzdiffs_own_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)  # the harness's umask must not reach the case's files nor the run
    try:
        given = ((b"a", b"x"), (b"b", b"y"), (b"sub/c", b"z"))
        got = run(tmp_path, "chmod 755 a; touch -d @0 b; echo hi > new; mkdir made", given)
    finally:
        os.umask(old)
    assert got.exit_code == 0, got.stderr
    assert dict(got.attrs) == {b"a": "mode 0755", b"b": "modified at 1970-01-01 00:00:00 UTC"}


def test_a_hard_link_is_told_from_a_copy(tmp_path: Path) -> None:
    """`ln a b` and `cp -p a b` leave the same names, contents and times; only the
    link count tells them apart, as `ls -l` does."""
    given = ((b"a", b"x"),)
    linked, copied = run(tmp_path, "ln a b", given), run(tmp_path, "cp -p a b", given)
    assert linked.files == copied.files
    assert dict(linked.attrs) == {b"a": "2 links", b"b": "2 links, modified at 2020-01-01 00:00:00 UTC"}
    assert dict(copied.attrs) == {b"b": "modified at 2020-01-01 00:00:00 UTC"}


@pytest.mark.skipif(shutil.which("chmod") is None, reason="needs chmod")
def test_a_chmod_that_never_sets_an_execute_bit_diverges_from_chmod(tmp_path: Path) -> None:
    given = ((b"a", b"data"),)
    reference = run(tmp_path, "chmod +x a", given)
    candidate = run(tmp_path, "chmod +x a; chmod a-x a", given)
    assert (reference.stdout, reference.stderr) == (candidate.stdout, candidate.stderr)
    assert reference.files == candidate.files
    assert differing_channels(reference, candidate, CompareSpec()) == ("files",)


def test_the_oracles_feedback_names_the_mode_each_side_left() -> None:
    ref, cand = outcome(a="mode 0755"), outcome()
    case = Case(argv=(b"+x", b"a"), files=((b"a", b""),))
    text = feedback(Divergence(case, ref, cand, ("files",), fingerprint(ref, cand, ("files",))), 0, "chmod")
    expected, got = text.split("Got:")
    assert 'file "a": mode 0755' in expected
    assert 'file "a": mode and time as the case gave or the run wrote it' in got


def test_feedback_on_a_timeout_names_the_time_limit() -> None:
    ref = outcome()
    cand = Outcome(Termination.TIMEOUT, None, None, b"", b"", ((b"a", b""),))
    div = Divergence(Case(argv=(b"a",)), ref, cand, ("exit",), fingerprint(ref, cand, ("exit",)))
    text = feedback(div, 0, "cat", Limits(timeout=7.5))
    assert "Got: timeout (still running after the 7.5 s time limit, so it was killed)" in text
    assert "Expected: exit:0" in text


def test_feedback_on_a_lost_run_says_what_happened_and_shows_no_files() -> None:
    """A candidate that stopped its sandbox's server was told "Got: worker-lost"
    and "no file 'sub dir'", as if it had deleted the case's files."""
    ref = outcome()
    cand = Outcome(Termination.WORKER_LOST, None, None, b"", b"", ())
    channels = ("exit", "files")
    div = Divergence(Case(argv=(b"a",), files=((b"a", b""),)), ref, cand, channels, fingerprint(ref, cand, channels))
    text = feedback(div, 0, "cat")
    assert "Got: worker-lost (it stopped or killed the process that runs it" in text
    assert "no file" not in text and text.count('file "a"') == 1  # the input's, no Expected or Got line


def test_in_a_hermetic_run_the_frozen_instant_is_within_the_run() -> None:
    """GNU touch lets the kernel date a file (the real time); a Python port reads
    the frozen clock: both dated it now, and agreed once this was seen."""
    frozen = 1_609_459_200.0
    files = ((b"a", b""),)
    kernel = attributes(files, {b"a": E("file", 0o644, DURING)}, files, WINDOW, frozen)
    clock = attributes(files, {b"a": E("file", 0o644, int(frozen) * NS)}, files, WINDOW, frozen)
    assert kernel == clock == ((b"a", "modified during the run"),)
    assert attributes(files, {b"a": E("file", 0o644, int(frozen) * NS)}, files, WINDOW) != clock  # not hermetic


def test_the_working_directory_is_755_and_its_own_mode_is_compared(tmp_path: Path) -> None:
    """`chmod -c 711 .` said "from 0700" in a plain run and "from 0755" in a
    sandboxed one, and a chmod that ignored `.` passed."""
    assert run(tmp_path, "stat -c %a .", ()).stdout == b"755\n"
    assert dict(run(tmp_path, "chmod 711 .", ()).attrs) == {b".": "mode 0711"}
    assert run(tmp_path, "true", ()).attrs == ()


@pytest.mark.skipif(shutil.which("touch") is None or shutil.which("find") is None, reason="needs touch and find")
def test_repro_scripts_compare_modes_times_to_the_nanosecond_and_the_directory_itself(tmp_path: Path) -> None:
    """Scripts compared whole seconds, read a future date as "during the run", and
    never looked at `.`: a wrong touch or chmod "agreed" in its own repro script."""
    import subprocess

    from fuzzdiff.core.spec import parse_task
    from fuzzdiff.store.artifacts import repro_script

    def agree(program: str, wrong: str, argv: tuple[bytes, ...]) -> tuple[int, int]:
        spec = parse_task({"name": program, "program": program})
        fake = tmp_path / f"wrong-{program}"
        fake.write_text(f"#!/bin/sh\n{wrong}\n")
        fake.chmod(0o755)
        case = Case(argv=argv, files=((b"a", b""),))
        real = Program((shutil.which(program) or program,), program)
        codes = []
        for candidate in (Program((str(fake),), program), real):
            script = repro_script(case, spec, real, candidate)
            ran = subprocess.run(["sh", "-c", script], capture_output=True, text=True, cwd=tmp_path)
            codes.append(ran.returncode)
        return codes[0], codes[1]

    assert agree("touch", 'exec touch -d "2020-06-01 00:00:00" a', (b"-d", b"2020-06-01 00:00:00.5", b"a")) == (1, 0)
    assert agree("touch", 'exec touch -d "2098-01-01" a', (b"-d", b"2099-01-01", b"a")) == (1, 0)
    assert agree("chmod", "exit 0", (b"711", b".")) == (1, 0)


def test_the_report_says_a_side_made_no_such_file_where_only_the_other_made_it() -> None:
    """A file only the candidate created was shown as "reference unchanged", which
    reads as if the reference had it."""
    ref = Outcome(Termination.EXITED, 0, None, b"", b"", ((b"a", b""),))
    cand = Outcome(Termination.EXITED, 0, None, b"", b"", ((b"a", b""), (b"extra", b"")))
    case = Case(files=((b"a", b""),))
    div = Divergence(case, ref, cand, ("files",), fingerprint(ref, cand, ("files",)))
    text = "\n".join(describe_divergence(div))
    assert '"extra": reference made no such file; candidate created ""' in text


def test_the_report_says_which_side_made_or_removed_a_directory() -> None:
    """`mkdir d` against a candidate that made nothing printed "files differ:" and
    no line under it: directories were left out of the report."""
    made = Outcome(Termination.EXITED, 0, None, b"", b"", ((b"d", None),))
    none = Outcome(Termination.EXITED, 0, None, b"", b"", ())
    div = Divergence(Case(argv=(b"d",)), made, none, ("files",), fingerprint(made, none, ("files",)))
    assert '"d": reference created directory; candidate made no such file' in "\n".join(describe_divergence(div))
    # a directory the case gave (it holds a file) that one side removed
    case = Case(argv=(b"-r", b"sub"), files=((b"sub/f", b"x"),))
    kept = Outcome(Termination.EXITED, 0, None, b"", b"", ((b"sub", None), (b"sub/f", b"x")))
    div = Divergence(case, none, kept, ("files",), fingerprint(none, kept, ("files",)))
    text = "\n".join(describe_divergence(div))
    assert '"sub": reference deleted; candidate unchanged' in text
    assert '"sub/f": reference deleted; candidate unchanged' in text
