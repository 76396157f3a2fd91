"""What running `fuzz` in the sandbox costs: whole campaigns, plain against sandboxed.

For each task, the same campaign (same seed, same budget) runs with the
candidate a renamed copy of the reference (a native program) and, for base64, a
Python port (the fork-server path), in three isolation modes, interleaved round
by round so that the machine's noise hits all alike:

  plain     `fuzz --no-sandbox`: rlimits and a pids cgroup;
  sandbox   `fuzz --sandbox`: both sides in bubblewrap, the candidate's root
            built by allowlist with the system's /usr (the reference not masked);
  masked    `fuzz --sandbox --mask-reference` (what `score` does): the
            candidate's root holds only what its command and the task's tools need.

It prints pairs per second (best of the rounds) and the ratio to plain, checks
that every mode reaches the same verdict on the same number of cases, and
prints a markdown table.

    python3 benchmarks/sandbox_cost.py [--budget 600] [--rounds 3] [--jobs 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from fuzzdiff.api import fuzz_events, prepare
from fuzzdiff.core.model import CampaignResult, Finished
from fuzzdiff.core.spec import load_task
from fuzzdiff.engine.campaign import CampaignConfig
from fuzzdiff.run.program import reference_program

REPO = Path(__file__).resolve().parent.parent
MODES = {"plain": (False, False), "sandbox": (True, False), "masked": (True, True)}


def campaign(
    task: str, candidate: str, budget: int, jobs: int, sandbox: bool, mask: bool
) -> tuple[float, CampaignResult]:
    setup = prepare(task, candidate)
    config = CampaignConfig(seed=11, budget=budget, max_divergences=1)
    start = time.perf_counter()
    result = None
    for event in fuzz_events(setup, config, jobs, sandbox, mask):
        if isinstance(event, Finished):
            result = event.result
    assert result is not None
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--tasks", default="base64,cut,wc,sha256sum")
    args = parser.parse_args()
    os.environ.setdefault("FUZZDIFF_CACHE", tempfile.mkdtemp(prefix="fuzzdiff-bench-cache-"))
    copies = Path(tempfile.mkdtemp(prefix="fuzzdiff-bench-copies-", dir="/var/tmp"))
    subjects: list[tuple[str, str, str]] = []
    for task in args.tasks.split(","):
        exe = reference_program(load_task(task)).argv[0]
        copy = copies / f"my{os.path.basename(exe)}"
        shutil.copy2(exe, copy)
        subjects.append((task, "native copy", str(copy)))
    subjects.append(("base64", "Python port", f"python3 {REPO / 'examples' / 'base64' / 'good.py'}"))
    best: dict[tuple[str, str, str], float] = {}
    verdicts: dict[tuple[str, str], set[tuple[str, int]]] = {}
    try:
        for _ in range(args.rounds):
            for task, kind, candidate in subjects:
                for mode, (sandbox, mask) in MODES.items():
                    seconds, result = campaign(task, candidate, args.budget, args.jobs, sandbox, mask)
                    rate = result.executions / seconds
                    key = (task, kind, mode)
                    best[key] = max(best.get(key, 0.0), rate)
                    verdicts.setdefault((task, kind), set()).add((result.verdict, result.cases))
    finally:
        shutil.rmtree(copies, ignore_errors=True)
    print(f"budget {args.budget}, jobs {args.jobs}, best of {args.rounds} interleaved rounds\n")
    print("| task | candidate | plain pairs/s | sandbox | vs plain | masked | vs plain | same verdicts |")
    print("|---|---|---|---|---|---|---|---|")
    for task, kind, _ in subjects:
        plain = best[(task, kind, "plain")]
        box = best[(task, kind, "sandbox")]
        masked = best[(task, kind, "masked")]
        same = "yes" if len(verdicts[(task, kind)]) == 1 else f"NO {sorted(verdicts[(task, kind)])}"
        ratios = f"{box:.0f} | {box / plain:.2f} | {masked:.0f} | {masked / plain:.2f}"
        print(f"| {task} | {kind} | {plain:.0f} | {ratios} | {same} |")


if __name__ == "__main__":
    main()
