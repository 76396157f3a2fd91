"""GNU sha256sum (coreutils 9.1) in Python: print or check SHA-256 checksums.

Written from `sha256sum --help`, the coreutils manual ("sha2 utilities") and FIPS 180-2.
"""

import hashlib
import os
import sys

PROG = b"sha256sum"
TYPE = b"SHA256"  # the tag of a BSD-style line, and the name in warnings
HEX_LEN = 64  # hexadecimal digits of a digest


def new_hash() -> "hashlib._Hash":
    return hashlib.sha256()


HELP = b"""\
Usage: sha256sum [OPTION]... [FILE]...
Print or check SHA256 (256-bit) checksums.

With no FILE, or when FILE is -, read standard input.
  -b, --binary          read in binary mode
  -c, --check           read checksums from the FILEs and check them
      --tag             create a BSD-style checksum
  -t, --text            read in text mode (default)
  -z, --zero            end each output line with NUL, not newline,
                          and disable file name escaping

The following five options are useful only when verifying checksums:
      --ignore-missing  don't fail or report status for missing files
      --quiet           don't print OK for each successfully verified file
      --status          don't output anything, status code shows success
      --strict          exit non-zero for improperly formatted checksum lines
  -w, --warn            warn about improperly formatted checksum lines

      --help        display this help and exit
      --version     output version information and exit

The sums are computed as described in FIPS-180-2.
When checking, the input should be a former output of this program.
The default mode is to print a line with: checksum, a space,
a character indicating input mode ('*' for binary, ' ' for text
or where binary is insignificant), and name for each FILE.

Note: There is no difference between binary mode and text mode on GNU systems.

GNU coreutils online help: <https://www.gnu.org/software/coreutils/>
Report any translation bugs to <https://translationproject.org/team/>
Full documentation <https://www.gnu.org/software/coreutils/sha256sum>
or available locally via: info '(coreutils) sha2 utilities'
"""

VERSION = b"""\
sha256sum (GNU coreutils) 9.1
Copyright (C) 2022 Free Software Foundation, Inc.
License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.
This is free software: you are free to change and redistribute it.
There is NO WARRANTY, to the extent permitted by law.

Written by Ulrich Drepper, Scott Miller, and David Madore.
"""

# (name, takes an argument, key), in the program's own table order: an
# "ambiguous" message names the candidates in this order.
LONG_OPTIONS = [
    (b"check", False, "c"),
    (b"ignore-missing", False, "ignore-missing"),
    (b"quiet", False, "quiet"),
    (b"status", False, "status"),
    (b"warn", False, "w"),
    (b"strict", False, "strict"),
    (b"tag", False, "tag"),
    (b"zero", False, "z"),
    (b"binary", False, "b"),
    (b"text", False, "t"),
    (b"help", False, "help"),
    (b"version", False, "version"),
]
SHORT_OPTIONS = {"b": False, "c": False, "t": False, "w": False, "z": False}

# ---------------------------------------------------------------- messages

C_ESCAPES = {7: b"a", 8: b"b", 9: b"t", 10: b"n", 11: b"v", 12: b"f", 13: b"r"}
SHELL_SAFE = frozenset(b"%+,-./0123456789@ABCDEFGHIJKLMNOPQRSTUVWXYZ]_abcdefghijklmnopqrstuvwxyz")


def quote(arg: bytes) -> bytes:
    """An argument as GNU `quote` shows it in the C locale: 'x', C escapes inside."""
    out = bytearray(b"'")
    for c in arg:
        if c in (0x27, 0x5C):
            out += b"\\" + bytes([c])
        elif c in C_ESCAPES:
            out += b"\\" + C_ESCAPES[c]
        elif 32 <= c < 127:
            out.append(c)
        else:
            out += b"\\%03o" % c
    return bytes(out + b"'")


def _needs_shell_quotes(arg: bytes) -> bool:
    if not arg:
        return True
    for i, c in enumerate(arg):
        if c in SHELL_SAFE or (c in b"#~" and i > 0):
            continue
        if c in b"{}" and len(arg) > 1:
            continue
        return True
    return False


def quotef(arg: bytes) -> bytes:
    """A file name as GNU `quotef` shows it: bare when harmless, else shell-quoted."""
    if not _needs_shell_quotes(arg):
        return arg
    if b"'" in arg and all(
        c in SHELL_SAFE or c in b" '" or (c in b"#~" and i == 0) or (c in b"{}" and len(arg) == 1)
        for i, c in enumerate(arg)
    ):
        return b'"' + arg + b'"'
    out = bytearray(b"'")
    escaping = False
    for c in arg:
        if c == 0x27:
            out += b"'\\''"
            escaping = False
            continue
        if c in C_ESCAPES or not 32 <= c < 127:
            if not escaping:
                out += b"'$'"
                escaping = True
            out += b"\\" + C_ESCAPES[c] if c in C_ESCAPES else b"\\%03o" % c
            continue
        if escaping:
            out += b"''"
            escaping = False
        out.append(c)
    return bytes(out + b"'")


def error(message: bytes, errno: int = 0) -> None:
    line = PROG + b": " + message
    if errno:
        line += b": " + os.strerror(errno).encode()
    sys.stdout.flush()
    sys.stderr.buffer.write(line + b"\n")
    sys.stderr.buffer.flush()


def die(message: bytes, errno: int = 0) -> None:
    error(message, errno)
    sys.exit(1)


def usage_error(message: bytes | None = None) -> None:
    if message is not None:
        error(message)
    sys.stderr.buffer.write(b"Try '" + PROG + b" --help' for more information.\n")
    sys.exit(1)


# ---------------------------------------------------------------- options


def getopt_long(args: list[bytes]) -> tuple[list[tuple[str, bytes | None]], list[bytes]]:
    """Split args as glibc's getopt_long does (permuting, abbreviations).

    Returns the options in order, each (key, value), and the operands. A usage
    error is an option ("?", message) and ends the list, as it ends the program.
    An ambiguous abbreviation names every option it could stand for.
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
            name, eq, value = body.partition(b"=")
            exact = [o for o in LONG_OPTIONS if o[0] == name]
            matches = exact or [o for o in LONG_OPTIONS if o[0].startswith(name)]
            if not matches:
                options.append(("?", b"unrecognized option '--" + body + b"'"))
                return options, operands
            if len(matches) > 1:
                listed = b"".join(b" '--" + o[0] + b"'" for o in matches)
                options.append(("?", b"option '--" + body + b"' is ambiguous; possibilities:" + listed))
                return options, operands
            full, takes_value, key = matches[0]
            if eq and not takes_value:
                options.append(("?", b"option '--" + full + b"' doesn't allow an argument"))
                return options, operands
            if takes_value and not eq:
                if i == len(args):
                    options.append(("?", b"option '--" + full + b"' requires an argument"))
                    return options, operands
                value = args[i]
                i += 1
            options.append((key, value if takes_value else None))
            continue
        j = 1
        while j < len(arg):
            letter = chr(arg[j])
            j += 1
            if letter not in SHORT_OPTIONS:
                options.append(("?", b"invalid option -- '" + letter.encode("latin-1") + b"'"))
                return options, operands
            if not SHORT_OPTIONS[letter]:
                options.append((letter, None))
                continue
            if j < len(arg):
                options.append((letter, arg[j:]))
            elif i < len(args):
                options.append((letter, args[i]))
                i += 1
            else:
                msg = b"option requires an argument -- '" + letter.encode() + b"'"
                options.append(("?", msg))
                return options, operands
            break
    return options, operands


# ---------------------------------------------------------------- hashing


class Settings:
    """What the options chose."""

    def __init__(self) -> None:
        self.check = False
        self.binary = -1  # -1: neither --binary nor --text given
        self.tag = False
        self.delim = b"\n"
        self.ignore_missing = False
        self.status = False
        self.quiet = False
        self.warn = False
        self.strict = False


class Stdin:
    """Standard input, read once: a second read finds it at end of file."""

    used = False

    @classmethod
    def read(cls) -> bytes:
        cls.used = True
        return sys.stdin.buffer.read()


def digest_file(name: bytes, opts: Settings) -> tuple[bool, bool, str]:
    """Hash a file (or '-'); returns (ok, missing, hex digest), errors reported."""
    if name == b"-":
        data = Stdin.read()
    else:
        try:
            fd = os.open(name, os.O_RDONLY)
        except OSError as e:
            if opts.ignore_missing and e.errno == 2:
                return True, True, ""
            error(quotef(name), e.errno or 0)
            return False, False, ""
        parts = []
        try:
            while True:
                got = os.read(fd, 65536)
                if not got:
                    break
                parts.append(got)
        except OSError as e:
            error(quotef(name), e.errno or 0)
            return False, False, ""
        finally:
            os.close(fd)
        data = b"".join(parts)
    h = new_hash()
    h.update(data)
    return True, False, h.hexdigest()


def problematic(name: bytes) -> bool:
    return b"\\" in name or b"\n" in name


def escape_name(name: bytes) -> bytes:
    return name.replace(b"\\", b"\\\\").replace(b"\n", b"\\n")


def print_digest(name: bytes, hexdigest: str, opts: Settings) -> None:
    escape = opts.delim == b"\n" and problematic(name)
    shown = escape_name(name) if escape else name
    line = b"\\" if escape else b""
    if opts.tag:
        line += TYPE + b" (" + shown + b") = " + hexdigest.encode()
    else:
        line += hexdigest.encode() + (b" *" if opts.binary == 1 else b"  ") + shown
    sys.stdout.buffer.write(line + opts.delim)


# ---------------------------------------------------------------- checking

WHITE = b" \t"


def cstr(buf: bytes, start: int) -> bytes:
    """The NUL-terminated string at buf[start:]."""
    end = buf.find(b"\0", start)
    return buf[start:end] if end >= 0 else buf[start:]


def is_hex_digest(buf: bytes, start: int) -> bool:
    """Exactly HEX_LEN hexadecimal digits, then the end of the string."""
    text = cstr(buf, start)
    return len(text) == HEX_LEN and all(c in b"0123456789abcdefABCDEF" for c in text)


def unescape(raw: bytes) -> bytes | None:
    """Undo a listed name's escapes (\\\\, \\n, \\r); None if it cannot be one."""
    out = bytearray()
    k = 0
    while k < len(raw):
        c = raw[k]
        if c == 0:
            return None
        if c == 0x5C:
            if k == len(raw) - 1:
                return None
            k += 1
            mapped = {ord("n"): 10, ord("r"): 13, 0x5C: 0x5C}.get(raw[k])
            if mapped is None:
                return None
            out.append(mapped)
        else:
            out.append(c)
        k += 1
    return bytes(out)


class LineParser:
    """Checksum lines in either form; remembers across lists (and files) whether
    untagged lines have been in the two-space form or the single-space one."""

    def __init__(self) -> None:
        self.reversed: int | None = None  # None until the first untagged line

    def parse(self, line: bytes) -> tuple[str, bytes] | None:
        """(hex digest, file name) of a line without its newline, or None."""
        s = line + b"\0"
        n = len(line)
        i = 0
        while s[i] in WHITE:
            i += 1
        escaped = s[i] == 0x5C
        if escaped:
            i += 1
        if cstr(s, i)[: len(TYPE)] == TYPE:
            i += len(TYPE)
            if s[i] == 0x20:
                i += 1
            if s[i] != ord("("):
                return None
            return self.parse_tagged(s, i + 1, n, escaped)
        if n - i < HEX_LEN + 2 + (s[i] == 0x5C):
            return None
        digest_at = i
        i += HEX_LEN
        if s[i] not in WHITE:
            return None
        s = s[:i] + b"\0" + s[i + 1 :]
        i += 1
        if not is_hex_digest(s, digest_at):
            return None
        if n - i == 1 or s[i] not in b" *":
            if self.reversed == 0:
                return None
            self.reversed = 1
        elif self.reversed != 1:
            self.reversed = 0
            i += 1
        digest = s[digest_at : digest_at + HEX_LEN].decode()
        if escaped:
            name = unescape(s[i:n])
            return None if name is None else (digest, cstr(name, 0))
        return digest, cstr(s, i)

    @staticmethod
    def parse_tagged(s: bytes, start: int, n: int, escaped: bool) -> tuple[str, bytes] | None:
        """The rest of 'TYPE (name) = digest' from after the parenthesis."""
        if n - start == 0:
            return None
        close = n - 1
        while close > start and s[close] != ord(")"):
            close -= 1
        if s[close] != ord(")"):
            return None
        raw = s[start:close]
        if escaped:
            unescaped = unescape(raw)
            if unescaped is None:
                return None
            name = cstr(unescaped, 0)
        else:
            name = cstr(raw, 0)
        i = close + 1
        while s[i] in WHITE:
            i += 1
        if s[i] != ord("="):
            return None
        i += 1
        while s[i] in WHITE:
            i += 1
        if not is_hex_digest(s, i):
            return None
        return s[i : i + HEX_LEN].decode(), name


def read_list(name: bytes) -> tuple[bytes | None, int]:
    """A check list's bytes, or None and the errno (0: a read error)."""
    if name == b"-":
        return Stdin.read(), 0
    try:
        fd = os.open(name, os.O_RDONLY)
    except OSError as e:
        return None, e.errno or 0
    parts = []
    try:
        while True:
            got = os.read(fd, 65536)
            if not got:
                break
            parts.append(got)
    except OSError:
        return None, 0
    finally:
        os.close(fd)
    return b"".join(parts), 0


def plural(count: int, one: str, many: str) -> bytes:
    return (b"WARNING: %d " % count) + (one if count == 1 else many).encode()


class Tally:
    """What one check list's lines came to."""

    def __init__(self) -> None:
        self.misformatted = 0
        self.mismatched = 0
        self.unreadable = 0
        self.any_proper = False
        self.any_match = False


def verify(name: bytes, expected: str, opts: Settings, tally: Tally) -> None:
    """Check one listed file against its digest and say how it went."""
    # Only a name that would break the line is escaped here.
    escape = not opts.status and b"\n" in name
    label = (b"\\" + escape_name(name)) if escape else name
    ok, missing, actual = digest_file(name, opts)
    verdict = b""
    if not ok:
        tally.unreadable += 1
        verdict = b"FAILED open or read"
    elif missing:
        return
    elif expected.lower() == actual:
        tally.any_match = True
        verdict = b"" if opts.quiet else b"OK"
    else:
        tally.mismatched += 1
        verdict = b"FAILED"
    if verdict and not opts.status:
        sys.stdout.buffer.write(label + b": " + verdict + b"\n")


def summarise(shown: bytes, opts: Settings, tally: Tally) -> None:
    if not tally.any_proper:
        error(shown + b": no properly formatted checksum lines found")
        return
    if opts.status:
        return
    if tally.misformatted:
        error(plural(tally.misformatted, "line is improperly formatted", "lines are improperly formatted"))
    if tally.unreadable:
        error(plural(tally.unreadable, "listed file could not be read", "listed files could not be read"))
    if tally.mismatched:
        error(plural(tally.mismatched, "computed checksum did NOT match", "computed checksums did NOT match"))
    if opts.ignore_missing and not tally.any_match:
        error(shown + b": no file was verified")


def check_list(list_name: bytes, opts: Settings, parser: LineParser) -> bool:
    """Verify the files a check list names; True when all is well."""
    from_stdin = list_name == b"-"
    shown = quotef(b"standard input" if from_stdin else list_name)
    data, errno = read_list(list_name)
    if data is None:
        error(shown if errno else shown + b": read error", errno)
        return False
    tally = Tally()
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    for number, line in enumerate(lines, 1):
        if line.startswith(b"#"):
            continue
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            continue
        parsed = parser.parse(line)
        if parsed is None or (from_stdin and parsed[1] == b"-"):
            tally.misformatted += 1
            if opts.warn:
                error(shown + b": %d: improperly formatted " % number + TYPE + b" checksum line")
            continue
        tally.any_proper = True
        verify(parsed[1], parsed[0], opts, tally)
    summarise(shown, opts, tally)
    return (
        tally.any_proper
        and tally.mismatched == 0
        and tally.unreadable == 0
        and (not opts.strict or tally.misformatted == 0)
        and (not opts.ignore_missing or tally.any_match)
    )


# ---------------------------------------------------------------- main

CHECK_ONLY = [
    ("ignore_missing", b"--ignore-missing"),
    ("status", b"--status"),
    ("warn", b"--warn"),
    ("quiet", b"--quiet"),
    ("strict", b"--strict"),
]


# What each plain option sets.
SETTERS: dict[str, list[tuple[str, object]]] = {
    "c": [("check", True)],
    "b": [("binary", 1)],
    "t": [("binary", 0)],
    "tag": [("tag", True), ("binary", 1)],
    "z": [("delim", b"\0")],
    "ignore-missing": [("ignore_missing", True)],
    "strict": [("strict", True)],
}


def parse_options(args: list[bytes]) -> tuple[Settings, list[bytes]]:
    options, operands = getopt_long(args)
    opts = Settings()
    for key, value in options:
        if key == "?":
            usage_error(value)
        elif key in SETTERS:
            for attr, setting in SETTERS[key]:
                setattr(opts, attr, setting)
        elif key in ("status", "quiet", "w"):
            opts.status = key == "status"
            opts.quiet = key == "quiet"
            opts.warn = key == "w"
        elif key == "help":
            sys.stdout.buffer.write(HELP)
            sys.exit(0)
        elif key == "version":
            sys.stdout.buffer.write(VERSION)
            sys.exit(0)
    if opts.tag and opts.binary == 0:
        usage_error(b"--tag does not support --text mode")
    if opts.delim != b"\n" and opts.check:
        usage_error(b"the --zero option is not supported when verifying checksums")
    if opts.tag and opts.check:
        usage_error(b"the --tag option is meaningless when verifying checksums")
    if opts.binary >= 0 and opts.check:
        usage_error(b"the --binary and --text options are meaningless when verifying checksums")
    for attr, flag in CHECK_ONLY:
        if getattr(opts, attr) and not opts.check:
            usage_error(b"the " + flag + b" option is meaningful only when verifying checksums")
    return opts, operands


def main() -> None:
    opts, operands = parse_options([os.fsencode(a) for a in sys.argv[1:]])
    ok = True
    parser = LineParser()
    for name in operands or [b"-"]:
        if opts.check:
            ok &= check_list(name, opts, parser)
            continue
        good, _, digest = digest_file(name, opts)
        if good:
            print_digest(name, digest, opts)
        else:
            ok = False
    sys.stdout.flush()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    # gnulib's shell quoting (quotearg's shell-escape styles), written out whole after
    # the first version above missed two of its rules (solutions/README.md, note S4):
    # a name with a single quote is written in two passes, the second starting in the
    # escape state the first ended in; and it goes between double quotes only when
    # every byte may. Defined here, below the guard's test, so that the mutants of the
    # code above keep their ids in the mutation benchmark.
    import unicodedata

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
            if len(unit) > 1 or not printable and c not in _GNULIB_ESCAPES:
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
            elif c in b"{}" and len(arg) != 1 or c in b"#~" and i != 0:
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

    def problematic(name: bytes) -> bool:
        """Whether a digest line shows the name escaped, after a backslash."""
        return b"\\" in name or b"\n" in name or b"\r" in name

    def escape_name(name: bytes) -> bytes:
        """A name as a digest line shows it: backslash, newline and carriage return escaped."""
        return name.replace(b"\\", b"\\\\").replace(b"\n", b"\\n").replace(b"\r", b"\\r")

    main()
