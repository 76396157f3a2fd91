"""Reports of a campaign: one text for a person, one JSON object for programs.

Both are built from the same ``CampaignResult`` and hold no logic of their own.
Bytes that are not printable text are shown escaped (``\\xff``, ``\\x00``), so a
report is always safe to print on a terminal.
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Sequence
from typing import Any

from fuzzdiff.core.codec import encode_case, encode_divergence
from fuzzdiff.core.model import (
    LAUNCH_FORKED,
    LAUNCH_FRESH,
    NO_ANSWER,
    CampaignResult,
    Case,
    Divergence,
    Finding,
    Outcome,
    Verdict,
    Via,
)
from fuzzdiff.core.triage import group_findings, not_found_warning, trust_warning

#: The JSON contract's version; bump it when a field changes meaning or goes away.
JSON_VERSION = 1
#: Diff lines shown per channel before the report says how many more there are.
MAX_DIFF_LINES = 40
#: Bytes of a file or stream shown inline before the report abbreviates it.
MAX_INLINE = 400


def escape(data: bytes) -> str:
    """Bytes as a printable one-line-per-line string: \\n kept, the rest escaped."""
    out: list[str] = []
    text = data.decode("utf-8", "surrogateescape")
    for ch in text:
        code = ord(ch)
        if ch == "\n" or ch == "\t" or (ch.isprintable() and not 0xDC80 <= code <= 0xDCFF):
            out.append(ch if ch != "\\" else "\\\\")
        elif 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out)


def inline(data: bytes, limit: int = MAX_INLINE) -> str:
    """A short quoted rendering for argv tokens, file names and small contents."""
    shown = escape(data[:limit]).replace("\n", "\\n").replace("\t", "\\t")
    more = f" … ({len(data)} bytes)" if len(data) > limit else ""
    return f'"{shown}"{more}'


def shell_argv(program: str, argv: Sequence[bytes]) -> str:
    """A command line a person can paste into bash: ``$'...'`` for bytes that are not printable."""
    parts = [program]
    for a in argv:
        try:
            text: str | None = a.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and all(ch.isprintable() for ch in text):
            parts.append(shlex.quote(text))
        else:
            parts.append(
                "$'" + "".join(f"\\x{b:02x}" if not 0x20 <= b < 0x7F or b in b"'\\" else chr(b) for b in a) + "'"
            )
    return " ".join(parts)


def _cut(line: str, start: int = 1) -> str:
    """A diff line (its first character the marker) longer than ``MAX_INLINE``
    characters, cut, saying by how much (a candidate's 1 MiB line made a 1 MiB
    report line); its text shown from ``start``, so that two long lines that
    differ past the cut show where."""
    mark, text = line[:1], line[1:]
    if len(text) <= MAX_INLINE and start <= 1:
        return line
    skipped = f"… ({start - 1} characters) " if start > 1 else ""
    shown = text[start - 1 : start - 1 + MAX_INLINE]
    more = len(text) - (start - 1) - len(shown)
    return f"{mark}{skipped}{shown}" + (f" … ({more} more characters)" if more else "")


def _differ_at(a: str, b: str) -> int:
    """Where two long lines start to differ, less some context: where to show them from."""
    common = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return max(1, common - 40) if common >= MAX_INLINE else 1


def diff_lines(reference: bytes, candidate: bytes, limit: int = MAX_DIFF_LINES) -> list[str]:
    ref = [escape(line) for line in reference.splitlines(keepends=True)]
    cand = [escape(line) for line in candidate.splitlines(keepends=True)]
    raw = list(difflib.unified_diff(ref, cand, "reference", "candidate", lineterm="", n=2))
    lines = []
    for i, line in enumerate(raw):
        if line.startswith(("---", "+++", "@@")) and not line.endswith("\n"):
            lines.append(line)
            continue
        start = 1
        pair = raw[i + 1] if line.startswith("-") and i + 1 < len(raw) else raw[i - 1] if i else ""
        if line[:1] in "-+" and pair[:1] in "-+" and pair[:1] != line[:1]:  # one line changed: show where
            start = _differ_at(line[1:], pair[1:])
        text = line[:-1] if line.endswith("\n") else line
        lines.append(_cut(text, start) + ("" if line.endswith("\n") else "  ⟵ no newline at end"))
    if len(lines) > limit:
        lines = [*lines[:limit], f"… {len(lines) - limit} more diff lines"]
    return lines


def describe_case(case: Case, name: str) -> list[str]:
    lines = [f"  command: {shell_argv(name, case.argv)}"]
    lines.append(f"  stdin:   {inline(case.stdin) if case.stdin else '(empty)'}")
    if case.files:
        lines.append("  files:")
        for fname, content in case.files:
            lines.append(f"    {inline(fname)}: {inline(content)}")
    for k, v in case.env:
        lines.append(f"  env:     {k}={v}")
    return lines


def _case_dirs(case: Case) -> set[bytes]:
    """The directories a case's files make: every parent of every file's name."""
    dirs: set[bytes] = set()
    for name, _ in case.files:
        parts = name.split(b"/")[:-1]
        dirs.update(b"/".join(parts[: i + 1]) for i in range(len(parts)))
    return dirs


def _file_changes(outcome: Outcome, case: Case) -> dict[bytes, str]:
    before = dict(case.files)
    dirs = _case_dirs(case)
    after = dict(outcome.files)
    attrs = dict(outcome.attrs)
    changes: dict[bytes, str] = {}
    for n, c in after.items():
        if c is None:
            made = "" if n in dirs else "created directory"
            if n in attrs:
                changes[n] = f"{made or 'directory'}, {attrs[n]}"
            elif made:
                changes[n] = made
            continue
        if n not in before:
            changes[n] = f"created {inline(c, 80)}"
        elif before[n] != c:
            changes[n] = f"changed to {inline(c, 80)}"
        if n in attrs:
            changes[n] = f"{changes.get(n, 'content unchanged')}, {attrs[n]}"
    for n in [*before, *dirs]:
        if n not in after:
            changes[n] = "deleted"
    return changes


def describe_divergence(div: Divergence) -> list[str]:
    lines: list[str] = []
    for channel in div.channels:
        if channel == "exit":
            lines.append(
                f"exit differs: reference {div.reference.exit_class()}, candidate {div.candidate.exit_class()}"
            )
        elif channel in ("stdout", "stderr"):
            ref = getattr(div.reference, channel)
            cand = getattr(div.candidate, channel)
            lines.append(f"{channel} differs ({len(ref)} vs {len(cand)} bytes):")
            lines.extend("  " + d for d in diff_lines(ref, cand))
        elif channel == "files":
            lines.append("files differ:")
            ref = _file_changes(div.reference, div.case)
            cand = _file_changes(div.candidate, div.case)
            given = {*dict(div.case.files), *_case_dirs(div.case)}
            for n in sorted(set(ref) | set(cand)):
                if ref.get(n) != cand.get(n):
                    # a file the case gave, left alone; or one this side never made
                    same = "unchanged" if n in given else "made no such file"
                    lines.append(f"  {inline(n)}: reference {ref.get(n, same)}; candidate {cand.get(n, same)}")
    return lines


def _reproduce_lines(reproduce: str, artifacts: Sequence[str]) -> list[str]:
    lines = ["", "Reproduce with:", f"  {reproduce}"]
    lines.extend(f"  sh {shlex.quote(a)}" for a in artifacts if a.endswith(".sh"))
    return lines


def text_report(result: CampaignResult, name: str, reproduce: str, artifacts: Sequence[str] = ()) -> str:
    head = f"fuzzdiff {result.task}: "
    if result.verdict == Verdict.INCONCLUSIVE:
        lines = [head + f"INCONCLUSIVE: {unstable_summary(result, name)} (seed {result.seed}, {result.seconds:.1f} s)"]
        if result.doubtful:
            lines.append(
                f"{len(result.doubtful)} divergence(s) not blamed: they did not reproduce on every re-run,"
                " and the reference wavers too"
            )
            for i, f in enumerate(result.doubtful, 1):
                lines.extend(_finding_lines(i, f, name))
            lines.extend(_reproduce_lines(reproduce, artifacts))
    elif not result.findings:
        lines = [
            head + f"no divergence in {result.cases} cases "
            f"(seed {result.seed}, {result.behaviours} distinct behaviours, {result.seconds:.1f} s)"
        ]
    else:
        verdict = "DIVERGENT" if result.verdict == Verdict.DIVERGENT else "EQUIVALENT (reference not deterministic)"
        lines = [
            head + f"{verdict}: {len(result.findings)} distinct divergence(s) in {result.cases} cases "
            f"(seed {result.seed}, {result.seconds:.1f} s)"
        ]
        lines.extend(group_lines(result))
        for i, f in enumerate(result.findings, 1):
            lines.extend(_finding_lines(i, f, name))
        lines.extend(_reproduce_lines(reproduce, artifacts))
    if result.unstable_cases and result.verdict != Verdict.INCONCLUSIVE:
        lines.append(f"note: set aside, {unstable_summary(result, name)}")
    trust = trust_line(result)
    if trust is not None:
        lines.append(trust)
    if (warning := trust_warning(result)) is not None:
        lines.append(f"warning: {warning}")
    if (hint := not_found_warning(result)) is not None:
        lines.append(f"warning: {hint}")
    for w in result.warnings:
        lines.append(f"warning: {w}")
    if result.isolation != "bubblewrap":
        lines.append(f"isolation: {result.isolation}")
    if result.launches:
        lines.append(launch_summary(result.launches))
    return "\n".join(lines)


def _why_aside(channels: tuple[str, ...]) -> str:
    if channels == ("timeout",):
        return " (the reference timed out)"
    if channels == ("crash",):
        return " (the reference faulted on memory)"
    if channels == ("limit",):
        return " (the reference passed a run limit: file size or CPU time)"
    return f" ({', '.join(channels) or 'outcome'} varied)"


def aside_reason(aside: int, unanswered: int, cases: int) -> str:
    """Why ``aside`` of ``cases`` judged cases were set aside, ``unanswered`` of them
    for giving no answer: told apart, since a reference that varies and one that
    times out or faults on a case call for different fixes."""
    wavered = aside - unanswered
    varied = f"not deterministic on {wavered} of {cases} cases (its output changed when a case was run again)"
    silent = (
        f"no answer on {unanswered}{'' if wavered else f' of {cases}'} cases (it ran past the time limit, "
        "faulted on memory or passed a run limit)"
    )
    if wavered and unanswered:
        return f"the reference is {varied} and gave {silent}"
    return f"the reference is {varied}" if wavered else f"the reference gave {silent}"


def unstable_summary(result: CampaignResult, name: str) -> str:
    """How many judged cases were set aside because the reference was not
    deterministic on them or gave no answer there, with examples."""
    examples = "; ".join(
        f"{shell_argv(name, case.argv)}"
        + (f" with stdin {inline(case.stdin)}" if case.stdin else "")
        + _why_aside(channels)
        for case, channels in result.unstable_examples
    )
    of = f"{result.unstable_cases} of {result.cases} cases"
    no_answer = not result.wavered_cases and all(
        channels and set(channels) <= NO_ANSWER for _, channels in result.unstable_examples
    )
    text = (
        f"the reference gave no answer to judge by (a timeout, a memory fault or a run limit) on {of}"
        if no_answer
        else f"the reference is not deterministic on {of}"
    )
    return text + (f"; e.g. {examples}" if examples else "")


def finding_groups(result: CampaignResult) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """The result's findings by likely root cause (``CampaignResult.groups``); where
    those do not cover exactly its findings (a result built without them), grouped
    here by how options are spelled, without the task."""
    indexes = sorted(i for _, group in result.groups for i in group)
    if indexes == list(range(len(result.findings))) and result.findings:
        return result.groups
    return group_findings(result.findings, None)


def group_lines(result: CampaignResult) -> list[str]:
    """Each likely root cause with the fingerprints of its findings (numbered as
    in the report) under it."""
    found = finding_groups(result)
    lines = ["", f"Likely root causes: {len(found)} for {len(result.findings)} divergence(s)"]
    for cause, indexes in found:
        lines.append(f"  {cause}")
        lines.extend(f"    [{i + 1}] {result.findings[i].divergence.fingerprint}" for i in indexes)
    return lines


def trust_line(result: CampaignResult) -> str | None:
    """How many cases the reference accepted, and what no accepted case used; None
    when acceptance was not counted."""
    share = result.accepted_share
    if share is None:
        return None
    line = f"trust: the reference accepted {result.accepted} of {result.cases} cases ({share:.0%})"
    never = (*result.options_never_accepted, *result.values_never_accepted)
    if never:
        line += f"; never in an accepted case: {', '.join(never[:TRUST_SHOWN])}"
        if len(never) > TRUST_SHOWN:  # m4's built task named 115 option values at budget 100
            line += f" and {len(never) - TRUST_SHOWN} more (the JSON report's trust lists them all)"
    return line


#: Options and values the trust line names before it counts the rest.
TRUST_SHOWN = 12


def launch_summary(launches: Sequence[tuple[str, int]]) -> str:
    """How a Python candidate's runs started, in one line: ``python fork-server: 812
    runs; fresh interpreter: 12 (the case sets PYTHONPATH, ...)``, reasons by count."""
    counts = dict(launches)
    forked = counts.pop(LAUNCH_FORKED, 0)
    line = f"python fork-server: {forked} run{'' if forked == 1 else 's'}"
    fresh = sorted(
        ((label.removeprefix(LAUNCH_FRESH), n) for label, n in counts.items()), key=lambda item: (-item[1], item[0])
    )
    if fresh:
        total = sum(n for _, n in fresh)
        why = fresh[0][0] if len(fresh) == 1 else "; ".join(f"{reason}: {n}" for reason, n in fresh)
        line += f"; fresh interpreter: {total} ({why})"
    return line


def _finding_lines(i: int, f: Finding, name: str) -> list[str]:
    div = f.divergence
    lines = ["", f"[{i}] {div.fingerprint}"]
    if f.via == Via.INTERRUPTED:
        notes = ["AS FIRST SEEN: the run was interrupted before this was shrunk and re-run"]
    else:
        notes = [] if f.confirmed else ["FLAKY: did not reproduce on every re-run"]
    if f.unstable:
        notes.append(f"unstable: {', '.join(f.unstable)}")
    if "reference" in f.unstable:
        notes.append("the reference is not deterministic here, so this is not the candidate's fault")
    if notes:
        lines.append("  (" + "; ".join(notes) + ")")
    lines.append(
        f"Minimal input (case #{f.found_at} shrunk from {f.original.case.size()} to {div.case.size()} bytes"
        f" in {f.shrink_proposals} tries):"
    )
    lines.extend(describe_case(div.case, name))
    lines.extend(describe_divergence(div))
    return lines


def json_report(
    result: CampaignResult,
    reference: Sequence[str],
    candidate: Sequence[str],
    artifacts: Sequence[str] = (),
) -> dict[str, Any]:
    """The ``--json`` object; its fields are documented in docs/json.md and are a contract."""
    divergences = [_finding_json(f) for f in result.findings]
    return {
        "version": JSON_VERSION,
        "verdict": result.verdict,
        "task": result.task,
        "cases": result.cases,
        "seed": result.seed,
        "seconds": result.seconds,
        "executions": result.executions,
        "behaviours": result.behaviours,
        "isolation": result.isolation,
        "launches": dict(result.launches),
        "reference": list(reference),
        "candidate": list(candidate),
        "counterexample": next(
            (d for f, d in zip(result.findings, divergences, strict=True) if f in result.blamed), None
        ),
        "divergences": divergences,
        "artifacts": list(artifacts),
        "warnings": [*result.warnings, *filter(None, [not_found_warning(result)])],
        "trust": trust_json(result),
        "groups": [{"cause": cause, "findings": list(indexes)} for cause, indexes in finding_groups(result)],
        "unstable": {
            "cases": result.unstable_cases,
            "unanswered": result.unanswered_cases,
            "examples": [
                {**encode_case(case), "channels": list(channels)} for case, channels in result.unstable_examples
            ],
        },
    }


def trust_json(result: CampaignResult) -> dict[str, Any] | None:
    """The ``trust`` object of ``--json``; None when acceptance was not counted."""
    share = result.accepted_share
    if share is None:
        return None
    return {
        "accepted_share": round(share, 4),
        "options_never_accepted": [*result.options_never_accepted, *result.values_never_accepted],
        "warning": trust_warning(result),
    }


def _finding_json(f: Finding) -> dict[str, Any]:
    obj = encode_divergence(f.divergence)
    obj.update(
        {
            "found_at": f.found_at,
            "confirmed": f.confirmed,
            "unstable": list(f.unstable),
            "shrink_tries": f.shrink_proposals,
            "via": f.via,
            "original": encode_divergence(f.original),
        }
    )
    return obj
