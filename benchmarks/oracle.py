"""Reward oracle throughput: candidates scored per second, cold and warm reference cache.

For each task, in one run: score an equivalent candidate (a renamed copy of the
reference) with an empty cache (cold), then a second equivalent candidate (a
wrapper script) with the cache the first one filled (warm), then a planted-bug
candidate (warm; scores stop at the first divergence, then shrink).

    python3 benchmarks/oracle.py [--budget 300] [--tasks base64,wc,...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from fuzzdiff.core.spec import load_task, shipped_tasks
from fuzzdiff.oracle.scoring import score
from fuzzdiff.run.program import reference_program

WRAPPER = '#!/bin/sh\nexec {prog} "$@"\n'
BUGGY = '#!/bin/sh\n{prog} "$@"\nrc=$?\nfor a in "$@"; do case "$a" in --*) printf x; break;; esac; done\nexit $rc\n'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--tasks", default=",".join(shipped_tasks()))
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    rows = []
    for task in args.tasks.split(","):
        spec = load_task(task)
        cache = tmp / f"cache-{task}"
        copy = tmp / f"copy-{task}"
        shutil.copy(reference_program(spec).argv[0], copy)
        wrapper = tmp / f"wrap-{task}.sh"
        wrapper.write_text(WRAPPER.format(prog=spec.program))
        buggy = tmp / f"bug-{task}.sh"
        buggy.write_text(BUGGY.format(prog=spec.program))
        for p in (wrapper, buggy):
            os.chmod(p, 0o755)
        cold = score(task, str(copy), budget=args.budget, seed=1, cache=cache, use_pool=False)
        warm = score(task, str(wrapper), budget=args.budget, seed=1, cache=cache, use_pool=False)
        bug = score(task, str(buggy), budget=args.budget, seed=1, cache=cache, use_pool=False)
        rows.append((task, cold, warm, bug))
    shutil.rmtree(tmp)
    print(f"budget {args.budget} cases per candidate, {os.cpu_count()} cores")
    print("| task | cold: cand/s | ref runs | warm: cand/s | ref runs | buggy: reward | cand/s |")
    print("|---|---|---|---|---|---|---|")
    for task, cold, warm, bug in rows:
        print(
            f"| {task} | {1 / cold.seconds:.2f} | {cold.reference_executions} | {1 / warm.seconds:.2f} "
            f"| {warm.reference_executions} | {bug.reward} | {1 / bug.seconds:.2f} |"
        )


if __name__ == "__main__":
    main()
