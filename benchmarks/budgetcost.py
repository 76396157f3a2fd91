"""What a larger budget costs a correct candidate's score: seconds at ``--budget``
against seconds at ``--baseline``, side by side on this machine.

For each task, its proven solution (``solutions/TASK.py``, a candidate that
scores 1.0, so every case of the budget runs) is scored with the oracle's
defaults; first once at each budget to fill the reference cache, then
``--rounds`` times each, alternating which goes first. The ratio of medians is
the cost of the larger budget. A wrong candidate is not measured: it is mostly
caught within its first dozen cases at either budget (docs/mutation.md).

    python3 benchmarks/budgetcost.py [--budget 1000] [--baseline 500] [--rounds 2] [--tasks base64,wc]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from fuzzdiff.core import plan

sys.path.insert(0, str(Path(__file__).resolve().parent))
from edgecost import SOLUTIONS, TASKS  # a sibling benchmark script, not a package
from edgecost import timed as timed_with_share


def timed(task: str, source: str, budget: int, cache: Path) -> float:
    """Seconds of one score of the solution at ``budget`` with the oracle's own edge share."""
    return timed_with_share(task, source, budget, plan.EDGE_SHARE, cache)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tasks", default=TASKS)
    args = parser.parse_args()
    budgets = (args.budget, args.baseline)
    print(f"| task | budget {args.budget} (s, median) | budget {args.baseline} (s, median) | ratio |")
    print("|---|---|---|---|")
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        for task in args.tasks.split(","):
            source = (SOLUTIONS / f"{task}.py").read_text()
            cache = Path(tmp) / task
            for budget in budgets:  # the reference cache, filled for both
                timed(task, source, budget, cache)
            runs: dict[int, list[float]] = {budget: [] for budget in budgets}
            for r in range(args.rounds):
                for budget in budgets if r % 2 == 0 else budgets[::-1]:
                    runs[budget].append(timed(task, source, budget, cache))
            large, base = statistics.median(runs[args.budget]), statistics.median(runs[args.baseline])
            ratios.append(large / base)
            print(f"| {task} | {large:.2f} | {base:.2f} | {large / base:.2f} |", flush=True)
    print(f"| median ratio | | | {statistics.median(ratios):.2f} |")


if __name__ == "__main__":
    main()
