"""Campaigns with fake programs: verdicts, determinism, several findings."""

from __future__ import annotations

from collections.abc import Callable

from fuzzdiff.engine import CampaignConfig, run_campaign
from fuzzdiff.execute import FunctionExecutor
from fuzzdiff.model import CampaignResult, Case, Finished, Found, Outcome, Progress, Shrunk
from fuzzdiff.runner import SerialRunner
from fuzzdiff.spec import TaskSpec

from .conftest import CAND, REF, echo_program, exited


def campaign(
    spec: TaskSpec, candidate: Callable[[Case], Outcome], **config: int
) -> tuple[CampaignResult, list[object]]:
    executor = FunctionExecutor({REF.argv[0]: echo_program, CAND.argv[0]: candidate})
    runner = SerialRunner(executor, REF, CAND)
    events = list(run_campaign(spec, runner, REF, CAND, CampaignConfig(**{"seed": 1, "budget": 300, **config})))
    last = events[-1]
    assert isinstance(last, Finished)
    return last.result, events


def test_identical_programs_are_equivalent(spec: TaskSpec) -> None:
    result, events = campaign(spec, echo_program)
    assert result.verdict == "equivalent"
    assert result.cases == 300
    assert result.counterexample is None
    assert any(isinstance(e, Progress) for e in events)


def test_planted_bug_is_found_and_shrunk(spec: TaskSpec) -> None:
    def cand(case: Case) -> Outcome:
        out = echo_program(case)
        return exited(9, out.stdout, out.stderr, out.files) if b"--alpha" in case.argv else out

    result, events = campaign(spec, cand)
    assert result.verdict == "divergent"
    assert result.counterexample is not None
    assert result.counterexample.case == Case(argv=(b"--alpha",))
    assert result.findings[0].confirmed
    assert [type(e) for e in events if isinstance(e, Found | Shrunk)] == [Found, Shrunk]
    assert result.cases == result.findings[0].found_at + 1


def test_same_seed_same_result(spec: TaskSpec) -> None:
    def cand(case: Case) -> Outcome:
        out = echo_program(case)
        return exited(0, out.stdout + b".", out.stderr, out.files) if len(case.stdin) > 30 else out

    a, _ = campaign(spec, cand, seed=42)
    b, _ = campaign(spec, cand, seed=42)
    assert a.counterexample == b.counterexample
    assert a.cases == b.cases


def test_max_divergences_collects_distinct_fingerprints(spec: TaskSpec) -> None:
    def cand(case: Case) -> Outcome:
        out = echo_program(case)
        if b"-x" in case.argv:
            return out
        if b"--alpha" in case.argv:
            return exited(5, out.stdout, out.stderr, out.files)
        if case.stdin.startswith(b"a"):
            return exited(0, b"", out.stderr, out.files)
        return out

    result, _ = campaign(spec, cand, budget=2000, max_divergences=3)
    fingerprints = {f.divergence.fingerprint for f in result.findings}
    assert len(fingerprints) == len(result.findings) >= 2


def test_flaky_candidate_is_reported_unconfirmed(spec: TaskSpec) -> None:
    calls = {"n": 0}

    def flaky(case: Case) -> Outcome:
        calls["n"] += 1
        out = echo_program(case)
        if b"--alpha" in case.argv and calls["n"] % 2 == 0:
            return exited(7, out.stdout, out.stderr, out.files)
        return out

    result, _ = campaign(spec, flaky, budget=2000)
    assert result.findings, "the generator reaches --alpha within 2000 cases"
    finding = result.findings[0]
    assert not finding.confirmed
    assert finding.unstable == ("candidate",)
    assert result.verdict == "divergent"  # an unstable candidate is still blamed


def test_nondeterministic_reference_is_never_blamed_on_the_candidate(spec: TaskSpec) -> None:
    calls = {"n": 0}

    def wobbly_reference(case: Case) -> Outcome:
        calls["n"] += 1
        out = echo_program(case)
        if b"--alpha" in case.argv and calls["n"] % 2 == 0:
            return exited(4, out.stdout, out.stderr, out.files)
        return out

    executor = FunctionExecutor({REF.argv[0]: wobbly_reference, CAND.argv[0]: echo_program})
    runner = SerialRunner(executor, REF, CAND)
    events = list(run_campaign(spec, runner, REF, CAND, CampaignConfig(seed=3, budget=1500, shrink=False)))
    result = events[-1].result  # type: ignore[attr-defined]
    assert result.findings, "the wobble must be met"
    assert all("reference" in f.unstable for f in result.findings)
    assert result.blamed == ()
    assert result.verdict == "equivalent" and result.counterexample is None


def test_report_names_flaky_and_unstable_findings(spec: TaskSpec) -> None:
    from dataclasses import replace

    from fuzzdiff.report import text_report

    def cand(case: Case) -> Outcome:
        out = echo_program(case)
        return exited(9, out.stdout, out.stderr, out.files) if b"--alpha" in case.argv else out

    result, _ = campaign(spec, cand)
    steady = replace(result.findings[0], confirmed=True, unstable=("candidate",))
    text = text_report(replace(result, findings=(steady,)), "prog", "fuzzdiff ...")
    assert "  (unstable: candidate)" in text and "FLAKY" not in text
    flaky = replace(steady, confirmed=False, unstable=("reference",))
    text = text_report(replace(result, findings=(flaky,)), "prog", "fuzzdiff ...")
    assert "(FLAKY: did not reproduce on every re-run; unstable: reference; the reference is not" in text


def test_recent_keys_forget_the_oldest_beyond_their_limit() -> None:
    from fuzzdiff.engine import RecentKeys

    keys = RecentKeys(limit=3)
    for k in ["a", "b", "a", "c", "d"]:
        keys.add(k)
    assert "a" not in keys and all(k in keys for k in "bcd")
    assert len(keys.keys) == len(keys.order) == 3
