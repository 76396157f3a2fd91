"""Artefacts of a divergence on disk: a versioned case file and a POSIX sh reproduction.

``case.json`` holds the minimal case, both outcomes and how they were obtained
(task, seed, both command lines). ``repro.sh`` needs nothing but POSIX sh and
coreutils: it recreates the case's files in a temporary directory, runs both
programs there the way fuzzdiff did (same argv[0], same environment), prints the
channels that differ, and exits 1 while the divergence reproduces, 0 once it no
longer does. Declared regex normalisers are not replayed by the script.

Every file is written atomically (temporary file, then rename).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from fuzzdiff.core.codec import decode_case, decode_divergence, encode_divergence
from fuzzdiff.core.errors import CaseFileError
from fuzzdiff.core.model import Case, Divergence, Finding, Program
from fuzzdiff.core.spec import TaskSpec
from fuzzdiff.run.execute import PARENT_PLACEHOLDER, TMP_PLACEHOLDER, WORKDIR_PLACEHOLDER
from fuzzdiff.run.hermetic import FROZEN_EPOCH
from fuzzdiff.run.scratch import FILE_TIME

CASE_FORMAT = "fuzzdiff-case"
CASE_VERSION = 1


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _cut(div: Divergence, keep: int) -> tuple[Divergence, dict[str, int]]:
    """``div`` with each side's stdout, stderr and files cut to ``keep`` bytes, and the
    full length of each that was cut (``"reference.stdout": 1048576``, ``"candidate.files/out"``)."""
    cut: dict[str, int] = {}
    sides = []
    for side, outcome in (("reference", div.reference), ("candidate", div.candidate)):
        for stream, data in (("stdout", outcome.stdout), ("stderr", outcome.stderr)):
            if len(data) > keep:
                cut[f"{side}.{stream}"] = len(data)
        for name, content in outcome.files:
            if content is not None and len(content) > keep:
                cut[f"{side}.files/{name.decode('utf-8', 'backslashreplace')}"] = len(content)
        files = tuple((name, None if content is None else content[:keep]) for name, content in outcome.files)
        sides.append(replace(outcome, stdout=outcome.stdout[:keep], stderr=outcome.stderr[:keep], files=files))
    return replace(div, reference=sides[0], candidate=sides[1]), cut


def case_document(
    finding: Finding,
    spec: TaskSpec,
    seed: int,
    reference: Program,
    candidate: Program,
    keep_output: int | None = None,
) -> dict[str, Any]:
    """The JSON of a case file. ``keep_output``: outputs are kept up to that many bytes
    (a report's case files need not hold a 1 MiB flood); ``"cut"`` lists what was cut.
    The case itself, all that replay and ``minimize`` read, is always whole."""
    div, cut = (finding.divergence, {}) if keep_output is None else _cut(finding.divergence, keep_output)
    return {
        "format": CASE_FORMAT,
        "version": CASE_VERSION,
        "task": spec.name,
        # absolute, so minimize finds it from anywhere; a mined task's source is no path
        "task_file": os.path.abspath(spec.source) if os.path.isfile(spec.source) else spec.source,
        "seed": seed,
        "found_at": finding.found_at,
        "reference_command": list(reference.argv),
        "candidate_command": list(candidate.argv),
        "program_name": reference.argv0,
        "divergence": encode_divergence(div),
        **({"cut": cut} if cut else {}),
    }


def load_document(path: Path, what: str, fmt: str, version: int, missing: str) -> dict[str, Any]:
    """A versioned JSON document of ours (case file, corpus manifest): its object, or a
    ``CaseFileError`` naming the file and the problem (``missing`` when it is absent)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CaseFileError(missing) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CaseFileError(f"{what} {path} is not readable JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise CaseFileError(f'{path} is not a fuzzdiff {what} (no "format": "{fmt}")')
    if doc.get("version") == str(version):
        raise CaseFileError(f'{what} {path} gives its version as the string "{version}"; write the number {version}')
    if doc.get("version") != version:
        raise CaseFileError(
            f"{what} {path} has format version {doc.get('version')!r}; this fuzzdiff reads version {version}; "
            "use a matching fuzzdiff or write it again"
        )
    return doc


def read_case_file(path: str | Path) -> tuple[dict[str, Any], Divergence]:
    """Load a case file written by ``write_artifacts``; errors name the file and the problem."""
    p = Path(path)
    doc = load_document(p, "case file", CASE_FORMAT, CASE_VERSION, f"case file {p} does not exist")
    try:
        return doc, decode_divergence(doc["divergence"])
    except (KeyError, ValueError) as exc:
        raise CaseFileError(f"case file {p} is malformed: {exc}") from exc


def read_case_input(path: str | Path) -> tuple[dict[str, Any], Case]:
    """The case of a case file, and the document: what ``minimize`` needs. A case
    written by hand may give its divergence as the case alone (``argv``, ``stdin``,
    ``files``, ``env``), without outcomes or a fingerprint, which ``minimize``
    works out again."""
    p = Path(path)
    doc = load_document(p, "case file", CASE_FORMAT, CASE_VERSION, f"case file {p} does not exist")
    try:
        return doc, decode_case(doc["divergence"], "divergence")
    except (KeyError, ValueError) as exc:
        raise CaseFileError(f"case file {p} is malformed: {exc}") from exc


def write_artifacts(
    out: Path,
    findings: Sequence[Finding],
    spec: TaskSpec,
    seed: int,
    reference: Program,
    candidate: Program,
    keep_output: int | None = None,
    masked: bool = False,
) -> list[str]:
    """Write ``case-N.json`` and ``repro-N.sh`` for each finding; returns the paths written.
    ``keep_output``: see ``case_document``; ``masked``: the candidate ran with the
    reference hidden (``repro_script``)."""
    written: list[str] = []
    for i, finding in enumerate(findings, 1):
        doc = case_document(finding, spec, seed, reference, candidate, keep_output)
        case_path = out / f"case-{i}.json"
        write_atomic(case_path, (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode())
        script_path = out / f"repro-{i}.sh"
        write_atomic(
            script_path, repro_script(finding.divergence.case, spec, reference, candidate, masked).encode(), 0o755
        )
        written += [str(case_path.resolve()), str(script_path.resolve())]
    return written


def _sh_bytes(data: bytes) -> str:
    """A single-quoted printf format that prints exactly ``data``."""
    out = []
    for b in data:
        ch = chr(b)
        if (ch.isalnum() and b < 0x80) or ch in " ._-+=:,/@":
            out.append(ch)
        else:
            out.append(f"\\{b:03o}")
    return "'" + "".join(out) + "'"


def _sh_word(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


#: The ``program-name`` normaliser (``core.compare``) in awk, on bytes: an alias of
#: the candidate (its script's path, the reference's installed path that a wrapper
#: runs it by) becomes the program's name: a path wherever it stands alone (before
#: ``:``, a quote, a blank or the line's end; not in a traceback's ``File "..."``), a bare
#: name where a name stands (at a line's start after any blanks, after a quote, after
#: ``Usage:``, ``usage:`` or ``or:`` at a line's start; before ``:``, ``'`` or a
#: blank). The longest alias wins. Input gets a newline added, output
#: none at its end, so a last line without one stays so.
_RENAME_AWK = r"""BEGIN {
  n = split(ENVIRON["ALIASES"], al, "\n"); name = ENVIRON["NAME"]
  W = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./-"
}
function wordish(c) { return c != "" && index(W, c) > 0 }
function at(p,   i, a, k, c, best) {
  best = 0
  for (i = 1; i <= n; i++) {
    a = al[i]; k = length(a)
    if (k <= best || substr(line, p, k) != a) continue
    c = substr(line, p + k, 1)
    if (index(a, "/") > 0) {  # a path: alone, before what follows a name
      if ((c == "" || index(":' \t", c) > 0 || (c == "\"" && substr(line, p - 6, 6) != "File \"")) \
          && (p == 1 || !wordish(substr(line, p - 1, 1)))) best = k
    }
    else if (c != "" && index(":' ", c) > 0 && named[p]) best = k
  }
  return best
}
function add(p, bare) { if (!(p in seen)) { seen[p] = 1; pos[++np] = p } if (bare) named[p] = 1 }
{
  line = $0; out = ""; done = 1; np = 0
  split("", pos); split("", seen); split("", named)
  match(line, /^[ \t]*/); add(RLENGTH + 1, 1)
  if (match(line, /^ *[Uu]sage: +/)) add(RLENGTH + 1, 1)
  if (match(line, /^ *or: +/)) add(RLENGTH + 1, 1)
  m = split(line, parts, /['`"]/); q = 0
  for (j = 1; j < m; j++) { q += length(parts[j]) + 1; add(q + 1, 1) }
  for (i = 1; i <= n; i++) {
    if (index(al[i], "/") == 0) continue
    from = 1
    while ((j = index(substr(line, from), al[i])) > 0) { add(from + j - 1, 0); from += j }
  }
  for (i = 2; i <= np; i++) {  # positions in order: names are replaced left to right
    v = pos[i]; for (j = i - 1; j >= 1 && pos[j] > v; j--) pos[j + 1] = pos[j]; pos[j + 1] = v
  }
  for (i = 1; i <= np; i++) {
    p = pos[i]
    if (p < done) continue
    k = at(p)
    if (k > 0) { out = out substr(line, done, p - done) name; done = p + k }
  }
  out = out substr(line, done)
  if (NR > 1) printf "\n"
  printf "%s", out
}"""


#: The private-path scrub (``execute._scrubbed``) in awk: a side's working
#: directory (also its HOME) becomes WORKDIR_PLACEHOLDER, the runs' temporary
#: directory TMP_PLACEHOLDER and the directory holding them PARENT_PLACEHOLDER,
#: literally (no pattern). Input gets a newline added, output none at its end.
_SCRUB_AWK = (
    r"""function swap(s, from, to,   out, j) {
  out = ""; while ((j = index(s, from)) > 0) { out = out substr(s, 1, j - 1) to; s = substr(s, j + length(from)) }
  return out s
}
{
  line = swap(swap(swap($0, ENVIRON["WORK"], "WORKDIR"), ENVIRON["BASE"] "/tmp", "TMPDIR"), ENVIRON["BASE"], "PARENT")
  if (NR > 1) printf "\n"
  printf "%s", line
}""".replace("WORKDIR", WORKDIR_PLACEHOLDER.decode())
    .replace("TMPDIR", TMP_PLACEHOLDER.decode())
    .replace("PARENT", PARENT_PLACEHOLDER.decode())
)


def _scrubbing() -> list[str]:
    """Script lines mapping each side's private paths in its outputs as fuzzdiff
    does: without them a program that prints where it runs (``realpath .``,
    ``pwd``, ``$HOME``) "differed" in the script for a correct candidate, since the
    sides run in directories of their own."""
    return [
        "# each side's private paths as fuzzdiff shows them: its working directory (also its",
        "# HOME), the temporary directory and the directory holding them",
        f"SCRUB={_sh_word(_SCRUB_AWK)}",
        "for side in reference candidate; do",
        "  for s in out err; do",
        '    if grep -q -F "$d" "$d/$side.$s" 2> /dev/null; then',
        '      { cat "$d/$side.$s"; echo; } | LC_ALL=C WORK="$d/$side" BASE="$d" awk "$SCRUB" \\',
        '        > "$d/$side.$s.n" && mv "$d/$side.$s.n" "$d/$side.$s"',
        "    fi",
        "  done",
        "done",
    ]


def _renaming(name: str) -> list[str]:
    """Script lines applying ``program-name`` to both programs' outputs, as fuzzdiff
    compares them: without it a wrapper running ``/usr/bin/tr`` (or a Python
    candidate naming its own path) still "differed" in the script and not in fuzzdiff."""
    return [
        "# the task's program-name normaliser, as fuzzdiff applies it to both sides' outputs",
        f"RENAME={_sh_word(_RENAME_AWK)}",
        "for s in reference.out reference.err candidate.out candidate.err; do",
        '  if printf %s "$ALIASES" | grep -q . && grep -q -F "$ALIASES" "$d/$s" 2> /dev/null; then',
        f'    {{ cat "$d/$s"; echo; }} | LC_ALL=C ALIASES="$ALIASES" NAME={_sh_word(name)} awk "$RENAME" \\',
        '      > "$d/$s.n" && mv "$d/$s.n" "$d/$s"',
        "  fi",
        "done",
    ]


def _named(program: Program, name: str) -> str:
    """How the script starts a program: as the task's ``name`` (yes), under its own
    path (no), or under another name it was given (``as:seq``, a multi-call applet)."""
    if program.argv0 == name:
        return "yes"
    if program.argv0 in (program.argv[0], os.path.basename(program.argv[0])):
        return "no"
    return _sh_word(f"as:{program.argv0}")


def repro_script(case: Case, spec: TaskSpec, reference: Program, candidate: Program, masked: bool = False) -> str:
    """A POSIX sh script running both programs on ``case`` as fuzzdiff does, without
    a sandbox. ``masked``: fuzzdiff hid the reference from the candidate, which the
    script cannot; it says so where it finds no divergence."""
    name = reference.argv0
    env = dict(spec.env)
    env.update(case.env)
    env_words = " ".join(_sh_word(f"{k}={v}") for k, v in sorted(env.items()) if k != "PATH")
    path = env.get("PATH", "/usr/bin:/bin")
    lines = [
        "#!/bin/sh",
        f"# fuzzdiff reproduction for task {spec.name}. POSIX sh; needs coreutils, grep and awk.",
        "# Exit status: 1 while the programs still differ, 0 once they agree.",
        "# Override the programs with FUZZDIFF_REFERENCE / FUZZDIFF_CANDIDATE (command lines, split",
        "# at blanks): relative paths in them (./my_prog, python3 my_prog.py) are resolved against",
        "# the directory you run this script from, as fuzzdiff resolves --candidate.",
        "set -u",
        "here=$(pwd)",
        "# the programs as fuzzdiff ran them: their words quoted for the shell (a path may hold",
        "# blanks, an argument may be empty), and whether argv[0] was the task's program name",
        "# (yes: always for the reference) or their own path (no); an override is split at",
        "# blanks, and a one-word one gets the name (auto)",
        'if [ -n "${FUZZDIFF_REFERENCE:-}" ]; then REFERENCE=$FUZZDIFF_REFERENCE RNAMED=auto',
        f"else REFERENCE={_sh_word(' '.join(_sh_word(w) for w in reference.argv))} RNAMED=yes; fi",
        'if [ -n "${FUZZDIFF_CANDIDATE:-}" ]; then CANDIDATE=$FUZZDIFF_CANDIDATE CNAMED=auto',
        f"else CANDIDATE={_sh_word(' '.join(_sh_word(w) for w in candidate.argv))} "
        f"CNAMED={_named(candidate, name)}; fi",
        f"TIMEOUT={spec.limits.timeout:g}",
        f"CAP={spec.limits.output_bytes} MEMORY_KB={spec.limits.memory_mb * 1024} "
        f"FILE_BLOCKS={max(1, spec.limits.file_bytes // 512)}",
        "# fuzzdiff runs programs without capabilities: as root, so does this (a root that keeps",
        "# them reads a directory `chmod -R = d` left without permissions, where fuzzdiff's runs fail)",
        "DROP=",
        'if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null 2>&1; then',
        "  DROP='setpriv --inh-caps=-all --bounding-set=-all --'",
        "fi",
        "# files are made 644 and directories 755, as in fuzzdiff's runs (modes are compared)",
        "umask 022",
        "d=$(mktemp -d) || exit 2",
        "trap 'rm -rf \"$d\"' EXIT",
        "",
        "# The case's arguments, exactly (the trailing x keeps final newlines).",
        "set --",
    ]
    for i, arg in enumerate(case.argv):
        lines.append(f'a{i}=$(printf -- {_sh_bytes(arg)}x); a{i}=${{a{i}%x}}; set -- "$@" "$a{i}"')
    lines += [
        f'printf -- {_sh_bytes(case.stdin)} > "$d/stdin"',
        "",
        "setup() {",
        '  mkdir -p "$1"',
    ]
    for fname, content in case.files:
        parent = os.path.dirname(fname)
        if parent:
            lines.append(f'  p=$(printf -- {_sh_bytes(parent)}x); mkdir -p "$1/${{p%x}}"')
        lines.append(f'  f=$(printf -- {_sh_bytes(fname)}x); printf -- {_sh_bytes(content)} > "$1/${{f%x}}"')
    lines += [
        "  # dated as fuzzdiff dates a case's files (modification times are compared too)",
        f'  find "$1" -exec touch -h -d @{FILE_TIME} {{}} +',
        "}",
        "# attrs DIR: each entry's mode, a regular file's modification time (or that it was",
        "# written during the runs) and a file's number of names, as fuzzdiff compares them",
        "attrs() {",
        "  ( cd \"$1\" && find . ! -type l -printf '%P\\t%m\\t%y\\t%T@\\t%n\\n' ) |",
        '    awk -F \'\\t\' -v s="$start" -v e="$end" -v f="$FROZEN" \'BEGIN { OFS = "\\t" }',
        '      { now = ($4 >= s - 2 && $4 <= e + 2) || (f != "" && $4 >= f - 2 && $4 <= f + 2)',
        '        if ($3 == "d") $5 = "-"; if ($3 != "f") $4 = "-"; else if (now) $4 = "during the run"',
        "        print }' | sort",
        "}",
        "",
        "# run SIDE NAMED COMMAND ARGS...: started under the task's program name as argv[0]",
        "# where fuzzdiff did so (this needs bash's exec -a; without bash the program sees its",
        "# full path).",
        "run() {",
        "  side=$1; named=$2; cmd=$3; shift 3",
        "  # as:NAME: started as NAME (a multi-call binary's applet: `busybox seq` is busybox as seq)",
        f"  argv0={_sh_word(name)}",
        "  case $named in as:*) argv0=${named#as:} named=yes ;; esac",
        '  setup "$d/$side"',
        "  # the command's words go after the case's arguments, then those rotate behind them;",
        "  # in an override, relative paths (the program's with a slash, later words that exist)",
        "  # are made absolute",
        "  n=$# first=1 words=0",
        '  if [ "$named" != auto ]; then',
        r'    eval "set -- \"\$@\" $cmd"',
        "  else",
        "    set -f",
        "    for w in $cmd; do",
        "      case $w in",
        "        /* | -*) ;;",
        '        *) if [ "$first" = 1 ]; then case $w in */*) w="$here/$w" ;; esac',
        '           elif [ -e "$here/$w" ]; then w="$here/$w"; fi ;;',
        "      esac",
        '      set -- "$@" "$w"; first=0 words=$((words + 1))',
        '      case $side$w in candidate*/*) ALIASES="$ALIASES$NL$w$NL${w##*/}" ;; esac',
        "    done",
        "    set +f",
        "  fi",
        '  while [ "$n" -gt 0 ]; do set -- "$@" "$1"; shift; n=$((n - 1)); done',
        '  if [ "$named" = auto ]; then named=no; [ "$words" = 1 ] && named=yes; fi',
        '  if [ "$named" = yes ] && command -v bash > /dev/null 2>&1; then',
        '    set -- bash -c \'exec -a "$0" "$@"\' "$argv0" "$@"',
        "  fi",
        *(
            [
                "  # hermetic: address randomisation off, as fuzzdiff runs it (mktemp mixes addresses in)",
                '  if command -v setarch > /dev/null 2>&1; then set -- setarch "$(uname -m)" -R "$@"; fi',
            ]
            if spec.hermetic
            else []
        ),
        "  # one private temporary directory, at the same path for both sides (mktemp names it)",
        '  rm -rf "$d/tmp" && mkdir "$d/tmp" || exit 2',
        "  # as fuzzdiff runs it: stdin, stdout and stderr are pipes (a program may seek a file but",
        "  # not a pipe), each output is cut at the cap, and the task's memory and file-size limits hold",
        '  mkfifo "$d/$side.fifo" || exit 2',
        '  head -c "$CAP" < "$d/$side.fifo" > "$d/$side.err" &',
        '  { cat "$d/stdin" | ( cd "$d/$side" || exit 2',
        '      ulimit -v "$MEMORY_KB" 2> /dev/null; ulimit -f "$FILE_BLOCKS" 2> /dev/null; ulimit -c 0 2> /dev/null',
        '      exec $DROP env -i PATH="'
        + path
        + '" HOME="$d/$side" TMPDIR="$d/tmp" '
        + env_words
        + ' timeout -s KILL "$TIMEOUT" "$@" 2> "$d/$side.fifo" )',
        '    echo $? > "$d/$side.status"; } | head -c "$CAP" > "$d/$side.out"',
        "  wait",
        "}",
        "# names the candidate may call itself by (its path, the reference's installed path):",
        "# the program-name normaliser below maps them to the program's name; an override's adds its own",
        f"ALIASES={_sh_word(chr(10).join(candidate.aliases))} NL='",
        "'",
        "# the runs' window: a file dated within it (or, hermetic, at the frozen instant) was",
        "# dated now, whenever now was",
        f"start=$(date +%s) FROZEN={FROZEN_EPOCH if spec.hermetic else ''}",
        'run reference "$RNAMED" "$REFERENCE" "$@"',
        'run candidate "$CNAMED" "$CANDIDATE" "$@"',
        "end=$(date +%s)",
        "",
    ]
    lines += _scrubbing()
    if "program-name" in spec.compare.normalise:
        lines += _renaming(name)
    lines += ["status=0"]
    modes = dict(spec.compare.modes)
    if modes.get("exit", "exact") == "exact":
        lines.append(
            'if ! cmp -s "$d/reference.status" "$d/candidate.status"; then echo "exit status differs: '
            'reference $(cat "$d/reference.status"), candidate $(cat "$d/candidate.status")"; status=1; fi'
        )
    for ch, suffix in (("stdout", "out"), ("stderr", "err")):
        mode = modes.get(ch, "exact")
        if mode == "exact":
            lines.append(
                f'if ! cmp -s "$d/reference.{suffix}" "$d/candidate.{suffix}"; then echo "{ch} differs:"; '
                f'diff "$d/reference.{suffix}" "$d/candidate.{suffix}" | head -n 40; status=1; fi'
            )
        elif mode == "presence":
            lines.append(
                f'r=0; [ -s "$d/reference.{suffix}" ] && r=1; c=0; [ -s "$d/candidate.{suffix}" ] && c=1; '
                f'if [ "$r" != "$c" ]; then echo "{ch} presence differs"; status=1; fi'
            )
    if modes.get("files", "exact") == "exact":
        lines.append(
            'if ! diff -r "$d/reference" "$d/candidate" > /dev/null 2>&1; then echo "files differ:"; '
            'diff -r "$d/reference" "$d/candidate" | head -n 40; status=1; fi'
        )
        lines.append(
            'attrs "$d/reference" > "$d/reference.attrs"; attrs "$d/candidate" > "$d/candidate.attrs"; '
            'if ! cmp -s "$d/reference.attrs" "$d/candidate.attrs"; then echo "modes or times differ:"; '
            'diff "$d/reference.attrs" "$d/candidate.attrs" | head -n 40; status=1; fi'
        )
    lines += [
        'if [ "$status" = 0 ]; then echo "no divergence: the programs agree on this case"; fi',
        *(
            [
                'if [ "$status" = 0 ]; then echo "note: fuzzdiff ran the candidate with the reference hidden '
                "(--mask-reference); this script cannot hide it, so a candidate that runs the reference "
                'or a copy of it may agree here and still differ there"; fi'
            ]
            if masked
            else []
        ),
        'exit "$status"',
        "",
    ]
    return "\n".join(lines)
