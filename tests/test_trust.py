"""The trust summary: how many cases the reference accepted, and which options
(and enumerated values) never reached a case it accepted."""

from __future__ import annotations

from collections.abc import Callable

from fuzzdiff.core.model import CampaignResult, Case, Outcome
from fuzzdiff.core.report import json_report, text_report
from fuzzdiff.core.spec import TaskSpec, parse_task
from fuzzdiff.core.triage import LOW_ACCEPTED_SHARE, Acceptance, not_found_warning, trust_warning

from .helpers import SIMPLE_TASK, echo_program, exited, fake_campaign


def campaign(
    spec: TaskSpec,
    reference: Callable[[Case], Outcome],
    candidate: Callable[[Case], Outcome] | None = None,
    **config: int,
) -> CampaignResult:
    """A campaign in which the candidate behaves exactly like ``reference`` (unless given)."""
    return fake_campaign(spec, reference, candidate or reference, **config)[0]


def always_fails(case: Case) -> Outcome:
    return exited(2, stderr=b"prog: missing operand\n")


def fails_with_alpha(case: Case) -> Outcome:
    """Rejects every case that may name -a/--alpha (over-approximated: a short
    cluster holding an 'a', any prefix of --alpha), like echo_program otherwise."""
    if any(t.startswith(b"--a") or (t.startswith(b"-") and not t.startswith(b"--") and b"a" in t) for t in case.argv):
        return exited(1, stderr=b"prog: --alpha is broken\n")
    return echo_program(case)


def test_reference_that_always_fails_gives_a_warning(spec: TaskSpec) -> None:
    result = campaign(spec, always_fails)
    assert result.verdict == "equivalent"
    assert result.accepted == 0 and result.accepted_share == 0.0
    assert result.options_never_accepted == ("--alpha", "--number")
    warning = trust_warning(result)
    assert warning is not None and "only 0 of 300 cases" in warning
    text = text_report(result, "prog", "fuzzdiff ...")
    assert "trust: the reference accepted 0 of 300 cases (0%)" in text
    assert any(line.startswith("warning: ") and '"equivalent" says little' in line for line in text.splitlines())
    obj = json_report(result, ["ref"], ["cand"])
    assert obj["trust"] == {
        "accepted_share": 0.0,
        "options_never_accepted": ["--alpha", "--number"],
        "warning": warning,
    }


def test_option_the_reference_always_rejects_is_listed(spec: TaskSpec) -> None:
    result = campaign(spec, fails_with_alpha, budget=600)
    assert result.options_never_accepted == ("--alpha",)
    share = result.accepted_share
    assert share is not None and share >= LOW_ACCEPTED_SHARE  # only the option warns
    warning = trust_warning(result)
    assert warning is not None
    assert "options never in a case the reference accepted: --alpha;" in warning
    assert "accepted (exit 0) only" not in warning
    assert f"warning: {warning}" in text_report(result, "prog", "fuzzdiff ...")
    assert json_report(result, ["ref"], ["cand"])["trust"]["options_never_accepted"] == ["--alpha"]


def test_healthy_reference_gives_no_warning(spec: TaskSpec) -> None:
    result = campaign(spec, echo_program)
    share = result.accepted_share
    assert share is not None and share >= LOW_ACCEPTED_SHARE
    assert result.accepted == round(share * result.cases) and result.cases == 300
    assert result.options_never_accepted == () and result.values_never_accepted == ()
    assert trust_warning(result) is None
    text = text_report(result, "prog", "fuzzdiff ...")
    assert f"trust: the reference accepted {result.accepted} of 300 cases" in text
    assert "warning" not in text
    assert json_report(result, ["ref"], ["cand"])["trust"]["warning"] is None


def test_accepted_counts_exactly_the_cases_the_reference_accepted(spec: TaskSpec) -> None:
    judged: list[Case] = []

    def counting(case: Case) -> Outcome:
        judged.append(case)
        return echo_program(case)

    result = campaign(spec, counting, budget=200)
    # the reference runs once per judged case (the runner caches pairs): count them here
    ran = {c.key(): c for c in judged}
    assert len(ran) == result.cases
    assert result.accepted == sum(echo_program(c).exit_code == 0 for c in ran.values())


def choice_spec() -> TaskSpec:
    task = {
        **SIMPLE_TASK,
        "options": [
            {"short": "f", "long": "format", "value": {"kind": "choice", "values": ["hex", "oct", "hex", "bad"]}},
            {"short": "k", "value": {"kind": "choice", "values": ["one", "two"]}},
            {"short": "a", "long": "alpha"},
            {"long": "hidden", "weight": 0},
        ],
    }
    return parse_task(task, "<test>")


def test_enumerated_values_are_read_in_every_spelling() -> None:
    acceptance = Acceptance(choice_spec())
    assert acceptance.options_never_accepted() == ("--format", "-k", "--alpha")  # weight 0 left out
    assert acceptance.values_never_accepted() == ()  # options never accepted stand for their values
    assert acceptance.accept([b"--form=hex", b"-a"]) == ("--alpha", "--format")  # a unique prefix
    assert acceptance.values_never_accepted() == ("--format=oct", "--format=bad")
    acceptance.accept([b"-fbad"])
    acceptance.accept([b"--format", b"zzz", b"-k", b"one"])
    assert acceptance.values_never_accepted() == ("--format=oct", "-k two")
    acceptance.accept([b"--", b"--format=oct", b"-ktwo"])  # operands after --
    assert acceptance.values_never_accepted() == ("--format=oct", "-k two")
    acceptance.accept([b"-akoct"])  # -a, then -k with "oct" attached (not a value of -k)
    assert acceptance.values_never_accepted() == ("--format=oct", "-k two")
    acceptance.accept([b"-ak", b"two", b"--format", b"oct"])
    assert acceptance.values_never_accepted() == ()
    assert acceptance.options_never_accepted() == ()
    assert acceptance.accepted == 6


def test_values_never_accepted_are_reported_without_a_warning() -> None:
    def rejects_bad(case: Case) -> Outcome:
        if any(t.endswith(b"bad") for t in case.argv):
            return exited(1, stderr=b"prog: invalid argument 'bad'\n")
        return echo_program(case)

    result = campaign(choice_spec(), rejects_bad, budget=400)
    assert result.options_never_accepted == ()
    assert result.values_never_accepted == ("--format=bad",)
    assert trust_warning(result) is None
    assert "never in an accepted case: --format=bad" in text_report(result, "prog", "fuzzdiff ...")
    assert json_report(result, ["ref"], ["cand"])["trust"]["options_never_accepted"] == ["--format=bad"]


def test_the_trust_line_names_a_dozen_and_counts_the_rest() -> None:
    values = tuple(f"--define={i}" for i in range(30))
    result = CampaignResult("m4", 0, 100, 0.0, 100, 0, accepted=70, values_never_accepted=values)
    line = text_report(result, "m4", "fuzzdiff ...")
    assert "--define=11, " not in line and "--define=11 and 18 more (the JSON report" in line
    assert "--define=12" not in line
    assert json_report(result, ["m4"], ["m4"])["trust"]["options_never_accepted"] == list(values)  # all of them


def test_a_result_without_acceptance_counted_has_no_trust_summary() -> None:
    # what `fuzzdiff minimize` builds: one stored case, nothing generated
    result = CampaignResult("echo", 0, 1, 0.0, 1, 0)
    assert result.accepted_share is None and trust_warning(result) is None
    assert "trust" not in text_report(result, "prog", "fuzzdiff ...")
    assert json_report(result, ["ref"], ["cand"])["trust"] is None


def test_a_divergent_verdict_carries_no_warning_about_what_equivalent_means(spec: TaskSpec) -> None:
    """A stranger read 'so "equivalent" says little' under a DIVERGENT verdict."""

    def rejects_and_differs(case: Case) -> Outcome:
        return exited(1, stderr=b"prog: no\n")

    result = campaign(spec, always_fails, candidate=rejects_and_differs)
    assert result.findings and result.accepted == 0
    assert trust_warning(result) is None
    assert "says little" not in text_report(result, "prog", "fuzzdiff ...")


def test_a_candidate_that_is_not_found_in_every_divergence_gets_a_hint(spec: TaskSpec) -> None:
    """`--candidate "busybox comm"` (busybox has no comm) was reported as three bugs
    and nothing else: every case was the applet's "not found", exit 127."""

    def not_found(case: Case) -> Outcome:
        return exited(127, stderr=b"comm: applet not found\n")

    result = campaign(spec, echo_program, candidate=not_found)
    hint = not_found_warning(result)
    assert hint is not None and "(comm: applet not found)" in hint and "check the candidate command" in hint
    assert f"warning: {hint}" in text_report(result, "prog", "fuzzdiff ...")
    assert hint in json_report(result, ["ref"], ["cand"])["warnings"]
    wrong = campaign(spec, echo_program, candidate=lambda case: exited(3, stderr=b"bad\n"))
    assert wrong.findings and not_found_warning(wrong) is None
