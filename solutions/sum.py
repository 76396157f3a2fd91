"""GNU sum (coreutils 9.1) in Python: BSD or System V 16-bit checksums and block counts.

Written from `sum --help` and the coreutils manual ("sum invocation", "cksum invocation").
"""

import os
import sys
import unicodedata

PROG = b"sum"

HELP = b"""\
Usage: sum [OPTION]... [FILE]...
Print or check BSD (16-bit) checksums.

With no FILE, or when FILE is -, read standard input.

  -r              use BSD sum algorithm (the default), use 1K blocks
  -s, --sysv      use System V sum algorithm, use 512 bytes blocks
      --help        display this help and exit
      --version     output version information and exit

GNU coreutils online help: <https://www.gnu.org/software/coreutils/>
Report any translation bugs to <https://translationproject.org/team/>
Full documentation <https://www.gnu.org/software/coreutils/sum>
or available locally via: info '(coreutils) sum invocation'
"""

VERSION = b"""\
sum (GNU coreutils) 9.1
Copyright (C) 2022 Free Software Foundation, Inc.
License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.
This is free software: you are free to change and redistribute it.
There is NO WARRANTY, to the extent permitted by law.

Written by Kayvan Aghaiepour and David MacKenzie.
"""

# (name, key) in the program's table order; none takes an argument.
LONG_OPTIONS = [(b"sysv", "s"), (b"help", "help"), (b"version", "version")]
SHORT_OPTIONS = {"r", "s"}

OUT = sys.stdout.buffer
ERR = sys.stderr.buffer

# ---------------------------------------------------------------- messages

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


def quotef(arg: bytes) -> bytes:
    """A file name as GNU quotef shows it (the shell-escape style, ':' quoted too)."""
    return quote_shell(arg)


def error(message: bytes, errno: int = 0) -> None:
    line = PROG + b": " + message
    if errno:
        line += b": " + os.strerror(errno).encode()
    OUT.flush()
    ERR.write(line + b"\n")
    ERR.flush()


def usage_error(message: bytes) -> None:
    error(message)
    ERR.write(b"Try '" + PROG + b" --help' for more information.\n")
    OUT.flush()
    sys.exit(1)


# ---------------------------------------------------------------- options


def getopt_long(args: list[bytes]) -> tuple[list[tuple[str, bytes | None]], list[bytes]]:
    """Split args as glibc's getopt_long does (permuting, unique abbreviations).

    Returns the options in order and the operands; a usage error is an option
    ("?", message) and ends the list, as it ends the program.
    """
    options: list[tuple[str, bytes | None]] = []
    operands: list[bytes] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == b"--":
            operands += args[i:]
            break
        if not arg.startswith(b"-") or arg == b"-":
            operands.append(arg)
            continue
        if arg.startswith(b"--"):
            body = arg[2:]
            name, eq, _ = body.partition(b"=")
            exact = [o for o in LONG_OPTIONS if o[0] == name]
            matches = exact or [o for o in LONG_OPTIONS if o[0].startswith(name)]
            if not matches:
                options.append(("?", b"unrecognized option '--" + body + b"'"))
                return options, operands
            if len(matches) > 1:
                listed = b"".join(b" '--" + o[0] + b"'" for o in matches)
                options.append(("?", b"option '--" + body + b"' is ambiguous; possibilities:" + listed))
                return options, operands
            full, key = matches[0]
            if eq:
                options.append(("?", b"option '--" + full + b"' doesn't allow an argument"))
                return options, operands
            options.append((key, None))
            continue
        for c in arg[1:]:
            letter = chr(c)
            if letter not in SHORT_OPTIONS:
                options.append(("?", b"invalid option -- '" + bytes([c]) + b"'"))
                return options, operands
            options.append((letter, None))
    return options, operands


# ---------------------------------------------------------------- sums


def bsd_sum(data: bytes) -> int:
    checksum = 0
    for byte in data:
        checksum = ((checksum >> 1) + ((checksum & 1) << 15) + byte) & 0xFFFF
    return checksum


def sysv_sum(data: bytes) -> int:
    total = sum(data) & 0xFFFFFFFF
    r = (total & 0xFFFF) + (total >> 16)
    return (r & 0xFFFF) + (r >> 16)


def read_all(fd: int) -> bytes:
    parts = []
    while True:
        got = os.read(fd, 1 << 16)
        if not got:
            return b"".join(parts)
        parts.append(got)


def read_input(name: bytes) -> bytes | None:
    """The bytes of a file (standard input for '-'), or None after saying why not."""
    if name == b"-":
        try:
            return read_all(0)
        except OSError as e:
            error(b"-", e.errno or 0)
            return None
    try:
        fd = os.open(name, os.O_RDONLY)
    except OSError as e:
        error(quotef(name), e.errno or 0)
        return None
    try:
        return read_all(fd)
    except OSError as e:
        error(quotef(name), e.errno or 0)
        return None
    finally:
        os.close(fd)


def main() -> None:
    options, operands = getopt_long([os.fsencode(a) for a in sys.argv[1:]])
    sysv = False
    for key, value in options:
        if key == "r":
            sysv = False
        elif key == "s":
            sysv = True
        elif key == "help":
            OUT.write(HELP)
            OUT.flush()
            sys.exit(0)
        elif key == "version":
            OUT.write(VERSION)
            OUT.flush()
            sys.exit(0)
        else:
            assert value is not None
            usage_error(value)
    ok = True
    named = bool(operands)
    for name in operands or [b"-"]:
        data = read_input(name)
        if data is None:
            ok = False
            continue
        if sysv:
            line = b"%d %d" % (sysv_sum(data), -(-len(data) // 512))
        else:
            line = b"%05d %5d" % (bsd_sum(data), -(-len(data) // 1024))
        if named:
            line += b" " + name
        OUT.write(line + b"\n")
    OUT.flush()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
