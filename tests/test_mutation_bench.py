"""The mutation benchmark (benchmarks/mutation.py): its fixed rules and its counts, on
made-up runs; the census on a tiny solution where cosmic-ray is installed."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .helpers import load_benchmark

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "mutation.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_benchmark("mutation")


def _mutant(bench: ModuleType, ident: str) -> Any:
    task, operator, occurrence = ident.split(":")
    return bench.Mutant(ident, task, operator, int(occurrence), 1, "pass\n")


def test_the_held_out_half_is_fixed_by_the_id_alone(bench: ModuleType) -> None:
    ids = [f"cut:NumberReplacer:{n}" for n in range(400)]
    held = [_mutant(bench, i).held_out for i in ids]
    assert held == [_mutant(bench, i).held_out for i in ids]
    assert 150 < sum(held) < 250  # about half


def test_counts_per_mode_and_budget_leave_equivalents_and_errors_out(bench: ModuleType) -> None:
    mutants = [_mutant(bench, f"wc:AddNot:{n}") for n in range(4)]
    runs = [
        {"id": "wc:AddNot:0", "mode": "oracle", "budget": 300, "seed": 1, "status": "ok", "reward": 0.0, "cases": 4},
        {"id": "wc:AddNot:1", "mode": "oracle", "budget": 300, "seed": 1, "status": "ok", "reward": 1.0, "cases": 300},
        {"id": "wc:AddNot:2", "mode": "oracle", "budget": 300, "seed": 1, "status": "ok", "reward": 1.0, "cases": 300},
        {"id": "wc:AddNot:3", "mode": "oracle", "budget": 300, "seed": 1, "status": "deadline", "reward": None},
        {"id": "wc:AddNot:0", "mode": "oracle", "budget": 100, "seed": 1, "status": "ok", "reward": 0.0, "cases": 8},
    ]
    for r in runs:
        r.setdefault("seconds", 1.0)
        r.setdefault("cases", 0)
    rows = {(r["mode"], r["budget"]): r for r in bench.summarise(mutants, runs, {"wc:AddNot:2": "dead code"}, None)}
    row = rows[("oracle", 300)]
    assert (row["mutants"], row["equivalent"], row["killed"], row["survived"], row["not_ok"]) == (4, 1, 1, 1, 1)
    assert row["score"] == 0.5 and row["median_cases_to_kill"] == "4"
    assert rows[("oracle", 100)]["score"] == 1.0
    assert bench.survivors(runs, {"wc:AddNot:2": "dead code"}, "oracle", 300) == ["wc:AddNot:1"]


def test_a_kill_counts_only_before_the_solution_itself_differs(bench: ModuleType) -> None:
    """A solution that differs from its reference on some case (seed 1 at budget 300,
    at its case 50) makes a kill there or later no evidence against the mutant."""
    mutants = [_mutant(bench, f"wc:AddNot:{n}") for n in range(3)]

    def run(ident: str, seed: int, reward: float, cases: int, **more: Any) -> dict[str, Any]:
        row = {"id": ident, "mode": "oracle", "budget": 300, "seed": seed, "status": "ok"}
        return {**row, "reward": reward, "cases": cases, "seconds": 1.0, **more}

    runs = [
        run("wc:solution", 1, 0.0, 50),
        run("wc:solution", 2, 1.0, 300),
        run("wc:AddNot:0", 1, 0.0, 49),  # before the solution's own difference: a kill
        run("wc:AddNot:1", 1, 0.0, 50),  # at it: not credited
        run("wc:AddNot:2", 1, 0.0, 120),  # past it: not credited
        run("wc:AddNot:1", 2, 0.0, 200),  # the solution passed seed 2: a kill
        run("wc:AddNot:2", 2, 0.0, 7, derived_from=100),  # copied from a budget with no solution run: a kill
    ]
    (row,) = bench.summarise(mutants, runs, {}, None)
    assert (row["killed"], row["survived"], row["score"]) == (3, 2, 0.6)
    table = bench.markdown([], mutants, runs, {})
    assert "2 runs, 1 passed" in table and "wc oracle budget 300 seed 1: differs at case 50" in table


def test_a_kill_at_a_smaller_budget_is_copied_not_scored_again(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "runs.jsonl"
    killed = {"id": "wc:AddNot:0", "mode": "oracle", "budget": 300, "seed": 1, "status": "ok", "reward": 0.0}
    survived = {**killed, "id": "wc:AddNot:1", "reward": 1.0}
    replays = [{"id": f"wc:AddNot:{n}", "mode": "replay", "budget": 9, "seed": 0} for n in (0, 1)]
    rows = [{**killed, "cases": 7}, {**survived, "cases": 300}, *replays]
    out.write_text("".join(bench.json.dumps(r) + "\n" for r in rows))
    scored: list[tuple[str, int]] = []

    def fake_score(mutant: Any, mode: str, budget: int, seed: int) -> dict[str, Any]:
        scored.append((mutant.id, budget))
        return {"id": mutant.id, "mode": mode, "budget": budget, "seed": seed, "status": "ok", "reward": 1.0}

    class Inline:  # the pool, in this process: the fake scorer is not picklable
        def __init__(self, max_workers: int) -> None: ...
        def __enter__(self) -> Inline:
            return self

        def __exit__(self, *exc: object) -> None: ...
        def submit(self, fn: Any, *args: Any) -> Future[Any]:
            done: Future[Any] = Future()
            done.set_result(fn(*args))
            return done

    monkeypatch.setattr(bench, "score_mutant", fake_score)
    monkeypatch.setattr(bench, "ProcessPoolExecutor", Inline)
    mutants = [_mutant(bench, "wc:AddNot:0"), _mutant(bench, "wc:AddNot:1")]
    bench.run_all(bench.plan(mutants, [300, 1000], [1], random=False), out, 1)
    # the survivor only, beside the solution's own runs (replay, then each budget)
    assert scored == [("wc:solution", 0), ("wc:solution", 300), ("wc:solution", 1000), ("wc:AddNot:1", 1000)]
    copied = [r for r in bench.load_runs(out) if r.get("derived_from")]
    assert copied == [{**killed, "cases": 7, "budget": 1000, "derived_from": 300}]


def test_other_budgets_imply_a_run_where_the_cases_are_a_prefix(bench: ModuleType) -> None:
    """A survivor at 500 survives 100 and 300 (it passed every case they judge); a
    kill by probes alone within a smaller budget's probes is a kill there; a kill
    that ran into the sweep, or past the smaller budget's probes, is not implied."""
    from fuzzdiff.oracle.scoring import probe_limit

    def run(ident: str, reward: float, cases: int, phase: str | None = None) -> dict[str, Any]:
        row = {"id": ident, "mode": "oracle", "budget": 500, "seed": 1, "status": "ok", "reward": reward}
        return {**row, "cases": cases, **({"phase": phase} if phase else {})}

    runs = [
        run("wc:AddNot:0", 1.0, 500),
        run("wc:AddNot:1", 0.0, probe_limit(100), "probe"),
        run("wc:AddNot:2", 0.0, probe_limit(100) + 1, "probe"),
        run("wc:AddNot:3", 0.0, 9, "edge"),
        {**run("wc:AddNot:4", 0.0, 3, "probe"), "status": "deadline"},
    ]
    implied = bench.implications(runs)
    assert implied("wc:AddNot:0", 300, 1) == {**runs[0], "budget": 300, "cases": 300, "derived_from": 500}
    assert implied("wc:AddNot:0", 300, 2) is None  # another seed: other cases
    assert implied("wc:AddNot:1", 100, 1) == {**runs[1], "budget": 100, "derived_from": 500}
    assert implied("wc:AddNot:2", 100, 1) is None and implied("wc:AddNot:2", 300, 1) is not None
    assert implied("wc:AddNot:3", 100, 1) is None  # a sweep case ran: the smaller budget's sweep is shorter
    assert implied("wc:AddNot:4", 100, 1) is None  # not ok: implies nothing
    assert implied("wc:AddNot:1", 1000, 1) == {**runs[1], "budget": 1000, "derived_from": 500}  # a kill below
    # a derived row is no source: provenance names the budget a run was scored at
    derived = {**runs[1], "budget": 100, "derived_from": 500}
    assert bench.implications([*runs, derived])("wc:AddNot:1", 300, 1)["derived_from"] == 500
    short = {**run("wc:AddNot:5", 1.0, 240)}  # ran out of cases before its budget
    assert bench.implications([short])("wc:AddNot:5", 300, 1)["cases"] == 240
    # the report's seconds are those of scored runs: a derived row's are another budget's
    timed = [{**runs[0], "budget": 100, "seconds": 2.0}, {**derived, "id": "wc:AddNot:0", "seed": 2, "seconds": 9.0}]
    (row,) = bench.summarise([_mutant(bench, "wc:AddNot:0")], timed, {}, None)
    assert row["median_seconds"] == "2"


def test_the_plan_replays_once_and_scores_every_budget_and_seed(bench: ModuleType) -> None:
    jobs = bench.plan([_mutant(bench, "head:AddNot:0")], [100, 300], [1, 2], random=True)
    for ident in ("head:solution", "head:AddNot:0"):  # the unmutated solution is scored the same way
        own = [(mode, budget, seed) for m, mode, budget, seed in jobs if m.id == ident]
        assert own.count(("replay", 0, 0)) == 1
        assert len(own) == 1 + 2 * 2 * 2


def test_the_census_skips_stillborn_and_identical_mutants(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("cosmic_ray")
    (tmp_path / "tiny.py").write_text("import sys\n\nx = 1 + 2\nif x > 2:\n    sys.exit(0)\n")
    monkeypatch.setattr(bench, "SOLUTIONS", tmp_path)
    found = bench.census("tiny", 10)
    assert 0 < len(found.mutants) <= 10 and found.examined >= len(found.mutants)
    assert found.examined == len(found.mutants) + found.stillborn + found.identical
    original = (tmp_path / "tiny.py").read_text()
    assert all(m.source != original and m.id.startswith("tiny:") for m in found.mutants)
    assert [m.id for m in bench.census("tiny", 3).mutants] == [m.id for m in found.mutants[:3]]  # a prefix


def test_the_equivalent_and_weakness_lists_name_mutants_with_reasons(bench: ModuleType) -> None:
    """Every listed mutant has a well-formed id and a reason; a weakness also has a
    trigger and is never from the held-out half (tuning must not see those)."""
    import tomllib

    equivalent = bench.equivalent_list()
    weaknesses = tomllib.loads((SCRIPT.parent / "mutation_weaknesses.toml").read_text())["weakness"]
    assert equivalent and weaknesses
    assert not set(equivalent) & set(weaknesses)
    for ident, reason in equivalent.items():
        task, operator, occurrence = ident.split(":")
        assert task in bench.TASKS and operator and occurrence.isdigit() and len(reason) > 20, ident
    for ident, entry in weaknesses.items():
        assert not _mutant(bench, ident).held_out, ident
        assert len(entry["reason"]) > 20 and entry["trigger"], ident


def test_only_scores_the_mutants_named_and_refuses_an_unknown_id(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("cosmic_ray")
    (tmp_path / "tiny.py").write_text("import sys\n\nx = 1 + 2\nif x > 2:\n    sys.exit(0)\n")
    monkeypatch.setattr(bench, "SOLUTIONS", tmp_path)
    planned: list[list[str]] = []
    monkeypatch.setattr(bench, "run_all", lambda jobs, out, parallel: planned.append([j[0].id for j in jobs]))
    first = bench.census("tiny", 5).mutants[0].id
    out = tmp_path / "runs.jsonl"
    out.write_text("")
    bench.main(
        ["--tasks", "tiny", "--per-task", "5", "--budgets", "100", "--seeds", "1", "--only", first, "--out", str(out)]
    )
    assert planned and set(planned[0]) == {"tiny:solution", first}
    # made directly, the named mutant is the census's own
    assert bench.named_mutants([first])[0].mutants[0].source == bench.census("tiny", 5).mutants[0].source
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--tasks", "tiny", "--per-task", "5", "--only", "tiny:NoSuch:0", "--out", str(out)])
    assert exit_info.value.code == 2 and "tiny:NoSuch:0" in capsys.readouterr().err


def test_the_plot_draws_score_against_budget_for_each_half(bench: ModuleType, tmp_path: Path) -> None:
    mutants = [_mutant(bench, f"wc:AddNot:{n}") for n in range(40)]
    runs = [
        {"id": m.id, "mode": "oracle", "budget": budget, "seed": 1, "status": "ok", "seconds": 1.0, "cases": 5}
        | {"reward": 1.0 if budget == 100 else 0.0 if n % 2 else 1.0}  # nothing killed at 100: a score of 0
        for n, m in enumerate(mutants)
        for budget in (300, 100)
    ]
    assert {m.held_out for m in mutants} == {True, False}  # both halves have runs to draw
    lines = bench.curves(mutants, runs, {})
    assert set(lines) == {"tuned, oracle", "held-out, oracle"}
    for points in lines.values():
        assert [b for b, _ in points] == [100, 300] and points[0][1] == 0.0 and 0.0 < points[1][1] < 1.0
    pytest.importorskip("matplotlib")
    path = tmp_path / "score.png"
    assert bench.plot(mutants, runs, {}, path)
    assert path.read_bytes().startswith(b"\x89PNG")


def test_an_output_path_in_a_missing_directory_is_refused_before_any_run(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--tasks", "wc", "--plot", str(tmp_path / "no" / "such" / "p.png"), "--out", str(tmp_path / "r")])
    assert exit_info.value.code == 2 and "--plot" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
