"""Throughput of fuzzdiff against the bare spawn limit, on one task.

Runs, in one process and one run:
  - generation alone (cases per second);
  - a bare loop: subprocess.run of the reference and a copy of it on the same cases;
  - fuzzdiff's runner (executor, private directories, snapshot) with 1 and 2 workers;
  - a whole campaign through the engine (generation + comparison included);
and prints a table with pair executions per second and the main process's RSS.

    python3 benchmarks/throughput.py [--task base64] [--cases 1000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time

import psutil

from fuzzdiff.engine import CampaignConfig, run_campaign
from fuzzdiff.generate import generate_cases
from fuzzdiff.model import Case, Finished
from fuzzdiff.program import candidate_program, reference_program
from fuzzdiff.runner import PoolRunner
from fuzzdiff.spec import load_task


def bare_loop(ref: str, cand: str, cases: list[Case], env: dict[str, str]) -> float:
    work = tempfile.mkdtemp()
    start = time.perf_counter()
    for case in cases:
        for exe in (ref, cand):
            subprocess.run([exe, *case.argv], input=case.stdin, capture_output=True, cwd=work, env=env, check=False)
    elapsed = time.perf_counter() - start
    shutil.rmtree(work)
    return len(cases) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", default="base64")
    parser.add_argument("--cases", type=int, default=1000)
    args = parser.parse_args()

    spec = load_task(args.task)
    ref = reference_program(spec)
    tmp = tempfile.mkdtemp()
    copy = os.path.join(tmp, f"copy-{args.task}")
    shutil.copy(ref.argv[0], copy)
    cand = candidate_program(copy, spec)
    env = dict(spec.env)
    proc = psutil.Process()

    rows: list[tuple[str, float, str]] = []
    t = time.perf_counter()
    cases = list(generate_cases(spec, 1, args.cases))
    rows.append(("generation only (cases/s)", len(cases) / (time.perf_counter() - t), ""))
    # The bare loop runs files-free cases only: it has no private directory to put files in.
    plain = [c for c in cases if not c.files]
    rows.append(("bare subprocess loop, 1 core", bare_loop(ref.argv[0], copy, plain, env), f"{len(plain)} cases"))
    for jobs in (1, 2):
        runner = PoolRunner(jobs, env, spec.limits, ref, cand)
        runner.run_pairs(cases[:8])  # warm the workers
        t = time.perf_counter()
        runner.run_pairs(cases)
        rows.append((f"fuzzdiff runner, {jobs} worker(s)", len(cases) / (time.perf_counter() - t), ""))
        runner.close()
    for jobs in (1, 2):
        runner = PoolRunner(jobs, env, spec.limits, ref, cand)
        rss0 = proc.memory_info().rss
        t = time.perf_counter()
        for ev in run_campaign(spec, runner, ref, cand, CampaignConfig(seed=2, budget=args.cases)):
            if isinstance(ev, Finished):
                n = ev.result.cases
        elapsed = time.perf_counter() - t
        rss = (proc.memory_info().rss - rss0) / 2**20
        rows.append((f"fuzzdiff campaign, {jobs} worker(s)", n / elapsed, f"RSS +{rss:.1f} MiB"))
        runner.close()
    shutil.rmtree(tmp)

    print(f"task {args.task}, {len(cases)} cases, {os.cpu_count()} cores")
    print(f"| {'what':38} | {'pairs/s':>9} | note |")
    print(f"|{'-' * 40}|{'-' * 11}|------|")
    for what, rate, note in rows:
        print(f"| {what:38} | {rate:9.0f} | {note} |")


if __name__ == "__main__":
    main()
