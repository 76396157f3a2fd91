"""Case generation: a task's grammar, read through a source of choices.

Generation is structure-aware. Most cases are valid option combinations with
operands, files and stdin drawn from the task's models; a share (the task's
``malformed``) carries one deliberate mistake (an unknown flag, a missing or bad
value), because error behaviour is behaviour too.

The grammar (``Grammar``) asks a ``Choices`` source for every decision it makes:
an integer in a range, one of some options, a size, a text, some bytes. Three
sources read it:

- ``RandomChoices``: a seeded ``random.Random``; campaigns draw fresh cases this
  way: it is cheap next to running a pair, while Hypothesis' engine costs enough
  per draw to make generation a campaign's bottleneck (figures in
  docs/benchmarks.md, "Fresh generation and pickling").
- ``BytesChoices``: a byte string read front to back, so that a coverage-guided
  fuzzer's mutations of bytes become mutations of cases (``fuzzdiff.engine.coverage``).
- ``HypothesisChoices``: a Hypothesis ``draw``; ``case_strategy(spec)`` is a
  Hypothesis strategy for a task's cases, for property tests and shrinking with
  Hypothesis.

The same task and seed always yield the same cases on the same Python minor
version (the ``random.Random`` methods used here have kept their sequences
across CPython releases, but the language does not promise it).
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import re
import string
from collections.abc import Iterator, Sequence
from typing import Protocol, TypeVar

from hypothesis import strategies as st

from fuzzdiff.core.model import Case
from fuzzdiff.core.spec import ContentSpec, OptionSpec, SlotSpec, TaskSpec, ValueSpec, find_option, required

T = TypeVar("T")

#: Cases per batch: each batch has its own seed, derived from the campaign's.
BATCH_SIZE = 256

#: Parts a weight of 1 is cut into when options are drawn: a weight of 0.1
#: (``--help``, ``--version``) is a tenth as likely as 1, never 0.
WEIGHT_UNITS = 20

#: Percent of cases whose options are made to satisfy the task's one_of and
#: requires constraints; the rest keep their raw draw, so usage errors stay covered.
CONSTRAINED_SHARE = 85

#: File names the generator uses, hostile ones included: spaces, a leading dash,
#: backslash, newline, glob and shell characters, and bytes that are not UTF-8.
FILE_NAMES: tuple[bytes, ...] = (
    b"a",
    b"in.txt",
    b"b.dat",
    b"with space",
    b"-n",
    b"--",
    b"back\\slash",
    b"new\nline",
    b"\xff\xfe.bin",
    b".hidden",
    b"*",
    b"$HOME",
    b"'q\"",
)

#: Names of the directories a case makes (each holding a file ``f``).
DIR_NAMES: tuple[bytes, ...] = (b"d", b"sub dir")

#: The names an option value of a path kind is drawn from (``value``); the case
#: makes the file or directory it names (``provide``).
PATH_NAMES: dict[str, tuple[bytes, ...]] = {"file": FILE_NAMES, "dir": DIR_NAMES}

#: Names of files that do not exist. An error message names them, quoted as the
#: program quotes names: hostile ones (control bytes, quotes, braces, a newline,
#: bytes that are not UTF-8) exercise that quoting.
MISSING_NAMES: tuple[bytes, ...] = (
    b"missing",
    b"no such file",
    b"nodir/x",
    b"new\nline",
    b"it's",
    b"tab\t{b}",
    b"{a",
    b"\x1fctl",
    b"\xff\xfe",
)

#: Bytes that programs quote apart when they show a file name, by class: control
#: bytes with a C escape (\a ... \r), other control bytes and DEL, a single
#: quote, the other quoting characters, shell-special characters, the two that
#: are special only first (# ~), braces, and bytes that are not ASCII.
NAME_CLASSES: tuple[bytes, ...] = (
    bytes(range(7, 14)),
    bytes([*range(1, 7), *range(14, 32), 127]),
    b"'",
    b'"\\$`',
    b" *?[]!&;|<>()=^,:",
    b"#~",
    b"{}",
    b"\xff\x80\xc3",
)
NAME_BYTES: bytes = b"".join(NAME_CLASSES)

#: One file name in HOSTILE_ONE, existing or missing, is built by ``hostile_name``
#: instead of taken from the fixed lists.
HOSTILE_ONE = 4

#: Values that break numeric parsing in the usual ways, control characters included
#: (an error message quotes the value, escaping them).
BAD_NUMBERS: tuple[str, ...] = (
    "",
    "x",
    "1x",
    "-",
    "+",
    "0x10",
    " 1",
    "1.5",
    "99999999999999999999999",
    "-0",
    "1e3",
    "\t",
    "\x01",
)

#: Ways to spoil a valid value: a leading blank (which strtol-style parsers skip
#: and strict ones refuse), a sign, a trailing letter, blank or control byte.
VALUE_SPOILERS: tuple[tuple[str, str], ...] = (
    (" ", ""),
    ("\t", ""),
    ("+", ""),
    ("-", ""),
    ("", "x"),
    ("", " "),
    ("", "\x01"),
    ("", "\n"),
)

#: Integers past the usual overflow edges (31, 32, 63 and 64 bits), where parsers
#: and their error messages differ; a value is drawn near one of them now and then.
OVERFLOW_EDGES: tuple[int, ...] = (2**31, 2**32, 2**63, 2**64)

#: Byte sequences that break text formats and decoders: blanks and line ends
#: where a format does not expect them (all six bytes ``isspace`` knows), a NUL,
#: a backslash, and UTF-8 edge cases (a code point above U+10FFFF, a lead byte
#: past F4, an overlong NUL, a surrogate, a truncated sequence, a stray
#: continuation byte, a byte-order mark).
EDGE_BYTES: tuple[bytes, ...] = (
    b" ",
    b"  ",
    b"\t",
    b"\r",
    b"\n",
    b"\v",
    b"\f",
    b"\x00",
    b"\\",
    b"\xff",
    b"\xf4\x90\x80\x80",
    b"\xf5\x80\x80\x80",
    b"\xc0\x80",
    b"\xed\xa0\x80",
    b"\xe2\x82",
    b"\x80",
    b"\xef\xbb\xbf",
)

#: One input in PERTURB_ONE (stdin or a file) is a drawn input changed in one
#: place (``perturb``). Near-valid inputs reach the parser's error paths, which
#: inputs drawn whole from a model or a sample rarely do.
PERTURB_ONE = 8

#: A case drawing one of the task's operand sentences swaps one of its tokens with
#: another sentence's one time in SENTENCE_MIX: near-valid expressions.
SENTENCE_MIX = 3

#: An input drawn from the task's samples is changed one time in PERTURB_SAMPLE:
#: samples are the structured inputs (checksum lines, records, encodings) whose
#: near-misses a parser must refuse, or accept, exactly as the reference does.
PERTURB_SAMPLE = 3

#: How ``perturb`` splits an input into tokens: runs of letters, of digits, of
#: blanks, and any other byte alone.
_TOKEN = re.compile(rb"[A-Za-z]+|[0-9]+|[ \t]+|.", re.DOTALL)

#: How many times ``edit_token`` repeats a token: mostly doubled, now and then
#: long enough to pass a fixed width or a small buffer (a 40-byte name, a 40-digit number).
REPEATS: tuple[int, ...] = (2, 2, 3, 40)

#: One option value in VALUE_NEAR_MISS is spoilt (``VALUE_SPOILERS``) or has a
#: token edited (``edit_token``), whatever the case: a sign or a blank the
#: reference accepts or refuses beside otherwise valid options.
VALUE_NEAR_MISS = 16

#: What a run of digits is replaced with: zero, a leading zero, a sign, and
#: numbers past the 31-, 32-, 63- and 64-bit edges.
NUMBER_EDGES: tuple[bytes, ...] = (b"0", b"00", b"-1", b"+1", *(str(edge).encode() for edge in OVERFLOW_EDGES))

_PRINTABLE_LINE = string.printable.replace("\n", "").replace("\r", "").replace("\x0b", "").replace("\x0c", "")
_FIELD_ALPHABET = "ab \t:,xyz019"


def derive_seed(root: int, *parts: object) -> int:
    """A sub-seed from a root seed and a path; stable across runs and platforms."""
    text = ":".join(str(p) for p in (root, *parts))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


class Choices(Protocol):
    """Where the grammar's decisions come from."""

    def integer(self, lo: int, hi: int) -> int:
        """An integer in ``[lo, hi]`` (``lo <= hi``)."""
        ...

    def choice(self, options: Sequence[T]) -> T:
        """One of ``options`` (not empty)."""
        ...

    def size(self, lo: int, hi: int) -> int:
        """The size of a collection in ``[lo, hi]``: small ones more often than big ones."""
        ...

    def text(self, alphabet: str, max_size: int) -> str: ...

    def binary(self, max_size: int) -> bytes: ...


#: One size in LONG_ONE is drawn uniformly up to the maximum, so long inputs
#: (long lines, big files) come up too; the others are small, around AVERAGE_SIZE.
LONG_ONE = 16
AVERAGE_SIZE = 5


class RandomChoices:
    """Choices from a seeded ``random.Random``: fast, and fixed by the seed."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def choice(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def size(self, lo: int, hi: int) -> int:
        rng = self.rng
        if hi <= lo:
            return lo
        if rng.randrange(LONG_ONE) == 0:
            return rng.randint(lo, hi)
        average = min(AVERAGE_SIZE, (hi - lo) / 2)
        more = average / (average + 1)  # geometric with that mean
        n = lo
        while n < hi and rng.random() < more:
            n += 1
        return n

    def text(self, alphabet: str, max_size: int) -> str:
        return "".join(self.rng.choices(alphabet, k=self.size(0, max_size))) if alphabet else ""

    def binary(self, max_size: int) -> bytes:
        return self.rng.randbytes(self.size(0, max_size))


class BytesChoices:
    """Choices read from a byte string, front to back; past its end every choice is
    the smallest one. Small edits of the bytes make small edits of the case."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, n: int) -> int:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return int.from_bytes(chunk, "little")

    def integer(self, lo: int, hi: int) -> int:
        span = hi - lo
        if span <= 0:
            return lo
        return lo + self._take((span.bit_length() + 7) // 8) % (span + 1)

    def choice(self, options: Sequence[T]) -> T:
        return options[self.integer(0, len(options) - 1)]

    def size(self, lo: int, hi: int) -> int:
        return self.integer(lo, hi)

    def text(self, alphabet: str, max_size: int) -> str:
        if not alphabet:
            return ""
        return "".join(self.choice(alphabet) for _ in range(self.size(0, max_size)))

    def binary(self, max_size: int) -> bytes:
        n = self.size(0, max_size)
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


class HypothesisChoices:
    """Choices drawn through Hypothesis (inside ``st.composite``)."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def choice(self, options: Sequence[T]) -> T:
        return self.draw(st.sampled_from(options))

    def size(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def text(self, alphabet: str, max_size: int) -> str:
        return self.draw(st.text(alphabet=alphabet, max_size=max_size)) if alphabet else ""

    def binary(self, max_size: int) -> bytes:
        return self.draw(st.binary(max_size=max_size))


def int_value(c: Choices, v: ValueSpec) -> int:
    """An integer for a value: its edges (and just past them) a quarter of the
    time, a small one another quarter, one near a 31-, 32-, 63- or 64-bit
    overflow edge one time in 16, else anywhere in its range."""
    k = c.integer(0, 15)
    if k < 4:
        return c.choice(sorted({v.min, v.max, 0, 1, v.min - 1, v.max + 1}))
    if k < 8:
        return c.integer(v.min, min(v.max, v.min + 16))
    if k == 15:  # near an overflow edge, of the sign the range allows
        near = c.choice(OVERFLOW_EDGES) + c.integer(-4, 1)
        return -near if v.min < 0 and c.integer(0, 1) == 0 else near
    return c.integer(v.min, v.max)


def value(c: Choices, v: ValueSpec) -> str:
    """A value of the kind ``v`` declares."""
    if v.kind == "int":
        text = str(int_value(c, v))
        return text + c.choice(("", *v.suffixes)) if v.suffixes else text
    if v.kind == "choice":
        return c.choice(v.values)
    if v.kind == "char":
        return c.choice(tuple(v.alphabet) or v.values)
    if v.kind == "string":
        if v.values and (not v.alphabet or c.integer(0, 1) == 0):
            return c.choice(v.values)
        return c.text(v.alphabet, v.max_len)
    if v.kind in PATH_NAMES:  # an input file or directory the case makes (``provide``)
        return c.choice(PATH_NAMES[v.kind]).decode("utf-8", "surrogateescape")
    if v.kind == "list":
        items: list[str] = []
        for _ in range(c.size(1, 4)):
            a, b = _list_number(c, v), _list_number(c, v)
            items.append(c.choice((f"{a}", f"{a}-{b}", f"{a}-", f"-{a}")))
            items.append(c.choice((",", ",", " ")))
        return "".join(items[:-1])
    raise AssertionError(f"unknown value kind {v.kind}")


def _list_number(c: Choices, v: ValueSpec) -> int:
    """A position in a list: in the value's range, or one time in 16 just around
    a 31-, 32-, 63- or 64-bit edge (where ``N-`` ranges and "too large" errors part)."""
    if c.integer(0, 15) == 0:
        return c.choice(OVERFLOW_EDGES) + c.integer(-1, 1)
    return c.integer(v.min, v.max)


def near_miss(c: Choices, text: str) -> str:
    """``text`` spoilt by one of ``VALUE_SPOILERS`` or with one token edited."""
    if not text or c.integer(0, 1) == 0:
        before, after = c.choice(VALUE_SPOILERS)
        return before + text + after
    raw = text.encode("utf-8", "surrogateescape")
    return edit_token(c, raw).decode("utf-8", "surrogateescape")


def option_tokens(
    c: Choices, opt: OptionSpec, shortest: int | None = 1, spoil: bool = False, made: Made | None = None
) -> list[str]:
    """One spelling of an option, as the argv tokens it makes; a flag's long name
    may be cut to a prefix of ``shortest`` characters or more (None: never cut).
    With ``spoil``, one value in ``VALUE_NEAR_MISS`` is a ``near_miss``. A value
    of a path kind is added to ``made`` (name: value table), for ``provide`` to make."""
    forms: list[str] = []
    if opt.value is None:
        if opt.short:
            forms.append(f"-{opt.short}")
        if opt.long:
            forms.append(f"--{opt.long}")
            if shortest is not None:  # getopt accepts any unambiguous prefix of a long option
                forms.append(f"--{opt.long[: c.integer(min(shortest, len(opt.long)), len(opt.long))]}")
        return [c.choice(forms)]
    if opt.short:
        forms += ["-x value"] if opt.separate else ["-x", "-x value" if not opt.optional_value else "-"]
    if opt.long:
        forms += ["--x value"] if opt.separate else ["--x=", "--x value" if not opt.optional_value else "--"]
    form = c.choice(forms)
    if form == "-":  # an optional value is attached or absent
        return [f"-{opt.short}"]
    if form == "--":
        return [f"--{opt.long}"]
    x = value(c, opt.value)
    if made is not None and opt.value.kind in PATH_NAMES:
        made[x.encode("utf-8", "surrogateescape")] = opt.value
    if spoil and c.integer(0, VALUE_NEAR_MISS - 1) == 0:
        x = near_miss(c, x)
    if form == "-x":
        return [f"-{opt.short}{x}"]
    if form == "-x value":
        return [f"-{opt.short}", x]
    if form == "--x=":
        return [f"--{opt.long}={x}"]
    return [f"--{opt.long}", x]


#: Paths option values name, each with its value table (kind "file" or "dir"), for ``provide``.
Made = dict[bytes, ValueSpec]


def provide(c: Choices, spec: TaskSpec, made: Made, files: dict[bytes, bytes]) -> None:
    """Make each path an option value names in ``files``: a directory holding
    ``f``, or a file holding one of the value's ``values`` half the time (what the
    program was seen to accept there: a `sed -f` script) and content of the
    task's ``[files]`` otherwise. A name the case already has, as a file or a
    directory, is left as it is (``grep -f in.txt in.txt``)."""
    for name, v in made.items():
        if name in files or any(n.startswith(name + b"/") for n in files):
            continue
        if v.kind == "dir":
            files[name + b"/f"] = b"x\n"
        elif v.values and c.integer(0, 1) == 0:
            files[name] = c.choice(v.values).encode("utf-8", "surrogateescape")
        else:
            files[name] = content(c, spec.files)


def content(c: Choices, spec: ContentSpec) -> bytes:
    """Standard input or a file's content, from one of the spec's models, now and
    then changed in one place (``perturb``): one time in ``PERTURB_SAMPLE`` when
    drawn from the samples, one in ``PERTURB_ONE`` otherwise."""
    model = c.choice(spec.models)
    data = model_content(c, spec, model)
    one_in = PERTURB_SAMPLE if model in ("sample", "samples") else PERTURB_ONE
    if c.integer(0, one_in - 1) == 0:
        data = perturb(c, data)[: spec.max_bytes]
    return data


def perturb(c: Choices, data: bytes) -> bytes:
    """``data`` changed in one place, one of four ways alike: a few bytes deleted;
    an ``EDGE_BYTES`` sequence inserted at a line's start; between two tokens, an
    ``EDGE_BYTES`` sequence or, one time in two, one of the input's own
    separators (``MD5-``, ``((``, ``==``); or one token (``_TOKEN``) edited
    (``edit_token``)."""
    way = c.integer(0, 3)
    if data and way == 0:
        i = c.integer(0, len(data) - 1)
        return data[:i] + data[i + c.integer(1, 4) :]
    if data and way == 3:
        return edit_token(c, data)
    if way == 1:
        starts = [0, *(i + 1 for i, b in enumerate(data) if b == 10 and i + 1 < len(data))]
        i = c.choice(starts)
        return data[:i] + c.choice(EDGE_BYTES) + data[i:]
    spans = token_spans(data)
    i = c.choice([0, *(end for _, end in spans)])
    separators = sorted({data[a] for a, b in spans if _token_kind(data[a:b]) == _OTHER} - {10})  # not newlines
    if separators and c.integer(0, 1) == 0:
        return data[:i] + bytes([c.choice(separators)]) + data[i:]
    return data[:i] + c.choice(EDGE_BYTES) + data[i:]


def token_spans(data: bytes) -> list[tuple[int, int]]:
    """Where ``data``'s tokens (``_TOKEN``) start and end: none only for empty data."""
    return [m.span() for m in _TOKEN.finditer(data)]


def edit_token(c: Choices, data: bytes) -> bytes:
    """``data`` (not empty) with one drawn token deleted, repeated (``REPEATS``),
    made the input's last (the rest cut off) or replaced (``replace_token``).
    The token's kind is drawn first (letters, digits, blanks, any other byte),
    then a token of it: the few blanks and separators that give an input its
    shape are edited as often as the many runs of letters and digits between."""
    kinds: dict[int, list[tuple[int, int]]] = {}
    for a, b in token_spans(data):
        kinds.setdefault(_token_kind(data[a:b]), []).append((a, b))
    a, b = c.choice(c.choice(sorted(kinds.items()))[1])
    token = data[a:b]
    how = c.integer(0, 3)
    if how == 0:
        return data[:a] + data[b:]
    if how == 1:
        return data[:b] + token * (c.choice(REPEATS) - 1) + data[b:]
    if how == 2:
        return data[:b]
    return data[:a] + replace_token(c, data, token) + data[b:]


#: A token's kind (``_token_kind``): a run of letters, of digits, of blanks, or any other byte.
_LETTERS, _DIGITS, _BLANKS, _OTHER = range(4)


def _token_kind(token: bytes) -> int:
    """Which of ``_LETTERS``, ``_DIGITS``, ``_BLANKS`` and ``_OTHER`` a token of ``_TOKEN`` is."""
    if token.isalpha():
        return _LETTERS
    if token.isdigit():
        return _DIGITS
    return _BLANKS if token.strip(b" \t") == b"" else _OTHER


def replace_token(c: Choices, data: bytes, token: bytes) -> bytes:
    """What a token of ``data`` is replaced with: a number by one of
    ``NUMBER_EDGES``, a word by itself in the other case, a run of blanks by a
    shorter or longer one or a tab, any other byte by a byte of ``data`` (a
    padding ``=`` by a letter, a separator by a digit)."""
    if token.isdigit():
        return c.choice(NUMBER_EDGES)
    if token.isalpha():
        return token.swapcase()
    if token.strip(b" \t") == b"":
        return c.choice((b" ", b"\t", token + b" "))
    return bytes([c.choice(data)])


def hostile_name(c: Choices) -> bytes:
    """A file name of one to three bytes of ``NAME_CLASSES`` (a class drawn, then a
    byte of it), each alone or after a letter, now and then followed by one:
    ``a'{``, ``a#``, ``x\\ay``, ``~``."""
    parts = [c.choice((b"", b"a")) + bytes([c.choice(c.choice(NAME_CLASSES))]) for _ in range(c.integer(1, 3))]
    return b"".join(parts) + c.choice((b"", b"b"))


def model_content(c: Choices, spec: ContentSpec, model: str) -> bytes:
    """An input drawn from one of ``spec``'s models, as it is (never perturbed)."""
    if model == "empty":
        return b""
    if model == "bytes":
        return c.binary(spec.max_bytes)
    if model == "text":  # printable lines, so multi-line text is common rather than rare
        lines = [c.text(_PRINTABLE_LINE, 40) for _ in range(c.size(0, 10))]
        return _join_lines(lines, c.integer(0, 1) == 1, spec.max_bytes)
    if model == "lines":  # short field-like lines from a small alphabet: separators, digits, blanks
        lines = [c.text(_FIELD_ALPHABET, 12) for _ in range(c.size(0, 8))]
        return _join_lines(lines, c.integer(0, 1) == 1, spec.max_bytes)
    if model == "alphabet":
        return c.text(spec.alphabet, spec.max_bytes).encode()
    if model == "sample":  # one sample, whole: inputs whose structure matters (sorted, JSON)
        return c.choice(spec.samples).encode()[: spec.max_bytes]
    if model == "samples":
        return "".join(c.choice(spec.samples) for _ in range(c.size(0, 8))).encode()[: spec.max_bytes]
    raise AssertionError(f"unknown content model {model}")


def _join_lines(lines: list[str], final_newline: bool, limit: int) -> bytes:
    text = "\n".join(lines) + ("\n" if final_newline and lines else "")
    return text.encode()[:limit]


class Grammar:
    """A task's cases, made from choices. Built once per task: the tables here are
    what every case consults."""

    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec
        # each option as many times as its weight has WEIGHT_UNITS, at least once if above 0
        weighted = [
            o for o in spec.options for _ in range(max(1, round(o.weight * WEIGHT_UNITS)) if o.weight > 0 else 0)
        ]
        self.options: tuple[OptionSpec, ...] = tuple(weighted or [o for o in spec.options if o.weight > 0])
        # Weights below WEIGHT_UNITS in all (a task whose only options are --help and
        # --version): a draw takes an option only that share of the time, so such
        # rare options stay rare instead of being in nearly every case.
        self.sparse = len(weighted) if 0 < len(weighted) < WEIGHT_UNITS else 0
        # the operand sentences by length: a swapped token comes from one as long
        self.sentences_of: dict[int, list[tuple[str, ...]]] = {}
        for sentence in spec.operands.sentences:
            self.sentences_of.setdefault(len(sentence), []).append(sentence)
        self.groups = [tuple(find_option(spec, n) for n in g) for g in spec.one_of]
        # the options of a one_of group, which ``case`` never gives twice (cut's -b, -c, -f come once)
        self.once = {id(o) for group in self.groups for o in group}
        # An option that needs another at one value (`cksum -l` needs `-a blake2b`) needs
        # a copy of it whose value is that one; ``origin`` maps each copy back.
        self.origin: dict[OptionSpec, OptionSpec] = {}
        self.requires = {o: tuple(self._needed(spec, r) for r in o.requires) for o in spec.options if o.requires}
        self.excludes = any(o.excludes for o in spec.options)
        # the shortest prefix each long option may be cut to (absent: 1; None: never cut)
        self.shortest: dict[OptionSpec, int | None] = {}
        if spec.abbreviate != "any":
            longs = [o.long for o in spec.options if o.long]
            for o in spec.options:
                self.shortest[o] = None if spec.abbreviate == "never" or not o.long else _unique_prefix(o.long, longs)
        self.flags = {f"-{o.short}" for o in spec.options if o.short and o.value is None}
        declared_short = {o.short for o in spec.options if o.short}
        self.unknown_short = tuple(f"-{ch}" for ch in "qzQZ%7" if ch not in declared_short) or ("-\x01",)
        # Deliberate mistakes use the task's options too: never one of weight 0, which
        # the task keeps out of every case.
        used = [o for o in spec.options if o.weight > 0]
        self.valued = tuple(o for o in used if o.value is not None and not o.optional_value)
        self.long_flags = tuple(o for o in used if o.value is None and o.long)

    def _needed(self, spec: TaskSpec, entry: str) -> OptionSpec:
        name, needed = required(entry)
        opt = find_option(spec, name)
        if needed is None or opt.value is None:
            return opt
        pinned = dataclasses.replace(opt, value=ValueSpec("choice", values=(needed,)))
        self.origin[pinned] = opt
        return pinned

    def tokens(
        self, c: Choices, opt: OptionSpec, cut: bool = True, spoil: bool = False, made: Made | None = None
    ) -> list[str]:
        """``option_tokens`` for a drawn option (a long name cut to a prefix the task
        allows, unless ``cut`` is False); a copy pinned to a value it must have is
        spelt with it: an optional value attached (`--color=always`), since the bare
        form (or the value as a word of its own) would lose it."""
        base = self.origin.get(opt)
        if base is not None and opt.optional_value and opt.value is not None:
            pinned = opt.value.values[0]
            return [f"--{opt.long}={pinned}"] if opt.long else [f"-{opt.short}{pinned}"]
        shortest = self.shortest.get(base or opt, 1) if cut else None
        return option_tokens(c, opt, shortest, spoil=spoil, made=made)

    def malformed(self, c: Choices) -> list[str]:
        """One deliberate mistake; ``["\x00missing", option]`` means a value left off the end."""
        forms = ["unknown-short", "unknown-long"]
        if self.valued:
            forms += ["missing-value", "bad-value"]
        if self.long_flags:
            forms.append("flag-with-value")
        form = c.choice(forms)
        if form == "unknown-short":
            return [c.choice(self.unknown_short)]
        if form == "unknown-long":
            return [c.choice(("--bogus", "--no-such-option", "---", "--="))]
        if form == "missing-value":
            return ["\x00missing", c.choice(self.valued).label()]
        if form == "bad-value":  # a known bad one, or a valid one spoilt
            opt = c.choice(self.valued)
            if c.integer(0, 1) == 0 or opt.value is None:
                return [opt.label(), c.choice(BAD_NUMBERS)]
            before, after = c.choice(VALUE_SPOILERS)
            return [opt.label(), before + value(c, opt.value) + after]
        return [f"--{c.choice(self.long_flags).long}=x"]

    def constrain(self, c: Choices, chosen: list[OptionSpec]) -> list[OptionSpec]:
        """Make a valid combination: add what chosen options require (at the value
        they need, where they name one), keep one of each group."""
        base = self.origin.get
        for opt in list(chosen):
            for need in self.requires.get(opt, ()):
                at = [i for i, o in enumerate(chosen) if base(o, o) == base(need, need)]
                if not at:
                    chosen.insert(c.integer(0, len(chosen)), need)
                for i in at:  # each time it is given: the last one given counts
                    chosen[i] = need
        needed = [base(n, n) for o in chosen for n in self.requires.get(o, ())]
        for group in self.groups:
            members = [o for o in chosen if base(o, o) in group]
            if len(members) == 1:
                continue
            wanted = [o for o in members if base(o, o) in needed]
            keep = wanted[0] if wanted else members[0] if members else c.choice(group)
            chosen = [o for o in chosen if base(o, o) not in group]
            chosen.insert(c.integer(0, len(chosen)), keep)
        return chosen

    def exclusive(self, chosen: list[OptionSpec]) -> list[OptionSpec]:
        """Drop each option that a kept one excludes (or that excludes a kept one)."""
        kept: list[OptionSpec] = []
        for opt in chosen:
            if not any(self._excluded(opt, k) for k in kept):
                kept.append(opt)
        return kept

    def _excluded(self, a: OptionSpec, b: OptionSpec) -> bool:
        names_a, names_b = {a.short, a.long} - {None}, {b.short, b.long} - {None}
        return bool(names_b & set(a.excludes)) or bool(names_a & set(b.excludes))

    def string_operand(self, c: Choices) -> str:
        ops = self.spec.operands
        if ops.strings and (ops.value is None or c.integer(0, 1) == 0):
            return "".join(c.choice(ops.strings) for _ in range(c.size(1, 3)))
        return value(c, ops.value) if ops.value is not None else ""

    def files_and_operands(self, c: Choices) -> tuple[list[bytes], dict[bytes, bytes]]:
        ops = self.spec.operands
        files: dict[bytes, bytes] = {name.encode(): data.encode() for name, data in self.spec.fixtures}
        dirs: set[bytes] = set()
        operands: list[bytes] = []
        # half the cases take a sentence; all of them where nothing else is an operand
        if ops.sentences and (ops.max == 0 or c.integer(0, 1) == 0):
            return self.sentence(c, files), files
        for i in range(c.integer(ops.min, ops.max)):
            slot = ops.slots[min(i, len(ops.slots) - 1)] if ops.slots else None
            kind = c.choice(slot.kinds if slot is not None else ops.kinds)
            if kind == "file":
                name = hostile_name(c) if c.integer(0, HOSTILE_ONE - 1) == 0 else c.choice(FILE_NAMES)
                if name not in dirs and name not in files:
                    files[name] = content(c, self.spec.files)
                operands.append(name)
            elif kind == "dash":
                operands.append(b"-")
            elif kind == "missing":
                name = hostile_name(c) if c.integer(0, HOSTILE_ONE - 1) == 0 else c.choice(MISSING_NAMES)
                while name in files or name in dirs:  # it must not name a file of this case
                    name += b"_"
                operands.append(name)
            elif kind == "dir":
                name = c.choice(DIR_NAMES)
                if name not in files:
                    dirs.add(name)
                    files[name + b"/f"] = b"x\n"
                operands.append(name)
            elif kind == "string":
                text = self.string_operand(c) if slot is None else _slot_string(c, slot)
                raw = text.encode("utf-8", "surrogateescape")
                if raw and c.integer(0, PERTURB_ONE - 1) == 0:  # a near-miss of a listed string
                    raw = edit_token(c, raw)
                operands.append(raw)
        return operands, files

    def sentence(self, c: Choices, files: dict[bytes, bytes]) -> list[bytes]:
        """The operands of one of the task's sentences, one time in SENTENCE_MIX
        with one token taken from another sentence of the same length at the same
        place (``3 + 2`` and ``abc : b`` give ``3 : 2``) or drawn from the operand
        slot of its place (``10 + 2``), one time in PERTURB_ONE with one token
        edited as listed strings are; a token that is one of ``FILE_NAMES`` and
        starts with a letter or digit names a file of the case, made three times
        in four."""
        ops = self.spec.operands
        words = list(c.choice(ops.sentences))
        if c.integer(0, SENTENCE_MIX - 1) == 0:
            at = c.integer(0, len(words) - 1)
            slot = ops.slots[min(at, len(ops.slots) - 1)] if ops.slots else None
            if slot is not None and (slot.strings or slot.value is not None) and c.integer(0, 1) == 0:
                words[at] = _slot_string(c, slot)  # a value of the task's own (`10`, `-2`, `2.5`)
            else:
                words[at] = c.choice(self.sentences_of[len(words)])[at]
        operands = [w.encode("utf-8", "surrogateescape") for w in words]
        if c.integer(0, PERTURB_ONE - 1) == 0:  # a near-miss of one token
            at = c.integer(0, len(operands) - 1)
            operands[at] = edit_token(c, operands[at]) if operands[at] else operands[at]
        for name in operands:  # `in.txt`, not the operator `*` or `-n` that FILE_NAMES also holds
            if name in FILE_NAMES and name[:1].isalnum() and name not in files and c.integer(0, HOSTILE_ONE - 1):
                files[name] = content(c, self.spec.files)
        return operands

    def drawn_options(self, c: Choices, made: Made | None = None, chosen: list[OptionSpec] | None = None) -> list[str]:
        """The option tokens of a case: up to ``max_options`` options drawn by
        weight, now and then made a valid combination, spelt and clustered; the
        paths their values name are added to ``made``, the options to ``chosen``."""
        spec = self.spec
        args: list[str] = []
        if self.options:
            picked = [c.choice(self.options) for _ in range(c.integer(0, spec.max_options))]
            if self.sparse:
                picked = [o for o in picked if c.integer(0, WEIGHT_UNITS - 1) < self.sparse]
            if (self.groups or self.requires or self.excludes) and c.integer(0, 99) < CONSTRAINED_SHARE:
                picked = self.constrain(c, picked)
                if self.excludes:
                    picked = self.exclusive(picked)
            for opt in picked:
                args.extend(self.tokens(c, opt, spoil=True, made=made))
            args = _cluster_short_flags(args, self.flags, c)
            if chosen is not None:
                chosen.extend(picked)
        return args

    def case(self, c: Choices, again: Choices | None = None) -> Case:
        """A case drawn from ``c``. With ``again`` (the fresh stream's), one time in
        ``TWICE_ONE`` one of the valued options drawn is given once more, first,
        its value drawn from ``again`` alone: the case is otherwise the one ``c``
        alone makes. Not an option of a ``one_of`` group: the task says one of them
        is given, once."""
        spec = self.spec
        made: Made = {}
        chosen: list[OptionSpec] = []
        args = self.drawn_options(c, made, chosen)
        trailing: list[str] = []
        if c.integer(0, 999) < int(spec.malformed * 1000):
            bad = self.malformed(c)
            if bad[0] == "\x00missing":
                trailing = bad[1:]
            else:
                pos = c.integer(0, len(args))
                args[pos:pos] = bad
        operands, files = self.files_and_operands(c)
        if made:
            provide(c, spec, made, files)
        argv = [a.encode("utf-8", "surrogateescape") for a in args]
        layout = c.integer(0, 9)
        if trailing and layout == 1:  # a value left off the end must stay an option's, not an operand
            layout = 2
        if layout != 1:  # without "--", a file named like an option is named through its directory
            operands = through_directory(operands, files)
        if operands and layout == 0:
            argv = operands + argv  # GNU getopt permutes: operands first is legal
        elif operands and layout == 1:
            argv = [*argv, b"--", *operands]  # end of options
        else:
            argv = argv + operands
        argv += [t.encode() for t in trailing]
        stdin = content(c, spec.stdin)
        if again is not None:
            valued = [
                o for o in chosen if o.value is not None and o.value.kind not in PATH_NAMES and id(o) not in self.once
            ]
            if valued and again.integer(0, TWICE_ONE - 1) == 0:
                twice = self.tokens(again, again.choice(valued))
                argv = [a.encode("utf-8", "surrogateescape") for a in twice] + argv
        return Case(argv=tuple(argv), stdin=stdin, files=tuple(files.items()))


def through_directory(operands: list[bytes], files: dict[bytes, bytes]) -> list[bytes]:
    """Operands with each file named like an option (``-n``) given as ``./-n``, so
    that a program reads it as a file, not as its option."""
    return [b"./" + o if o[:1] == b"-" and o != b"-" and o in files else o for o in operands]


def _unique_prefix(name: str, names: list[str]) -> int:
    """Length of the shortest prefix of ``name`` no other name starts with."""
    for n in range(1, len(name) + 1):
        if not any(other != name and other.startswith(name[:n]) for other in names):
            return n
    return len(name)


def _slot_string(c: Choices, slot: SlotSpec) -> str:
    """A string operand for a slot: its fragments joined, or a value of its kind."""
    if slot.strings and (slot.value is None or c.integer(0, 1) == 0):
        return "".join(c.choice(slot.strings) for _ in range(c.size(1, 3)))
    return value(c, slot.value) if slot.value is not None else ""


def _cluster_short_flags(args: list[str], flags: set[str], c: Choices) -> list[str]:
    """Sometimes merge neighbouring short flags: ``-a -b`` -> ``-ab``."""
    out: list[str] = []
    for a in args:
        if out and a in flags and len(out[-1]) >= 2 and out[-1][0] == "-" and out[-1][1] != "-":
            prev_is_flags = all(f"-{ch}" in flags for ch in out[-1][1:])
            if prev_is_flags and c.integer(0, 2) == 0:
                out[-1] += a[1:]
                continue
        out.append(a)
    return out


_GRAMMARS: dict[int, Grammar] = {}


def grammar_for(spec: TaskSpec) -> Grammar:
    """The task's grammar, built once per spec object."""
    hit = _GRAMMARS.get(id(spec))
    if hit is None or hit.spec is not spec:
        hit = _GRAMMARS[id(spec)] = Grammar(spec)
    return hit


def case_strategy(spec: TaskSpec) -> st.SearchStrategy[Case]:
    """A Hypothesis strategy for whole cases of one task."""
    grammar = Grammar(spec)
    return st.composite(lambda draw: grammar.case(HypothesisChoices(draw)))()


def case_from_bytes(spec: TaskSpec, data: bytes) -> Case:
    """The case a byte string spells in the task's grammar (see ``BytesChoices``)."""
    return grammar_for(spec).case(BytesChoices(data))


def generate_batch(spec: TaskSpec, batch_seed: int, size: int) -> Iterator[Case]:
    """``size`` cases, always the same ones for the same spec and seed, drawn lazily."""
    grammar = grammar_for(spec)
    choices = RandomChoices(random.Random(batch_seed))
    again = RandomChoices(random.Random(derive_seed(batch_seed, "twice")))
    for _ in range(size):
        yield grammar.case(choices, again)


#: One fresh case in TWICE_ONE that has a valued option gives one of them twice
#: (``Grammar.case``): drawn apart, the same valued option rarely comes
#: twice in a case, and a `grep` that kept only its last `-e`, or a `sort` its
#: last `-k`, scored 1.0 at the oracle's default budget (a stranger's ports).
TWICE_ONE = 4

#: Case keys the fresh stream remembers to skip repeats: the most recent ones, so
#: that its memory stays flat over a long campaign. A task whose whole input space
#: is smaller never forgets a case, so the stream still ends when it is exhausted.
STREAM_KEYS = 16384


class RecentKeys:
    """The last ``limit`` case keys added, as a set: a repeat within that horizon is
    recognised, and memory is bounded (each key is kept as 16 bytes of its hash).
    Depends only on the order of additions.

    Kept in two generations, so that no set ever has a key inserted after one was
    removed: ``current`` takes the newest additions (insertions only) and
    ``previous``, the generation before, loses its oldest key with each one.
    A single set with a key removed for each one added fills with deleted slots,
    and CPython then regrows its table to eight times the keys (docs/benchmarks.md,
    "Memory over a long campaign")."""

    def __init__(self, limit: int = STREAM_KEYS) -> None:
        self.limit = limit
        self.current: set[bytes] = set()
        self.current_order: list[bytes | None] = []
        self.previous: set[bytes] = set()
        self.previous_order: list[bytes | None] = []

    @staticmethod
    def _digest(key: str) -> bytes:
        return bytes.fromhex(key[:32]) if len(key) >= 32 else key.encode()

    def __len__(self) -> int:
        return len(self.current) + len(self.previous)

    def __contains__(self, key: str) -> bool:
        digest = self._digest(key)
        return digest in self.current or digest in self.previous

    def add(self, key: str) -> None:
        digest = self._digest(key)
        if digest in self.current or digest in self.previous:
            return
        if len(self.current_order) >= self.limit:
            self.previous, self.previous_order = self.current, self.current_order
            self.current, self.current_order = set(), []
        self.current.add(digest)
        self.current_order.append(digest)
        n = len(self.current_order)
        if n <= len(self.previous_order):  # limit + 1 keys: the oldest one goes
            self.previous.discard(self.previous_order[n - 1])
            self.previous_order[n - 1] = None


def generate_cases(spec: TaskSpec, root_seed: int, budget: int, batch_size: int = BATCH_SIZE) -> Iterator[Case]:
    """A stream of distinct cases for a campaign (within the last ``STREAM_KEYS``):
    at most ``budget`` of them, in a fixed order."""
    seen = RecentKeys(STREAM_KEYS)
    produced = 0
    batch = 0
    dry = 0
    while produced < budget:
        fresh = 0
        for case in generate_batch(spec, derive_seed(root_seed, "batch", batch), batch_size):
            key = case.key()
            if key in seen:
                continue
            seen.add(key)
            fresh += 1
            produced += 1
            yield case
            if produced >= budget:
                return
        batch += 1
        dry = dry + 1 if fresh == 0 else 0
        if dry >= 3:  # the input space is exhausted: three batches gave nothing new
            return
