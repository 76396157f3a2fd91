"""The compatibility matrix: every task's reference against other implementations
of the same program (busybox, toybox, uutils, a user's own), one campaign per
cell and view, written as ``matrix.json``, ``matrix.md`` and ``matrix.html``.

A cell is one task and one implementation. Where the implementation lacks the
task's program the cell is *not provided* and nothing runs. Otherwise it gets
two campaigns of the same seed and budget through ``api.fuzz_events``: the full
view compares every channel the task compares, the second view only stdout and
the exit status (what a script piping the tool notices). Each view keeps up to
K distinct divergences by fingerprint, shrunk, with ``case-N.json`` and
``repro-N.sh`` under ``DIR/cells/TASK/IMPL/`` (the second view's under
``stdout-exit/`` there); each repro script is run once to record that it
replays. The pages are rendered by ``core.matrix_page`` from the JSON document.

Besides the campaigns, this module starts two kinds of process, neither for a
case: an implementation's listing of its programs (``busybox --list``), once
per executable, and each counterexample's ``repro-N.sh``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fuzzdiff.api import Setup, fuzz_events, prepare
from fuzzdiff.core.errors import UserError
from fuzzdiff.core.matrix_page import (
    MATRIX_FORMAT,
    MATRIX_VERSION,
    NARROW,
    VIEWS,
    cell_page,
    divergence_summary,
    html_page,
    markdown_page,
)
from fuzzdiff.core.model import CampaignResult, Finished, Verdict
from fuzzdiff.core.report import describe_case, describe_divergence
from fuzzdiff.core.spec import TaskSpec, load_task, resolve_task_path, shipped_tasks
from fuzzdiff.core.version import __version__
from fuzzdiff.engine.campaign import CampaignConfig
from fuzzdiff.factory.cards import NO_FAMILY
from fuzzdiff.run.program import program_name
from fuzzdiff.run.runner import default_jobs
from fuzzdiff.store.artifacts import write_artifacts, write_atomic

#: The implementations a matrix covers unless told otherwise: (name, template).
DEFAULT_IMPLEMENTATIONS = (("busybox", "busybox {name}"), ("toybox", "toybox {name}"), ("uutils", "coreutils {name}"))
#: Where a template puts the task's program name.
NAME_FIELD = "{name}"
#: Bytes of each output a cell's case files keep (the rest is cut, and the file says so): the
#: report is read and committed, and a 1 MiB flood made a case file of 2 MB.
KEPT_OUTPUT = 1 << 16
#: Seconds a listing of programs (``busybox --list``) may take: it prints a few KB at once.
LISTING_TIMEOUT = 10.0
#: Lines of a repro script's output kept in the cell: enough to see the difference.
REPLAY_LINES = 12
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True, slots=True)
class Implementation:
    """Another implementation: its label and the command template (``busybox {name}``)."""

    name: str
    template: str

    def command(self, program: str) -> str:
        return self.template.replace(NAME_FIELD, program)


@dataclass(frozen=True, slots=True)
class Settings:
    """What every cell's campaigns share."""

    budget: int = 300
    seed: int = 1
    findings: int = 5  # distinct divergences per view at most
    shrink_budget: int = 2000
    jobs: int | None = None
    check_replay: bool = True


def parse_implementation(text: str) -> Implementation:
    """``NAME=TEMPLATE`` (or a bare template, named after its first word) ->
    ``Implementation``; a ``UserError`` naming the fix otherwise."""
    name, sep, template = text.partition("=")
    if sep and not name.strip():
        raise UserError(f"--implementation {text!r} has an empty NAME before '='; give NAME=TEMPLATE")
    if not sep or not _SAFE_NAME.fullmatch(name.strip()):
        name, template = "", text
    template = template.strip()
    if NAME_FIELD not in template:
        raise UserError(
            f"--implementation {text!r} has no {NAME_FIELD}: write where the program's name goes, "
            'e.g. --implementation "mine=/opt/mine/bin/{name}" or "coreutils {name}"'
        )
    try:
        words = shlex.split(template)
    except ValueError as exc:
        raise UserError(f"cannot split --implementation {text!r}: {exc}; check its quotes") from exc
    if not words:
        raise UserError(f"--implementation {text!r} has an empty command; give NAME=TEMPLATE")
    if not name:
        name = os.path.basename(words[0].replace(NAME_FIELD, "")) or "custom"
    if not _SAFE_NAME.fullmatch(name):
        raise UserError(
            f"implementation name {name!r} is not usable as a directory name; "
            "give NAME=TEMPLATE with NAME made of letters, digits, '.', '_' and '-'"
        )
    return Implementation(name.strip(), template)


def implementations(extra: Sequence[str], defaults: bool = True) -> list[Implementation]:
    """The defaults (unless ``defaults`` is off) and the user's, a user's replacing a
    default of the same name; at least one."""
    found = {name: Implementation(name, template) for name, template in DEFAULT_IMPLEMENTATIONS} if defaults else {}
    given: set[str] = set()
    for text in extra:
        impl = parse_implementation(text)
        if impl.name in given:  # the last one silently won
            raise UserError(f"two --implementation options are named {impl.name!r}; give each its own NAME=")
        given.add(impl.name)
        found[impl.name] = impl
    if not found:
        raise UserError("no implementation to compare: give --implementation NAME=TEMPLATE or drop --no-defaults")
    return list(found.values())


def select_tasks(tasks: str | None, family: str | None) -> list[str]:
    """Task names or files from ``--tasks a,b`` or ``--family F`` (default: every
    shipped task); an unknown name is a ``UserError``."""
    if tasks is not None and family is not None:
        raise UserError("give --tasks or --family, not both")
    if tasks is not None:
        names = [t.strip() for t in tasks.split(",") if t.strip()]
        if not names:
            raise UserError("--tasks is empty; give task names separated by commas (see `fuzzdiff tasks`)")
        named: dict[str, str] = {}
        for name in names:
            resolve_task_path(name)
            try:
                spec_name = load_task(name).name
            except UserError:  # a broken task gets its own row, saying why
                continue
            if named.setdefault(spec_name, name) != name:  # their cells would share a directory
                raise UserError(
                    f"--tasks {named[spec_name]!r} and {name!r} are both named {spec_name!r}; "
                    "give a task file another `name`"
                )
        return list(dict.fromkeys(names))
    names = shipped_tasks()
    if family is None:
        return names
    wanted = "" if family.strip() == NO_FAMILY else family.strip().lower()  # as `tasks --family`
    chosen = [n for n in names if _family(n).lower() == wanted]
    if not chosen:
        known = sorted({f for f in map(_family, names) if f})
        raise UserError(f"no shipped task has family {family!r}; families: {', '.join(known) or 'none'}")
    return chosen


def _family(task: str) -> str:
    try:
        return load_task(task).family
    except UserError:
        return ""


class Listings:
    """Which programs a multi-call executable provides, asked once per executable."""

    def __init__(self) -> None:
        self.known: dict[str, frozenset[str] | None] = {}

    def programs(self, exe: str) -> frozenset[str] | None:
        """The programs ``exe`` lists, or None where it lists none in a way we know."""
        if exe not in self.known:
            self.known[exe] = _listing(exe)
        return self.known[exe]

    def missing(self, impl: Implementation, program: str) -> str | None:
        """Why ``impl`` does not provide ``program``, or None where it does (or cannot tell)."""
        words = shlex.split(impl.template)
        exe = words[0].replace(NAME_FIELD, program)
        runnable = os.path.isfile(exe) and os.access(exe, os.X_OK)
        found = shutil.which(exe) if os.sep not in exe else (exe if runnable else None)
        if found is None:
            where = "does not exist or is not executable" if os.sep in exe else "is not on PATH"
            return f"{exe} {where}"
        if NAME_FIELD in words[0]:
            return None
        for word in words[1:]:
            if NAME_FIELD in word and os.sep in word:  # a script per program: python3 /opt/x/{name}.py
                path = word.replace(NAME_FIELD, program)
                return None if os.path.exists(path) else f"{path} does not exist"
        listed = self.programs(os.path.abspath(found))
        if listed is None or program in listed:
            return None
        return f"{os.path.basename(found)} does not list {program}"


def _listing(exe: str) -> frozenset[str] | None:
    """busybox: ``--list``; toybox: no arguments; uutils' coreutils: ``--help``'s
    "Currently defined functions"; another executable: ``--list`` if it answers with
    one name a line. None where the answer is not one of those (cannot tell: every
    program counts as provided, and a missing one shows in its cell's divergences)."""
    base = os.path.basename(os.path.realpath(exe))
    if base == "toybox":
        return frozenset(_output([exe]).split())
    if base == "coreutils":
        _, sep, rest = _output([exe, "--help"]).partition("Currently defined functions:")
        return frozenset(re.split(r"[\s,]+", rest.strip())) - {""} if sep else None
    lines = _output([exe, "--list"]).split("\n")
    names = [line.strip() for line in lines if line.strip()]
    if base == "busybox" or (names and all(re.fullmatch(r"[\w.\[+-]+", n) for n in names)):
        return frozenset(names)
    return None


def _output(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=LISTING_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return "" if done.returncode != 0 else done.stdout.decode("utf-8", "replace")


def stdout_and_exit(spec: TaskSpec) -> TaskSpec:
    """The task comparing only stdout and the exit status (stderr and files ignored)."""
    modes = tuple((c, "ignore" if c in ("stderr", "files") else m) for c, m in spec.compare.modes)
    return replace(spec, compare=replace(spec.compare, modes=modes))


def _campaign(setup: Setup, settings: Settings) -> CampaignResult:
    jobs = settings.jobs or default_jobs()
    config = CampaignConfig(
        seed=settings.seed,
        budget=settings.budget,
        max_divergences=settings.findings,
        shrink=settings.shrink_budget > 0,
        shrink_budget=max(settings.shrink_budget, 1),
        batch=2 * jobs,
    )
    for event in fuzz_events(setup, config, jobs):
        if isinstance(event, Finished):
            return event.result
    raise AssertionError("a campaign always finishes with a Finished event")


def _clear_cell(folder: Path) -> None:
    """Remove the case files and scripts a previous matrix left here (ours only)."""
    if folder.is_dir():
        for path in folder.iterdir():
            if re.fullmatch(r"(case-\d+\.json|repro-\d+\.sh|README\.md)", path.name) and path.is_file():
                path.unlink()


def _replay(script: Path, timeout: float) -> tuple[bool, list[str]]:
    """Run a repro script once: whether it shows a difference (exit 1), and its first lines."""
    try:
        done = subprocess.run(
            ["sh", script.name], cwd=script.parent, stdin=subprocess.DEVNULL, capture_output=True,
            timeout=timeout, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return False, [f"timed out after {timeout:g} s"]
    lines = (done.stdout + done.stderr).decode("utf-8", "replace").splitlines()
    return done.returncode == 1, lines[:REPLAY_LINES]


def _view(result: CampaignResult, setup: Setup, folder: Path, root: Path, settings: Settings) -> dict[str, Any]:
    """One view's record: verdict, figures, and each blamed finding with its artefacts."""
    name = setup.reference.argv0
    blamed = result.blamed
    _clear_cell(folder)
    written = write_artifacts(
        folder, blamed, setup.spec, settings.seed, setup.reference, setup.candidate, keep_output=KEPT_OUTPUT
    )
    divergences = []
    for i, finding in enumerate(blamed):
        div = finding.divergence
        case_file, script = Path(written[2 * i]), Path(written[2 * i + 1])
        entry: dict[str, Any] = {
            "fingerprint": str(div.fingerprint),
            "channels": list(div.channels),
            "summary": divergence_summary(div, name),
            "details": [line.removeprefix("  ") for line in describe_case(div.case, name)] + describe_divergence(div),
            "confirmed": finding.confirmed,
            "case_file": case_file.relative_to(root.resolve()).as_posix(),
            "repro": script.relative_to(root.resolve()).as_posix(),
        }
        if settings.check_replay:
            # both programs under `timeout`, then the comparison: twice the task's limit and some slack
            entry["replays"], entry["replay_output"] = _replay(script, 2 * setup.spec.limits.timeout + 10)
        divergences.append(entry)
    return {
        "verdict": str(result.verdict),
        "cases": result.cases,
        "seconds": round(result.seconds, 2),
        "behaviours": result.behaviours,
        "limit_reached": len(blamed) >= settings.findings,
        "divergences": divergences,
        "set_aside": len(result.findings) - len(blamed),
    }


def run_cell(
    task: str, spec: TaskSpec | None, impl: Implementation, listings: Listings, out: Path, settings: Settings
) -> dict[str, Any]:
    """One task against one implementation: both views, or why there are none."""
    cell: dict[str, Any] = {"task": task, "implementation": impl.name}
    if spec is None:
        return {**cell, "status": "error", "reason": "the task file does not load (see the row's note)"}
    program = program_name(spec)
    reason = listings.missing(impl, program)
    if reason is not None:
        return {**cell, "status": "not-provided", "reason": reason}
    command = " ".join([impl.command(program), *map(shlex.quote, spec.args)])
    cell["command"] = command
    start = time.monotonic()
    try:
        setup = prepare(spec, command)
        folder = out / "cells" / spec.name / impl.name
        full = _campaign(setup, settings)
        narrow_setup = replace(setup, spec=stdout_and_exit(setup.spec))
        narrow = _campaign(narrow_setup, settings)
        views = {
            "full": _view(full, setup, folder, out, settings),
            NARROW: _view(narrow, narrow_setup, folder / "stdout-exit", out, settings),
        }
    except (UserError, OSError) as exc:
        return {**cell, "status": "error", "reason": str(exc), "seconds": round(time.monotonic() - start, 2)}
    verdict = full.verdict
    status = "divergent" if verdict is Verdict.DIVERGENT else str(verdict)
    return {
        **cell,
        "status": status,
        "views": views,
        "warnings": [*setup.warnings, *full.warnings],
        "seconds": round(time.monotonic() - start, 2),
    }


def _counts(cells: list[dict[str, Any]], impls: list[Implementation]) -> dict[str, dict[str, int]]:
    counts = {}
    for impl in impls:
        mine = [c for c in cells if c["implementation"] == impl.name]
        ran = [c for c in mine if "views" in c]
        counts[impl.name] = {
            "tasks": len(mine),
            "provided": sum(c["status"] != "not-provided" for c in mine),
            "not_provided": sum(c["status"] == "not-provided" for c in mine),
            "errors": sum(c["status"] == "error" for c in mine),
            "equivalent": sum(c["status"] == "equivalent" for c in mine),
            "divergent": sum(c["status"] == "divergent" for c in mine),
            "inconclusive": sum(c["status"] == "inconclusive" for c in mine),
            "equivalent_stdout_exit": sum(c["views"][NARROW]["verdict"] == "equivalent" for c in ran),
            **{f"divergences_{key}": sum(len(c["views"][view]["divergences"]) for c in ran) for key, view in VIEWS},
        }
    return counts


def _row(task: str) -> tuple[TaskSpec | None, dict[str, Any]]:
    """A task's spec (None where its file does not load) and its row's record."""
    try:
        spec = load_task(task)
    except UserError as exc:
        return None, {"task": task, "program": "", "family": "", "note": str(exc)}
    return spec, {"task": spec.name, "program": " ".join([program_name(spec), *spec.args]), "family": spec.family}


def cell_line(cell: dict[str, Any]) -> str:
    """One line of progress for a finished cell."""
    head = f"{cell['task']} × {cell['implementation']}: "
    if "views" not in cell:
        return head + f"{cell['status']} ({cell['reason']})"
    full, narrow = cell["views"]["full"], cell["views"][NARROW]
    return head + (
        f"{cell['status']}, {len(full['divergences'])} distinct divergence(s), "
        f"{len(narrow['divergences'])} on stdout+exit "
        f"({full['cases']} + {narrow['cases']} cases, {cell['seconds']:g} s)"
    )


def build_matrix(
    tasks: Sequence[str],
    impls: Sequence[Implementation],
    out: Path,
    settings: Settings,
    report: Callable[[dict[str, Any]], None] = lambda cell: None,
) -> dict[str, Any]:
    """Run every cell, write the artefacts, the JSON document and both pages under
    ``out``; returns the document. ``report`` is called with each cell as it ends."""
    out.mkdir(parents=True, exist_ok=True)
    listings = Listings()
    rows: list[dict[str, Any]] = []
    cells: list[dict[str, Any]] = []
    start = time.monotonic()
    for task in tasks:
        spec, row = _row(task)
        rows.append(row)
        for impl in impls:
            cell = run_cell(row["task"], spec, impl, listings, out, settings)
            cells.append(cell)
            if "views" in cell:
                folder = out / "cells" / cell["task"] / impl.name
                write_atomic(folder / "README.md", cell_page(cell, folder.relative_to(out).as_posix()).encode())
            report(cell)
    doc: dict[str, Any] = {
        "format": MATRIX_FORMAT,
        "version": MATRIX_VERSION,
        "fuzzdiff": __version__,
        "budget": settings.budget,
        "seed": settings.seed,
        "findings": settings.findings,
        "shrink_budget": settings.shrink_budget,
        "seconds": round(time.monotonic() - start, 1),
        "implementations": [{"name": i.name, "template": i.template} for i in impls],
        "tasks": rows,
        "cells": cells,
        "counts": _counts(cells, list(impls)),
    }
    write_atomic(out / "matrix.json", (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode())
    write_atomic(out / "matrix.md", markdown_page(doc).encode())
    write_atomic(out / "matrix.html", html_page(doc).encode())
    return doc
