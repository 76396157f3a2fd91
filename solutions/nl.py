"""GNU nl 9.1 in Python: number the lines of files by section (header, body, footer
delimited by \\:\\:\\:, \\:\\:, \\:) with styles a, t, n and pBRE (POSIX basic regex).
Written from `nl --help` and the coreutils manual's "nl invocation"."""

import os
import re
import sys
import unicodedata

sys.set_int_max_str_digits(0)  # long digit strings are numbers too

PROG = b"nl"

OUT = sys.stdout.buffer
ERR = sys.stderr.buffer


def warn(msg: bytes) -> None:
    ERR.write(PROG + b": " + msg + b"\n")
    ERR.flush()


def try_help() -> None:
    ERR.write(b"Try '" + PROG + b" --help' for more information.\n")
    ERR.flush()
    sys.exit(1)


class OptError(Exception):
    pass


def getopt(args, shorts, longs, stop=None):
    """GNU getopt_long with argument permutation. ``shorts`` maps a one-byte
    option to 0 (flag), 1 (required value) or 2 (optional value); ``longs`` is a
    list of (name, has_arg, key). Yields ('opt', key, value) in order and at the
    end ('operands', list); an error is yielded as ('error', message) and parsing goes on. ``stop``
    ends option processing at an argument for which it is true (POSIX order)."""
    operands = []
    i = 0
    n = len(args)
    while i < n:
        a = args[i]
        i += 1
        if stop is not None and stop(a):
            operands.extend(args[i - 1 :])
            break
        if a == b"--":
            operands.extend(args[i:])
            break
        if a.startswith(b"--"):
            body = a[2:]
            name, eq, val = body.partition(b"=")
            found = None
            for lo in longs:
                if lo[0] == name:
                    found = lo
                    break
            if found is None:
                cands = [lo for lo in longs if lo[0].startswith(name)]
                if cands:
                    first = cands[0]
                    amb = [c for c in cands[1:] if c[1] != first[1] or c[2] != first[2]]
                    if amb:
                        msg = b"option '--" + body + b"' is ambiguous; possibilities:"
                        for c in cands:
                            msg += b" '--" + c[0] + b"'"
                        yield ("error", msg, None)
                        continue
                    found = first
            if found is None:
                yield ("error", b"unrecognized option '--" + body + b"'", None)
                continue
            lname, has_arg, key = found
            if eq:
                if has_arg == 0:
                    yield ("error", b"option '--" + lname + b"' doesn't allow an argument", None)
                else:
                    yield ("opt", key, val)
            elif has_arg == 1:
                if i < n:
                    yield ("opt", key, args[i])
                    i += 1
                else:
                    yield ("error", b"option '--" + lname + b"' requires an argument", None)
            else:
                yield ("opt", key, None)
            continue
        if a.startswith(b"-") and a != b"-":
            j = 1
            while j < len(a):
                c = a[j : j + 1]
                j += 1
                if c not in shorts or c == b":":
                    yield ("error", b"invalid option -- '" + c + b"'", None)
                    continue
                kind = shorts[c]
                if kind == 0:
                    yield ("opt", c, None)
                    continue
                if j < len(a):
                    yield ("opt", c, a[j:])
                elif kind == 1:
                    if i < n:
                        yield ("opt", c, args[i])
                        i += 1
                    else:
                        yield ("error", b"option requires an argument -- '" + c + b"'", None)
                else:
                    yield ("opt", c, None)
                break
            continue
        operands.append(a)
    yield ("operands", operands, None)


# gnulib's quotearg in the shell-escape styles, C locale (solutions/README.md, note S4):
# a name with a single quote is written in two passes, the second starting in the
# escape state the first ended in, and goes between double quotes only when every
# byte may.
_GNULIB_SPECIAL = set(b'!"$&()*;<=>[^`|?')
_GNULIB_PLAIN = set(b"%+,-./0123456789:ABCDEFGHIJKLMNOPQRSTUVWXYZ]_abcdefghijklmnopqrstuvwxyz")
_GNULIB_ESCAPES = {7: b"a", 8: b"b", 12: b"f", 10: b"n", 13: b"r", 9: b"t", 11: b"v"}


class _GnulibRestart(Exception):
    """The name needs its outer quotes: start again in the always-quoting style."""


def _gnulib_units(arg: bytes, utf8: bool) -> list[tuple[bytes, bool]]:
    """(unit, printable): a byte, or in UTF-8 a whole valid character."""
    units: list[tuple[bytes, bool]] = []
    i = 0
    while i < len(arg):
        if arg[i] < 0x80 or not utf8:
            units.append((arg[i : i + 1], 0x20 <= arg[i] < 0x7F))
            i += 1
            continue
        for n in (2, 3, 4):
            try:
                ch = arg[i : i + n].decode("utf-8")
            except UnicodeDecodeError:
                continue
            printable = unicodedata.category(ch) not in ("Cc", "Zl", "Zp", "Cn", "Cs")
            units.append((arg[i : i + n], printable))
            i += n
            break
        else:
            units.append((arg[i : i + 1], False))
            i += 1
    return units


def _gnulib_pass(
    arg: bytes, units: list[tuple[bytes, bool]], colon: bool, elide: bool, pending: bool
) -> tuple[bytes, bool, bool, bool]:
    """One pass over the name: its text, whether a $'...' escape is still open,
    whether a single quote was met, whether every byte may go between double quotes."""
    out = bytearray() if elide else bytearray(b"'")
    single = False
    all_plain = True

    def start_escape() -> None:
        nonlocal pending
        if elide:
            raise _GnulibRestart
        if not pending:
            out.extend(b"'$'")
            pending = True
        out.extend(b"\\")

    for i, (unit, printable) in enumerate(units):
        c = unit[0]
        plain = False
        if len(unit) > 1 or (not printable and c not in _GNULIB_ESCAPES):
            if printable:
                if pending:
                    out.extend(b"''")
                    pending = False
                out.extend(unit)
            else:
                all_plain = False
                for b in unit:
                    start_escape()
                    out.extend(b"%03o" % b)
            continue
        if c in _GNULIB_ESCAPES:
            start_escape()
            out.extend(_GNULIB_ESCAPES[c])
            all_plain = False
            continue
        if c == 0x27:
            single = plain = True
            if elide:
                raise _GnulibRestart
            out.extend(b"'\\'")
            pending = False
        elif (c in b"{}" and len(arg) != 1) or (c in b"#~" and i != 0):
            pass
        elif c in b"{}#~ ":
            plain = True
            if elide:
                raise _GnulibRestart
        elif c in _GNULIB_SPECIAL or c == 0x5C:
            if elide:
                raise _GnulibRestart
        else:
            plain = True
        if elide and colon and c == 0x3A:
            raise _GnulibRestart
        if pending:
            out.extend(b"''")
            pending = False
        out.append(c)
        all_plain = all_plain and plain
    if elide and not out:
        raise _GnulibRestart
    if not elide:
        out.extend(b"'")
    return bytes(out), pending, single, all_plain


def quote_shell(arg: bytes, colon: bool = True, always: bool = False, utf8: bool = False) -> bytes:
    """gnulib quotearg in the shell-escape style (``always``: shell-escape-always),
    ':' quoted too with ``colon``."""
    units = _gnulib_units(arg, utf8)
    if not always:
        try:
            return _gnulib_pass(arg, units, colon, True, False)[0]
        except _GnulibRestart:
            pass
    out, pending, single, all_plain = _gnulib_pass(arg, units, False, False, False)
    if single and all_plain:
        return b'"' + arg + b'"'
    if single:
        out = _gnulib_pass(arg, units, False, False, pending)[0]
    return out


def quote(name: bytes, always: bool = True) -> bytes:
    """gnulib's shell-escape quoting in the C locale: quoteaf when ``always``, else
    quotef (which quotes ':' too)."""
    return quote_shell(name, colon=not always, always=always)


def strerror(exc: OSError) -> bytes:
    return os.strerror(exc.errno or 0).encode()


HELP = b"""Usage: nl [OPTION]... [FILE]...
Write each FILE to standard output, with line numbers added.

With no FILE, or when FILE is -, read standard input.

Mandatory arguments to long options are mandatory for short options too.
  -b, --body-numbering=STYLE      use STYLE for numbering body lines
  -d, --section-delimiter=CC      use CC for logical page delimiters
  -f, --footer-numbering=STYLE    use STYLE for numbering footer lines
  -h, --header-numbering=STYLE    use STYLE for numbering header lines
  -i, --line-increment=NUMBER     line number increment at each line
  -l, --join-blank-lines=NUMBER   group of NUMBER empty lines counted as one
  -n, --number-format=FORMAT      insert line numbers according to FORMAT
  -p, --no-renumber               do not reset line numbers for each section
  -s, --number-separator=STRING   add STRING after (possible) line number
  -v, --starting-line-number=NUMBER  first line number for each section
  -w, --number-width=NUMBER       use NUMBER columns for line numbers
      --help        display this help and exit
      --version     output version information and exit

Default options are: -bt -d'\\:' -fn -hn -i1 -l1 -n'rn' -s<TAB> -v1 -w6

CC are two delimiter characters used to construct logical page delimiters;
a missing second character implies ':'.  As a GNU extension one can specify
more than two characters, and also specifying the empty string (-d '')
disables section matching.

STYLE is one of:

  a      number all lines
  t      number only nonempty lines
  n      number no lines
  pBRE   number only lines that contain a match for the basic regular
         expression, BRE

FORMAT is one of:

  ln     left justified, no leading zeros
  rn     right justified, no leading zeros
  rz     right justified, leading zeros


GNU coreutils online help: <https://www.gnu.org/software/coreutils/>
Report any translation bugs to <https://translationproject.org/team/>
Full documentation <https://www.gnu.org/software/coreutils/nl>
or available locally via: info '(coreutils) nl invocation'
"""

VERSION = b"""nl (GNU coreutils) 9.1
Copyright (C) 2022 Free Software Foundation, Inc.
License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.
This is free software: you are free to change and redistribute it.
There is NO WARRANTY, to the extent permitted by law.

Written by Scott Bartram and David MacKenzie.
"""

INTMAX = 2**63 - 1
INTMIN = -(2**63)
INT_MAX = 2**31 - 1
INT_MIN = -(2**31)


def locale_quote(s: bytes) -> bytes:
    out = bytearray(b"'")
    esc = {7: b"\\a", 8: b"\\b", 12: b"\\f", 10: b"\\n", 13: b"\\r", 9: b"\\t", 11: b"\\v", 92: b"\\\\", 39: b"\\'"}
    for c in s:
        if c in esc:
            out += esc[c]
        elif 32 <= c < 127:
            out.append(c)
        else:
            out += b"\\%03o" % c
    out += b"'"
    return bytes(out)


def die(msg: bytes) -> None:
    warn(msg)
    sys.exit(1)


def dec_to_int(s: bytes, lo: int, hi: int, what: bytes) -> int:
    """gnulib xdectoimax: a decimal integer in [lo, hi], else die naming ``what``."""
    m = re.match(rb"[ \t\n\v\f\r]*[+-]?[0-9]+", s)
    if m is None:
        die(what + b": " + locale_quote(s))
    v = int(m.group(0).strip())
    overflow = not (-(2**63) <= v <= 2**63 - 1)
    if m.end() != len(s):
        die(what + b": " + locale_quote(s))
    if overflow:
        die(what + b": " + locale_quote(s) + b": Value too large for defined data type")
    if v < lo or v > hi:
        if v > INT_MAX // 2 or v < INT_MIN // 2:
            die(what + b": " + locale_quote(s) + b": Value too large for defined data type")
        die(what + b": " + locale_quote(s) + b": Numerical result out of range")
    return v


class RegexError(Exception):
    pass


CLASSES = {
    b"alpha": b"A-Za-z",
    b"digit": b"0-9",
    b"alnum": b"A-Za-z0-9",
    b"upper": b"A-Z",
    b"lower": b"a-z",
    b"space": b" \t\n\r\f\v",
    b"blank": b" \t",
    b"punct": b"!-/:-@[-`{-~",
    b"print": b" -~",
    b"graph": b"!-~",
    b"cntrl": b"\x00-\x1f\x7f",
    b"xdigit": b"0-9A-Fa-f",
}


def _expand(spec: bytes) -> set[int]:
    out: set[int] = set()
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == ord("-"):
            out.update(range(spec[i], spec[i + 2] + 1))
            i += 3
        else:
            out.add(spec[i])
            i += 1
    return out


def translate_bre(pat: bytes) -> bytes:
    """A GNU POSIX basic regular expression as a Python one (for searching)."""
    out: list[bytes] = []
    stack: list[tuple[list[bytes], list[list[bytes]], int]] = []
    branches: list[list[bytes]] = []
    closed: set[int] = set()
    ngroups = 0
    i = 0
    n = len(pat)
    at_start = True

    def dup(op: bytes) -> None:
        out[-1] = b"(?:" + out[-1] + b")" + op

    while i < n:
        c = pat[i]
        start_ctx = at_start
        at_start = False
        if c == 0x5C:
            if i + 1 >= n:
                raise RegexError("Trailing backslash")
            d = pat[i + 1]
            i += 2
            if d == 0x28:
                ngroups += 1
                stack.append((out, branches, ngroups))
                out, branches = [], []
                at_start = True
            elif d == 0x29:
                if not stack:
                    raise RegexError("Unmatched ) or \\)")
                branches.append(out)
                body = b"|".join(b"".join(b) for b in branches)
                out, branches, num = stack.pop()
                closed.add(num)
                out.append(b"(" + body + b")")
            elif d == 0x7C:
                branches.append(out)
                out = []
                at_start = True
            elif d in b"+?":
                if start_ctx or not out:
                    out.append(re.escape(bytes([d])))
                else:
                    dup(bytes([d]))
            elif d == ord("{"):
                if start_ctx or not out:
                    out.append(re.escape(b"{"))
                    continue
                m = re.match(rb"([0-9]*)(,?)([0-9]*)\\}", pat[i:])
                if m is None:
                    if re.match(rb"[0-9,]*\Z", pat[i:]) or re.match(rb"[0-9,]*\\\Z", pat[i:]):
                        raise RegexError("Unmatched \\{")
                    raise RegexError("Invalid content of \\{\\}")
                lo = int(m.group(1)) if m.group(1) else 0
                if not m.group(2):
                    if not m.group(1):
                        raise RegexError("Invalid content of \\{\\}")
                    hi = lo
                    q = b"{%d}" % lo
                else:
                    hi = int(m.group(3)) if m.group(3) else None
                    q = b"{%d,%s}" % (lo, b"" if hi is None else b"%d" % hi)
                if hi is not None and hi < lo:
                    raise RegexError("Invalid content of \\{\\}")
                if (hi if hi is not None else lo) > 32767:
                    raise RegexError("Regular expression too big")
                i += m.end()
                dup(q)
            elif 0x31 <= d <= 0x39:
                if d - 0x30 not in closed:
                    raise RegexError("Invalid back reference")
                out.append(b"(?:\\" + bytes([d]) + b")")
            elif d == ord("w"):
                out.append(b"[A-Za-z0-9_]")
            elif d == ord("W"):
                out.append(b"[^A-Za-z0-9_]")
            elif d == ord("s"):
                out.append(b"[ \\t\\n\\r\\f\\v]")
            elif d == ord("S"):
                out.append(b"[^ \\t\\n\\r\\f\\v]")
            elif d == ord("b"):
                out.append(b"\\b")
            elif d == ord("B"):
                out.append(b"\\B")
            elif d == ord("<"):
                out.append(b"\\b(?=[A-Za-z0-9_])")
            elif d == ord(">"):
                out.append(b"\\b(?<=[A-Za-z0-9_])")
            elif d == ord("`"):
                out.append(b"\\A")
            elif d == ord("'"):
                out.append(b"\\Z")
            else:
                out.append(re.escape(bytes([d])))
            continue
        i += 1
        if c == ord("*"):
            if start_ctx or not out or out[-1] == b"^":
                out.append(b"\\*")
            else:
                dup(b"*")
            continue
        if c == ord("^"):
            if start_ctx:
                out.append(b"^")
                at_start = False
            else:
                out.append(b"\\^")
            continue
        if c == ord("$"):
            anchor = i == n or pat[i : i + 2] in (b"\\|", b"\\)")
            out.append(b"$" if anchor else b"\\$")
            continue
        if c == ord("."):
            out.append(b"[^\\x00]")
            continue
        if c == ord("["):
            negate = False
            if i < n and pat[i] == ord("^"):
                negate = True
                i += 1
            members: set[int] = set()
            first = True
            while True:
                if i >= n:
                    raise RegexError("Unmatched [, [^, [:, [., or [=")
                ch = pat[i]
                if ch == ord("]") and not first:
                    i += 1
                    break
                first = False
                if ch == ord("[") and i + 1 < n and pat[i + 1] in b":.=":
                    kind = pat[i + 1]
                    end = pat.find(bytes([kind, 93]), i + 2)
                    if end < 0:
                        raise RegexError("Unmatched [, [^, [:, [., or [=")
                    name = pat[i + 2 : end]
                    i = end + 2
                    if kind == ord(":"):
                        if name not in CLASSES:
                            raise RegexError("Invalid character class name")
                        members |= _expand(CLASSES[name])
                    elif len(name) == 1:
                        members.add(name[0])
                    else:
                        raise RegexError("Invalid collation character")
                    continue
                if i + 2 < n and pat[i + 1] == ord("-") and pat[i + 2] != ord("]"):
                    hi = pat[i + 2]
                    if hi == ord("[") and i + 3 < n and pat[i + 3] in b".=":
                        raise RegexError("Invalid range end")
                    members.update(range(ch, hi + 1))
                    i += 3
                else:
                    members.add(ch)
                    i += 1
            if negate:
                members = set(range(256)) - members
            if not members:
                out.append(b"(?!)")
            else:
                out.append(b"[" + b"".join(b"\\x%02x" % m for m in sorted(members)) + b"]")
            continue
        out.append(re.escape(bytes([c])))
    if stack:
        raise RegexError("Unmatched ( or \\(")
    branches.append(out)
    return b"|".join(b"".join(b) for b in branches)


class Style:
    def __init__(self, kind: bytes, regex=None) -> None:
        self.kind = kind
        self.regex = regex


def main() -> int:
    args = [os.fsencode(a) for a in sys.argv[1:]]
    shorts = {b"h": 1, b"b": 1, b"f": 1, b"v": 1, b"i": 1, b"p": 0, b"l": 1, b"s": 1, b"w": 1, b"n": 1, b"d": 1}
    longs = [
        (b"header-numbering", 1, b"h"),
        (b"body-numbering", 1, b"b"),
        (b"footer-numbering", 1, b"f"),
        (b"starting-line-number", 1, b"v"),
        (b"line-increment", 1, b"i"),
        (b"no-renumber", 0, b"p"),
        (b"join-blank-lines", 1, b"l"),
        (b"number-separator", 1, b"s"),
        (b"number-width", 1, b"w"),
        (b"number-format", 1, b"n"),
        (b"section-delimiter", 1, b"d"),
        (b"help", 0, b"help"),
        (b"version", 0, b"version"),
    ]
    styles = {b"h": Style(b"n"), b"b": Style(b"t"), b"f": Style(b"n")}
    names = {b"h": b"header", b"b": b"body", b"f": b"footer"}
    start = 1
    incr = 1
    reset = True
    blank_join = 1
    sep = b"\t"
    width = 6
    fmt = b"rn"
    section = bytearray(b"\\:")
    ok = True
    files: list[bytes] = []
    try:
        for kind, key, val in getopt(args, shorts, longs):
            if kind == "error":
                warn(key)
                ok = False
            elif kind == "operands":
                files = key
            elif key in styles:
                c = val[:1]
                if c in (b"a", b"t", b"n"):
                    styles[key] = Style(c)
                elif c == b"p":
                    try:
                        styles[key] = Style(b"p", re.compile(translate_bre(val[1:]), re.S))
                    except RegexError as e:
                        die(str(e).encode())
                else:
                    warn(b"invalid " + names[key] + b" numbering style: " + locale_quote(val))
                    ok = False
            elif key == b"v":
                start = dec_to_int(val, INTMIN, INTMAX, b"invalid starting line number")
            elif key == b"i":
                incr = dec_to_int(val, INTMIN, INTMAX, b"invalid line number increment")
            elif key == b"p":
                reset = False
            elif key == b"l":
                blank_join = dec_to_int(val, 1, INTMAX, b"invalid line number of blank lines")
            elif key == b"s":
                sep = val
            elif key == b"w":
                width = dec_to_int(val, 1, INT_MAX, b"invalid line number field width")
            elif key == b"n":
                if val in (b"ln", b"rn", b"rz"):
                    fmt = val
                else:
                    warn(b"invalid line numbering format: " + locale_quote(val))
                    ok = False
            elif key == b"d":
                if len(val) in (1, 2):
                    section[: len(val)] = val
                else:
                    section = bytearray(val)
            elif key == b"help":
                OUT.write(HELP)
                return 0
            elif key == b"version":
                OUT.write(VERSION)
                return 0
    except OptError as e:
        warn(e.args[0])
        try_help()
    if not ok:
        try_help()
    delim = bytes(section)
    header = delim * 3
    body = delim * 2
    footer = delim
    if width + len(sep) + 1 > 3 << 28:
        # GNU nl allocates its blank number field up front; under the 1 GiB limit
        # such an allocation fails
        die(b"memory exhausted")
    no_line = b" " * (width + len(sep))
    state = {"line": start, "overflow": False, "blanks": 0, "style": styles[b"b"]}
    out: list[bytes] = []

    def number() -> None:
        if state["overflow"]:
            OUT.write(b"".join(out))
            OUT.flush()
            out.clear()
            die(b"line number overflow")
        n = state["line"]
        if fmt == b"ln":
            s = b"%-*d" % (width, n)
        elif fmt == b"rz":
            s = b"%0*d" % (width, n)
        else:
            s = b"%*d" % (width, n)
        out.append(s + sep)
        nxt = n + incr
        if not (INTMIN <= nxt <= INTMAX):
            state["overflow"] = True
        else:
            state["line"] = nxt

    def text(line: bytes) -> None:
        st = state["style"]
        k = st.kind
        if k == b"a":
            if blank_join > 1:
                if line or state["blanks"] + 1 == blank_join:
                    number()
                    state["blanks"] = 0
                else:
                    state["blanks"] += 1
                    out.append(no_line)
            else:
                number()
        elif k == b"t":
            if line:
                number()
            else:
                out.append(no_line)
        elif k == b"n":
            out.append(no_line)
        else:
            if st.regex.search(line):
                number()
            else:
                out.append(no_line)
        out.append(line + b"\n")

    def process(data: bytes) -> None:
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        for line in lines:
            kind = None
            if len(line) >= 2 and len(footer) >= 1 and line[:2] == delim[:2]:
                if line == header:
                    kind = b"h"
                elif line == body:
                    kind = b"b"
                elif line == footer:
                    kind = b"f"
            if kind is None:
                text(line)
            else:
                state["style"] = styles[kind]
                if reset:
                    state["line"] = start
                    state["overflow"] = False
                out.append(b"\n")
            if len(out) > 4096:
                OUT.write(b"".join(out))
                out.clear()

    if not files:
        files = [b"-"]
    status = 0
    stdin_used = False
    for name in files:
        if name == b"-":
            data = b"" if stdin_used else sys.stdin.buffer.read()
            stdin_used = True
        else:
            try:
                with open(name, "rb") as f:
                    data = f.read()
            except OSError as e:
                OUT.write(b"".join(out))
                OUT.flush()
                out.clear()
                warn(quote(name, False) + b": " + strerror(e))
                status = 1
                continue
        process(data)
    OUT.write(b"".join(out))
    OUT.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
