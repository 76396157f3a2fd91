"""fuzzdiff's own memory over a long campaign: the main process's resident set
size (and that of its worker processes) sampled as cases go by. A campaign of an
equivalent native candidate runs every case, so nothing stops it early.

    python3 benchmarks/memory.py                      # 100,000 cases of base64 vs a copy
    python3 benchmarks/memory.py --cases 20000 --task wc

Flat means: after warm-up, memory no longer grows with the number of cases.
The verdict line compares the main process's last sample with the one taken
at 20% of the cases (caches and bounded structures fill during the first
fifth): growth in MiB, and in KiB per 1000 cases, which a structure that grows
with every case keeps above zero however long the campaign.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import psutil

from fuzzdiff.api import fuzz_events, prepare
from fuzzdiff.core.model import Finished, Progress
from fuzzdiff.core.mutate import parse_guidance
from fuzzdiff.core.spec import load_task
from fuzzdiff.engine.campaign import CampaignConfig
from fuzzdiff.run.program import reference_program


def mib(n: int) -> float:
    return n / (1 << 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--task", default="base64")
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--guidance", default="all", help="as fuzz --guidance: all, none, or a list")
    args = parser.parse_args()
    spec = load_task(args.task)
    workdir = Path(tempfile.mkdtemp(prefix="fuzzdiff-memory-"))
    copy = workdir / f"copy-of-{args.task}"
    shutil.copy(reference_program(spec).argv[0], copy)
    me = psutil.Process(os.getpid())
    step = max(1, args.cases // args.samples)
    next_sample = step
    rows: list[tuple[int, float, float, float]] = []
    start = time.monotonic()
    try:
        setup = prepare(spec, str(copy))
        config = CampaignConfig(seed=1, budget=args.cases, guidance=parse_guidance(args.guidance))
        for event in fuzz_events(setup, config):
            if isinstance(event, Progress) and event.cases >= next_sample:
                workers = sum(c.memory_info().rss for c in me.children(recursive=True))
                rows.append((event.cases, mib(me.memory_info().rss), mib(workers), time.monotonic() - start))
                next_sample += step
            if isinstance(event, Finished):
                verdict = event.result.verdict
                cases = event.result.cases
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    seconds = time.monotonic() - start
    print(f"\n{args.task}: {cases} cases, guidance {args.guidance}, verdict {verdict}, {seconds:.0f} s\n")
    print("| cases | main process RSS (MiB) | worker processes RSS (MiB) | seconds |")
    print("|---|---|---|---|")
    for n, main_rss, workers_rss, seconds in rows:
        print(f"| {n} | {main_rss:.1f} | {workers_rss:.1f} | {seconds:.0f} |")
    if len(rows) >= 2:
        print(f"\ngrowth of the main process after the first sample: {rows[-1][1] - rows[0][1]:+.1f} MiB")
        # the sample at (or just after) 20% of the cases against the last one
        base = next(row for row in rows if row[0] >= rows[-1][0] * 0.2)
        if base is not rows[-1]:
            grown = rows[-1][1] - base[1]
            per_1000 = grown * 1024 / ((rows[-1][0] - base[0]) / 1000)
            print(
                f"main process from case {base[0]} to case {rows[-1][0]}: {grown:+.1f} MiB, "
                f"{per_1000:+.1f} KiB per 1000 cases"
            )


if __name__ == "__main__":
    main()
