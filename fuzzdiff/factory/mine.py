"""Zero-config tasks: mine a program's options from its ``--help`` text.

Reads GNU-style help (``  -w, --wrap=COLS  ...``, ``      --help``,
``  -n NUM``, optional values as ``--color[=WHEN]``) and the usage line
(``Usage: base64 [OPTION]... [FILE]``) and builds a task: options with their
spellings and value kinds (guessed from the metavariable), file operands when
the usage names FILE, and the default content models. ``task_toml`` writes it
as a task file for a person to refine.

Enumerated values are read where the help text lists them
(``METHOD={none(default),prepend,separate}`` on an option's lines, a ``STYLE
is one of:`` section, ``The WHEN argument defaults to 'always' and can also be
'auto' or 'never'``, ``TYPE is 'binary', 'text', or 'without-match'``) and become
choices. Mining is a starting point, not a
specification: other values are drawn as short strings of their guessed kind,
and constraints between options (``one_of``, ``requires``) are left for a
person to add.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator

from fuzzdiff.core.errors import ProgramError
from fuzzdiff.core.spec import DEFAULT_ENV, TABLE_KEYS, parse_task
from fuzzdiff.run.execute import resolve_executable
from fuzzdiff.run.landlock import shed_capabilities
from fuzzdiff.run.program import MULTI_CALL

#: Seconds allowed for ``--help``.
HELP_TIMEOUT = 10

#: A metavariable: GNU's ``SIZE``, util-linux's ``<char>``, or a lowercase word
#: standing alone before the description's gap (pigz's ``--blocksize mmm``,
#: xmllint's ``--xpath expr``): lowercase after one blank is the description
#: itself unless two blanks, a tab or the line's end follow it.
_META = r"(?P<meta>[A-Z][A-Z0-9_.-]*|<[A-Za-z][-A-Za-z0-9_.]*>|[a-z][a-z0-9_.-]*(?=\s{2,}|\t|\s*$))"
_OPTION_LINE = re.compile(
    r"^\s{1,8}(?:(?P<short>-[A-Za-z0-9])(?:[ ,\t]\s*|$))?"
    r"(?:(?P<long>--[A-Za-z0-9][-A-Za-z0-9_]*)(?P<opt>\[)?(?:[= ](?:\[-\])?" + _META + r")?\]?)?"
)
_SHORT_META = re.compile(r"^\s{1,8}-(?P<short>[A-Za-z0-9])[ \t](?:\[-\])?" + _META)
_INT_WORDS = ("NUM", "N", "COLS", "WIDTH", "SIZE", "BYTES", "LINES", "COUNT", "DEPTH", "BITS", "LENGTH", "K", "M")
_LIST_WORDS = ("LIST",)
_CHAR_WORDS = ("DELIM", "CHAR", "SEP")
# Enumerated values in help text: an option's own ``METHOD={none(default),prepend}``,
# a section ``STYLE is one of:`` with one indented value per line, and a sentence
# ``The WHEN argument defaults to 'always' and can also be 'auto' or 'never'.``
_BRACES = re.compile(r"(?:\b(?P<meta>[A-Z][A-Z0-9_]*)=)?\{(?P<body>[A-Za-z0-9][-A-Za-z0-9_,() ]*)\}")
_ONE_OF = re.compile(r"^(?P<meta>[A-Z][A-Z0-9_]*) (?:is one of|options):?\s*$")
# ``--round=METHOD  ... METHOD can be:`` then ``up, down, from-zero (default), ...``
# on the same line or the next ones
_CAN_BE = re.compile(r"\b(?P<meta>[A-Z][A-Z0-9_]*) can be:\s*(?P<rest>.*)$")
_DEFAULT_NOTE = re.compile(r"\s*\((?:the )?default\)")
_SECTION_VALUE = re.compile(r"^\s{1,8}(?P<value>[^\s-][^\s]*)(?:\s{2,}|\s*$)")
_SENTENCE = re.compile(r"The (?P<meta>[A-Z][A-Z0-9_]*) argument defaults to (?P<values>(?:'[^']+'[ ,a-z]*)+)")
_VALUE = re.compile(r"[A-Za-z0-9][-A-Za-z0-9_.]*")
# ``TYPE is 'binary', 'text', or 'without-match'`` (grep, diff): two quoted values at least
_IS_QUOTED = re.compile(r"\b(?P<meta>[A-Z][A-Z0-9_]*) is (?P<values>'[^'\s]+'(?:(?:,|,? or) '[^'\s]+')+)")
# Usage lines: ``Usage: seq [OPTION]... LAST`` and ``  or:  seq [OPTION]... FIRST LAST``.
_USAGE_HEAD = re.compile(r"^\s*(?:usage|or):\s+\S+(?P<rest>.*)$", re.IGNORECASE)
_OPERAND_WORD = re.compile(r"[A-Z][A-Z0-9_]*")
#: util-linux's operand words: ``<file>``, ``<string>``, and plain lowercase ones of two
#: letters or more (``[file ...]``; od's ``[b]`` is a suffix).
_ANGLED = re.compile(r"<[a-z][a-z0-9_-]*>")
_LOWER_WORD = re.compile(r"[a-z][a-z0-9_]+")
_ANGLED_WORDS = re.compile(r"<[a-z][a-z0-9_-]*(?: [a-z][a-z0-9_-]*)+>")
#: A ``Usage:`` line with nothing after it: the forms follow, indented.
_USAGE_ALONE = re.compile(r"^\s*usage:\s*$", re.IGNORECASE)
_NUMBER_WORDS = ("NUMBER", "NUM", "N", "FIRST", "LAST", "INCREMENT", "COUNT", "SIZE", "LINE", "LINES")


def help_text(command: list[str]) -> str:
    """The program's ``--help`` output (stdout, else stderr), in the C locale. With
    fixed arguments that refuse it (``fold -w --help``: ``-w`` takes ``--help`` as
    its value), the first that exits 0 with fewer of them, the last dropped first
    (a multi-call binary keeps its applet); else the first answer."""
    exe = resolve_executable(command[0], DEFAULT_ENV["PATH"] + os.pathsep + os.environ.get("PATH", ""))
    keep = 2 if os.path.basename(command[0]) in MULTI_CALL and len(command) > 1 else 1
    answers = [_help_run(exe, command[0], command[1:])]
    n = len(command) - 1
    while answers[-1][0] != 0 and n >= keep:
        answers.append(_help_run(exe, command[0], command[1:n]))
        n -= 1
    text = next((t for code, t in answers if code == 0 and t.strip()), answers[0][1])
    if not text.strip():
        raise ProgramError(f"{command[0]} --help printed nothing; write a task file by hand (see references/README.md)")
    return text


def _help_run(exe: str, name: str, args: list[str]) -> tuple[int, str]:
    try:
        # in a directory of its own and without capabilities, like every probe
        with tempfile.TemporaryDirectory(prefix="fuzzdiff-help-") as where:
            proc = subprocess.run(
                [exe, *args, "--help"],
                capture_output=True,
                timeout=HELP_TIMEOUT,
                env=dict(DEFAULT_ENV),
                cwd=where,
                preexec_fn=shed_capabilities,
                check=False,
            )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ProgramError(f"cannot run {name} --help: {exc}") from exc
    return proc.returncode, (proc.stdout or proc.stderr).decode("utf-8", "replace")


def _value_for(meta: str | None) -> dict[str, object] | None:
    if not meta:
        return None
    word = meta.upper()
    if word in _INT_WORDS or word.startswith(("NUM", "SIZE")):
        return {"kind": "int", "min": 0, "max": 100, "suffixes": ["K", "b"] if word in ("SIZE", "BYTES") else []}
    if word in _LIST_WORDS:
        return {"kind": "list", "min": 0, "max": 10}
    if word in _CHAR_WORDS:
        return {"kind": "char", "alphabet": ":, \tx0"}
    return {"kind": "string", "alphabet": "abcxyz01-_.:", "max_len": 6}


def _brace_values(body: str) -> list[str]:
    values = [v.replace("(default)", "").strip() for v in body.split(",")]
    return [v for v in values if _VALUE.fullmatch(v)]


def mine_choices(text: str) -> dict[str, list[str]]:
    """The values of metavariables the help text enumerates for all options that
    use them: a section (``STYLE is one of:`` then one indented value per line)
    or a sentence (``The WHEN argument defaults to 'always' and can also be
    'auto' or 'never'``)."""
    found: dict[str, list[str]] = {}
    lines = text.splitlines()
    for n, line in enumerate(lines):
        section = _ONE_OF.match(line.strip())
        if section:
            values: list[str] = []
            indent = None  # the values' own; lines indented deeper describe the one above
            for following in lines[n + 1 :]:
                if not following.strip():
                    if values:
                        break
                    continue
                depth = len(following) - len(following.lstrip())
                if indent is not None and depth > indent:
                    continue
                value = _SECTION_VALUE.match(following)
                if value is None or not following[:1].isspace() or (indent is not None and depth < indent):
                    break
                indent = depth
                if _VALUE.fullmatch(value.group("value")):
                    values.append(value.group("value"))
            if values:
                found.setdefault(section.group("meta"), values)
        listed = _CAN_BE.search(line)
        if listed:
            values = _listed(listed.group("rest"), lines[n + 1 :])
            if values:
                found.setdefault(listed.group("meta"), values)
        sentence = _SENTENCE.search(line)
        if sentence:
            found.setdefault(sentence.group("meta"), re.findall(r"'([^']+)'", sentence.group("values")))
        quoted = _quoted_values(line)
        if quoted:
            found.setdefault(quoted[0], quoted[1])
    return found


def _quoted_values(line: str) -> tuple[str, list[str]] | None:
    """The metavariable and values of ``TYPE is 'binary', 'text', or 'without-match'``."""
    m = _IS_QUOTED.search(line)
    if m is None:
        return None
    values = [v for v in re.findall(r"'([^']+)'", m.group("values")) if _VALUE.fullmatch(v)]
    return (m.group("meta"), values) if len(values) >= 2 else None


def _own_values(line: str, options: list[dict[str, object]], metas: dict[int, str]) -> None:
    """An enumeration on the last option's own lines, of its own metavariable, is its
    choice: grep's ``-d, --directories=ACTION`` says ``ACTION is 'read', 'recurse',
    or 'skip'`` and ``-D, --devices=ACTION`` says ``ACTION is 'read' or 'skip'``."""
    quoted = _quoted_values(line)
    if quoted and options and metas.get(len(options) - 1) == quoted[0]:
        options[-1]["value"] = _choice(quoted[1])


def _listed(rest: str, following: list[str]) -> list[str]:
    """The comma-separated values after ``METHOD can be:``: on the rest of its line,
    else on the next line, and on later ones while a line ends with a comma."""
    text = rest.strip()
    for line in following:
        if text and not text.endswith(","):
            break
        if not line.strip() or not line[:1].isspace():
            break
        text = f"{text} {line.strip()}".strip()
    words = [_DEFAULT_NOTE.sub("", w).strip().rstrip(".;") for w in text.split(",")]
    return [w for w in words if _VALUE.fullmatch(w)] if all(_VALUE.fullmatch(w) for w in words if w) else []


def _choice(values: list[str]) -> dict[str, object]:
    return {"kind": "choice", "values": list(dict.fromkeys(values))}


def _spelling(line: str) -> tuple[str | None, str | None, str | None, bool, str | None]:
    """An option line's short and long spellings, metavariable, whether its value
    is optional (``--color[=WHEN]``), and the value itself where the line spells
    one out (``--format=gzip``: lowercase after ``=`` is a value, not a name for one)."""
    m = _OPTION_LINE.match(line)
    short = long = meta = literal = None
    optional = False
    if m and (m.group("short") or m.group("long")):
        short, long, meta = m.group("short"), m.group("long"), m.group("meta")
        optional = bool(m.group("opt"))
        if meta and re.fullmatch(r"[a-z][a-z0-9_.-]*", meta) and line[m.start("meta") - 1] == "=":
            literal = meta
    if not long:
        sm = _SHORT_META.match(line)
        if sm:
            short, meta = "-" + sm.group("short"), sm.group("meta")
    if meta:  # `<char>` and `mmm` read as CHAR and MMM do
        meta = meta.strip("<>").upper()
    return short, long, meta, optional, literal


def mine_options(text: str) -> list[dict[str, object]]:
    """Options declared in help text, in order, without duplicates. A value whose
    metavariable the text enumerates (on the option's own lines, or in a section
    or sentence for every option using it: ``mine_choices``) is a choice."""
    options: list[dict[str, object]] = []
    seen: set[str] = set()
    metas: dict[int, str] = {}  # option index -> its metavariable
    literals: dict[str, list[str]] = {}  # long option -> the values its lines spell out
    sections = mine_choices(text)
    for line in text.splitlines():
        braces = _BRACES.search(line)
        if braces and options and len(options) - 1 in metas:
            values = _brace_values(braces.group("body"))
            if values and braces.group("meta") in (None, metas[len(options) - 1]):
                options[-1]["value"] = _choice(values)
        if line[:1] not in (" ", "\t") or not line.strip().startswith("-"):
            _own_values(line, options, metas)
            continue
        short, long, meta, optional, literal = _spelling(line)
        names = [n for n in (short, long) if n]
        if literal and long in literals:  # `--format=gzip` after `--format=zstd`: one more value
            literals[long].append(literal)
            continue
        if not names or any(n in seen for n in names):
            continue
        seen.update(names)
        if literal and long:
            # zstd's `--format=zstd`, recode's `-i, --sequence=files`: the line names one
            # value; its short spelling (if any) is a flag meaning that value
            if short:
                options.append({"short": short[1:]})
            literals[long] = [literal]
            options.append({"long": long[2:], "value": {"kind": "choice", "values": literals[long]}})
            continue
        value = _value_for(meta)
        if short and long and optional and value is not None:
            # `-F, --classify[=WHEN]`: only the long spelling takes the value; the short
            # one glued to it (`-Fnever`) reads as a cluster of flags (`-F -n -e ...`)
            options.append({"short": short[1:]})
            short = None
        entry: dict[str, object] = {}
        if short:
            entry["short"] = short[1:]
        if long:
            entry["long"] = long[2:]
        if value is not None and meta is not None:
            metas[len(options)] = meta
            entry["value"] = _choice(sections[meta]) if meta in sections else value
            if optional:
                entry["optional_value"] = True
        if long in ("--help", "--version"):
            entry["weight"] = 0.1
        options.append(entry)
        _own_values(line, options, metas)  # diff's `--color[=WHEN]  ...; WHEN is 'never', 'always', or 'auto'`
    return options


#: A usage synopsis' bracketed group of options: ``[-cklnop]``, ``[ -d fontdirectory ]``,
#: ``[-GgKkw N]`` (each letter takes the value), ``[-CcSs[x]]`` (an optional value).
_SYNOPSIS_GROUP = re.compile(
    r"\[\s*-(?P<letters>[A-Za-z0-9]+)(?P<optional>\[[^\]]*\])?(?:\s+(?P<meta>[A-Za-z][\w.-]*))?\s*\]"
)


#: A synopsis group of one long option: ``[--list]``, ``[--width=N]``.
_SYNOPSIS_LONG = re.compile(r"\[\s*--(?P<long>[A-Za-z0-9][\w-]*)(?:[= ](?P<meta>[A-Za-z][\w.-]*))?\s*\]")


def mine_synopsis(text: str) -> list[dict[str, object]]:
    """Options from a usage synopsis, for programs whose help lists none on lines of
    their own (BSD style: ``figlet [ -cklnoprstvx ] [ -d fontdirectory ] [ -w
    outputwidth ]``, ``rs [-CcSs[x]] [-GgKkw N]``): each letter of a bracketed
    group is a flag, or takes the value the group names. The synopsis is the
    ``usage:`` line and the indented lines after it."""
    lines = text.splitlines()
    synopsis: list[str] = []
    for i, line in enumerate(lines):
        if _USAGE_HEAD.match(line):
            synopsis.append(line)
            synopsis.extend(itertools.takewhile(lambda x: x[:1] in (" ", "\t") and x.strip(), lines[i + 1 :]))
    joined = " ".join(synopsis)
    options: list[dict[str, object]] = []
    seen: set[str] = set()
    for group in _SYNOPSIS_LONG.finditer(joined):  # errno's `[--list] [--search]`
        if group.group("long") not in seen:
            seen.add(group.group("long"))
            long: dict[str, object] = {"long": group.group("long")}
            if group.group("meta"):
                long["value"] = _value_for(group.group("meta"))
            options.append(long)
    for group in _SYNOPSIS_GROUP.finditer(joined):
        meta = group.group("meta")
        for letter in group.group("letters"):
            if letter in seen:
                continue
            seen.add(letter)
            entry: dict[str, object] = {"short": letter}
            if meta:
                entry["value"] = _value_for(meta)
            options.append(entry)
    return options


def usage_forms(text: str) -> list[list[tuple[str, bool, bool]]]:
    """The operand words of each usage form (``Usage:`` and ``or:`` lines): for
    each, (word, optional, repeated). ``seq [OPTION]... FIRST LAST`` gives
    ``[("FIRST", False, False), ("LAST", False, False)]``; option words and words
    not all in capitals (``MMDDhhmm``, ``-u``) are left out."""
    forms = []
    for rest in _usage_rests(text):
        words: list[tuple[str, bool, bool]] = []
        depth = 0
        tokens = re.findall(r"\[|\]|\.\.\.|[^\s\[\]]+?(?=\.\.\.|[\s\[\]]|$)", rest)
        for i, token in enumerate(tokens):
            if token == "[":
                depth += 1
            elif token == "]":
                depth = max(0, depth - 1)
            elif token == "...":
                if words:
                    words[-1] = (words[-1][0], words[-1][1], True)
            elif (word := _operand_word(token, tokens[i - 1] if i else "", "".join(tokens[i + 1 : i + 2]))) is not None:
                words.append((word, depth > 0, False))
        forms.append(words)
    return forms


def _usage_rests(text: str) -> Iterator[str]:
    """What follows the program's name in each usage form: GNU's ``Usage: NAME ...``
    and ``or: NAME ...`` lines, util-linux's indented forms under a ``Usage:`` line
    of its own (`` look [options] <string> [<file>...]``), and indented forms
    that name the program again right under a usage line (jq's). An angled
    operand of several words (``<jq filter>``) is joined into one."""
    below = False  # under a `Usage:` line of its own: every indented line is a form
    name = None  # under a usage line: an indented line starting with this name is one
    for line in text.splitlines():
        head = _USAGE_HEAD.match(line)
        words = line.split(None, 1)
        if head is not None:
            below, name = False, line.split(":", 1)[1].split()[0]
            rest = head.group("rest")
        elif _USAGE_ALONE.match(line):
            below, name = True, None
            continue
        elif line[:1].isspace() and words and (below or words[0] == name):
            rest = words[1] if len(words) > 1 else ""
        else:
            below, name = False, None
            continue
        yield _ANGLED_WORDS.sub(lambda m: m.group(0).replace(" ", "_"), rest)


def _operand_word(token: str, before: str, after: str) -> str | None:
    """An operand's name in a usage form, in capitals: GNU's ``FILE`` (``+FORMAT``
    as ``FORMAT``), util-linux's ``<file>`` where no option comes before it (``[-c
    <num>]`` is a value) and a lowercase word alone in its brackets (``[file ...]``,
    ``[startcol [endcol]]``; not bzip2's ``[flags and input files in any order]``);
    None for option words (``OPTION``, ``[options]``, ``-u``) and what is neither
    (``MMDDhhmm``)."""
    word = token.lstrip("+")
    if _ANGLED.fullmatch(word):
        if before.startswith("-"):
            return None
        word = word[1:-1].replace("-", "_").upper()
    elif _LOWER_WORD.fullmatch(word):
        if before != "[" or after not in ("]", "...", "["):
            return None
        word = word.upper()
    if not _OPERAND_WORD.fullmatch(word) or word in ("OPTION", "OPTIONS"):
        return None
    return word


def _slot_for(word: str) -> dict[str, object]:
    """What an operand named ``word`` in a usage line is, as a slot: a file where
    the word starts or ends with FILE (``MYFILE``, ``OLDFILE``, ``FILE1``), an
    output where it names one, a directory, a number, else a short string."""
    base = word.rstrip("0123456789")
    if base.startswith(("OUTPUT", "DEST", "PREFIX")) or base.endswith(("OUTFILE", "OUTPUT")):
        return {"kinds": ["missing"]}
    if base.startswith(("FILE", "INPUT", "SOURCE")) or base.endswith(("FILE", "FILES")):
        return {"kinds": ["file", "file", "dash", "missing"]}
    if base.startswith("DIR") or base.endswith(("DIR", "DIRECTORY")):
        return {"kinds": ["dir"]}
    if word in _NUMBER_WORDS:
        return {"kinds": ["string"], "value": {"kind": "int", "min": 0, "max": 100}}
    return {"kinds": ["string"], "value": {"kind": "string", "alphabet": "abcxyz01-_.:/", "max_len": 6}}


def mine_operands(text: str, program: str) -> dict[str, object]:
    """Operands from the usage lines: how many (the fewest any form requires, the
    most any form takes, two more where a word repeats) and, where a form names
    other than input files, what each position is (``[[operands.slots]]``)."""
    forms = [f for f in usage_forms(text) if f]
    if not forms:
        return {"min": 0, "max": 1, "kinds": ["missing"]}
    low = min(sum(1 for _, optional, _ in f if not optional) for f in forms)
    high = min(4, max(len(f) + (2 if any(r for _, _, r in f) else 0) for f in forms))
    longest = max(forms, key=len)
    if all(w.startswith(("FILE", "INPUT")) for f in forms for w, _, _ in f) and low == 0:
        return {"min": 0, "max": max(2, min(high, 3)), "kinds": ["file", "file", "dash", "missing"]}
    return {"min": low, "max": max(high, low), "slots": [_slot_for(w) for w, _, _ in longest]}


#: An indented help line's first column: a syntax form, then two blanks and what it means.
_FORM_HEAD = re.compile(r"^[ \t]{1,8}(?P<head>\S+(?: \S+)+)(?: {2,}|\t)\S")
#: A literal token of a syntax form: an operator (``!=``, ``:``, ``(``) or a keyword (``match``, ``-a``).
_FORM_LITERAL = re.compile(r"[-|&<>=!+*/%:()]{1,3}|-?[a-z][a-z0-9_]*")
#: Most tokens a syntax form may have, and fewest forms a help text must list.
FORM_TOKENS = 5
MIN_FORMS = 3
#: Values a form's placeholders take, by the placeholder's word: each form is
#: written out once per column (numbers falling and rising, a word repeated, two
#: different words), so that one of them is likely to be true as well as valid
#: (``expr 3 - 2`` exits 0, ``expr 2 - 2`` exits 1).
_FORM_VALUES: tuple[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]], ...] = (
    (("FILE", "INPUT", "SOURCE"), (("in.txt",),) * 4),
    (("REGEXP", "REGEX", "PATTERN", "RE"), (("a.*",), ("\\(.\\)",), ("b",), ("[a-c]*",))),
    (("EXPRESSION", "EXPR"), (("1",), ("2",), ("abc",), ("",))),
    (
        ("INTEGER", "INT", "N", "NUM", "NUMBER", "POS", "LENGTH", "COUNT", "SIZE"),
        (("3", "2", "1"), ("2", "3", "4"), ("1", "1", "1"), ("0", "5", "2")),
    ),
)
_FORM_WORDS = (("3", "2", "1"), ("2", "3", "4"), ("abc", "abc", "abc"), ("abc", "b", "2"))


def _form_value(word: str, column: int, nth: int) -> str:
    base = word.rstrip("0123456789")
    table = next((values for names, values in _FORM_VALUES if base in names), _FORM_WORDS)
    row = table[column]
    return row[min(nth, len(row) - 1)]


def mine_sentences(text: str) -> list[list[str]]:
    """Operand sentences from the syntax forms a help text lists (``ARG1 + ARG2``,
    ``match STRING REGEXP``, ``( EXPRESSION )``), each written out with sample
    values for its placeholders, four ways: what ``expr`` and ``test`` read as an
    expression of several operands. A form is an indented line's first column of
    two to ``FORM_TOKENS`` tokens, at least one an upper-case placeholder and one
    an operator or keyword, and not starting like an option; fewer than
    ``MIN_FORMS`` forms are taken for prose and give none."""
    forms: list[list[str]] = []
    for line in text.splitlines():
        m = _FORM_HEAD.match(line)
        if m is None:
            continue
        tokens = m.group("head").split(" ")
        if len(tokens) > FORM_TOKENS or (tokens[0].startswith("-") and len(tokens[0]) > 1):
            continue  # an option's line (``-cmd COMMAND``), mined as an option or not at all
        holders = [t for t in tokens if _OPERAND_WORD.fullmatch(t)]
        literals = [t for t in tokens if t not in holders]
        if not holders or not literals or not all(_FORM_LITERAL.fullmatch(t) for t in literals):
            continue
        if tokens not in forms:
            forms.append(tokens)
    if len(forms) < MIN_FORMS:
        return []
    sentences: list[list[str]] = []
    for form in forms:
        for column in range(4):
            nth: dict[str, int] = {}
            sentence = []
            for token in form:
                if _OPERAND_WORD.fullmatch(token):
                    base = token.rstrip("0123456789")
                    sentence.append(_form_value(token, column, nth.get(base, 0)))
                    nth[base] = nth.get(base, 0) + 1
                else:
                    sentence.append(token)
            if sentence not in sentences:
                sentences.append(sentence)
    return sentences


#: A help text's list of keywords: an indented line of lowercase words and commas
#: only (``  groupby, crosstab, transpose, reverse, check``) under a heading that
#: ends in a colon (``Primary operations:``), or under another such line.
_KEYWORD_LINE = re.compile(r"^\s{1,8}[a-z][a-z0-9_-]*(?:,\s*[a-z][a-z0-9_-]*)*,?\s*$")
_HEADING = re.compile(r"^\s{0,8}[^\s-].*:\s*$")
#: Fewest keywords a help text must list to be read as a program's operations, and
#: most taken.
MIN_KEYWORDS = 3
MAX_KEYWORDS = 80
#: A keyword is tried alone and with each of these after it: a field or column
#: number (``datamash sum 1``).
KEYWORD_ARGUMENTS = ("1",)


def mine_keywords(text: str) -> list[str]:
    """The words of the help text's keyword lists: what a program takes as its
    operation (``datamash [OPTION] op [fld]`` lists ``sum, min, max, ...`` under
    ``Numeric Grouping operations:``). Options and prose never form such a line."""
    words: list[str] = []
    under = False
    for line in text.splitlines():
        if under and _KEYWORD_LINE.match(line):
            words.extend(w for w in re.split(r"[,\s]+", line.strip()) if w)
            continue
        under = bool(_HEADING.match(line))
    unique = list(dict.fromkeys(words))
    return unique[:MAX_KEYWORDS] if len(unique) >= MIN_KEYWORDS else []


def keyword_sentences(keywords: list[str]) -> list[list[str]]:
    """Each keyword as a sentence of its own and followed by each of ``KEYWORD_ARGUMENTS``."""
    return [[k] for k in keywords] + [[k, a] for a in KEYWORD_ARGUMENTS for k in keywords]


def task_name(text: str) -> str:
    """A task name from a program's: what ``TASK_NAME`` allows (it names directories)."""
    return re.sub(r"[^A-Za-z0-9._+-]", "-", text).lstrip("._+-") or "task"


def _task_program(program: str) -> str:
    """``program`` as a task file names it: a bare name where the task's fixed PATH
    finds it, else its absolute path (a program found only on the user's own PATH,
    in ~/bin or a virtual environment, made a task file that did not load)."""
    if os.sep in program:
        return os.path.abspath(program)
    try:
        resolve_executable(program, DEFAULT_ENV["PATH"])
        return program
    except ProgramError:
        return resolve_executable(program, os.environ.get("PATH", os.defpath))


def _applet(command: list[str]) -> str:
    """The applet of a multi-call binary's command (``busybox sort``: ``sort``, which
    the binary dispatches on as argv[0]), else ""."""
    return command[1] if os.path.basename(command[0]) in MULTI_CALL and len(command) > 1 else ""


def command_task_name(command: list[str]) -> str:
    """The name a task mined from ``command`` gets: the program's (``busybox sort``:
    the applet's; ``openssl dgst``: ``openssl-dgst``)."""
    applet = _applet(command)
    if applet:
        return task_name(applet)
    fixed = command[1:]
    subcommand = f"-{fixed[0]}" if fixed and fixed[0].isalnum() else ""  # openssl dgst: openssl-dgst
    return task_name(os.path.basename(command[0]) + subcommand)


def mine_task(command: list[str], name: str | None = None) -> dict[str, object]:
    """A raw task table (as parsed TOML) for ``command``, mined from its help."""
    text = help_text(command)
    program = command[0]
    applet = _applet(command)
    raw: dict[str, object] = {
        "name": name or command_task_name(command),
        "program": _task_program(program),
        "description": f"mined from `{' '.join(command)} --help`; refine by hand",
        "options": mine_options(text) or mine_synopsis(text),
        "operands": mine_operands(text, program),
    }
    sentences = mine_sentences(text)
    sentences += [s for s in keyword_sentences(mine_keywords(text)) if s not in sentences]
    if sentences:
        operands = raw["operands"]
        assert isinstance(operands, dict)
        operands["sentences"] = sentences
    if applet:
        raw["argv0"] = applet
    elif len(command) > 1:
        raw["args"] = list(command[1:])  # `openssl dgst`: the reference's fixed arguments
    parse_task(raw, f"<mined from {program} --help>")  # a mined task must load
    return raw


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + "".join(_TOML_ESCAPES.get(ch) or _toml_char(ch) for ch in value) + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


_TOML_ESCAPES = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _toml_key(key: str) -> str:
    """A key as TOML writes it: bare where it may be, else quoted (``"in.txt"``)."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_value(key)


def _toml_char(ch: str) -> str:
    """A character as a TOML basic string holds it: control characters escaped."""
    return f"\\u{ord(ch):04x}" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch


def task_toml(raw: dict[str, object], notes: dict[str, list[str]] | None = None, head: str = "") -> str:
    """The task as a task file. ``notes`` (``probe.Learned.notes``) become comments
    beside what they explain: an option's under its ``[[options]]`` line (keyed by
    its label, ``--wrap`` or ``-w``), others under their table's name."""
    notes = notes or {}
    lines = (head or _MINED_HEAD).splitlines()

    def said(key: str) -> list[str]:
        return [f"# {text}" for text in notes.get(key, [])]

    for key in TABLE_KEYS["task"]:  # top-level keys first, in the loader's order
        if key in raw and key not in _TABLES:
            lines.append(f"{key} = {_toml_value(raw[key])}")
    lines += said("probe")
    options = raw.get("options", [])
    assert isinstance(options, list)
    for opt in options:
        assert isinstance(opt, dict)
        lines += ["", "[[options]]", *said(option_label(opt)), *(f"{k} = {_toml_value(v)}" for k, v in opt.items())]
    operands = raw.get("operands", {})
    assert isinstance(operands, dict)
    lines += ["", "[operands]", *said("operands")]
    lines += [f"{k} = {_toml_value(v)}" for k, v in operands.items() if k != "slots"]
    for slot in operands.get("slots", []):
        assert isinstance(slot, dict)
        lines += ["[[operands.slots]]", *(f"{k} = {_toml_value(v)}" for k, v in slot.items())]
    for table in _TABLES[2:]:
        value = raw.get(table)
        if isinstance(value, dict) and (value or notes.get(table)):
            lines += ["", f"[{table}]", *said(table), *(f"{k} = {_toml_value(v)}" for k, v in value.items())]
    return "\n".join(lines) + "\n"


def option_label(opt: dict[str, object]) -> str:
    """How an option table is named in notes: ``--long``, else ``-s``."""
    return f"--{opt['long']}" if "long" in opt else f"-{opt.get('short')}"


#: The keys of a task table written as tables of their own, in the order written.
_TABLES = ("options", "operands", "stdin", "files", "env", "limits", "compare", "generate")

_MINED_HEAD = """# Mined by `fuzzdiff task init` from the program's --help. Review it: value
# ranges, operand kinds, stdin models and option constraints are guesses."""
