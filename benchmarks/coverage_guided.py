"""Coverage-guided mode (``fuzzdiff fuzz --coverage``) against fuzzdiff's own generation.

Two measurements on the ``base64`` task with Python candidates derived from
``examples/base64/good.py``:

1. Throughput: cases judged per second on the faithful port (no divergence, so
   every run judges the whole budget), plain ``fuzz`` against ``--coverage``.
2. Steering: cases to the first divergence on planted bugs, over several seeds,
   for random generation (``--guidance none``), fuzzdiff as shipped (behaviour
   guidance) and coverage-guided mode. Runs stop at the first divergence (no
   shrinking). The bugs, each a small patch of ``good.py``:

   - ``wrap-multiple``: ``examples/base64/buggy.py`` (an extra newline when the
     encoded length is a multiple of the wrap width): shallow, common inputs;
   - ``png-magic``: encoding an input that starts with the bytes ``\\x89PNG``
     drops the last output character: magic bytes, one comparison;
   - ``wrap-seven``: ``-i`` while encoding with ``-w 7`` wraps at 8: an option
     combination with one value, behind three nested conditions.

    python3 benchmarks/coverage_guided.py               # seeds 1..5, budget 1000
    python3 benchmarks/coverage_guided.py --seeds 1,2 --budget 300 --throughput-cases 200
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from fuzzdiff.api import fuzz_events, prepare
from fuzzdiff.core.model import Event, Finished, Found
from fuzzdiff.engine.campaign import CampaignConfig
from fuzzdiff.engine.coverage import CoverageStats, coverage_events

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "examples" / "base64" / "good.py"
BUGGY = ROOT / "examples" / "base64" / "buggy.py"

#: Planted bugs: (anchor in good.py, text inserted after it).
PATCHES: dict[str, tuple[str, str]] = {
    "png-magic": (
        "        if buf:\n",
        '            if bytes(buf[:4]) == b"\\x89PNG":  # PLANTED BUG\n                buf = buf[:-1]\n',
    ),
    "wrap-seven": (
        "    argv = g.argv\n",
        "    if ignore_garbage and not decode:  # PLANTED BUG\n"
        "        if wrap_column == 7:\n"
        "            wrap_column = 8\n",
    ),
}

MODES = ("random", "shipped", "coverage")
BUGS = ("wrap-multiple", "png-magic", "wrap-seven")


def planted(name: str, directory: Path) -> Path:
    """The candidate script for bug ``name``."""
    if name == "wrap-multiple":
        return BUGGY
    anchor, insert = PATCHES[name]
    source = GOOD.read_text()
    assert source.count(anchor) == 1, f"anchor of {name} not found once in {GOOD}"
    path = directory / f"{name}.py"
    path.write_text(source.replace(anchor, anchor + insert))
    return path


def events(mode: str, candidate: Path, seed: int, budget: int, jobs: int, stats: CoverageStats) -> Iterator[Event]:
    setup = prepare("base64", f"python3 {candidate}")
    if mode == "coverage":
        config = CampaignConfig(seed=seed, budget=budget, shrink=False)
        return coverage_events(setup, config, jobs=jobs, stats=stats)
    guidance = frozenset() if mode == "random" else CampaignConfig(seed=0).guidance
    return fuzz_events(setup, CampaignConfig(seed=seed, budget=budget, shrink=False, guidance=guidance), jobs)


def first_divergence(mode: str, candidate: Path, seed: int, budget: int, jobs: int) -> int | None:
    """Cases judged up to and including the first divergence, or None."""
    stream = events(mode, candidate, seed, budget, jobs, CoverageStats())
    try:
        for event in stream:
            if isinstance(event, Found):
                return event.index + 1
            if isinstance(event, Finished):
                return None
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    return None


def throughput(mode: str, cases: int, jobs: int, seed: int) -> tuple[float, int]:
    """(cases per second, cases judged) on the faithful port, start-up included."""
    start = time.monotonic()
    judged = 0
    for event in events(mode, GOOD, seed, cases, jobs, CoverageStats()):
        if isinstance(event, Finished):
            judged = event.result.cases
    return judged / (time.monotonic() - start), judged


def summary(found: list[int | None], budget: int) -> str:
    hits = [n for n in found if n is not None]
    if not hits:
        return f"0/{len(found)}"
    return f"{len(hits)}/{len(found)} · {statistics.median(hits):g}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("--budget", type=int, default=1000, help="cases per steering run")
    parser.add_argument("--throughput-cases", type=int, default=600)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2, help="throughput runs per mode (the best is kept)")
    parser.add_argument("--bugs", default=",".join(BUGS), help="comma list; empty: throughput only")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]

    print(f"throughput: base64, examples/base64/good.py, {args.throughput_cases} cases, jobs={args.jobs}")
    print(f"(best of {args.repeat}, modes alternating; start-up included)")
    print("| mode | cases/s | cases |\n|---|---|---|")
    best: dict[str, tuple[float, int]] = {}
    for _ in range(args.repeat):
        for mode in ("shipped", "coverage"):
            rate, judged = throughput(mode, args.throughput_cases, args.jobs, seeds[0])
            best[mode] = max(best.get(mode, (0.0, 0)), (rate, judged))
    for mode, (rate, judged) in best.items():
        print(f"| {mode} | {rate:.1f} | {judged} |", flush=True)

    if not args.bugs:
        return 0
    print(f"\nsteering: cases to the first divergence, budget {args.budget}, seeds {args.seeds}")
    print("| bug | " + " | ".join(MODES) + " |\n|---|" + "---|" * len(MODES))
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.bugs.split(","):
            candidate = planted(name, Path(tmp))
            row = []
            for mode in MODES:
                found = [first_divergence(mode, candidate, seed, args.budget, args.jobs) for seed in seeds]
                print(f"  {name} {mode}: {found}", file=sys.stderr, flush=True)
                row.append(summary(found, args.budget))
            print(f"| {name} | " + " | ".join(row) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
