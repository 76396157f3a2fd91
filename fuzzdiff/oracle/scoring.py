"""The reward oracle: one deterministic number per candidate, for training loops.

A score runs in phases, all counted against one case budget:

1. **probes**: the task's committed corpus (``corpora/TASK``): one case per
   reference behaviour, then the other accepted cases and up to
   ``PROBES_PER_ERROR`` of each way of failing (``select_probes``), at most
   ``PROBE_SHARE`` of the budget, so the sweep and fresh cases always run too.
   One case in five (chosen by key, so always the same ones) is *held out*:
   it counts like any other, but is never shown in feedback.
2. **pool** (only with ``use_pool=True``; off by default, so that a score
   depends on its inputs alone): minimal counterexamples found for *other*
   candidates of the same task (a persistent shared pool: candidates from one
   model share bugs).
   A candidate's own past findings are skipped, so scoring it again gives the
   same result.
3. **edges**: the task's edge sweep (``core.edges``: every option at each of
   its known edges), at most ``1/EDGE_SHARE`` of the budget.
4. **fuzz**: seeded generation with what is left of the budget.
5. **shrink**: the first divergence not on a held-out case is shrunk and shown.

Reward policies:

- ``binary``: 1.0 when nothing diverged, else 0.0. Stops at the first divergence.
- ``graded``: the share of probe cases on which the candidate agrees (of all
  judged cases when the task has no corpus). Every probe is judged.

Timeouts, crashes and output floods of the candidate are behaviour and are
scored. Problems that are not the candidate's (a missing reference, a broken
task file, the oracle's own failure) give ``status="error"`` and ``reward=None``,
never a silent 0.0. A score that passes its deadline (checked between runs) has
``status="deadline"`` and ``reward=None``.

The reference's outcomes come from an on-disk cache shared by all candidates and
processes (``refcache``), so it runs once per distinct case.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import itertools
import json
import operator
import os
import shlex
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fuzzdiff.core.codec import decode_case, encode_case, encode_divergence
from fuzzdiff.core.errors import UserError
from fuzzdiff.core.model import CHANNELS, Case, Divergence, Outcome, Termination, Via, too_many_aside
from fuzzdiff.core.plan import labelled, phases
from fuzzdiff.core.report import aside_reason, escape, shell_argv
from fuzzdiff.core.spec import REFERENCES_DIR, Limits, TaskSpec
from fuzzdiff.core.triage import stderr_class
from fuzzdiff.engine.campaign import Campaign, CampaignConfig, StreamSearch, shrink
from fuzzdiff.engine.judging import Judged
from fuzzdiff.engine.setup import Setup, open_runner, prepare
from fuzzdiff.run.paths import cache_home
from fuzzdiff.run.runner import PairRunner, ReferenceCache
from fuzzdiff.run.scratch import private_dir, remove_private, staging_root
from fuzzdiff.store.artifacts import write_atomic
from fuzzdiff.store.corpus import StoredCase, behaviour, load_corpus
from fuzzdiff.store.refcache import DiskReferenceCache


class Policy(enum.StrEnum):
    """How judged cases become a reward (see the module's docstring)."""

    BINARY = "binary"
    GRADED = "graded"


POLICIES: tuple[str, ...] = tuple(Policy)


def parse_policy(policy: str) -> Policy:
    """``policy`` as a ``Policy``; a ``UserError`` naming the choices if it is none."""
    if policy not in POLICIES:
        raise UserError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}")
    return Policy(policy)


#: Probes kept per way of failing (``select_probes``).
PROBES_PER_ERROR = 4
#: The share of the budget the probes may take; the edge sweep and fresh
#: generation get the rest, so a score always meets cases no corpus holds.
PROBE_SHARE = 0.6
#: Every HOLD_OUT-th probe (by key) is held out of feedback.
HOLD_OUT = 5
#: Cases judged together; also how often the deadline is checked.
WINDOW = 64
#: Feedback longer than this is cut: models get the gist, not a dump.
FEEDBACK_CHARS = 1500
#: Bytes of each stream quoted in feedback.
FEEDBACK_STREAM = 300
#: Cases a score runs unless told otherwise (all phases together); the one place
#: the CLI, the batch scorer, the HTTP service and the Ray pool take it from. The
#: mutation benchmark (docs/mutation.md) measures what it catches at 500 and 1000.
DEFAULT_BUDGET = 500
#: Terminations whose runs are costly to repeat.
SLOW = frozenset({Termination.TIMEOUT, Termination.OUTPUT_CAP, Termination.WORKER_LOST})
#: The first window; later ones double up to WINDOW. One case: a candidate that
#: hangs on every input costs one timeout, and its two re-runs
#: (``judging.TIMEOUT_RERUNS``), before its score has its answer.
FIRST_WINDOW = 1
#: Shrinking proposals judged together. Fixed, not the number of workers: the
#: shrinker's path depends on it, and a counterexample must not depend on how
#: many workers scored it (one by one or in a batch).
SHRINK_BATCH = 4
#: Shrinking tries per score; a small share of a typical budget.
SHRINK_BUDGET = 500
#: Shrinking tries when the counterexample ran into a resource limit (timeout,
#: output cap): each try may cost a full timeout, and the feedback is the limit.
SLOW_SHRINK_BUDGET = 16
#: Shrinking tries when the counterexample ran into the time limit, or lost its
#: sandbox (a candidate that stops or kills the sandbox's server): none. A try
#: that still times out costs the whole limit, and the timeout has cost three
#: already (its first and ``judging.TIMEOUT_RERUNS`` re-runs that make sure it
#: repeats), so a looping candidate costs three time limits, not five. A lost
#: sandbox is found out by the same limit: a candidate that sent SIGSTOP to it
#: cost 18 runs and 102 s with 16 tries, where a loop costs 3 runs and 17 s.
TIMEOUT_SHRINK_BUDGET = 0
#: The terminations that get ``TIMEOUT_SHRINK_BUDGET``.
OUT_OF_TIME = frozenset({Termination.TIMEOUT, Termination.WORKER_LOST})
#: What a source candidate's temporary directory is shown as (``shown_home``).
SHOWN_HOME = b"/tmp/candidate"
#: Seconds a score may take before it is cut off (a safety net; budgets count cases).
DEADLINE = 600.0

CORPORA_DIR = Path(__file__).resolve().parents[2] / "corpora"


def check_settings(budget: object, seed: object, deadline: object) -> None:
    """A ``UserError`` naming the setting and the fix unless ``budget`` is a whole
    number of cases (at least 1), ``seed`` a whole number (at least 0) and
    ``deadline`` a number of seconds above 0. A budget of 0 judged nothing and
    gave every program 1.0; a budget of ``"50"`` was an "internal error"."""
    whole_budget, whole_seed = _whole(budget), _whole(seed)
    if whole_budget is None or whole_budget < 1:
        raise UserError(f"budget {budget!r}: give a whole number of cases, at least 1 (default {DEFAULT_BUDGET})")
    if whole_seed is None or whole_seed < 0:
        raise UserError(f"seed {seed!r}: give a whole number, at least 0")
    if isinstance(deadline, bool) or not isinstance(deadline, int | float) or not 0 < deadline < float("inf"):
        raise UserError(f"deadline {deadline!r}: give seconds, a number above 0 (default {DEADLINE:g})")


def _whole(value: object) -> int | None:
    """``value`` as a whole number (an ``int``, or anything with ``__index__``: numpy's
    integers, from a dataset), None for anything else, ``True`` included."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        return None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A candidate as a command line, a path to a program, or source text in a language."""

    command: str | None = None
    path: str | None = None
    source: str | None = None
    language: str | None = None  # "python" or "shell" with source

    def forms(self) -> list[tuple[str, object]]:
        """The fields set of command, path and source, with their values."""
        given = (("command", self.command), ("path", self.path), ("source", self.source))
        return [(name, value) for name, value in given if value is not None]

    def identity(self) -> str:
        """Who this candidate is, for merging duplicates in a batch and for the pool:
        each field set, by name, and the language. A path and a command of the same
        text are different programs (a path with a blank is one word, a command
        two), and it once hashed the text alone: a batch gave both one reward."""
        text = json.dumps([[list(form) for form in self.forms()], self.language], default=repr)
        return hashlib.sha256(utf8(text)).hexdigest()[:16]


def as_candidate(candidate: object) -> Candidate:
    """A ``Candidate`` from what a caller gave (a command line is one); ``UserError``
    naming the type otherwise, raised as bad settings are (``score("wc", 5)`` was
    an internal error)."""
    if isinstance(candidate, str):
        return Candidate(command=candidate)
    if not isinstance(candidate, Candidate):
        raise UserError(f"a candidate is a command line (str) or a Candidate, not {type(candidate).__name__}")
    return candidate


def utf8(text: str) -> bytes:
    """``text`` as UTF-8, a lone surrogate (``"\\ud800"``, which JSON and Python
    strings can hold) as the three bytes it stands for: a model's source that is
    not valid Unicode is scored as written (it fails to run), not a crash of the
    batch it came in."""
    return text.encode("utf-8", "surrogatepass")


@dataclass(frozen=True, slots=True)
class Score:
    task: str
    status: str  # "ok", "error" or "deadline"
    reward: float | None
    policy: Policy
    seed: int
    budget: int
    cases: int = 0
    probe_cases: int = 0
    probe_agreed: int = 0
    pool_cases: int = 0
    edge_cases: int = 0
    fuzz_cases: int = 0
    hidden_failures: int = 0
    channels: dict[str, float] = field(default_factory=dict)  # share of judged cases agreeing, per channel
    counterexample: Divergence | None = None
    feedback: str = ""
    error: str = ""
    reference_executions: int = 0
    candidate_executions: int = 0
    #: CPU seconds of the candidate's own runs (each a fork of the fork-server for
    #: a Python candidate): what a batch's throughput is measured against
    cpu_seconds: float = 0.0
    seconds: float = 0.0
    isolation: str = ""
    # how the candidate's runs started when it is a Python program run unsandboxed
    # or in bubblewrap (``CampaignResult.launches``): fork-server, or fresh and why
    launches: tuple[tuple[str, int], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "status": self.status,
            "reward": self.reward,
            "policy": self.policy,
            "seed": self.seed,
            "budget": self.budget,
            "cases": self.cases,
            "phases": {
                "probe": self.probe_cases,
                "pool": self.pool_cases,
                "edge": self.edge_cases,
                "fuzz": self.fuzz_cases,
            },
            "probe_agreed": self.probe_agreed,
            "hidden_failures": self.hidden_failures,
            "channels": self.channels,
            "counterexample": None if self.counterexample is None else encode_divergence(self.counterexample),
            "feedback": self.feedback,
            "error": self.error,
            "reference_executions": self.reference_executions,
            "candidate_executions": self.candidate_executions,
            "cpu_seconds": self.cpu_seconds,
            "seconds": self.seconds,
            "isolation": self.isolation,
            "launches": dict(self.launches),
        }


def python_interpreter() -> str:
    """What runs a Python source candidate: ``python3`` as found on PATH when it
    is a program (or missing: the score is then an error naming it), else the
    Python running fuzzdiff. A version manager's ``python3`` (pyenv's shim) is a
    shell script that calls the manager, which a sandboxed run cannot see: every
    case failed, and a correct candidate scored 0.0."""
    found = shutil.which("python3")
    if found is None:
        return "python3"  # none at all: the score is an error naming it
    try:
        with open(os.path.realpath(found), "rb") as fh:
            if fh.read(4) == b"\x7fELF":
                return "python3"
    except OSError:
        pass
    return sys.executable or "python3"


def materialise(candidate: Candidate, where: Path) -> str:
    """A command line for any form of candidate; source text is written under ``where``.
    ``UserError`` unless exactly one of command, path and source is a string
    (``Candidate(command=A, source=B)`` ran A and was merged in a batch with B)."""
    forms = candidate.forms()
    if len(forms) != 1:
        got = ", ".join(name for name, _ in forms) or "none"
        raise UserError(f"a candidate needs exactly one of command, path or source (got {got})")
    name, value = forms[0]
    if not isinstance(value, str):
        raise UserError(f"a candidate's {name} must be a string, not {type(value).__name__}")
    if name != "source" and "\0" in value:
        raise UserError(f"a candidate's {name} holds a NUL byte, which no command line or path can hold")
    if name == "command":
        return value
    if name == "path":
        return shlex.quote(value)  # a path, not a command line: blanks are part of it
    language = (candidate.language or "").lower()
    if language in ("python", "python3", "py"):
        script = where / "candidate.py"
        script.write_bytes(utf8(value))
        return f"{shlex.quote(python_interpreter())} {shlex.quote(str(script))}"
    if language in ("shell", "sh", "bash"):
        script = where / "candidate.sh"
        script.write_bytes(utf8(value))
        return f"{'bash' if language == 'bash' else 'sh'} {shlex.quote(str(script))}"
    raise UserError(f"unknown candidate language {candidate.language!r}; use python or shell")


class Pool:
    """Minimal counterexamples of earlier candidates, per task, on disk."""

    def __init__(self, task: str, root: Path | None = None) -> None:
        self.path = (root or cache_home()) / "pool" / task

    def entries(self) -> list[tuple[str, Case]]:
        """(contributor, case) of every readable entry, in file-name order."""
        out: list[tuple[str, Case]] = []
        for file in sorted(self.path.glob("*.json")):
            try:
                doc = json.loads(file.read_text())
                out.append((str(doc.get("contributor", "")), decode_case(doc["case"])))
            except (OSError, ValueError, KeyError):
                continue  # a damaged pool entry is skipped: the pool only adds coverage
        return out

    def cases(self, exclude_contributor: str) -> list[Case]:
        return [case for who, case in self.entries() if who != exclude_contributor]

    def add(self, case: Case, contributor: str) -> None:
        target = self.path / f"{case.key()}.json"
        if target.exists():
            return
        doc = {"case": encode_case(case), "contributor": contributor}
        with contextlib.suppress(OSError):  # the pool only adds coverage
            write_atomic(target, json.dumps(doc, sort_keys=True).encode())


def is_held_out(case: Case) -> bool:
    return int(case.key()[:8], 16) % HOLD_OUT == 0


def is_shipped(spec: TaskSpec) -> bool:
    """Whether ``spec`` was loaded from the shipped task file of its name: only then
    is the shipped corpus of that name its probe set. A task file elsewhere that
    happens to share a name (a user's own ``shuf.toml``) was never recorded there."""
    shipped = REFERENCES_DIR / f"{spec.name}.toml"
    return bool(spec.source) and Path(spec.source).resolve() == shipped.resolve()


def probe_cases(task: str, corpora: Path = CORPORA_DIR, limit: int | None = None) -> list[Case]:
    """The task's probes: its corpus as ``select_probes`` orders it, the first
    ``limit`` (all when None)."""
    directory = corpora / task
    if not (directory / "manifest.json").is_file():
        return []
    corpus = load_corpus(directory)
    return select_probes(sorted(corpus.cases, key=lambda s: s.key))[:limit]


def probe_limit(budget: int) -> int:
    """How many probes a score with ``budget`` cases runs at most (``PROBE_SHARE``)."""
    return int(budget * PROBE_SHARE)


def select_probes(stored: Sequence[StoredCase]) -> list[Case]:
    """The probes in the order a score runs them: first one case (the first given)
    of each reference behaviour (``store.corpus.behaviour``), so a score cut short
    by its budget still meets every behaviour the corpus holds; then every case
    kept for coverage (kind ``coverage``: each ran code of an independent
    implementation no other case of a large sample ran, which no behaviour class
    tells apart); then every other case the reference accepted (exit status 0)
    and, of each class of failure (exit status and first stderr line, names and
    numbers masked), up to ``PROBES_PER_ERROR`` in all, the most novel first
    (``novel_first``). Most behaviours are ways to fail, and their repeats would
    leave the other phases little of the budget. A case whose stored outcome is no
    answer (``Outcome.no_answer``: a memory fault, a run limit passed) is no probe."""
    stored = [s for s in stored if not s.expected.no_answer()]
    firsts: dict[tuple[object, ...], StoredCase] = {}
    for s in stored:
        firsts.setdefault(behaviour(s), s)
    chosen = {s.key for s in firsts.values()}
    covering = [s for s in stored if s.kind == "coverage" and s.key not in chosen]
    chosen |= {s.key for s in covering}
    per_class = Counter(_failure_class(s) for s in firsts.values() if s.expected.exit_code != 0)
    rest: list[Case] = []
    for s in stored:
        if s.key in chosen:
            continue
        if s.expected.exit_code != 0:
            cls = _failure_class(s)
            if per_class[cls] >= PROBES_PER_ERROR:
                continue
            per_class[cls] += 1
        rest.append(s.case)
    ahead = [*firsts.values(), *covering]
    return [s.case for s in ahead] + novel_first(rest, {t for s in ahead for t in s.case.argv})


def novel_first(cases: list[Case], seen: set[bytes]) -> list[Case]:
    """``cases`` in a greedy order: next, the one with the most argv tokens neither
    in ``seen`` nor in a case before it (the earliest on a tie). Every behaviour's
    first case comes before these, but all accepted runs share a few coarse
    behaviours (every translation of tr is one), and ``PROBE_SHARE`` cuts the list:
    what runs is then spread over the options, values and operands the corpus
    holds instead of the first cases by key."""
    left = [(case, frozenset(case.argv)) for case in cases]
    seen = set(seen)
    ordered: list[Case] = []
    while left:
        i = max(range(len(left)), key=lambda n: (len(left[n][1] - seen), -n))
        case, tokens = left.pop(i)
        seen |= tokens
        ordered.append(case)
    return ordered


def _failure_class(stored: StoredCase) -> tuple[object, ...]:
    return (stored.expected.exit_class(), stderr_class(stored.expected.stderr))


def score(
    task: str,
    candidate: Candidate | str,
    *,
    budget: int = DEFAULT_BUDGET,
    seed: int = 0,
    policy: str = Policy.BINARY,
    jobs: int | None = None,
    cache: Path | None = None,
    use_pool: bool = False,
    deadline: float = DEADLINE,
    sandbox: bool = True,
    mask_reference: bool = True,
    reference_cache: Callable[[DiskReferenceCache], ReferenceCache] | None = None,
) -> Score:
    """Score one candidate for one task. Never raises for the candidate's faults.

    ``sandbox``: run both sides in bubblewrap (where it can start; otherwise the
    score's ``isolation`` says what was used), the candidate without sight of
    fuzzdiff's corpora, caches and task files, and with ``mask_reference`` (the
    default) of the reference itself, its copies and the task's ``mask`` programs:
    a candidate that calls the reference is judged on what it does without it.
    ``reference_cache`` wraps the on-disk reference cache (``distributed`` layers
    a cluster-wide store over it)."""
    chosen = parse_policy(policy)
    check_settings(budget, seed, deadline)
    cand = as_candidate(candidate)
    start = time.monotonic()
    base = unscored(task, chosen, seed, budget)
    workdir = private_dir("candidate", staging_root())
    try:
        try:
            setup = prepare(task, materialise(cand, workdir))
        except UserError as exc:
            return replace(base, error=str(exc), seconds=round(time.monotonic() - start, 3))
        ref_cache = reference_outcomes(setup, cache, reference_cache, sandbox)
        with open_runner(setup, jobs, sandbox, mask_reference, ref_cache) as runner:
            pool = Pool(setup.spec.name, cache)
            earlier = pool.cases(cand.identity()) if use_pool else []
            result, found = score_on(setup, runner, cand, base, earlier, deadline, start, workdir)
            if use_pool and found is not None:
                pool.add(found, cand.identity())
            return result
    except UserError as exc:  # the caller's mistake (a script scoring at import time): named as such
        return replace(base, error=str(exc), seconds=round(time.monotonic() - start, 3))
    except Exception as exc:  # the oracle's own failure: reported, never a reward
        return replace(base, error=f"internal error: {type(exc).__name__}: {exc}")
    finally:
        remove_private(workdir)


def shown_home(div: Divergence, home: Path | None) -> Divergence:
    """``div`` with the candidate's temporary directory ``home`` (a fresh random
    name each time, in which a Python traceback names the source file) shown as
    ``SHOWN_HOME`` in what the candidate printed and wrote: the same candidate,
    budget and seed get the same counterexample and feedback, alone, in a batch
    or over HTTP, and the oracle's own paths are not shown. Display only: the
    reference never prints that directory, so what was judged does not change."""
    if home is None:
        return div
    # the longest first: one may hold the other (/tmp a link to /var/tmp), and a set's order varies by run
    names = sorted({os.fsencode(str(home)), os.fsencode(os.path.realpath(home))}, key=len, reverse=True)

    def shown(data: bytes) -> bytes:
        for name in names:
            data = data.replace(name, SHOWN_HOME)
        return data

    got = div.candidate
    files = tuple((shown(n), None if c is None else shown(c)) for n, c in got.files)
    return replace(div, candidate=replace(got, stdout=shown(got.stdout), stderr=shown(got.stderr), files=files))


def unscored(task: str, policy: Policy, seed: int, budget: int) -> Score:
    """A score with its settings and nothing judged yet (status ``error``, no
    reward), which scoring fills in."""
    return Score(task=task, status="error", reward=None, policy=policy, seed=seed, budget=budget)


def reference_outcomes(
    setup: Setup,
    cache: Path | None,
    wrap: Callable[[DiskReferenceCache], ReferenceCache] | None,
    sandbox: bool = True,
) -> ReferenceCache:
    """The reference cache a score uses: the on-disk one (apart for sandboxed and
    plain scores), inside ``wrap`` if given."""
    disk = DiskReferenceCache(setup.spec, setup.reference, cache, "sandbox" if sandbox else "plain")
    return disk if wrap is None else wrap(disk)


def scored_cases(spec: TaskSpec, seed: int, budget: int, pool_cases: Sequence[Case] = ()) -> list[tuple[str, Case]]:
    """The cases a score with ``seed`` and ``budget`` judges, each with its phase, in
    order, when it runs to its budget (a candidate that passes): the shipped task's
    probes, ``pool_cases``, the edge sweep's share, then fresh cases; each case once.
    What a score runs depends on nothing else, so this is also what a benchmark can
    replay to see what the reward looks at (``benchmarks/solution_coverage.py``)."""
    probes = probe_cases(spec.name, limit=probe_limit(budget)) if is_shipped(spec) else []
    return list(itertools.islice(_phases(spec, probes, seed, budget, pool_cases), budget))


def _phases(
    spec: TaskSpec, probes: list[Case], seed: int, budget: int, pool_cases: Sequence[Case]
) -> Iterator[tuple[str, Case]]:
    return labelled([("probe", probes), ("pool", pool_cases), *phases(spec, seed, budget)])


def _windows(
    items: Iterable[tuple[str, Case]], budget: int, first: int = FIRST_WINDOW
) -> Iterator[list[tuple[str, Case]]]:
    """Cases in windows that start small and double up to ``WINDOW``: a candidate
    that fails at once (or hangs on every case) costs a few runs, not a full
    window. Window sizes change how much runs, never which case counts."""
    window: list[tuple[str, Case]] = []
    size = first
    for n, item in enumerate(items):
        if n >= budget:
            break
        window.append(item)
        if len(window) == size:
            yield window
            window = []
            size = min(2 * size, WINDOW)
    if window:
        yield window


class _Reward:
    """What the reward counts, case by case, as the campaign core judges them
    (``StreamSearch``'s ``before`` and ``observe``), and where scoring stops."""

    def __init__(self, policy: Policy, has_probes: bool, deadline: float, start: float) -> None:
        self.policy = policy
        self.has_probes = has_probes
        self.deadline = deadline
        self.start = start
        self.status = "ok"
        self.counts = {"probe": 0, "pool": 0, "edge": 0, "fuzz": 0}
        self.agree = dict.fromkeys(CHANNELS, 0)
        self.probe_agreed = 0
        self.judged = 0
        self.hidden = 0
        self.diverged = False
        self.diverged_late = False  # in a phase after the probes (which all agreed, or it would not run)
        self.first_visible: Divergence | None = None

    def finished(self, phase: str) -> bool:
        """After a divergence: binary needs nothing more; graded needs every probe."""
        return self.diverged and (self.policy == Policy.BINARY or (self.has_probes and phase != "probe"))

    def windows(self, windows: Iterable[list[tuple[str, Case]]]) -> Iterator[list[tuple[str, Case]]]:
        """``windows`` until scoring is finished or past its deadline (checked
        before a window runs, and by ``before`` before each of its cases)."""
        for window in windows:
            if self.before(window[0][0], window[0][1]):
                return
            yield window

    def before(self, phase: str, case: Case) -> bool:
        """Stop before judging ``case``: scoring is finished, or past its deadline
        (status ``deadline``; a window stops at a slow run, so a window of looping
        cases is checked case by case too)."""
        if self.finished(phase):
            return True
        if time.monotonic() - self.start > self.deadline:
            self.status = "deadline"
            return True
        return False

    def observe(self, phase: str, judged: Judged, div: Divergence | None) -> None:
        """Count one judged case; ``div`` is None where the pair agreed or the case
        was set aside (the reference did not repeat itself: no evidence either way)."""
        self.counts[phase] += 1
        self.judged += 1
        channels = div.channels if div else ()
        for ch in CHANNELS:
            self.agree[ch] += ch not in channels
        if div is None:
            self.probe_agreed += phase == "probe"
            return
        self.diverged = True
        self.diverged_late = self.diverged_late or phase != "probe"
        if phase == "probe" and is_held_out(judged.case):
            self.hidden += 1
        elif self.first_visible is None:
            self.first_visible = div

    def reward(self) -> float | None:
        if self.status != "ok":
            return None
        if self.policy == Policy.BINARY:
            return 0.0 if self.diverged else 1.0
        if not self.counts["probe"]:
            return round((self.judged - self.diverged) / self.judged, 6) if self.judged else 1.0
        # a divergence met after the probes counts as one more probe that failed: a
        # program shown to be wrong never gets 1.0 (every probe agreeing gave it)
        return round(self.probe_agreed / (self.counts["probe"] + self.diverged_late), 6)


def score_on(
    setup: Setup,
    runner: PairRunner,
    cand: Candidate,
    base: Score,
    pool_cases: Sequence[Case],
    deadline: float,
    start: float,
    home: Path | None = None,
) -> tuple[Score, Case | None]:
    """Score ``cand`` (``setup``'s candidate) on ``runner``, which runs it: the
    phases, the reward and the shrunk first visible divergence, with
    ``pool_cases`` as the earlier findings to try. Returns the score and the
    minimal case to add to the pool (None: nothing diverged visibly).
    ``home``: the temporary directory ``materialise`` wrote the candidate's source
    in, shown as ``SHOWN_HOME`` in the counterexample and feedback."""
    probes = probe_cases(setup.spec.name, limit=probe_limit(base.budget)) if is_shipped(setup.spec) else []
    # Every divergent case is re-run for stability (each one counts for the graded
    # reward); findings are not settled: the first visible divergence is shrunk below.
    config = CampaignConfig(seed=base.seed, budget=base.budget, max_divergences=base.budget + 1, recheck_every=True)
    campaign = Campaign(setup.spec, runner, setup.reference, setup.candidate, config, runner.isolation)
    reward = _Reward(base.policy, bool(probes), deadline, start)
    phases = _phases(setup.spec, probes, base.seed, base.budget, pool_cases)
    windows = reward.windows(_windows(phases, base.budget))
    # A window stops at a candidate run that hit a limit and the rest runs after it:
    # binary is answered by that run, and graded checks its deadline before each
    # case (a looping candidate ran past it, a window of 64 timeouts at a time).
    for _ in StreamSearch(campaign, windows, Via.GENERATION, reward.before, reward.observe, True).run():
        pass  # progress events: nobody watches a score
    minimal = None
    cut_short = False  # shrinking stopped at the deadline: the case then depends on speed
    if reward.first_visible is not None and reward.status == "ok":
        first = reward.first_visible
        slow = any(o.termination in SLOW for o in (first.reference, first.candidate))
        timed_out = bool(OUT_OF_TIME & {first.reference.termination, first.candidate.termination})
        budget = TIMEOUT_SHRINK_BUDGET if timed_out else SLOW_SHRINK_BUDGET if slow else SHRINK_BUDGET

        # one proposal at a time when a run costs a timeout: a batch runs all of its
        # proposals, even past the one adopted, so it would cost more than the tries counted;
        # shrinking stops at the deadline too (a wrong candidate slow on every case ran
        # 500 tries past it): the reward is settled, only the counterexample is left larger
        def past() -> bool:
            nonlocal cut_short
            cut_short = cut_short or time.monotonic() - start > deadline
            return cut_short

        minimal = shrink(campaign.judge, first, budget, 1 if timed_out else SHRINK_BATCH, past)[0] if budget else first
        minimal = shown_home(minimal, home)
    error = ""
    unstable, judged = campaign.tally.aside.count, reward.judged
    if reward.status == "deadline":  # OracleError's message: it said "failed (deadline): " and no more
        error = (
            f"the score passed its deadline of {deadline:g} s after {judged} of {base.budget} cases: a "
            "candidate slow on every case (each within the time limit) or a machine too loaded; raise "
            "the deadline or lower the budget"
        )
    if (
        reward.status == "ok"
        and not reward.diverged
        and too_many_aside(unstable, campaign.tally.aside.unanswered, judged)
    ):
        reward.status = "error"
        why = aside_reason(unstable, campaign.tally.aside.unanswered, judged)
        error = f"inconclusive: {why}, so the candidate cannot be judged"
    result = replace(
        base,
        status=reward.status,
        reward=reward.reward(),
        cases=judged,
        probe_cases=reward.counts["probe"],
        probe_agreed=reward.probe_agreed,
        pool_cases=reward.counts["pool"],
        edge_cases=reward.counts["edge"],
        fuzz_cases=reward.counts["fuzz"],
        hidden_failures=reward.hidden,
        channels={ch: round(reward.agree[ch] / judged, 6) if judged else 1.0 for ch in CHANNELS}
        if reward.status != "deadline"
        else {},
        counterexample=minimal,
        feedback=feedback(
            minimal, reward.hidden, setup.reference.argv0, setup.spec.limits, launch_problems(runner.launches)
        )
        if reward.status != "deadline"
        else f"Scoring stopped at its deadline ({deadline:g} s) before it was done: no reward.",
        error=error,
        reference_executions=runner.reference_executions,
        candidate_executions=runner.candidate_executions,
        cpu_seconds=round(runner.candidate_cpu_seconds, 3),
        seconds=round(time.monotonic() - start, 3),
        isolation=runner.isolation,
        launches=tuple(sorted(runner.launches.items())),
    )
    # the pool's cases must not depend on the machine's speed: one cut short stays out of it
    return result, None if minimal is None or cut_short else minimal.case


def _quote(data: bytes) -> str:
    text = escape(data[:FEEDBACK_STREAM]).replace("\n", "\\n")
    return f'"{text}"' + (f" ... ({len(data)} bytes)" if len(data) > FEEDBACK_STREAM else "")


def _file_lines(outcome: Outcome, other: Outcome) -> list[str]:
    """The files of ``outcome`` that differ from ``other``'s (by name or content),
    each quoted with its content; where it has none of them, what it lacks."""
    theirs = dict(other.files)
    differ = [(n, c) for n, c in outcome.files if n not in theirs or theirs[n] != c]
    shown = [f"  file {_quote(n)}: {'(a directory)' if c is None else _quote(c)}" for n, c in differ]
    mine = {n for n, _ in outcome.files}
    missing = [n for n in theirs if n not in mine]
    if missing:
        shown.append(f"  no file {', '.join(_quote(n) for n in missing)}")
    attrs, their_attrs = dict(outcome.attrs), dict(other.attrs)
    for n in sorted(attrs.keys() | their_attrs.keys()):
        if attrs.get(n) != their_attrs.get(n) and n in mine:
            shown.append(f"  file {_quote(n)}: {attrs.get(n, 'mode and time as the case gave or the run wrote it')}")
    return shown or ["  files: the same names and contents"]


def ended(outcome: Outcome, limits: Limits) -> str:
    """How a run ended, with the limit it ran into: a model told only "timeout"
    cannot tell a loop from a program a little too slow."""
    if outcome.termination is Termination.TIMEOUT:
        return f"timeout (still running after the {limits.timeout:g} s time limit, so it was killed)"
    if outcome.termination is Termination.OUTPUT_CAP:
        return f"output-cap (it printed more than the {limits.output_bytes} bytes a stream may hold, so it was stopped)"
    if outcome.termination is Termination.WORKER_LOST:
        return "worker-lost (it stopped or killed the process that runs it, so its run was given up)"
    return outcome.exit_class()


#: The limits feedback names when its caller names none: a task's defaults.
DEFAULT_LIMITS = Limits()


#: What a launch label says when the candidate cannot run at all (``pyfork_server``):
#: worth telling the model even where its only divergence is on a hidden test.
NOT_STARTING = ("does not compile",)


def launch_problems(launches: Mapping[str, int]) -> tuple[str, ...]:
    """The reasons in ``launches`` that say the candidate cannot run at all."""
    return tuple(sorted({label.rsplit(": ", 1)[-1] for label in launches if any(p in label for p in NOT_STARTING)}))


def feedback(
    div: Divergence | None, hidden: int, name: str, limits: Limits = DEFAULT_LIMITS, problems: Sequence[str] = ()
) -> str:
    """What the model is told: the input, what was expected, what came back; and
    ``problems`` that stop the program from running at all (a syntax error),
    which were otherwise unsaid where the one divergence found was hidden."""
    if div is None:
        if hidden:
            said = f"Your program differs from {name} on {hidden} hidden test(s); no details are shown for those."
            return said + "".join(f" Your program does not run: {p}." for p in problems)
        return f"Your program behaved exactly like {name} on every test."
    case = div.case
    lines = [f"Your program differs from {name} ({', '.join(div.channels)}) on this input:"]
    lines.append(f"  command: {shell_argv(name, case.argv)}")
    if case.stdin:
        lines.append(f"  stdin: {_quote(case.stdin)}")
    for fname, content in case.files:
        lines.append(f"  file {_quote(fname)}: {_quote(content)}")
    for label, outcome in (("Expected", div.reference), ("Got", div.candidate)):
        lines.append(f"{label}: {ended(outcome, limits)}")
        for ch in ("stdout", "stderr"):
            data = getattr(outcome, ch)
            if ch in div.channels or data:
                lines.append(f"  {ch}: {_quote(data)}")
        # a lost run left no files to show: "no file 'sub dir'" said nothing true of the program
        if "files" in div.channels and div.candidate.termination is not Termination.WORKER_LOST:
            lines.extend(_file_lines(outcome, div.candidate if outcome is div.reference else div.reference))
    if hidden:
        lines.append(f"It also differs on {hidden} hidden test(s).")
    text = "\n".join(lines)
    return text if len(text) <= FEEDBACK_CHARS else text[: FEEDBACK_CHARS - 4] + " ..."


def score_many(
    task: str,
    candidates: Sequence[Candidate | str],
    **kwargs: Any,
) -> list[Score]:
    """Score candidates one after another, each using all cores; results in input order.

    One candidate at a time keeps concurrency bounded (``jobs`` workers) and the
    reference cache warm for the next; each score has its own deadline.
    """
    return [score(task, c, **kwargs) for c in candidates]
