"""Regression corpora: the on-disk format, strict loading, recording, replay, reduce, reports."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzdiff.api import open_runner, prepare
from fuzzdiff.core.compare import fingerprint
from fuzzdiff.core.errors import CaseFileError, UserError
from fuzzdiff.core.generate import generate_cases
from fuzzdiff.core.model import Case, Fingerprint, Outcome, Program, Termination
from fuzzdiff.core.spec import TaskSpec, load_task, parse_task
from fuzzdiff.run.execute import FunctionExecutor, LocalExecutor
from fuzzdiff.run.program import candidate_program, reference_program
from fuzzdiff.run.pyfork import PythonForkLauncher
from fuzzdiff.store.corpus import (
    CASES_DIR,
    MANIFEST,
    CorpusWriter,
    LoadError,
    StoredCase,
    behaviour,
    load_corpus,
    reduce,
    reference_changed,
    reference_fingerprint,
    stats,
)
from fuzzdiff.store.replay import (
    StoredOutcomes,
    _shared_executor,
    check_case,
    corpus_params,
    junit_names,
    junit_xml,
    record,
    refresh,
    replay,
    replay_executor,
    replay_json,
    replay_on,
    replay_text,
)

from .helpers import CAND, REF, SIMPLE_TASK, cases, echo_program, exited, outcomes

SPEC = parse_task(SIMPLE_TASK, "<test>")
FAKE_FP = {"path": "/fake/ref", "version": "prog 1.0", "sha256": "ab" * 32}
SAMPLE = [
    Case(),
    Case(argv=(b"-a",)),
    Case(argv=(b"hello",), stdin=b"in"),
    Case(argv=(b"-x",)),
    Case(argv=(b"--number=7", b"f"), files=((b"f", b"data"),)),
    Case(argv=(b"-x", b"--", b"-a"), stdin=b"\xff\x00"),
]


# Module-level programs, so a worker process can unpickle them (jobs > 1).
def typo_stdout(case: Case) -> Outcome:
    """Like echo_program, but drops the stdin separator when stdin is non-empty."""
    out = echo_program(case)
    if case.stdin and out.exit_code == 0:
        return exited(0, stdout=out.stdout.replace(b"|", b""), files=out.files)
    return out


def wrong_exit(case: Case) -> Outcome:
    """Like echo_program, but exits 2 with another message on -x."""
    if b"-x" in case.argv:
        return exited(2, stderr=b"prog: bad option\n")
    return echo_program(case)


def crashes(case: Case) -> Outcome:
    if case.argv == (b"-a",):
        raise RuntimeError("cannot start")
    return echo_program(case)


def executor(
    ref: Callable[[Case], Outcome] = echo_program, cand: Callable[[Case], Outcome] = echo_program
) -> FunctionExecutor:
    return FunctionExecutor({REF.argv[0]: ref, CAND.argv[0]: cand})


def writer(path: Path, spec: TaskSpec = SPEC, fp: dict[str, str] | None = None) -> CorpusWriter:
    return CorpusWriter(path, spec, REF, fingerprint=fp or FAKE_FP)


def recorded(path: Path, sample: list[Case] = SAMPLE) -> Path:
    result = record(writer(path), executor(), sample)
    assert len(result.added) == len({c.key() for c in sample}) and not result.errors
    return path


# -- format: write then read --------------------------------------------------

entries = st.lists(
    st.tuples(cases, outcomes, st.sampled_from(["behaviour", "divergence"])), max_size=5, unique_by=lambda t: t[0].key()
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries)
def test_write_then_read_is_the_identity(items: list[tuple[Case, Outcome, str]]) -> None:
    with tempfile.TemporaryDirectory() as d:
        w = writer(Path(d) / "c")
        expected = []
        for case, outcome, kind in items:
            fp = Fingerprint(("stdout",), outcome.exit_class(), "exit:1") if kind == "divergence" else None
            w.add(case, outcome, kind, fp)
            expected.append(StoredCase(case.key(), case, outcome, kind, fp))
        corpus = load_corpus(Path(d) / "c")
    assert corpus.errors == ()
    assert corpus.cases == tuple(sorted(expected, key=lambda s: s.key))
    assert corpus.manifest.task == "echo" and corpus.manifest.reference == FAKE_FP


def test_files_are_named_by_content_and_documented_fields(tmp_path: Path) -> None:
    corpus = load_corpus(recorded(tmp_path / "c"))
    manifest = json.loads((tmp_path / "c" / MANIFEST).read_text())
    assert manifest["format"] == "fuzzdiff-corpus" and manifest["version"] == 1
    assert manifest["task"] == "echo" and manifest["reference"] == FAKE_FP
    names = sorted(p.name for p in (tmp_path / "c" / CASES_DIR).iterdir())
    assert names == sorted(f"{c.key()}.json" for c in SAMPLE)
    doc = json.loads((tmp_path / "c" / CASES_DIR / names[0]).read_text())
    assert {"format", "version", "key", "kind", "fingerprint", "case", "expected"} <= set(doc)
    assert len(corpus.cases) == len(SAMPLE)


def test_add_is_idempotent_and_a_divergence_stays_one(tmp_path: Path) -> None:
    w = writer(tmp_path / "c")
    case, out = Case(argv=(b"a",)), exited(0, stdout=b"a|")
    path = w.add(case, out)
    before = path.stat().st_mtime_ns
    assert w.add(case, Outcome(out.termination, 0, None, b"a|", b"", cpu_seconds=3.0)) == path
    assert path.stat().st_mtime_ns == before  # resource figures are not stored: nothing to rewrite
    fp = Fingerprint(("stdout",), "exit:0", "exit:0")
    w.add(case, out, "divergence", fp)
    w.add(case, out)  # recorded again as a plain behaviour
    (stored,) = load_corpus(tmp_path / "c").cases
    assert (stored.kind, stored.fingerprint) == ("divergence", fp)
    with pytest.raises(ValueError, match="fingerprint"):
        w.add(case, out, "divergence")


def _add_range(path: str, start: int, stop: int, barrier: threading.Barrier | None = None) -> None:
    if barrier is not None:
        barrier.wait()
    w = CorpusWriter(path, SPEC, REF, fingerprint=FAKE_FP)
    for i in range(start, stop):
        case = Case(argv=(str(i).encode(),))
        w.add(case, echo_program(case))


def test_concurrent_writer_threads_lose_nothing(tmp_path: Path) -> None:
    barrier = threading.Barrier(8)
    threads = [
        threading.Thread(target=_add_range, args=(str(tmp_path / "c"), 10 * k, 10 * k + 30, barrier)) for k in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    corpus = load_corpus(tmp_path / "c")
    assert corpus.errors == ()
    assert {s.case.argv[0] for s in corpus.cases} == {str(i).encode() for i in range(100)}
    assert sorted(os.listdir(tmp_path / "c")) == sorted([MANIFEST, CASES_DIR])  # no temporary files left


def test_concurrent_writer_processes_lose_nothing(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("forkserver")
    for round_ in range(3):
        path = str(tmp_path / f"c{round_}")
        barrier = ctx.Barrier(2)
        procs = [ctx.Process(target=_add_range, args=(path, a, b, barrier)) for a, b in ((0, 60), (30, 90))]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=60)
            assert p.exitcode == 0
        corpus = load_corpus(path)
        assert corpus.errors == ()
        assert len(corpus.cases) == 90


# -- strict loading -------------------------------------------------------------


def test_corrupt_case_files_are_reported_by_name_and_counted(tmp_path: Path) -> None:
    root = recorded(tmp_path / "c")
    cdir = root / CASES_DIR
    victim = sorted(cdir.iterdir())[0]
    victim.write_text('{"format": "fuzzdiff-corpus-case", "vers')
    other = sorted(cdir.iterdir())[1]
    doc = json.loads(other.read_text())
    doc["case"]["argv"] = [{"base64": "!!"}]
    other.write_text(json.dumps(doc))
    (cdir / "notes.txt").write_text("hi")
    (cdir / f".{victim.name}.tmp123").write_text("a writer's temporary file")
    corpus = load_corpus(root)
    assert len(corpus.cases) == len(SAMPLE) - 2
    assert sorted(e.file for e in corpus.errors) == sorted([victim.name, other.name, "notes.txt"])
    assert all(e.message for e in corpus.errors)
    result = replay(corpus, SPEC, executor(), CAND)
    assert (result.cases, result.passed, result.errors) == (len(SAMPLE) + 1, len(SAMPLE) - 2, 3)


def test_a_renamed_or_edited_case_file_is_an_error(tmp_path: Path) -> None:
    root = recorded(tmp_path / "c")
    path = root / CASES_DIR / f"{SAMPLE[0].key()}.json"
    path.rename(root / CASES_DIR / f"{'0' * 32}.json")
    (error,) = load_corpus(root).errors
    assert error.file == f"{'0' * 32}.json" and "content hash" in error.message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
case_like = st.fixed_dictionaries(
    {"format": st.just("fuzzdiff-corpus-case"), "version": st.just(1), "kind": st.sampled_from(["behaviour", "x"])},
    optional={"case": json_values, "expected": json_values, "fingerprint": json_values, "key": json_values},
)


@settings(max_examples=150, deadline=None)
@given(st.one_of(json_values, case_like))
def test_loading_garbage_never_raises(doc: object) -> None:
    with tempfile.TemporaryDirectory() as d:
        root = writer(Path(d) / "c").path
        (root / CASES_DIR / "deadbeef.json").write_text(json.dumps(doc))
        corpus = load_corpus(root)
    assert corpus.cases == () and [e.file for e in corpus.errors] == ["deadbeef.json"]


def test_unknown_manifest_version_is_refused_naming_file_and_version(tmp_path: Path) -> None:
    root = recorded(tmp_path / "c")
    mpath = root / MANIFEST
    doc = json.loads(mpath.read_text())
    doc["version"] = 7
    mpath.write_text(json.dumps(doc))
    with pytest.raises(CaseFileError, match=r"manifest\.json.*version 7") as info:
        load_corpus(root)
    assert isinstance(info.value, UserError)
    with pytest.raises(CaseFileError, match="version 7"):
        writer(root)


def test_missing_or_foreign_corpus_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CaseFileError, match=str(tmp_path / "nope")):
        load_corpus(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CaseFileError, match=r"no manifest\.json"):
        load_corpus(tmp_path / "empty")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / MANIFEST).write_text("{")
    with pytest.raises(CaseFileError, match="not readable JSON"):
        load_corpus(tmp_path / "bad")


def test_writer_refuses_a_corpus_of_another_task_or_reference(tmp_path: Path) -> None:
    recorded(tmp_path / "c")
    other = parse_task({**SIMPLE_TASK, "name": "other"}, "<test>")
    with pytest.raises(CaseFileError, match="task 'echo'"):
        writer(tmp_path / "c", other)
    with pytest.raises(CaseFileError, match="another reference"):
        writer(tmp_path / "c", fp={**FAKE_FP, "sha256": "cd" * 32})
    writer(tmp_path / "c", fp={**FAKE_FP, "path": "/elsewhere"})  # a move alone is fine
    with pytest.raises(CaseFileError, match="recorded for task 'echo'"):
        replay(load_corpus(tmp_path / "c"), other, executor(), CAND)


def test_reference_changed_compares_hash_then_version() -> None:
    assert reference_changed(FAKE_FP, FAKE_FP) is False
    assert reference_changed(FAKE_FP, {**FAKE_FP, "sha256": "00"}) is True
    assert reference_changed({"version": "a"}, {"version": "b", "sha256": "x"}) is True
    assert reference_changed({"sha256": ""}, {}) is None


# -- replay ---------------------------------------------------------------------


def test_replay_passes_an_equivalent_candidate(tmp_path: Path) -> None:
    result = replay(load_corpus(recorded(tmp_path / "c")), SPEC, executor(), CAND)
    assert (result.cases, result.passed, result.failed, result.errors) == (len(SAMPLE), len(SAMPLE), 0, 0)
    assert result.ok and result.reference_changed is None and result.reference_mismatches == ()


def test_replay_fails_a_buggy_candidate_on_the_right_channels(tmp_path: Path) -> None:
    corpus = load_corpus(recorded(tmp_path / "c"))
    result = replay(corpus, SPEC, executor(cand=typo_stdout), CAND)
    assert {f.key for f in result.failures} == {c.key() for c in SAMPLE if c.stdin and b"-x" not in c.argv}
    assert all(f.divergence is not None and f.divergence.channels == ("stdout",) for f in result.failures)
    result = replay(corpus, SPEC, executor(cand=wrong_exit), CAND)
    assert result.failed == 2
    (fp,) = {f.divergence.fingerprint for f in result.failures if f.divergence}
    assert fp == Fingerprint(("exit", "stderr"), "exit:1", "exit:2")


def test_an_exception_running_a_case_is_that_case_s_error(tmp_path: Path) -> None:
    result = replay(load_corpus(recorded(tmp_path / "c")), SPEC, executor(cand=crashes), CAND)
    (err,) = [r for r in result.results if r.status == "error"]
    assert err.key == SAMPLE[1].key() and "RuntimeError: cannot start" in err.error
    assert (result.passed, result.errors) == (len(SAMPLE) - 1, 1)


def test_parallel_replay_gives_the_serial_result(tmp_path: Path) -> None:
    corpus = load_corpus(recorded(tmp_path / "c"))
    serial = replay(corpus, SPEC, executor(cand=typo_stdout), CAND)
    parallel = replay(corpus, SPEC, executor(cand=typo_stdout), CAND, jobs=2)
    assert parallel.results == serial.results


def test_rerun_reference_reports_cases_where_the_reference_changed(tmp_path: Path) -> None:
    corpus = load_corpus(recorded(tmp_path / "c"))
    same = replay(corpus, SPEC, executor(), CAND, REF, rerun_reference=True)
    assert same.reference_rerun and all(r.reference_matches for r in same.results)
    changed = replay(corpus, SPEC, executor(ref=wrong_exit), CAND, REF, rerun_reference=True)
    assert changed.ok  # the candidate still matches what was recorded
    assert {r.key for r in changed.reference_mismatches} == {c.key() for c in SAMPLE if b"-x" in c.argv}
    doc = replay_json(changed)
    assert {m["key"] for m in doc["reference_mismatches"]} == {r.key for r in changed.reference_mismatches}
    assert replay_json(same)["reference_mismatches"] == []
    with pytest.raises(ValueError, match="reference"):
        replay(corpus, SPEC, executor(), CAND, rerun_reference=True)


def test_replay_flags_a_reference_binary_that_changed(tmp_path: Path) -> None:
    script = tmp_path / "ref.sh"
    script.write_text('#!/bin/sh\nif [ "$1" = --version ]; then echo "ref 1.0"; fi\n')
    script.chmod(0o755)
    ref = Program(argv=(str(script),), argv0="prog")
    fp = reference_fingerprint(ref)
    assert fp["version"] == "ref 1.0" and len(fp["sha256"]) == 64 and fp["path"] == str(script.resolve())
    w = CorpusWriter(tmp_path / "c", SPEC, ref)
    w.add(Case(), exited(0))
    fx = FunctionExecutor({str(script): echo_program, CAND.argv[0]: echo_program})
    assert replay(load_corpus(tmp_path / "c"), SPEC, fx, CAND, ref).reference_changed is False
    script.write_text('#!/bin/sh\nif [ "$1" = --version ]; then echo "ref 1.1"; fi\n')
    assert replay(load_corpus(tmp_path / "c"), SPEC, fx, CAND, ref).reference_changed is True


# -- reports --------------------------------------------------------------------


def test_replay_json_has_the_documented_fields(tmp_path: Path) -> None:
    result = replay(load_corpus(recorded(tmp_path / "c")), SPEC, executor(cand=wrong_exit), CAND)
    doc = json.loads(json.dumps(replay_json(result)))
    assert (doc["cases"], doc["passed"], doc["failed"], doc["errors"]) == (len(SAMPLE), len(SAMPLE) - 2, 2, 0)
    assert doc["reference_changed"] is None and doc["ok"] is False
    failure = doc["failures"][0]
    assert failure["channels"] == ["exit", "stderr"] and failure["fingerprint"]["candidate_exit"] == "exit:2"
    assert {"key", "argv", "stdin", "files", "env", "reference", "candidate"} <= set(failure)


def test_junit_xml_parses_and_counts(tmp_path: Path) -> None:
    root = recorded(tmp_path / "c")
    (root / CASES_DIR / "broken.json").write_text("not json")
    result = replay(load_corpus(root), SPEC, executor(cand=typo_stdout), CAND)
    tree = ET.fromstring(junit_xml(result, "echo"))
    suite = tree.find("testsuite")
    assert suite is not None
    assert suite.get("tests") == str(len(SAMPLE) + 1)
    assert suite.get("failures") == str(result.failed) and result.failed > 0
    assert suite.get("errors") == "1"
    testcases = suite.findall("testcase")
    names = {"echo", "echo -a", "echo hello", "echo -x", "echo --number=7 f", "echo -x -- -a", "broken.json"}
    assert {tc.get("name") for tc in testcases} == names  # each case's command line (all distinct here)
    failures = suite.findall("testcase/failure")
    assert len(failures) == result.failed
    text = failures[0].text or ""
    assert "stdout differs" in text and "command:" in text


# -- reduce and stats -------------------------------------------------------------


def test_reduce_keeps_the_smallest_case_per_behaviour_and_every_divergence(tmp_path: Path) -> None:
    w = writer(tmp_path / "c")
    small, big = Case(argv=(b"a",)), Case(argv=(b"bbbbbb",))
    err1, err2 = Case(argv=(b"-x", b"1")), Case(argv=(b"-x", b"22"))
    for c in (small, big, err1, err2):
        w.add(c, exited(0, stdout=b"x") if b"-x" not in c.argv else exited(1, stderr=b"prog: '" + c.argv[1] + b"'\n"))
    div = Case(argv=(b"zzzzzzzzzz",))
    w.add(div, exited(0, stdout=b"x"), "divergence", Fingerprint(("stdout",), "exit:0", "exit:0"))
    result = reduce(load_corpus(tmp_path / "c"))
    assert (result.before, result.after) == (5, 3)
    assert {s.case for s in result.kept} == {small, err1, div}
    assert {s.case for s in load_corpus(tmp_path / "c").cases} == {small, err1, div}
    assert reduce(load_corpus(tmp_path / "c")).removed == ()


def test_reduce_spares_a_case_a_writer_made_a_divergence_after_it_was_loaded(tmp_path: Path) -> None:
    """`corpus record` (which reduces) beside `fuzz --corpus` on the same corpus: the
    reduce worked from the cases it had loaded and deleted a divergence just recorded."""
    w = writer(tmp_path / "c")
    small, big = Case(argv=(b"a",)), Case(argv=(b"bbbbbb",))
    for c in (small, big):
        w.add(c, exited(0, stdout=b"x"))
    snapshot = load_corpus(tmp_path / "c")
    assert [s.case for s in reduce(snapshot, dry_run=True).removed] == [big]
    w.add(big, exited(0, stdout=b"x"), "divergence", Fingerprint(("stdout",), "exit:0", "exit:0"))
    result = reduce(snapshot)
    assert result.removed == () and big in {s.case for s in result.kept}
    assert {(s.case, s.kind) for s in load_corpus(tmp_path / "c").cases} == {(small, "behaviour"), (big, "divergence")}


def test_a_case_kept_for_coverage_stays_one(tmp_path: Path) -> None:
    w = writer(tmp_path / "c")
    small, covering = Case(argv=(b"a",)), Case(argv=(b"-long", b"way"))
    w.add(small, exited(0, stdout=b"x"))
    w.add(covering, exited(0, stdout=b"y"), "coverage")  # same behaviour, bigger: kept anyway
    w.add(covering, exited(0, stdout=b"y"))  # recorded again as a plain behaviour
    (stored,) = [s for s in load_corpus(tmp_path / "c").cases if s.case == covering]
    assert stored.kind == "coverage"
    assert {s.case for s in reduce(load_corpus(tmp_path / "c")).kept} == {small, covering}


kinds = st.sampled_from(["behaviour", "divergence", "coverage"])


@st.composite
def overlapping_entries(draw: st.DrawFn) -> list[tuple[Case, Outcome, str]]:
    """2 to 12 entries whose outcomes come from a pool of one or two, so that
    behaviours repeat and reduce has cases to remove (with independent outcomes
    two cases almost never share a behaviour)."""
    pool = draw(st.lists(outcomes, min_size=1, max_size=2))
    entry = st.tuples(cases, st.sampled_from(pool), kinds)
    return draw(st.lists(entry, min_size=2, max_size=12, unique_by=lambda t: t[0].key()))


@settings(max_examples=40, deadline=None)
@given(overlapping_entries())
def test_reduce_never_removes_a_divergence_or_coverage_case_or_loses_a_behaviour(
    items: list[tuple[Case, Outcome, str]],
) -> None:
    with tempfile.TemporaryDirectory() as d:
        w = writer(Path(d) / "c")
        for case, out, kind in items:
            w.add(case, out, kind, fingerprint(out, out, ("stdout",)) if kind == "divergence" else None)
        before = load_corpus(Path(d) / "c")
        result = reduce(before)
        after = load_corpus(Path(d) / "c")
    assert after.cases == result.kept
    assert {s for s in before.cases if s.kind in ("divergence", "coverage")} <= set(after.cases)
    assert {behaviour(s) for s in after.cases} == {behaviour(s) for s in before.cases}
    plain = [s for s in after.cases if s.kind == "behaviour"]
    assert len(plain) == len({behaviour(s) for s in plain})
    for removed in result.removed:
        (twin,) = [s for s in plain if behaviour(s) == behaviour(removed)]
        assert (twin.case.size(), twin.key) < (removed.case.size(), removed.key)


def test_behaviour_masks_numbers_and_quoted_names() -> None:
    def stored(err: bytes) -> StoredCase:
        return StoredCase("k", Case(), exited(1, stderr=err))

    assert behaviour(stored(b"prog: 'a': No such file\n")) == behaviour(stored(b"prog: 'bbb': No such file\nmore"))
    assert behaviour(stored(b"prog: invalid wrap size: 12\n")) == behaviour(stored(b"prog: invalid wrap size: 7\n"))
    assert behaviour(stored(b"prog: extra operand 'x'\n")) != behaviour(stored(b"prog: 'x': No such file\n"))


def test_stats_counts(tmp_path: Path) -> None:
    s = stats(load_corpus(recorded(tmp_path / "c")))
    assert s["cases"] == len(SAMPLE) and s["errors"] == 0
    assert s["exit_classes"] == {"exit:0": 4, "exit:1": 2}
    assert s["options"] == {"-a": 1, "-x": 2, "--number": 1, "--": 1}
    assert s["kinds"] == {"behaviour": len(SAMPLE)}
    assert s["behaviours"] == len({behaviour(c) for c in load_corpus(tmp_path / "c").cases})
    assert s["sizes"]["total"] == sum(c.size() for c in SAMPLE) and s["sizes"]["min"] == 0


# -- pytest integration -------------------------------------------------------------


def test_corpus_params_give_one_test_per_case_named_by_command_line(tmp_path: Path) -> None:
    root = recorded(tmp_path / "c")
    (root / CASES_DIR / "broken.json").write_text("{")
    params = corpus_params(root)
    assert [p.id for p in params] == [*junit_names(load_corpus(root).cases, "prog"), "broken.json"]
    assert [p.values[0].key for p in params[:-1]] == sorted(c.key() for c in SAMPLE)
    stored = [p.values[0] for p in params]
    for s in stored[:-1]:
        check_case(s, CAND, SPEC, executor=executor())
    with pytest.raises(AssertionError, match=r"broken\.json"):
        check_case(stored[-1], CAND, SPEC, executor=executor())
    bad = next(s for s in stored if isinstance(s, StoredCase) and b"-x" in s.case.argv)
    with pytest.raises(AssertionError, match=r"(?s)^echo -x .*exit differs: reference exit:1, candidate exit:2"):
        check_case(bad, CAND, SPEC, executor=executor(cand=wrong_exit))
    assert not isinstance(stored[-1], StoredCase) and isinstance(stored[-1], LoadError)


# -- with the real base64 -------------------------------------------------------------


@pytest.fixture(scope="module")
def base64_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[TaskSpec, Path]:
    spec = load_task("base64")
    root = tmp_path_factory.mktemp("corpora") / "base64"
    w = CorpusWriter(root, spec, reference_program(spec))
    result = record(w, LocalExecutor(dict(spec.env), spec.limits), list(generate_cases(spec, 11, 40)), jobs=2)
    assert result.added and not result.errors
    return spec, root


def _wrapper(tmp_path: Path, body: str) -> Program:
    script = tmp_path / "cand.sh"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return candidate_program(str(script), load_task("base64"))


def test_base64_corpus_replays_with_real_processes(base64_corpus: tuple[TaskSpec, Path], tmp_path: Path) -> None:
    spec, root = base64_corpus
    corpus = load_corpus(root)
    assert corpus.manifest.reference["version"] == spec.version and corpus.errors == ()
    ref = reference_program(spec)
    local = LocalExecutor(dict(spec.env), spec.limits)
    good = replay(corpus, spec, local, _wrapper(tmp_path, 'exec base64 "$@"'), ref, rerun_reference=True, jobs=2)
    assert good.ok and good.passed == len(corpus.cases)
    assert good.reference_changed is False and good.reference_mismatches == ()
    buggy = replay(corpus, spec, local, _wrapper(tmp_path, 'base64 "$@"; echo "rc=$?" >&2; exit 0'), jobs=2)
    assert buggy.failed == len(corpus.cases) and all(
        f.divergence is not None and "stderr" in f.divergence.channels for f in buggy.failures
    )
    tree = ET.fromstring(junit_xml(buggy, spec.name))
    assert tree.find("testsuite").get("failures") == str(len(corpus.cases))  # type: ignore[union-attr]


def test_base64_corpus_as_pytest_params(base64_corpus: tuple[TaskSpec, Path], tmp_path: Path) -> None:
    _, root = base64_corpus
    cand = str(_wrapper(tmp_path, 'exec base64 "$@"').argv[0])
    for param in corpus_params(root)[:5]:
        check_case(param.values[0], cand, "base64")
    reduced = reduce(load_corpus(root), dry_run=True)
    assert reduced.after <= reduced.before and len(load_corpus(root).cases) == reduced.before


#: An independent Python port of base64.
PORT = Path(__file__).resolve().parent.parent / "examples" / "base64" / "good.py"


def _python_port() -> Program:
    return candidate_program(f"{sys.executable} {PORT}", load_task("base64"))


def test_replay_executor_runs_a_python_port_in_a_fork_server_with_the_fresh_result(
    base64_corpus: tuple[TaskSpec, Path],
) -> None:
    spec, root = base64_corpus
    corpus = load_corpus(root)
    port = _python_port()
    fresh = replay(corpus, spec, LocalExecutor(dict(spec.env), spec.limits), port)
    forking = replay_executor(spec)
    forked = replay(corpus, spec, forking, port)
    assert isinstance(forking.launcher, PythonForkLauncher)
    assert forking.launcher.forked == len(corpus.cases)  # every run: none fell back to a fresh interpreter
    assert [r.status for r in forked.results] == [r.status for r in fresh.results] == ["passed"] * len(corpus.cases)


def test_check_case_shares_one_fork_server_across_calls(base64_corpus: tuple[TaskSpec, Path]) -> None:
    spec, root = base64_corpus
    port = _python_port()
    stored = load_corpus(root).cases[:3]
    for each in stored:
        check_case(each, port, "base64")
    launcher = _shared_executor(spec.env, spec.limits).launcher
    assert isinstance(launcher, PythonForkLauncher)
    assert port in launcher.servers()  # the server started by the first call served the rest
    assert launcher.forked >= len(stored)


def test_replay_on_a_campaign_runner_runs_only_the_candidate(base64_corpus: tuple[TaskSpec, Path]) -> None:
    spec, root = base64_corpus
    corpus = load_corpus(root)
    setup = prepare("base64", f"{sys.executable} {PORT}")
    expected = replay(corpus, spec, replay_executor(spec), setup.candidate)
    with open_runner(setup, 1, reference_cache=StoredOutcomes(corpus)) as runner:
        got = replay_on(corpus, spec, runner, setup.candidate, setup.reference)
        assert runner.reference_executions == 0 and runner.candidate_executions == len(corpus.cases)
        rerun = replay_on(corpus, spec, runner, setup.candidate, setup.reference, rerun_reference=True)
        assert runner.reference_executions == len(corpus.cases)
    assert [r.status for r in got.results] == [r.status for r in expected.results] == ["passed"] * len(corpus.cases)
    assert not got.reference_rerun and rerun.reference_rerun and rerun.reference_mismatches == ()


def killed_on_x(signum: int) -> Callable[[Case], Outcome]:
    def program(case: Case) -> Outcome:
        if b"-x" in case.argv:
            return no_answer(signum)
        return echo_program(case)

    return program


def no_answer(signum: int) -> Outcome:
    """Killed by ``signum``; 0: run past its time."""
    if signum == 0:
        return Outcome(Termination.TIMEOUT, None, None, b"", b"")
    return Outcome(Termination.SIGNALLED, None, signum, b"", b"")


#: A memory fault (SIGSEGV), a file past the run's size limit (SIGXFSZ: GNU
#: truncate at 17M, where a Python port that ignores the signal says "File too
#: large"), and a run past its time (0: tr's corpus held one, and every honest
#: replay of it failed).
NO_ANSWER = pytest.mark.parametrize("signum", [int(signal.SIGSEGV), int(signal.SIGXFSZ), 0])


@NO_ANSWER
def test_cases_the_reference_faults_on_are_not_recorded(tmp_path: Path, signum: int) -> None:
    """A memory fault, a run limit passed or a timeout is no behaviour a replayed candidate can be held to."""
    result = record(writer(tmp_path / "c"), executor(ref=killed_on_x(signum)), SAMPLE)
    faulted = {c.key() for c in SAMPLE if b"-x" in c.argv}
    assert set(result.faulted) == faulted and len(faulted) == 2
    assert set(result.added) == {c.key() for c in SAMPLE} - faulted
    assert {s.key for s in load_corpus(tmp_path / "c").cases} == set(result.added)


@NO_ANSWER
def test_a_stored_memory_fault_is_set_aside_in_replay_not_failed(tmp_path: Path, signum: int) -> None:
    """Corpora recorded before faults were left out may hold one: the candidate is not held to it."""
    w = writer(tmp_path / "c")
    w.add(Case(argv=(b"-x",)), no_answer(signum))
    w.add(Case(argv=(b"-a",)), echo_program(Case(argv=(b"-a",))))
    result = replay(load_corpus(tmp_path / "c"), SPEC, executor(), CAND)
    assert (result.passed, result.failed, result.set_aside, result.ok) == (1, 0, 1, True)
    assert "set aside: 1 cases" in replay_text(result, "prog") and replay_json(result)["set_aside"] == 1
    assert 'skipped="1"' in junit_xml(result)


@pytest.mark.parametrize(
    "files", [{"a/../../escape": "x"}, {"sub": "z", "sub/x": "y"}, {".": "x"}, {"": "x"}, {"/abs": "x"}]
)
def test_a_case_whose_file_names_cannot_be_written_is_a_malformed_case_not_the_end(
    tmp_path: Path, files: dict[str, str]
) -> None:
    """Replay stopped at such a case (exit 2, or an internal error for `sub` beside
    `sub/x`) instead of reporting it and replaying the others."""
    root = recorded(tmp_path / "c")
    victim = sorted((root / CASES_DIR).iterdir())[0]
    doc = json.loads(victim.read_text())
    doc["case"]["files"] = files
    argv = tuple(a.encode() for a in doc["case"]["argv"])
    bad = Case(
        argv=argv, stdin=doc["case"]["stdin"].encode(), files=tuple((k.encode(), v.encode()) for k, v in files.items())
    )
    victim.unlink()
    doc["key"] = bad.key()
    named = root / CASES_DIR / f"{bad.key()}.json"  # a name that matches its content: only the files are wrong
    named.write_text(json.dumps(doc))
    corpus = load_corpus(root)
    (error,) = corpus.errors
    assert error.file == named.name and ("must be a relative path" in error.message or "is under" in error.message)
    result = replay(corpus, SPEC, executor(), CAND)
    assert (result.passed, result.errors) == (len(SAMPLE) - 1, 1)


def test_replay_normalises_the_stored_outcome_by_the_tasks_rules_of_today() -> None:
    """A stored outcome was normalised when it was recorded; a task that later gains a
    rule (OpenSSL's `bss_file.c:297:` source lines, which a rebuild moves) failed
    every stored case it touched, because only the fresh run was normalised."""
    from fuzzdiff.store.corpus import StoredCase
    from fuzzdiff.store.replay import judge_run

    spec = parse_task(
        {
            "name": "t",
            "program": "true",
            "compare": {"replace": [{"channel": "stderr", "pattern": "\\.c:[0-9]+:", "replacement": ".c:N:"}]},
        }
    )
    case = Case(argv=(b"x",))
    stored = StoredCase(case.key(), case, exited(1, stderr=b"err:bss_file.c:297:\n"))
    cand = Program(argv=("/bin/true",), argv0="t")
    assert judge_run(stored, spec, "t", cand, exited(1, stderr=b"err:bss_file.c:308:\n")).status == "passed"
    assert judge_run(stored, spec, "t", cand, exited(1, stderr=b"err:digest.c:308:\n")).status == "failed"


def test_replay_accepts_a_stored_outcome_a_rule_of_the_tasks_would_change_again() -> None:
    """Normalising the stored outcome again broke a task whose own rule is not
    idempotent (`0x[0-9a-fA-F]+` to `0xADDR` makes `0xADDRR` of `0xADDR`): the
    reference itself failed its corpus."""
    from fuzzdiff.store.corpus import StoredCase
    from fuzzdiff.store.replay import judge_run

    spec = parse_task(
        {
            "name": "t",
            "program": "true",
            "compare": {"replace": [{"channel": "stdout", "pattern": "0x[0-9a-fA-F]+", "replacement": "0xADDR"}]},
        }
    )
    case = Case(argv=(b"x",))
    stored = StoredCase(case.key(), case, exited(0, stdout=b"at 0xADDR\n"))  # recorded from "at 0x1f"
    cand = Program(argv=("/bin/true",), argv0="t")
    assert judge_run(stored, spec, "t", cand, exited(0, stdout=b"at 0x2e\n")).status == "passed"
    assert judge_run(stored, spec, "t", cand, exited(0, stdout=b"at 0y2e\n")).status == "failed"


# -- refresh: a corpus recorded before fuzzdiff observed more -------------------


def with_modes(case: Case) -> Outcome:
    """echo_program, whose file "f" is left mode 0755 (a corpus recorded before
    outcomes had attributes holds none)."""
    out = echo_program(case)
    attrs = ((b"f", "mode 0755"),) if any(n == b"f" for n, _ in case.files) else ()
    return dataclasses.replace(out, attrs=attrs)


_flips: dict[bytes, int] = {}


def varies_on_a(case: Case) -> Outcome:
    """with_modes, but its stdout differs from run to run on -a."""
    out = with_modes(case)
    if case.argv == (b"-a",):
        _flips[b"-a"] = _flips.get(b"-a", 0) + 1
        return dataclasses.replace(out, stdout=b"%d" % _flips[b"-a"])
    return out


def test_refresh_stores_what_the_reference_does_now_and_leaves_what_varies(tmp_path: Path) -> None:
    root = recorded(tmp_path / "c")
    before = load_corpus(root)
    with_f = next(c for c in SAMPLE if c.files)
    assert replay(before, SPEC, executor(cand=with_modes), CAND).failed == 1  # the stale corpus fails an honest one

    dry = refresh(writer(root), executor(ref=varies_on_a), before, dry_run=True)
    assert dry.updated == (with_f.key(),) and dry.unstable == (Case(argv=(b"-a",)).key(),) and not dry.errors
    assert load_corpus(root) == before  # a dry run writes nothing

    done = refresh(writer(root), executor(ref=varies_on_a), before)
    assert done.updated == dry.updated and done.cases == len(SAMPLE)
    after = load_corpus(root)
    assert next(s for s in after.cases if s.key == with_f.key()).expected.attrs == ((b"f", "mode 0755"),)
    assert replay(after, SPEC, executor(cand=with_modes), CAND).ok
    assert refresh(writer(root), executor(ref=with_modes), after).updated == ()  # nothing left to do
