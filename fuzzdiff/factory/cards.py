"""The task library as a list: quality cards of existing tasks, and what `fuzzdiff tasks` shows.

A task's quality card (``build.Card``) is kept beside its task file as
``NAME.card.json``: ``fuzzdiff task build`` writes it for a task it builds, and
``fuzzdiff task card`` (``card_for``) computes it for any existing task with the
same calibration (``build.calibrate``: the task's own cases, each run twice on the
reference). ``entries`` reads every shipped task with its card and the size of its
committed corpus (``corpora/NAME/``, beside the task folder), for the listing;
a task file that does not load is listed as broken with the reason, a task
without a card as having none. Neither is an error: the listing is how one
finds them.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fuzzdiff.core import spec as spec_module
from fuzzdiff.core.errors import UserError
from fuzzdiff.core.spec import TaskSpec, load_task, resolve_task_path, shipped_tasks
from fuzzdiff.factory.build import CALIBRATION_CASES, Card, calibrate, executor_for
from fuzzdiff.run.program import reference_program
from fuzzdiff.store.artifacts import write_atomic
from fuzzdiff.store.corpus import CASES_DIR, MANIFEST

CARD_SUFFIX = ".card.json"
#: How a family-less task is shown, and how ``--family`` names such tasks.
NO_FAMILY = "-"


class CardError(UserError):
    """A card file cannot be read or is not a quality card."""


def card_path(task_file: Path) -> Path:
    """Where a task file's card lives: ``NAME.toml`` -> ``NAME.card.json``, beside it."""
    return task_file.with_suffix(CARD_SUFFIX)


def corpora_dir() -> Path:
    """The committed corpora: ``corpora/`` beside the folder of shipped task files."""
    return spec_module.REFERENCES_DIR.parent / "corpora"


def card_for(spec: TaskSpec, *, seed: int = 1, cases: int = CALIBRATION_CASES) -> Card:
    """The quality card of an existing task: ``cases`` of its cases, each run twice on
    its reference (hermetic variables added for a hermetic task), as ``task build``
    grades a task it builds. Nothing is probed, so ``probe_runs`` is 0 and
    ``build_seconds`` is the calibration's time."""
    started = time.perf_counter()
    card, _ = calibrate(spec, executor_for(spec), reference_program(spec), seed=seed, cases=cases)
    return dataclasses.replace(card, build_seconds=round(time.perf_counter() - started, 1))


def card_json(card: Card) -> bytes:
    """A card as its file holds it (what ``task build`` writes too)."""
    return (json.dumps(card.json(), indent=2) + "\n").encode()


def write_card(task_file: Path, card: Card) -> Path:
    where = card_path(task_file)
    write_atomic(where, card_json(card))
    return where


#: Each card field's accepted JSON types, by its annotation in ``Card``.
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "tuple[str, ...]": (list,),
}


def _field_values(doc: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """The card's fields from ``doc``, type by type; each problem appended."""
    fields = {f.name: f for f in dataclasses.fields(Card)}
    problems.extend(f"unknown field {key!r}" for key in doc if key not in fields)
    values: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in doc:
            if f.default is dataclasses.MISSING:
                problems.append(f"missing field {name!r}")
            continue
        value, kinds = doc[name], _FIELD_TYPES[str(f.type)]
        wrong_bool = isinstance(value, bool) and bool not in kinds
        strings = not isinstance(value, list) or all(isinstance(v, str) for v in value)
        if wrong_bool or not isinstance(value, kinds) or not strings:
            problems.append(f"{name} is {value!r}, expected {f.type!s}")
            continue
        values[name] = tuple(value) if isinstance(value, list) else value
    return values


def parse_card(doc: object, source: str) -> Card:
    """A card from its JSON document, checked field by field; ``CardError`` names the
    file, every problem and the fix."""
    fix = "recompute it with `fuzzdiff task card TASK`"
    if not isinstance(doc, dict):
        raise CardError(f"card {source} is not a JSON object; {fix}")
    problems: list[str] = []
    values = _field_values(doc, problems)
    if not problems:
        card = Card(**values)
        if card.cases < 1:
            problems.append("cases is under 1")
        if not 0.0 <= card.accepted_share <= 1.0:
            problems.append("accepted_share is not between 0 and 1")
        if not 0 <= card.options_reached <= card.options_total:
            problems.append("options_reached is not between 0 and options_total")
        if card.behaviours_per_1000 < 0:
            problems.append("behaviours_per_1000 is negative")
    if problems:
        raise CardError(f"card {source}: {'; '.join(problems)}; {fix}")
    return card


def read_card(path: Path) -> Card | None:
    """The card at ``path``; None when there is none. ``CardError`` when it is unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise CardError(f"cannot read card {path}: {exc}") from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CardError(f"card {path} is not valid JSON: {exc}; recompute it with `fuzzdiff task card TASK`") from exc
    return parse_card(doc, str(path))


def corpus_cases(name: str) -> int | None:
    """How many cases the committed corpus of task ``name`` holds (its case files);
    None when it has no corpus (no ``manifest.json``)."""
    return count_cases(corpora_dir() / name)


def count_cases(where: Path) -> int | None:
    """How many case files the corpus directory ``where`` holds; None when it is no
    corpus (no ``manifest.json``)."""
    if not (where / MANIFEST).is_file():
        return None
    return sum(1 for _ in (where / CASES_DIR).glob("*.json"))


@dataclass(frozen=True)
class Entry:
    """One shipped task as the listing shows it."""

    name: str
    file: Path
    family: str  # "" when the task names none
    description: str
    reference: str  # the reference's command line: program and fixed arguments
    card: Card | None
    corpus_cases: int | None
    broken: str = ""  # why the task file does not load
    card_problem: str = ""  # why its card cannot be read

    def json(self) -> dict[str, object]:
        card = self.card
        return {
            "name": self.name,
            "file": str(self.file),
            "family": self.family,
            "reference": self.reference,
            "accepted_share": card.accepted_share if card else None,
            "behaviours_per_1000": card.behaviours_per_1000 if card else None,
            "options_reached": card.options_reached if card else None,
            "options_total": card.options_total if card else None,
            "deterministic": card.deterministic if card else None,
            "hermetic": card.hermetic if card else None,
            "corpus_cases": self.corpus_cases,
            "description": self.description,
            "broken": self.broken or None,
            "card_problem": self.card_problem or None,
            "card": card.json() if card else None,
        }


def _raw_family(path: Path) -> str:
    """The ``family`` of a task file that does not load, if its TOML says one."""
    try:
        value = tomllib.loads(path.read_text(encoding="utf-8")).get("family", "")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return ""
    return value.strip() if isinstance(value, str) else ""


def entry(name: str) -> Entry:
    """Task ``name`` (shipped) with its card and corpus size; never raises for a
    broken task file or card, which the entry names instead."""
    path = resolve_task_path(name)
    cases = corpus_cases(name)
    try:
        spec = load_task(name)
    except UserError as exc:
        return Entry(name, path, _raw_family(path), "", "", None, cases, broken=str(exc))
    try:
        card, problem = read_card(card_path(path)), ""
    except CardError as exc:
        card, problem = None, str(exc)
    command = shlex.join((spec.program, *spec.args))
    return Entry(name, path, spec.family, spec.description, command, card, cases, card_problem=problem)


def entries(family: str | None = None) -> list[Entry]:
    """Every shipped task, by name; with ``family``, those of that family only
    (case-insensitive; ``NO_FAMILY`` for tasks naming none). An unknown family is a
    ``UserError`` naming the families there are."""
    found = [entry(name) for name in shipped_tasks()]
    if family is None:
        return found
    wanted = family.strip().lower()
    wanted = "" if wanted == NO_FAMILY else wanted
    chosen = [e for e in found if e.family.lower() == wanted]
    if not chosen and wanted:  # '-' with every task in a family: an empty list, not an error
        there = sorted({e.family.lower() or NO_FAMILY for e in found})
        raise UserError(
            f"unknown task family {family!r}; the families are: {', '.join(there) or '(no tasks)'} "
            f"({NO_FAMILY!r}: tasks without one)"
        )
    return chosen


def determinism(card: Card) -> str:
    word = "deterministic" if card.deterministic else "varies"
    return f"{word}, hermetic" if card.hermetic else word


def table(rows: list[Entry]) -> str:
    """The listing: a header, one line per task, then what is missing or broken."""
    head = ("TASK", "FAMILY", "ACCEPTED", "BEHAV/1K", "OPTIONS", "DETERMINISM", "CORPUS", "DESCRIPTION")
    lines: list[tuple[str, ...]] = [head]
    notes: list[str] = []
    for e in rows:
        corpus = "-" if e.corpus_cases is None else str(e.corpus_cases)
        family = e.family or NO_FAMILY
        c = e.card
        if e.broken:
            reason = "; ".join(line.strip() for line in e.broken.splitlines())  # one line per task
            lines.append((e.name, family, f"(broken: {reason})"))
        elif c is None:
            state = "bad card" if e.card_problem else "no card"
            lines.append((e.name, family, "-", "-", "-", state, corpus, e.description))
            if e.card_problem:
                notes.append(e.card_problem)
        else:
            figures = (
                f"{c.accepted_share:.0%}",
                f"{c.behaviours_per_1000:.0f}",
                f"{c.options_reached}/{c.options_total}",
            )
            lines.append((e.name, family, *figures, determinism(c), corpus, e.description))
    missing = [e.name for e in rows if not e.broken and e.card is None and not e.card_problem]
    if missing:
        notes.append(f"no card yet: {', '.join(missing)}; `fuzzdiff task card NAME` computes one")
    widths = [max((len(r[i]) for r in lines if len(r) > i + 1), default=0) for i in range(len(head))]
    right = {2, 3, 4, 6}  # figures are right-aligned
    out = []
    for r in lines:
        cells = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(r[:-1])]
        out.append("  ".join([*cells, r[-1]]).rstrip())
    return "\n".join(out + notes)
