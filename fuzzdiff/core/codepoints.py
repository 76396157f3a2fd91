"""Code points where a character table changes: the inputs a program in a UTF-8
locale meets its tables at.

A program that counts, measures or classes characters (``wc -L``'s display
width, ``wc -w``'s blanks, a case mapping) reads a table of ranges: glibc's for
the reference, whatever the candidate carries for the candidate (Python's
``unicodedata``, a hand-made list of wide ranges, a crate's table). A range
ending one code point early, a table a Unicode version behind, or a category
mapped to the wrong width is wrong only at a few code points, which random
text almost never holds: a port of wc whose width of the Hangul Jamo Extended-B
block (U+D7B0 to U+D7FB) was 1 where glibc's is 0 was judged equivalent over
20,000 cases. ``boundaries()`` lists every code point at which one of those
tables changes, with the code point before it, and U+0000 and U+10FFFF: ``TABLE`` (shipped beside this
module, made by ``python -m fuzzdiff.core.codepoints``) is the union over glibc's
``wcwidth``, its ``isw*`` classes and case mappings in C.UTF-8, and Python's
category, east Asian width, bidirectional class, combining class, mirroring,
decomposition tag, case mapping, ``isspace`` and ``isprintable``. It is a file,
not computed per run, so the same task and seed give the same cases on any
machine. Surrogates at an edge are written as their three-byte encodings,
which no decoder accepts. ``decoder_edges()`` adds the byte sequences at the
edges of UTF-8's forms, where decoders part (a lead past U+10FFFF, a
continuation byte one past its range, a character cut short).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources

#: The shipped table: one run of code points a line, ``4dbf-4dc0`` or ``a0``, in hex.
TABLE = "codepoints.txt"

#: Locale variables in the order the C library reads them for LC_CTYPE.
_CTYPE = ("LC_ALL", "LC_CTYPE", "LANG")
_UTF8 = re.compile(r"utf-?8", re.IGNORECASE)


@cache
def boundaries() -> tuple[int, ...]:
    """Every code point of ``TABLE``, ascending."""
    text = resources.files("fuzzdiff.core").joinpath(TABLE).read_text(encoding="ascii")
    points: list[int] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            first, _, last = line.partition("-")
            points.extend(range(int(first, 16), int(last or first, 16) + 1))
    return tuple(points)


def encode(point: int) -> bytes:
    """``point`` in UTF-8; a surrogate as its (invalid) three-byte form."""
    return chr(point).encode("utf-8", "surrogatepass")


def name(point: int) -> bytes:
    """The name of a file holding ``point``: ``U+4DC0``, as Unicode writes it (a
    ``+`` keeps it apart from the names a case draws, ``d`` beside ``d/f``)."""
    return f"U+{point:04X}".encode()


def utf8_locale(env: Mapping[str, str]) -> bool:
    """Whether a run with ``env`` reads multibyte characters: the first of
    LC_ALL, LC_CTYPE and LANG that is set and not empty names a UTF-8 locale."""
    for variable in _CTYPE:
        value = env.get(variable, "")
        if value:
            return bool(_UTF8.search(value))
    return False


#: Lead bytes of the forms UTF-8 has (RFC 3629), each with the range its second
#: byte must be in and its length: the first and last of each run of leads, and
#: the leads whose second byte is narrowed (E0 and F0 against overlong forms,
#: ED against surrogates, F4 against code points past U+10FFFF).
_LEADS: tuple[tuple[int, int, int, int], ...] = (
    (0xC2, 0x80, 0xBF, 2),
    (0xDF, 0x80, 0xBF, 2),
    (0xE0, 0xA0, 0xBF, 3),
    (0xE1, 0x80, 0xBF, 3),
    (0xEC, 0x80, 0xBF, 3),
    (0xED, 0x80, 0x9F, 3),
    (0xEE, 0x80, 0xBF, 3),
    (0xEF, 0x80, 0xBF, 3),
    (0xF0, 0x90, 0xBF, 4),
    (0xF1, 0x80, 0xBF, 4),
    (0xF3, 0x80, 0xBF, 4),
    (0xF4, 0x80, 0x8F, 4),
)
#: Bytes no character starts with: a continuation byte, the overlong leads C0
#: and C1, and the leads of forms past U+10FFFF or never defined.
_NOT_LEADS = (0x80, 0xBF, 0xC0, 0xC1, 0xF5, 0xF7, 0xF8, 0xFB, 0xFC, 0xFE, 0xFF)
#: A continuation byte at each end of its range (80, BF) and one past each (7F, C0).
_TAILS = (0x7F, 0x80, 0xBF, 0xC0)


def decoder_edges() -> tuple[bytes, ...]:
    """Byte sequences at the edges of UTF-8's forms, where decoders part: each
    lead with its second byte at each end of its range and one past each, and
    every later byte a continuation byte at an end of its range or one past it
    (``F4 90 80 C0``: past U+10FFFF, and broken at its end); each lead cut short
    after each of its bytes; and bytes no character starts with (a continuation
    byte at each end of its range, the overlong leads C0 and C1, leads past F4),
    each before one to three continuation bytes (``C0 80``, an overlong NUL;
    ``F5 80 80 80``)."""
    found: list[bytes] = []
    for lead, low, high, length in _LEADS:
        rests = list(itertools.product(_TAILS, repeat=length - 2))
        for second in dict.fromkeys((low - 1, low, high, high + 1)):
            found += [bytes((lead, second, *rest)) for rest in rests]
        found += [bytes((lead, low, 0x80, 0x80)[:cut]) for cut in range(1, length)]
    found += [bytes((lead, *[0x80] * count)) for lead in _NOT_LEADS for count in (1, 2, 3)]
    return tuple(dict.fromkeys(found))


@cache
def inputs() -> tuple[tuple[bytes, bytes], ...]:
    """(name, bytes) of every input the code point rungs give: each code point of
    ``boundaries()``, named ``U+4DC0``, then each of ``decoder_edges()``, named by
    its bytes (``B+F49080C0``)."""
    named = [(name(point), encode(point)) for point in boundaries()]
    named += [(b"B+" + edge.hex().upper().encode(), edge) for edge in decoder_edges()]
    return tuple(named)


@cache
def lines() -> bytes:
    """Each of ``inputs()`` on a line of its own."""
    return b"".join(data + b"\n" for _, data in inputs())


def _runs(points: list[int]) -> list[str]:
    """``points`` (ascending) as the table's lines."""
    runs: list[str] = []
    start = prev = points[0]
    for point in [*points[1:], -2]:
        if point != prev + 1:
            runs.append(f"{start:x}" if start == prev else f"{start:x}-{prev:x}")
            start = point
        prev = point
    return runs


def make_table() -> str:  # pragma: no cover - run by hand, with glibc's C.UTF-8
    """The table's text, from this machine's glibc and Python."""
    import ctypes
    import locale
    import platform
    import unicodedata

    locale.setlocale(locale.LC_ALL, "C.UTF-8")
    libc = ctypes.CDLL("libc.so.6")
    names = "wcwidth iswprint iswspace iswalpha iswpunct iswupper iswlower iswdigit iswcntrl iswblank iswgraph"
    names += " iswalnum iswxdigit towupper towlower"
    funcs = [getattr(libc, name) for name in names.split()]
    for func in funcs:
        func.argtypes = [ctypes.c_uint32]

    def glibc(point: int) -> tuple[object, ...]:
        got = [func(point) for func in funcs]
        return (got[0], *(bool(x) for x in got[1:-2]), got[-2] != point, got[-1] != point)

    def python(point: int) -> tuple[object, ...]:
        ch = chr(point)
        tag = unicodedata.decomposition(ch)
        return (
            unicodedata.category(ch),
            unicodedata.east_asian_width(ch),
            unicodedata.bidirectional(ch),
            unicodedata.combining(ch),
            unicodedata.mirrored(ch),
            tag.split(" ")[0] if tag.startswith("<") else bool(tag),
            ch.upper() != ch,
            ch.lower() != ch,
            ch.isspace(),
            ch.isprintable(),
        )

    edges = {0, 0x10FFFF}  # the ends of the code space
    for table in (glibc, python):
        before = table(0)
        for point in range(1, 0x110000):
            now = table(point)
            if now != before:
                edges.update((point - 1, point))
            before = now
    head = (
        f"# Code points where a character table changes, and the one before each (fuzzdiff.core.codepoints).\n"
        f"# glibc {platform.libc_ver()[1]} C.UTF-8 and Python {platform.python_version()} "
        f"(Unicode {unicodedata.unidata_version}); {len(edges)} code points.\n"
    )
    return head + "\n".join(_runs(sorted(edges))) + "\n"


if __name__ == "__main__":  # pragma: no cover
    from pathlib import Path

    Path(__file__).with_name(TABLE).write_text(make_table(), encoding="ascii")
