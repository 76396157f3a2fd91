"""GNU tr 9.1 in Python: translate, squeeze and/or delete bytes of standard input.

Written from `tr --help` and the coreutils manual ('tr invocation', 'Character sets'):
escapes, ranges, classes, [=c=], [c*n], -c/-d/-s/-t and their operand and set rules.
"""

import os
import sys
from typing import NoReturn

PROG = b"tr"


OUT = sys.stdout.buffer
ERR = sys.stderr.buffer


def warn(msg: bytes) -> None:
    """Print 'PROG: msg' on stderr, as GNU error() does."""
    OUT.flush()
    ERR.write(PROG + b": " + msg + b"\n")
    ERR.flush()


def errno_text(err: int) -> bytes:
    return os.strerror(err).encode()


def try_help() -> "NoReturn":
    ERR.write(b"Try '" + PROG + b" --help' for more information.\n")
    ERR.flush()
    sys.exit(1)


# ---- gnulib quotearg: the 'shell-escape' style (quotef/quoteaf) and quote() ----

_C_ESCAPES = {7: b"a", 8: b"b", 12: b"f", 10: b"n", 13: b"r", 9: b"t", 11: b"v"}
_SHELL_SPECIAL = set(b" !\"$&'()*;<=>?[\\^`|")


def _units(arg: bytes, utf8: bool) -> list[tuple[bytes, bool]]:
    """Split into (unit, printable) pairs: bytes, or whole characters in UTF-8."""
    units: list[tuple[bytes, bool]] = []
    i = 0
    while i < len(arg):
        c = arg[i]
        if c < 0x80:
            units.append((arg[i : i + 1], 0x20 <= c < 0x7F))
            i += 1
            continue
        if utf8:
            for n in (2, 3, 4):
                chunk = arg[i : i + n]
                try:
                    ch = chunk.decode("utf-8")
                except UnicodeDecodeError:
                    continue
                units.append((chunk, is_printable_wide(ord(ch))))
                i += n
                break
            else:
                units.append((arg[i : i + 1], False))
                i += 1
        else:
            units.append((arg[i : i + 1], False))
            i += 1
    return units


def is_printable_wide(cp: int) -> bool:
    import unicodedata

    cat = unicodedata.category(chr(cp))
    return cat not in ("Cc", "Zl", "Zp", "Cn", "Cs")


def quote_shell(arg: bytes, colon: bool = True, always: bool = False, utf8: bool = False) -> bytes:
    """quotearg's shell-escape style: 'a b', 'it'\\''s', 'new'$'\\n''line'."""
    if arg == b"":
        return b"''"
    units = _units(arg, utf8)
    special = False
    for idx, (u, printable) in enumerate(units):
        c = u[0]
        one_byte_special = (
            c in _SHELL_SPECIAL
            or (colon and c == ord(":"))
            or (idx == 0 and c in b"#~")
            or (len(arg) == 1 and c in b"{}")
        )
        if not printable or (len(u) == 1 and one_byte_special):
            special = True
    if not special and not always:
        return arg
    if b"'" in arg:
        if all(printable for _, printable in units) and not any(c in arg for c in b'"$`\\'):
            return b'"' + arg + b'"'
        # gnulib writes such a name in a second pass that starts in the escape state the
        # first pass ended in: a leading '' (or a bare escape) is what it prints then.
        _, pending = _shell_always(units, False)
        return _shell_always(units, pending)[0]
    return _shell_always(units, False)[0]


def _shell_always(units: list[tuple[bytes, bool]], pending: bool) -> tuple[bytes, bool]:
    out = bytearray(b"'")
    for u, printable in units:
        if not printable:
            if not pending:
                out += b"'$'"
                pending = True
            for c in u:
                out += b"\\" + _C_ESCAPES[c] if c in _C_ESCAPES else b"\\%03o" % c
        elif u == b"'":
            out += b"'\\''"
            pending = False
        else:
            if pending:
                out += b"''"
                pending = False
            out += u
    out += b"'"
    return bytes(out), pending


def quote(arg: bytes) -> bytes:
    """gnulib quote(): the locale style in the C locale, 'x' with C escapes."""
    out = bytearray(b"'")
    for c in arg:
        if c in _C_ESCAPES:
            out += b"\\" + _C_ESCAPES[c]
        elif c == 0x5C:
            out += b"\\\\"
        elif c == 0x27:
            out += b"\\'"
        elif 0x20 <= c < 0x7F:
            out.append(c)
        else:
            out += b"\\%03o" % c
    out += b"'"
    return bytes(out)


# ---- getopt_long with GNU argument permutation ----


class Getopt:
    """Yields (key, optarg) in argv order; key '?' after a reported error."""

    def __init__(
        self, args: list[bytes], shortopts: str, longopts: list[tuple[str, int, str]], stop_at_operand: bool = False
    ) -> None:
        self.args = args
        self.stop_at_operand = stop_at_operand
        self.short: dict[int, int] = {}
        i = 0
        while i < len(shortopts):
            ch = ord(shortopts[i])
            n = 0
            while i + 1 + n < len(shortopts) and shortopts[i + 1 + n] == ":" and n < 2:
                n += 1
            self.short[ch] = n
            i += 1 + n
        self.longopts = longopts  # (name, has_arg 0/1/2, key)
        self.operands: list[bytes] = []

    def __iter__(self):  # type: ignore[no-untyped-def]  # noqa: C901 -- getopt_long's cases, one place
        args = self.args
        i = 0
        while i < len(args):
            a = args[i]
            i += 1
            if a == b"--":
                self.operands.extend(args[i:])
                return
            if a.startswith(b"--"):
                body = a[2:]
                name, eq, value = body.partition(b"=")
                exact = [o for o in self.longopts if o[0].encode() == name]
                if exact:
                    opt = exact[0]
                else:
                    cands = [o for o in self.longopts if o[0].encode().startswith(name)]
                    if not cands:
                        ERR.write(PROG + b": unrecognized option '--" + body + b"'\n")
                        yield "?", None
                        continue
                    first = cands[0]
                    if any(o[1] != first[1] or o[2] != first[2] for o in cands[1:]):
                        msg = PROG + b": option '--" + body + b"' is ambiguous; possibilities:"
                        for o in cands:
                            msg += b" '--" + o[0].encode() + b"'"
                        ERR.write(msg + b"\n")
                        yield "?", None
                        continue
                    opt = first
                lname, has_arg, key = opt
                if eq:
                    if has_arg == 0:
                        ERR.write(PROG + b": option '--" + lname.encode() + b"' doesn't allow an argument\n")
                        yield "?", None
                        continue
                    yield key, value
                elif has_arg == 1:
                    if i < len(args):
                        i += 1
                        yield key, args[i - 1]
                    else:
                        ERR.write(PROG + b": option '--" + lname.encode() + b"' requires an argument\n")
                        yield "?", None
                else:
                    yield key, None
                continue
            if a.startswith(b"-") and len(a) > 1:
                j = 1
                while j < len(a):
                    c = a[j]
                    j += 1
                    if c not in self.short or c == ord(":"):
                        ERR.write(PROG + b": invalid option -- '" + bytes([c]) + b"'\n")
                        yield "?", None
                        continue
                    need = self.short[c]
                    if need == 0:
                        yield chr(c), None
                    elif need == 2:
                        rest = a[j:]
                        yield chr(c), (rest if rest else None)
                        break
                    else:
                        rest = a[j:]
                        if rest:
                            yield chr(c), rest
                        elif i < len(args):
                            i += 1
                            yield chr(c), args[i - 1]
                        else:
                            ERR.write(PROG + b": option requires an argument -- '" + bytes([c]) + b"'\n")
                            yield "?", None
                        break
                continue
            self.operands.append(a)
            if self.stop_at_operand:
                self.operands.extend(args[i:])
                return


def xstrtoumax(s: bytes, suffixes: bytes | None) -> tuple[str, int]:  # noqa: C901 -- gnulib's cases
    """gnulib xstrtoumax: ('ok'|'invalid'|'suffix'|'overflow'|'suffix-overflow', value)."""
    MAX = 2**64 - 1
    p = 0
    while p < len(s) and s[p] in b" \t\n\v\f\r":
        p += 1
    if p < len(s) and s[p] == ord("-"):
        return "invalid", 0
    q = p
    if q < len(s) and s[q] == ord("+"):
        q += 1
    d = q
    while d < len(s) and 0x30 <= s[d] <= 0x39:
        d += 1
    err = "ok"
    if d == q:
        if suffixes is not None and p < len(s) and s[p] in suffixes:
            val = 1
            d = p
        else:
            return "invalid", 0
    else:
        val = int(s[q:d])
        if val > MAX:
            val = MAX
            err = "overflow"
    rest = s[d:]
    if suffixes is None:
        if rest:
            return ("suffix-overflow" if err == "overflow" else "suffix"), val
        return err, val
    if rest:
        if rest[0] not in suffixes:
            return ("suffix-overflow" if err == "overflow" else "suffix"), val
        base = 1024
        skip = 1
        if ord("0") in suffixes and len(rest) > 1:
            if rest[1] == ord("i"):
                if len(rest) > 2 and rest[2] == ord("B"):
                    skip += 2
            elif rest[1] in b"BD":
                base = 1000
                skip += 1
        powers = {"b": (512, 1), "B": (1024, 1), "c": (1, 1), "w": (2, 1)}
        exps = {"k": 1, "K": 1, "m": 2, "M": 2, "g": 3, "G": 3, "t": 4, "T": 4, "P": 5, "E": 6, "Z": 7, "Y": 8}
        ch = chr(rest[0])
        if ch in powers:
            mult = powers[ch][0]
        elif ch in exps:
            mult = base ** exps[ch]
        else:
            return ("suffix-overflow" if err == "overflow" else "suffix"), val
        val *= mult
        if val > MAX:
            val = MAX
            err = "overflow"
        if rest[skip:]:
            return ("suffix-overflow" if err == "overflow" else "suffix"), val
    return err, val


def xnumtoumax(s: bytes, lo: int, hi: int, suffixes: bytes | None, what: bytes) -> int:
    err, val = xstrtoumax(s, suffixes)
    eno = 0
    if err == "ok":
        if val < lo or val > hi:
            err = "range"
            eno = 75 if val > 2**31 // 2 else 34  # EOVERFLOW, ERANGE
    elif err == "overflow":
        eno = 75
    if err != "ok":
        msg = what + b": " + quote(s)
        if eno:
            msg += b": " + errno_text(eno)
        warn(msg)
        sys.exit(1)
    return val


def open_input(name: bytes) -> int:
    """The fd of a named file (raises OSError); directories open, reads fail."""
    return os.open(name, os.O_RDONLY)


def read_all(fd: int) -> tuple[bytes, int]:
    """Everything up to EOF and the errno of a failed read (0 if none)."""
    chunks = []
    while True:
        try:
            b = os.read(fd, 65536)
        except OSError as e:
            return b"".join(chunks), e.errno or 0
        if not b:
            return b"".join(chunks), 0
        chunks.append(b)


VERSION_TAIL = b"""Copyright (C) 2022 Free Software Foundation, Inc.
License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.
This is free software: you are free to change and redistribute it.
There is NO WARRANTY, to the extent permitted by law.

"""


def help_tail(name: str) -> bytes:
    return (
        "\nGNU coreutils online help: <https://www.gnu.org/software/coreutils/>\n"
        "Report any translation bugs to <https://translationproject.org/team/>\n"
        f"Full documentation <https://www.gnu.org/software/coreutils/{name}>\n"
        f"or available locally via: info '(coreutils) {name} invocation'\n"
    ).encode()


def argv_bytes() -> list[bytes]:
    return [os.fsencode(a) for a in sys.argv[1:]]


HELP = b"""Usage: tr [OPTION]... STRING1 [STRING2]
Translate, squeeze, and/or delete characters from standard input,
writing to standard output.  STRING1 and STRING2 specify arrays of
characters ARRAY1 and ARRAY2 that control the action.

  -c, -C, --complement    use the complement of ARRAY1
  -d, --delete            delete characters in ARRAY1, do not translate
  -s, --squeeze-repeats   replace each sequence of a repeated character
                            that is listed in the last specified ARRAY,
                            with a single occurrence of that character
  -t, --truncate-set1     first truncate ARRAY1 to length of ARRAY2
      --help        display this help and exit
      --version     output version information and exit

ARRAYs are specified as strings of characters.  Most represent themselves.
Interpreted sequences are:

  \\NNN            character with octal value NNN (1 to 3 octal digits)
  \\\\              backslash
  \\a              audible BEL
  \\b              backspace
  \\f              form feed
  \\n              new line
  \\r              return
  \\t              horizontal tab
  \\v              vertical tab
  CHAR1-CHAR2     all characters from CHAR1 to CHAR2 in ascending order
  [CHAR*]         in ARRAY2, copies of CHAR until length of ARRAY1
  [CHAR*REPEAT]   REPEAT copies of CHAR, REPEAT octal if starting with 0
  [:alnum:]       all letters and digits
  [:alpha:]       all letters
  [:blank:]       all horizontal whitespace
  [:cntrl:]       all control characters
  [:digit:]       all digits
  [:graph:]       all printable characters, not including space
  [:lower:]       all lower case letters
  [:print:]       all printable characters, including space
  [:punct:]       all punctuation characters
  [:space:]       all horizontal or vertical whitespace
  [:upper:]       all upper case letters
  [:xdigit:]      all hexadecimal digits
  [=CHAR=]        all characters which are equivalent to CHAR

Translation occurs if -d is not given and both STRING1 and STRING2 appear.
-t may be used only when translating.  ARRAY2 is extended to length of
ARRAY1 by repeating its last character as necessary.  Excess characters
of ARRAY2 are ignored.  Character classes expand in unspecified order;
while translating, [:lower:] and [:upper:] may be used in pairs to
specify case conversion.  Squeezing occurs after translation or deletion.
""" + help_tail("tr")

VERSION = b"tr (GNU coreutils) 9.1\n" + VERSION_TAIL + b"Written by Jim Meyering.\n"


def _cls(pred) -> list[int]:  # type: ignore[no-untyped-def]
    return [c for c in range(256) if pred(c)]


def _alpha(c: int) -> bool:
    return 65 <= c <= 90 or 97 <= c <= 122


def _digit(c: int) -> bool:
    return 48 <= c <= 57


CLASSES: dict[bytes, list[int]] = {
    b"alnum": _cls(lambda c: _alpha(c) or _digit(c)),
    b"alpha": _cls(_alpha),
    b"blank": [9, 32],
    b"cntrl": _cls(lambda c: c < 32 or c == 127),
    b"digit": _cls(_digit),
    b"graph": _cls(lambda c: 33 <= c <= 126),
    b"lower": _cls(lambda c: 97 <= c <= 122),
    b"print": _cls(lambda c: 32 <= c <= 126),
    b"punct": _cls(lambda c: 33 <= c <= 126 and not (_alpha(c) or _digit(c))),
    b"space": [9, 10, 11, 12, 13, 32],
    b"upper": _cls(lambda c: 65 <= c <= 90),
    b"xdigit": _cls(lambda c: _digit(c) or 65 <= c <= 70 or 97 <= c <= 102),
}

UL_NONE, UL_LOWER, UL_UPPER = 0, 1, 2


def fail(msg: bytes) -> NoReturn:
    warn(msg)
    sys.exit(1)


def printable_char(c: int) -> bytes:
    return bytes([c]) if 32 <= c < 127 else b"\\%03o" % c


def printable_str(s: bytes) -> bytes:
    out = bytearray()
    for c in s:
        if c == 0x5C:
            out += b"\\\\"
        elif c in _C_ESCAPES:
            out += b"\\" + _C_ESCAPES[c]
        elif 32 <= c < 127:
            out.append(c)
        else:
            out += b"\\%03o" % c
    return bytes(out)


class Element:
    """One construct of a set: its characters (a repeat keeps only its count), its case class."""

    def __init__(self, kind: str, chars: list[int], ul: int = UL_NONE, restricted: bool = False) -> None:
        self.kind = kind
        self.chars = chars
        self.ul = ul
        self.restricted = restricted
        self.indefinite = False
        self.rep_char = chars[0] if chars else 0
        self.count = len(chars)

    @classmethod
    def repeat(cls, ch: int, count: int) -> "Element":
        e = cls("rep", [ch])
        e.count = count
        return e

    def at(self, pos: int) -> int:
        return self.rep_char if self.kind == "rep" else self.chars[pos]

    def members(self) -> list[int]:
        if self.kind == "rep":
            return [self.rep_char] if self.count else []
        return self.chars


class Spec:
    def __init__(self, elems: list[Element]) -> None:
        self.elems = elems
        self.length = 0
        self.has_char_class = False
        self.has_equiv = False
        self.has_restricted = False
        self.n_indef = 0
        self.indef: Element | None = None
        self.reset()

    def reset(self) -> None:
        self.ei = 0
        self.pos = 0

    def stats(self) -> None:
        self.length = 0
        for e in self.elems:
            if e.kind == "rep" and e.indefinite:
                self.n_indef += 1
                self.indef = e
            self.length += e.count
            if e.kind == "class":
                self.has_char_class = True
                if e.restricted:
                    self.has_restricted = True
            if e.kind == "equiv":
                self.has_equiv = True

    def get_next(self) -> tuple[int, int]:
        while self.ei < len(self.elems) and self.pos >= self.elems[self.ei].count:
            self.ei += 1
            self.pos = 0
        if self.ei >= len(self.elems):
            return -1, UL_NONE
        e = self.elems[self.ei]
        c = e.at(self.pos)
        self.pos += 1
        if self.pos >= e.count:
            self.ei += 1
            self.pos = 0
        return c, e.ul

    def rep_left(self) -> int:
        """Characters left in the current element if it is a repeat, else 0."""
        while self.ei < len(self.elems) and self.pos >= self.elems[self.ei].count:
            self.ei += 1
            self.pos = 0
        if self.ei < len(self.elems) and self.elems[self.ei].kind == "rep":
            return self.elems[self.ei].count - self.pos
        return 0

    def new_element(self) -> bool:
        return self.pos == 0

    def skip(self) -> None:
        if self.ei < len(self.elems):
            self.ei += 1
        self.pos = 0

    def members(self) -> set[int]:
        out: set[int] = set()
        for e in self.elems:
            out.update(e.members())
        return out


def unquote(s: bytes) -> tuple[list[int], list[bool]]:
    chars: list[int] = []
    esc: list[bool] = []
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c != 0x5C:
            chars.append(c)
            esc.append(False)
            i += 1
            continue
        nxt = s[i + 1] if i + 1 < n else None
        escaped = True
        if nxt is None:
            warn(b"warning: an unescaped backslash at end of string is not portable")
            chars.append(0x5C)
            esc.append(False)
            i += 1
            continue
        if nxt in b"01234567":
            v = nxt - 48
            j = i + 2
            if j < n and s[j] in b"01234567":
                v = v * 8 + s[j] - 48
                j += 1
                if j < n and s[j] in b"01234567":
                    if v * 8 + s[j] - 48 < 256:
                        v = v * 8 + s[j] - 48
                        j += 1
                    else:
                        a, b, d = chr(s[j - 2]), chr(s[j - 1]), chr(s[j])
                        warn(
                            (
                                f"warning: the ambiguous octal escape \\{a}{b}{d} is being\n\tinterpreted"
                                f" as the 2-byte sequence \\0{a}{b}, {d}"
                            ).encode()
                        )
            chars.append(v)
            esc.append(escaped)
            i = j
            continue
        table = {
            ord("\\"): 0x5C,
            ord("a"): 7,
            ord("b"): 8,
            ord("f"): 12,
            ord("n"): 10,
            ord("r"): 13,
            ord("t"): 9,
            ord("v"): 11,
        }
        chars.append(table.get(nxt, nxt))
        esc.append(escaped)
        i += 2
    return chars, esc


def parse(arg: bytes) -> Spec:  # noqa: C901 -- the set grammar: classes, [=c=], [c*n], ranges
    p, esc = unquote(arg)
    n = len(p)

    def match(i: int, ch: str) -> bool:
        return i < n and p[i] == ord(ch) and not esc[i]

    def closing_delim(start: int, ch: int) -> int:
        for k in range(start, n - 1):
            if p[k] == ch and p[k + 1] == ord("]") and not esc[k] and not esc[k + 1]:
                return k
        return -1

    def star_digits_close(idx: int) -> bool:
        if not match(idx, "*"):
            return False
        for k in range(idx + 1, n):
            if not (48 <= p[k] <= 57) or esc[k]:
                return match(k, "]")
        return False

    def bracketed_repeat(start: int) -> tuple[int, int, int, bool]:
        """(status, char, count, indefinite): status 0 found, -1 none, -2 error."""
        if not match(start + 1, "*"):
            return -1, 0, 0, False
        k = start + 2
        while k < n and not esc[k]:
            if p[k] == ord("]"):
                digits = bytes(p[start + 2 : k])
                ch = p[start]
                if not digits:
                    return 0, ch, 0, True
                err, val = xstrtoumax(digits, None) if digits[0] != 0x30 else _octal(digits)
                if err != "ok" or val > 2**64 - 2:
                    fail(b"invalid repeat count " + quote(printable_str(digits)) + b" in [c*n] construct")
                return 0, ch, val, val == 0
            k += 1
        return -1, 0, 0, False

    elems: list[Element] = []
    i = 0
    while i + 2 < n:
        if match(i, "["):
            c1 = p[i + 1]
            handled = False
            try_repeat = True
            if c1 in (ord(":"), ord("=")):
                k = closing_delim(i + 2, c1)
                if k >= 0:
                    opnd = bytes(p[i + 2 : k])
                    if not opnd:
                        if c1 == ord(":"):
                            fail(b"missing character class name '[::]'")
                        fail(b"missing equivalence class character '[==]'")
                    if c1 == ord(":"):
                        if opnd in CLASSES:
                            elems.append(
                                Element(
                                    "class",
                                    CLASSES[opnd],
                                    UL_LOWER if opnd == b"lower" else UL_UPPER if opnd == b"upper" else UL_NONE,
                                    opnd not in (b"upper", b"lower"),
                                )
                            )
                            i = k + 2
                            continue
                        if not star_digits_close(i + 2):
                            fail(b"invalid character class " + quote(printable_str(opnd)))
                    else:
                        if len(opnd) == 1:
                            elems.append(Element("equiv", [opnd[0]]))
                            i = k + 2
                            continue
                        if not star_digits_close(i + 2):
                            fail(printable_str(opnd) + b": equivalence class operand must be a single character")
            if try_repeat:
                status, ch, count, indef = bracketed_repeat(i + 1)
                if status == 0:
                    e = Element.repeat(ch, count)
                    e.indefinite = indef
                    elems.append(e)
                    k = i + 2
                    while p[k] != ord("]") or esc[k]:
                        k += 1
                    i = k + 1
                    handled = True
            if handled:
                continue
        if match(i + 1, "-"):
            lo, hi = p[i], p[i + 2]
            if lo > hi:
                fail(
                    b"range-endpoints of '"
                    + printable_char(lo)
                    + b"-"
                    + printable_char(hi)
                    + b"' are in reverse collating sequence order"
                )
            elems.append(Element("range", list(range(lo, hi + 1))))
            i += 3
        else:
            elems.append(Element("char", [p[i]]))
            i += 1
    while i < n:
        elems.append(Element("char", [p[i]]))
        i += 1
    return Spec(elems)


def _octal(digits: bytes) -> tuple[str, int]:
    k = 0
    while k < len(digits) and digits[k] in b"01234567":
        k += 1
    if k != len(digits):
        return "suffix", 0
    return "ok", int(digits, 8)


def skip_repeats(s1: Spec, s2: Spec) -> None:
    """Steps pairing a repeat with a repeat all do the same thing: take all but the last at once."""
    k = min(s1.rep_left(), s2.rep_left())
    if k > 1:
        s1.pos += k - 1
        s2.pos += k - 1


def validate_case_classes(s1: Spec, s2: Spec, complement: bool) -> None:
    if complement or not s2.has_char_class:
        return
    s1.reset()
    s2.reset()
    c1 = c2 = 0
    new1 = new2 = True
    while c1 != -1 and c2 != -1:
        skip_repeats(s1, s2)
        c1, k1 = s1.get_next()
        c2, k2 = s2.get_next()
        if new2 and k2 != UL_NONE and not (new1 and k1 != UL_NONE):
            fail(b"misaligned [:upper:] and/or [:lower:] construct")
        if k2 != UL_NONE:
            s1.skip()
            s2.skip()
            s1.length -= 25
            s2.length -= 25
        new1 = s1.new_element()
        new2 = s2.new_element()
    s1.reset()
    s2.reset()


def main() -> None:  # noqa: C901 -- operand rules, set validation and the four actions
    args = argv_bytes()
    longopts = [
        ("complement", 0, "c"),
        ("delete", 0, "d"),
        ("squeeze-repeats", 0, "s"),
        ("truncate-set1", 0, "t"),
        ("help", 0, "help"),
        ("version", 0, "version"),
    ]
    g = Getopt(args, "AcCdst", longopts, stop_at_operand=True)
    complement = delete = squeeze = truncate = False
    for key, _val in g:
        if key in ("c", "C"):
            complement = True
        elif key == "d":
            delete = True
        elif key == "s":
            squeeze = True
        elif key == "t":
            truncate = True
        elif key == "A":
            pass
        elif key == "help":
            OUT.write(HELP)
            sys.exit(0)
        elif key == "version":
            OUT.write(VERSION)
            sys.exit(0)
        else:
            try_help()
    ops = g.operands
    nargs = len(ops)
    translating = nargs == 2 and not delete
    min_ops = 1 + (delete == squeeze)
    max_ops = 1 + (delete <= squeeze)
    if nargs < min_ops:
        if nargs == 0:
            warn(b"missing operand")
        else:
            warn(b"missing operand after " + quote(ops[-1]))
            if squeeze:
                ERR.write(b"Two strings must be given when both deleting and squeezing repeats.\n")
            else:
                ERR.write(b"Two strings must be given when translating.\n")
        try_help()
    if max_ops < nargs:
        warn(b"extra operand " + quote(ops[max_ops]))
        if nargs == 2:
            ERR.write(b"Only one string may be given when deleting without squeezing repeats.\n")
        try_help()

    s1 = parse(ops[0])
    s2 = parse(ops[1]) if nargs == 2 else None

    s1.stats()
    if complement:
        s1.length = 256 - len(s1.members())
    if s1.n_indef > 0:
        fail(b"the [c*] repeat construct may not appear in string1")
    if s2 is not None:
        s2.stats()
        if s1.length >= s2.length and s2.n_indef == 1:
            assert s2.indef is not None
            fill = s1.length - s2.length
            s2.indef.count = fill
            s2.length = s1.length
        if s2.n_indef > 1:
            fail(b"only one [c*] repeat construct may appear in string2")
        if translating:
            if s2.has_equiv:
                fail(b"[=c=] expressions may not appear in string2 when translating")
            if s2.has_restricted:
                fail(
                    b"when translating, the only character classes that may appear in\nstring2 are 'upper' and 'lower'"
                )
            validate_case_classes(s1, s2, complement)
            if s1.length > s2.length and not truncate:
                if s2.length == 0:
                    fail(b"when not truncating set1, string2 must be non-empty")
                tail = s2.elems[-1]
                if tail.kind == "class":
                    fail(
                        b"when translating with string1 longer than string2,\n"
                        b"the latter string must not end with a character class"
                    )
                last = tail.rep_char if tail.kind == "rep" else tail.chars[-1]
                s2.elems.append(Element.repeat(last, s1.length - s2.length))
                s2.length = s1.length
            if complement and s1.has_char_class:
                s2.reset()
                chars = set()
                for e in s2.elems:
                    chars.update(e.members())
                homogeneous = len(chars) == 1
                if not (s2.length == s1.length and homogeneous):
                    fail(
                        b"when translating with complemented character classes,\n"
                        b"string2 must map all characters in the domain to one"
                    )
        elif s2.n_indef > 0:
            fail(b"the [c*] construct may appear in string2 only when translating")

    data, _eno = read_all(0)

    def squeeze_out(buf: bytes, sset: set[int]) -> bytes:
        out = bytearray()
        for c in buf:
            if out and c == out[-1] and c in sset:
                continue
            out.append(c)
        return bytes(out)

    set1 = s1.members()
    if complement:
        set1 = set(range(256)) - set1
    if squeeze and nargs == 1:
        result = squeeze_out(data, set1)
    elif delete and nargs == 1:
        result = bytes(c for c in data if c not in set1)
    elif delete and squeeze:
        assert s2 is not None
        result = squeeze_out(bytes(c for c in data if c not in set1), s2.members())
    else:
        assert s2 is not None
        xlate = list(range(256))
        s1.reset()
        s2.reset()
        if complement:
            inside = s1.members()
            for i in range(256):
                if i not in inside:
                    c, _ = s2.get_next()
                    if c == -1:
                        break
                    xlate[i] = c
        else:
            while True:
                skip_repeats(s1, s2)
                c1, k1 = s1.get_next()
                c2, k2 = s2.get_next()
                if k1 == UL_LOWER and k2 == UL_UPPER:
                    for i in range(97, 123):
                        xlate[i] = i - 32
                elif k1 == UL_UPPER and k2 == UL_LOWER:
                    for i in range(65, 91):
                        xlate[i] = i + 32
                else:
                    if c1 == -1 or c2 == -1:
                        break
                    xlate[c1] = c2
                if k2 != UL_NONE:
                    s1.skip()
                    s2.skip()
        table = bytes(xlate)
        result = data.translate(table)
        if squeeze:
            result = squeeze_out(result, s2.members())
    OUT.write(result)
    OUT.flush()
    sys.exit(0)


if __name__ == "__main__":
    main()
