"""Replaying the shipped corpora: what it costs.

For each shipped task: the corpus size, the executions a replay makes of the
candidate and of the reference (counted in one process), and the wall time of
the same replay on all cores. The candidate is a renamed copy of the reference,
so every case passes.

With ``--python``: for each shipped task with an independent Python port in
``solutions/``, the port's replay of its corpus with a fresh interpreter per
run against the fork-server (``replay_executor``, what ``fuzzdiff replay`` and
``check_case`` use), side by side, each ``--repeat`` times alternately; then
the same cases one ``check_case`` call at a time, as a pytest corpus test runs
them.

    python3 benchmarks/replay.py [--python [--repeat 3]]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from fuzzdiff.core.model import Case, Outcome, Program
from fuzzdiff.core.spec import Limits, load_task, shipped_tasks
from fuzzdiff.run.execute import LocalExecutor
from fuzzdiff.run.program import candidate_program, reference_program
from fuzzdiff.run.runner import default_jobs
from fuzzdiff.store.corpus import load_corpus
from fuzzdiff.store.replay import check_case, replay, replay_executor

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO / "corpora"


class Counting(LocalExecutor):
    """A local executor that counts runs per program."""

    def __init__(self, env: Mapping[str, str], limits: Limits) -> None:
        super().__init__(env, limits)
        self.counts: Counter[str] = Counter()

    def run(self, program: Program, case: Case) -> Outcome:
        self.counts[program.argv[0]] += 1
        return super().run(program, case)


def python_ports(repeat: int) -> None:
    """Fresh interpreters against the fork-server, for each Python port."""
    print(
        f"| task | cases | fresh, s ({default_jobs()} jobs) | fork-server, s | ratio | check_case fresh, s "
        "| check_case fork-server, s | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|")
    ratios: list[float] = []
    for port in sorted((REPO / "solutions").glob("*.py")):
        task = port.stem
        if task not in shipped_tasks() or not (CORPORA / task).is_dir():
            continue
        spec = load_task(task)
        cand = candidate_program(f"{sys.executable} {port}", spec)
        corpus = load_corpus(CORPORA / task)
        times: dict[str, list[float]] = {"fresh": [], "forked": [], "check fresh": [], "check forked": []}
        passed: dict[str, set[int]] = {}
        for _ in range(repeat):  # alternately, so the machine's load falls on both alike
            for name, executor in (
                ("fresh", LocalExecutor(dict(spec.env), spec.limits)),
                ("forked", replay_executor(spec)),
            ):
                start = time.perf_counter()
                result = replay(corpus, spec, executor, cand, jobs=default_jobs())
                times[name].append(time.perf_counter() - start)
                passed[name] = {i for i, r in enumerate(result.results) if r.status == "passed"}
            for name, executor in (
                ("check fresh", LocalExecutor(dict(spec.env), spec.limits)),
                ("check forked", replay_executor(spec)),
            ):
                start = time.perf_counter()
                passed[name] = set()
                for i, stored in enumerate(corpus.cases):
                    try:
                        check_case(stored, cand, spec, executor=executor)
                        passed[name].add(i)
                    except AssertionError:
                        pass
                times[name].append(time.perf_counter() - start)
        # The fork-server changes how runs start, never what they give.
        assert len({frozenset(v) for v in passed.values()}) == 1, f"{task}: the executors disagree"
        med = {k: statistics.median(v) for k, v in times.items()}
        ratios.append(med["fresh"] / med["forked"])
        print(
            f"| {task} | {len(corpus.cases)} ({len(passed['fresh'])} pass) | {med['fresh']:.2f} | {med['forked']:.2f} "
            f"| {med['fresh'] / med['forked']:.2f} | {med['check fresh']:.2f} | {med['check forked']:.2f} "
            f"| {med['check fresh'] / med['check forked']:.2f} |"
        )
    print(f"\nmedian replay ratio (fresh / fork-server): {statistics.median(ratios):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", action="store_true", help="Python ports: fresh interpreters vs the fork-server")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.python:
        python_ports(args.repeat)
        return
    tmp = Path(tempfile.mkdtemp())
    print(f"| task | cases | candidate runs | reference runs | passed | seconds ({default_jobs()} jobs) |")
    print("|---|---|---|---|---|---|")
    for task in shipped_tasks():
        spec = load_task(task)
        ref = reference_program(spec)
        copy = tmp / f"copy-{task}"
        shutil.copy(ref.argv[0], copy)
        cand = candidate_program(str(copy), spec)
        corpus = load_corpus(CORPORA / task)
        counting = Counting(dict(spec.env), spec.limits)
        counted = replay(corpus, spec, counting, cand, ref, jobs=1)
        start = time.perf_counter()
        timed = replay(corpus, spec, LocalExecutor(dict(spec.env), spec.limits), cand, ref, jobs=default_jobs())
        seconds = time.perf_counter() - start
        assert counted.passed == timed.passed
        print(
            f"| {task} | {counted.cases} | {counting.counts[cand.argv[0]]} | {counting.counts[ref.argv[0]]} "
            f"| {counted.passed} | {seconds:.2f} |"
        )
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
