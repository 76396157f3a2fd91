"""Comparing two outcomes channel by channel, after declared normalisation.

Most spurious differences are removed by construction before anything is
compared: both sides get the same ``argv[0]``, environment, locale and time zone,
and the executor rewrites private paths to fixed placeholders. What remains is
handled by normalisers that a task declares (``[compare]`` in its file):

- ``program-name``: a candidate run through an interpreter sees its script's path
  as its name; that path, wherever it stands alone, and its base name where a
  program name stands (at the start of a line, after a quote, after ``Usage:``,
  ``usage:`` or ``or:`` at the start of a line), become the task's program name,
  on both sides alike (``shown_as``): what both print alike stays alike.
- ``replace``: regular expressions applied to stdout or stderr of both sides.

Normalisers are idempotent: applying one twice changes nothing more.
"""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache

from fuzzdiff.core.model import Case, Divergence, Fingerprint, Outcome, Program, Termination
from fuzzdiff.core.spec import CompareSpec, Replacement

#: Terminations whose captured output was cut short at an arbitrary point, so
#: only how the run ended is compared.
_CUT_SHORT = (Termination.TIMEOUT, Termination.OUTPUT_CAP)


#: Bytes that continue a path or a word: an alias is replaced only where none is beside it.
_WORDISH = rb"A-Za-z0-9_./-"


@lru_cache(maxsize=256)
def _alias_pattern(aliases: tuple[str, ...]) -> tuple[re.Pattern[bytes], tuple[bytes, ...]] | None:
    """The pattern that finds ``aliases`` where a program name stands, and the
    aliases as bytes (a substring test skips the pattern for output without any).

    A bare name (``my_b64.py``) counts at a line's start (after any blanks), after
    a quote, and in usage lines; a path (``/usr/bin/cat``, which a wrapper running
    the reference by its path shows) wherever it stands alone before ``:``, a quote,
    a blank or a line's end (not in a traceback's ``File "..."``), since no other text spells it: help texts name the
    program mid-sentence (``Use /usr/bin/jq --help``, ``$ /usr/bin/numfmt --to=si``)."""
    if not aliases:
        return None
    needles = tuple(sorted((a.encode() for a in aliases), key=len, reverse=True))
    bare = b"|".join(re.escape(a) for a in needles if b"/" not in a)
    paths = b"|".join(re.escape(a) for a in needles if b"/" in a)
    # where a name stands: a line's start, after a quote, and in usage lines
    # ("Usage: NAME [OPTION]...", "  or:  NAME ...", bzip2's "   usage: NAME [flags")
    where = rb"(?P<where>^[ \t]*|['`\"]|^ *[Uu]sage: +|^ *or: +)"
    alts = []
    if paths:
        # before what follows a name, a closing quote too (findutils' `bugs in the
        # "/usr/bin/xargs" program`), but never in a traceback's `File "/path/x.py", line 3`
        alts.append(rb"(?<![" + _WORDISH + rb'])(?<!File ")(?:' + paths + rb""")(?=[:'" \t]|$)""")
    if bare:
        alts.append(where + rb"(?:" + bare + rb")(?=[:' ])")
    return re.compile(b"|".join(alts), re.MULTILINE), needles


def _renamed(found: tuple[re.Pattern[bytes], tuple[bytes, ...]], shown: bytes, data: bytes) -> bytes:
    pattern, needles = found
    if not any(needle in data for needle in needles):
        return data
    return pattern.sub(lambda m: (m.groupdict().get("where") or b"") + shown, data)  # a path keeps none


def shown_as(*programs: Program) -> Program:
    """A program carrying the aliases of all ``programs``, to normalise each side of a
    comparison with: the ``program-name`` normaliser then treats both sides alike, so
    output two programs print alike is never told apart by it."""
    aliases = tuple(dict.fromkeys(a for p in programs for a in p.aliases))
    return dataclasses.replace(programs[-1], aliases=aliases)


def normalise(outcome: Outcome, program: Program, name: str, spec: CompareSpec) -> Outcome:
    """The outcome as it is compared: declared normalisers applied to stdout and
    stderr, and to the names of the files it left (channel ``names``).

    ``name`` is the task's program name, which aliases of ``program`` become.
    """
    names = [rep for rep in spec.replace if rep.channel == "names"]
    if names and (outcome.files or outcome.attrs):
        outcome = renamed_files(outcome, names)
    stdout, stderr = outcome.stdout, outcome.stderr
    if "program-name" in spec.normalise:
        found = _alias_pattern(program.aliases)
        if found is not None:
            shown = name.encode()
            stdout = _renamed(found, shown, stdout)
            stderr = _renamed(found, shown, stderr)
    for rep in spec.replace:
        rx = re.compile(rep.pattern.encode())
        if rep.channel == "stdout":
            stdout = rx.sub(rep.replacement.encode(), stdout)
        elif rep.channel == "stderr":
            stderr = rx.sub(rep.replacement.encode(), stderr)
    if stdout is outcome.stdout and stderr is outcome.stderr:
        return outcome
    return dataclasses.replace(outcome, stdout=stdout, stderr=stderr)


def renamed_files(outcome: Outcome, reps: list[Replacement]) -> Outcome:
    """``outcome`` with each ``names`` replacement applied to the path of every file
    and attribute it holds, in order of the new names (``dos2unix`` leaves
    ``d2utmpIn25Vs`` where a run is refused, another name each run)."""

    def renamed(path: bytes) -> bytes:
        for rep in reps:
            path = re.sub(rep.pattern.encode(), rep.replacement.encode(), path)
        return path

    # each entry's content and attributes sorted with it: two files renamed alike keep
    # one order, whatever their random names were, and each keeps its own mode
    entries: dict[bytes, tuple[bytes | None, list[str], bool]] = {}
    for n, c in outcome.files:
        entries[n] = (c, [], True)
    for n, a in outcome.attrs:
        entries.setdefault(n, (None, [], False))[1].append(a)
    records = sorted(
        (renamed(n), c is None, c or b"", tuple(attrs), listed, c) for n, (c, attrs, listed) in entries.items()
    )
    # entries renamed alike are told apart by their place in that order (`d2utmpXXXXXX`,
    # `d2utmpXXXXXX (2)`), so an attribute stays with its file's content
    seen: dict[bytes, int] = {}
    names = []
    for n, *_ in records:
        seen[n] = seen.get(n, 0) + 1
        names.append(n if seen[n] == 1 else n + b" (%d)" % seen[n])
    files = tuple((name, r[5]) for name, r in zip(names, records, strict=True) if r[4])
    attrs = tuple((name, a) for name, r in zip(names, records, strict=True) for a in r[3])
    if files == outcome.files and attrs == outcome.attrs:
        return outcome
    return dataclasses.replace(outcome, files=files, attrs=attrs)


def differing_channels(reference: Outcome, candidate: Outcome, spec: CompareSpec) -> tuple[str, ...]:
    """The channels on which two (normalised) outcomes differ, in report order."""
    channels: list[str] = []
    if spec.mode("exit") == "exact" and reference.exit_class() != candidate.exit_class():
        channels.append("exit")
    if reference.termination in _CUT_SHORT and candidate.termination in _CUT_SHORT:
        # Both cut short at a point of their own: what each printed is still the start
        # of all it would print, so the part both hold is compared (`seq -s , 1
        # 300000` and toybox's `000001,000002,...` both pass the cap, and agreed).
        for name in ("stdout", "stderr"):
            if spec.mode(name) == "exact" and not _prefixes_agree(getattr(reference, name), getattr(candidate, name)):
                channels.append(name)
        return tuple(channels)
    if spec.mode("stdout") == "exact" and reference.stdout != candidate.stdout:
        channels.append("stdout")
    mode = spec.mode("stderr")
    if (mode == "exact" and reference.stderr != candidate.stderr) or (
        mode == "presence" and bool(reference.stderr) != bool(candidate.stderr)
    ):
        channels.append("stderr")
    if spec.mode("files") == "exact" and reference.tree() != candidate.tree():
        channels.append("files")
    return tuple(channels)


#: Bytes left out at the end of two cut-short outputs that hold no line end: a
#: normaliser's pattern cut in two there may read otherwise on each side.
CUT_MARGIN = 256


def _prefixes_agree(a: bytes, b: bytes) -> bool:
    """Whether two outputs cut short at arbitrary points agree where both go: up to
    the last line end both hold (a normaliser works on whole lines), or, with none,
    all but the last ``CUT_MARGIN`` bytes."""
    n = min(len(a), len(b))
    end = a.rfind(b"\n", 0, n) + 1 or max(0, n - CUT_MARGIN)
    return a[:end] == b[:end]


def fingerprint(reference: Outcome, candidate: Outcome, channels: tuple[str, ...]) -> Fingerprint:
    return Fingerprint(channels, reference.exit_class(), candidate.exit_class())


def compare(case: Case, reference: Outcome, candidate: Outcome, spec: CompareSpec) -> Divergence | None:
    """Compare the (normalised) outcomes of one case; a ``Divergence`` when any channel differs."""
    channels = differing_channels(reference, candidate, spec)
    if not channels:
        return None
    return Divergence(case, reference, candidate, channels, fingerprint(reference, candidate, channels))
