"""Python candidates: fresh interpreters against the fork-server, on one task.

Runs, in one process and one run, the example candidate ``examples/base64/good.py``
(``python3 good.py``) on the same generated base64 cases:
  - through ``LocalExecutor`` with a fresh interpreter per run;
  - through ``LocalExecutor`` with a ``PythonForkLauncher`` (one fork per run),
    checking that every outcome (stdout, stderr, exit, files) is identical;
  - through the pool runner (reference and candidate pairs), fork-server off and
    on, with 1 and 2 workers;
and prints a table of executions per second.

    python3 benchmarks/pyfork.py [--cases 400] [--candidate examples/base64/good.py]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from fuzzdiff.execute import LocalExecutor
from fuzzdiff.generate import generate_cases
from fuzzdiff.model import Case, Outcome, Program
from fuzzdiff.program import candidate_program, reference_program
from fuzzdiff.pyfork import PythonForkLauncher
from fuzzdiff.runner import Isolation, PoolRunner
from fuzzdiff.spec import load_task

ROOT = Path(__file__).resolve().parent.parent


def observable(outcome: Outcome) -> tuple[object, ...]:
    return (outcome.termination, outcome.exit_code, outcome.signal, outcome.stdout, outcome.stderr, outcome.files)


def timed(executor: LocalExecutor, program: Program, cases: list[Case]) -> tuple[float, list[Outcome]]:
    executor.run(program, cases[0])  # warm up (starts the fork-server)
    start = time.perf_counter()
    outcomes = [executor.run(program, case) for case in cases]
    return len(cases) / (time.perf_counter() - start), outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--candidate", default=str(ROOT / "examples" / "base64" / "good.py"))
    args = parser.parse_args()

    spec = load_task("base64")
    env = dict(spec.env)
    ref = reference_program(spec)
    cand = candidate_program(f"python3 {args.candidate}", spec)
    cases = list(generate_cases(spec, 1, args.cases))

    rows: list[tuple[str, float, str]] = []
    fresh_rate, fresh = timed(LocalExecutor(env, spec.limits), cand, cases)
    rows.append(("candidate alone, fresh interpreter", fresh_rate, "1.0x"))
    launcher = PythonForkLauncher(env, spec.limits)
    fork_rate, forked = timed(LocalExecutor(env, spec.limits, launcher=launcher), cand, cases)
    differ = sum(observable(a) != observable(b) for a, b in zip(fresh, forked, strict=True))
    note = f"{fork_rate / fresh_rate:.1f}x; {differ} of {len(cases)} outcomes differ"
    if launcher.fallbacks:
        note += f"; fell back: {dict(launcher.fallbacks)}"
    rows.append(("candidate alone, fork-server", fork_rate, note))
    launcher.close()

    base = 0.0
    for python_fork in (False, True):
        for jobs in (1, 2):
            runner = PoolRunner(jobs, env, spec.limits, ref, cand, isolation=Isolation(python_fork=python_fork))
            runner.run_pairs(cases[:8])  # warm the workers (and their fork-servers)
            start = time.perf_counter()
            runner.run_pairs(cases, fresh=True)
            rate = len(cases) / (time.perf_counter() - start)
            runner.close()
            base = base or rate
            label = f"pairs, pool runner, {jobs} worker(s), fork-server {'on' if python_fork else 'off'}"
            rows.append((label, rate, f"{rate / base:.1f}x"))

    print(f"{len(cases)} base64 cases, candidate: python3 {os.path.relpath(args.candidate, ROOT)}")
    print(f"{'what':<58} {'runs/s':>9}  notes")
    for name, rate, extra in rows:
        print(f"{name:<58} {rate:>9.1f}  {extra}")


if __name__ == "__main__":
    main()
