"""The task library: many programs turned into shipped tasks from one manifest.

``fuzzdiff task library`` reads a manifest (``references/library/programs.toml``),
one ``[[program]]`` table per task, and makes sure each task has its three parts:

- the task file ``references/NAME.toml``, built with the task factory
  (``build.build``) unless it exists; ``--force`` builds it again, except where
  the manifest says it was written (``handwritten``) or edited (``edited``) by hand;
- its quality card ``references/NAME.card.json`` (the factory's calibration);
- its corpus ``corpora/NAME/`` with at least N cases, each kept only if the
  reference, run twice more, gives the stored outcome both times (compared as
  the task compares) and its outcome is small.

A program that is not installed, or that the factory finds unusable, is
skipped with the reason, never a crash. Everything is seeded, so building
again gives the same files; what was made for which task file is stamped
beside the manifest (``NAME.built.json``), so an unchanged task is left alone
and one edited by hand gets a fresh card and corpus.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from fuzzdiff.core.errors import UserError
from fuzzdiff.core.generate import generate_cases
from fuzzdiff.core.model import Case, Outcome, Program, Termination
from fuzzdiff.core.spec import DEFAULT_ENV, REFERENCES_DIR, TaskSpec, load_task
from fuzzdiff.factory import cards
from fuzzdiff.factory.build import CALIBRATION_CASES, Card, agrees, build, calibrate, executor_for, replay_runner
from fuzzdiff.run.execute import Executor
from fuzzdiff.run.program import reference_program
from fuzzdiff.store.artifacts import write_atomic
from fuzzdiff.store.corpus import CorpusWriter, load_corpus

#: The shipped library's manifest.
DEFAULT_MANIFEST = REFERENCES_DIR / "library" / "programs.toml"
#: Cases each corpus must hold (issue 20 asks for 200).
CASES_PER_CORPUS = 200
#: Probe runs per program: about 20 seconds a program, so ~100 programs build in under an hour on two cores.
PROBE_BUDGET = 1200
#: Generated cases tried per corpus case wanted, before giving up on a corpus.
TRIES_PER_CASE = 5
#: Largest outcome (streams and files, bytes) a corpus case may store: keeps the repository small.
MAX_OUTCOME_BYTES = 16 * 1024
#: Families a manifest entry may name.
FAMILIES = (
    "coreutils-text",
    "coreutils-numeric",
    "coreutils-files",
    "hashing",
    "encoding",
    "compression",
    "encryption",
    "rich-input",
    "text",
)
_KEYS = {
    "name",
    "command",
    "args",
    "family",
    "description",
    "hermetic",
    "probe-budget",
    "handwritten",
    "edited",
    "notes",
    "tools",
}


@dataclass(frozen=True)
class Entry:
    """One ``[[program]]`` of the manifest."""

    name: str
    command: tuple[str, ...]  # the program and its fixed arguments
    family: str
    description: str = ""
    hermetic: bool | None = None
    probe_budget: int = PROBE_BUDGET
    handwritten: bool = False
    edited: str = ""
    notes: str = ""
    tools: tuple[str, ...] = ()  # other programs the reference runs (diff3 runs diff): the candidate may too


@dataclass(frozen=True)
class Result:
    """What ``ensure`` did for one entry. ``status``: ``built`` (something was made),
    ``kept`` (everything was there), ``short`` (the corpus has fewer cases than asked),
    ``skipped`` (nothing could be made: ``reason``)."""

    name: str
    family: str
    status: str
    reason: str = ""
    card: Card | None = None
    corpus_cases: int = 0
    dropped: int = 0  # cases left out of the corpus: unstable between runs, timed out or too large
    seconds: float = 0.0
    made: tuple[str, ...] = ()  # "task", "card", "corpus"


def load_manifest(path: Path) -> list[Entry]:
    """The manifest's entries; ``UserError`` naming the file, the entry and the fix."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot read the library manifest {path}: {exc}; give an existing file") from exc
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"library manifest {path} is not valid TOML: {exc}; fix the syntax") from exc
    tables = raw.get("program")
    if set(raw) - {"program"} or not isinstance(tables, list):
        raise UserError(f"library manifest {path}: expected only [[program]] tables; see its header comment")
    entries: list[Entry] = []
    for i, table in enumerate(tables, 1):
        entries.append(_entry(table, f"library manifest {path}, [[program]] #{i}"))
    names = [e.name for e in entries]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UserError(f"library manifest {path}: task names given twice: {', '.join(twice)}; rename one")
    return entries


def _entry(table: object, where: str) -> Entry:
    if not isinstance(table, dict):
        raise UserError(f"{where}: not a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise UserError(f"{where}: unknown key {unknown[0]!r}; the keys are {', '.join(sorted(_KEYS))}")

    def text(key: str, default: str | None = None) -> str:
        value = table.get(key, default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise UserError(f"{where}: {key!r} must be a non-empty string")
        return value

    name = text("name")
    if "/" in name or name.startswith("."):
        raise UserError(f"{where}: name {name!r} must be a plain file name (no '/', no leading '.')")
    args = table.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise UserError(f"{where} ({name}): 'args' must be a list of strings")
    family = text("family")
    if family not in FAMILIES:
        raise UserError(f"{where} ({name}): unknown family {family!r}; use one of {', '.join(FAMILIES)}")
    hermetic = table.get("hermetic")
    budget = table.get("probe-budget", PROBE_BUDGET)
    handwritten = table.get("handwritten", False)
    if hermetic is not None and not isinstance(hermetic, bool):
        raise UserError(f"{where} ({name}): 'hermetic' must be true or false")
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < 0:
        raise UserError(f"{where} ({name}): 'probe-budget' must be a whole number >= 0")
    if not isinstance(handwritten, bool):
        raise UserError(f"{where} ({name}): 'handwritten' must be true or false")
    tools = table.get("tools", [])
    named = isinstance(tools, list) and all(isinstance(t, str) and t and ("/" not in t or t[0] == "/") for t in tools)
    if not named:
        raise UserError(f"{where} ({name}): 'tools' must be a list of program names or absolute paths")
    return Entry(
        name=name,
        command=(text("command"), *args),
        family=family,
        description=text("description", ""),
        hermetic=hermetic,
        probe_budget=budget,
        handwritten=handwritten,
        edited=text("edited", ""),
        notes=text("notes", ""),
        tools=tuple(tools),
    )


@dataclass(frozen=True)
class Library:
    """Where a manifest's tasks go: task files and cards in ``references``, corpora in
    ``corpora``, the stamps beside the manifest."""

    manifest: Path
    references: Path
    corpora: Path
    seed: int = 1
    cases_per_corpus: int = CASES_PER_CORPUS
    calibration_cases: int = CALIBRATION_CASES

    @classmethod
    def beside(cls, manifest: Path, **kw: int) -> Library:
        """The layout of this repository: ``references/library/programs.toml`` builds
        into ``references/`` and ``corpora/``."""
        references = manifest.resolve().parent.parent
        return cls(manifest, references, references.parent / "corpora", **kw)

    def task_path(self, name: str) -> Path:
        return self.references / f"{name}.toml"

    def card_path(self, name: str) -> Path:
        return self.references / f"{name}.card.json"

    def corpus_path(self, name: str) -> Path:
        return self.corpora / name

    @property
    def stamps_path(self) -> Path:
        return self.manifest.with_suffix(".built.json")

    def stamps(self) -> dict[str, str]:
        try:
            got = json.loads(self.stamps_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in got.items() if isinstance(v, str)} if isinstance(got, dict) else {}

    def stamp(self, name: str, value: str) -> None:
        """Record ``value`` as what ``name``'s card and corpus were made for; under a
        lock, so builders working on different programs at once keep every stamp."""
        with open(self.manifest, "rb") as lock:  # the manifest: a file every builder has
            fcntl.flock(lock, fcntl.LOCK_EX)
            stamps = {**self.stamps(), name: value}
            write_atomic(self.stamps_path, (json.dumps(dict(sorted(stamps.items())), indent=1) + "\n").encode())

    def fingerprint(self, name: str) -> str:
        """What a card and corpus were made for: the task file's content (as parsed,
        so an edited comment changes nothing), the seed and the corpus size asked for."""
        task = tomllib.loads(self.task_path(name).read_text(encoding="utf-8"))
        data = json.dumps(task, sort_keys=True, default=str).encode()
        key = f"{hashlib.sha256(data).hexdigest()} seed={self.seed} cases={self.cases_per_corpus}"
        return hashlib.sha256(key.encode()).hexdigest()[:24]


def installed(program: str) -> bool:
    """Whether ``program`` is found where tasks look for it (the fixed ``PATH``)."""
    if os.sep in program:
        return os.access(program, os.X_OK)
    return shutil.which(program, path=DEFAULT_ENV["PATH"]) is not None


def ensure(lib: Library, entry: Entry, *, force: bool = False, progress: Callable[[str], None] | None = None) -> Result:
    """Make whatever of ``entry``'s task, card and corpus is missing (or, with ``force``,
    all of what this builder owns) and say what was done."""
    started = time.perf_counter()
    say = progress or (lambda _: None)
    task = lib.task_path(entry.name)
    ours = not entry.handwritten
    made: list[str] = []
    card: Card | None = None
    if not installed(entry.command[0]):
        return Result(entry.name, entry.family, "skipped", f"{entry.command[0]} is not installed (apt-get install it)")
    if entry.handwritten and not task.exists():
        return Result(entry.name, entry.family, "skipped", f"hand-written task file {task} is not there yet")
    if ours and not entry.edited and (force or not task.exists()):
        say(f"{entry.name}: building the task from `{' '.join(entry.command)}`")
        built = build(
            list(entry.command),
            name=entry.name,
            seed=lib.seed,
            budget=entry.probe_budget,
            hermetic=entry.hermetic,
            cases=lib.calibration_cases,
        )
        if built.unusable:
            return Result(entry.name, entry.family, "skipped", built.unusable, built.card)
        built.raw = {**built.raw, "family": entry.family}
        if entry.description:
            built.raw["description"] = entry.description
        if entry.tools:  # beside what the build found the reference running
            found = built.raw.get("tools", [])
            built.raw["tools"] = sorted({*(found if isinstance(found, list) else []), *entry.tools})
        head = "# Part of the task library (references/library/programs.toml; `make library`).\n"
        write_atomic(task, (head + built.toml()).encode())
        made_card = replace(built.card, build_seconds=round(built.card.build_seconds, 1))
        write_atomic(lib.card_path(entry.name), cards.card_json(made_card))
        made += ["task", "card"]
    spec = load_task(str(task))
    program = reference_program(spec)
    stamp = lib.fingerprint(entry.name) if ours else None
    stale = ours and (force or made != [] or lib.stamps().get(entry.name) != stamp)
    card_file, corpus_dir = lib.card_path(entry.name), lib.corpus_path(entry.name)
    if stale:
        if "card" not in made:
            card_file.unlink(missing_ok=True)
        if corpus_dir.is_dir():
            shutil.rmtree(corpus_dir)
    card = _read_card(card_file)
    if card is None and (ours or not card_file.exists()):  # someone else's card is theirs to mend
        say(f"{entry.name}: calibrating its quality card")
        card, _ = calibrate(spec, executor_for(spec), program, seed=lib.seed, cases=lib.calibration_cases)
        card = replace(card, build_seconds=round(time.perf_counter() - started, 1))
        write_atomic(card_file, cards.card_json(card))
        made.append("card")
    have = cards.count_cases(corpus_dir) or 0
    dropped = 0
    if have < lib.cases_per_corpus:
        say(f"{entry.name}: recording a corpus of {lib.cases_per_corpus} stable cases")
        added, dropped = record_stable(spec, program, corpus_dir, lib.cases_per_corpus - have, lib.seed)
        have += added
        made.append("corpus")
    if ours and stamp is not None:
        lib.stamp(entry.name, stamp)
    status = "built" if made else "kept"
    reason = ""
    if have < lib.cases_per_corpus:
        status, reason = "short", f"only {have} stable cases of {lib.cases_per_corpus} wanted"
    seconds = time.perf_counter() - started
    return Result(entry.name, entry.family, status, reason, card, have, dropped, seconds, tuple(made))


def _read_card(path: Path) -> Card | None:
    """The card at ``path``; None where there is none or it does not read (it is made again)."""
    try:
        return cards.read_card(path)
    except cards.CardError:
        return None


#: Levels deeper the third run of a recorded case lies (``record_stable``).
DEEPER = 3


def record_stable(
    spec: TaskSpec, program: Program, where: Path, wanted: int, seed: int, runners: Sequence[Executor] = ()
) -> tuple[int, int]:
    """Add up to ``wanted`` generated cases to the corpus at ``where``, each run on
    the reference by each of ``runners`` (default ``recording_runners``), every
    run after the first compared with the first as the task compares them: a case
    is kept only if all agree, none timed out, faulted on memory or passed a run
    limit (``Outcome.no_answer``) and its outcome is at most ``MAX_OUTCOME_BYTES``.
    Returns (added, dropped)."""
    writer = CorpusWriter(where, spec, program)
    present = {s.key for s in load_corpus(where).cases}
    executor, *others = runners or recording_runners(spec)
    added = dropped = 0
    # the cases present came first in the same stream: topping up must look past them
    for case in _fresh(spec, seed, (len(present) + wanted) * TRIES_PER_CASE, present):
        if added >= wanted:
            break
        first = executor.run(program, case)
        if not _storable(first) or not all(
            agrees(spec, program, case, first, runner.run(program, case)) for runner in others
        ):
            dropped += 1
            continue
        writer.add(case, first)
        added += 1
    return added, dropped


def recording_runners(spec: TaskSpec) -> tuple[Executor, ...]:
    """The runs a recorded case must agree across: confined as probing runs the
    reference (``build.executor_for``) twice, then confined in a directory lying
    deeper, then as a campaign and a replay run it (capabilities shed, no
    Landlock). An outcome that depends on how deep the run's directory lies
    (``realpath --relative-to``) would fail wherever a replay's directories lie
    otherwise (a sandbox, another ``FUZZDIFF_TMPDIR``); one that depends on the
    confinement would fail in every replay (patch runs ed, which cannot write
    its buffer in /tmp under Landlock: "Permission denied" recorded, `?` replayed)."""
    confined = executor_for(spec)
    return confined, confined, executor_for(spec, nest=DEEPER), replay_runner(spec)


def _fresh(spec: TaskSpec, seed: int, budget: int, present: set[str]) -> Iterator[Case]:
    for case in generate_cases(spec, seed, budget):
        if case.key() not in present:
            yield case


def _storable(outcome: Outcome) -> bool:
    ended = outcome.termination not in (Termination.TIMEOUT, Termination.OUTPUT_CAP)
    return ended and not outcome.no_answer() and outcome.size() <= MAX_OUTCOME_BYTES


def build_library(
    lib: Library,
    entries: Sequence[Entry],
    *,
    only: Sequence[str] = (),
    force: bool = False,
    progress: Callable[[str], None] | None = None,
    done: Callable[[Result], None] | None = None,
) -> list[Result]:
    """``ensure`` each entry (those named in ``only``, if given), in manifest order.
    A program that cannot be built is that entry's ``skipped`` result, never the
    whole run's failure."""
    unknown = sorted(set(only) - {e.name for e in entries})
    if unknown:
        raise UserError(f"--only {unknown[0]}: no such program in {lib.manifest}; add it there or check the name")
    results: list[Result] = []
    for entry in entries:
        if only and entry.name not in only:
            continue
        try:
            result = ensure(lib, entry, force=force, progress=progress)
        except UserError as exc:
            result = Result(entry.name, entry.family, "skipped", str(exc))
        except Exception as exc:  # one program's failure is reported with it; the rest still build
            result = Result(entry.name, entry.family, "skipped", f"failed: {type(exc).__name__}: {exc}")
        results.append(result)
        if done is not None:
            done(result)
    return results


def summary_text(results: Sequence[Result]) -> str:
    """A table of the results, then the skipped ones with their reasons."""
    rows = [
        f"{'task':18} {'family':17} {'status':7} {'accepted':>8} {'beh/1000':>8} {'determ.':8} "
        f"{'corpus':>6} {'dropped':>7} {'seconds':>7}"
    ]
    for r in results:
        c = r.card
        det = "-" if c is None else ("hermetic" if c.hermetic and c.deterministic else str(c.deterministic).lower())
        rows.append(
            f"{r.name:18} {r.family:17} {r.status:7} "
            + (f"{c.accepted_share:8.0%} {c.behaviours_per_1000:8.0f} " if c else f"{'-':>8} {'-':>8} ")
            + f"{det:8} {r.corpus_cases:6} {r.dropped:7} {r.seconds:7.1f}"
        )
    counts = {s: sum(r.status == s for r in results) for s in ("built", "kept", "short", "skipped")}
    rows.append(", ".join(f"{n} {s}" for s, n in counts.items()))
    rows += [f"  {r.status} {r.name}: {r.reason}" for r in results if r.reason]
    return "\n".join(rows)


def result_json(r: Result) -> dict[str, object]:
    return {
        "name": r.name,
        "family": r.family,
        "status": r.status,
        "reason": r.reason,
        "card": r.card.json() if r.card else None,
        "corpus_cases": r.corpus_cases,
        "dropped": r.dropped,
        "seconds": round(r.seconds, 1),
        "made": list(r.made),
    }
