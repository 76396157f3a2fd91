"""From a program to a task: mine its help, probe it, calibrate it, grade it.

``build`` is what ``fuzzdiff task build CMD`` and zero-config ``fuzz --reference``
run: ``mine.mine_task`` reads the help text, ``probe.probe`` learns what the
reference accepts, and ``calibrate`` runs the task's own cases on the reference
twice, the second pass after the first (another wall clock), to grade the task:

- share of cases the reference accepts (exit status 0);
- distinct reference behaviours per 1,000 cases (``corpus.outcome_behaviour``:
  exit class, stderr class, output size class, files changed);
- options, and pairs of options, that some accepted case used;
- determinism: the channels that differed between the two passes, with examples;
- seconds per case.

A reference that varies is calibrated again in the hermetic mode (frozen clock,
seeded randomness); if that makes it repeat itself the task is written with
``hermetic = true``. A program no case of which is accepted, or that varies even
so, cannot be a task: ``Built.unusable`` says why.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import pwd
import random
import re
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from fuzzdiff.core.compare import compare, normalise, renamed_files
from fuzzdiff.core.errors import ProgramError, SpecError, UserError
from fuzzdiff.core.generate import RandomChoices, derive_seed, grammar_for
from fuzzdiff.core.model import Case, Outcome, Program
from fuzzdiff.core.mutate import OptionReader
from fuzzdiff.core.spec import DEFAULT_ENV, Replacement, TaskSpec, load_task, parse_task
from fuzzdiff.engine.judging import varying_channels
from fuzzdiff.factory.mine import mine_task, option_label, task_toml
from fuzzdiff.factory.probe import DEFAULT_BUDGET, accepted, probe
from fuzzdiff.run.allowlist import ETC_FILES, RUNTIME_DATA
from fuzzdiff.run.execute import Executor, LocalExecutor, resolve_executable
from fuzzdiff.run.hermetic import hermetic_spec
from fuzzdiff.run.isolation import unprivileged
from fuzzdiff.run.landlock import shed_capabilities
from fuzzdiff.run.paths import cache_home, under
from fuzzdiff.run.program import elsewhere, reference_program, reference_version
from fuzzdiff.store.artifacts import write_atomic
from fuzzdiff.store.corpus import file_sha256, outcome_behaviour

#: Cases a calibration runs (each twice).
CALIBRATION_CASES = 300
#: Cases that varied a card shows as examples.
SHOWN_VARYING = 3
#: Pairs of differing outcomes a calibration keeps, to look for a normaliser in.
VARIED_KEPT = 50
#: Patterns that may explain why two runs differ, tried in order (a name, the
#: pattern, what it becomes); a pattern explains the runs when, replaced on both
#: sides, every pair agrees. Not every number: that explained any varying count
#: (``ls --inode``), and then no digit a candidate printed was compared.
PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("addresses", r"0x[0-9a-fA-F]+", "0xADDR"),
    ("long hexadecimal numbers", r"\b[0-9a-fA-F]{12,}\b", "HEX"),
    ("times of day", r"[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?", "HH:MM:SS"),
    ("dates", r"[0-9]{4}-[0-9]{2}-[0-9]{2}", "YYYY-MM-DD"),
    ("temporary names", r"tmp\.[A-Za-z0-9]{6,}", "tmp.XXXXXX"),
)
#: Largest share of a varying stream's bytes a proposed normaliser may replace:
#: past it, what varies is the output itself (mcookie's cookie, a temporary name),
#: and a task that masked it would compare nothing (a candidate printing a fixed
#: hexadecimal string was equivalent to mcookie).
MAX_MASKED = 0.5
#: Below this accepted share a task is flagged as weak on its card.
WEAK_SHARE = 0.2
#: Long names of options that print something about the program and exit: a task
#: whose accepted cases all use one exercises nothing of what the program does.
INFORMATIONAL = frozenset({"help", "version", "usage"})


@dataclass(frozen=True)
class Card:
    """A task's quality card (see the module docstring)."""

    task: str
    cases: int
    accepted_share: float
    behaviours_per_1000: float
    options_reached: int
    options_total: int
    pairs_reached: int
    deterministic: bool
    varying: tuple[str, ...]  # "channel: argv" examples of cases that differed
    hermetic: bool
    seconds_per_case: float
    probe_runs: int = 0
    build_seconds: float = 0.0
    # every case the reference accepted asked for its help or version (``INFORMATIONAL``)
    help_only: bool = False

    def text(self) -> str:
        det = "deterministic" if self.deterministic else "NOT deterministic"
        if self.hermetic:
            det += " (hermetic mode: frozen clock, seeded randomness)"
        lines = [
            f"task {self.task}: quality card ({self.cases} cases, each run twice)",
            f"  accepted by the reference  {self.accepted_share:.0%}"
            + ("  (weak: under 20%)" if self.accepted_share < WEAK_SHARE else "")
            + ("  (only calls for help or the version)" if self.help_only else ""),
            f"  behaviours per 1,000 cases {self.behaviours_per_1000:.0f}",
            f"  options reached            {self.options_reached} of {self.options_total}",
            f"  option pairs reached       {self.pairs_reached}",
            f"  determinism                {det}",
            *(f"    varies: {v}" for v in self.varying),
            f"  seconds per case           {self.seconds_per_case:.4f}",
            f"  probe runs, build seconds  {self.probe_runs}, {self.build_seconds:.1f}",
        ]
        return "\n".join(lines)

    def json(self) -> dict[str, object]:
        return asdict(self)


def executor_for(spec: TaskSpec, timeout: float | None = None, nest: int = 0) -> Executor:
    """An executor for the reference with the task's environment (the hermetic
    variables added for a hermetic task) and limits (or a shorter timeout and
    output cap, for probes). Its runs cannot change the machine: each drops every
    capability before ``exec`` and, where the kernel has Landlock, may write only
    in a directory tree of its own (``isolation.unprivileged``); without Landlock
    the first such executor of this process warns, once, on stderr. ``nest``: its
    runs' directories lie that many levels deeper (``isolation.unprivileged``)."""
    limits = spec.limits if timeout is None else replace(spec.limits, timeout=timeout, output_bytes=1 << 16)
    executor, warnings = unprivileged(dict(hermetic_spec(spec).env), limits, nest)
    for warning in warnings:
        if warning not in _WARNED:
            _WARNED.add(warning)
            print(f"fuzzdiff: warning: {warning}", file=sys.stderr)
    return executor


def replay_runner(spec: TaskSpec) -> Executor:
    """An executor that runs the reference as a campaign's workers and a replay do:
    every capability shed, no Landlock (``executor_for`` confines it)."""
    return LocalExecutor(dict(hermetic_spec(spec).env), spec.limits, confine=shed_capabilities)


def replayable(spec: TaskSpec, program: Program, recorded: list[tuple[Case, Outcome]]) -> list[tuple[Case, Outcome]]:
    """The recorded cases whose outcome the reference gives again run by
    ``replay_runner``, as a replay compares them (``agrees``). Calibration runs it
    confined, and patch runs ed, which cannot write its buffer in /tmp there:
    "Permission denied" was recorded, ed's `?` replayed, and `task build patch`
    wrote a corpus patch itself failed."""
    runner = replay_runner(spec)
    return [(c, o) for c, o in recorded if agrees(spec, program, c, o, runner.run(program, c))]


def agrees(spec: TaskSpec, program: Program, case: Case, first: Outcome, again: Outcome) -> bool:
    """Whether ``again`` is ``first`` as the task compares outcomes (normalised, then
    channel by channel); ``first`` may be a stored, already normalised outcome."""
    expected = normalise(first, program, program.argv0, spec.compare)
    return compare(case, expected, normalise(again, program, program.argv0, spec.compare), spec.compare) is None


#: Warnings ``executor_for`` has printed in this process (each is printed once).
_WARNED: set[str] = set()


def calibrate(
    spec: TaskSpec,
    executor: Executor,
    program: Program,
    *,
    seed: int,
    cases: int = CALIBRATION_CASES,
    probe_runs: int = 0,
    varied: list[tuple[Outcome, Outcome]] | None = None,
    seen: list[tuple[Case, bool]] | None = None,
) -> tuple[Card, list[tuple[Case, Outcome]]]:
    """Run ``cases`` fresh cases of the task on the reference, twice (the second time
    by another spelling of its path, ``elsewhere``: a copy must agree with it),
    compared as the task compares them (its normalisers applied); the card and the
    first case of each behaviour with its outcome (a corpus to record). Pairs of
    outcomes that differed are appended to ``varied``, the first ``VARIED_KEPT`` of
    them, and every case, with whether it differed, to ``seen``."""
    grammar = grammar_for(spec)
    made = [grammar.case(RandomChoices(random.Random(derive_seed(seed, "calibrate", i)))) for i in range(cases)]
    started = time.perf_counter()
    first = [executor.run(program, c) for c in made]
    seconds = time.perf_counter() - started
    other = elsewhere(program)
    second = [executor.run(other, c) for c in made]
    reader = OptionReader(spec)
    behaviours: dict[tuple[object, ...], tuple[Case, Outcome]] = {}
    reached: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    shown: list[str] = []  # the first few cases that varied
    unstable = n_accepted = n_informational = 0
    for case, raw_a, raw_b in zip(made, first, second, strict=True):
        a = normalise(raw_a, program, program.argv0, spec.compare)
        b = normalise(raw_b, other, program.argv0, spec.compare)
        behaviours.setdefault(outcome_behaviour(case, a), (case, a))
        diff = varying_channels(a, b)
        if seen is not None:
            seen.append((case, bool(diff)))
        if diff:
            unstable += 1
            if varied is not None and len(varied) < VARIED_KEPT:
                varied.append((a, b))
            if len(shown) < SHOWN_VARYING:
                shown.append(f"{', '.join(diff)}: {_shown(case)}")
        if accepted(a):
            n_accepted += 1
            read = reader.readings(case.argv)
            n_informational += any(opt.long in INFORMATIONAL for opt, _, _, _ in read)
            names = sorted({opt.label() for opt, _, _, _ in read})
            reached.update(names)
            pairs.update(itertools.combinations(names, 2))
    if unstable > len(shown):
        shown.append(f"... {unstable} of {cases} cases differed in all")
    card = Card(
        task=spec.name,
        cases=cases,
        accepted_share=n_accepted / max(cases, 1),
        behaviours_per_1000=len(behaviours) * 1000 / max(cases, 1),
        options_reached=len(reached),
        options_total=len([o for o in spec.options if o.weight > 0]),
        pairs_reached=len(pairs),
        deterministic=unstable == 0,
        varying=tuple(shown),
        hermetic=spec.hermetic,
        seconds_per_case=seconds / max(cases, 1),
        probe_runs=probe_runs,
        help_only=0 < n_accepted == n_informational,
    )
    return card, list(behaviours.values())


def propose_normaliser(varied: list[tuple[Outcome, Outcome]]) -> list[dict[str, str]]:
    """``[[compare.replace]]`` tables that explain every differing pair, or none: for
    files whose names differ only in a run of letters and digits after a fixed
    start (a temporary file ``mkstemp`` named, which no seed fixes: ``_random_names``),
    one ``names`` table per start, and the same name, standing alone, masked in
    both streams (a message may name the file where calibration did not meet it);
    then, for a stream that still varies, the first pattern of ``PATTERNS`` that
    makes it agree in every pair, unless it would replace more than ``MAX_MASKED``
    of that stream's bytes. Exit status and file contents cannot be normalised."""
    if not varied or any(a.exit_class() != b.exit_class() for a, b in varied):
        return []
    tables: list[dict[str, str]] = []
    renamed = [(a, b) for a, b in varied if a.tree() != b.tree()]
    if renamed:
        tables = _random_names(renamed)
        reps = [Replacement(t["channel"], t["pattern"], t["replacement"]) for t in tables]
        if not tables or any(renamed_files(a, reps).tree() != renamed_files(b, reps).tree() for a, b in renamed):
            return []
    shown = [(_ALONE + t["pattern"].removeprefix(_NAME_START), t["replacement"]) for t in tables]
    for channel in ("stdout", "stderr"):
        pairs = [(getattr(a, channel), getattr(b, channel)) for a, b in varied]
        for pattern, replacement in shown:  # `dos2unix -n a .`: "output file remains in './d2utmpLG9pgF'"
            tables.append({"channel": channel, "pattern": pattern, "replacement": replacement})
            rx, to = re.compile(pattern.encode()), replacement.encode()
            pairs = [(rx.sub(to, x), rx.sub(to, y)) for x, y in pairs]
        if all(x == y for x, y in pairs):
            continue
        found = _explaining(pairs)
        if found is None or _masked_share(found[0], [x for x, _ in pairs]) > MAX_MASKED:
            return []
        tables.append({"channel": channel, "pattern": found[0], "replacement": found[1]})
    return tables


#: Letters and digits a temporary name's random part is drawn from (glibc's
#: ``mkstemp``, coreutils' ``mktemp``), and the length ``mkstemp`` requires.
_RANDOM_BYTE = re.compile(rb"[A-Za-z0-9]")
RANDOM_RUN = 6
#: Where a names pattern may match: at the start of a path or of one of its parts.
_NAME_START = "(?:(?<=/)|^)"
#: Where the same name may match in a stream: not inside a longer word.
_ALONE = "(?<![A-Za-z0-9])"
#: Fewest characters a random name's fixed start must have: a shorter one (``.``,
#: ``t``) would mask ordinary words and numbers (``.141592`` of ``3.141592``).
MIN_START = 3


def _random_names(pairs: list[tuple[Outcome, Outcome]]) -> list[dict[str, str]]:
    """``names`` tables for files whose names differ between two runs only in a run
    of letters and digits (at least ``RANDOM_RUN``, widened to it to the left) after
    a fixed start: ``dos2unix`` leaves ``d2utmpIn25Vs`` where it is refused, another
    name each run, and glibc's ``mkstemp`` draws it from the system call, which no
    preloaded seed reaches. None where another difference is left, or where a name
    is random whole (no start to tell it by)."""
    starts: dict[bytes, int] = {}
    for a, b in pairs:
        names_a = {n for n, _ in a.files} | {n for n, _ in a.attrs}
        names_b = {n for n, _ in b.files} | {n for n, _ in b.attrs}
        only_a, only_b = sorted(names_a - names_b), sorted(names_b - names_a)
        if not only_a or len(only_a) != len(only_b):
            return []
        for x, y in zip(only_a, only_b, strict=True):
            found = _random_run(x, y)
            if found is None:
                return []
            start, n = found
            starts[start] = max(n, starts.get(start, 0))
    tables = []
    for start, n in sorted(starts.items()):
        try:
            text = start.decode()
        except UnicodeDecodeError:
            return []
        if len(text) < MIN_START:  # a name random whole, or nearly: it would hide `output` against `result`
            return []
        pattern = f"{_NAME_START}{re.escape(text)}[A-Za-z0-9]{{{n}}}(?![A-Za-z0-9])"
        tables.append({"channel": "names", "pattern": pattern, "replacement": text.replace("\\", "\\\\") + "X" * n})
    return tables


def _random_run(x: bytes, y: bytes) -> tuple[bytes, int] | None:
    """Where two names of one length differ only in letters and digits of one path
    part: the fixed start of that part before them, and the run's length."""
    if len(x) != len(y):
        return None
    differ = [i for i in range(len(x)) if x[i] != y[i]]
    if not differ:
        return None
    first, end = differ[0], differ[-1] + 1
    if not all(_RANDOM_BYTE.fullmatch(bytes([c])) for c in x[first:end] + y[first:end]):
        return None
    # the random part may end in a character both names happen to share
    # (``d2utmpAbc1Xy`` and ``d2utmpZbc2Xy``): to the end of the run, then to its length leftwards
    while end < len(x) and _RANDOM_BYTE.fullmatch(x[end : end + 1]) and end - first < RANDOM_RUN:
        end += 1
    while end - first < RANDOM_RUN and first > 0 and _RANDOM_BYTE.fullmatch(x[first - 1 : first]):
        first -= 1
    part = x.rfind(b"/", 0, first) + 1
    return x[part:first], end - first


def _masked_share(pattern: str, outputs: list[bytes]) -> float:
    """The share of the bytes of ``outputs`` that ``pattern`` matches."""
    rx = re.compile(pattern.encode())
    total = sum(len(o) for o in outputs)
    return sum(len(m.group()) for o in outputs for m in rx.finditer(o)) / total if total else 0.0


def _explaining(pairs: list[tuple[bytes, bytes]]) -> tuple[str, str] | None:
    """The narrowest pattern (and replacement) after which every pair agrees: each
    of ``PATTERNS`` alone, then the first two, three, ... together."""
    tries = [(p, r) for _, p, r in PATTERNS]
    tries += [("|".join(p for _, p, _ in PATTERNS[:k]), "#") for k in range(2, len(PATTERNS) + 1)]
    for pattern, replacement in tries:
        rx = re.compile(pattern.encode())
        if all(rx.sub(replacement.encode(), x) == rx.sub(replacement.encode(), y) for x, y in pairs):
            return pattern, replacement
    return None


def _shown(case: Case) -> str:
    words = [a.decode("utf-8", "replace") for a in case.argv]
    return " ".join(words)[:100] or "(no arguments)"


@dataclass
class Built:
    """A built task: its table (as parsed TOML), spec, card and first cases of
    each reference behaviour; why it cannot be a task, if it cannot."""

    raw: dict[str, object]
    spec: TaskSpec
    card: Card
    novel: list[tuple[Case, Outcome]]
    unusable: str | None = None  # why the program cannot be a sound task
    notes: dict[str, list[str]] = field(default_factory=dict)  # how each fact was learned

    def toml(self) -> str:
        head = (
            f"# Built by `fuzzdiff task build`: mined from --help, then probed ({self.card.probe_runs} reference\n"
            "# runs). Comments say how each fact was learned; review and edit freely.\n"
            f"# Quality: {self.card.accepted_share:.0%} of cases accepted, "
            f"{self.card.behaviours_per_1000:.0f} behaviours per 1,000 cases, "
            f"{'deterministic' if self.card.deterministic else 'NOT deterministic'}"
            + (" in the hermetic mode" if self.card.hermetic else "")
            + "."
        )
        return task_toml(self.raw, self.notes, head)


def build(
    command: list[str],
    *,
    name: str | None = None,
    seed: int = 1,
    budget: int = DEFAULT_BUDGET,
    hermetic: bool | None = None,
    cases: int = CALIBRATION_CASES,
    probing: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Built:
    """Mine, probe and calibrate ``command``; ``hermetic`` None tries without, then
    with. ``Built.unusable`` says why a program cannot be a task (nothing accepted,
    or it varies between runs)."""
    started = time.perf_counter()
    raw = mine_task(command, name)
    if hermetic:
        raw["hermetic"] = True
    spec = parse_task(raw, f"<built from {' '.join(command)}>")
    program = reference_program(spec)
    learned = None
    if probing:
        learned = probe(raw, executor_for(spec, timeout=1.0), program, budget=budget, seed=seed, progress=progress)
        raw = learned.raw
        try:
            spec = parse_task(raw, f"<built from {' '.join(command)}>")
        except SpecError as exc:  # what probing wrote is fuzzdiff's, not the user's: a bug (exit 3), not 2
            raise RuntimeError(f"probing {' '.join(command)} wrote a task that does not load: {exc}") from exc
    runs = learned.runs if learned else 0
    notes = learned.notes if learned else {}
    if learned is not None and learned.hung:  # calibrating would cost 600 more time limits
        return _hung(command, raw, spec, runs, time.perf_counter() - started, notes)
    version = reference_version(program)
    if version and version == reference_version(program):  # one that prints the clock is no version
        raw = {**raw, "version": version}
        notes.setdefault("probe", []).append("version: the first line of the reference's --version")
    raw, spec, card, novel = _calibrated(raw, spec, program, seed, cases, runs, hermetic, notes, progress)
    novel = replayable(spec, program, novel)
    seen = trace(spec, program, [c for c, _ in novel[:HELPER_CASES]])
    if seen.ran or seen.read:
        raw = {**raw, "tools": sorted({*seen.ran, *seen.read, *(t for t in spec.tools if t != "sh")})}
        spec = parse_task(raw, f"<built from {' '.join(command)}>")
    if seen.ran:
        notes.setdefault("probe", []).append(
            f"probed: the reference runs {', '.join(seen.ran)} (seen under strace): a sandboxed candidate may too"
            " (tools)"
        )
    if seen.read:
        notes.setdefault("probe", []).append(
            f"probed: the reference reads {', '.join(seen.read)} (seen under strace): a sandboxed candidate may too"
            " (tools)"
        )
    card = replace(card, build_seconds=time.perf_counter() - started)
    return Built(raw, spec, card, novel, _unusable(command, card, hermetic), notes)


#: Recorded cases (one per behaviour) traced for the programs the reference runs.
HELPER_CASES = 200
#: Where a traced run writes what it executed (in its own working directory), a
#: file per process (``strace -ff``: one process's lines are never split by another's).
_TRACE = ".fuzzdiff-execs"
_EXECVE = re.compile(rb'^execve\("([^"]+)", .*\) = 0$', re.MULTILINE)
#: A file opened by absolute path and found
#: (``openat(AT_FDCWD, "/usr/share/figlet/standard.flf", O_RDONLY) = 3``).
_OPENED = re.compile(rb'^open(?:at)?\((?:AT_FDCWD, )?"(/[^"]+)", ([A-Z_|]+)[^\n]*\) = \d+$', re.MULTILINE)
#: What a program reads that is not data of its own: the kernel's and the run's
#: files, scratch and home directories, message catalogues, and what every
#: candidate's root holds anyway (``allowlist.ETC_FILES`` and ``RUNTIME_DATA``).
_NOT_DATA = ("/proc/", "/sys/", "/dev/", "/run/", "/tmp/", "/var/tmp/", "/root/", "/home/", "/usr/share/locale/")
_LIBRARY = re.compile(r"\.so(\.[0-9]+)*$|^/etc/ld\.so\.")
#: A data file under here is shared with the files beside it (a font, a dictionary):
#: the directory ``/usr/share/NAME`` is given, so cases the trace did not meet find theirs.
_SHARED_DATA = "/usr/share/"


@dataclass(frozen=True)
class Traced:
    """What a reference did on its recorded cases besides its own work: the other
    programs it ran (by name) and the data files it read (absolute paths)."""

    ran: tuple[str, ...] = ()
    read: tuple[str, ...] = ()


def trace(spec: TaskSpec, program: Program, cases: list[Case]) -> Traced:
    """What the reference needs besides itself on ``cases``, seen with strace where
    it is installed: a candidate in the masked sandbox may run and read only what
    its own command needs and the task's ``tools``, so without them an exact copy
    of the reference is judged wrong.

    - the other programs it runs (diff3 runs diff, patch runs ed), by name, where
      the task's PATH finds them. A program a case names itself (``split
      --filter=base64``) counts too: the task's cases make the reference run it,
      so a faithful candidate runs it as well. The reference itself and ``sh``
      (always a tool) are left out, and so is what the reference's own process
      becomes (``egrep`` runs ``exec grep``: that is the reference, which the
      masked sandbox hides, not a helper);
    - the data files it (or a helper) opens to read by absolute path that are
      still there after the run (figlet's fonts, rhash's ``/etc/rhashrc``, file's
      magic database): not libraries, not what ``_NOT_DATA`` names, not the
      reference's own files. A file under ``/usr/share/NAME/`` gives that
      directory."""
    strace = None
    with contextlib.suppress(ProgramError):
        strace = resolve_executable("strace", os.environ.get("PATH", os.defpath)) if cases else None
    if strace is None:
        return Traced()
    watched = "trace=execve,open,openat"
    traced = Program(
        argv=(strace, "-f", "-ff", "-qq", "-e", watched, "-e", "signal=none", "-o", _TRACE, *program.argv),
        argv0=strace,
    )
    executor = executor_for(spec)
    itself = {os.path.basename(program.argv[0]), os.path.basename(program.argv0)}
    ran: set[str] = set()
    opened: set[str] = set()
    for case in cases:
        for file, log in executor.run(traced, case).files:
            if not file.startswith(_TRACE.encode() + b".") or log is None:
                continue
            names = [os.path.basename(p.decode("utf-8", "surrogateescape")) for p in _EXECVE.findall(log)]
            if names and names[0] not in itself:  # not the reference's own process, or what it becomes
                ran.update(names)
            for path, flags in _OPENED.findall(log):
                if not any(f in flags for f in (b"O_WRONLY", b"O_RDWR", b"O_CREAT", b"O_DIRECTORY")):
                    opened.add(path.decode("utf-8", "surrogateescape"))
    programs = tuple(sorted(n for n in ran - itself - {"sh"} if _on_path(n, spec)))
    return Traced(programs, _data(opened, program))


def _data(opened: set[str], program: Program) -> tuple[str, ...]:
    """The data files among ``opened`` (see ``trace``): only files anyone may reach
    and read (never ``/etc/shadow``, which root's reference can open, nor a file in
    a closed directory), never code (a script's modules, an executable: the masked
    sandbox hides the reference, and its implementation with it), never under the
    reference's own directory or its user's home. A file under ``/usr/share/NAME/``
    gives that directory (a font's siblings) only where every file in it passes too."""
    own_dirs = {os.path.dirname(os.path.realpath(w)) for w in program.argv if os.path.isabs(w)}
    homes = {os.path.realpath(os.path.expanduser("~"))}
    with contextlib.suppress(KeyError):
        homes.add(os.path.realpath(pwd.getpwuid(os.getuid()).pw_dir))
    anyway = (*ETC_FILES, *(d for d in RUNTIME_DATA if d.startswith("/")))
    beside_libc = tuple(f"/{d}/" for d in RUNTIME_DATA if not d.startswith("/"))  # gconv's modules and cache

    def fit(path: str) -> bool:
        real = os.path.realpath(path)
        return (
            _open_data(real)
            and not _LIBRARY.search(real)
            and not any(d in real for d in beside_libc)
            and not any(under(p, [d]) for p in (path, real) for d in (*own_dirs, *homes) if d != "/")
            and not any(
                p.startswith(_NOT_DATA) or p in anyway or p.startswith(tuple(a + "/" for a in anyway))
                for p in (path, real)
            )
        )

    found: set[str] = set()
    whole: dict[str, bool] = {}  # shared directory -> whether it is given whole
    for opened_path in opened:
        path = os.path.normpath(opened_path)
        if not fit(path):
            continue
        real = os.path.realpath(path)
        parts = path[len(_SHARED_DATA) :].split("/") if path.startswith(_SHARED_DATA) else []
        given = path
        if len(parts) > 1 and parts[0] not in ("", ".", ".."):
            shared = _SHARED_DATA + parts[0]
            if shared not in whole:  # each directory walked once, however many of its files were read
                whole[shared] = not any(under(d, [shared]) for d in own_dirs) and _all_data(shared, fit)
            if whole[shared]:
                given = shared  # not where the reference lies (/usr/bin/mvn is /usr/share/maven/bin/mvn)
        found.add(given)
        if real != path and not under(real, [given]):
            found.add(real)  # a link's target elsewhere (units' currency.units is in /var/lib/units)
    return tuple(sorted(found))


def _open_data(real: str) -> bool:
    """A regular file anyone may read, in directories anyone may pass, that is not
    code: no script suffix, no execute bit, no ``#!`` or ELF header."""
    try:
        st = os.stat(real)
        if not stat.S_ISREG(st.st_mode) or not st.st_mode & stat.S_IROTH or st.st_mode & 0o111:
            return False
        parent = os.path.dirname(real)
        while parent != "/":
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return False
            parent = os.path.dirname(parent)
        with open(real, "rb") as f:
            head = f.read(4)
    except OSError:
        return False
    return not real.endswith(_CODE) and not head.startswith((b"#!", b"\x7fELF"))


#: Most entries a shared data directory may hold to be given whole (each is checked).
SHARED_ENTRIES = 5000


def _all_data(directory: str, fit: Callable[[str], bool]) -> bool:
    """Whether every file under ``directory`` (at most ``SHARED_ENTRIES``) is data ``fit`` keeps."""
    seen = 0
    for top, dirs, files in os.walk(directory):
        seen += len(dirs) + len(files)
        if seen > SHARED_ENTRIES or not all(fit(os.path.join(top, f)) for f in files):
            return False
    return seen > 0


#: Files that are code, not data: a script reference's own modules.
_CODE = (".py", ".pyc", ".pm", ".pl", ".rb", ".jar", ".class", ".js", ".lua", ".tcl", ".sh")


def _on_path(name: str, spec: TaskSpec) -> bool:
    with contextlib.suppress(ProgramError):
        resolve_executable(name, dict(spec.env).get("PATH", DEFAULT_ENV["PATH"]))
        return True
    return False


def _hung(
    command: list[str], raw: dict[str, object], spec: TaskSpec, runs: int, seconds: float, notes: dict[str, list[str]]
) -> Built:
    """A program that ran until killed on nearly every probe: no task, and why."""
    card = Card(
        task=spec.name,
        cases=0,
        accepted_share=0.0,
        behaviours_per_1000=0.0,
        options_reached=0,
        options_total=len([o for o in spec.options if o.weight > 0]),
        pairs_reached=0,
        deterministic=True,
        varying=(),
        hermetic=spec.hermetic,
        seconds_per_case=0.0,
        probe_runs=runs,
        build_seconds=seconds,
    )
    why = (
        f"{' '.join(command)}: the reference ran past the time limit on nearly every probe run "
        f"({runs} runs): it may be interactive (waiting for a terminal or for input it never gets) "
        "or need the network: write a task by hand"
    )
    return Built(raw, spec, card, [], why, notes)


_Pair = tuple[Outcome, Outcome]


@dataclass(frozen=True)
class _Attempt:
    """One calibration of one task table: the table, its spec, the card and
    corpus, the differing outcome pairs, and every case with whether it varied."""

    raw: dict[str, object]
    spec: TaskSpec
    card: Card
    novel: list[tuple[Case, Outcome]]
    varied: list[_Pair]
    seen: list[tuple[Case, bool]]


def _calibrated(
    raw: dict[str, object],
    spec: TaskSpec,
    program: Program,
    seed: int,
    cases: int,
    runs: int,
    hermetic: bool | None,
    notes: dict[str, list[str]],
    progress: Callable[[str], None] | None,
) -> tuple[dict[str, object], TaskSpec, Card, list[tuple[Case, Outcome]]]:
    """Calibrate; for a reference that varies, again in the hermetic mode (unless
    ``hermetic`` is False), then with the options that make it vary kept out, then
    with a proposed normaliser if one explains what still varies. The task as it
    is to be written, and its calibration."""

    def attempt(table: dict[str, object]) -> _Attempt:
        tried = parse_task(table, spec.source)
        varied: list[_Pair] = []
        seen: list[tuple[Case, bool]] = []
        card, novel = calibrate(
            tried, executor_for(tried), program, seed=seed, cases=cases, probe_runs=runs, varied=varied, seen=seen
        )
        return _Attempt(table, tried, card, novel, varied, seen)

    now = attempt(raw)
    if not now.card.deterministic and hermetic is None:
        if progress is not None:
            progress(f"{spec.name} varies between runs; calibrating again in the hermetic mode")
        h = attempt({**raw, "hermetic": True})
        if h.card.deterministic or len(h.varied) < len(now.varied):
            now = h
            notes.setdefault("probe", []).append("calibrated: varies between runs unless hermetic: hermetic = true")
    if not now.card.deterministic:
        now = _kept_out(now, attempt, notes)
    if not now.card.deterministic:
        now = _words_kept_out(now, attempt, notes)
    if not now.card.deterministic:
        tables = propose_normaliser(now.varied)
        if tables:
            given = now.raw.get("compare")
            compare: dict[str, object] = dict(given) if isinstance(given, dict) else {}
            before = compare.get("replace")
            compare["replace"] = [*(before if isinstance(before, list) else []), *tables]
            n = attempt({**now.raw, "compare": compare})
            if n.card.deterministic:
                now = n
                shown = ", ".join(f"{t['channel']} {t['pattern']}" for t in tables)
                notes.setdefault("compare", []).append(
                    f"calibrated: runs differed only where these patterns match ({shown}): normalised"
                )
    return now.raw, now.spec, now.card, now.novel


def _kept_out(now: _Attempt, attempt: Callable[[dict[str, object]], _Attempt], notes: dict[str, list[str]]) -> _Attempt:
    """``now`` with the options that make the reference vary kept out (weight 0),
    one at a time (``varying_option``), at most ``MAX_DROPPED``, each put back if
    the task repeats itself without it kept out; ``now`` itself if that is not all
    it takes."""
    table, dropped, last = now.raw, list[str](), now
    while len(dropped) < MAX_DROPPED:
        label = varying_option(last.spec, last.seen)
        if label is None:
            return now
        dropped.append(label)
        table = _weighted(table, label, 0.0)
        last = attempt(table)
        if last.card.deterministic:
            for label in dropped[:-1]:  # kept out with too little evidence: back if it repeats
                back = attempt(_with_option(last.raw, label, now.raw))
                if back.card.deterministic:
                    last = back
                    dropped.remove(label)
            for label in dropped:
                notes.setdefault(label, []).append(
                    f"calibrated: weight 0: every case that varied between runs had {label}"
                    f" ({', '.join(dropped)} kept out, the task repeats itself)"
                )
            return last
    return now


#: Options calibration may keep out, one at a time, to make a task repeat itself.
MAX_DROPPED = 3


def _options(raw: dict[str, object]) -> list[dict[str, object]]:
    options = raw.get("options", [])
    assert isinstance(options, list)
    return options


def _weighted(raw: dict[str, object], label: str, weight: float) -> dict[str, object]:
    """``raw`` with the option ``label`` given ``weight``."""
    return {**raw, "options": [{**o, "weight": weight} if option_label(o) == label else o for o in _options(raw)]}


def _with_option(raw: dict[str, object], label: str, source: dict[str, object]) -> dict[str, object]:
    """``raw`` with the option ``label`` as ``source`` has it (put back as it was)."""
    original = next(o for o in _options(source) if option_label(o) == label)
    return {**raw, "options": [original if option_label(o) == label else o for o in _options(raw)]}


def _words_kept_out(
    now: _Attempt, attempt: Callable[[dict[str, object]], _Attempt], notes: dict[str, list[str]]
) -> _Attempt:
    """``now`` without the operand sentences that start with the word in every case
    that varied (``datamash rand 1``: its random pick is seeded by the process id,
    which only a sandbox's namespace fixes), up to ``MAX_DROPPED`` words one at a
    time; ``now`` itself if that is not all it takes."""
    last, dropped = now, list[str]()
    while len(dropped) < MAX_DROPPED:
        word = varying_word(last.spec, last.seen)
        if word is None:
            return now
        dropped.append(word)
        operands = last.raw.get("operands")
        assert isinstance(operands, dict)
        kept = [w for w in operands.get("sentences", []) if w[:1] != [word]]
        if not kept:
            return now
        last = attempt({**last.raw, "operands": {**operands, "sentences": kept}})
        if last.card.deterministic:
            notes.setdefault("operands", []).append(
                f"calibrated: every case that varied between runs had the sentence word {', '.join(dropped)}:"
                " the sentences starting with it are left out (the task repeats itself)"
            )
            return last
    return now


def varying_word(spec: TaskSpec, seen: list[tuple[Case, bool]]) -> str | None:
    """The first word of an operand sentence that is in every case that varied
    between runs (the one whose cases varied most often), or None."""
    starts = {s[0] for s in spec.operands.sentences if s}
    return _in_every_varying(
        [({w for w in (a.decode("utf-8", "replace") for a in case.argv) if w in starts}, v) for case, v in seen]
    )


def varying_option(spec: TaskSpec, seen: list[tuple[Case, bool]]) -> str | None:
    """The option (its label) in every case that varied between runs: what makes
    the reference vary (``ls --inode`` prints inode numbers, new on every run).
    When several are, the one whose cases varied most often (``ls -b --inode``
    varies, ``ls -b`` does not); None when no option is in them all."""
    reader = OptionReader(spec)
    return _in_every_varying(
        [({o.label() for o, _, _, _ in reader.readings(case.argv) if o.weight > 0}, v) for case, v in seen]
    )


def _in_every_varying(read: list[tuple[set[str], bool]]) -> str | None:
    """Of the names found in every case that varied (each case's names, and whether
    it varied), the one whose cases varied most often (ties: by name); None if none."""
    varying = [names for names, varied in read if varied]
    common = set.intersection(*varying) if varying else set()
    if not common:
        return None
    share = {n: sum(v for names, v in read if n in names) / sum(n in names for names, _ in read) for n in common}
    return min(common, key=lambda n: (-share[n], n))


def _unusable(command: list[str], card: Card, hermetic: bool | None) -> str | None:
    """Why a program cannot be a task, or None."""
    shown = " ".join(command)
    if card.accepted_share == 0:
        return (
            f"{shown}: the reference accepted none of {card.cases} cases (exit status 0); it may be "
            "interactive, need the network or need inputs fuzzdiff cannot guess: write a task by hand"
        )
    if card.help_only:
        return (
            f"{shown}: the reference accepted only calls asking for its help or version "
            f"({card.accepted_share:.0%} of {card.cases} cases); it may be interactive, need the network, "
            "need a required operation or inputs fuzzdiff cannot guess: give them as fixed arguments "
            f"(`fuzzdiff task build {shown} OPERATION`) or write a task by hand"
        )
    if not card.deterministic:
        how = " even in the hermetic mode" if hermetic is not False else " (try --hermetic)"
        return (
            f"{shown}: the reference does not repeat itself{how} when run twice, the second time by "
            f"another path as a copy of it would be ({'; '.join(card.varying)})"
        )
    return None


#: Bump when probing changes what it learns: cached tasks are then built again.
FACTORY_VERSION = 26  # 2: probes confined (a task learned unconfined may hold what only root could do);
# 3: an option that accepts too many values keeps one of each kind in turn (probe.spread);
# 4: operand sentences from the help text's syntax forms (mine.mine_sentences), kept where accepted;
# calibration keeps out an option in every varying case, and no longer normalises every number;
# 5: a flag is one only where it is also accepted after the operands (paste --delimiters FILE);
# 6: choices from `METHOD can be:` lists and `UNIT options:` sections (numfmt); a version that varies is not kept
# 7: an option requires another only where it changes what that one does alone (not `--license`, which exits)
# 8: lowercase, angled and spelled-out metavariables mined; values that must be their own word (`separate`)
# 9: the program's own output is taken from a call reading stdin too (a compressor's, for -d and -t)
# 10: two runs kept back from probing options one by one, so abbreviations are learned on any budget (zstd)
# 11: an optional value never learned as its own word (recode --source); option values that name an
# existing file or directory (`grep -f`, `cp -t`): value kinds file and dir
# 12: a silent status under the one an unknown option is refused with is an answer (grep's 1 for no
# match); choices from `TYPE is 'binary', 'text', or 'without-match'` sentences (grep, diff); once an
# option takes a value, the next ones are tried on the first two calls that took one (probe.VALUE_BASES)
# 13: confined runs as root get a private /tmp (ed); usage words ending in FILE are files (diff3's
# MYFILE OLDFILE YOURFILE); three operands are tried where the usage takes three and no pair is accepted
# 14: the programs the reference runs on its recorded cases (strace) become the task's tools
# 15: keyword lists of the help text become sentences; where only sentences are accepted every case
# takes one, the input is chosen by them and options are learned on them (datamash sum 1)
# 16: files named at random after a fixed start (mkstemp's d2utmpXXXXXX) get a `names` normaliser
# 17: the data files the reference reads on its recorded cases (strace: figlet's fonts) join the tools
# 18: a names normaliser brings its pattern for both streams; none for a name random whole; data read
# is world-readable, not code, not beside the reference or in a home
# 19: a random name's start has 3 characters at least and its stream pattern stands alone; streams are
# explained after it; /usr/share/NAME is given whole only if all of it is data; data files and their
# directories open to all
# 20: a help text listing no options on lines of their own gives those of its usage synopsis (figlet, rs)
# 21: a refusal's list of valid values (GNU argmatch) is learned; an option that takes at most one value
#     alone may require another at one of its values (`cksum -l` needs `-a blake2b`)
# 22: review mends: an option refused alone learns its need too; a need met beside any value is a plain
#     requires, one met only at the first value is pinned; prose in a listed block lists nothing
# 23: calibration runs the reference the second time by another path (`/usr/bin/./mktemp`), as a copy
#     runs: output only the reference at its own path makes (hermetic mktemp's names) is normalised or refused
# 24: that path is 16 bytes longer (the stack's alignment), not 2 (`/./`), which most often moved nothing
# 25: operands from util-linux's usage forms (a `Usage:` line of its own, `<string>`, `[file ...]`) and
# from indented forms naming the program under a usage line (jq's): look had none and was refused
# 26: own output or fixtures that are not text are left out (gzip's own output was written with U+FFFD
# for its bytes, no longer gzip data); no empty fixtures table


def cache_key(command: list[str], seed: int, budget: int) -> str:
    """What a built task is cached under: the reference binary's content, the name
    it is called by and its fixed arguments, the seed, the budget and the factory's
    version. The name counts: one binary called by two names is two programs
    (`lz4cat` is `lz4`'s binary, and decompresses; `xzcat` and `unxz` are `xz`'s),
    and `fuzz --reference lz4cat` was given the task built for `lz4`."""
    exe = resolve_executable(command[0], DEFAULT_ENV["PATH"] + os.pathsep + os.environ.get("PATH", ""))
    key = json.dumps([file_sha256(exe), command, seed, budget, FACTORY_VERSION])
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def cached_build(command: list[str], *, seed: int, budget: int, where: Path | None = None) -> TaskSpec:
    """A zero-config task for ``command``: the one built before for this binary,
    seed and budget, else a fresh ``build`` (then cached as a task file). The cache
    lives with fuzzdiff's other caches (``paths.cache_home``), which a sandboxed
    candidate cannot see; an entry that no longer loads is built again."""
    where = where or cache_home() / "tasks"
    path = where / f"{cache_key(command, seed, budget)}.toml"
    if path.exists():
        with contextlib.suppress(UserError):
            return load_task(str(path))
    built = build(command, seed=seed, budget=budget)
    try:
        where.mkdir(parents=True, exist_ok=True)
        write_atomic(path, built.toml().encode())
    except OSError:
        return built.spec  # a cache that cannot be written only costs the next run a probe
    # the task as every later run loads it: the same spec, and a case file names a
    # task file that `minimize` finds
    with contextlib.suppress(UserError):
        return load_task(str(path))
    return built.spec
