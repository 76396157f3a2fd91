"""Scoring on Ray with a real local runtime (2 CPUs, shared by this module): the
same scores as local scoring, no score lost or counted twice when a scorer dies,
reference outcomes shared between scorers, and the CLI's ``--ray``."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ray
from typer.testing import CliRunner

from fuzzdiff.cli import app
from fuzzdiff.core.model import Outcome, Termination
from fuzzdiff.engine.judging import BLAME_RUNS, CONFIRM_RUNS, STABILITY_RUNS
from fuzzdiff.oracle.distributed import MAX_ATTEMPTS, RayScorer, ReferenceStore
from fuzzdiff.oracle.scoring import Candidate, Score, score

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

TASK = "base64"
BUDGET = 60
SEED = 3
#: Without the sandbox: these tests are about distribution, and a dying scorer
#: must be reachable from a candidate (see ``killer``).
OPTIONS: dict[str, Any] = {"budget": BUDGET, "seed": SEED, "sandbox": False, "mask_reference": False}
#: Planted bug: one extra byte after the output when wrapping is asked for.
BUGGY = 'base64 "$@"; rc=$?\nfor a in "$@"; do case "$a" in -w*|--wrap*) printf x;; esac; done\nexit $rc\n'
CANDIDATES: list[Candidate | str] = ["base64", Candidate(source=BUGGY, language="shell")]
TIMINGS = {"seconds", "reference_executions", "cpu_seconds", "max_rss_kb", "wall_seconds"}


def stable(value: object) -> object:
    """Everything but timings, resource figures and cache counters."""
    if isinstance(value, Score):
        value = value.to_json()
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in TIMINGS}
    return value


def local(candidates: list[Candidate | str], cache: Path) -> list[object]:
    return [stable(score(TASK, c, jobs=1, use_pool=False, cache=cache, **OPTIONS)) for c in candidates]


@pytest.fixture(scope="module")
def runtime() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> list[object]:
    return local(CANDIDATES, tmp_path_factory.mktemp("local-cache"))


def test_ray_scores_equal_local_scores(runtime: None, expected: list[object], tmp_path: Path) -> None:
    with RayScorer(actors=2) as pool:
        remote = pool.score(TASK, [*CANDIDATES, CANDIDATES[1]], cache=tmp_path, **OPTIONS)
        stats = pool.stats()
    assert [stable(s) for s in remote] == [*expected, expected[1]]
    assert [s.reward for s in remote] == [1.0, 0.0, 0.0]
    assert remote[1].counterexample is not None
    # The candidate given twice is scored once.
    assert (stats["scores"], stats["attempts"], stats.get("retries", 0)) == (2, 2, 0)


def killer(marker: Path) -> Candidate:
    """``base64``, except that its first run anywhere kills the Ray worker scoring it."""
    source = f"""if mkdir {marker} 2>/dev/null; then
  p=$$
  while [ "$p" -gt 1 ]; do
    case "$(tr '\\0' ' ' < /proc/$p/cmdline)" in *ray::Scorer*) kill -9 "$p"; break;; esac
    p=$(sed 's/.*) . \\([0-9]*\\) .*/\\1/' /proc/$p/stat)  # the parent pid, after "(comm) state"
  done
fi
exec base64 "$@"
"""
    return Candidate(source=source, language="shell")


def test_a_scorer_killed_mid_batch_loses_no_score(runtime: None, expected: list[object], tmp_path: Path) -> None:
    dying = killer(tmp_path / "killed-once")
    batch = [CANDIDATES[0], dying, CANDIDATES[1], CANDIDATES[0]]
    with RayScorer(actors=2) as pool:
        remote = pool.score(TASK, batch, cache=tmp_path / "cache", **OPTIONS)
        stats = pool.stats()
    assert (tmp_path / "killed-once").is_dir(), "the killer candidate never ran"
    # Its retry ran with the marker present: it is plain base64 from then on.
    assert [stable(s) for s in remote] == [expected[0], *local([dying], tmp_path / "local"), expected[1], expected[0]]
    assert stats["actors_replaced"] >= 1 and stats["retries"] >= 1
    distinct = len(batch) - 1  # the first candidate is given twice and scored once
    assert stats["scores"] == distinct and stats["attempts"] == distinct + stats["retries"]


def test_ray_kill_mid_batch_is_retried_and_a_poison_candidate_gives_up(runtime: None, tmp_path: Path) -> None:
    victims: list[int] = []

    def kill(index: int, actor: Any) -> None:
        if index == 1:  # every attempt of candidate 1 loses its scorer
            victims.append(index)
            ray.kill(actor, no_restart=True)

    # The same two candidates again, written differently (so not scored once for both).
    again = [Candidate(source='exec base64 "$@"\n', language="shell"), Candidate(source=BUGGY + "\n", language="shell")]
    with RayScorer(actors=2) as pool:
        remote = pool.score(TASK, [*CANDIDATES, *again], cache=tmp_path, on_submit=kill, **OPTIONS)
        stats = pool.stats()
    assert len(victims) == MAX_ATTEMPTS
    assert [s.status for s in remote] == ["ok", "error", "ok", "ok"]
    assert "lost its Ray scorer 3 times" in remote[1].error
    assert [s.reward for s in remote] == [1.0, None, 1.0, 0.0]
    assert (stats["scores"], stats["failed"]) == (3, 1)
    assert stats["retries"] >= MAX_ATTEMPTS - 1 and stats["attempts"] == 4 + stats["retries"]


def second_scores(share: bool, cache: Path) -> tuple[Score, dict[str, Any], list[str]]:
    """Score two candidates one after the other; round-robin puts them on different actors.
    The first judges every case of the budget; the second (buggy) stops early, then shrinks."""
    with RayScorer(actors=2, share=share, disk=False) as pool:
        first = pool.score(TASK, [CANDIDATES[0]], cache=cache, **OPTIONS)
        scorers = list(pool.scored_by)
        before = pool.stats()["reference"]
        second = pool.score(TASK, [CANDIDATES[1]], cache=cache, **OPTIONS)
        scorers += pool.scored_by
        after = pool.stats()["reference"]
    assert first[0].reward == 1.0 and second[0].reward == 0.0
    return second[0], {k: after.get(k, 0) - before.get(k, 0) for k in after}, scorers


def test_reference_outcomes_are_shared_between_scorers(runtime: None, tmp_path: Path) -> None:
    shared, shared_counts, scorers = second_scores(True, tmp_path)
    alone, alone_counts, _ = second_scores(False, tmp_path)
    assert scorers[0] != scorers[1]
    assert alone_counts.get("shared_hits", 0) == 0
    # The second candidate's judged cases were all run by the first; only shrinking proposes new ones.
    assert shared_counts["shared_hits"] >= shared.cases > 0
    # Every reference run is a miss of the shared store, except the fresh re-runs that
    # check a divergence's reference is deterministic (they must not read any cache):
    # at most STABILITY_RUNS + CONFIRM_RUNS + BLAME_RUNS for the one divergence found.
    fresh = STABILITY_RUNS + CONFIRM_RUNS + BLAME_RUNS
    assert 0 <= shared.reference_executions - shared_counts["misses"] <= fresh
    assert 0 <= alone.reference_executions - alone_counts["misses"] <= fresh
    assert shared_counts["misses"] + shared.cases <= alone_counts["misses"]
    assert stable(shared) == stable(alone)


def test_store_keeps_each_outcome_once_and_serves_what_is_new() -> None:
    store = ReferenceStore(limit=3)
    out = Outcome(Termination.EXITED, 0, None, b"a", b"")
    news, cursor, epoch = store.exchange("ns", [("k1", out), ("k2", out)], 0, "")
    assert (news, cursor) == ([], 2)
    news, cursor, _ = store.exchange("ns", [("k2", out), ("k3", out), ("k4", out)], 0, epoch)
    assert [k for k, _ in news] == ["k1", "k2"] and cursor == 3
    news, _, _ = store.exchange("ns", [], 1, "an older store")  # a lost store's cursor is not trusted
    assert [k for k, _ in news] == ["k1", "k2", "k3"]
    assert store.stats() == {
        "namespaces": 1,
        "outcomes": 3,
        "stored": 3,
        "duplicates": 1,
        "dropped": 1,
        "calls": 3,
        "served": 5,
    }


def test_cli_ray_prints_the_lines_of_local_scoring(runtime: None, tmp_path: Path) -> None:
    buggy = tmp_path / "buggy.sh"
    buggy.write_text(BUGGY)
    args = ["score", TASK, "-c", "base64", "-c", f"sh {buggy}", "--budget", str(BUDGET), "--seed", str(SEED)]
    args += ["--jobs", "1", "--no-sandbox", "--no-mask-reference", "--no-pool", "--json"]
    lines = []
    for extra in ([], ["--ray"]):
        result = CliRunner().invoke(app, [*args, *extra])
        assert result.exit_code == 0, result.output
        lines.append([stable(json.loads(line)) for line in result.stdout.splitlines()])
    assert len(lines[1]) == 2 and lines[0] == lines[1]


def test_cli_without_ray_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as if not installed
    result = CliRunner().invoke(app, ["score", TASK, "-c", "base64", "--ray"])
    assert result.exit_code == 2
    assert "pip install 'fuzzdiff[ray]'" in result.stderr
