"""Kill rate of the planted bugs in benchmarks/bugs/ under each guidance setting.

Every bug in ``benchmarks/bugs/bugs.toml`` (a wrapper around a shipped task's
reference with one planted bug and its trigger written down) is fuzzed with
several seeds under each setting:

- ``shipped``: fuzzdiff as shipped, all guidance on;
- ``random``: structured generation alone (``guidance=none``);
- ``no-pool``, ``no-mutate``, ``no-dictionary``, ``no-feedback``: all guidance
  but one.

A run stops at the first divergence (no shrinking); "cases" is the number of
cases judged up to and including it. The table gives, per bug and setting,
the seeds that found it and the median cases among those that did; the
summary gives kills, and the median cases over all runs with a missed run
counted as the budget. A plot of the share of runs killed within N cases is
written to ``benchmarks/killrate.png`` when matplotlib is installed (the
``bench`` extra).

    python3 benchmarks/killrate.py                 # seeds 1,2,3, budget 1000
    python3 benchmarks/killrate.py --quick         # seeds 1,2, budget 300, shipped and random only
    python3 benchmarks/killrate.py --bugs fold-refold,cut-large-position --seeds 1,2,3,4,5

The reference's outcomes are cached in memory per task and shared by all
runs, so a case costs one candidate run after the first time it is seen.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fuzzdiff.api import Setup, prepare
from fuzzdiff.core.model import Case, Finished, Found, Outcome
from fuzzdiff.core.mutate import GUIDANCE
from fuzzdiff.engine.campaign import CampaignConfig, run_campaign
from fuzzdiff.run.runner import PoolRunner

HERE = Path(__file__).resolve().parent
BUGS = HERE / "bugs"

SETTINGS: dict[str, frozenset[str]] = {
    "shipped": frozenset(GUIDANCE),
    "random": frozenset(),
    **{f"no-{name}": frozenset(GUIDANCE) - {name} for name in GUIDANCE},
}


@dataclass(frozen=True, slots=True)
class Bug:
    id: str
    task: str
    script: str
    reach: str
    trigger: str


@dataclass(frozen=True, slots=True)
class Run:
    bug: str
    setting: str
    seed: int
    cases: int | None  # cases judged up to the first divergence; None if none within the budget
    seconds: float


class MemoryCache:
    """Reference outcomes by case, shared across the candidates of one task."""

    def __init__(self) -> None:
        self.data: dict[Case, Outcome] = {}

    def get(self, case: Case) -> Outcome | None:
        return self.data.get(case)

    def put(self, case: Case, outcome: Outcome) -> None:
        self.data[case] = outcome


def load_bugs(only: Sequence[str] = ()) -> list[Bug]:
    raw = tomllib.loads((BUGS / "bugs.toml").read_text())
    bugs = [Bug(**entry) for entry in raw["bugs"]]
    unknown = set(only) - {b.id for b in bugs}
    if unknown:
        sys.exit(f"unknown bug id(s): {', '.join(sorted(unknown))}; see {BUGS / 'bugs.toml'}")
    return [b for b in bugs if not only or b.id in only]


def first_divergence(setup: Setup, runner: PoolRunner, guidance: frozenset[str], seed: int, budget: int) -> int | None:
    config = CampaignConfig(seed=seed, budget=budget, shrink=False, guidance=guidance)
    found: int | None = None
    for event in run_campaign(setup.spec, runner, setup.reference, setup.candidate, config):
        if isinstance(event, Found) and found is None:
            found = event.index + 1
        elif isinstance(event, Finished) and found is not None and not event.result.blamed:
            found = None  # the reference wavered: not a kill
    return found


def measure(bugs: list[Bug], settings: list[str], seeds: list[int], budget: int, jobs: int) -> list[Run]:
    runs: list[Run] = []
    caches: dict[str, MemoryCache] = {}
    for bug in bugs:
        setup = prepare(bug.task, str(BUGS / bug.script))
        cache = caches.setdefault(bug.task, MemoryCache())
        runner = PoolRunner(
            jobs, dict(setup.spec.env), setup.spec.limits, setup.reference, setup.candidate, reference_cache=cache
        )
        try:
            for setting in settings:
                for seed in seeds:
                    start = time.monotonic()
                    cases = first_divergence(setup, runner, SETTINGS[setting], seed, budget)
                    runs.append(Run(bug.id, setting, seed, cases, round(time.monotonic() - start, 2)))
                    shown = cases if cases is not None else "-"
                    print(f"  {bug.id:28} {setting:14} seed {seed}: {shown}", file=sys.stderr, flush=True)
        finally:
            runner.close()
    return runs


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _fmt(x: float) -> str:
    return "-" if x != x else f"{x:.0f}"


def table(bugs: list[Bug], settings: list[str], seeds: list[int], budget: int, runs: list[Run]) -> str:
    by = {(r.bug, r.setting, r.seed): r for r in runs}
    head = ["bug", "task", "reach", *settings]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for bug in bugs:
        cells = [bug.id, bug.task, bug.reach]
        for s in settings:
            found = [c for seed in seeds if (c := by[(bug.id, s, seed)].cases) is not None]
            cells.append(f"{len(found)}/{len(seeds)} · {_fmt(_median(found))}" if found else f"0/{len(seeds)}")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("| **runs killed** | | | " + " | ".join(_killed(runs, s) for s in settings) + " |")
    lines.append(
        "| **median cases, missed = budget** | | | "
        + " | ".join(_fmt(_median([r.cases or budget for r in runs if r.setting == s])) for s in settings)
        + " |"
    )
    return "\n".join(lines)


def _killed(runs: list[Run], setting: str) -> str:
    mine = [r for r in runs if r.setting == setting]
    return f"{sum(r.cases is not None for r in mine)}/{len(mine)}"


def verdict(bugs: list[Bug], seeds: list[int], budget: int, runs: list[Run]) -> str:
    """The issue's target: shipped kills every bug random kills, with >= 2x fewer cases in median."""
    by = {(r.bug, r.setting, r.seed): r.cases for r in runs}
    if not any(s == "random" for _, s, _ in by) or not any(s == "shipped" for _, s, _ in by):
        return "(target not checked: needs both the shipped and random settings)"
    lost = [
        f"{b.id} seed {seed}"
        for b in bugs
        for seed in seeds
        if by[(b.id, "random", seed)] is not None and by[(b.id, "shipped", seed)] is None
    ]
    random_bugs = [b for b in bugs if any(by[(b.id, "random", s)] is not None for s in seeds)]
    lost_bugs = [b.id for b in random_bugs if all(by[(b.id, "shipped", s)] is None for s in seeds)]
    pairs = [
        (by[(b.id, "random", s)] or budget, by[(b.id, "shipped", s)] or budget)
        for b in random_bugs
        for s in seeds
        if by[(b.id, "random", s)] is not None
    ]
    med_random = _median([p[0] for p in pairs])
    med_shipped = _median([p[1] for p in pairs])
    all_random = _median([by[(b.id, "random", s)] or budget for b in bugs for s in seeds])
    all_shipped = _median([by[(b.id, "shipped", s)] or budget for b in bugs for s in seeds])
    out = [
        f"- bugs random kills in some seed: {len(random_bugs)}; of those, shipped kills in no seed: "
        f"{', '.join(lost_bugs) or 'none'}",
        f"- runs random kills and shipped misses: {', '.join(lost) or 'none'}",
        f"- median cases on the runs random kills: random {_fmt(med_random)}, shipped {_fmt(med_shipped)}"
        + (f" ({med_random / med_shipped:.2f}x)" if med_shipped == med_shipped and med_shipped else ""),
        f"- median cases over all runs (missed = budget {budget}): random {_fmt(all_random)}, "
        f"shipped {_fmt(all_shipped)}"
        + (f" ({all_random / all_shipped:.2f}x)" if all_shipped == all_shipped and all_shipped else ""),
    ]
    return "\n".join(out)


def plot(settings: list[str], budget: int, runs: list[Run], path: Path) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return f"matplotlib is not installed (pip install -e '.[bench]'); no plot written to {path}"
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for s in settings:
        mine = [r for r in runs if r.setting == s]
        found = sorted(r.cases for r in mine if r.cases is not None)
        xs = [0, *found, budget]
        ys = [0.0, *(i / len(mine) for i in range(1, len(found) + 1)), len(found) / len(mine)]
        style = {"shipped": "-", "random": "--"}.get(s, ":")
        ax.step(xs, ys, where="post", linestyle=style, linewidth=2 if s in ("shipped", "random") else 1.2, label=s)
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(1, budget)
    ax.set_ylim(0, 1)
    ax.set_xlabel("cases judged")
    ax.set_ylabel("share of (bug, seed) runs killed")
    ax.set_title("Planted bugs killed within N cases")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return f"plot written to {path}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="seeds 1,2, budget 300, shipped and random only")
    parser.add_argument("--seeds", default=None, help="comma list (default 1,2,3)")
    parser.add_argument("--budget", type=int, default=None, help="cases per run (default 1000)")
    parser.add_argument("--settings", default=None, help=f"comma list of {', '.join(SETTINGS)}")
    parser.add_argument("--bugs", default="", help="comma list of bug ids (default: all)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--plot", type=Path, default=HERE / "killrate.png")
    parser.add_argument("--json", type=Path, default=None, help="also write every run as JSON here")
    args = parser.parse_args()
    seeds = [int(s) for s in (args.seeds or ("1,2" if args.quick else "1,2,3")).split(",")]
    budget = args.budget or (300 if args.quick else 1000)
    settings = (args.settings or ("shipped,random" if args.quick else ",".join(SETTINGS))).split(",")
    for s in settings:
        if s not in SETTINGS:
            sys.exit(f"unknown setting {s!r}; choose from {', '.join(SETTINGS)}")
    bugs = load_bugs([b for b in args.bugs.split(",") if b])
    start = time.monotonic()
    runs = measure(bugs, settings, seeds, budget, args.jobs)
    command = "python3 benchmarks/killrate.py " + " ".join(sys.argv[1:])
    print(f"\nKill rate: {len(bugs)} planted bugs, seeds {','.join(map(str, seeds))}, budget {budget} cases a run")
    print(f"({command.strip()}; {time.monotonic() - start:.0f} s). Cell: seeds that found the bug · median cases.\n")
    print(table(bugs, settings, seeds, budget, runs))
    print()
    print(verdict(bugs, seeds, budget, runs))
    if args.json:
        args.json.write_text(json.dumps([_run_dict(r) for r in runs], indent=1))
    print(plot(settings, budget, runs, args.plot))


def _run_dict(r: Run) -> dict[str, object]:
    return {"bug": r.bug, "setting": r.setting, "seed": r.seed, "cases": r.cases, "seconds": r.seconds}


if __name__ == "__main__":
    main()
