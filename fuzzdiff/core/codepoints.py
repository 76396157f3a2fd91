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
tables changes, with the code point before it, and U+10FFFF: ``TABLE`` (shipped beside this
module, made by ``python -m fuzzdiff.core.codepoints``) is the union over glibc's
``wcwidth``, its ``isw*`` classes and case mappings in C.UTF-8, and Python's
category, east Asian width, bidirectional class, combining class, mirroring,
decomposition tag, case mapping, ``isspace`` and ``isprintable``. It is a file,
not computed per run, so the same task and seed give the same cases on any
machine. Surrogates at an edge are written as their three-byte encodings,
which no decoder accepts.
"""

from __future__ import annotations

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
    for name in _CTYPE:
        value = env.get(name, "")
        if value:
            return bool(_UTF8.search(value))
    return False


def lines() -> bytes:
    """Each boundary code point on a line of its own."""
    return b"".join(encode(point) + b"\n" for point in boundaries())


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
