"""Replaying the shipped corpora: what it costs.

For each shipped task: the corpus size, the executions a replay makes of the
candidate and of the reference (counted in one process), and the wall time of
the same replay on all cores. The candidate is a renamed copy of the reference,
so every case passes.

    python3 benchmarks/replay.py
"""

from __future__ import annotations

import shutil
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
from fuzzdiff.store.replay import replay

CORPORA = Path(__file__).resolve().parent.parent / "corpora"


class Counting(LocalExecutor):
    """A local executor that counts runs per program."""

    def __init__(self, env: Mapping[str, str], limits: Limits) -> None:
        super().__init__(env, limits)
        self.counts: Counter[str] = Counter()

    def run(self, program: Program, case: Case) -> Outcome:
        self.counts[program.argv[0]] += 1
        return super().run(program, case)


def main() -> None:
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
