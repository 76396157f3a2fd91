"""The edge sweep: every option of a task tried once at each of its known edges,
and file names and inputs at theirs.

Fresh generation reaches an option's edges (a value left off the end, a number
just past 2^63, a tab in a count, one enumerated value on real input, a flag
given a value) only now and then, so a program that is wrong only there passes a
short campaign. The sweep lists those cases for every option the task declares,
each once, from the spec alone:

- a valued option: its value left off the end (short and long spellings,
  each after ``MANY_ARGUMENTS`` operands when the option has both),
  empty, a tab, a control byte, a valid value spoilt (a leading blank or plus
  sign, which strtol-style parsers accept and strict ones refuse, a trailing
  letter, or ``QUOTED_TAIL``: control bytes, a quote and a backslash, which a
  refusal's message must quote), and by kind: integers at and past the 31-,
  32-, 63- and 64-bit edges of both signs and each suffix on a large number;
  each enumerated value, a prefix of it and one spoilt (and the integer edges
  where the values are mostly numbers, ``numeric_values``); list and character
  edges;
- a flag: alone, given a value (``--flag=x``), alone on an input longer than
  common buffer sizes (past 64 KiB, whatever the task's own size cap), and its
  letter ``CLUSTER`` times in one word (``-ttt...``, past 256); a ladder
  of its own then tries each flag on a long input of each model of the task's
  input (text, samples, an alphabet, ...), so that one is of the kind the flag
  is meant for (a long valid encoding for ``--decode``), and, where the task
  has samples, on a long input of them each changed one time in two
  (``NEAR_MISSES``: a checksum list of a few hundred near-miss lines for
  ``--check``), the task's heaviest flag there once under each enumerated
  value (``cksum -c -a md5``); and each value of an enumerated option, a mode by another
  spelling (``cksum -a sysv``), on a long input too (``mode_rungs``);
- in a UTF-8 locale, each flag on every code point where a character table
  changes (``CODE_POINTS``: a width, a class, a case mapping) and every byte
  sequence at an edge of UTF-8's forms, each in a file
  of its own where the task takes several files, else a line each;
- where operands name files: each hostile name of ``MISSING_NAMES`` as a file
  that does not exist, each of ``FILE_NAMES`` as one that does; then every byte
  a quoting function may treat apart, in the name of a missing file
  (``byte_names``: each ASCII punctuation byte alone, between letters, first,
  or as the whole name; the control bytes several to a name; bytes that are
  not ASCII), since an error message shows that name quoted and a quoting
  table decides byte by byte; and one name per class of ``NAME_CLASSES`` for
  an existing file (``a`` and ``b`` around a drawn byte of it);
- after one drawn operand, two of ``EXTRA_OPERANDS`` (control bytes, bytes that
  are not UTF-8, a quote): the "extra operand" message quotes one of them, often
  by another routine than file names get;
- each string the task lists for its (first) operand, as it is and with its
  first number one digit longer (``-2c`` and ``-22c``), and one of each shape
  with a control byte in its middle (``[:al\x01pha:]``); and where every operand
  is a string (the strings are the program's language, as tr's sets are, not
  a side of a file-reading program, as head's ``-2c``), on ``BYTE_TABLE``
  (every byte once), each followed by its ``partner`` where a second operand
  may be a listed string (``tr '[:upper:]' '[:lower:]'``), and each with the
  options and further operands a case draws (``tr -d '[:space:]'``);
- each ``EDGE_BYTES`` sequence put into every input of a drawn case, at the
  start of its second line and at its end.

The rungs are interleaved (every ladder's first rung, then every ladder's
second, ...), so a sweep cut short by a budget still reaches every option.
After them, where a case may have several operands, come drawn options with
standard input named twice (``-`` ``-``: the first read drains it) and with
one file named twice (``REPEATED``).
Options the tried one requires (at the value they need, where they name one), and a
member of each group it must be used with, come along as generation would add them.
Each case's operands and input are drawn from the task's grammar with a seed
derived from ``seed`` and the case's place, as fresh cases are: the same task and
seed give the same sweep.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

from fuzzdiff.core import codepoints
from fuzzdiff.core.generate import (
    EDGE_BYTES,
    FILE_NAMES,
    MISSING_NAMES,
    NAME_CLASSES,
    OVERFLOW_EDGES,
    PATH_NAMES,
    Grammar,
    Made,
    RandomChoices,
    content,
    derive_seed,
    grammar_for,
    model_content,
    perturb,
    provide,
    through_directory,
    value,
)
from fuzzdiff.core.model import Case
from fuzzdiff.core.spec import ContentSpec, OptionSpec, TaskSpec, ValueSpec

#: The sweep takes at most one case in EDGE_SHARE of a campaign's budget: the
#: rest is fresh generation's, which finds what no listed edge does.
EDGE_SHARE = 3

#: Bytes of the long input a flag is tried on: past 4, 8, 16, 32 and 64 KiB, where
#: programs that read in blocks change buffers (and not a multiple of any).
LONG_INPUT = 65_563

#: Operands named twice in one case (``RepeatRung``), by the kind that allows
#: each: standard input, which the first read drains (``cut -b1 - -``), and a
#: file the program opens twice. They come after the interleaved ladders, so a
#: sweep cut short by the oracle's budget leaves them out: interleaved, they
#: pushed a shipped task's last sweep cases past the cut, and those cases
#: caught more wrong programs (docs/mutation.md) than the repeats did.
REPEATED: tuple[tuple[str, bytes], ...] = (("dash", b"-"), ("file", b"a"))
#: Draws of the options before each repeated operand: drawn options are often
#: refused (a reversed range), and then the operands are never read.
REPEAT_DRAWS = 2
#: File names at the file system's limit, after the repeats (for the same reason):
#: an existing file named by NAME_MAX (255) bytes, and an operand one byte longer,
#: which no file can have ("File name too long", ENAMETOOLONG, a message a port
#: must spell as the reference does). The generator's names are at most a few
#: bytes long, so a candidate wrong only on long names passed every case.
LONG_NAMES: tuple[tuple[str, bytes], ...] = (("file", b"n" * 255), ("missing", b"n" * 256))

#: The long input of ``NEAR_MISSES``: the task's samples one after another, each
#: changed in one place (``perturb``) one time in two, to ``LONG_INPUT`` bytes.
#: One case then holds a few hundred near-misses of a structured input (checksum
#: lines with a blank before the tag, a name cut short, an extra separator), and
#: a parser that reads lines one by one is tried on each.
NEAR_MISSES = "near-misses"

#: The input of a flag's rung in a UTF-8 locale: every code point at which a
#: character table changes (``codepoints.boundaries``) and every byte sequence
#: at an edge of UTF-8's forms (``codepoints.decoder_edges``), each in a file of its own
#: where the task takes several files (a count or a width per file shows each
#: one, where a maximum over lines would hide all but the widest; as many files
#: as there are inputs, whatever the task's own operand count), else each on a
#: line of its own, in stdin and in a file a required file operand names.
CODE_POINTS = "code-points"
#: That file, where the task requires a file operand.
CODE_POINTS_FILE = b"U+code-points"

#: Draws of an input before the sweep settles for an empty one.
INPUT_TRIES = 8

#: Values any valued option is tried with: empty, blank and control characters.
PLAIN_EDGES: tuple[str, ...] = ("", "\t", "\x01")

#: Edges of a list value (``cut -f LIST``): empty items, a reversed range, open ends.
LIST_EDGES: tuple[str, ...] = ("0", "3-1", "1,3", "2-", "-2", ",", "1,,3", "1-2-3", "1 3")

#: Bytes each tried alone in a missing file's name: every printable ASCII byte
#: that is neither a letter nor a digit (nor ``/``, which no name holds).
#: Quoting rules differ byte by byte (a colon may or may not make a name
#: quoted) and some only by place (a ``#`` first, a brace as the whole name).
PUNCTUATION: bytes = bytes(b for b in range(0x21, 0x7F) if not chr(b).isalnum() and b != 0x2F) + b" "

#: Control bytes per name in ``byte_names``: any one of them makes a name
#: quoted, so what differs is how each is written, and a name can show several.
CONTROLS_PER_NAME = 6

#: Names of bytes that are not ASCII: invalid alone, a valid two-byte character,
#: a lone continuation byte, a truncated three-byte character.
NON_ASCII_NAMES: tuple[bytes, ...] = (b"a\xffb", b"a\xc3\xa9b", b"a\x80b", b"a\xe2\x82b")

#: Edges of a one-character value: two characters, a backslash, a newline, a NUL-like escape.
CHAR_EDGES: tuple[str, ...] = ("ab", "\\", "\n", "\\0", "\x7f")

#: Operands past the first, in pairs: after one drawn operand, a program that
#: takes one names the first of them in its "extra operand" message, one that
#: takes two the second, one that takes any number each (as a missing file).
#: Each holds bytes a quoting routine writes apart, so whichever of the two is
#: quoted shows them: a C escape and an octal one, ESC and DEL, a quote and a
#: backslash, a newline and blanks; one pair is bytes that are not UTF-8 and a
#: character that is. Such a message often quotes
#: with another routine than file names get (``extra operand 'b\001c'``).
EXTRA_OPERANDS: tuple[tuple[bytes, bytes], ...] = (
    (b"a\tb\x01c", b"a\x01b\tc"),
    (b"\x1b[m\x7f", b"a\x7fb\x1b"),
    (b"a\xffb", b"a\xc3\xa9b"),
    (b"a'b\\c", b"a\\b'c"),
    (b"a\nb ", b" a\nb"),
)

#: Times a flag's letter is repeated in one cluster (``-tttt...``): past 255 and
#: 256, where a count kept in a byte wraps (and where CPython stops sharing small
#: integers, so a slip of ``is`` for ``==`` on an index shows).
CLUSTER = 300

#: Operands before a value left off the end, in each spelling of an option that
#: has two (``a a ... --lines``, ``a a ... -n``): past 256 words, where a count
#: of arguments kept in a byte wraps and CPython stops sharing small integers
#: (an ``is`` where ``==`` was meant shows on the index of the last word). Each
#: is ``MANY_NAME``, a file of the case (empty unless the case made one so named).
MANY_ARGUMENTS = 300
MANY_NAME = b"a"

#: What follows a valid value to spoil it: a control byte, the two C escapes met
#: least (form feed, vertical tab), DEL, a quote and a backslash. The message that
#: refuses the value quotes it, and a quoting table decides byte by byte, as
#: ``byte_names`` tries for file names (``invalid argument 'md5\001\f\v\177\'\\'``).
QUOTED_TAIL = "\x01\f\v\x7f'\\"

#: The control byte put into a listed string by ``spoilt_strings``.
SPOILER = "\x01"


@dataclass(frozen=True, slots=True)
class Rung:
    """One edge of one option: the tokens that spell it and whether they end the argv."""

    option: OptionSpec
    tokens: tuple[str, ...]
    trailing: bool = False  # a value left off the end: nothing may follow
    long_model: str | None = None  # a long input: "" of any model, else of the model named
    made: tuple[tuple[bytes, ValueSpec], ...] = ()  # paths the value names, to make (``path_edges``)
    beside: tuple[OptionSpec, ...] = ()  # other options the tokens spell (a mode under the heaviest flag)


@dataclass(frozen=True, slots=True)
class NameRung:
    """A file operand with one of the generator's hostile names, existing or not."""

    name: bytes
    exists: bool


@dataclass(frozen=True, slots=True)
class InputRung:
    """An edge byte sequence put into every input of a drawn case: at a line's start or at the end."""

    edge: bytes
    at_end: bool


@dataclass(frozen=True, slots=True)
class StringRung:
    """A string operand the task lists (or a near-miss of one), as the first operand:
    alone; or (``paired``) followed by its ``partner``; or (``drawn``) with the
    options and further operands a case draws. The last two read ``BYTE_TABLE``."""

    text: str
    partner: str | None = None
    drawn: bool = False


@dataclass(frozen=True, slots=True)
class ExtraRung:
    """Two operands of ``EXTRA_OPERANDS`` after a drawn first one."""

    texts: tuple[bytes, bytes]


@dataclass(frozen=True, slots=True)
class RepeatRung:
    """One operand named twice after drawn options: standard input (``-``), which
    the first read drains, or a file, read twice."""

    name: bytes


AnyRung = Rung | NameRung | InputRung | StringRung | ExtraRung | RepeatRung

_DIGITS = re.compile(r"[0-9]+")
_LETTERS = re.compile(r"[A-Za-z]+")

#: The input of a listed string's paired and drawn rungs: every byte once, then a
#: newline. An operand that names a set of bytes (``tr '[:space:]'``) shows on it
#: what it does to each of them, the form feed and DEL as much as the letters.
BYTE_TABLE = bytes(range(256)) + b"\n"


def string_edges(strings: tuple[str, ...]) -> list[str]:
    """Each listed string, and after it the string with its first number one digit longer."""
    edges: list[str] = []
    for text in strings:
        edges.append(text)
        m = _DIGITS.search(text)
        if m:
            edges.append(text[: m.end()] + text[m.end() - 1] + text[m.end() :])
    return list(dict.fromkeys(edges))


def spoilt_strings(strings: tuple[str, ...]) -> list[str]:
    """One listed string of each ``shape``, with ``SPOILER`` in its middle, as a
    valued option's value is spoilt: ``[:al\x01pha:]``, ``[a*\x013]``. A parser
    refuses it with a message that quotes the control byte, one shape by one
    routine (an invalid class, a repeat count, a range's end points)."""
    firsts = {shape(text): text for text in reversed(strings) if len(text) > 1}
    return [text[: len(text) // 2] + SPOILER + text[len(text) // 2 :] for text in reversed(firsts.values())]


def shape(text: str) -> str:
    """``text`` with each run of digits written ``0`` and each run of letters
    ``a``: ``[:upper:]`` and ``[:lower:]`` have one shape, ``[a*3]`` and ``[b*010]``
    another, ``a-z`` and ``A-Z`` a third."""
    return _LETTERS.sub("a", _DIGITS.sub("0", text))


def _distance(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions)."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def partner(text: str, strings: tuple[str, ...]) -> str | None:
    """The listed string most like ``text`` (fewest edits; the first listed on a
    tie) of the same ``shape``, other than ``text``: what a second operand of the
    same kind most often faces it with (``tr '[:upper:]' '[:lower:]'``, ``tr a-z
    A-Z``, ``tr '\\n' '\\t'``). None when no other listed string has its shape."""
    same = [other for other in dict.fromkeys(strings) if other != text and shape(other) == shape(text)]
    return min(same, key=lambda other: _distance(text, other)) if same else None


def int_edges(v: ValueSpec) -> list[str]:
    """Integer values at the edges of ``v``'s range and of machine integers."""
    edges = [str(v.min - 1), str(v.max + 1), "-1"]
    for edge in OVERFLOW_EDGES:
        edges += [str(edge - 1), str(edge)]
    edges += [str(-(2**63)), str(-(2**63) - 1), str(-(2**64))]
    for suffix in dict.fromkeys(s for s in v.suffixes if s):
        edges += [f"9{suffix}", f"-9{suffix}"]
    return list(dict.fromkeys(edges))


#: An enumerated value is a number when at least this share of its distinct
#: values are integers (the rest are a spoilt one or two: cksum's ``-l x``).
NUMERIC_SHARE = 0.75
_INTEGER = re.compile(r"[+-]?[0-9]+")


def numeric_values(values: tuple[str, ...]) -> list[int]:
    """The integers of ``values`` when they are at least ``NUMERIC_SHARE`` of its
    distinct values, else none: the option takes a number, and its parser has the
    integer edges (2^63, 2^64 - 1) whatever numbers the task happened to list."""
    distinct = set(values)
    numbers = [int(x) for x in distinct if _INTEGER.fullmatch(x)]
    return sorted(numbers) if distinct and len(numbers) >= NUMERIC_SHARE * len(distinct) else []


def value_edges(c: RandomChoices, v: ValueSpec) -> list[str]:
    """The values a valued option is tried with, most telling first."""
    valid = value(c, v)
    edges = [*PLAIN_EDGES, " " + valid, "+" + valid, valid + "x", valid + QUOTED_TAIL]
    if v.kind == "int":
        edges += int_edges(v)
    elif v.kind in ("choice", "string"):
        for item in v.values:
            edges += [item, item[: max(1, len(item) // 2)], item + "x"]
        numbers = numeric_values(v.values)
        if numbers:  # a number listed as choices (cksum -l 0, 8, ..., 512) is parsed as one
            edges += int_edges(ValueSpec(kind="int", min=min(numbers), max=max(numbers)))
    elif v.kind == "list":
        edges += LIST_EDGES
    elif v.kind == "char":
        edges += CHAR_EDGES
    elif v.kind in PATH_NAMES:
        edges += list(path_edges(v))
    return list(dict.fromkeys(edges))


def path_edges(v: ValueSpec) -> dict[str, ValueSpec]:
    """The paths a value of a path kind is tried with, each made as its table says:
    every name of its pool, and one path of the other kind (a directory where a
    file is read, a file where a directory is). A spoilt valid name names a missing path."""
    other = "dir" if v.kind == "file" else "file"
    names = {n.decode("utf-8", "surrogateescape"): v for n in PATH_NAMES[v.kind]}
    first = next(n for n in PATH_NAMES[other] if n.decode("utf-8", "surrogateescape") not in names)
    return {**names, first.decode("utf-8", "surrogateescape"): ValueSpec(kind=other)}


def _spell(opt: OptionSpec, text: str, rung: int) -> tuple[str, ...]:
    """``opt`` with the value ``text``: short and long spellings alternate, and every
    other long one is ``--opt=value`` (always for an empty value), else ``--opt value``."""
    use_long = opt.long is not None and (opt.short is None or rung % 2 == 1)
    if opt.separate:
        return (f"--{opt.long}" if use_long else f"-{opt.short}", text)
    if opt.optional_value:  # an optional value is attached or absent
        return (f"--{opt.long}={text}",) if use_long else (f"-{opt.short}{text}",)
    if use_long:
        return (f"--{opt.long}={text}",) if text == "" or rung % 4 == 1 else (f"--{opt.long}", text)
    return (f"-{opt.short}", text)


def option_rungs(c: RandomChoices, opt: OptionSpec) -> list[Rung]:
    """Every edge of one option, in the order the sweep tries them."""
    if opt.value is None:
        rungs = [Rung(opt, (opt.label(),))]
        if opt.long:
            rungs.append(Rung(opt, (f"--{opt.long}=x",)))
        if opt.long not in ("help", "version"):  # they read no input
            rungs.append(Rung(opt, (opt.label(),), long_model=""))
            if opt.short:
                rungs.append(Rung(opt, ("-" + opt.short * CLUSTER,)))
        return rungs
    # a value left off the end, in each spelling: getopt's messages for the two differ
    spellings = [f"-{opt.short}"] if opt.short else []
    spellings += [f"--{opt.long}"] if opt.long else []
    rungs = [Rung(opt, (spelling,), trailing=not opt.optional_value) for spelling in spellings]
    made = path_edges(opt.value) if opt.value.kind in PATH_NAMES else {}
    for i, text in enumerate(value_edges(c, opt.value)):
        table = made.get(text)
        path = ((text.encode("utf-8", "surrogateescape"), table),) if table is not None else ()
        rungs.append(Rung(opt, _spell(opt, text, i), made=path))
    return rungs


def mode_rungs(options: list[OptionSpec]) -> list[Rung]:
    """Each value of each enumerated option on a long input (of any model): a
    value that picks a mode (``cksum -a sysv``, ``nl -b a``) is a flag
    by another spelling, and gets the long input a flag gets. The options'
    first values come first, so a sweep cut short still tries every option."""
    per_option = [
        [Rung(opt, _spell(opt, item, i), long_model="") for i, item in enumerate(dict.fromkeys(opt.value.values))]
        for opt in options
        if opt.value is not None and opt.value.kind == "choice"
    ]
    return [r for rung in itertools.zip_longest(*per_option) for r in rung if r is not None]


def moded_near_misses(flags: list[OptionSpec], options: list[OptionSpec]) -> list[Rung]:
    """The task's most drawn flag (its heaviest; the first on a tie) on the
    near-miss input under each value of each enumerated option: the flag that
    reads the samples (``cksum --check``) meets each near-miss under each mode
    that reads them another way (``cksum -c -a md5`` takes untagged lines)."""
    heaviest = max(flags, key=lambda opt: opt.weight)
    return [
        Rung(heaviest, (heaviest.label(), *mode.tokens), long_model=NEAR_MISSES, beside=(mode.option,))
        for mode in mode_rungs(options)
        if mode.option is not heaviest
    ]


def operand_kinds(spec: TaskSpec) -> set[str]:
    """The kinds of operand a case of ``spec`` may have (none when it takes none)."""
    ops = spec.operands
    if ops.max == 0:
        return set()
    return set(ops.kinds) | {k for slot in ops.slots for k in slot.kinds}


def file_per_operand(spec: TaskSpec) -> bool:
    """Whether a case of ``spec`` may name many files, each an operand of one kind
    (``wc a b c``): there each input can be a file of its own."""
    ops = spec.operands
    return not ops.slots and "file" in ops.kinds and ops.max >= 2


def byte_names(c: RandomChoices) -> list[bytes]:
    """Names that together hold every byte a quoting function may treat apart:
    each of ``PUNCTUATION`` alone, between letters (``a:b``) one time in two,
    else first (``#b``) or as the whole name (``{``), the place drawn; the
    control bytes and DEL in a drawn order, ``CONTROLS_PER_NAME`` to a name
    between letters; and ``NON_ASCII_NAMES``. Alone, since one byte can decide
    how the whole name is quoted; in a drawn place, since some count only there.
    Punctuation in a drawn order alternates with the rest, so a sweep cut short
    still has some of each."""
    punctuation = []
    for byte in PUNCTUATION:
        # a dash first would make the name an option
        place = "inside" if byte == 0x2D else c.choice(("inside", "inside", "first", "whole"))
        one = bytes([byte])
        punctuation.append({"inside": b"a" + one + b"b", "first": one + b"b", "whole": one}[place])
    c.rng.shuffle(punctuation)
    controls = [*range(1, 32), 127]
    c.rng.shuffle(controls)
    rest = [
        b"a" + bytes(controls[at : at + CONTROLS_PER_NAME]) + b"b" for at in range(0, len(controls), CONTROLS_PER_NAME)
    ]
    rest += NON_ASCII_NAMES
    return [name for pair in itertools.zip_longest(punctuation, rest) for name in pair if name is not None]


def edge_rungs(spec: TaskSpec, seed: int) -> list[AnyRung]:
    """The sweep's rungs, interleaved: those of every option the task draws from
    (weight above 0), of every flag on a long input of each content model, of
    hostile file names where operands name files, of the listed strings of the
    first operand, and of edge sequences in the input."""
    c = RandomChoices(random.Random(derive_seed(seed, "edge-values")))
    drawn = [opt for opt in spec.options if opt.weight > 0]
    ladders: list[list[AnyRung]] = [list(option_rungs(c, opt)) for opt in drawn]
    models = dict.fromkeys(m for m in spec.stdin.models if m != "empty")
    if spec.stdin.samples and models.keys() & {"sample", "samples"}:
        models[NEAR_MISSES] = None
    flags = [opt for opt in drawn if opt.value is None and opt.long not in ("help", "version")]
    ladders.append([Rung(opt, (opt.label(),), long_model=model) for opt in flags for model in models])
    if codepoints.utf8_locale(dict(spec.env)):
        ladders.append([Rung(opt, (opt.label(),), long_model=CODE_POINTS) for opt in flags])
    ladders.append(list(mode_rungs(drawn)))
    if NEAR_MISSES in models and flags:
        ladders.append(list(moded_near_misses(flags, drawn)))
    kinds = operand_kinds(spec)
    if "missing" in kinds:
        ladders.append([NameRung(name, exists=False) for name in (*MISSING_NAMES, *byte_names(c))])
    if "file" in kinds:  # beside the fixed names, one per quoting class, its byte drawn, inside a name
        inside = [b"a" + bytes([c.choice(cls)]) + b"b" for cls in NAME_CLASSES]
        ladders.append([NameRung(name, exists=True) for name in (*FILE_NAMES, *inside)])
    strings = spec.operands.slots[0].strings if spec.operands.slots else spec.operands.strings
    if spec.operands.max > 0:
        ladders.append([ExtraRung(texts) for texts in EXTRA_OPERANDS])
    if strings and spec.operands.max > 0:
        edges = string_edges(strings)
        ladders.append([StringRung(text) for text in [*edges, *spoilt_strings(strings)]])
        if kinds == {"string"}:  # the strings are the program's language (tr's sets)
            seconds = _second_strings(spec)
            paired = [StringRung(text, partner=partner(text, seconds)) for text in edges] if seconds else []
            with_options = [StringRung(text, drawn=True) for text in edges]
            both = itertools.zip_longest(paired, with_options)
            ladders.append([r for two in both for r in two if r is not None and (r.drawn or r.partner is not None)])
    ladders.append([InputRung(edge, at_end) for edge in EDGE_BYTES for at_end in (False, True)])
    rungs: list[AnyRung] = [r for rung in itertools.zip_longest(*ladders) for r in rung if r is not None]
    if spec.operands.max >= 2 and not spec.operands.slots:  # last: see REPEATED
        rungs += [RepeatRung(name) for _ in range(REPEAT_DRAWS) for kind, name in REPEATED if kind in kinds]
    rungs += [NameRung(name, exists=kind == "file") for kind, name in LONG_NAMES if kind in kinds]
    return rungs


def _second_strings(spec: TaskSpec) -> tuple[str, ...]:
    """The strings a second operand is drawn from, when it can be a listed string."""
    ops = spec.operands
    if ops.max < 2:
        return ()
    if ops.slots:
        second = ops.slots[min(1, len(ops.slots) - 1)]
        return second.strings if "string" in second.kinds else ()
    return ops.strings if "string" in ops.kinds else ()


def _input(c: RandomChoices, grammar: Grammar, long_model: str | None = None) -> bytes:
    """A drawn input, not empty if ``INPUT_TRIES`` draws can help it; with
    ``long_model``, one repeated to ``LONG_INPUT`` bytes, of that model if named
    (for ``NEAR_MISSES``, samples each drawn anew and changed one time in two)."""
    stdin = grammar.spec.stdin
    if long_model == NEAR_MISSES:
        return _near_misses(c, stdin)
    data = b""
    for _ in range(INPUT_TRIES):
        data = model_content(c, stdin, long_model) if long_model else content(c, stdin)
        if data:
            break
    if long_model is not None and data:
        data = (data * (LONG_INPUT // len(data) + 1))[:LONG_INPUT]
    return data


def _near_misses(c: RandomChoices, stdin: ContentSpec) -> bytes:
    """``LONG_INPUT`` bytes of ``stdin``'s samples, each drawn anew and changed
    in one place (``perturb``) one time in two."""
    pieces: list[bytes] = []
    size = 0
    while size < LONG_INPUT:
        piece = model_content(c, stdin, "sample")
        if c.integer(0, 1) == 0:
            piece = perturb(c, piece)
        pieces.append(piece)
        size += len(piece) or 1  # an empty sample still ends the loop
    return b"".join(pieces)[:LONG_INPUT]


def _insert(data: bytes, rung: InputRung) -> bytes:
    if rung.at_end:
        return data + rung.edge
    second = data.find(b"\n") + 1  # the second line's start, or the first's
    return data[:second] + rung.edge + data[second:]


def edge_case(grammar: Grammar, rung: AnyRung, seed: int, place: int) -> Case:
    """The case that tries ``rung``, with what it does not fix drawn for this place in the sweep."""
    c = RandomChoices(random.Random(derive_seed(seed, "edge", place)))
    if isinstance(rung, InputRung):  # a drawn case, every input of it changed
        case = grammar.case(c)
        changed = tuple((name, _insert(data, rung)) for name, data in case.files)
        return Case(argv=case.argv, stdin=_insert(_input(c, grammar), rung), files=changed)
    if isinstance(rung, StringRung):  # the string first, and more operands if the task needs them
        operands, files = grammar.files_and_operands(c)
        first = rung.text.encode("utf-8", "surrogateescape")
        if rung.partner is not None:
            named = [first, rung.partner.encode("utf-8", "surrogateescape")]
            return Case(argv=tuple(named), stdin=BYTE_TABLE, files=tuple(files.items()))
        if rung.drawn:
            drawn: Made = {}
            options = [a.encode("utf-8", "surrogateescape") for a in grammar.drawn_options(c, drawn)]
            provide(c, grammar.spec, drawn, files)
            named = [*options, first, *through_directory(operands[1:], files)]
            return Case(argv=tuple(named), stdin=BYTE_TABLE, files=tuple(files.items()))
        rest = operands[1:] if grammar.spec.operands.slots else operands[: max(0, grammar.spec.operands.min - 1)]
        named = [first, *through_directory(rest, files)]
        return Case(argv=tuple(named), stdin=_input(c, grammar), files=tuple(files.items()))
    if isinstance(rung, ExtraRung):  # one drawn operand (a file, a string), then the two
        operands, files = grammar.files_and_operands(c)
        for _ in range(INPUT_TRIES):
            if operands:
                break
            operands, files = grammar.files_and_operands(c)
        for text in rung.texts:
            files.pop(text, None)
        named = [*through_directory(operands[:1], files), *rung.texts]
        return Case(argv=tuple(named), stdin=_input(c, grammar), files=tuple(files.items()))
    if isinstance(rung, RepeatRung):
        return _repeat_case(grammar, rung, c)
    if isinstance(rung, NameRung):  # the name as the first operand, and more if the task needs them
        operands, files = grammar.files_and_operands(c)
        files.pop(rung.name, None)
        if rung.exists:
            files[rung.name] = _input(c, grammar)
        rest = operands[: max(0, grammar.spec.operands.min - 1)]
        named = through_directory([rung.name, *rest], files)
        return Case(argv=tuple(named), stdin=_input(c, grammar), files=tuple(files.items()))
    return _option_case(grammar, rung, c)


def _option_case(grammar: Grammar, rung: Rung, c: RandomChoices) -> Case:
    """The case that tries an option's rung, with what it needs and, unless the
    rung ends the argv, the operands a case of the task must have."""
    # what the option needs comes along, and what a mode it is tried under needs (`cksum -c -l 128`
    # needs `-a blake2b`); a mode that needs nothing leaves the draws as they were
    pinning = [o for o in rung.beside if any(n in grammar.origin for n in grammar.requires.get(o, ()))]
    tried = [rung.option, *pinning]
    others = [o for o in grammar.constrain(c, list(tried)) if all(o is not t for t in tried)]
    made: Made = dict(rung.made)
    args = [t for o in others for t in grammar.tokens(c, o, cut=False, made=made)]  # never cut short
    ops = grammar.spec.operands
    operands, files = grammar.files_and_operands(c) if ops.required else ([], {})
    for name, data in grammar.spec.fixtures:
        files.setdefault(name.encode(), data.encode())
    if made:
        provide(c, grammar.spec, made, files)
    operands = through_directory(operands, files)
    stdin = None
    if rung.long_model == CODE_POINTS:
        stdin, operands = _code_point_operands(grammar.spec, operands, files)
    argv = [a.encode("utf-8", "surrogateescape") for a in args]
    mine = [t.encode("utf-8", "surrogateescape") for t in rung.tokens]
    if rung.trailing and rung.option.short and rung.option.long:  # one path per spelling; a sole one stays plain
        files.setdefault(MANY_NAME, b"")
        operands = [*operands, *[MANY_NAME] * MANY_ARGUMENTS]
    argv = [*argv, *operands, *mine] if rung.trailing else [*argv, *mine, *operands]
    stdin = _input(c, grammar, rung.long_model) if stdin is None else stdin
    return Case(argv=tuple(argv), stdin=stdin, files=tuple(files.items()))


def _code_point_operands(spec: TaskSpec, operands: list[bytes], files: dict[bytes, bytes]) -> tuple[bytes, list[bytes]]:
    """Stdin and operands of a ``CODE_POINTS`` case, its files added to ``files``:
    each input a file of its own where the task takes several files (stdin
    empty, so what a report shows first is what was read); else the inputs a
    line each, in stdin, and in a file named in place of a first file operand
    the task requires (which the program reads instead of stdin)."""
    if file_per_operand(spec):
        one_each = {name: data + b"\n" for name, data in codepoints.inputs()}
        files.update(one_each)
        return b"", list(one_each)
    lines = codepoints.lines()
    first = spec.operands.slots[0].kinds if spec.operands.slots else spec.operands.kinds
    if operands and "file" in first:
        files[CODE_POINTS_FILE] = lines
        operands = [CODE_POINTS_FILE, *operands[1:]]
    return lines, operands


def _repeat_case(grammar: Grammar, rung: RepeatRung, c: RandomChoices) -> Case:
    """Drawn options, then ``rung``'s operand twice."""
    needed: Made = {}
    options = [a.encode("utf-8", "surrogateescape") for a in grammar.drawn_options(c, needed)]
    files = {name.encode(): data.encode() for name, data in grammar.spec.fixtures}
    provide(c, grammar.spec, needed, files)
    if rung.name != b"-":
        files[rung.name] = _input(c, grammar)
    return Case(argv=(*options, rung.name, rung.name), stdin=_input(c, grammar), files=tuple(files.items()))


def edge_cases(spec: TaskSpec, seed: int) -> Iterator[Case]:
    """The sweep for ``spec``, in order, each case once."""
    grammar = grammar_for(spec)
    seen: set[str] = set()
    for place, rung in enumerate(edge_rungs(spec, seed)):
        case = edge_case(grammar, rung, seed, place)
        key = case.key()
        if key not in seen:
            seen.add(key)
            yield case
