"""What the code point rungs cost a correct candidate's score: seconds with them
against seconds without them (the sweep as it was before, for a task in a UTF-8
locale), side by side.

For each task, its proven solution (``solutions/TASK.py``, which scores 1.0, so
every case of the budget runs) is scored with the oracle's defaults; first once
each way to fill the reference cache, then ``--rounds`` times each, alternating
which goes first. The ratio of medians is what the rungs cost: a few cases of
thousands of files each, against the sweep cases they displace.

    python3 benchmarks/codepointcost.py [--budget 500] [--rounds 3] [--tasks wc]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from fuzzdiff.core import codepoints
from fuzzdiff.core.edges import EDGE_SHARE

sys.path.insert(0, str(Path(__file__).resolve().parent))
from edgecost import SOLUTIONS  # a sibling benchmark script, not a package
from edgecost import timed as timed_with_share

SHIPPED = codepoints.utf8_locale


def never(env: Mapping[str, str]) -> bool:
    """No locale reads multibyte characters: the sweep without the code point rungs."""
    return False


def timed(task: str, source: str, budget: int, cache: Path, locale: Callable[[Mapping[str, str]], bool]) -> float:
    codepoints.utf8_locale = locale  # type: ignore[assignment]  # read by the sweep at each call
    return timed_with_share(task, source, budget, EDGE_SHARE, cache)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tasks", default="wc")
    args = parser.parse_args()
    print("| task | with the code point rungs (s, median) | without (s, median) | ratio |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for task in args.tasks.split(","):
            source = (SOLUTIONS / f"{task}.py").read_text()
            cache = Path(tmp) / task
            ways = {"with": SHIPPED, "without": never}
            for locale in ways.values():  # the reference cache, filled for both
                timed(task, source, args.budget, cache, locale)
            runs: dict[str, list[float]] = {"with": [], "without": []}
            for r in range(args.rounds):
                for way in ("with", "without") if r % 2 == 0 else ("without", "with"):
                    runs[way].append(timed(task, source, args.budget, cache, ways[way]))
            with_s, without_s = statistics.median(runs["with"]), statistics.median(runs["without"])
            print(f"| {task} | {with_s:.2f} | {without_s:.2f} | {with_s / without_s:.2f} |", flush=True)


if __name__ == "__main__":
    main()
