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

from .api import fuzz_events, prepare
from .artifacts import write_artifacts
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
