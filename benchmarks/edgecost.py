"""What the edge sweep costs a correct candidate's score: seconds with the sweep
against seconds without it (the same budget all fresh generation), side by side.

For each task, its proven solution (``solutions/TASK.py``, a candidate that
scores 1.0, so every case of the budget runs) is scored with the oracle's
defaults; first once to fill the reference cache for both variants, then
``--rounds`` times each, alternating which goes first. The ratio of medians is
what the sweep costs (its long inputs and option edges against fresh cases).

    python3 benchmarks/edgecost.py [--budget 500] [--rounds 3] [--tasks base64,wc]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from fuzzdiff.core import plan
from fuzzdiff.oracle.scoring import Candidate, score

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
TASKS = "base32,base64,cksum,cut,fold,head,md5sum,sha256sum,wc"
WITHOUT = 10**9  # EDGE_SHARE so large that the sweep gets no case


def timed(task: str, source: str, budget: int, share: int, cache: Path) -> float:
    plan.EDGE_SHARE = share
    done = score(task, Candidate(source=source, language="python"), budget=budget, seed=1, cache=cache, use_pool=False)
    if done.reward != 1.0:
        raise SystemExit(f"{task}: the solution scored {done.reward} ({done.status}: {done.error or done.feedback})")
    return done.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tasks", default=TASKS)
    args = parser.parse_args()
    default = plan.EDGE_SHARE
    print("| task | with sweep (s, median) | without (s, median) | ratio |")
    print("|---|---|---|---|")
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        for task in args.tasks.split(","):
            source = (SOLUTIONS / f"{task}.py").read_text()
            cache = Path(tmp) / task
            for share in (default, WITHOUT):  # the reference cache, filled for both
                timed(task, source, args.budget, share, cache)
            runs: dict[int, list[float]] = {default: [], WITHOUT: []}
            for r in range(args.rounds):
                order = (default, WITHOUT) if r % 2 == 0 else (WITHOUT, default)
                for share in order:
                    runs[share].append(timed(task, source, args.budget, share, cache))
            with_s, without_s = statistics.median(runs[default]), statistics.median(runs[WITHOUT])
            ratios.append(with_s / without_s)
            print(f"| {task} | {with_s:.2f} | {without_s:.2f} | {with_s / without_s:.2f} |", flush=True)
    print(f"| median ratio | | | {statistics.median(ratios):.2f} |")


if __name__ == "__main__":
    main()
