"""Running programs on a corpus: record the reference's outcomes, replay a candidate, report.

``record`` runs the reference on cases and stores them with a ``CorpusWriter``.
``replay`` runs a candidate on every stored case and compares its normalised
outcome with the stored expected one, exactly as a campaign compares the two
sides; the reference does not run unless asked to (``rerun_reference``), which
also tells, case by case, whether the installed reference still behaves as
recorded. ``replay_json`` and ``junit_xml`` report a ``ReplayResult``;
``corpus_params`` and ``check_case`` make a corpus a parametrised pytest test.

``replay`` runs programs through any ``Executor``; ``replay_executor`` (the one
``check_case`` uses) runs a Python candidate in fork-server children, as a
campaign runs it. With ``jobs > 1`` cases run on a pool of worker processes
(forkserver), each with a copy of the executor; results come back in corpus
order, so parallelism never changes a result. An exception running a case is
that case's error, never the whole replay's. ``replay_on`` (what ``fuzzdiff
replay`` uses) runs the candidate on a campaign's runner instead: its workers,
fork-servers and, when asked, its sandbox, with the stored outcomes standing in
for the reference's (``StoredOutcomes``).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import re
import shlex
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fuzzdiff.core.codec import encode_divergence, encode_fingerprint, encode_outcome
from fuzzdiff.core.compare import compare, differing_channels, normalise, shown_as
from fuzzdiff.core.errors import CaseFileError
from fuzzdiff.core.model import Case, Divergence, Outcome, Program
from fuzzdiff.core.report import describe_case, describe_divergence, shell_argv
from fuzzdiff.core.spec import Limits, TaskSpec, load_task
from fuzzdiff.run.execute import Executor, LocalExecutor, apply_limits
from fuzzdiff.run.landlock import shed_capabilities
from fuzzdiff.run.program import candidate_program, program_name
from fuzzdiff.run.pyfork import PythonForkLauncher
from fuzzdiff.run.runner import PairRunner
from fuzzdiff.store.corpus import (
    Corpus,
    CorpusWriter,
    LoadError,
    StoredCase,
    load_corpus,
    reference_changed,
    reference_fingerprint,
    require_cases,
)

#: Version of the ``replay_json`` object.
REPLAY_JSON_VERSION = 1
#: Cases sent to a worker at once (as in runner.py).
CHUNK = 8

#: What running one program on one case gave: its outcome, or the error's text.
Run = Outcome | str


# -- running cases, serially or on a pool ------------------------------------

_WORKER: Executor | None = None


def replay_executor(spec: TaskSpec) -> LocalExecutor:
    """A local executor with the task's environment and limits whose Python
    candidates run in fork-server children (``pyfork``: each run as a fresh
    interpreter would, without paying for the interpreter's start)."""
    return _forking(dict(spec.env), spec.limits)


def _forking(env: dict[str, str], limits: Limits) -> LocalExecutor:
    # As root, each run drops every capability before exec, as in a campaign's
    # workers (which hold none): chmod on a directory it made mode 000 went on into
    # it here and not there. The fork-servers drop theirs too (``pyfork``).
    unprivileged = shed_capabilities if os.geteuid() == 0 else None
    return LocalExecutor(env, limits, launcher=PythonForkLauncher(env, limits), confine=unprivileged)


@lru_cache(maxsize=8)
def _shared_executor(env: tuple[tuple[str, str], ...], limits: Limits) -> LocalExecutor:
    """One replay executor per environment and limits for this process, so that a
    test session's many ``check_case`` calls share their fork-servers."""
    return _forking(dict(env), limits)


def _init_worker(executor: Executor) -> None:
    global _WORKER
    if isinstance(executor, LocalExecutor) and not executor.limits_inherited:
        # As runner.py does: limits once for the worker, so children spawn cheaply.
        apply_limits(executor.limits, cpu=False)
        launcher = executor.launcher
        if isinstance(launcher, PythonForkLauncher):  # its servers inherit the limits too
            launcher = PythonForkLauncher(launcher.env, launcher.limits, launcher.root, limits_inherited=True)
        executor = LocalExecutor(
            executor.env,
            executor.limits,
            executor.root,
            limits_inherited=True,
            launcher=launcher,
            confine=executor.confine,
        )
    _WORKER = executor


def _attempt(executor: Executor, program: Program, case: Case) -> Run:
    try:
        return executor.run(program, case)
    except Exception as exc:  # one case's problem (unstartable program, bad file name): report it there
        return f"{type(exc).__name__}: {exc}"


def _run_chunk(programs: Sequence[Program], cases: Sequence[Case]) -> list[tuple[Run, ...]]:
    assert _WORKER is not None, "worker not initialised"
    return [tuple(_attempt(_WORKER, p, c) for p in programs) for c in cases]


def run_cases(
    executor: Executor, programs: Sequence[Program], cases: Sequence[Case], jobs: int = 1
) -> list[tuple[Run, ...]]:
    """Each program on each case: per case, one ``Outcome`` (or error text) per program, in order.

    ``jobs > 1`` uses that many worker processes; the executor must then be
    picklable (``LocalExecutor`` is; a ``FunctionExecutor`` of module-level functions is).
    """
    if jobs <= 1 or len(cases) <= 1:
        return [tuple(_attempt(executor, p, c) for p in programs) for c in cases]
    size = max(1, min(CHUNK, len(cases) // (jobs * 2)))
    chunks = [cases[k : k + size] for k in range(0, len(cases), size)]
    ctx = multiprocessing.get_context("forkserver")  # workers never inherit our threads or locks
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker, initargs=(executor,)) as pool:
        futures = [pool.submit(_run_chunk, tuple(programs), chunk) for chunk in chunks]
        return [run for fut in futures for run in fut.result()]


# -- results -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One stored case replayed. ``status`` is ``"passed"``, ``"failed"``, ``"error"``
    or ``"set-aside"`` (the stored outcome is a memory fault of the reference, and
    the candidate differs: undefined behaviour, neither passed nor failed).

    ``divergence`` (when failed) has the stored expected outcome as its
    reference side and the candidate's normalised outcome as its candidate side.
    With ``rerun_reference``, ``reference_matches`` tells whether the installed
    reference still gives the stored outcome (``None``: not re-run, or it
    could not run: see ``reference_error``), and ``reference_divergence`` shows how not.
    """

    stored: StoredCase
    status: str
    candidate: Outcome | None = None
    divergence: Divergence | None = None
    error: str = ""
    reference_matches: bool | None = None
    reference_divergence: Divergence | None = None
    reference_error: str = ""

    @property
    def key(self) -> str:
        return self.stored.key


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """A replay of a corpus. Files that failed to load count as cases with errors."""

    task: str
    corpus: str
    results: tuple[CaseResult, ...]
    load_errors: tuple[LoadError, ...] = ()
    reference_changed: bool | None = None  # installed reference vs the manifest's (None: unknown)
    reference_rerun: bool = False
    seconds: float = 0.0

    @property
    def cases(self) -> int:
        return len(self.results) + len(self.load_errors)

    @property
    def passed(self) -> int:
        return sum(r.status == "passed" for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def errors(self) -> int:
        return sum(r.status == "error" for r in self.results) + len(self.load_errors)

    @property
    def set_aside(self) -> int:
        """Cases whose stored outcome is a memory fault of the reference, where the candidate differs."""
        return sum(r.status == "set-aside" for r in self.results)

    @property
    def failures(self) -> tuple[CaseResult, ...]:
        return tuple(r for r in self.results if r.status == "failed")

    @property
    def reference_mismatches(self) -> tuple[CaseResult, ...]:
        """Cases on which the re-run reference no longer gives the stored outcome."""
        return tuple(r for r in self.results if r.reference_matches is False)

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.errors == 0


def judge_run(
    stored: StoredCase,
    spec: TaskSpec,
    name: str,
    candidate: Program,
    run: Run,
    reference: Program | None = None,
    reference_run: Run | None = None,
) -> CaseResult:
    """Compare one candidate run (and optionally a fresh reference run) with the stored outcome
    as stored or normalised again by the task's rules of today: it was stored normalised
    by those of its day, and a task that gains one (a source line in OpenSSL's errors)
    keeps its corpus; as stored too, since a rule of the task's own need not give the
    same text when applied twice (``0x[0-9a-f]+`` to ``0xADDR``)."""
    shown = shown_as(*([reference] if reference is not None else []), candidate)  # both sides alike
    as_stored = stored
    expected = normalise(stored.expected, shown, name, spec.compare)
    if expected is not stored.expected:
        stored = dataclasses.replace(stored, expected=expected)
    ref_matches: bool | None = None
    ref_div: Divergence | None = None
    ref_error = ""
    if isinstance(reference_run, str):
        ref_error = reference_run
    elif reference_run is not None and reference is not None:
        fresh = normalise(reference_run, shown, name, spec.compare)
        ref_div = _closest(as_stored, stored, fresh, spec)
        ref_matches = ref_div is None
    common: dict[str, Any] = {
        "reference_matches": ref_matches,
        "reference_divergence": ref_div,
        "reference_error": ref_error,
    }
    if isinstance(run, str):
        return CaseResult(stored, "error", error=run, **common)
    got = normalise(run, shown, name, spec.compare)
    div = _closest(as_stored, stored, got, spec)
    if div is not None and stored.expected.no_answer():
        # recorded before such cases were left out: a memory fault (undefined behaviour)
        # or a run limit passed, no answer to hold a candidate to
        return CaseResult(stored, "set-aside", got, div, **common)
    return CaseResult(stored, "passed" if div is None else "failed", got, div, **common)


def _closest(as_stored: StoredCase, renormalised: StoredCase, got: Outcome, spec: TaskSpec) -> Divergence | None:
    """None when ``got`` matches the stored outcome normalised again, or as stored."""
    div = compare(renormalised.case, renormalised.expected, got, spec.compare)
    if div is None or renormalised is as_stored:
        return div
    return div if compare(as_stored.case, as_stored.expected, got, spec.compare) is not None else None


def replay(
    corpus: Corpus,
    spec: TaskSpec,
    executor: Executor,
    candidate: Program,
    reference: Program | None = None,
    *,
    rerun_reference: bool = False,
    jobs: int = 1,
) -> ReplayResult:
    """Run ``candidate`` on every stored case and compare with the stored expected outcomes.

    The reference runs only with ``rerun_reference`` (``reference`` is then
    required). When ``reference`` is given, ``reference_changed`` compares its
    fingerprint (sha256, else version) with the manifest's; this runs its
    ``--version`` once. Raises ``CaseFileError`` when the corpus was recorded
    for another task.
    """
    _check_corpus(corpus, spec)
    if rerun_reference and reference is None:
        raise ValueError("rerun_reference needs the reference program")
    start = time.monotonic()
    programs = (candidate, reference) if rerun_reference and reference is not None else (candidate,)
    runs = run_cases(executor, programs, [s.case for s in corpus.cases], jobs)
    return _judged(corpus, spec, candidate, reference, runs, start, len(programs) > 1)


class StoredOutcomes:
    """A corpus's expected outcomes as a ``ReferenceCache``: a runner given it
    never runs the reference on a stored case (``replay_on``)."""

    def __init__(self, corpus: Corpus) -> None:
        self.outcomes = {stored.case.key(): stored.expected for stored in corpus.cases}

    def get(self, case: Case) -> Outcome | None:
        return self.outcomes.get(case.key())

    def put(self, case: Case, outcome: Outcome) -> None:
        pass  # what is stored is the corpus's, never a fresh run's


def replay_on(
    corpus: Corpus,
    spec: TaskSpec,
    runner: PairRunner,
    candidate: Program,
    reference: Program | None,
    *,
    rerun_reference: bool = False,
) -> ReplayResult:
    """``replay`` on a campaign's runner (its workers, sandboxes and fork-servers)
    for ``reference`` and ``candidate``, made with ``StoredOutcomes(corpus)`` as its
    reference cache, so only the candidate runs unless ``rerun_reference``.
    ``reference`` None: not installed here, so not compared with the recorded one."""
    _check_corpus(corpus, spec)
    start = time.monotonic()
    cases = [s.case for s in corpus.cases]
    pairs = runner.run_pairs(cases)
    fresh = runner.run_references(cases) if rerun_reference else None
    runs: list[tuple[Run, ...]] = [(cand,) if fresh is None else (cand, fresh[i]) for i, (_, cand) in enumerate(pairs)]
    return _judged(corpus, spec, candidate, reference, runs, start, rerun_reference)


def _check_corpus(corpus: Corpus, spec: TaskSpec) -> None:
    if corpus.manifest.task != spec.name:
        raise CaseFileError(
            f"corpus {corpus.path} was recorded for task {corpus.manifest.task!r}, not {spec.name!r}; "
            "replay it with its own task"
        )


def _judged(
    corpus: Corpus,
    spec: TaskSpec,
    candidate: Program,
    reference: Program | None,
    runs: Sequence[tuple[Run, ...]],
    start: float,
    rerun: bool,
) -> ReplayResult:
    name = corpus.manifest.program_name
    results = tuple(
        judge_run(stored, spec, name, candidate, r[0], reference, r[1] if len(r) > 1 else None)
        for stored, r in zip(corpus.cases, runs, strict=True)
    )
    changed = (
        None if reference is None else reference_changed(corpus.manifest.reference, reference_fingerprint(reference))
    )
    return ReplayResult(
        task=spec.name,
        corpus=str(corpus.path),
        results=results,
        load_errors=corpus.errors,
        reference_changed=changed,
        reference_rerun=rerun,
        seconds=round(time.monotonic() - start, 3),
    )


@dataclass(frozen=True, slots=True)
class RecordResult:
    added: tuple[str, ...]  # keys of the cases stored
    errors: tuple[tuple[str, str], ...]  # (key, error) of cases the reference could not run
    faulted: tuple[str, ...] = ()  # keys of cases with no answer (memory fault, run limit): not stored


def record(writer: CorpusWriter, executor: Executor, cases: Sequence[Case], *, jobs: int = 1) -> RecordResult:
    """Run the writer's reference on each distinct case and store it as a behaviour.

    Follow with ``corpus.reduce(load_corpus(path))`` to keep one case per behaviour.
    A case on which the reference faults on memory or passes a run limit
    (``Outcome.no_answer``) is not stored: it is no behaviour to hold a candidate to.
    """
    unique = list({c.key(): c for c in cases}.values())
    added: list[str] = []
    errors: list[tuple[str, str]] = []
    faulted: list[str] = []
    for case, (run,) in zip(unique, run_cases(executor, (writer.reference,), unique, jobs), strict=True):
        if isinstance(run, str):
            errors.append((case.key(), run))
        elif run.no_answer():
            faulted.append(case.key())
        else:
            writer.add(case, run)
            added.append(case.key())
    return RecordResult(tuple(added), tuple(errors), tuple(faulted))


@dataclass(frozen=True, slots=True)
class RefreshResult:
    cases: int  # stored cases looked at
    updated: tuple[str, ...]  # keys whose expected outcome was rewritten (or would be, on a dry run)
    unstable: tuple[str, ...]  # keys on which two runs of the reference differed: left as stored
    errors: tuple[tuple[str, str], ...]  # (key, error) of cases the reference could not run, or gave no answer


def refresh(
    writer: CorpusWriter, executor: Executor, corpus: Corpus, *, jobs: int = 1, dry_run: bool = False
) -> RefreshResult:
    """Run the writer's reference twice on every stored case and, where both runs
    agree and differ from what is stored, store the new outcome (same kind and
    fingerprint). For when fuzzdiff observes more than it did when the corpus was
    recorded (modes and times, 2026-12), or the environment it runs in changed;
    the writer refuses another reference binary, so a new version of the program
    is never written over the old one's answers. A case whose two runs differ is
    left as it is and named."""
    stored = list(corpus.cases)
    programs = (writer.reference, writer.reference)
    updated: list[str] = []
    unstable: list[str] = []
    errors: list[tuple[str, str]] = []
    runs = run_cases(executor, programs, [s.case for s in stored], jobs)
    for old, (first, second) in zip(stored, runs, strict=True):
        if isinstance(first, str) or isinstance(second, str):
            errors.append((old.key, first if isinstance(first, str) else str(second)))
            continue
        if first.no_answer():
            errors.append((old.key, f"the reference gave no answer ({first.exit_class()})"))
            continue
        new, again = (writer.normalised(o) for o in (first, second))
        if differing_channels(new, again, writer.spec.compare):
            unstable.append(old.key)
        elif differing_channels(old.expected, new, writer.spec.compare):
            updated.append(old.key)
            if not dry_run:
                writer.add(old.case, first, old.kind, old.fingerprint)
    return RefreshResult(len(stored), tuple(updated), tuple(unstable), tuple(errors))


# -- reports -----------------------------------------------------------------


def replay_json(result: ReplayResult) -> dict[str, Any]:
    """A JSON object for programs. Each failure is shaped like a ``--json`` divergence
    (``argv``, ``stdin``, ``files``, ``env``, ``channels``, ``fingerprint``,
    ``reference``: the stored expected outcome, ``candidate``) plus its ``key``."""
    return {
        "version": REPLAY_JSON_VERSION,
        "task": result.task,
        "corpus": result.corpus,
        "ok": result.ok,
        "cases": result.cases,
        "passed": result.passed,
        "failed": result.failed,
        "errors": result.errors,
        "set_aside": result.set_aside,
        "seconds": result.seconds,
        "reference_changed": result.reference_changed,
        "failures": [{"key": r.key, **encode_divergence(r.divergence)} for r in result.failures if r.divergence],
        "error_cases": [{"key": r.key, "message": r.error} for r in result.results if r.status == "error"],
        "load_errors": [{"file": e.file, "message": e.message} for e in result.load_errors],
        "reference_mismatches": None
        if not result.reference_rerun
        else [
            {
                "key": r.key,
                "channels": list(r.reference_divergence.channels),
                "fingerprint": encode_fingerprint(r.reference_divergence.fingerprint),
                "installed": encode_outcome(r.reference_divergence.candidate),
            }
            for r in result.reference_mismatches
            if r.reference_divergence is not None
        ],
    }


_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _XML_INVALID.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def failure_text(r: CaseResult, name: str) -> str:
    """A readable account of a failed or reference-mismatched case: the input, then the diffs."""
    lines = ["input:", *describe_case(r.stored.case, name)]
    if r.divergence is not None:
        lines += ["candidate vs stored reference outcome:", *describe_divergence(r.divergence)]
    return "\n".join(lines)


#: Failed cases shown in full in the text report; the rest are listed by key.
MAX_SHOWN_FAILURES = 5


def replay_text(result: ReplayResult, name: str) -> str:
    """The report for a person: counts, then the first failures with their diffs."""
    lines = [
        f"fuzzdiff replay {result.task}: {result.cases} cases, {result.passed} passed, "
        f"{result.failed} failed, {result.errors} errors ({result.seconds:.1f} s)"
    ]
    if result.set_aside:
        lines.append(f"set aside: {result.set_aside} cases whose stored outcome is a memory fault of the reference")
    if result.reference_changed:
        lines.append(
            "warning: the installed reference differs from the one this corpus was recorded with "
            "(see its manifest.json); failures may be the reference's, re-check with --rerun-reference"
        )
    for i, r in enumerate(result.failures):
        if i >= MAX_SHOWN_FAILURES:
            rest = [f.key for f in result.failures[MAX_SHOWN_FAILURES:]]
            lines.append(f"... and {len(rest)} more failed: {', '.join(rest)}")
            break
        lines += ["", f"FAILED {r.key}", failure_text(r, name)]
    for r in result.results:
        if r.status == "error":
            lines.append(f"ERROR {r.key}: {r.error}")
    for err in result.load_errors:
        lines.append(f"ERROR {err}")
    for r in result.reference_mismatches:
        lines.append(f"REFERENCE CHANGED on {r.key}: the installed reference no longer gives the stored outcome")
    return "\n".join(lines)


#: Longest test name made from a case's command line: about what a CI page shows
#: on one line; the full command is in the failure text.
MAX_TEST_NAME = 100
#: Characters of a case's key that tell apart cases whose names would be the same.
NAME_KEY_CHARS = 8


def junit_names(cases: Sequence[StoredCase], name: str) -> list[str]:
    """Readable, unique test names, one per case: its command line (``base64 -d -w 5``),
    cut to ``MAX_TEST_NAME`` characters, with a short key suffix (``[1f3a9c0e]``) only
    on names two cases share (cases that differ only in stdin or files)."""
    base = []
    for s in cases:
        text = shell_argv(name, s.case.argv)
        base.append(text if len(text) <= MAX_TEST_NAME else text[: MAX_TEST_NAME - 1] + "…")
    counts = Counter(base)
    names = [f"{b} [{s.key[:NAME_KEY_CHARS]}]" if counts[b] > 1 else b for b, s in zip(base, cases, strict=True)]
    counts = Counter(names)  # two keys sharing a prefix: the whole key, which is unique
    return [f"{b} [{s.key}]" if counts[n] > 1 else n for n, b, s in zip(names, base, cases, strict=True)]


def junit_xml(result: ReplayResult, task: str | None = None, name: str | None = None) -> str:
    """JUnit XML: one ``testcase`` per stored case (named by ``junit_names``; load errors by
    file name), a ``failure`` with the case's key and diff per failed case, an ``error``
    per case that could not run."""
    task = task or result.task
    name = name or task
    suite_name = f"fuzzdiff.store.corpus.{task}"
    suites = ET.Element("testsuites", name="fuzzdiff")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=suite_name,
        tests=str(result.cases),
        failures=str(result.failed),
        errors=str(result.errors),
        skipped=str(result.set_aside),
        time=f"{result.seconds:.3f}",
    )
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="corpus", value=_xml_text(result.corpus))
    ET.SubElement(props, "property", name="reference_changed", value=str(result.reference_changed).lower())
    names = junit_names([r.stored for r in result.results], name)
    for r, test in zip(result.results, names, strict=True):
        wall = r.candidate.wall_seconds if r.candidate else 0.0
        tc = ET.SubElement(suite, "testcase", classname=suite_name, name=_xml_text(test), time=f"{wall:.3f}")
        if r.status == "failed" and r.divergence is not None:
            fail = ET.SubElement(tc, "failure", type="divergence", message=str(r.divergence.fingerprint))
            fail.text = _xml_text(f"case {r.key}\n" + failure_text(r, name))
        elif r.status == "set-aside":
            ET.SubElement(tc, "skipped", message="the stored outcome is a memory fault of the reference")
        elif r.status == "error":
            err = ET.SubElement(tc, "error", type="run-error", message=_xml_text((r.error.splitlines() or [""])[0]))
            err.text = _xml_text(f"case {r.key}\n" + r.error)
        if r.reference_matches is False and r.reference_divergence is not None:
            out = ET.SubElement(tc, "system-out")
            out.text = _xml_text(
                "the installed reference no longer gives the stored outcome:\n"
                + "\n".join(describe_divergence(r.reference_divergence))
            )
    for e in result.load_errors:
        tc = ET.SubElement(suite, "testcase", classname=suite_name, name=e.file, time="0.000")
        err = ET.SubElement(tc, "error", type="load-error", message=_xml_text(e.message))
        err.text = _xml_text(str(e))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


# -- pytest ------------------------------------------------------------------

#: Corpus directory of each case ``corpus_params`` handed out, by key: what the
#: repro line of a failure in ``check_case`` names.
_CORPUS_OF: dict[str, str] = {}


def corpus_params(path: str | Path) -> list[Any]:
    """``pytest.param``s for ``@pytest.mark.parametrize``: one per stored case, id = its
    command line as in JUnit reports (``junit_names``); a case file that failed to load
    becomes a param (id = file name) that fails in ``check_case``."""
    import pytest  # only test suites call this; fuzzdiff does not depend on pytest

    corpus = require_cases(load_corpus(path))
    names = junit_names(corpus.cases, corpus.manifest.program_name or corpus.manifest.task)
    _CORPUS_OF.update((s.key, str(corpus.path)) for s in corpus.cases)
    params = [pytest.param(s, id=n) for s, n in zip(corpus.cases, names, strict=True)]
    params += [pytest.param(e, id=e.file) for e in corpus.errors]
    return params


@lru_cache(maxsize=32)
def _setup(task: str | TaskSpec, candidate: str | Program, cwd: str | None) -> tuple[TaskSpec, Program]:
    spec = task if isinstance(task, TaskSpec) else load_task(task)
    prog = candidate if isinstance(candidate, Program) else candidate_program(candidate, spec, cwd)
    return spec, prog


@lru_cache(maxsize=1)
def _failure_type() -> type[AssertionError]:
    """The exception ``check_case`` raises: an ``AssertionError`` that pytest, when
    installed, shows as its message alone (as ``pytest.fail(msg, pytrace=False)``),
    without the frames of the test or of fuzzdiff."""
    try:
        import pytest
    except ImportError:
        return AssertionError

    class CaseFailed(pytest.fail.Exception, AssertionError):  # type: ignore[name-defined,misc]
        def __init__(self, msg: str) -> None:
            super().__init__(msg, pytrace=False)  # type: ignore[call-arg]  # pytest.fail.Exception's

    return CaseFailed


def _fail(msg: str) -> AssertionError:
    return _failure_type()(msg)


def case_failure_text(r: CaseResult, name: str, reproduce: str) -> str:
    """A failed case in a few lines: its command line and the channels that differ,
    the diff, and a command that shows it again with its input."""
    assert r.divergence is not None
    div = r.divergence
    channels = div.channels
    verb = "differs" if len(channels) == 1 else "differ"
    head = (
        f"{shell_argv(name, div.case.argv)} [case {r.key[:NAME_KEY_CHARS]}]: {' and '.join(channels)} {verb} "
        f"from the stored reference outcome (reference {div.reference.exit_class()}, "
        f"candidate {div.candidate.exit_class()})"
    )
    return "\n".join([head, *describe_divergence(div), f"reproduce: {reproduce}"])


def check_case(
    stored: StoredCase | LoadError,
    candidate: str | Program,
    task: str | TaskSpec,
    *,
    cwd: str | None = None,
    executor: Executor | None = None,
) -> None:
    """Run ``candidate`` (a command line, as ``--candidate`` takes, or a ``Program``) on one
    stored case; unless it gives the stored outcome, fail the test (an ``AssertionError``)
    with a short account: the case and the channels, the diff, a repro line.

    ``executor`` defaults to ``replay_executor``'s, one per environment and limits
    in this process: a Python candidate's fork-servers serve every call.
    """
    __tracebackhide__ = True  # pytest: the failure is the candidate's, not this frame's
    if isinstance(stored, LoadError):
        raise _fail(f"corpus case file {stored}")
    spec, prog = _setup(task, candidate, cwd)
    ex = executor or _shared_executor(tuple(spec.env), spec.limits)
    name = program_name(spec)
    (run,) = run_cases(ex, (prog,), [stored.case])[0]
    r = judge_run(stored, spec, name, prog, run)
    if r.status == "error":
        raise _fail(f"{shell_argv(name, stored.case.argv)} [case {stored.key}] could not run: {r.error}")
    if r.status == "failed":
        corpus = _CORPUS_OF.get(stored.key, "CORPUS_DIR")
        cand = candidate if isinstance(candidate, str) else shlex.join(candidate.argv)
        task_arg = task if isinstance(task, str) else (spec.source if Path(spec.source).is_file() else spec.name)
        reproduce = shlex.join(["fuzzdiff", "replay", corpus, "--candidate", cand, "--task", task_arg])
        raise _fail(case_failure_text(r, name, reproduce))
