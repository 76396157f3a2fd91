"""What a campaign's result means for the person acting on it.

Trust: "equivalent" is only as strong as the cases behind it. When the
reference rejected nearly every case, the campaign compared error messages; when
an option never appeared in a case the reference accepted, the candidate was
never compared on what that option does. ``Acceptance`` counts, per judged case,
whether the reference accepted it (exit status 0) and which options and
enumerated option values such cases used; ``trust_warning`` says what that
means.

Grouping: several fingerprints often share one root cause (an option the
candidate reads differently fails on stdout in one case and on the exit status
in another). ``group_findings`` puts findings under the option their minimal
case names first (by its canonical name: ``--dec`` is ``--decode``), else under
the class of the reference's first stderr line, else under "other". It is a
guess for presentation only; every finding is kept and reported as found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fuzzdiff.core.model import CampaignResult, Finding
from fuzzdiff.core.mutate import OptionReader
from fuzzdiff.core.spec import TaskSpec

#: Below this share of cases the reference accepted, a campaign mostly compared
#: how both sides reject input. Shipped tasks aim many cases at error paths on
#: purpose and still see a fifth or more accepted, so a tenth warns only when
#: something is off (a reference that fails on every run, a broken task).
LOW_ACCEPTED_SHARE = 0.1

#: Cause of findings whose minimal case names no option and whose reference
#: wrote nothing on stderr.
OTHER = "other"

_QUOTED = re.compile(rb"'[^']*'|\"[^\"]*\"")
_DIGITS = re.compile(rb"[0-9]+")


def stderr_class(stderr: bytes) -> bytes:
    """The first stderr line with quoted names and numbers masked, at most 80 bytes:
    "invalid option" and "No such file" are different classes, two file names are not."""
    first = stderr.split(b"\n", 1)[0][:200]
    return _DIGITS.sub(b"N", _QUOTED.sub(b"'*'", first))[:80]


class Acceptance:
    """Counts judged cases the reference accepted, and remembers which of the
    task's options (and enumerated values of them) no accepted case has used yet.

    Options of weight 0 are left out: the task keeps them out of every case on
    purpose. Once every option and value has been seen, an accepted case costs
    one argv reading, which the engine needs anyway (option combinations).
    """

    def __init__(self, spec: TaskSpec) -> None:
        self.reader = OptionReader(spec)
        self.accepted = 0
        generated = [o for o in spec.options if o.weight > 0]
        self.labels = tuple(o.label() for o in generated)
        self.unseen: set[str] = set(self.labels)
        # label -> its enumerated values (spec order, each once) and those not seen yet
        self.values: dict[str, tuple[bytes, ...]] = {
            o.label(): tuple(dict.fromkeys(v.encode("utf-8", "surrogateescape") for v in o.value.values))
            for o in generated
            if o.value is not None and o.value.kind == "choice"
        }
        self.unseen_values: set[tuple[str, bytes]] = {(label, v) for label, vs in self.values.items() for v in vs}

    def accept(self, argv: Sequence[bytes]) -> tuple[str, ...]:
        """Count a case the reference accepted; the labels of the options its argv
        names, sorted (``OptionReader.names``)."""
        self.accepted += 1
        readings = self.reader.readings(argv)
        names = tuple(sorted({opt.label() for opt, _, _, _ in readings}))
        if self.unseen:
            self.unseen.difference_update(names)
        if self.unseen_values:
            self.unseen_values.difference_update((opt.label(), value) for opt, _, _, value in readings)
        return names

    def options_never_accepted(self) -> tuple[str, ...]:
        """Labels of options no accepted case used, in the task's order."""
        return tuple(label for label in self.labels if label in self.unseen)

    def values_never_accepted(self) -> tuple[str, ...]:
        """Enumerated values no accepted case gave their option, as ``--format=hex``
        (``-f hex`` for an option without a long name), in the task's order; the
        values of an option never accepted at all are left out (the option says it)."""
        return tuple(
            f"{label}{'=' if label.startswith('--') else ' '}{_printable(value)}"
            for label, values in self.values.items()
            if label not in self.unseen
            for value in values
            if (label, value) in self.unseen_values
        )


def trust_warning(result: CampaignResult) -> str | None:
    """What a low accepted share, or options never accepted, mean for an
    "equivalent" verdict; None when neither applies, acceptance was not counted,
    or the verdict is not "equivalent" (a divergence found stands either way)."""
    if result.findings:
        return None
    share = result.accepted_share
    parts: list[str] = []
    if share is not None and share < LOW_ACCEPTED_SHARE:
        parts.append(
            f"the reference accepted (exit 0) only {result.accepted} of {result.cases} cases ({share:.0%}), "
            'so "equivalent" says little beyond how both reject input; check the task\'s options and '
            "inputs against the reference"
        )
    if share is not None and result.options_never_accepted:
        parts.append(
            f"options never in a case the reference accepted: {', '.join(result.options_never_accepted)}; "
            '"equivalent" means little for those (what they do was never compared)'
        )
    return "; ".join(parts) or None


#: The exit status of a command the shell (or a multi-call binary) could not find.
NOT_FOUND = 127


def not_found_warning(result: CampaignResult) -> str | None:
    """A hint that the candidate's command itself is wrong: every divergence found
    has the candidate exiting 127 (what a shell or a multi-call binary answers for
    a command or applet it does not have: `busybox comm`) where the reference did
    not. The verdict stands; the likely fix is the command, not the program."""
    if not result.findings:
        return None
    if any(
        f.divergence.candidate.exit_code != NOT_FOUND or f.divergence.reference.exit_code == NOT_FOUND
        for f in result.findings
    ):
        return None
    said = result.findings[0].divergence.candidate.stderr.strip().splitlines()
    what = f" ({_printable(said[0][:120])})" if said else ""
    return (
        f"the candidate exited {NOT_FOUND} in every divergence found{what}, as a shell or a multi-call binary "
        "does for a command it does not have: check the candidate command (an applet name, an interpreter)"
    )


def root_cause(finding: Finding, reader: OptionReader | None) -> str:
    """The likely root cause of a finding: ``option --decode`` (the first option its
    minimal case names, by canonical name; without a reader, as spelled), else
    ``reference stderr: <class of its first line>``, else ``other``."""
    div = finding.divergence
    option = _first_option(div.case.argv, reader)
    if option is not None:
        return f"option {option}"
    cls = stderr_class(div.reference.stderr).strip()
    if cls:
        return f"reference stderr: {_printable(cls)}"
    return OTHER


def group_findings(findings: Sequence[Finding], reader: OptionReader | None) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Findings' indexes grouped by ``root_cause``, groups in the order of their first finding."""
    groups: dict[str, list[int]] = {}
    for index, finding in enumerate(findings):
        groups.setdefault(root_cause(finding, reader), []).append(index)
    return tuple((cause, tuple(indexes)) for cause, indexes in groups.items())


def _first_option(argv: Sequence[bytes], reader: OptionReader | None) -> str | None:
    if reader is not None:
        readings = reader.readings(argv)
        return readings[0][0].label() if readings else None
    # No task at hand: the first word spelled as an option, as spelled.
    for tok in argv:
        if tok == b"--":
            return None
        if tok.startswith(b"--"):
            return _printable(tok.partition(b"=")[0])
        if tok.startswith(b"-") and len(tok) > 1:
            return _printable(tok[:2])
    return None


def _printable(data: bytes) -> str:
    """Bytes as one printable line: invalid UTF-8 and control characters escaped."""
    text = data.decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
