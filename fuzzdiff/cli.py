"""The ``fuzzdiff`` command line. It parses flags, shows progress and prints
reports; everything it decides comes from the engine's events and results.

Exit status: 0 equivalent within the budget, 1 divergence found, 2 usage or
configuration error (one line naming the problem and the fix; no traceback).
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import sys
import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from .api import fuzz_events, minimize_case, prepare
from .artifacts import read_case_file, write_artifacts
from .engine import CampaignConfig
from .errors import UserError
from .model import CampaignResult, Finished, Found, Progress, Shrunk
from .report import json_report, text_report
from .runner import default_jobs
from .spec import shipped_tasks

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Differential fuzzing: does a candidate program behave exactly like its reference?",
)


def _fail(message: str) -> NoReturn:
    typer.echo(f"fuzzdiff: error: {message}", err=True)
    raise typer.Exit(2)


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


@app.command()
def fuzz(
    task: Annotated[str, typer.Argument(help="A shipped task name (see `fuzzdiff tasks`) or the path of a task file.")],
    candidate: Annotated[
        str, typer.Option("--candidate", "-c", help="The candidate's command line, split like a shell.")
    ],
    budget: Annotated[int, typer.Option(min=1, help="Cases to generate at most.")] = 1000,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Seed for a reproducible run; printed when not given.")
    ] = None,
    jobs: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: all cores).")] = None,
    out: Annotated[Path | None, typer.Option(help="Directory for artefacts: case JSON and repro.sh.")] = None,
    max_divergences: Annotated[int, typer.Option(min=1, help="Distinct divergences to find before stopping.")] = 1,
    shrink_budget: Annotated[int, typer.Option(min=0, help="Cases tried per divergence while shrinking.")] = 2000,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout and nothing else there.")
    ] = False,
) -> None:
    """Fuzz a candidate against a task's reference program."""
    if seed is None:
        seed = secrets.randbelow(2**31)
        typer.echo(f"fuzzdiff: seed {seed}", err=True)
    try:
        setup = prepare(task, candidate)
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
    )
    progress = _Progress(sys.stderr.isatty() and not as_json, budget)
    result: CampaignResult | None = None
    try:
        for event in fuzz_events(setup, config, jobs):
            if isinstance(event, Progress):
                progress.show(event)
            elif isinstance(event, Found):
                progress.note(f"divergence at case #{event.index}: {event.divergence.fingerprint}; shrinking…")
            elif isinstance(event, Shrunk):
                progress.note(f"shrunk to {event.finding.divergence.case.size()} bytes")
            elif isinstance(event, Finished):
                result = event.result
    except UserError as exc:
        progress.clear()
        _fail(str(exc))
    progress.clear()
    assert result is not None
    artifacts: list[str] = []
    if out is not None and result.findings:
        artifacts = write_artifacts(out, result.findings, setup.spec, seed, setup.reference, setup.candidate)
    reproduce = _reproduce_command(task, candidate, budget, seed, max_divergences)
    if as_json:
        obj = json_report(result, setup.reference.argv, setup.candidate.argv, artifacts)
        obj["reproduce"] = reproduce
        sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    else:
        typer.echo(text_report(result, setup.reference.argv0, reproduce, artifacts))
    raise typer.Exit(1 if result.findings else 0)


def _reproduce_command(task: str, candidate: str, budget: int, seed: int, max_divergences: int) -> str:
    task_arg = task if task in shipped_tasks() else os.path.abspath(task)
    words = ["fuzzdiff", "fuzz", task_arg, "--candidate", candidate, "--budget", str(budget), "--seed", str(seed)]
    if max_divergences != 1:
        words += ["--max-divergences", str(max_divergences)]
    return shlex.join(words)


@app.command()
def minimize(
    case_file: Annotated[Path, typer.Argument(help="A case-N.json written by `fuzzdiff fuzz --out`.")],
    candidate: Annotated[str, typer.Option("--candidate", "-c", help="The candidate's command line.")],
    task: Annotated[str | None, typer.Option(help="Task name or file (default: the one recorded in the case).")] = None,
    jobs: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: all cores).")] = None,
    out: Annotated[Path | None, typer.Option(help="Directory for the shrunk case and repro.sh.")] = None,
    shrink_budget: Annotated[int, typer.Option(min=1, help="Cases tried while shrinking.")] = 2000,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Shrink a stored case again, for a new candidate or a case written by hand.

    Exit status 1 while the case still diverges (the minimal case is reported),
    0 when the candidate now agrees with the reference on it.
    """
    try:
        doc, stored = read_case_file(case_file)
        recorded = str(doc.get("task_file", ""))
        setup = prepare(task or (recorded if Path(recorded).is_file() else str(doc.get("task", ""))), candidate)
        config = CampaignConfig(
            seed=int(doc.get("seed", 0)), shrink_budget=shrink_budget, batch=2 * (jobs or default_jobs())
        )
        finding = minimize_case(setup, stored.case, config, jobs)
    except UserError as exc:
        _fail(str(exc))
    name = setup.reference.argv0
    if finding is None:
        if as_json:
            sys.stdout.write(
                json.dumps({"verdict": "equivalent", "task": setup.spec.name, "counterexample": None}) + "\n"
            )
        else:
            typer.echo(f"fuzzdiff {setup.spec.name}: the candidate agrees with the reference on this case")
        raise typer.Exit(0)
    artifacts = (
        write_artifacts(out, [finding], setup.spec, config.seed, setup.reference, setup.candidate) if out else []
    )
    result = CampaignResult(setup.spec.name, config.seed, 1, 0.0, 1, 0, (finding,), warnings=setup.warnings)
    reproduce = shlex.join(["fuzzdiff", "minimize", str(case_file.resolve()), "--candidate", candidate])
    if as_json:
        obj = json_report(result, setup.reference.argv, setup.candidate.argv, artifacts)
        obj["reproduce"] = reproduce
        sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    else:
        typer.echo(text_report(result, name, reproduce, artifacts))
    raise typer.Exit(1)


@app.command()
def tasks() -> None:
    """List the shipped tasks."""
    from .spec import load_task

    for name in shipped_tasks():
        try:
            spec = load_task(name)
            typer.echo(f"{name:12} {spec.description}")
        except UserError as exc:
            typer.echo(f"{name:12} (broken: {exc})")


def main() -> None:
    """Entry point. Click reports bad flags itself (exit 2); our own user errors are
    caught here too, in case one escapes a command."""
    try:
        app()
    except UserError as exc:
        sys.stderr.write(f"fuzzdiff: error: {exc}\n")
        sys.exit(2)
