"""Pages of a compatibility matrix (``fuzzdiff matrix``): Markdown and one
self-contained HTML page, both rendered from the matrix's JSON document alone.

The HTML page has its CSS inline and loads nothing: no script, no font, no
image. Its table colours each cell by verdict and links it to the cell's section
on the same page, which shows each minimal counterexample and the command that
replays it. The Markdown page links each cell to the cell's own ``README.md``
beside its repro scripts.
"""

from __future__ import annotations

import html
import re
from typing import Any

from fuzzdiff.core.model import Divergence
from fuzzdiff.core.report import inline, shell_argv

MATRIX_FORMAT = "fuzzdiff-matrix"
#: The JSON document's version; bump it when a field changes meaning or goes away.
MATRIX_VERSION = 1
#: The second view's name: only stdout and the exit status compared.
NARROW = "stdout+exit"
#: (key in ``counts``, view name) of both views, the full one first.
VIEWS = (("full", "full"), ("stdout_exit", NARROW))
#: Characters of a stream or file shown in a one-line summary.
SUMMARY_BYTES = 48

#: Each cell class: (colour, what it means), in the legend's order.
CLASSES = {
    "equivalent": ("#c8e6c9", "equivalent: no divergence within the budget"),
    "stderr-only": ("#fff3b0", "diverges, but only on stderr or files: stdout and exit status agree"),
    "divergent": ("#ffcdd2", "diverges on stdout or the exit status"),
    "inconclusive": ("#d6e4f0", "inconclusive: the reference was not deterministic on too many cases"),
    "not-provided": ("#eeeeee", "not provided: the implementation has no such program"),
    "error": ("#e1bee7", "error: the cell could not run (the reason is in its section)"),
}


def divergence_summary(div: Divergence, name: str) -> str:
    """One line: the minimal case, then how each differing channel differs."""
    case = div.case
    command = shell_argv(name, case.argv)
    head = f"`` {command} ``" if "`" in command else f"`{command}`"
    if case.stdin:
        head += f" < {inline(case.stdin, SUMMARY_BYTES)}"
    for fname, content in case.files:
        head += f", file {inline(fname, 24)} = {inline(content, SUMMARY_BYTES)}"
    parts = []
    for channel in div.channels:
        if channel == "exit":
            ref_exit, got_exit = (o.exit_class().removeprefix("exit:") for o in (div.reference, div.candidate))
            parts.append(f"exit {ref_exit} vs {got_exit}")
        elif channel in ("stdout", "stderr"):
            ref = getattr(div.reference, channel)
            got = getattr(div.candidate, channel)
            parts.append(f"{channel} {inline(ref, SUMMARY_BYTES)} vs {inline(got, SUMMARY_BYTES)}")
        else:
            parts.append(f"{channel} differ")
    return f"{head}: {'; '.join(parts)}"


def cell_class(cell: dict[str, Any]) -> str:
    """The cell's class in ``CLASSES``."""
    status = cell["status"]
    if status == "divergent":
        return "divergent" if cell["views"][NARROW]["divergences"] else "stderr-only"
    return str(status)


def _count(view: dict[str, Any]) -> str:
    n = len(view["divergences"])
    return f"{n}+" if view["limit_reached"] else str(n)


def cell_text(cell: dict[str, Any]) -> str:
    """What the table shows: ``3 / 1`` (distinct divergences, full view / stdout+exit),
    ``equivalent``, ``not provided``, ``error``."""
    status = cell["status"]
    if status == "not-provided":
        return "not provided"
    if status == "error":
        return "error"
    full, narrow = cell["views"]["full"], cell["views"][NARROW]
    if status == "equivalent" and not narrow["divergences"]:
        return "equivalent"
    counts = f"{_count(full)} / {_count(narrow)}"
    return f"inconclusive ({counts})" if status == "inconclusive" else counts


def anchor(task: str, impl: str) -> str:
    return "c-" + re.sub(r"[^A-Za-z0-9_.-]", "_", f"{task}--{impl}")


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _setting_line(doc: dict[str, Any]) -> str:
    return (
        f"fuzzdiff {doc['fuzzdiff']}; each campaign: budget {doc['budget']} cases, seed {doc['seed']}, "
        f"at most {doc['findings']} distinct divergences, shrink budget {doc['shrink_budget']}; "
        f"{doc['seconds']:g} s in all."
    )


LEGEND_TEXT = (
    "A cell `A / B` counts distinct divergences (by fingerprint: differing channels and both exit classes), "
    "A over every channel the task compares, B over stdout and the exit status only; `+` means the campaign "
    "stopped at the limit, so there may be more."
)


def markdown_page(doc: dict[str, Any]) -> str:
    """``matrix.md``: the table (each cell linking to its ``README.md``), counts, legend."""
    impls = [i["name"] for i in doc["implementations"]]
    by_key = {(c["task"], c["implementation"]): c for c in doc["cells"]}
    lines = ["# Compatibility matrix", "", _setting_line(doc), ""]
    lines.append("| task (program) | " + " | ".join(impls) + " |")
    lines.append("|---" * (len(impls) + 1) + "|")
    for row in doc["tasks"]:
        label = row["task"] if row["program"] in ("", row["task"]) else f"{row['task']} (`{row['program']}`)"
        shown = []
        for impl in impls:
            cell = by_key[(row["task"], impl)]
            text = cell_text(cell)
            if "views" in cell:
                text = f"[{text}](cells/{cell['task']}/{impl}/README.md)"
            elif cell["status"] == "not-provided":
                text = "—"
            else:
                text = f"error: {cell['reason']}"
            shown.append(_md(text))
        lines.append(f"| {_md(label)} | " + " | ".join(shown) + " |")
    lines += ["", "## Counts", ""]
    lines += _counts_table(doc)
    lines += ["", "## Legend", "", LEGEND_TEXT, "`—`: the implementation does not provide the program.", ""]
    lines.append(
        "Each cell links to its page: every minimal counterexample in one line, with its `case-N.json` and "
        "`repro-N.sh`; `sh repro-N.sh` runs both programs on the case and prints what differs "
        "(exit status 1 while they differ)."
    )
    lines.append("")
    return "\n".join(lines)


def _counts_table(doc: dict[str, Any]) -> list[str]:
    head = (
        "| implementation | template | provided | equivalent | divergent | same stdout+exit | "
        "divergences (full) | divergences (stdout+exit) | not provided | errors |"
    )
    lines = [head, "|---" * 10 + "|"]
    for impl in doc["implementations"]:
        c = doc["counts"][impl["name"]]
        lines.append(
            f"| {impl['name']} | `{_md(impl['template'])}` | {c['provided']} | {c['equivalent']} | {c['divergent']} "
            f"| {c['equivalent_stdout_exit']} | {c['divergences_full']} | {c['divergences_stdout_exit']} "
            f"| {c['not_provided']} | {c['errors']} |"
        )
    return lines


def cell_page(cell: dict[str, Any], folder: str) -> str:
    """A cell's ``README.md``: both views' counterexamples, each with its repro command."""
    lines = [f"# {cell['task']} × {cell['implementation']}", "", f"Candidate: `{cell['command']}`", ""]
    for _, view_name in VIEWS:
        view = cell["views"][view_name]
        sub = "" if view_name == "full" else "stdout-exit/"
        title = "every channel" if view_name == "full" else "stdout and exit status only"
        lines.append(f"## {title}: {view['verdict']}, {len(view['divergences'])} distinct divergence(s)")
        lines.append(f"({view['cases']} cases, {view['seconds']:g} s)")
        lines.append("")
        for i, div in enumerate(view["divergences"], 1):
            replays = {True: " (replays)", False: " (DOES NOT REPLAY)"}.get(div.get("replays"), "")
            lines.append(f"{i}. {div['summary']}")
            lines.append(
                f"   [{sub}repro-{i}.sh]({sub}repro-{i}.sh), [{sub}case-{i}.json]({sub}case-{i}.json){replays}"
            )
            lines.append(f"   `sh {folder}/{sub}repro-{i}.sh`")
        lines.append("")
    for warning in cell.get("warnings", []):
        lines.append(f"warning: {warning}")
    return "\n".join(lines) + "\n"


_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #999; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
td.cell { text-align: center; min-width: 7em; }
td.cell a { color: inherit; display: block; }
pre { background: #f6f6f6; padding: 0.5em; overflow-x: auto; font-size: 90%; }
code { font-size: 95%; }
section.cell { border-top: 2px solid #bbb; margin-top: 2em; }
.bad { color: #b00020; font-weight: bold; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def html_page(doc: dict[str, Any]) -> str:
    """``matrix.html``: self-contained; the table, counts, legend, then one section per cell."""
    impls = [i["name"] for i in doc["implementations"]]
    by_key = {(c["task"], c["implementation"]): c for c in doc["cells"]}
    css = _CSS + "".join(f"td.{name} {{ background: {colour}; }}\n" for name, (colour, _) in CLASSES.items())
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>fuzzdiff compatibility matrix</title>",
        f"<style>{css}</style></head><body>",
        "<h1>Compatibility matrix</h1>",
        f"<p>{_e(_setting_line(doc))}</p>",
        '<table id="matrix"><thead><tr><th>task (program)</th>',
        *(f'<th scope="col" data-impl="{_e(i)}">{_e(i)}</th>' for i in impls),
        "</tr></thead><tbody>",
    ]
    for row in doc["tasks"]:
        out.append(f'<tr data-task="{_e(row["task"])}"><th scope="row">{_e(row["task"])}')
        if row["program"] not in ("", row["task"]):
            out.append(f" <code>{_e(row['program'])}</code>")
        out.append("</th>")
        for impl in impls:
            cell = by_key[(row["task"], impl)]
            klass = cell_class(cell)
            reason = f' title="{_e(cell["reason"])}"' if "reason" in cell else ""
            out.append(
                f'<td class="cell {klass}" data-impl="{_e(impl)}" data-status="{_e(cell["status"])}"{reason}>'
                f'<a href="#{anchor(row["task"], impl)}">{_e(cell_text(cell))}</a></td>'
            )
        out.append("</tr>")
    out.append("</tbody></table>")
    out.append("<h2>Counts</h2>")
    out.append(_counts_html(doc))
    out.append("<h2>Legend</h2><table>")
    for name, (_, meaning) in CLASSES.items():
        out.append(f'<tr><td class="cell {name}">{_e(name)}</td><td>{_e(meaning)}</td></tr>')
    out.append(f"</table><p>{_e(LEGEND_TEXT.replace('`', ''))}</p>")
    out.append("<h2>Cells</h2>")
    for row in doc["tasks"]:
        for impl in impls:
            out += _cell_html(by_key[(row["task"], impl)], row)
    out.append("</body></html>\n")
    return "\n".join(out)


def _counts_html(doc: dict[str, Any]) -> str:
    rows = _counts_table(doc)
    head = [c.strip() for c in rows[0].strip("|").split("|")]
    out = ["<table><thead><tr>", *(f"<th>{_e(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for line in rows[2:]:
        cols = [c.strip().strip("`") for c in line.strip("|").split(" | ")]
        out.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cols) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _cell_html(cell: dict[str, Any], row: dict[str, Any]) -> list[str]:
    task, impl = cell["task"], cell["implementation"]
    out = [
        f'<section class="cell" id="{anchor(task, impl)}">',
        f"<h3>{_e(task)} × {_e(impl)}: {_e(cell_text(cell))}</h3>",
    ]
    if "views" not in cell:
        out.append(f"<p>{_e(cell['status'].replace('-', ' '))}: {_e(cell.get('reason', ''))}</p>")
        if row.get("note"):
            out.append(f"<p>{_e(row['note'])}</p>")
        out.append("</section>")
        return out
    out.append(f"<p>candidate <code>{_e(cell['command'])}</code></p>")
    for _, view_name in VIEWS:
        view = cell["views"][view_name]
        sub = "" if view_name == "full" else "stdout-exit/"
        title = "every channel" if view_name == "full" else "stdout and exit status only"
        out.append(
            f"<h4>{_e(title)}: {_e(view['verdict'])}, {len(view['divergences'])} distinct divergence(s) "
            f"in {view['cases']} cases</h4>"
        )
        if view["divergences"]:
            out.append("<ol>")
        for i, div in enumerate(view["divergences"], 1):
            script = f"cells/{task}/{impl}/{sub}repro-{i}.sh"
            case_file = f"cells/{task}/{impl}/{sub}case-{i}.json"
            replays = div.get("replays")
            note = (
                "" if replays is None else (" (replays)" if replays else ' <span class="bad">(does not replay)</span>')
            )
            out.append(f'<li id="{anchor(task, impl)}-{view_name.replace("+", "-")}-{i}">')
            out.append(f"<p><code>{_e(div['fingerprint'])}</code>: {_e(div['summary'])}</p>")
            out.append(f"<pre>{_e(chr(10).join(div['details']))}</pre>")
            out.append(
                f'<p>replay: <code>sh {_e(script)}</code>{note} · <a href="{_e(script)}">repro-{i}.sh</a> · '
                f'<a href="{_e(case_file)}">case-{i}.json</a></p></li>'
            )
        if view["divergences"]:
            out.append("</ol>")
    for warning in cell.get("warnings", []):
        out.append(f"<p>warning: {_e(warning)}</p>")
    out.append("</section>")
    return out
