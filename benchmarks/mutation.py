"""How often does a wrong program get full reward? Mutation analysis of the solutions.

Each independent solution in ``solutions/`` (a Python program fuzzdiff judges
equivalent to its task's reference) is mutated with cosmic-ray's first-order
operators (one change each: an operator, a comparison, a number, a boolean,
a loop that runs zero times, ...). ``mutating.mutate_code`` drives them one
mutant at a time, so no test suite and no work database are involved.

Mutants are chosen before anything is scored, by fixed rules:

- per task, mutants are made in order of the SHA-256 of their id
  (``TASK:OPERATOR:OCCURRENCE``) until ``--per-task`` are chosen; on the way, one
  that does not compile is *stillborn* and one whose syntax tree equals the
  solution's is *identical*: both are counted, neither is scored;
- a mutant is in the *held-out* half when the first byte of that hash is odd.
  Tuning fuzzdiff against the results may look at the tuned half only.

Every chosen mutant is scored by the reward oracle as a training loop calls it
(``oracle.scoring.score``: binary policy, sandboxed, the task's probe corpus
first, then fuzzing) at each budget and seed, without the shared pool (a pool
only adds kills, and it would make results depend on scoring order), and once
with the probe corpus alone (budget = the corpus's size). A plain random
baseline runs a campaign with no guidance and no corpus at the same budgets.

A mutant is *killed* when its reward is 0.0, *survived* at 1.0; a score that is
not ``ok`` (an error of the oracle, a deadline) is counted apart and never as a
kill. Mutants proven equivalent are listed, each with its reason, in
``benchmarks/mutation_equivalent.toml``; they leave the denominator.

    python3 benchmarks/mutation.py --per-task 150 --budgets 100,300,500,1000 --seeds 1,2,3 \\
        --out benchmarks/mutation-runs.jsonl --report docs/mutation.md
    python3 benchmarks/mutation.py --list cut            # the mutants of one task, no scoring

Results go to ``--out`` one JSON line per run as they come (a rerun skips the
runs already there), and the report is written from that file. A mutant and
seed killed at one budget is killed at every larger one (the cases at a larger
budget include those at a smaller), so such runs are copied with
``derived_from`` naming the budget they were scored at, not scored again; for
the same reason one that survived a budget survives every smaller one, and one
killed by the probes alone, within the probes a smaller budget runs, is killed
there too (``implications``).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import functools
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from fuzzdiff.engine.setup import Setup

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SOLUTIONS = REPO / "solutions"
EQUIVALENT = HERE / "mutation_equivalent.toml"
#: The ten tasks written by hand before the library (their solutions are the candidates).
TASKS = ("base32", "base64", "cksum", "cut", "fold", "head", "md5sum", "sha256sum", "tr", "wc")


@dataclass(frozen=True, slots=True)
class Mutant:
    id: str  # TASK:OPERATOR:OCCURRENCE
    task: str
    operator: str
    occurrence: int
    line: int
    source: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.id.encode()).hexdigest()

    @property
    def held_out(self) -> bool:
        return int(self.digest[:2], 16) % 2 == 1


@dataclass(frozen=True, slots=True)
class Census:
    task: str
    positions: int  # every (operator, occurrence) cosmic-ray offers
    examined: int  # made, in hash order, until enough were chosen
    stillborn: int
    identical: int
    mutants: tuple[Mutant, ...]


def _fail(message: str) -> NoReturn:
    """Bad input: say what and how to fix it, exit 2."""
    print(f"mutation.py: {message}", file=sys.stderr)
    raise SystemExit(2)


def _operators() -> Iterator[tuple[str, Any]]:
    try:
        import cosmic_ray.plugins as plugins
    except ImportError:
        _fail("needs cosmic-ray: python3 -m pip install cosmic-ray (or `make bench-setup`)")
    for name in sorted(plugins.operator_names()):
        cls = plugins.get_operator(name)
        if not cls.arguments():  # operators that need arguments are configured per project; none here
            yield name, cls()


def census(task: str, per_task: int) -> Census:
    """The first ``per_task`` first-order mutants of ``solutions/TASK.py``, in order of
    the SHA-256 of their ids, that compile and change the program's syntax tree."""
    import warnings

    from cosmic_ray.ast import ast_nodes, get_ast
    from cosmic_ray.mutating import mutate_code

    path = SOLUTIONS / f"{task}.py"
    if not path.is_file():
        _fail(f"no solution for task {task!r} ({path} is missing; --tasks names tasks with one in solutions/)")
    source = path.read_text()
    original = ast.dump(ast.parse(source))
    nodes = list(ast_nodes(get_ast(source)))
    spots: list[tuple[str, str, Any, int, int]] = []  # digest, short name, operator, occurrence, line
    for name, operator in _operators():
        short = name.split("/", 1)[-1]
        starts = [start for node in nodes for start, _ in operator.mutation_positions(node)]
        for occurrence, start in enumerate(starts):
            digest = hashlib.sha256(f"{task}:{short}:{occurrence}".encode()).hexdigest()
            spots.append((digest, short, operator, occurrence, start[0]))
    spots.sort(key=lambda spot: spot[0])
    examined = stillborn = identical = 0
    mutants: list[Mutant] = []
    for _, short, operator, occurrence, line in spots:
        if len(mutants) == per_task:
            break
        examined += 1
        mutated = mutate_code(source, operator, occurrence)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SyntaxWarning)  # `x is b"-"`: a mutant, not our code
                tree = ast.parse(mutated or "")
                compile(tree, str(path), "exec")
        except (SyntaxError, ValueError):
            stillborn += 1
            continue
        if mutated is None or ast.dump(tree) == original:
            identical += 1
            continue
        mutants.append(Mutant(f"{task}:{short}:{occurrence}", task, short, occurrence, line, mutated))
    return Census(task, len(spots), examined, stillborn, identical, tuple(mutants))


def named_mutants(ids: Sequence[str]) -> list[Census]:
    """The mutants ``ids`` (``TASK:OPERATOR:OCCURRENCE``) made directly, one parse each,
    grouped by task as censuses with no counts (``positions`` -1): ``--only`` without
    making every mutant before them in hash order (a census of 450 a task takes minutes).
    An id names any mutant cosmic-ray can make, chosen by the fixed rule or not."""
    from cosmic_ray.mutating import mutate_code

    operators = {name.split("/", 1)[-1]: op for name, op in _operators()}
    by_task: dict[str, list[Mutant]] = {}
    for mutant_id in ids:
        task, short, occurrence = [*mutant_id.split(":"), "", ""][:3]
        path = SOLUTIONS / f"{task}.py"
        if short not in operators or not occurrence.isdigit() or not path.is_file():
            _fail(f"--only: {mutant_id!r} names no mutant (TASK:OPERATOR:OCCURRENCE; see --list TASK)")
        mutated = mutate_code(path.read_text(), operators[short], int(occurrence))
        if mutated is None:
            _fail(f"--only: {mutant_id!r} names no mutant: {short} has no occurrence {occurrence} in {path.name}")
        by_task.setdefault(task, []).append(Mutant(mutant_id, task, short, int(occurrence), 0, mutated))
    return [Census(task, -1, 0, 0, 0, tuple(ms)) for task, ms in by_task.items()]


def equivalent_list(path: Path = EQUIVALENT) -> dict[str, str]:
    """Mutant id -> the reason it is equivalent (one line each)."""
    if not path.is_file():
        return {}
    doc = tomllib.loads(path.read_text())
    return {str(k): str(v) for k, v in doc.get("equivalent", {}).items()}


# -- scoring -----------------------------------------------------------------------------


def score_mutant(mutant: Mutant, mode: str, budget: int, seed: int) -> dict[str, Any]:
    """One run: ``mode`` is ``oracle`` (score as a training loop calls it), ``replay``
    (the task's whole corpus, as ``fuzzdiff replay`` runs it) or ``random`` (a campaign without guidance or corpus)."""
    start = time.monotonic()
    if mode == "random":
        cases, status = _random_campaign(mutant, budget, seed)
        reward = None if status != "ok" else (0.0 if cases is not None else 1.0)
        row: dict[str, Any] = {"status": status, "reward": reward, "cases": cases}
    elif mode == "replay":
        row = _replay_corpus(mutant)
        budget = row["cases"]
    else:
        from fuzzdiff.oracle.scoring import Candidate, score

        done = score(
            mutant.task,
            Candidate(source=mutant.source, language="python"),
            budget=budget,
            seed=seed,
            jobs=1,
            use_pool=False,
        )
        row = {"status": done.status, "reward": done.reward, "cases": done.cases, "error": done.error[:300]}
        if done.counterexample is not None:
            row["phase"] = (
                "fuzz" if done.fuzz_cases else "edge" if done.edge_cases else "pool" if done.pool_cases else "probe"
            )
    row.update(id=mutant.id, mode=mode, budget=budget, seed=seed, seconds=round(time.monotonic() - start, 3))
    row["commit"] = _commit()  # which fuzzdiff scored it: rows of several days share a file
    return row


@functools.cache
def _commit() -> str:
    """The commit of the fuzzdiff that is scoring (its checkout's ``HEAD``, with
    ``+changes`` when the tree differs from it), or "" outside a git checkout."""
    import fuzzdiff

    where = Path(fuzzdiff.__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(
            ["git", "-C", str(where), "status", "--porcelain", "--", "fuzzdiff"], capture_output=True
        )
    except OSError:
        return ""
    if head.returncode != 0:
        return ""
    return head.stdout.strip()[:12] + ("+changes" if dirty.stdout.strip() else "")


@contextlib.contextmanager
def _as_candidate(mutant: Mutant) -> Iterator[Setup]:
    """The mutant's task set up with the mutant, written to a private file, as its candidate."""
    from fuzzdiff.api import prepare

    with tempfile.TemporaryDirectory(prefix="fuzzdiff-mutant-") as where:
        script = Path(where) / "candidate.py"
        script.write_text(mutant.source)
        yield prepare(mutant.task, f"python3 {script}")


def _replay_corpus(mutant: Mutant) -> dict[str, Any]:
    """``fuzzdiff replay corpora/TASK`` on the mutant, sandboxed: the stored outcomes
    stand in for the reference. Killed when any case fails."""
    from fuzzdiff.engine.setup import open_runner
    from fuzzdiff.oracle.scoring import CORPORA_DIR
    from fuzzdiff.store.corpus import load_corpus
    from fuzzdiff.store.replay import StoredOutcomes, replay_on

    corpus = load_corpus(CORPORA_DIR / mutant.task)
    with _as_candidate(mutant) as setup:
        hide = (str(CORPORA_DIR),)
        with open_runner(setup, 1, True, True, StoredOutcomes(corpus), hide) as runner:
            result = replay_on(corpus, setup.spec, runner, setup.candidate, setup.reference)
    status = "ok" if not result.errors else "error"
    reward = None if status != "ok" else (0.0 if result.failed else 1.0)
    return {"status": status, "reward": reward, "cases": result.cases}


def _random_campaign(mutant: Mutant, budget: int, seed: int) -> tuple[int | None, str]:
    from fuzzdiff.core.model import Finished, Found
    from fuzzdiff.engine.campaign import CampaignConfig, run_campaign
    from fuzzdiff.engine.setup import open_runner

    with _as_candidate(mutant) as setup:
        config = CampaignConfig(seed=seed, budget=budget, shrink=False, guidance=frozenset())
        found: int | None = None
        with open_runner(setup, 1, True, True) as runner:
            for event in run_campaign(setup.spec, runner, setup.reference, setup.candidate, config):
                if isinstance(event, Found) and found is None:
                    found = event.index + 1
                elif isinstance(event, Finished) and found is not None and not event.result.blamed:
                    found = None  # the reference wavered: not a kill
                if found is not None:
                    break
    return found, "ok"


def _key(row: dict[str, Any]) -> tuple[str, str, int, int]:
    return (str(row["id"]), str(row["mode"]), int(row["budget"]) if row["mode"] != "replay" else 0, int(row["seed"]))


def load_runs(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def solution_of(task: str) -> Mutant:
    """The unmutated solution, scored beside its mutants: a kill counts only on cases
    the solution itself passes (``credited``)."""
    return Mutant(f"{task}:solution", task, "none", 0, 0, (SOLUTIONS / f"{task}.py").read_text())


def is_solution(run: dict[str, Any]) -> bool:
    return str(run["id"]).endswith(":solution")


def plan(
    mutants: Sequence[Mutant], budgets: Sequence[int], seeds: Sequence[int], random: bool, replay: bool = True
) -> list[tuple[Mutant, str, int, int]]:
    jobs: list[tuple[Mutant, str, int, int]] = []
    solutions = [solution_of(task) for task in dict.fromkeys(m.task for m in mutants)]
    for m in [*solutions, *mutants]:
        if replay:
            jobs.append((m, "replay", 0, 0))
        for budget in budgets:
            for seed in seeds:
                jobs.append((m, "oracle", budget, seed))
                if random:
                    jobs.append((m, "random", budget, seed))
    return jobs


def killed_below(runs: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    """(mutant, seed) -> its oracle run that killed it with the smallest budget.

    A kill at one budget is a kill at every larger one: the cases judged at a
    larger budget include those at a smaller one (the same probes, a longer prefix
    of the same list where ``PROBE_SHARE`` cuts them; the edge sweep
    is a prefix of the same sweep, longer by its share of the larger budget; and
    ``generate_cases`` is prefix-stable), so the case that killed it is judged
    again. The pool is off. Such runs are not scored again."""
    best: dict[tuple[str, int], dict[str, Any]] = {}
    for r in runs:  # scored runs only: a derived row would name another derived budget as its source
        if r["mode"] == "oracle" and r["status"] == "ok" and r["reward"] == 0.0 and "derived_from" not in r:
            key = (str(r["id"]), int(r["seed"]))
            if key not in best or int(r["budget"]) < int(best[key]["budget"]):
                best[key] = r
    return best


def implications(runs: list[dict[str, Any]]) -> Callable[[str, int, int], dict[str, Any] | None]:
    """What ``runs`` imply: a function giving the oracle run of a mutant and seed at
    a budget that other budgets' runs imply, with ``derived_from`` naming the
    budget it was scored at, or None.

    The cases judged at a budget are a prefix, phase by phase, of those judged at
    a larger one (``killed_below``), and the mutant is deterministic, so: a kill at
    a smaller budget is a kill; a survivor at a larger budget is a survivor (it
    passed every case this budget would judge); a kill at a larger budget is a
    kill when it judged probes only (``phase`` "probe": no sweep or fresh case
    had run), no more than this budget's share of probes (``probe_limit``).

    Not covered: a score is inconclusive (status ``error``) when too large a share
    of its judged cases was set aside (the reference unstable or at a limit), and a
    share may be larger at a smaller budget; the ten tasks' references are
    deterministic and such cases are no probes, so a survivor is taken to
    survive there too."""
    from fuzzdiff.oracle.scoring import probe_limit

    kills = killed_below(runs)
    scored: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in runs:
        if r["mode"] == "oracle" and r["status"] == "ok" and "derived_from" not in r:
            scored.setdefault((str(r["id"]), int(r["seed"])), []).append(r)

    def implied(mutant: str, budget: int, seed: int) -> dict[str, Any] | None:
        below = kills.get((mutant, seed))
        if below is not None and int(below["budget"]) < budget:
            return {**below, "budget": budget, "derived_from": int(below["budget"])}
        above = sorted(
            (r for r in scored.get((mutant, seed), []) if int(r["budget"]) > budget), key=lambda r: int(r["budget"])
        )
        for r in above:
            if r["reward"] == 1.0:  # it may have run out of cases before its budget
                return {**r, "budget": budget, "cases": min(budget, int(r["cases"])), "derived_from": int(r["budget"])}
            if r["reward"] == 0.0 and r.get("phase") == "probe" and int(r["cases"]) <= probe_limit(budget):
                return {**r, "budget": budget, "derived_from": int(r["budget"])}
        return None

    return implied


def run_all(jobs: list[tuple[Mutant, str, int, int]], out: Path, parallel: int) -> None:
    runs = load_runs(out)
    done = {_key(r) for r in runs}
    todo = [j for j in jobs if (j[0].id, j[1], j[2], j[3]) not in done]
    implied = implications(runs)
    derived = []
    for j in todo:
        row = implied(j[0].id, j[2], j[3]) if j[1] == "oracle" else None
        if row is not None:
            derived.append(row)
    if derived:
        with out.open("a") as sink:
            for row in derived:
                sink.write(json.dumps(row, sort_keys=True) + "\n")
        taken = {(str(r["id"]), int(r["budget"]), int(r["seed"])) for r in derived}
        todo = [j for j in todo if not (j[1] == "oracle" and (j[0].id, j[2], j[3]) in taken)]
        print(f"mutation: {len(derived)} runs implied by other budgets' runs, not scored again", file=sys.stderr)
    print(f"mutation: {len(todo)} runs to do ({len(jobs) - len(todo)} already in {out})", file=sys.stderr)
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=parallel) as pool, out.open("a") as sink:
        futures: list[Future[dict[str, Any]]] = [pool.submit(score_mutant, *j) for j in todo]
        for n, future in enumerate(futures, 1):
            row = future.result()
            sink.write(json.dumps(row, sort_keys=True) + "\n")
            sink.flush()
            if n % 25 == 0 or n == len(futures):
                rate = n / max(time.monotonic() - started, 1e-9)
                print(f"mutation: {n}/{len(futures)} runs, {rate:.2f} runs/s", file=sys.stderr, flush=True)


# -- report ------------------------------------------------------------------------------


def _median(values: Sequence[float]) -> str:
    return f"{statistics.median(values):g}" if values else "-"


def _run_key(run: dict[str, Any], budget: int | None = None) -> tuple[str, str, int, int]:
    task = str(run["id"]).split(":")[0]
    return task, str(run["mode"]), int(run["budget"]) if budget is None else budget, int(run["seed"])


def solution_runs(runs: list[dict[str, Any]]) -> dict[tuple[str, str, int, int], dict[str, Any]]:
    """(task, mode, budget, seed) -> the unmutated solution's run."""
    return {_run_key(r): r for r in runs if is_solution(r) and r["status"] == "ok"}


def credited(run: dict[str, Any], solutions: dict[tuple[str, str, int, int], dict[str, Any]]) -> bool:
    """Whether a kill counts: the solution passed the same run (task, mode, budget,
    seed; for a kill copied from a smaller budget, that one's), or the mutant was
    caught before the case on which the solution itself first differs. A kill at or
    past it may be the solution's own difference, so it counts as survived. Without
    a solution run (runs scored before they were made), the kill counts."""
    source = _run_key(run, int(run.get("derived_from", run["budget"])))
    own = solutions.get(source)
    if own is None or own["reward"] == 1.0:
        return True
    return int(run["cases"]) < int(own["cases"])  # a copied kill keeps the cases of its source


def summarise(
    mutants: Sequence[Mutant], runs: list[dict[str, Any]], equivalent: dict[str, str], half: str | None
) -> list[dict[str, Any]]:
    """Per (mode, budget): counts over the runs of the chosen mutants of ``half``
    (``tuned``, ``held-out`` or None for both); each (mutant, seed) run counts once.
    A kill counts only where ``credited``."""
    chosen = {m.id: m for m in mutants if half is None or (m.held_out == (half == "held-out"))}
    solutions = solution_runs(runs)
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in runs:
        if r["id"] in chosen:
            budget = 0 if r["mode"] == "replay" else int(r["budget"])  # replay: each task's corpus size
            groups.setdefault((r["mode"], budget), []).append(r)
    rows = []
    for (mode, budget), rs in sorted(groups.items()):
        counted = [r for r in rs if r["id"] not in equivalent]
        ok = [r for r in counted if r["status"] == "ok"]
        killed = [r for r in ok if r["reward"] == 0.0 and credited(r, solutions)]
        rows.append(
            {
                "mode": mode,
                "budget": budget,
                "runs": len(rs),
                "mutants": len({r["id"] for r in rs}),
                "equivalent": len({r["id"] for r in rs if r["id"] in equivalent}),
                "killed": len(killed),
                "survived": len(ok) - len(killed),
                "not_ok": len(counted) - len(ok),
                "score": round(len(killed) / len(ok), 4) if ok else None,
                "median_cases_to_kill": _median([float(r["cases"]) for r in killed if r.get("cases")]),
                # scored runs only: a derived row carries the seconds of another budget's run
                "median_seconds": _median([float(r["seconds"]) for r in rs if "derived_from" not in r]),
            }
        )
    return rows


def survivors(runs: list[dict[str, Any]], equivalent: dict[str, str], mode: str, budget: int) -> list[str]:
    return sorted(
        {
            r["id"]
            for r in runs
            if r["mode"] == mode and int(r["budget"]) == budget and r["reward"] == 1.0 and r["id"] not in equivalent
        }
    )


def markdown(
    censuses: Sequence[Census], mutants: Sequence[Mutant], runs: list[dict[str, Any]], equivalent: dict[str, str]
) -> str:
    lines = ["| task | positions | examined | stillborn | identical | chosen |", "|---|---|---|---|---|---|"]
    for c in (c for c in censuses if c.positions >= 0):  # mutants named by --only were not counted
        lines.append(f"| {c.task} | {c.positions} | {c.examined} | {c.stillborn} | {c.identical} | {len(c.mutants)} |")
    own = [r for r in runs if is_solution(r) and r["status"] == "ok"]
    failed = sorted((_run_key(r), int(r["cases"])) for r in own if r["reward"] != 1.0)
    lines += ["", f"**the solutions themselves**: {len(own)} runs, {len(own) - len(failed)} passed"]
    lines += [
        f"- {task} {mode} budget {budget} seed {seed}: differs at case {cases}"
        for (task, mode, budget, seed), cases in failed
    ]
    lines += ["", "**per task** (all mutants; runs over mutants x seeds)", ""]
    lines += ["| task | mode | budget | runs | killed | survived | not ok | score |", "|---" * 8 + "|"]
    for c in censuses:
        for row in summarise(c.mutants, runs, equivalent, None):
            score = row["score"] if row["score"] is not None else "-"
            lines.append(
                f"| {c.task} | {row['mode']} | {row['budget'] or 'corpus'} | {row['runs']} | {row['killed']} | "
                f"{row['survived']} | {row['not_ok']} | {score} |"
            )
    for half in ("tuned", "held-out", None):
        title = half or "all"
        lines += ["", f"**{title}** (mode, budget: runs over mutants x seeds)", ""]
        lines += [
            "| mode | budget | mutants | equivalent | killed | survived | not ok | score "
            "| median cases to kill | median s |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in summarise(mutants, runs, equivalent, half):
            lines.append(
                f"| {row['mode']} | {row['budget'] or 'corpus'} | {row['mutants']} | {row['equivalent']} | "
                f"{row['killed']} | {row['survived']} | {row['not_ok']} | "
                f"{row['score'] if row['score'] is not None else '-'} | "
                f"{row['median_cases_to_kill']} | {row['median_seconds']} |"
            )
    return "\n".join(lines) + "\n"


def curves(
    mutants: Sequence[Mutant], runs: list[dict[str, Any]], equivalent: dict[str, str]
) -> dict[str, list[tuple[int, float]]]:
    """ "HALF, MODE" -> (budget, score) in budget order, for each half and scored
    mode (oracle, random; replay has no budget)."""
    out: dict[str, list[tuple[int, float]]] = {}
    for half in ("tuned", "held-out"):
        for r in summarise(mutants, runs, equivalent, half):
            if r["mode"] != "replay" and r["score"] is not None:
                out.setdefault(f"{half}, {r['mode']}", []).append((r["budget"], r["score"]))
    return {label: sorted(points) for label, points in out.items()}


def plot(mutants: Sequence[Mutant], runs: list[dict[str, Any]], equivalent: dict[str, str], path: Path) -> bool:
    """``curves`` drawn as mutation score against budget, written to ``path``;
    False when matplotlib is not installed (the ``bench`` extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, points in curves(mutants, runs, equivalent).items():
        style = "--s" if label.endswith("random") else "-o"
        ax.plot([b for b, _ in points], [100 * v for _, v in points], style, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("budget (cases per score)")
    ax.set_ylabel("mutants' runs killed (%)")
    ax.axhline(98, color="grey", linewidth=0.8, linestyle=":")
    ax.legend()
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--per-task", type=int, default=150)
    parser.add_argument("--budgets", default="100,300,500,1000")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--random", action="store_true", help="also the plain random baseline")
    parser.add_argument("--no-replay", action="store_true", help="skip replaying the whole corpus")
    parser.add_argument("--parallel", type=int, default=2, help="scores at once (each on one worker)")
    parser.add_argument("--out", type=Path, default=HERE / "mutation-runs.jsonl")
    parser.add_argument("--report", type=Path, help="write the Markdown tables here")
    parser.add_argument("--plot", type=Path, help="write the plot of score against budget here (PNG)")
    parser.add_argument("--list", metavar="TASK", help="print the chosen mutants of TASK and stop")
    parser.add_argument("--no-run", action="store_true", help="only the report, from --out")
    parser.add_argument("--half", choices=("all", "tuned", "held-out"), default="all", help="score only this half")
    parser.add_argument("--skip-equivalent", action="store_true", help="do not score listed equivalent mutants")
    parser.add_argument(
        "--only", default="", help="score only these mutants (ids, comma-separated; made directly, --tasks ignored)"
    )
    args = parser.parse_args(argv)
    for flag, path in (("--report", args.report), ("--plot", args.plot)):
        if path is not None and not path.resolve().parent.is_dir():
            parser.error(f"{flag} {path}: its directory does not exist; create it or pick another path")
    tasks = [t for t in args.tasks.split(",") if t]
    budgets = [int(b) for b in args.budgets.split(",") if b]
    seeds = [int(s) for s in args.seeds.split(",") if s]
    if args.list:
        for m in census(args.list, args.per_task).mutants:
            print(f"{m.id}\tline {m.line}\t{'held-out' if m.held_out else 'tuned'}")
        return 0
    wanted = [i for i in args.only.split(",") if i]
    censuses = named_mutants(wanted) if wanted else [census(t, args.per_task) for t in tasks]
    mutants = [m for c in censuses for m in c.mutants if args.half == "all" or m.held_out == (args.half == "held-out")]
    if args.skip_equivalent:
        equivalent = equivalent_list()
        mutants = [m for m in mutants if m.id not in equivalent]
    print(f"mutation: {len(mutants)} mutants of {len(tasks)} solutions", file=sys.stderr)
    if not args.no_run:
        run_all(plan(mutants, budgets, seeds, args.random, not args.no_replay), args.out, args.parallel)
    runs = load_runs(args.out)
    table = markdown(censuses, mutants, runs, equivalent_list())
    print(table)
    if args.report:
        args.report.write_text(table)
    if args.plot and not plot(mutants, runs, equivalent_list(), args.plot):
        print("mutation: no plot: matplotlib is not installed (pip install -e '.[bench]')", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
