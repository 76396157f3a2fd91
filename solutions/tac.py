"""GNU tac 9.1 in Python: print files last record first, records ended (or, with -b,
begun) by a separator string or, with -r, an Emacs-syntax GNU regular expression.
Written from `tac --help`, the coreutils manual's "tac invocation" and glibc's regex syntax notes."""

import os
import re
import sys
import time
import unicodedata

PROG = b"tac"

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


HELP = b"""Usage: tac [OPTION]... [FILE]...
Write each FILE to standard output, last line first.

With no FILE, or when FILE is -, read standard input.

Mandatory arguments to long options are mandatory for short options too.
  -b, --before             attach the separator before instead of after
  -r, --regex              interpret the separator as a regular expression
  -s, --separator=STRING   use STRING as the separator instead of newline
      --help        display this help and exit
      --version     output version information and exit

GNU coreutils online help: <https://www.gnu.org/software/coreutils/>
Report any translation bugs to <https://translationproject.org/team/>
Full documentation <https://www.gnu.org/software/coreutils/tac>
or available locally via: info '(coreutils) tac invocation'
"""

VERSION = b"""tac (GNU coreutils) 9.1
Copyright (C) 2022 Free Software Foundation, Inc.
License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.
This is free software: you are free to change and redistribute it.
There is NO WARRANTY, to the extent permitted by law.

Written by Jay Lepreau and David MacKenzie.
"""


class RegexError(Exception):
    pass


def _lit(c: int) -> bytes:
    return re.escape(bytes([c]))


def translate(pat: bytes) -> bytes:
    """An Emacs-syntax (RE_SYNTAX_EMACS) GNU regular expression as a Python one."""
    out: list[bytes] = []  # finished atoms of the current branch, in order
    stack: list[tuple[list[bytes], list[list[bytes]], int]] = []
    branches: list[list[bytes]] = []
    closed: set[int] = set()
    ngroups = 0
    i = 0
    n = len(pat)
    at_start = True  # start of pattern, after \( or \|

    def dup(op: bytes) -> None:
        last = out[-1]
        out[-1] = b"(?:" + last + b")" + op

    while i < n:
        c = pat[i]
        start_ctx = at_start
        at_start = False
        if c == 0x5C:  # backslash
            if i + 1 >= n:
                raise RegexError("Trailing backslash")
            d = pat[i + 1]
            i += 2
            if d == 0x28:  # \(
                ngroups += 1
                stack.append((out, branches, ngroups))
                out, branches = [], []
                at_start = True
            elif d == 0x29:  # \)
                if not stack:
                    raise RegexError("Unmatched ) or \\)")
                branches.append(out)
                body = b"|".join(b"".join(b) for b in branches)
                out, branches, num = stack.pop()
                closed.add(num)
                out.append(b"(" + body + b")")
            elif d == 0x7C:  # \|
                branches.append(out)
                out = []
                at_start = True
            elif 0x31 <= d <= 0x39:
                num = d - 0x30
                if num not in closed:
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
                out.append(_lit(d))
            continue
        i += 1
        if c in b"*+?":
            if start_ctx or not out:
                out.append(_lit(c))
            else:
                dup(bytes([c]))
            continue
        if c == ord("^"):
            out.append(b"(?m:^)" if start_ctx else _lit(c))
            continue
        if c == ord("$"):
            anchor = i == n or pat[i : i + 2] in (b"\\|", b"\\)")
            out.append(b"(?m:$)" if anchor else _lit(c))
            continue
        if c == ord("."):
            out.append(b"[^\\n]")
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
                if i + 2 < n and pat[i + 1] == ord("-") and pat[i + 2] != ord("]"):
                    hi = pat[i + 2]
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
        out.append(_lit(c))
    if stack:
        raise RegexError("Unmatched ( or \\(")
    branches.append(out)
    return b"|".join(b"".join(b) for b in branches)


class Hang(Exception):
    pass


def records(data: bytes, sep: bytes, regex, before: bool) -> list[bytes]:
    parts: list[bytes] = []
    past_end = len(data)
    match_start = len(data)
    first_time = True
    while True:
        found = -1
        length = 0
        if regex is not None:
            i = match_start
            p = i - 1
            while p >= 0:
                m = regex.match(data, p, i)
                if m is not None:
                    found, length = p, m.end() - p
                    break
                p -= 1
        elif sep == b"":
            # an empty separator: the string's terminating NUL, matched with length 0
            found = data.rfind(b"\0", 0, match_start)
            length = 0
        else:
            found = data.rfind(sep, 0, match_start)
            length = len(sep)
        if found < 0:
            parts.append(data[:past_end])
            return parts
        if not before:
            end = found + length
            if not first_time or end != past_end:
                parts.append(data[end:past_end])
            past_end = end
            first_time = False
        else:
            parts.append(data[found:past_end])
            past_end = found
        if regex is None and length == 0:
            # an empty match does not move the search: GNU tac loops here
            raise Hang
        match_start = found


def main() -> int:
    args = [os.fsencode(a) for a in sys.argv[1:]]
    shorts = {b"b": 0, b"r": 0, b"s": 1}
    longs = [
        (b"before", 0, b"b"),
        (b"regex", 0, b"r"),
        (b"separator", 1, b"s"),
        (b"help", 0, b"help"),
        (b"version", 0, b"version"),
    ]
    before = False
    use_regex = False
    sep = b"\n"
    files: list[bytes] = []
    try:
        for kind, key, val in getopt(args, shorts, longs):
            if kind == "error":
                raise OptError(key)
            if kind == "operands":
                files = key
            elif key == b"b":
                before = True
            elif key == b"r":
                use_regex = True
            elif key == b"s":
                sep = val
            elif key == b"help":
                OUT.write(HELP)
                return 0
            elif key == b"version":
                OUT.write(VERSION)
                return 0
    except OptError as e:
        warn(e.args[0])
        try_help()
    regex = None
    if use_regex:
        if sep == b"":
            warn(b"separator cannot be empty")
            return 1
        try:
            regex = re.compile(translate(sep))
        except RegexError as e:
            warn(str(e).encode())
            return 1
    if not files:
        files = [b"-"]
    ok = True
    stdin_used = False
    for name in files:
        if name == b"-":
            data = b"" if stdin_used else sys.stdin.buffer.read()
            stdin_used = True
        else:
            try:
                with open(name, "rb") as f:
                    try:
                        data = f.read()
                    except OSError as e:
                        warn(quote(name, False) + b": read error: " + strerror(e))
                        ok = False
                        continue
            except OSError as e:
                warn(b"failed to open " + quote(name) + b" for reading: " + strerror(e))
                ok = False
                continue
        try:
            parts = records(data, sep, regex, before)
        except Hang:
            OUT.flush()
            while True:
                time.sleep(60)
        for part in parts:
            OUT.write(part)
    OUT.flush()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
