"""GNU b2sum 9.1 in Python: print or check BLAKE2b checksums (hashlib.blake2b), GNU and
BSD (--tag) line forms, escaped names, --check with its warnings and summary.
Written from `b2sum --help` and the coreutils manual's "md5sum invocation" and "b2sum invocation"."""

import hashlib
import os
import re
import sys
import unicodedata

sys.set_int_max_str_digits(0)  # long digit strings are numbers too

PROG = b"b2sum"

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


HELP_TEXT = b"Usage: b2sum [OPTION]... [FILE]...\nPrint or check BLAKE2b (512-bit) checksums.\n\nWith no FILE, or when FILE is -, read standard input.\n\nMandatory arguments to long options are mandatory for short options too.\n  -b, --binary          read in binary mode\n  -c, --check           read checksums from the FILEs and check them\n  -l, --length=BITS     digest length in bits; must not exceed the max for\n                          the blake2 algorithm and must be a multiple of 8\n      --tag             create a BSD-style checksum\n  -t, --text            read in text mode (default)\n  -z, --zero            end each output line with NUL, not newline,\n                          and disable file name escaping\n\nThe following five options are useful only when verifying checksums:\n      --ignore-missing  don't fail or report status for missing files\n      --quiet           don't print OK for each successfully verified file\n      --status          don't output anything, status code shows success\n      --strict          exit non-zero for improperly formatted checksum lines\n  -w, --warn            warn about improperly formatted checksum lines\n\n      --help        display this help and exit\n      --version     output version information and exit\n\nThe sums are computed as described in RFC 7693.\nWhen checking, the input should be a former output of this program.\nThe default mode is to print a line with: checksum, a space,\na character indicating input mode ('*' for binary, ' ' for text\nor where binary is insignificant), and name for each FILE.\n\nNote: There is no difference between binary mode and text mode on GNU systems.\n\nGNU coreutils online help: <https://www.gnu.org/software/coreutils/>\nReport any translation bugs to <https://translationproject.org/team/>\nFull documentation <https://www.gnu.org/software/coreutils/b2sum>\nor available locally via: info '(coreutils) b2sum invocation'\n"


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


def usage_error(msg: bytes) -> None:
    warn(msg)
    try_help()


def read_input(name: bytes, state: dict) -> bytes:
    if name == b"-":
        if state.get("stdin_used"):
            return b""
        state["stdin_used"] = True
        return sys.stdin.buffer.read()
    with open(name, "rb") as f:
        return f.read()


def digest(data: bytes, bits: int) -> bytes:
    return hashlib.blake2b(data, digest_size=bits // 8).hexdigest().encode()


def escape_name(name: bytes) -> tuple[bytes, bool]:
    if b"\\" in name or b"\n" in name or b"\r" in name:
        return name.replace(b"\\", b"\\\\").replace(b"\n", b"\\n").replace(b"\r", b"\\r"), True
    return name, False


def unescape(name: bytes):
    out = bytearray()
    i = 0
    while i < len(name):
        c = name[i]
        if c == 92:
            if i + 1 >= len(name):
                return None
            d = name[i + 1]
            if d == 92:
                out.append(92)
            elif d == ord("n"):
                out.append(10)
            elif d == ord("r"):
                out.append(13)
            else:
                return None
            i += 2
        else:
            out.append(c)
            i += 1
    return bytes(out)


HEX = re.compile(rb"[0-9a-fA-F]+\Z")


def parse_line(line: bytes, bits_given: int, fmt_state: dict):
    """(hex, name, bits) of a check line, or None if improperly formatted."""
    i = 0
    while i < len(line) and line[i] in b" \t":
        i += 1
    escaped = line[i : i + 1] == b"\\"
    if escaped:
        i += 1
    rest = line[i:]
    if rest.startswith(b"BLAKE2b"):
        r = rest[7:]
        bits = 512
        if r.startswith(b"-"):
            m = re.match(rb"-([0-9]+)", r)
            if m is None:
                return None
            bits = int(m.group(1))
            if bits == 0 or bits % 8 or bits > 512:
                return None
            r = r[m.end() :]
        r = r.lstrip(b" ")
        if r.startswith(b"("):
            r = r[1:]
            k = r.rfind(b")")
            if k < 0:
                return None
            name = r[:k]
            t = r[k + 1 :].lstrip(b" ")
            if not t.startswith(b"="):
                return None
            hexd = t[1:].lstrip(b" ")
            if bits_given and bits != bits_given:
                return None
            if len(hexd) != bits // 4 or not HEX.match(hexd):
                return None
            if escaped:
                name = unescape(name)
                if name is None:
                    return None
            return hexd, name, bits
    # GNU form: hex, blank, then ' ' or '*' and the name; or (BSD reversed) the name at once
    m = re.match(rb"([0-9a-fA-F]+)", rest)
    if m is None:
        return None
    hexd = m.group(1)
    if bits_given:
        if len(hexd) != bits_given // 4:
            return None
        bits = bits_given
    else:
        if len(hexd) % 2 or len(hexd) > 128 or len(hexd) == 0:
            return None
        bits = len(hexd) * 4
    r = rest[m.end() :]
    if not r or r[0] not in b" \t":
        return None
    r = r[1:]
    if len(r) == 1 or r[:1] not in (b" ", b"*"):
        if fmt_state["bsd"] == 0:
            return None
        fmt_state["bsd"] = 1
        name = r
    elif fmt_state["bsd"] != 1:
        fmt_state["bsd"] = 0
        name = r[1:]
    else:
        name = r
    if escaped:
        name = unescape(name)
        if name is None:
            return None
    return hexd, name, bits


def check(listname: bytes, opts: dict, state: dict) -> bool:
    shown = quote(b"standard input" if listname == b"-" else listname, False)
    try:
        data = read_input(listname, state)
    except OSError as e:
        OUT.flush()
        warn(quote(listname, False) + b": " + strerror(e))
        return False
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    fmt_state = {"bsd": -1}
    bad_format = 0
    failed_read = 0
    mismatched = 0
    properly = False
    matched_any = False
    for n, line in enumerate(lines, 1):
        if line.startswith(b"#") or line == b"":
            continue
        if line.endswith(b"\r"):
            line = line[:-1]
        line = line.split(b"\0", 1)[0]  # parsed as a C string
        # GNU b2sum 9.1 ignores --length when checking: each line gives its own
        # length (its hex digits, or BLAKE2b-N), so -l 8 -c accepts a 512-bit line.
        parsed = parse_line(line, 0, fmt_state)
        if parsed is None:
            bad_format += 1
            if opts["warn"]:
                OUT.flush()
                warn(shown + b": %d: improperly formatted BLAKE2b checksum line" % n)
            continue
        hexd, name, bits = parsed
        properly = True
        # checking, GNU b2sum 9.1 escapes a name only when it holds a newline
        esc_name, needs = escape_name(name) if b"\n" in name else (name, False)
        prefix = b"\\" if needs else b""
        try:
            content = read_input(name, state)
            ok_read = True
        except OSError as e:
            ok_read = False
            err = e
        if not ok_read:
            if opts["ignore_missing"] and isinstance(err, FileNotFoundError):
                continue
            failed_read += 1
            OUT.flush()
            warn(quote(name, False) + b": " + strerror(err))
            if not opts["status"]:
                OUT.write(prefix + esc_name + b": FAILED open or read\n")
            continue
        good = digest(content, bits) == hexd.lower()
        matched_any = matched_any or good
        if not good:
            mismatched += 1
        if not opts["status"]:
            if not good:
                OUT.write(prefix + esc_name + b": FAILED\n")
            elif not opts["quiet"]:
                OUT.write(prefix + esc_name + b": OK\n")
    OUT.flush()
    if not properly:
        warn(shown + b": no properly formatted checksum lines found")
        return False
    if not opts["status"]:
        if bad_format:
            warn(b"WARNING: %d line%s improperly formatted" % (bad_format, b" is" if bad_format == 1 else b"s are"))
        if failed_read:
            warn(b"WARNING: %d listed file%s could not be read" % (failed_read, b"" if failed_read == 1 else b"s"))
        if mismatched:
            warn(b"WARNING: %d computed checksum%s did NOT match" % (mismatched, b"" if mismatched == 1 else b"s"))
    if opts["ignore_missing"] and not matched_any:  # no checksum matched (mismatches count as none)
        if not opts["status"]:
            warn(shown + b": no file was verified")
        return False
    return not mismatched and not failed_read and not (opts["strict"] and bad_format)


def main() -> int:
    args = [os.fsencode(a) for a in sys.argv[1:]]
    shorts = {b"b": 0, b"c": 0, b"l": 1, b"t": 0, b"w": 0, b"z": 0}
    longs = [
        (b"length", 1, b"l"),
        (b"check", 0, b"c"),
        (b"ignore-missing", 0, b"ignore_missing"),
        (b"quiet", 0, b"quiet"),
        (b"status", 0, b"status"),
        (b"warn", 0, b"w"),
        (b"strict", 0, b"strict"),
        (b"tag", 0, b"tag"),
        (b"zero", 0, b"z"),
        (b"binary", 0, b"b"),
        (b"text", 0, b"t"),
        (b"help", 0, b"help"),
        (b"version", 0, b"version"),
    ]
    binary = -1
    do_check = False
    tag = False
    zero = False
    length_str = None
    bits = 0
    opts = {"quiet": False, "status": False, "warn": False, "strict": False, "ignore_missing": False}
    files: list[bytes] = []
    try:
        for kind, key, val in getopt(args, shorts, longs):
            if kind == "error":
                raise OptError(key)
            if kind == "operands":
                files = key
            elif key == b"b":
                binary = 1
            elif key == b"t":
                binary = 0
            elif key == b"c":
                do_check = True
            elif key == b"l":
                m = re.match(rb"[ \t\n\v\f\r]*\+?[0-9]+\Z", val)
                if m is None:
                    warn(b"invalid length: " + locale_quote(val))
                    sys.exit(1)
                if int(val.strip().lstrip(b"+")) >= 2**64:
                    warn(b"invalid length: " + locale_quote(val) + b": Value too large for defined data type")
                    sys.exit(1)
                bits = int(val.strip().lstrip(b"+"))
                length_str = val
                if bits % 8:
                    warn(b"invalid length: " + locale_quote(val))
                    warn(b"length is not a multiple of 8")
                    sys.exit(1)
            elif key == b"w":
                opts["warn"] = True
                opts["status"] = False
                opts["quiet"] = False
            elif key == b"quiet":
                opts["quiet"] = True
                opts["status"] = False
                opts["warn"] = False
            elif key == b"status":
                opts["status"] = True
                opts["warn"] = False
                opts["quiet"] = False
            elif key == b"strict":
                opts["strict"] = True
            elif key == b"tag":
                tag = True
                binary = 1
            elif key == b"z":
                zero = True
            elif key == b"ignore_missing":
                opts["ignore_missing"] = True
            elif key == b"help":
                OUT.write(HELP_TEXT)
                return 0
            elif key == b"version":
                OUT.write(VERSION)
                return 0
    except OptError as e:
        warn(e.args[0])
        try_help()
    if bits > 512:
        warn(b"invalid length: " + locale_quote(length_str))
        warn(b"maximum digest length for 'BLAKE2b' is 512 bits")
        sys.exit(1)
    opts["bits"] = bits
    if tag and binary == 0:
        usage_error(b"--tag does not support --text mode")
    if zero and do_check:
        usage_error(b"the --zero option is not supported when verifying checksums")
    if tag and do_check:
        usage_error(b"the --tag option is meaningless when verifying checksums")
    if binary >= 0 and do_check:
        usage_error(b"the --binary and --text options are meaningless when verifying checksums")
    if opts["ignore_missing"] and not do_check:
        usage_error(b"the --ignore-missing option is meaningful only when verifying checksums")
    if opts["status"] and not do_check:
        usage_error(b"the --status option is meaningful only when verifying checksums")
    if opts["warn"] and not do_check:
        usage_error(b"the --warn option is meaningful only when verifying checksums")
    if opts["quiet"] and not do_check:
        usage_error(b"the --quiet option is meaningful only when verifying checksums")
    if opts["strict"] and not do_check:
        usage_error(b"the --strict option is meaningful only when verifying checksums")
    if not files:
        files = [b"-"]
    state: dict = {}
    ok = True
    out_bits = bits or 512
    for name in files:
        if do_check:
            ok = check(name, opts, state) and ok
            continue
        try:
            data = read_input(name, state)
        except OSError as e:
            OUT.flush()
            warn(quote(name, False) + b": " + strerror(e))
            ok = False
            continue
        h = digest(data, out_bits)
        if zero:
            shown, needs = name, False
        else:
            shown, needs = escape_name(name)
        prefix = b"\\" if needs else b""
        end = b"\0" if zero else b"\n"
        if tag:
            algo = b"BLAKE2b" if out_bits == 512 else b"BLAKE2b-%d" % out_bits
            OUT.write(prefix + algo + b" (" + shown + b") = " + h + end)
        else:
            OUT.write(prefix + h + (b" *" if binary == 1 else b"  ") + shown + end)
    OUT.flush()
    return 0 if ok else 1


VERSION = b"""b2sum (GNU coreutils) 9.1
Copyright (C) 2022 Free Software Foundation, Inc.
License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.
This is free software: you are free to change and redistribute it.
There is NO WARRANTY, to the extent permitted by law.

Written by Padraig Brady and Samuel Neves.
"""


if __name__ == "__main__":
    sys.exit(main())
