"""Regression corpora on disk: record cases with the reference's outcome, load them, reduce them.

A corpus is a directory (``corpora/<task>/`` by convention) holding
``manifest.json`` (format, version, task, the reference's fingerprint) and one
file per case, ``cases/<key>.json``, named by the case's content hash
(``Case.key()``). Each case file holds the case and the outcome the reference
produced on it, normalised as ``compare`` sees it. ``docs/corpora.md``
documents the format.

Concurrency: every file is written atomically (temporary file, then rename), case
files are content-addressed (two writers adding the same case write the same
file), and the manifest is created with ``link`` so it is never overwritten and
never seen half-written. Two writers can add to one corpus at once and lose
nothing.

Loading is strict: an unknown manifest version or a missing corpus raises
``CaseFileError``; a case file that cannot be read or decoded is reported by its
file name in ``Corpus.errors``, never skipped silently.

Running programs on a corpus (record, replay, JUnit, pytest) lives in
``replay.py``; this module only stores and reads.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import shlex
import statistics
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from fuzzdiff.core.codec import (
    decode_case,
    decode_fingerprint,
    decode_outcome,
    encode_case,
    encode_fingerprint,
    encode_outcome,
)
from fuzzdiff.core.compare import normalise
from fuzzdiff.core.errors import CaseFileError
from fuzzdiff.core.model import Case, Divergence, Fingerprint, Outcome, Program, file_names_problem
from fuzzdiff.core.spec import TaskSpec
from fuzzdiff.run.program import reference_version
from fuzzdiff.store.artifacts import load_document, write_atomic

CORPUS_FORMAT = "fuzzdiff-corpus"
CORPUS_VERSION = 1
CASE_FORMAT = "fuzzdiff-corpus-case"
MANIFEST = "manifest.json"
CASES_DIR = "cases"
#: Kinds of stored case: seen while recording, a divergence found by a campaign, or
#: kept because it ran code of an independent implementation of the task that no
#: other case of a large sample ran (``benchmarks/solution_coverage.py --distil``);
#: reward scores run those right after one case of each behaviour.
KINDS = ("behaviour", "divergence", "coverage")
#: Kinds ``reduce`` keeps whatever their behaviour: each was kept for a reason of its own.
KEPT_KINDS = ("divergence", "coverage")

#: Reference fingerprint: the resolved path, the first line of ``--version``, the binary's sha256.
ReferenceFingerprint = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a corpus was recorded for: the task and the exact reference binary."""

    task: str
    program_name: str
    reference: dict[str, str]  # "path", "version", "sha256"; empty strings when unknown

    def to_json(self) -> dict[str, Any]:
        return {
            "format": CORPUS_FORMAT,
            "version": CORPUS_VERSION,
            "task": self.task,
            "program_name": self.program_name,
            "reference": dict(self.reference),
        }


@dataclass(frozen=True, slots=True)
class StoredCase:
    """One case of a corpus and the (normalised) outcome the reference had on it."""

    key: str
    case: Case
    expected: Outcome
    kind: str = "behaviour"
    fingerprint: Fingerprint | None = None  # for a divergence: the kind found by the campaign


@dataclass(frozen=True, slots=True)
class LoadError:
    """A case file that could not be loaded: its name and why."""

    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@dataclass(frozen=True, slots=True)
class Corpus:
    """A loaded corpus: cases sorted by key, and every case file that failed to load."""

    path: Path
    manifest: Manifest
    cases: tuple[StoredCase, ...]
    errors: tuple[LoadError, ...] = ()


class ReduceResult(NamedTuple):
    kept: tuple[StoredCase, ...]
    removed: tuple[StoredCase, ...]

    @property
    def before(self) -> int:
        return len(self.kept) + len(self.removed)

    @property
    def after(self) -> int:
        return len(self.kept)


# -- the reference's fingerprint ---------------------------------------------


def file_sha256(path: str | Path) -> str:
    """The hex sha256 of a file's content, or ``""`` when it cannot be read."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return ""
    return h.hexdigest()


def reference_fingerprint(program: Program) -> dict[str, str]:
    """``{"path", "version", "sha256"}`` of the reference binary (symlinks resolved).

    Runs the program's ``--version`` once. Values that cannot be found are ``""``.
    """
    path = os.path.realpath(program.argv[0])
    return {"path": path, "version": reference_version(program), "sha256": file_sha256(path)}


def reference_changed(recorded: ReferenceFingerprint, installed: ReferenceFingerprint) -> bool | None:
    """Whether the installed reference differs from the recorded one.

    Compares sha256 when both are known, else the version line; ``None`` when
    neither is known on both sides. The path alone never counts.
    """
    for field in ("sha256", "version"):
        a, b = recorded.get(field, ""), installed.get(field, "")
        if a and b:
            return a != b
    return None


# -- reading -----------------------------------------------------------------


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_manifest(path: str | Path) -> Manifest:
    """The manifest of the corpus at ``path``; ``CaseFileError`` naming the file on any problem."""
    root = Path(path)
    if not root.exists():
        raise CaseFileError(f"corpus {root} does not exist; record one first or check the path")
    if not root.is_dir():
        raise CaseFileError(
            f"corpus {root} is not a directory; give the corpus directory "
            "(a single case-N.json is judged by `fuzzdiff minimize CASE_FILE --candidate CMD`)"
        )
    mpath = root / MANIFEST
    missing = f"{root} is not a fuzzdiff corpus: it has no {MANIFEST}"
    doc = load_document(mpath, "corpus manifest", CORPUS_FORMAT, CORPUS_VERSION, missing)
    task, name, ref = doc.get("task"), doc.get("program_name"), doc.get("reference", {})
    if (
        not isinstance(task, str)
        or not isinstance(name, str)
        or not isinstance(ref, dict)
        or not all(isinstance(v, str) for v in ref.values())
    ):
        raise CaseFileError(
            f"corpus manifest {mpath} is malformed: needs string task and program_name, and a reference object"
        )
    return Manifest(task=task, program_name=name, reference={str(k): v for k, v in ref.items()})


def case_document(stored: StoredCase) -> dict[str, Any]:
    """The JSON object of one case file."""
    return {
        "format": CASE_FORMAT,
        "version": CORPUS_VERSION,
        "key": stored.key,
        "kind": stored.kind,
        "fingerprint": None if stored.fingerprint is None else encode_fingerprint(stored.fingerprint),
        "case": encode_case(stored.case),
        "expected": encode_outcome(stored.expected),
    }


def _decode_document(doc: Any, stem: str) -> StoredCase:
    """A case file's content -> ``StoredCase``; ``ValueError`` with a readable message if it is not one."""
    if not isinstance(doc, dict) or doc.get("format") != CASE_FORMAT:
        raise ValueError(f'not a corpus case file (no "format": "{CASE_FORMAT}")')
    if doc.get("version") != CORPUS_VERSION:
        raise ValueError(f"format version {doc.get('version')!r}; this fuzzdiff reads version {CORPUS_VERSION}")
    kind = doc.get("kind")
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if "case" not in doc or "expected" not in doc:
        raise ValueError('needs "case" and "expected"')
    case = decode_case(doc["case"])
    problem = file_names_problem(name for name, _ in case.files)
    if problem is not None:  # a case no run could set up: malformed, not the end of a replay
        raise ValueError(f"case.files: {problem}")
    expected = decode_outcome(doc["expected"], "expected")
    raw_fp = doc.get("fingerprint")
    fp = None if raw_fp is None else decode_fingerprint(raw_fp)
    if kind == "divergence" and fp is None:
        raise ValueError("a divergence needs its fingerprint")
    key = case.key()
    if stem != key or doc.get("key", key) != key:
        raise ValueError(f"the name does not match the case's content hash {key} (edited by hand?); rename it")
    return StoredCase(key, case, expected, kind, fp)


#: What decoding a hostile or damaged case file may raise; all become ``LoadError``s.
_DECODE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError)


def read_stored_case(path: Path) -> StoredCase | LoadError:
    """One case file, or a ``LoadError`` naming it and the problem (never an exception)."""
    try:
        doc = _read_json(path)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return LoadError(path.name, f"not readable JSON: {exc}")
    try:
        return _decode_document(doc, path.stem)
    except _DECODE_ERRORS as exc:
        return LoadError(path.name, f"malformed: {exc}")


def require_cases(corpus: Corpus) -> Corpus:
    """``corpus``, or a ``CaseFileError`` when it holds no case at all (not even one
    that failed to load): a CI job replaying it, by `replay` or from pytest, would
    pass having checked nothing."""
    if corpus.cases or corpus.errors:
        return corpus
    where = shlex.quote(str(corpus.path))
    raise CaseFileError(
        f"corpus {corpus.path} holds no cases, so a replay would check nothing; record some with "
        f"`fuzzdiff corpus record {corpus.manifest.task} --out {where}`, "
        f"or check that its {CASES_DIR}/ directory was checked out"
    )


def load_corpus(path: str | Path) -> Corpus:
    """Load a corpus: its manifest (strictly: ``CaseFileError`` if missing or of another
    version), every case file, and a ``LoadError`` for each that could not be loaded.

    Names starting with ``.`` in ``cases/`` are writers' temporary files and are
    not case files; anything else that is not ``<key>.json`` is reported.
    """
    root = Path(path)
    manifest = read_manifest(root)
    cases: list[StoredCase] = []
    errors: list[LoadError] = []
    cdir = root / CASES_DIR
    try:
        entries = sorted(os.scandir(cdir), key=lambda e: e.name)
    except FileNotFoundError:
        entries = []
    except OSError as exc:
        raise CaseFileError(f"cannot list the cases of corpus {root}: {exc}") from exc
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if not entry.name.endswith(".json") or entry.is_dir():
            errors.append(LoadError(entry.name, "not a case file (expected cases/<key>.json); remove it"))
            continue
        loaded = read_stored_case(Path(entry.path))
        if isinstance(loaded, LoadError):
            errors.append(loaded)
        else:
            cases.append(loaded)
    cases.sort(key=lambda s: s.key)
    return Corpus(root, manifest, tuple(cases), tuple(errors))


# -- writing -----------------------------------------------------------------


def _dumps(doc: Mapping[str, Any]) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _strip_resources(outcome: Outcome) -> Outcome:
    # Resource figures are never compared and differ run to run; storing them
    # would make re-recording the same case rewrite its file.
    return dataclasses.replace(outcome, cpu_seconds=0.0, max_rss_kb=0, wall_seconds=0.0)


class CorpusWriter:
    """Adds cases to the corpus at ``path``, creating it (and its manifest) if needed.

    An existing corpus must have been recorded for the same task and, when both
    are known, the same reference binary (sha256, else version line); otherwise
    ``CaseFileError``: mixing expected outcomes of two references is never right.
    ``fingerprint`` overrides ``reference_fingerprint(reference)`` (tests, or a
    caller that has already computed it).
    """

    def __init__(
        self,
        path: str | Path,
        spec: TaskSpec,
        reference: Program,
        *,
        fingerprint: ReferenceFingerprint | None = None,
    ) -> None:
        self.path = Path(path)
        self.spec = spec
        self.reference = reference
        fp = dict(fingerprint) if fingerprint is not None else reference_fingerprint(reference)
        self.manifest = Manifest(task=spec.name, program_name=reference.argv0, reference=fp)
        self.cases_dir = self.path / CASES_DIR
        try:
            self._ensure_manifest()
            self.cases_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CaseFileError(f"cannot create corpus {self.path}: {exc}") from exc

    def _ensure_manifest(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        mpath = self.path / MANIFEST
        if not mpath.exists():
            # Write a complete temporary file, then link it into place: link fails
            # if the manifest appeared meanwhile, so it is never clobbered, and a
            # reader never sees it half-written.
            fd, tmp = tempfile.mkstemp(prefix=f".{MANIFEST}.", dir=self.path)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(_dumps(self.manifest.to_json()))
                os.chmod(tmp, 0o644)
                with contextlib.suppress(FileExistsError):  # another writer won; checked below
                    os.link(tmp, mpath)
            finally:
                Path(tmp).unlink(missing_ok=True)
        present = read_manifest(self.path)
        if present.task != self.manifest.task:
            raise CaseFileError(
                f"corpus {self.path} was recorded for task {present.task!r}, not {self.manifest.task!r}; "
                "record into another directory"
            )
        if reference_changed(present.reference, self.manifest.reference):
            raise CaseFileError(
                f"corpus {self.path} was recorded with another reference "
                f"({present.reference.get('version') or '?'}, sha256 {present.reference.get('sha256') or '?'}) "
                f"than the installed one ({self.manifest.reference.get('version') or '?'}, "
                f"sha256 {self.manifest.reference.get('sha256') or '?'}); "
                "record into a new directory, or delete the corpus and re-record it"
            )
        self.manifest = present

    def case_path(self, case: Case) -> Path:
        return self.cases_dir / f"{case.key()}.json"

    def add(
        self,
        case: Case,
        expected: Outcome,
        kind: str = "behaviour",
        fingerprint: Fingerprint | None = None,
    ) -> Path:
        """Store ``case`` with the reference's outcome ``expected``; returns the case file's path.

        ``expected`` is normalised as ``compare`` sees it (normalisers are
        idempotent, so an already normalised outcome is unchanged) and stripped of
        resource figures. Idempotent: the same case always goes to the same file,
        and an unchanged entry is not rewritten. A case once stored as a
        divergence stays one when it is added again as a behaviour.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        if kind == "divergence" and fingerprint is None:
            raise ValueError("a divergence needs its fingerprint")
        outcome = self.normalised(expected)
        stored = StoredCase(case.key(), case, outcome, kind, fingerprint if kind == "divergence" else None)
        path = self.case_path(case)
        if path.exists():
            old = read_stored_case(path)
            if isinstance(old, StoredCase):
                if old == stored:
                    return path
                if old.kind in KEPT_KINDS and kind == "behaviour":
                    stored = dataclasses.replace(stored, kind=old.kind, fingerprint=old.fingerprint)
        try:
            write_atomic(path, _dumps(case_document(stored)))
        except OSError as exc:
            raise CaseFileError(f"cannot write case file {path}: {exc}") from exc
        return path

    def normalised(self, outcome: Outcome) -> Outcome:
        """``outcome`` as ``add`` stores it: normalised as ``compare`` sees it, without resource figures."""
        return _strip_resources(normalise(outcome, self.reference, self.manifest.program_name, self.spec.compare))

    def add_divergence(self, divergence: Divergence) -> Path:
        """Store a campaign's divergence: its case, the reference's outcome and its fingerprint."""
        return self.add(divergence.case, divergence.reference, "divergence", divergence.fingerprint)


# -- reducing and statistics -------------------------------------------------

_QUOTED = re.compile(rb"'[^'\n]*'|\"[^\"\n]*\"|`[^'`\n]*'|\xe2\x80\x98.*?\xe2\x80\x99")
_DIGITS = re.compile(rb"[0-9]+")


def _masked_first_line(data: bytes) -> bytes:
    first = data.split(b"\n", 1)[0]
    return _DIGITS.sub(b"N", _QUOTED.sub(b"'*'", first))


def behaviour(stored: StoredCase) -> tuple[object, ...]:
    """The reference behaviour a stored case exercises, from its expected outcome.

    Exit class; whether stderr is empty and its first line with numbers and quoted
    names masked; stdout's size class (bit length of its length); whether the
    working directory's files changed.
    """
    return outcome_behaviour(stored.case, stored.expected)


#: An exact time in an attribute (``scratch.attributes``): a behaviour is that a
#: time was set, not which.
_TIME_SAID = re.compile(r"modified at [^,]*")


def outcome_behaviour(case: Case, out: Outcome) -> tuple[object, ...]:
    """``behaviour`` for a case and the reference's (normalised) outcome on it."""
    regular = {n: c for n, c in out.files if c is not None}
    dirs = {n for n, c in out.files if c is None}
    given_dirs = {b"/".join(p[:i]) for n, _ in case.files for p in [n.split(b"/")] for i in range(1, len(p))}
    return (
        out.exit_class(),
        bool(out.stderr),
        _masked_first_line(out.stderr) if out.stderr else b"",
        len(out.stdout).bit_length(),
        regular != dict(case.files) or dirs != given_dirs,
        tuple(sorted({_TIME_SAID.sub("modified at", a) for _, a in out.attrs})),
    )


def reduce(corpus: Corpus, *, dry_run: bool = False, by_options: bool = False) -> ReduceResult:
    """Keep the smallest case (by ``Case.size()``, then key) of each behaviour, every
    divergence and every case kept for coverage; delete the other case files (unless ``dry_run``).

    ``by_options`` also keeps the smallest case of each behaviour that uses each
    option spelling, so a reduced corpus still exercises every option on each
    path it reached (shipped corpora are reduced this way).
    Files that failed to load are left alone: they are reported, not judged.
    """
    best: dict[tuple[object, ...], StoredCase] = {}

    def offer(sig: tuple[object, ...], stored: StoredCase) -> None:
        current = best.get(sig)
        if current is None or (stored.case.size(), stored.key) < (current.case.size(), current.key):
            best[sig] = stored

    for stored in corpus.cases:
        if stored.kind in KEPT_KINDS:
            continue
        sig = behaviour(stored)
        offer(sig, stored)
        if by_options:
            for name in {n for n in (option_name(a) for a in stored.case.argv) if n}:
                offer((*sig, name), stored)
    keep_keys = {s.key for s in best.values()} | {s.key for s in corpus.cases if s.kind in KEPT_KINDS}
    kept = tuple(s for s in corpus.cases if s.key in keep_keys)
    removed = tuple(s for s in corpus.cases if s.key not in keep_keys)
    if not dry_run:
        spared: list[StoredCase] = []
        for stored in removed:
            path = corpus.path / CASES_DIR / f"{stored.key}.json"
            # read again just before: a writer may have made it a divergence since it was loaded
            now = read_stored_case(path) if path.exists() else None
            if isinstance(now, StoredCase) and now.kind in KEPT_KINDS:
                spared.append(now)
                continue
            path.unlink(missing_ok=True)
        if spared:
            keys = {s.key for s in spared}
            kept, removed = (*kept, *spared), tuple(s for s in removed if s.key not in keys)
    return ReduceResult(kept, removed)


def option_name(token: bytes) -> str | None:
    """``--wrap=5`` -> ``--wrap``, ``-d`` -> ``-d``; ``None`` for operands (and ``-``, stdin)."""
    if not token.startswith(b"-") or token == b"-":
        return None
    return token.split(b"=", 1)[0].decode("utf-8", "backslashreplace")


def stats(corpus: Corpus) -> dict[str, Any]:
    """Counts for a person or a dashboard: cases, behaviours, kinds, exit classes,
    options covered (cases using each; tokens after ``--`` are operands) and sizes."""
    options: Counter[str] = Counter()
    for stored in corpus.cases:
        seen: set[str] = set()
        for token in stored.case.argv:
            name = option_name(token)
            if name is not None:
                seen.add(name)
            if token == b"--":
                break
        options.update(seen)
    sizes = [s.case.size() for s in corpus.cases]
    return {
        "task": corpus.manifest.task,
        "cases": len(corpus.cases),
        "errors": len(corpus.errors),
        "behaviours": len({behaviour(s) for s in corpus.cases}),
        "kinds": dict(sorted(Counter(s.kind for s in corpus.cases).items())),
        "exit_classes": dict(sorted(Counter(s.expected.exit_class() for s in corpus.cases).items())),
        "options": dict(sorted(options.items())),
        "sizes": {
            "total": sum(sizes),
            "min": min(sizes, default=0),
            "median": statistics.median(sizes) if sizes else 0,
            "max": max(sizes, default=0),
        },
    }
