"""Python candidates: fresh interpreters against the fork-server, on one task.

Runs, in one process and one run, the example candidate ``examples/base64/good.py``
(``python3 good.py``) on the same generated base64 cases:
  - through ``LocalExecutor`` with a fresh interpreter per run;
  - through ``LocalExecutor`` with a ``PythonForkLauncher`` (one fork per run),
    checking that every outcome (stdout, stderr, exit, files) is identical;
  - through the pool runner (reference and candidate pairs), fork-server off and
    on, with 1 and 2 workers;
  - the same in bubblewrap (``SandboxExecutor``, and the pool runner with
    ``Isolation(sandbox=True)``), fork-server off and on, where bubblewrap starts;
and prints a table of executions per second.

    python3 benchmarks/pyfork.py [--cases 400] [--candidate examples/base64/good.py]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from fuzzdiff.core.generate import generate_cases
from fuzzdiff.core.model import Case, Outcome, Program
from fuzzdiff.core.spec import Limits, load_task
from fuzzdiff.run.execute import Executor, LocalExecutor
from fuzzdiff.run.program import candidate_program, reference_program
from fuzzdiff.run.pyfork import PythonForkLauncher
from fuzzdiff.run.runner import Isolation, PoolRunner
from fuzzdiff.run.sandbox import SandboxExecutor, bwrap_available

ROOT = Path(__file__).resolve().parent.parent


def observable(outcome: Outcome) -> tuple[object, ...]:
    return (outcome.termination, outcome.exit_code, outcome.signal, outcome.stdout, outcome.stderr, outcome.files)


def timed(executor: Executor, program: Program, cases: list[Case]) -> tuple[float, list[Outcome]]:
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

    pool_rows(rows, env, spec.limits, ref, cand, cases, sandbox=False)
    if bwrap_available():
        with SandboxExecutor(env, spec.limits) as box:
            boxed_rate, boxed = timed(box, cand, cases)
        rows.append(("candidate alone, bubblewrap, fresh interpreter", boxed_rate, "1.0x"))
        with SandboxExecutor(env, spec.limits, python_fork=True) as box:
            box.take_launches()
            boxed_fork_rate, boxed_forked = timed(box, cand, cases)
            launches = dict(box.take_launches())
        differ = sum(observable(a) != observable(b) for a, b in zip(boxed, boxed_forked, strict=True))
        note = f"{boxed_fork_rate / boxed_rate:.1f}x; {differ} of {len(cases)} outcomes differ"
        note += f"; {differ_from(fresh, boxed_forked)} differ from unsandboxed fresh runs"
        if set(launches) != {"fork-server"}:
            note += f"; launches: {launches}"
        rows.append(("candidate alone, bubblewrap, fork-server", boxed_fork_rate, note))
        pool_rows(rows, env, spec.limits, ref, cand, cases, sandbox=True)
    else:
        print("bubblewrap cannot start a sandbox here: no sandboxed rows")

    print(f"{len(cases)} base64 cases, candidate: python3 {os.path.relpath(args.candidate, ROOT)}")
    print(f"{'what':<70} {'runs/s':>9}  notes")
    for name, rate, extra in rows:
        print(f"{name:<70} {rate:>9.1f}  {extra}")


def differ_from(a: list[Outcome], b: list[Outcome]) -> int:
    return sum(observable(x) != observable(y) for x, y in zip(a, b, strict=True))


def pool_rows(
    rows: list[tuple[str, float, str]],
    env: dict[str, str],
    limits: Limits,
    ref: Program,
    cand: Program,
    cases: list[Case],
    sandbox: bool,
) -> None:
    base = 0.0
    for python_fork in (False, True):
        for jobs in (1, 2):
            isolation = Isolation(sandbox=sandbox, python_fork=python_fork)
            runner = PoolRunner(jobs, env, limits, ref, cand, isolation=isolation)
            runner.run_pairs(cases[:8])  # warm the workers (and their fork-servers)
            start = time.perf_counter()
            runner.run_pairs(cases, fresh=True)
            rate = len(cases) / (time.perf_counter() - start)
            runner.close()
            base = base or rate
            where = "bubblewrap, " if sandbox else ""
            label = f"pairs, pool runner, {where}{jobs} worker(s), fork-server {'on' if python_fork else 'off'}"
            rows.append((label, rate, f"{rate / base:.1f}x"))


if __name__ == "__main__":
    main()
