"""The ``fuzzdiff`` command line. It parses flags, shows progress and prints
reports; everything it decides comes from the engine's events and results.

Exit status: 0 equivalent within the budget, 1 divergence found, 2 usage or
configuration error (one line naming the problem and the fix; no traceback), 3
internal error: a bug in fuzzdiff, named on one line (``FUZZDIFF_DEBUG=1`` shows
the traceback), with ``--json`` still one JSON object, ``"verdict": "error"``;
4 inconclusive: no divergence blamed on the candidate, but the reference was not
deterministic on too many cases to call it equivalent.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import json
import os
import secrets
import shlex
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, NoReturn, ParamSpec

import click
import typer

from fuzzdiff.api import Setup, fuzz_events, open_runner, prepare
from fuzzdiff.core.errors import DEBUG_VARIABLE, EXIT_INTERNAL, SpecError, UserError, debugging, describe
from fuzzdiff.core.model import (
    CampaignResult,
    Divergence,
    Event,
    Finding,
    Finished,
    Found,
    Program,
    Progress,
    Shrunk,
    Verdict,
    Via,
)
from fuzzdiff.core.mutate import GUIDANCE, parse_guidance
from fuzzdiff.core.plan import case_stream
from fuzzdiff.core.report import JSON_VERSION, json_report, launch_summary, shell_argv, text_report
from fuzzdiff.core.spec import TaskSpec, load_task, parse_task, resolve_task_path, shipped_tasks
from fuzzdiff.engine.campaign import SHRINK_BUDGET, CampaignConfig
from fuzzdiff.engine.campaign import minimize as minimize_stored
from fuzzdiff.engine.coverage import CoverageStats, check_coverage, coverage_events
from fuzzdiff.engine.judging import Judge
from fuzzdiff.factory import cards, library
from fuzzdiff.factory.build import build, cached_build
from fuzzdiff.factory.mine import command_task_name, mine_task, task_toml
from fuzzdiff.factory.probe import DEFAULT_BUDGET as PROBE_BUDGET
from fuzzdiff.matrix import Settings, build_matrix, cell_line, implementations, select_tasks
from fuzzdiff.oracle.scoring import DEADLINE, DEFAULT_BUDGET, POLICIES, Candidate
from fuzzdiff.oracle.scoring import score as oracle_score
from fuzzdiff.run.execute import LocalExecutor
from fuzzdiff.run.landlock import shed_capabilities, undumpable
from fuzzdiff.run.paths import data_home, git_dirs
from fuzzdiff.run.program import reference_program
from fuzzdiff.run.runner import default_jobs
from fuzzdiff.store.artifacts import read_case_input, write_artifacts, write_atomic
from fuzzdiff.store.corpus import MANIFEST, CorpusWriter, LoadError, load_corpus, require_cases
from fuzzdiff.store.corpus import reduce as reduce_corpus
from fuzzdiff.store.corpus import stats as corpus_figures
from fuzzdiff.store.replay import StoredOutcomes, junit_xml, replay_json, replay_on, replay_text
from fuzzdiff.store.replay import record as run_record
from fuzzdiff.store.replay import refresh as run_refresh

#: ``--mask-reference`` of the commands that run a candidate (``fuzz``, ``replay``).
MaskReference = Annotated[
    bool, typer.Option("--mask-reference", help="With --sandbox: hide the reference binary from the candidate.")
]


def _mask_needs_sandbox(mask_reference: bool, sandbox: bool) -> None:
    """--mask-reference hides the reference inside the sandbox only: alone it hid
    nothing (a wrapper ran the reference), silently, and was echoed in "Reproduce with"."""
    if mask_reference and not sandbox:
        raise UserError("--mask-reference hides the reference inside the sandbox only; add --sandbox or drop it")


app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Differential fuzzing: does a candidate program behave exactly like its reference?",
)


def version_text() -> str:
    """Which fuzzdiff runs: its version (the installed metadata's, else the package's
    own ``__version__``), where it is imported from, and the Python running it."""
    from importlib import metadata

    from fuzzdiff.core.version import __version__

    try:
        version = metadata.version("fuzzdiff")
    except metadata.PackageNotFoundError:
        version = f"{__version__} (no install metadata: run from a source tree)"
    where = Path(__file__).resolve().parent
    return f"fuzzdiff {version}\nlocation: {where}\npython: {sys.executable} {sys.version.split()[0]}"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(version_text())
        raise typer.Exit(0)


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and location."),
    ] = False,
) -> None:
    """Options before any command."""


def _fail(message: str) -> NoReturn:
    typer.echo(f"fuzzdiff: error: {message}", err=True)
    raise typer.Exit(2)


def _unreadable(corpus_dir: Path, errors: Sequence[LoadError], done: str) -> None:
    """Exit 2 after the command's own report when some of the corpus's case files
    could not be read: a broken corpus is bad input, never a failing candidate
    (both exited 1, and a CI job could not tell them apart)."""
    if errors:
        first = errors[0]
        more = f" and {len(errors) - 1} more" if len(errors) > 1 else ""
        _fail(
            f"{len(errors)} case file(s) of {corpus_dir} could not be read ({first.file}: {first.message}{more}); "
            f"{done}; restore them from version control or delete them, then run again"
        )


_Params = ParamSpec("_Params")
#: What a command may raise on purpose: exits (typer's own class or click's, by
#: version), click's usage errors, ``UserError`` (exit 2, in ``main``).
#: Exit status of ``fuzz`` per verdict (2 and 3 are usage and internal errors).
VERDICT_EXIT = {Verdict.EQUIVALENT: 0, Verdict.DIVERGENT: 1, Verdict.INCONCLUSIVE: 4}
#: Exit status of a run stopped by Ctrl-C (128 + SIGINT, as a shell gives).
INTERRUPTED = 130

_PASSING = (typer.Exit, typer.Abort, click.exceptions.Exit, click.exceptions.Abort, click.ClickException, UserError)


def _internal_error(command: str, exc: BaseException, as_json: bool) -> NoReturn:
    """Report a bug in fuzzdiff: one line on stderr (the traceback too with
    ``FUZZDIFF_DEBUG=1``), with ``--json`` one object on stdout, and exit 3."""
    message = describe(exc)
    if debugging():
        traceback.print_exception(exc, file=sys.stderr)
    hint = "" if debugging() else f"; {DEBUG_VARIABLE}=1 shows the traceback"
    typer.echo(f"fuzzdiff: internal error in `fuzzdiff {command}` (a bug in fuzzdiff): {message}{hint}", err=True)
    if as_json:
        obj = {"version": JSON_VERSION, "verdict": "error", "command": command, "error": message}
        sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    raise typer.Exit(EXIT_INTERNAL)


def _internal_errors(command: str) -> Callable[[Callable[_Params, None]], Callable[_Params, None]]:
    """Wrap a command so that an unexpected exception exits with status 3 (never
    1, "divergent", nor a traceback) and keeps the ``--json`` promise; exits,
    usage errors and ^C pass through unchanged."""

    def wrap(function: Callable[_Params, None]) -> Callable[_Params, None]:
        @functools.wraps(function)
        def run(*args: _Params.args, **kwargs: _Params.kwargs) -> None:
            try:
                function(*args, **kwargs)
            except _PASSING:
                raise
            except Exception as exc:
                _internal_error(command, exc, bool(kwargs.get("as_json")))

        return run

    return wrap


class _Progress:
    """A one-line live display on a terminal; silent otherwise."""

    def __init__(self, enabled: bool, budget: int) -> None:
        self.enabled = enabled
        self.budget = budget
        self.last = 0.0

    def show(self, p: Progress) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.1:
            return
        self.last = now
        rate = p.cases / p.elapsed if p.elapsed > 0 else 0.0
        sys.stderr.write(
            f"\r{p.cases}/{self.budget} cases  {rate:,.0f}/s  behaviours {p.behaviours}  divergences {p.divergences} "
        )
        sys.stderr.flush()

    def note(self, text: str) -> None:
        if self.enabled:
            sys.stderr.write("\r\033[K" + text + "\n")
            sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _follow(events: Iterator[Event], progress: _Progress, task: str, seed: int) -> tuple[CampaignResult, bool]:
    """Show a campaign's events as they come; its result, and whether it was
    interrupted (Ctrl-C): then the result holds what was found and shrunk so far,
    which a person should not lose (it went with the run before)."""
    result: CampaignResult | None = None
    shrunk: list[Finding] = []
    found: dict[int, Divergence] = {}
    last = Progress(0, 0, 0, 0.0)
    try:
        for event in events:
            if isinstance(event, Progress):
                progress.show(event)
                last = event
            elif isinstance(event, Found):
                progress.note(f"divergence at case #{event.index}: {event.divergence.fingerprint}; shrinking…")
                found[event.index] = event.divergence
            elif isinstance(event, Shrunk):
                progress.note(f"shrunk to {event.finding.divergence.case.size()} bytes")
                shrunk.append(event.finding)
            elif isinstance(event, Finished):
                result = event.result
    except UserError as exc:
        progress.clear()
        _fail(str(exc))
    except KeyboardInterrupt:
        progress.clear()
        done = {f.found_at for f in shrunk}
        # met but not shrunk yet (a campaign shrinks at its end): kept as they were seen
        kept = [Finding(div, div, i, confirmed=False, via=Via.INTERRUPTED) for i, div in found.items() if i not in done]
        findings = (*shrunk, *kept)
        return CampaignResult(task, seed, last.cases, last.elapsed, last.behaviours, 0, findings), True
    progress.clear()
    assert result is not None, "a campaign always finishes with a Finished event"
    return result, False


def _search_flags(guided: frozenset[str], coverage_side: str | None) -> str:
    """The flags that change which cases a seed gives: guidance, coverage mode."""
    flags = ""
    if guided != frozenset(GUIDANCE):
        flags += " --guidance " + shlex.quote(",".join(sorted(guided)) or "none")
    if coverage_side is not None:
        flags += " --coverage" + ("" if coverage_side == "auto" else f" --coverage-side {coverage_side}")
    return flags


@app.command()
@_internal_errors("fuzz")
def fuzz(
    candidate: Annotated[
        str, typer.Option("--candidate", "-c", help="The candidate's command line, split like a shell.")
    ],
    task: Annotated[
        str | None,
        typer.Argument(help="A shipped task name (see `fuzzdiff tasks`) or the path of a task file."),
    ] = None,
    reference: Annotated[
        str | None,
        typer.Option(
            help="No task file: the reference's command; its task is mined from its --help and probed "
            "(cached per binary and seed; see `fuzzdiff task build`)."
        ),
    ] = None,
    probe: Annotated[
        bool, typer.Option("--probe/--no-probe", help="With --reference: probe the reference (else --help alone).")
    ] = True,
    budget: Annotated[int, typer.Option(min=1, help="Cases to generate at most.")] = 1000,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Seed for a reproducible run; printed when not given.")
    ] = None,
    jobs: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: all cores).")] = None,
    out: Annotated[Path | None, typer.Option(help="Directory for artefacts: case JSON and repro.sh.")] = None,
    max_divergences: Annotated[int, typer.Option(min=1, help="Distinct divergences to find before stopping.")] = 1,
    shrink_budget: Annotated[
        int, typer.Option(min=0, help="Cases tried per divergence while shrinking.")
    ] = SHRINK_BUDGET,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout and nothing else there.")
    ] = False,
    corpus: Annotated[
        Path | None,
        typer.Option(help="Corpus to add divergences and new reference behaviours to (default: a per-user one)."),
    ] = None,
    no_corpus: Annotated[bool, typer.Option("--no-corpus", help="Record nothing.")] = False,
    sandbox: Annotated[
        bool, typer.Option("--sandbox/--no-sandbox", help="Run both programs in bubblewrap sandboxes.")
    ] = False,
    mask_reference: MaskReference = False,
    guidance: Annotated[
        str,
        typer.Option(
            help="Behaviour guidance: all, none (generation alone), a comma list of pool, mutate, dictionary, "
            "feedback, or all but some (-feedback)."
        ),
    ] = "all",
    coverage: Annotated[
        bool,
        typer.Option(
            "--coverage",
            help="Coverage-guided: the cases come from atheris (libFuzzer), steered by the branches a Python "
            "program (candidate or reference) reaches; needs pip install 'fuzzdiff[coverage]'.",
        ),
    ] = False,
    coverage_side: Annotated[
        str,
        typer.Option(
            help="With --coverage: whose coverage steers: auto (every Python side), candidate, reference, both."
        ),
    ] = "auto",
    hermetic: Annotated[
        bool,
        typer.Option(
            "--hermetic",
            help="Both sides run with a frozen clock and seeded randomness (libfaketime), a fixed umask "
            "and host name, as the task key `hermetic` asks (docs/hermetic.md).",
        ),
    ] = False,
) -> None:
    """Fuzz a candidate against a task's reference program."""
    if seed is None:
        seed = secrets.randbelow(2**31)
        typer.echo(f"fuzzdiff: seed {seed}", err=True)
    try:
        if (task is None) == (reference is None):
            raise UserError("give a TASK or --reference CMD (one of them); see `fuzzdiff fuzz --help`")
        if coverage_side != "auto" and not coverage:
            raise UserError(f"--coverage-side {coverage_side} steers --coverage only; add --coverage or drop it")
        _mask_needs_sandbox(mask_reference, sandbox)
        spec = load_task(task) if task is not None else mined_spec(reference or "", seed if probe else None)
        if hermetic:
            spec = replace(spec, hermetic=True)
        guided = parse_guidance(guidance)
        setup = prepare(spec, candidate)
        if coverage:
            check_coverage(setup, coverage_side, sandbox or mask_reference, guided != frozenset(GUIDANCE))
    except UserError as exc:
        _fail(str(exc))
    for w in setup.warnings:
        typer.echo(f"fuzzdiff: warning: {w}", err=True)
    config = CampaignConfig(
        seed=seed,
        budget=budget,
        max_divergences=max_divergences,
        shrink=shrink_budget > 0,
        shrink_budget=max(shrink_budget, 1),
        batch=2 * (jobs or default_jobs()),
        guidance=guided,
    )
    progress = _Progress(sys.stderr.isatty() and not as_json, budget)
    stats = CoverageStats()
    events = (
        coverage_events(setup, config, coverage_side, jobs, stats)
        if coverage
        else fuzz_events(setup, config, jobs, sandbox, mask_reference)
    )
    result, interrupted = _follow(events, progress, setup.spec.name, seed)
    if interrupted and not result.blamed:
        _interrupted(result)
    artifacts = _keep(
        result, setup, out, None if no_corpus else corpus or default_corpus(setup.spec.name), mask_reference
    )
    reproduce = _reproduce_command(task, reference, candidate, budget, seed, max_divergences) + _fuzz_flags(
        guided,
        coverage_side if coverage else None,
        reference is not None and not probe,
        hermetic,
        shrink_budget,
        sandbox,
        mask_reference,
    )
    if coverage and not as_json:
        typer.echo(f"fuzzdiff: {stats.summary()}", err=True)
    if as_json:
        obj = json_report(result, setup.reference.argv, setup.candidate.argv, artifacts)
        obj["reproduce"] = reproduce
        if interrupted:  # the verdict holds for what was found; the run did not finish
            obj["interrupted"] = True
        if coverage:
            obj["coverage"] = stats.to_json()
        sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    else:
        typer.echo(text_report(result, shown_command(setup.reference), reproduce, artifacts))
    if interrupted:
        _interrupted(result)
    raise typer.Exit(VERDICT_EXIT[result.verdict])


def _interrupted(result: CampaignResult) -> NoReturn:
    """Exit as Ctrl-C does (130), after saying what the run got to; what it found
    was reported and written to --out before this (and recorded, where re-run)."""
    raw = sum(1 for f in result.findings if f.via == Via.INTERRUPTED)
    found = (
        f"; the {len(result.blamed)} divergence(s) above were found before it"
        + (f" ({raw} as first seen: not shrunk, not re-run)" if raw else "")
        if result.blamed
        else ""
    )
    typer.echo(f"fuzzdiff: interrupted after {result.cases} cases{found}: no verdict", err=True)
    raise typer.Exit(INTERRUPTED)


def _record(path: Path, setup: Setup, result: CampaignResult) -> None:
    """Add a campaign's divergences and new reference behaviours to a corpus; a
    corpus that cannot take them is a warning, never a lost campaign."""
    try:
        writer = CorpusWriter(path, setup.spec, setup.reference)
        for case, outcome in result.novel:
            writer.add(case, outcome)
        for finding in result.findings:
            writer.add_divergence(finding.divergence)
    except (UserError, OSError) as exc:
        typer.echo(f"fuzzdiff: warning: not recorded in corpus {path}: {exc}", err=True)


def _keep(result: CampaignResult, setup: Setup, out: Path | None, corpus: Path | None, masked: bool) -> list[str]:
    """Write a campaign's findings to ``out`` (the artefacts written) and record it into
    ``corpus``; a directory that cannot be written is a warning, the report still
    carries every finding. ``masked``: the candidate ran with the reference hidden."""
    artifacts: list[str] = []
    if out is not None and result.findings:
        try:
            artifacts = write_artifacts(
                out, result.findings, setup.spec, result.seed, setup.reference, setup.candidate, masked=masked
            )
        except OSError as exc:
            typer.echo(f"fuzzdiff: warning: cannot write artefacts to {out}: {exc}; pick another --out", err=True)
    if corpus is not None:  # what was re-run only: one seen once may be the reference's noise
        _record(corpus, setup, replace(result, findings=tuple(f for f in result.findings if f.via != Via.INTERRUPTED)))
    return artifacts


def _fuzz_flags(
    guided: frozenset[str],
    coverage_side: str | None,
    no_probe: bool,
    hermetic: bool,
    shrink_budget: int,
    sandbox: bool,
    mask_reference: bool,
) -> str:
    """The flags of a ``fuzz`` run that its "Reproduce with" line must repeat: each
    changes what runs or the counterexample shrunk."""
    flags = _search_flags(guided, coverage_side)
    flags += " --no-probe" if no_probe else ""
    flags += " --hermetic" if hermetic else ""
    flags += f" --shrink-budget {shrink_budget}" if shrink_budget != SHRINK_BUDGET else ""
    flags += " --sandbox" if sandbox else ""
    return flags + (" --mask-reference" if mask_reference else "")


def _task_argument(task: str) -> str:
    """A task as a command line elsewhere names it: a shipped name, or the file's absolute path."""
    return task if task in shipped_tasks() else os.path.abspath(task)


def _reproduce_command(
    task: str | None, reference: str | None, candidate: str, budget: int, seed: int, max_divergences: int
) -> str:
    where = ["--reference", reference or ""] if task is None else [_task_argument(task)]
    words = ["fuzzdiff", "fuzz", *where, "--candidate", candidate, "--budget", str(budget), "--seed", str(seed)]
    if max_divergences != 1:
        words += ["--max-divergences", str(max_divergences)]
    return shlex.join(words)


@app.command()
@_internal_errors("minimize")
def minimize(
    case_file: Annotated[Path, typer.Argument(help="A case-N.json written by `fuzzdiff fuzz --out`.")],
    candidate: Annotated[str, typer.Option("--candidate", "-c", help="The candidate's command line.")],
    task: Annotated[str | None, typer.Option(help="Task name or file (default: the one recorded in the case).")] = None,
    jobs: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: all cores).")] = None,
    out: Annotated[Path | None, typer.Option(help="Directory for the shrunk case and repro.sh.")] = None,
    shrink_budget: Annotated[int, typer.Option(min=1, help="Cases tried while shrinking.")] = SHRINK_BUDGET,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Shrink a stored case again, for a new candidate or a case written by hand.

    Exit status 1 while the case still diverges (the minimal case is reported),
    0 when the candidate now agrees with the reference on it.
    """
    try:
        doc, stored = read_case_input(case_file)
        setup = prepare(task or _recorded_task(case_file, doc), candidate)
        config = CampaignConfig(
            seed=int(doc.get("seed", 0)), shrink_budget=shrink_budget, batch=2 * (jobs or default_jobs())
        )
        with open_runner(setup, jobs) as runner:  # minimize_case's, with the runs it made counted
            finding = minimize_stored(Judge(setup.spec, runner, setup.reference, setup.candidate), stored, config)
            executions = runner.executions
    except UserError as exc:
        _fail(str(exc))
    name = shown_command(setup.reference)
    if finding is None:
        if as_json:
            sys.stdout.write(
                json.dumps({"verdict": "equivalent", "task": setup.spec.name, "counterexample": None}) + "\n"
            )
        else:
            typer.echo(f"fuzzdiff {setup.spec.name}: the candidate agrees with the reference on this case")
        raise typer.Exit(0)
    artifacts: list[str] = []
    if out is not None:
        try:
            artifacts = write_artifacts(out, [finding], setup.spec, config.seed, setup.reference, setup.candidate)
        except OSError as exc:  # the report below still carries the whole finding
            typer.echo(f"fuzzdiff: warning: cannot write artefacts to {out}: {exc}; pick another --out", err=True)
    result = CampaignResult(setup.spec.name, config.seed, 1, 0.0, 1, executions, (finding,), warnings=setup.warnings)
    words = ["fuzzdiff", "minimize", str(case_file.resolve()), "--candidate", candidate]
    if task is not None:
        words += ["--task", _task_argument(task)]
    if shrink_budget != SHRINK_BUDGET:
        words += ["--shrink-budget", str(shrink_budget)]
    reproduce = shlex.join(words)
    if as_json:
        obj = json_report(result, setup.reference.argv, setup.candidate.argv, artifacts)
        obj["reproduce"] = reproduce
        sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    else:
        typer.echo(text_report(result, name, reproduce, artifacts))
    raise typer.Exit(1)


def _recorded_task(case_file: Path, doc: dict[str, Any]) -> str:
    """The task a case file was written with: its task file where that still exists,
    else its name when that is a shipped task's and the file was the shipped one
    (a case file moved to another machine). A task file that is gone is not
    swapped for a shipped task that happens to share its name."""
    name, recorded = str(doc.get("task", "")), str(doc.get("task_file", "") or "")
    if not recorded and not name:
        raise UserError(f"case file {case_file} names no task; give --task")
    if not recorded or Path(recorded).is_file():
        return recorded or name
    if name in shipped_tasks() and Path(recorded).name == f"{name}.toml" and Path(recorded).parent.name == "references":
        return name
    if recorded.startswith("<"):  # "<mined from seq --help>": fuzz --reference, no file
        command = recorded[1:-1].split(" from ", 1)[-1].removesuffix(" --help")
        make = (
            f"fuzzdiff task init {command} --out task.toml"
            if recorded.startswith("<mined")
            else f"fuzzdiff task build {command} --seed {doc.get('seed', 1)} --out task.toml"
        )
        raise UserError(
            f"case file {case_file} was written with a task made from a program on the fly ({recorded}), "
            f"kept in no file; make it one with `{make}` and give --task task.toml"
        )
    raise UserError(f"case file {case_file} was written with task file {recorded}, which does not exist; give --task")


@app.command()
@_internal_errors("replay")
def replay(
    corpus_dir: Annotated[Path, typer.Argument(help="A corpus directory (corpora/TASK).")],
    candidate: Annotated[str, typer.Option("--candidate", "-c", help="The candidate's command line.")],
    task: Annotated[str | None, typer.Option(help="Task name or file (default: the corpus's task).")] = None,
    rerun_reference: Annotated[
        bool, typer.Option("--rerun-reference", help="Also run the installed reference and check it still agrees.")
    ] = False,
    jobs: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: all cores).")] = None,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
    sandbox: Annotated[
        bool, typer.Option("--sandbox/--no-sandbox", help="Run the candidate in a bubblewrap sandbox.")
    ] = False,
    mask_reference: MaskReference = False,
) -> None:
    """Replay a corpus against a candidate: exit 0 when every case passes, 1 otherwise
    (2 when a case file cannot be read)."""
    if junit is not None and junit.is_dir():
        _fail(f"--junit {junit} is a directory; give the report's file path (such as {junit / 'report.xml'})")
    try:
        _mask_needs_sandbox(mask_reference, sandbox)
        stored = require_cases(load_corpus(corpus_dir))
        try:
            setup = prepare(task or stored.manifest.task, candidate, need_reference=rerun_reference)
        except SpecError as exc:
            if task is not None:
                raise
            raise SpecError(f"{exc} (the task {corpus_dir / MANIFEST} names; give --task)") from exc
        # The runner of a campaign (workers, sandboxes, fork-servers); the stored
        # outcomes stand in for the reference's, which runs only with --rerun-reference.
        hide = (str(corpus_dir.resolve()), *git_dirs([corpus_dir]))  # the stored outcomes are the answers
        with open_runner(setup, jobs, sandbox, mask_reference, StoredOutcomes(stored), hide) as runner:
            for warning in runner.warnings:
                typer.echo(f"fuzzdiff: warning: {warning}", err=True)
            installed = setup.reference if setup.reference_installed else None  # None: not compared
            result = replay_on(stored, setup.spec, runner, setup.candidate, installed, rerun_reference=rerun_reference)
    except UserError as exc:
        _fail(str(exc))
    unwritten = ""
    if junit is not None:
        try:
            write_atomic(junit, junit_xml(result, setup.spec.name, setup.reference.argv0).encode())
        except OSError as exc:
            unwritten = f"cannot write the JUnit report {junit}: {exc}; pick another --junit"
    if as_json:
        sys.stdout.write(json.dumps(replay_json(result), ensure_ascii=False) + "\n")
    else:
        typer.echo(replay_text(result, setup.reference.argv0))
    if unwritten:  # a CI job asked for a report: without it, it must not pass (it said warning, exit 0)
        _fail(unwritten)
    _unreadable(corpus_dir, result.load_errors, "the other cases were replayed (above)")
    raise typer.Exit(0 if result.ok else 1)


corpus_app = typer.Typer(help="Record, reduce and inspect regression corpora.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")


@corpus_app.command("record")
@_internal_errors("corpus record")
def corpus_record(
    task: Annotated[str, typer.Argument(help="A shipped task name or task file.")],
    out: Annotated[Path, typer.Option(help="The corpus directory to add to (created if missing).")],
    budget: Annotated[int, typer.Option(min=1, help="Cases to record: the edge sweep, then fresh generation.")] = 2000,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the generated cases.")] = 1,
    jobs: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: all cores).")] = None,
    reduce_after: Annotated[bool, typer.Option("--reduce/--no-reduce", help="Reduce after recording.")] = True,
    by_options: Annotated[
        bool, typer.Option("--by-options", help="When reducing, keep one case per behaviour and option set.")
    ] = False,
) -> None:
    """Run the reference on generated cases and store them with its outcomes."""
    try:
        setup = prepare(task, "true")
        writer = CorpusWriter(out, setup.spec, setup.reference)
        # as a campaign's workers run it: without capabilities (as root, chmod went
        # into a directory it had made mode 000, and the corpus failed in `replay`)
        executor = LocalExecutor(dict(setup.spec.env), setup.spec.limits, confine=shed_capabilities)
        recorded = run_record(
            writer, executor, list(case_stream(setup.spec, seed, budget)), jobs=jobs or default_jobs()
        )
        typer.echo(f"recorded {len(recorded.added)} cases in {out} ({len(recorded.errors)} could not run)")
        if recorded.faulted:
            typer.echo(
                f"not recorded: {len(recorded.faulted)} cases on which the reference faulted on memory"
                " or passed a run limit"
            )
        if reduce_after:
            reduced = reduce_corpus(load_corpus(out), by_options=by_options)
            typer.echo(f"reduced {reduced.before} -> {reduced.after} cases")
    except UserError as exc:
        _fail(str(exc))


@corpus_app.command("reduce")
@_internal_errors("corpus reduce")
def corpus_reduce(
    corpus_dir: Annotated[Path, typer.Argument(help="A corpus directory.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report only; delete nothing.")] = False,
    by_options: Annotated[
        bool, typer.Option("--by-options", help="Keep one case per behaviour and set of options used.")
    ] = False,
) -> None:
    """Keep the smallest case of each reference behaviour and every divergence."""
    try:
        stored = load_corpus(corpus_dir)
        reduced = reduce_corpus(stored, dry_run=dry_run, by_options=by_options)
    except UserError as exc:
        _fail(str(exc))
    kept, removed = ("would keep", "would remove") if dry_run else ("kept", "removed")
    typer.echo(
        f"{corpus_dir}: {reduced.before} cases, {kept} {reduced.after}, {removed} {reduced.before - reduced.after}"
    )
    for err in stored.errors:
        typer.echo(f"error: {err}", err=True)
    _unreadable(corpus_dir, stored.errors, "they were left as they are")


@corpus_app.command("refresh")
@_internal_errors("corpus refresh")
def corpus_refresh(
    corpus_dir: Annotated[Path, typer.Argument(help="A corpus directory (corpora/TASK).")],
    task: Annotated[str | None, typer.Option(help="Task name or file (default: the corpus's task).")] = None,
    jobs: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: all cores).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report only; write nothing.")] = False,
) -> None:
    """Run the installed reference on every stored case again and store its outcome
    where it changed (after fuzzdiff learned to observe more, such as file modes).
    Refused for another reference binary than the corpus was recorded with."""
    try:
        stored = require_cases(load_corpus(corpus_dir))
        setup = prepare(task or stored.manifest.task, "true")
        writer = CorpusWriter(corpus_dir, setup.spec, setup.reference)
        executor = LocalExecutor(dict(setup.spec.env), setup.spec.limits, confine=shed_capabilities)
        result = run_refresh(writer, executor, stored, jobs=jobs or default_jobs(), dry_run=dry_run)
    except UserError as exc:
        _fail(str(exc))
    verb = "would update" if dry_run else "updated"
    typer.echo(f"{corpus_dir}: {verb} {len(result.updated)} of {result.cases} cases")
    if result.unstable:
        typer.echo(f"left as stored: {len(result.unstable)} cases on which two runs of the reference differed")
    for key, error in result.errors:
        typer.echo(f"not refreshed: {key}: {error}")
    for bad in stored.errors:  # left as they are: nothing to run
        typer.echo(f"not refreshed: {bad.file}: {bad.message}")
    _unreadable(corpus_dir, stored.errors, "they were left as they are")
    raise typer.Exit(1 if result.errors else 0)


@corpus_app.command("stats")
@_internal_errors("corpus stats")
def corpus_stats(
    corpus_dir: Annotated[Path, typer.Argument(help="A corpus directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Size, behaviours, exit classes and options covered."""
    try:
        stored = load_corpus(corpus_dir)
    except UserError as exc:
        _fail(str(exc))
    figures = corpus_figures(stored)
    if as_json:
        sys.stdout.write(json.dumps(figures, ensure_ascii=False) + "\n")
    else:
        for key, value in figures.items():
            typer.echo(f"{key}: {value}")
    _unreadable(corpus_dir, stored.errors, "the figures above leave them out")


def default_corpus(task: str) -> Path:
    """Where campaigns record by default: a per-user corpus, never the committed one."""
    return data_home() / "corpora" / task


#: Options shared by `score` and `serve`: the sandbox and the reference's masking, both on.
ScoringSandbox = Annotated[
    bool, typer.Option("--sandbox/--no-sandbox", help="Run both programs in bubblewrap (default on).")
]
ScoringMask = Annotated[
    bool,
    typer.Option(
        "--mask-reference/--no-mask-reference",
        help="Hide the reference binary (and copies, and the task's `mask` programs) from the candidate; "
        "--no-mask-reference lets wrappers of the reference score, which is a cheat in training.",
    ),
]


@app.command()
@_internal_errors("score")
def score(
    task: Annotated[str, typer.Argument(help="A shipped task name or the path of a task file.")],
    candidate: Annotated[list[str], typer.Option("--candidate", "-c", help="A candidate command; repeat for more.")],
    budget: Annotated[int, typer.Option(min=1, help="Cases per candidate, all phases together.")] = DEFAULT_BUDGET,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the fuzzing phase.")] = 0,
    policy: Annotated[str, typer.Option(help="binary (1 only when nothing diverges) or graded.")] = "binary",
    jobs: Annotated[
        int | None,
        typer.Option(
            min=1, help="Worker processes (default: all cores); with several candidates, batch slots (cores + 1)."
        ),
    ] = None,
    pool: Annotated[
        bool,
        typer.Option(
            "--pool/--no-pool",
            help="Also try the shared pool of other candidates' findings (off: a score depends only on its inputs).",
        ),
    ] = False,
    sandbox: ScoringSandbox = True,
    mask_reference: ScoringMask = True,
    deadline: Annotated[
        float,
        typer.Option(min=0.001, help="Seconds each candidate may take before its score stops (status deadline)."),
    ] = DEADLINE,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per candidate on stdout.")] = False,
    use_ray: Annotated[
        bool, typer.Option("--ray", help="Score on Ray, one candidate per actor call (a local Ray runtime).")
    ] = False,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address", metavar="ADDR", help="Score on this Ray cluster (HOST:PORT, ray://HOST:PORT or auto)."
        ),
    ] = None,
) -> None:
    """Score candidates as a reward oracle: one result per candidate, in the order given.

    With --ray or --ray-address, candidates are scored in parallel on Ray with
    the same results as --no-pool locally (the pool is not used there); --jobs
    is then worker processes per candidate (default 1).

    Exit status 0 when every candidate was scored (whatever its reward), 1 when
    any score is an infrastructure error or hit its deadline, 2 for usage errors, 3 for an
    internal error (a bug in fuzzdiff).
    """
    if policy not in POLICIES:
        _fail(f"unknown --policy {policy!r}; choose one of {', '.join(POLICIES)}")
    try:
        spec = load_task(task)
        for cmd in candidate:  # one that cannot start is a usage error, not a reward of 0
            prepare(spec, cmd)
    except UserError as exc:
        _fail(str(exc))
    failed = False
    if use_ray or ray_address is not None:
        from fuzzdiff.oracle.distributed import score_ray  # Ray is an optional extra: imported only when asked for

        if pool:
            typer.echo("fuzzdiff: note: --ray scores without the shared pool (as --no-pool does locally)", err=True)
        try:
            scores = score_ray(
                task,
                candidate,
                address=ray_address,
                budget=budget,
                seed=seed,
                policy=policy,
                jobs=jobs or 1,
                sandbox=sandbox,
                mask_reference=mask_reference,
            )
        except UserError as exc:
            _fail(str(exc))
        results = iter(scores)
    elif len(candidate) == 1:
        results = iter(
            [
                oracle_score(
                    task,
                    candidate[0],
                    budget=budget,
                    seed=seed,
                    policy=policy,
                    jobs=jobs,
                    use_pool=pool,
                    sandbox=sandbox,
                    mask_reference=mask_reference,
                    deadline=deadline,
                )
            ]
        )
    else:  # several: side by side on warm slots (``oracle.batch``), the same scores as one by one
        from fuzzdiff.oracle.batch import BatchScorer, Request

        requests = [
            Request(task, Candidate(command=cmd), budget=budget, seed=seed, policy=policy, deadline=deadline)
            for cmd in candidate
        ]
        with BatchScorer(slots=jobs, sandbox=sandbox, mask_reference=mask_reference, use_pool=pool) as scorer:
            results = iter(scorer.score_batch(requests))
    for cmd, result in zip(candidate, results, strict=True):
        failed = failed or result.status != "ok"
        if as_json:
            sys.stdout.write(json.dumps({"candidate": cmd, **result.to_json()}, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            reward = "none" if result.reward is None else f"{result.reward:g}"
            typer.echo(f"{cmd}: reward {reward} ({result.status}, {result.cases} cases, {result.seconds:.1f} s)")
            typer.echo("  " + (result.feedback or result.error).replace("\n", "\n  "))
            if result.launches:
                typer.echo("  " + launch_summary(result.launches))
    raise typer.Exit(1 if failed else 0)


#: Third-party modules of the ``serve`` extra; a missing one gets the install hint.
SERVE_EXTRA = frozenset({"fastapi", "uvicorn", "starlette", "pydantic", "anyio", "h11"})


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind; loopback unless you mean to expose it.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8080,
    max_concurrency: Annotated[
        int, typer.Option(min=1, help="Requests scored at once; one more is answered 503 busy.")
    ] = 4,
    jobs: Annotated[
        int | None,
        typer.Option(min=1, help="Slots of the shared batch scorer, a warm worker each (default: cores + 1)."),
    ] = None,
    deadline: Annotated[
        float, typer.Option(min=0.001, help="Seconds each candidate may take; a request may ask for less.")
    ] = DEADLINE,
    pool: Annotated[
        bool, typer.Option("--pool/--no-pool", help="Default for the shared pool of findings (off: reproducible).")
    ] = False,
    sandbox: ScoringSandbox = True,
    mask_reference: ScoringMask = True,
    max_body: Annotated[int, typer.Option(min=1, help="Largest request body in bytes (413 beyond).")] = 1 << 20,
    max_batch: Annotated[int, typer.Option(min=1, help="Most candidates in one request (413 beyond).")] = 64,
    max_budget: Annotated[int, typer.Option(min=1, help="Largest budget a request may ask for.")] = 20_000,
    allow_task_files: Annotated[
        bool, typer.Option("--allow-task-files", help="Also accept task file paths, not only shipped task names.")
    ] = False,
) -> None:
    """Serve the reward oracle over HTTP: GET /health, POST /score (see docs/scale-out.md)."""
    try:
        from fuzzdiff.oracle.serve import ServiceConfig, run
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in SERVE_EXTRA:
            raise
        _fail(f"`fuzzdiff serve` needs the serve extra ({exc.name} is missing): pip install 'fuzzdiff[serve]'")
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(
            f"fuzzdiff: warning: listening on {host}: anyone who can reach it can run commands here"
            + ("" if sandbox else ", unsandboxed"),
            err=True,
        )
    config = ServiceConfig(
        max_concurrency=max_concurrency,
        jobs=jobs,
        use_pool=pool,
        sandbox=sandbox,
        mask_reference=mask_reference,
        max_body=max_body,
        max_batch=max_batch,
        max_budget=max_budget,
        deadline=deadline,
        allow_task_files=allow_task_files,
    )
    run(config, host=host, port=port)


def shown_command(reference: Program) -> str:
    """How reports show the reference's command: its name and fixed arguments (``od -An``)."""
    return shell_argv(reference.argv0, [os.fsencode(a) for a in reference.argv[1:]])


def mined_spec(reference: str, probe_seed: int | None = None) -> TaskSpec:
    """A task mined from the reference's --help (see ``fuzzdiff task init``), and
    probed with ``probe_seed`` unless it is None (see ``fuzzdiff task build``)."""
    try:
        words = shlex.split(reference)
    except ValueError as exc:
        raise UserError(f"cannot split --reference {reference!r}: {exc}") from exc
    if not words:
        raise UserError("--reference is empty; give the reference program's command")
    if probe_seed is not None:
        return cached_build(words, seed=probe_seed, budget=PROBE_BUDGET)
    return parse_task(mine_task(words), f"<mined from {reference} --help>")


task_app = typer.Typer(help="Write and check task files.", no_args_is_help=True)
#: `task build openssl dgst -sha256`: an option fuzzdiff does not have is the
#: program's; one it has (--out, --seed) goes after `--` to be the program's.
_PROGRAM_ARGS = {"ignore_unknown_options": True}
app.add_typer(task_app, name="task")


def _no_overwrite(path: Path | None, force: bool) -> None:
    """A ``UserError`` where ``path`` exists and ``force`` is off: a task file may
    hold a person's edits, which `task init` and `task build` replaced silently."""
    if path is not None and not force and (path.exists() or path.is_symlink()):
        raise UserError(f"{path} exists and may hold your edits; give --force to replace it, or another --out")


def _program_first(command: list[str], ctx: typer.Context) -> None:
    """A ``UserError`` where the first word is an option: it is not one of this
    command's (options before the program are), so it is a typo (`task build
    --outt x.toml col` said "program '--outt' was not found on PATH")."""
    word = command[0] if command else ""
    if not word.startswith("-") or word == "-":
        return
    own = sorted({o for p in ctx.command.params for o in getattr(p, "opts", ()) if o.startswith("--")})
    close = difflib.get_close_matches(word.split("=", 1)[0], own, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    raise UserError(
        f"no such option: {word}; {hint}options of `fuzzdiff task {ctx.info_name}` go before the program, "
        "the program's own after it (or after `--`)"
    )


def _file_target(path: Path | None, flag: str) -> None:
    """A ``UserError`` before any work where ``path`` cannot be a file: it is a
    directory, or a folder on its way is a file (`task build` probed for a minute
    and then failed with a raw errno and a temporary name)."""
    if path is None:
        return
    if path.is_dir():
        raise UserError(f"{flag} {path} is a directory; give a file path, such as {path / 'NAME.toml'}")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UserError(f"{flag} {path}: {parent} is a file, not a directory; pick another {flag}")
            break


@task_app.command("init", context_settings=_PROGRAM_ARGS)
def task_init(
    ctx: typer.Context,
    command: Annotated[list[str], typer.Argument(help="The reference program (and any fixed arguments).")],
    out: Annotated[Path | None, typer.Option(help="Where to write the task file (default: stdout).")] = None,
    name: Annotated[str | None, typer.Option(help="The task's name (default: the program's name).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the --out file if it exists.")] = False,
) -> None:
    """Mine a task file from a program's --help, for a person to refine."""
    try:
        _program_first(command, ctx)
        _file_target(out, "--out")
        _no_overwrite(out, force)
        text = task_toml(mine_task(command, name))
    except UserError as exc:
        _fail(str(exc))
    if out is None:
        sys.stdout.write(text)
    else:
        try:
            write_atomic(out, text.encode())
        except OSError as exc:
            _fail(f"cannot write {out}: {exc}; pick another --out")
        typer.echo(f"wrote {out}; review its value ranges, operands and constraints (references/README.md)")


@task_app.command("build", context_settings=_PROGRAM_ARGS)
def task_build(
    ctx: typer.Context,
    command: Annotated[list[str], typer.Argument(help="The reference program (and any fixed arguments).")],
    out: Annotated[Path | None, typer.Option(help="Where to write the task file (default: NAME.toml here).")] = None,
    name: Annotated[str | None, typer.Option(help="The task's name (default: the program's name).")] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed for probing and calibration.")] = 1,
    probe_budget: Annotated[int, typer.Option(min=0, help="Reference runs probing may spend.")] = PROBE_BUDGET,
    cases: Annotated[int, typer.Option(min=1, help="Cases calibration runs (each twice).")] = 300,
    hermetic: Annotated[
        bool | None,
        typer.Option(
            "--hermetic/--no-hermetic",
            help="Frozen clock and seeded randomness (default: only if the reference varies without).",
        ),
    ] = None,
    corpus: Annotated[
        Path | None, typer.Option(help="Corpus to record the reference's behaviours in (default: NAME.corpus here).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the quality card as JSON.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace the task file if it exists.")] = False,
) -> None:
    """Mine, probe and calibrate a program into a task file, a corpus and a quality card.

    Words after the program are its fixed arguments (`task build openssl dgst
    -sha256`); one that is also an option here (--out, --seed) goes after `--`.

    Exit status 2 when the program cannot be a task (nothing accepted, or it does not repeat itself)."""
    try:
        _program_first(command, ctx)
        _file_target(out, "--out")
        _no_overwrite(out or Path(f"{name or command_task_name(command)}.toml"), force)
        built = build(command, name=name, seed=seed, budget=probe_budget, hermetic=hermetic, cases=cases)
        _no_overwrite(out or Path(f"{built.spec.name}.toml"), force)  # one made while it was built
    except UserError as exc:
        _fail(str(exc))
    if built.unusable:
        if as_json:
            typer.echo(json.dumps({"card": built.card.json(), "unusable": built.unusable}))
        _fail(f"cannot build a task: {built.unusable}")
    path = out or Path(f"{built.spec.name}.toml")
    where = corpus or path.with_suffix(".corpus")
    try:
        write_atomic(path, built.toml().encode())
        write_atomic(path.with_suffix(".card.json"), (json.dumps(built.card.json(), indent=2) + "\n").encode())
        writer = CorpusWriter(where, load_task(str(path)), reference_program(built.spec))
        for case, outcome in built.novel:
            writer.add(case, outcome)
    except (OSError, UserError) as exc:
        _fail(f"cannot write the task: {exc}; pick another --out or --corpus")
    if as_json:
        typer.echo(json.dumps({"card": built.card.json(), "task": str(path), "corpus": str(where)}))
        return
    typer.echo(built.card.text())
    typer.echo(f"wrote {path} (review its comments), {path.with_suffix('.card.json')} and corpus {where}")
    shown, corpus_shown = shlex.quote(str(path)), shlex.quote(str(where))
    typer.echo(f"next: fuzzdiff fuzz {shown} --candidate 'YOUR COMMAND'")
    typer.echo(f"      fuzzdiff replay {corpus_shown} --task {shown} --candidate 'YOUR COMMAND'")


@task_app.command("library")
def task_library(
    manifest: Annotated[
        Path, typer.Argument(help="The library's manifest ([[program]] tables).")
    ] = library.DEFAULT_MANIFEST,
    only: Annotated[
        list[str] | None, typer.Option(help="Only these programs of the manifest (repeatable, or comma-separated).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Build again what the builder owns.")] = False,
    seed: Annotated[int, typer.Option(min=0, help="Seed for probing, calibration and corpora.")] = 1,
    cases_per_corpus: Annotated[int, typer.Option(min=1, help="Stable cases each corpus must hold.")] = (
        library.CASES_PER_CORPUS
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per program.")] = False,
) -> None:
    """Build every task of the library's manifest: task file, quality card and corpus.

    Only what is missing is made; programs not installed or not usable are skipped with the reason."""
    try:
        entries = library.load_manifest(manifest)
        lib = library.Library.beside(manifest, seed=seed, cases_per_corpus=cases_per_corpus)

        def done(r: library.Result) -> None:
            if as_json:
                typer.echo(json.dumps(library.result_json(r)))
            else:
                typer.echo(f"{r.name}: {r.status}" + (f" ({r.reason})" if r.reason else ""), err=True)

        names = [n.strip() for given in only or () for n in given.split(",") if n.strip()]
        if only is not None and not names:
            raise UserError(f"--only {','.join(only)!r} names no program; give names from the manifest")
        results = library.build_library(
            lib,
            entries,
            only=names,
            force=force,
            progress=lambda m: typer.echo(m, err=True),
            done=done,
        )
    except UserError as exc:
        _fail(str(exc))
    if not as_json:
        typer.echo(library.summary_text(results))


@task_app.command("card")
def task_card(
    task: Annotated[str, typer.Argument(help="A shipped task's name or a task file.")],
    cases: Annotated[int, typer.Option(min=1, help="Cases calibration runs (each twice).")] = 300,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the calibration's cases.")] = 1,
) -> None:
    """Compute an existing task's quality card and write it beside the task file (NAME.card.json)."""
    try:
        path = resolve_task_path(task)
        card = cards.card_for(load_task(task), seed=seed, cases=cases)
        where = cards.write_card(path, card)
    except UserError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write the card beside {task}: {exc}; check that folder's permissions")
    typer.echo(card.text())
    typer.echo(f"wrote {where}")


@app.command()
def tasks(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list, each task with its full card.")] = False,
    family: Annotated[str | None, typer.Option(help="Only the tasks of this family ('-': those without).")] = None,
) -> None:
    """List the shipped tasks with their quality cards and corpus sizes."""
    try:
        rows = cards.entries(family)
    except UserError as exc:
        _fail(str(exc))
    if as_json:
        sys.stdout.write(json.dumps([r.json() for r in rows], ensure_ascii=False) + "\n")
    else:
        typer.echo(cards.table(rows))


@app.command()
@_internal_errors("matrix")
def matrix(
    out: Annotated[Path, typer.Option(help="Directory for matrix.json, matrix.md, matrix.html and cells/.")],
    tasks: Annotated[
        str | None, typer.Option(help="Task names or files, separated by commas (default: every shipped task).")
    ] = None,
    family: Annotated[str | None, typer.Option(help="Only the shipped tasks of this family.")] = None,
    implementation: Annotated[
        list[str] | None,
        typer.Option(
            help="Another implementation, NAME=TEMPLATE with {name} for the program "
            '("mine=/opt/mine/bin/{name}"); repeat for more; a default\'s NAME replaces it.'
        ),
    ] = None,
    defaults: Annotated[
        bool, typer.Option("--defaults/--no-defaults", help="Include busybox, toybox and uutils.")
    ] = True,
    budget: Annotated[int, typer.Option(min=1, help="Cases per campaign (two campaigns per cell).")] = 300,
    seed: Annotated[int, typer.Option(min=0, help="Seed of every campaign.")] = 1,
    findings: Annotated[int, typer.Option(min=1, help="Distinct divergences to find per cell and view.")] = 5,
    shrink_budget: Annotated[
        int, typer.Option(min=0, help="Cases tried per divergence while shrinking.")
    ] = SHRINK_BUDGET,
    jobs: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: all cores).")] = None,
    check_replay: Annotated[
        bool, typer.Option("--check-replay/--no-check-replay", help="Run each repro script once to confirm it.")
    ] = True,
) -> None:
    """Run each task's reference against other implementations of its program (a
    compatibility matrix); exit 0 once the pages are written, whatever they show."""
    try:
        impls = implementations(implementation or [], defaults)
        names = select_tasks(tasks, family)
    except UserError as exc:
        _fail(str(exc))
    settings = Settings(budget, seed, findings, shrink_budget, jobs, check_replay)
    try:
        build_matrix(names, impls, out, settings, lambda cell: typer.echo(cell_line(cell), err=True))
    except OSError as exc:
        _fail(f"cannot write the matrix to {out}: {exc}; pick another --out")
    typer.echo(f"wrote {out / 'matrix.html'}, {out / 'matrix.md'} and {out / 'matrix.json'}")


#: Exit status of a run ended by SIGTERM (128 + SIGTERM, as a shell gives).
TERMINATED = 128 + signal.SIGTERM


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(TERMINATED)


def main() -> None:
    """Entry point. Click reports bad flags itself (exit 2); our own user errors are
    caught here too, in case one escapes a command, and so is anything else (exit 3).
    The process is made non-dumpable first: no candidate may trace it or read its
    environment (see docs/isolation.md)."""
    with contextlib.suppress(OSError):
        undumpable()
    # SIGTERM (a training loop's or CI's timeout) ends the process as an exit does, so
    # what it made is cleaned up (a scored candidate's source, its sandboxes); by
    # default Python dies at once and leaves them for the next process's sweep
    signal.signal(signal.SIGTERM, _terminated)
    try:
        app()
    except UserError as exc:
        sys.stderr.write(f"fuzzdiff: error: {exc}\n")
        sys.exit(exc.exit_code)
    except Exception as exc:  # outside any command (each names its own): still not status 1
        if debugging():
            traceback.print_exception(exc, file=sys.stderr)
        sys.stderr.write(f"fuzzdiff: internal error (a bug in fuzzdiff): {describe(exc)}\n")
        sys.exit(EXIT_INTERNAL)
