"""Coverage-guided mode: a Python program's own coverage steers the cases (atheris).

When the candidate or the reference is a Python script (``python3 prog.py`` or a
script with a Python shebang), ``coverage_events`` runs a campaign whose cases
come from libFuzzer, through atheris, instead of fuzzdiff's own generation:

- a harness process (``coverage_harness.py``) instruments the script (and the
  modules beside it) with atheris, and for each byte string libFuzzer tries,
  decodes the case it spells in the task's grammar (``generate.case_from_bytes``),
  runs the script on it in a forked child and feeds the branches and
  comparisons that run made back to libFuzzer, which keeps the inputs that
  reached something new and mutates them further (a share of the mutations
  replace, in an input's bytes, an operand the program compared by the value
  it was compared with);
- every case not seen before is streamed here and judged like any other: both
  programs run through the ordinary runner (fork-server, isolation, cache),
  outputs are compared, and a divergence is shrunk and confirmed by the
  engine's own code. A finding is an ordinary finding: its case, ``repro.sh``
  and corpus entry do not depend on atheris.

Budgets count cases judged (distinct cases), never seconds. The same task,
programs, budget and seed give the same cases as long as the instrumented
program's coverage is a function of its input: libFuzzer is seeded with
``-seed``, the harness runs with a fixed hash seed, and atheris' counters,
which it numbers in an order that follows memory addresses, are renumbered by
call site (``coverage_harness.stable_numbering``). Another atheris or Python
version gives other cases.

Costs: the Python program runs once more per case (instrumented, for coverage),
in one more process; cases come one at a time from libFuzzer's loop. The
coverage run is not sandboxed (rlimits and a private directory only), so this
mode refuses ``--sandbox``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import marshal
import os
import pickle
import select
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from fuzzdiff.core.errors import UserError
from fuzzdiff.core.generate import RecentKeys, case_from_bytes
from fuzzdiff.core.model import (
    CampaignResult,
    Case,
    Event,
    Finished,
    Via,
)
from fuzzdiff.core.spec import TaskSpec
from fuzzdiff.engine.campaign import Campaign, CampaignConfig, StreamSearch
from fuzzdiff.engine.guided import WINDOW
from fuzzdiff.engine.setup import Setup, open_runner, prepare
from fuzzdiff.run.execute import default_root
from fuzzdiff.run.pyfork import Plan, plan
from fuzzdiff.run.scratch import remove_tree

#: What to install when atheris is missing.
INSTALL_HINT = "pip install 'fuzzdiff[coverage]'"
#: Which programs' coverage steers: every Python one, or one side.
SIDES = ("auto", "candidate", "reference", "both")
#: Fuzzer runs allowed per case in the budget: many inputs decode to a case already
#: judged (mutations of bytes the grammar never read), and those cost only a replay.
RUNS_PER_CASE = 64
#: Longest fuzzer input: far more than any shipped task's grammar reads.
MAX_LEN = 4096
#: Seconds the harness may take to import and instrument the programs (their imports included).
START_TIMEOUT = 120.0


@dataclass(slots=True)
class CoverageStats:
    """What the harness reported, filled in while the campaign runs."""

    programs: tuple[str, ...] = ()  # the scripts instrumented, "side: path"
    modules: tuple[str, ...] = ()  # modules beside them, instrumented too
    counters: int = 0  # branch and comparison counters instrumented
    reached: int = 0  # counters hit at least once
    runs: int = 0  # fuzzer inputs tried (cases seen before included)
    cases: int = 0  # distinct cases received
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "programs": list(self.programs),
            "modules": list(self.modules),
            "counters": self.counters,
            "reached": self.reached,
            "runs": self.runs,
            "cases": self.cases,
        }

    def summary(self) -> str:
        return (
            f"coverage: {self.reached} of {self.counters} instrumented branches and comparisons reached "
            f"in {', '.join(self.programs)} ({self.runs} fuzzer runs, {self.cases} distinct cases)"
        )


def require_atheris() -> None:
    """Raise ``UserError`` naming the extra when atheris cannot be imported here."""
    try:
        found = importlib.util.find_spec("atheris") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise UserError(f"coverage-guided mode needs atheris, which is not installed: {INSTALL_HINT}")


def check_coverage(setup: Setup, side: str = "auto", sandboxed: bool = False, guided: bool = False) -> None:
    """What the CLI checks before a coverage campaign starts; ``UserError`` on the first problem.
    ``sandboxed``: --sandbox or --mask-reference was asked for; ``guided``: --guidance was."""
    if sandboxed:
        raise UserError(
            "--coverage runs the Python program outside any sandbox (rlimits and a private directory only) "
            "to collect its coverage, so it cannot be combined with --sandbox or --mask-reference; "
            "drop one of them"
        )
    if guided:
        raise UserError(
            "--guidance steers fuzzdiff's own generation; with --coverage the cases come from the "
            "coverage-guided fuzzer, so drop --guidance"
        )
    python_targets(setup, side)
    require_atheris()


def python_targets(setup: Setup, side: str = "auto") -> list[tuple[str, Plan]]:
    """The Python programs whose coverage steers, as (side, plan); ``UserError`` if none."""
    if side not in SIDES:
        raise UserError(f"unknown coverage side {side!r}; choose one of {', '.join(SIDES)}")
    env = dict(setup.spec.env)
    found: dict[str, Plan | str] = {
        "reference": plan(setup.reference, env),
        "candidate": plan(setup.candidate, env),
    }
    wanted = ["reference", "candidate"] if side in ("auto", "both") else [side]
    targets = [(s, p) for s in wanted if isinstance(p := found[s], Plan)]
    if (side == "both" and len(targets) < 2) or (side in ("candidate", "reference") and not targets):
        missing = [s for s in wanted if not isinstance(found[s], Plan)]
        raise UserError(
            f"--coverage-side {side}: the {' and '.join(missing)} is not a Python script "
            f"({'; '.join(str(found[s]) for s in missing)}); coverage needs `python3 script.py` or a script "
            "with a python shebang"
        )
    if not targets:
        raise UserError(
            "coverage-guided mode needs a Python program on one side (the candidate or the reference), "
            f"run as `python3 script.py` or as a script with a python shebang; the candidate: {found['candidate']}; "
            f"the reference: {found['reference']}. Use plain `fuzzdiff fuzz` (without --coverage) for other programs"
        )
    return targets


class Harness:
    """The harness process and the stream of inputs it sends."""

    def __init__(
        self,
        spec: TaskSpec,
        targets: list[tuple[str, Plan]],
        seed: int,
        runs: int,
        max_len: int = MAX_LEN,
        trace_compares: bool = True,
        value_profile: bool = False,
        extra_flags: tuple[str, ...] = (),
        seeds: int | None = None,
    ) -> None:
        from fuzzdiff.engine.coverage_harness import HarnessConfig, Target

        self.base = Path(tempfile.mkdtemp(prefix="fuzzdiff-cover-", dir=default_root()))
        root = self.base / "runs"
        root.mkdir()
        config = HarnessConfig(
            spec=spec,
            targets=tuple(Target(s, p.script, p.args) for s, p in targets),
            env=spec.env,
            limits=spec.limits,
            seed=seed,
            runs=runs,
            max_len=max_len,
            root=str(root),
            trace_compares=trace_compares,
            value_profile=value_profile,
            extra_flags=extra_flags,
            **({} if seeds is None else {"seeds": seeds}),
        )
        config_path = self.base / "config.pickle"
        config_path.write_bytes(pickle.dumps(config))
        self.log = self.base / "log"
        read, write = os.pipe()
        package_parent = str(Path(__file__).resolve().parents[2])
        env = {**dict(spec.env), "HOME": str(self.base), "PYTHONHASHSEED": "0", "PYTHONPATH": package_parent}
        try:
            with open(self.log, "wb") as log:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "fuzzdiff.engine.coverage_harness", str(config_path), str(write)],
                    cwd=self.base,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    pass_fds=(write,),
                    start_new_session=True,
                )
        except OSError as exc:
            os.close(read)
            remove_tree(self.base)
            raise UserError(f"cannot start the coverage harness ({sys.executable}): {exc.strerror}") from exc
        finally:
            os.close(write)
        self.stream: BinaryIO = os.fdopen(read, "rb")
        self.ended = False
        self.closed = False

    def _record(self) -> tuple[Any, ...] | None:
        head = self.stream.read(4)
        if len(head) < 4:
            return None
        body = self.stream.read(int.from_bytes(head, "little"))
        record = marshal.loads(body)
        assert isinstance(record, tuple)
        return record

    def start(self, stats: CoverageStats) -> None:
        """Wait until the harness has instrumented the programs; ``UserError`` if it cannot."""
        if not select.select([self.stream], [], [], START_TIMEOUT)[0]:
            raise UserError(f"coverage-guided mode could not start within {START_TIMEOUT:g} s: {self.last_log()}")
        record = self._record()
        if record is None or record[0] != "R":
            why = record[1] if record is not None and record[0] == "E" else f"it stopped: {self.last_log()}"
            raise UserError(f"coverage-guided mode could not start: {why}")
        stats.counters = int(record[1])
        stats.modules = tuple(record[2])

    def take(self, count: int, stats: CoverageStats) -> list[bytes]:
        """Up to ``count`` inputs whose cases the harness had not sent before; fewer once it has ended."""
        out: list[bytes] = []
        while len(out) < count and not self.ended:
            record = self._record()
            if record is None:
                self.ended = True
                break
            if record[0] == "I":
                _, stats.runs, stats.reached, data = record
                stats.cases += 1
                out.append(bytes(data))
        return out

    def exit_status(self) -> int:
        """How the harness process ended, once its stream has: its exit status, or
        minus the signal that killed it (it normally exits 0 after its runs)."""
        try:
            return self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return 0  # still running: its stream closed for another reason, reported as before

    def last_log(self, lines: int = 1) -> str:
        try:
            text = self.log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        return " | ".join(text[-lines:]) if text else "no output"

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(OSError):
            self.stream.close()
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        remove_tree(self.base)


def coverage_events(
    setup: Setup,
    config: CampaignConfig,
    side: str = "auto",
    jobs: int | None = None,
    stats: CoverageStats | None = None,
    trace_compares: bool = True,
    value_profile: bool = False,
) -> Iterator[Event]:
    """A campaign whose cases come from coverage-guided fuzzing of the Python side(s);
    the same events as ``api.fuzz_events``. ``stats`` (if given) is filled in as it runs."""
    stats = stats if stats is not None else CoverageStats()
    targets = python_targets(setup, side)
    require_atheris()
    stats.programs = tuple(f"{s}: {p.script}" for s, p in targets)
    spec = setup.spec
    harness = Harness(
        spec,
        targets,
        config.seed,
        config.budget * RUNS_PER_CASE,
        trace_compares=trace_compares,
        value_profile=value_profile,
    )
    try:
        harness.start(stats)
        with open_runner(setup, jobs) as runner:
            try:
                warnings = (*setup.warnings, *runner.warnings)
                campaign = Campaign(spec, runner, setup.reference, setup.candidate, config, runner.isolation, warnings)
                search = StreamSearch(campaign, _windows(campaign, harness, stats), Via.COVERAGE)
                yield from campaign.run(search, after_search=partial(_after_search, campaign, harness, stats))
            finally:
                harness.close()  # before the runner's workers are waited for
    finally:
        harness.close()


def _windows(campaign: Campaign, harness: Harness, stats: CoverageStats) -> Iterator[list[tuple[str, Case]]]:
    """Windows of distinct cases decoded from the fuzzer's inputs, up to the budget."""
    spec, budget = campaign.spec, campaign.config.budget
    judged_keys = RecentKeys()
    while (wanted := min(WINDOW, budget - campaign.tally.judged)) > 0:
        window: list[tuple[str, Case]] = []
        while len(window) < wanted and not harness.ended:
            for data in harness.take(wanted - len(window), stats):
                case = case_from_bytes(spec, data)
                if (key := case.key()) not in judged_keys:
                    judged_keys.add(key)
                    window.append(("coverage", case))
        if not window:
            return
        yield window


def _after_search(campaign: Campaign, harness: Harness, stats: CoverageStats) -> tuple[str, ...]:
    """The fuzzer's work is done (shrinking needs the cores): close it; the warnings."""
    budget = campaign.config.budget
    status = harness.exit_status() if harness.ended else 0
    if status != 0 and campaign.tally.judged < budget and not campaign.seen:
        harness.close()  # a candidate run under coverage can signal the harness, its parent
        how = f"killed by signal {-status}" if status < 0 else f"exit status {status}"
        raise UserError(
            f"no verdict: the coverage harness ended ({how}) after {stats.runs} runs and "
            f"{campaign.tally.judged} of {budget} cases, with no divergence: a program run under "
            f"coverage may have killed it ({harness.last_log()}); fuzz without --coverage"
        )
    if harness.ended and campaign.tally.judged < budget and not campaign.seen:
        stats.warnings.append(
            f"the fuzzer stopped after {stats.runs} runs having sent {stats.cases} distinct cases "
            f"(fewer than the budget of {budget}): {harness.last_log()}"
        )
    harness.close()
    return tuple(stats.warnings)


def fuzz_coverage(
    task: str | TaskSpec,
    candidate: str,
    *,
    budget: int = 1000,
    seed: int = 0,
    side: str = "auto",
    jobs: int | None = None,
    max_divergences: int = 1,
    stats: CoverageStats | None = None,
) -> CampaignResult:
    """``api.fuzz`` in coverage-guided mode; returns the campaign's result."""
    setup = prepare(task, candidate)
    config = CampaignConfig(seed=seed, budget=budget, max_divergences=max_divergences)
    for event in coverage_events(setup, config, side, jobs, stats):
        if isinstance(event, Finished):
            return event.result
    raise AssertionError("a campaign always finishes with a Finished event")
