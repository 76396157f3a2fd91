"""Which lines of a correct solution does the reward never run? (issue 21)

A mutant in a line no scored case executes gets 1.0 whatever it does there. This
benchmark replays, for each task and seed, exactly the cases a score judges at a
budget (``oracle.scoring.scored_cases``: probes, edge sweep, fresh cases) on the
task's independent solution in ``solutions/`` under coverage.py, and reports per
solution the share of its lines and branches some case ran, and the lines run by
no case and by only one. It reads solutions, never mutants, so it may guide
tuning without looking at the held-out half.

    python3 benchmarks/solution_coverage.py --tasks cksum,tr --seeds 1 --show
    python3 benchmarks/solution_coverage.py --out coverage.json   # all ten tasks
    python3 benchmarks/solution_coverage.py --tasks cksum --distil 101,102,103 --write

With ``--distil SEEDS`` it instead traces the task's whole stored corpus and the
sweep and fresh cases of those seeds, and chooses the fewest cases (most new arcs
first) that take arcs of the solution the probes a score always runs do not;
``--write`` adds them to the shipped corpus as kind ``coverage``, which scores run
right after one probe per behaviour.

Each case runs the solution once more (unsandboxed, in the task's environment,
with the reference beside it as in a score); a case where the solution under
coverage does not match the reference is counted (``mismatched``; a case the
reference gives no answer on, a timeout or a memory fault, is set aside as a
score sets it aside), since the tracer must not change what the program does.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fuzzdiff.core.model import Case, Outcome  # noqa: E402

TASKS = ("base32", "base64", "cksum", "cut", "fold", "head", "md5sum", "sha256sum", "tr", "wc")


@dataclass
class TaskCoverage:
    task: str
    seeds: tuple[int, ...]
    budget: int
    cases: int = 0
    mismatched: int = 0
    statements: int = 0
    branches: int = 0
    line_hits: Counter[int] = field(default_factory=Counter)  # line -> cases that ran it
    arcs_taken: set[tuple[int, int]] = field(default_factory=set)
    missing_lines: list[int] = field(default_factory=list)
    missing_arcs: list[tuple[int, int]] = field(default_factory=list)

    def line_share(self) -> float:
        return 1 - len(self.missing_lines) / self.statements if self.statements else 1.0

    def branch_share(self) -> float:
        return 1 - len(self.missing_arcs) / self.branches if self.branches else 1.0

    def once(self) -> list[int]:
        return sorted(n for n, k in self.line_hits.items() if k == 1)

    def to_json(self) -> dict[str, object]:
        return {
            "task": self.task,
            "seeds": list(self.seeds),
            "budget": self.budget,
            "cases": self.cases,
            "mismatched": self.mismatched,
            "statements": self.statements,
            "line_share": round(self.line_share(), 4),
            "branches": self.branches,
            "branch_share": round(self.branch_share(), 4),
            "missing_lines": self.missing_lines,
            "missing_branches": [list(a) for a in self.missing_arcs],
            "lines_run_once": self.once(),
        }


Arc = tuple[int, int]


@dataclass
class Traced:
    """Each case's run of the solution under coverage: the arcs it took, whether the
    solution matched the reference there (``None``: the reference gave no answer),
    and the reference's normalised outcome."""

    cases: list[Case]
    arcs: list[frozenset[Arc]]
    matched: list[bool | None]
    references: list[Outcome]
    statements: set[int]  # the solution's executable lines
    possible: frozenset[Arc]  # every arc coverage.py's analysis of the solution knows


def trace(task: str, cases: Sequence[Case], jobs: int) -> Traced:
    """Run the task's solution under coverage.py on each case (beside the reference,
    as a score does) and read back, case by case, the arcs it took. Each run writes
    its own data file, named through the case's environment (``COVERAGE_FILE``),
    which the solution never reads."""
    import coverage

    from fuzzdiff.core.compare import compare, normalise
    from fuzzdiff.engine.judging import unanswered
    from fuzzdiff.engine.setup import open_runner, prepare

    solution = (ROOT / "solutions" / f"{task}.py").resolve()
    with tempfile.TemporaryDirectory(prefix="fuzzdiff-solcov-") as where:
        rc = Path(where) / "rc"
        rc.write_text("[run]\nbranch = True\nparallel = True\n")
        setup = prepare(task, f"{sys.executable} -m coverage run --rcfile={rc} {solution}")
        traced = [replace(c, env=(*c.env, ("COVERAGE_FILE", f"{where}/cov{i}"))) for i, c in enumerate(cases)]
        with open_runner(setup, jobs=jobs) as runner:
            pairs = runner.run_pairs(traced)
        cmp, name = setup.spec.compare, setup.spec.name
        arcs: list[frozenset[Arc]] = []
        matched: list[bool | None] = []
        references: list[Outcome] = []
        for i, (case, (ref, cand)) in enumerate(zip(cases, pairs, strict=True)):
            ref, cand = normalise(ref, setup.reference, name, cmp), normalise(cand, setup.candidate, name, cmp)
            references.append(ref)
            matched.append(None if unanswered(ref) else compare(case, ref, cand, cmp) is None)
            taken: set[Arc] = set()
            for part in Path(where).glob(f"cov{i}.*"):
                data = coverage.CoverageData(basename=str(part))
                data.read()
                for measured in data.measured_files():
                    if Path(measured).resolve() == solution:
                        taken |= set(data.arcs(measured) or ())
            arcs.append(frozenset(taken))
        statements, possible = parse(solution)
        return Traced(list(cases), arcs, matched, references, statements, possible)


def lines_of(arcs: frozenset[Arc] | set[Arc]) -> set[int]:
    """The lines some arc of ``arcs`` enters or leaves (coverage.py marks entry and exit with negatives)."""
    return {n for arc in arcs for n in arc if n > 0}


def measure(task: str, seeds: Sequence[int], budget: int, jobs: int) -> TaskCoverage:
    """What the cases a score judges with each of ``seeds`` run of the task's solution."""
    from fuzzdiff.core.spec import load_task
    from fuzzdiff.oracle.scoring import scored_cases

    spec = load_task(task)
    cases: dict[str, Case] = {}
    for seed in seeds:
        for _, case in scored_cases(spec, seed, budget):
            cases.setdefault(case.key(), case)
    t = trace(task, list(cases.values()), jobs)
    result = TaskCoverage(task, tuple(seeds), budget, cases=len(t.cases))
    result.mismatched = sum(1 for m in t.matched if m is False)
    for arcs in t.arcs:
        result.line_hits.update(lines_of(arcs))
        result.arcs_taken |= arcs
    result.statements = len(t.statements)
    result.missing_lines = sorted(t.statements - set(result.line_hits))
    branching = branch_arcs(t.possible)
    result.branches = len(branching)
    result.missing_arcs = sorted(branching - result.arcs_taken)
    return result


def parse(solution: Path) -> tuple[set[int], frozenset[Arc]]:
    """The solution's executable lines and every arc between them, as coverage.py's parser sees them."""
    from coverage.parser import PythonParser

    parser = PythonParser(filename=str(solution))
    parser.parse_source()
    return set(parser.statements), frozenset(parser.arcs())


def branch_arcs(possible: frozenset[Arc]) -> set[Arc]:
    """The arcs that leave a line with more than one way out: the branches."""
    exits = Counter(a for a, _ in possible)
    return {(a, b) for a, b in possible if exits[a] > 1}


@dataclass
class Distilled:
    task: str
    pool: int  # cases traced beyond the probes
    base_arcs: int  # arcs the probes a score always runs take
    pool_arcs: int  # arcs only the pool took
    chosen: list[tuple[Case, Outcome, int]]  # case, reference outcome, new arcs it took
    disagreements: list[Case]  # the solution differs from the reference: fix it first


def distil(task: str, pool_seeds: Sequence[int], budget: int, jobs: int) -> Distilled:
    """Cases that take arcs of the solution which the probes a score at ``budget``
    always runs do not: chosen greedily (most new arcs first, then the smallest)
    from the task's whole stored corpus and the sweep and fresh cases of
    ``pool_seeds``, each one the reference answers and the solution matches."""
    from fuzzdiff.core.plan import phases
    from fuzzdiff.core.spec import load_task
    from fuzzdiff.oracle.scoring import CORPORA_DIR, probe_cases, probe_limit
    from fuzzdiff.store.corpus import load_corpus

    spec = load_task(task)
    base = probe_cases(task, limit=probe_limit(budget))
    pool: dict[str, Case] = {}
    for stored in load_corpus(CORPORA_DIR / task).cases:
        pool.setdefault(stored.key, stored.case)
    for seed in pool_seeds:
        for _, cases in phases(spec, seed, budget):  # the sweep's share, then fresh cases
            for case in cases:
                pool.setdefault(case.key(), case)
    for case in base:
        pool.pop(case.key(), None)
    t = trace(task, [*base, *pool.values()], jobs)
    covered: set[Arc] = set().union(*t.arcs[: len(base)])
    left = list(range(len(base), len(t.cases)))
    disagreements = [t.cases[i] for i in left if t.matched[i] is False]
    eligible = [i for i in left if t.matched[i]]
    wanted = set().union(*(t.arcs[i] for i in eligible)) - covered
    pool_arcs = len(wanted)
    chosen: list[tuple[Case, Outcome, int]] = []
    while wanted:
        best = max(eligible, key=lambda i: (len(t.arcs[i] & wanted), -t.cases[i].size(), t.cases[i].key()))
        gain = len(t.arcs[best] & wanted)
        if not gain:
            break
        chosen.append((t.cases[best], t.references[best], gain))
        wanted -= t.arcs[best]
        eligible.remove(best)
    return Distilled(task, len(pool), len(covered), pool_arcs, chosen, disagreements)


def write_distilled(d: Distilled) -> int:
    """Add the chosen cases to the task's shipped corpus as kind ``coverage``."""
    from fuzzdiff.core.spec import load_task
    from fuzzdiff.oracle.scoring import CORPORA_DIR
    from fuzzdiff.run.program import reference_program
    from fuzzdiff.store.corpus import CorpusWriter

    spec = load_task(d.task)
    writer = CorpusWriter(CORPORA_DIR / d.task, spec, reference_program(spec))
    for case, outcome, _ in d.chosen:
        writer.add(case, outcome, kind="coverage")
    return len(d.chosen)


def listing(result: TaskCoverage, context: int = 0) -> str:
    """The solution's lines no case ran (``!``) and those one case ran (``1``)."""
    lines = (ROOT / "solutions" / f"{result.task}.py").read_text().splitlines()
    missing, once = set(result.missing_lines), set(result.once())
    partial = {a for a, _ in result.missing_arcs}
    out: list[str] = []
    last = 0
    for n, text in enumerate(lines, 1):
        mark = "!" if n in missing else "1" if n in once else "~" if n in partial else ""
        if not mark:
            continue
        if n > last + 1:
            out.append("   ...")
        out.append(f"{mark:>1} {n:5d}  {text}")
        last = n
    return "\n".join(out)


def integers(text: str) -> list[int] | None:
    """``"1,2,3"`` -> ``[1, 2, 3]``; None if a part is not an integer."""
    try:
        return [int(part) for part in text.split(",") if part]
    except ValueError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", default=",".join(TASKS), help="comma-separated tasks with a solution")
    parser.add_argument("--seeds", default="1", help="comma-separated seeds; their cases are pooled")
    parser.add_argument("--budget", type=int, default=None, help="cases per score (default: the oracle's)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--show", action="store_true", help="print each solution's unrun and once-run lines")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument(
        "--distil",
        metavar="SEEDS",
        help="instead: choose cases that take arcs the probes do not, from the corpus and these seeds' "
        "cases (comma-separated; keep them apart from the seeds you score with)",
    )
    parser.add_argument("--write", action="store_true", help="with --distil: add them to corpora/TASK (kind coverage)")
    args = parser.parse_args(argv)
    tasks = [t for t in args.tasks.split(",") if t]
    unknown = [t for t in tasks if not (ROOT / "solutions" / f"{t}.py").is_file()]
    if unknown:
        print(f"error: no solution in solutions/ for {unknown}; choose from {list(TASKS)}", file=sys.stderr)
        return 2
    seeds, pool_seeds = integers(args.seeds), integers(args.distil or "")
    if seeds is None or pool_seeds is None:
        bad = args.seeds if seeds is None else args.distil
        print(f"error: --seeds and --distil take comma-separated integers, not {bad!r}", file=sys.stderr)
        return 2
    if args.write and not pool_seeds:
        print("error: --write adds the cases --distil chooses; give --distil SEEDS too", file=sys.stderr)
        return 2
    if args.budget is not None and args.budget < 1:
        print(f"error: --budget must be a positive number of cases, not {args.budget}", file=sys.stderr)
        return 2
    try:
        import coverage  # noqa: F401
    except ImportError:
        print("error: coverage.py is not installed; run `make bench-setup`", file=sys.stderr)
        return 2
    from fuzzdiff.oracle.scoring import DEFAULT_BUDGET

    budget = args.budget or DEFAULT_BUDGET
    if pool_seeds:
        print("| task | pool | arcs the probes take | arcs only the pool takes | cases chosen | disagreements |")
        print("|---|---|---|---|---|---|")
        for task in tasks:
            d = distil(task, pool_seeds, budget, args.jobs)
            print(f"| {task} | {d.pool} | {d.base_arcs} | {d.pool_arcs} | {len(d.chosen)} | {len(d.disagreements)} |")
            for case, _, gain in d.chosen:
                print(f"    +{gain:3d} arcs: {b' '.join(case.argv)[:100]!r}", file=sys.stderr)
            for case in d.disagreements[:5]:
                print(f"    solution differs: {case.argv!r}", file=sys.stderr)
            if args.write:
                write_distilled(d)
        return 0
    results = []
    print("| task | cases | lines run | branches taken | lines run by no case | by one case | mismatched |")
    print("|---|---|---|---|---|---|---|")
    for task in tasks:
        r = measure(task, seeds, budget, args.jobs)
        results.append(r)
        print(
            f"| {task} | {r.cases} | {r.line_share():.1%} | {r.branch_share():.1%} | "
            f"{len(r.missing_lines)} | {len(r.once())} | {r.mismatched} |",
            flush=True,
        )
    if args.show:
        for r in results:
            print(f"\n## {r.task} (! run by no case, 1 by one case, ~ a branch never taken)\n")
            print(listing(r))
    if args.out:
        args.out.write_text(json.dumps([r.to_json() for r in results], indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
