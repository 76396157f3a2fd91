"""Findings grouped by likely root cause: the option their minimal case names
first, else the reference's stderr class, else "other"; presentation only."""

from __future__ import annotations

from dataclasses import replace

from fuzzdiff.core.model import CampaignResult, Case, Divergence, Finding, Fingerprint, Outcome
from fuzzdiff.core.mutate import OptionReader
from fuzzdiff.core.report import json_report, text_report
from fuzzdiff.core.spec import TaskSpec, parse_task
from fuzzdiff.core.triage import group_findings, root_cause

from .helpers import SIMPLE_TASK, echo_program, exited, fake_campaign

DECODE_TASK = {
    **SIMPLE_TASK,
    "options": [
        {"short": "a", "long": "alpha"},
        {"short": "d", "long": "decode"},
        {"short": "n", "long": "number", "value": {"kind": "int", "min": 0, "max": 50}},
    ],
}


def decode_spec() -> TaskSpec:
    return parse_task(DECODE_TASK, "<test>")


def finding(argv: tuple[bytes, ...], ref: Outcome, cand: Outcome) -> Finding:
    channels = tuple(
        ch
        for ch, differs in (
            ("exit", ref.exit_class() != cand.exit_class()),
            ("stdout", ref.stdout != cand.stdout),
            ("stderr", ref.stderr != cand.stderr),
        )
        if differs
    )
    div = Divergence(Case(argv=argv), ref, cand, channels, Fingerprint(channels, ref.exit_class(), cand.exit_class()))
    return Finding(div, div, 0)


FINDINGS = (
    finding((b"--dec",), exited(0, b"x"), exited(1, stderr=b"bad option\n")),  # a prefix of --decode
    finding((b"-n", b"3"), exited(0, b"3"), exited(0, b"4")),
    finding((b"file", b"-d"), exited(0, b"y"), exited(0, b"z")),  # -d is --decode too
    finding((b"missing",), exited(1, stderr=b"prog: 'missing': No such file\n"), exited(1, stderr=b"oops\n")),
    finding((b"--", b"-d"), exited(1, stderr=b"prog: '-d': No such file\n"), exited(0)),  # -d is an operand here
    finding((), exited(0, b"a"), exited(0, b"b")),
    finding((b"--decode=1", b"-a"), exited(0, b"p"), exited(2, b"p")),
)
CAUSES = (
    ("option --decode", (0, 2, 6)),
    ("option --number", (1,)),
    ("reference stderr: prog: '*': No such file", (3, 4)),
    ("other", (5,)),
)


def test_findings_group_by_canonical_option_then_stderr_class() -> None:
    reader = OptionReader(decode_spec())
    assert root_cause(FINDINGS[0], reader) == "option --decode"
    assert group_findings(FINDINGS, reader) == CAUSES


def test_without_the_task_options_are_grouped_as_spelled() -> None:
    assert group_findings(FINDINGS, None) == (
        ("option --dec", (0,)),
        ("option -n", (1,)),
        ("option -d", (2,)),
        ("reference stderr: prog: '*': No such file", (3, 4)),
        ("other", (5,)),
        ("option --decode", (6,)),
    )


def test_unprintable_stderr_is_escaped_in_the_cause() -> None:
    f = finding((), exited(1, stderr=b"\x1b[31m\xff fail\n"), exited(0))
    assert root_cause(f, None) == "reference stderr: \\x1b[Nm\\xff fail"


def result_with(findings: tuple[Finding, ...], groups: tuple[tuple[str, tuple[int, ...]], ...]) -> CampaignResult:
    return CampaignResult("echo", 1, 100, 0.5, 10, 200, findings, groups=groups)


def test_reports_list_each_cause_with_its_fingerprints() -> None:
    result = result_with(FINDINGS, CAUSES)
    lines = text_report(result, "prog", "fuzzdiff ...").splitlines()
    start = lines.index("Likely root causes: 4 for 7 divergence(s)")
    assert lines[start + 1 : start + 13] == [
        "  option --decode",
        f"    [1] {FINDINGS[0].divergence.fingerprint}",
        f"    [3] {FINDINGS[2].divergence.fingerprint}",
        f"    [7] {FINDINGS[6].divergence.fingerprint}",
        "  option --number",
        f"    [2] {FINDINGS[1].divergence.fingerprint}",
        "  reference stderr: prog: '*': No such file",
        f"    [4] {FINDINGS[3].divergence.fingerprint}",
        f"    [5] {FINDINGS[4].divergence.fingerprint}",
        "  other",
        f"    [6] {FINDINGS[5].divergence.fingerprint}",
        "",
    ]
    assert [line for line in lines if line.startswith("[")] == [
        f"[{i}] {f.divergence.fingerprint}" for i, f in enumerate(FINDINGS, 1)
    ]  # every finding is still reported in full, in the order found
    obj = json_report(result, ["ref"], ["cand"])
    assert obj["groups"] == [{"cause": cause, "findings": list(indexes)} for cause, indexes in CAUSES]
    assert len(obj["divergences"]) == len(FINDINGS)


def test_groups_that_do_not_cover_the_findings_are_regrouped() -> None:
    # a result whose findings were replaced after grouping, or built without groups
    stale = replace(result_with(FINDINGS, CAUSES), findings=FINDINGS[:2])
    assert json_report(stale, [], [])["groups"] == [
        {"cause": "option --dec", "findings": [0]},
        {"cause": "option -n", "findings": [1]},
    ]
    bare = result_with(FINDINGS[3:5], ())
    assert json_report(bare, [], [])["groups"] == [
        {"cause": "reference stderr: prog: '*': No such file", "findings": [0, 1]}
    ]
    assert json_report(result_with((), ()), [], [])["groups"] == []


def test_two_planted_bugs_behind_one_option_share_a_group() -> None:
    def candidate(case: Case) -> Outcome:
        out = echo_program(case)
        options = [t for t in case.argv if t.startswith(b"-") and len(t) > 1]
        decode = any(t.startswith(b"--d") or (not t.startswith(b"--") and b"d" in t) for t in options)
        if decode and case.stdin:
            return exited(out.exit_code or 0, out.stdout + b"!", out.stderr, out.files)  # stdout differs
        if decode:
            return exited(3, out.stdout, out.stderr, out.files)  # the exit status differs
        if not options and b"q" in case.stdin:
            return exited(out.exit_code or 0, out.stdout, out.stderr + b"q?\n", out.files)  # stderr differs
        return out

    spec = decode_spec()
    result, _ = fake_campaign(spec, echo_program, candidate, seed=2, budget=3000, max_divergences=3)
    channels = {f.divergence.fingerprint.channels for f in result.findings}
    assert channels == {("stdout",), ("exit",), ("stderr",)}
    by_channels = {f.divergence.fingerprint.channels: i for i, f in enumerate(result.findings)}
    decode_group = tuple(sorted((by_channels[("stdout",)], by_channels[("exit",)])))
    assert result.groups == tuple(
        sorted([("option --decode", decode_group), ("other", (by_channels[("stderr",)],))], key=lambda g: g[1][0])
    )
    text = text_report(result, "prog", "fuzzdiff ...")
    assert "Likely root causes: 2 for 3 divergence(s)\n  option --decode\n    [" in text
    assert {"cause": "option --decode", "findings": list(decode_group)} in json_report(result, [], [])["groups"]
