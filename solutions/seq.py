"""GNU seq 9.1 in Python: print numbers from FIRST to LAST in steps of INCREMENT, computed
as x86 80-bit long doubles (exact integers on the all-digits fast path), printf-formatted.
Written from `seq --help`, the coreutils manual's "seq invocation" and C's printf rules."""

import os
import re
import sys
import unicodedata
from fractions import Fraction

sys.set_int_max_str_digits(0)  # long digit strings are numbers too

PROG = b"seq"

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


HELP = b"""Usage: seq [OPTION]... LAST
  or:  seq [OPTION]... FIRST LAST
  or:  seq [OPTION]... FIRST INCREMENT LAST
Print numbers from FIRST to LAST, in steps of INCREMENT.

Mandatory arguments to long options are mandatory for short options too.
  -f, --format=FORMAT      use printf style floating-point FORMAT
  -s, --separator=STRING   use STRING to separate numbers (default: \\n)
  -w, --equal-width        equalize width by padding with leading zeroes
      --help        display this help and exit
      --version     output version information and exit

If FIRST or INCREMENT is omitted, it defaults to 1.  That is, an
omitted INCREMENT defaults to 1 even when LAST is smaller than FIRST.
The sequence of numbers ends when the sum of the current number and
INCREMENT would become greater than LAST.
FIRST, INCREMENT, and LAST are interpreted as floating point values.
INCREMENT is usually positive if FIRST is smaller than LAST, and
INCREMENT is usually negative if FIRST is greater than LAST.
INCREMENT must not be 0; none of FIRST, INCREMENT and LAST may be NaN.
FORMAT must be suitable for printing one argument of type 'double';
it defaults to %.PRECf if FIRST, INCREMENT, and LAST are all fixed point
decimal numbers with maximum precision PREC, and to %g otherwise.

GNU coreutils online help: <https://www.gnu.org/software/coreutils/>
Report any translation bugs to <https://translationproject.org/team/>
Full documentation <https://www.gnu.org/software/coreutils/seq>
or available locally via: info '(coreutils) seq invocation'
"""

VERSION = b"""seq (GNU coreutils) 9.1
Copyright (C) 2022 Free Software Foundation, Inc.
License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.
This is free software: you are free to change and redistribute it.
There is NO WARRANTY, to the extent permitted by law.

Written by Ulrich Drepper.
"""

INT_MAX = 2**31 - 1
INF = "inf"
NINF = "-inf"
NAN = "nan"
NNAN = "-nan"  # inf - inf on x86: the default NaN has its sign bit set
MANT = 64  # bits in an x86 long double's significand
EMAX = 16384
EMIN = -16382 - 63


def locale_quote(s: bytes) -> bytes:
    """gnulib's locale quoting in the C locale: 'like this', C escapes inside."""
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


def round_ld(v):
    """Round an exact rational to the nearest long double (ties to even)."""
    if not isinstance(v, Fraction) or v == 0:
        return v
    neg = v < 0
    a = -v if neg else v
    n, d = a.numerator, a.denominator
    e = n.bit_length() - d.bit_length()
    if (n << max(0, -e)) < (d << max(0, e)):
        e -= 1
    # a in [2^e, 2^(e+1))
    shift = MANT - 1 - e
    if e < EMIN + 63:
        shift = MANT - 1 - (EMIN + 63)
    num = n << shift if shift >= 0 else n
    den = d if shift >= 0 else d << -shift
    q, r = divmod(num, den)
    if 2 * r > den or (2 * r == den and q & 1):
        q += 1
    res = Fraction(q) / (Fraction(2) ** shift) if shift >= 0 else Fraction(q * (1 << -shift))
    if res >= Fraction(2) ** EMAX:
        return NINF if neg else INF
    return -res if neg else res


NUM_RE = re.compile(
    rb"[ \t\n\v\f\r]*([+-]?)(?:(0[xX])((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+))(?:[pP]([+-]?[0-9]+))?"
    rb"|((?:[0-9]+\.?[0-9]*|\.[0-9]+))(?:[eE]([+-]?[0-9]+))?"
    rb"|([iI][nN][fF](?:[iI][nN][iI][tT][yY])?)|([nN][aA][nN](?:\([0-9A-Za-z_]*\))?))"
)


def strtold(s: bytes):
    """C strtold on the whole string: a value, or None when not all of it is a number."""
    m = NUM_RE.match(s)
    if m is None:
        return None
    if m.end() != len(s):
        # a hex prefix with no digits parses as "0" followed by junk
        return None
    sign = -1 if m.group(1) == b"-" else 1
    if m.group(2):
        mant = m.group(3)
        ip, _, fp = mant.partition(b".")
        digits = ip + fp
        val = Fraction(int(digits, 16) if digits else 0, 16 ** len(fp))
        if m.group(4):
            val *= Fraction(2) ** int(m.group(4))
    elif m.group(5):
        mant = m.group(5)
        ip, _, fp = mant.partition(b".")
        ip, fp = ip.lstrip(b"0"), fp.rstrip(b"0")  # the same value, fewer digits to convert
        digits = ip + fp
        exp = int(m.group(6)) if m.group(6) else 0
        if len(digits.lstrip(b"0")) and exp > 6000:
            return NINF if sign < 0 else INF
        if exp < -6000 and digits.strip(b"0"):
            return Fraction(0) if sign > 0 else "-0"
        val = Fraction(int(digits) if digits else 0, 10 ** len(fp)) * Fraction(10) ** exp
    elif m.group(7):
        return NINF if sign < 0 else INF
    else:
        return NAN
    if val == 0:
        return "-0" if sign < 0 else Fraction(0)
    r = round_ld(val)
    if isinstance(r, str):
        return r if sign > 0 else (NINF if r == INF else INF)
    return r * sign


def is_neg(v) -> bool:
    if v in ("-0", NINF, NNAN):
        return True
    return isinstance(v, Fraction) and v < 0


def num(v) -> float:
    """An ordering key (long doubles compared)."""
    if v == INF:
        return float("inf")
    if v == NINF:
        return float("-inf")
    if v == "-0":
        return 0.0
    return v


def lt(a, b) -> bool:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a < b
    if a in (NAN, NNAN) or b in (NAN, NNAN):
        return False
    ka, kb = num(a), num(b)
    return ka < kb


def fmt_a(v: Fraction, prec, alt: bool, upper: bool) -> str:
    if v == 0:
        body = "0x0" + ("." + "0" * prec if prec else ("." if alt else "")) + "p+0"
    else:
        n, d = v.numerator, v.denominator
        e = n.bit_length() - d.bit_length()
        while Fraction(n, d) >= Fraction(2) ** (e + 1):
            e += 1
        while Fraction(n, d) < Fraction(2) ** e:
            e -= 1
        m = int(v / Fraction(2) ** (e - 63))  # 64-bit significand, top bit set
        exp = e - 3
        lead = m >> 60
        frac = m & ((1 << 60) - 1)
        hexd = "%015x" % frac
        if prec is None:
            hexd = hexd.rstrip("0")
        elif prec < 15:
            drop = 60 - 4 * prec
            q, r = divmod(frac, 1 << drop)
            half = 1 << (drop - 1)
            if r > half or (r == half and q & 1):
                q += 1
            if q >> (4 * prec):
                q = 0
                lead += 1
            hexd = ("%0*x" % (prec, q)) if prec else ""
        else:
            hexd = hexd + "0" * (prec - 15)
        body = "0x%x" % lead + ("." + hexd if hexd or alt else "") + "p" + ("-" if exp < 0 else "+") + str(abs(exp))
    return body.upper() if upper else body


class WriteOverflow(Exception):
    pass


class NoMemory(Exception):
    """glibc's printf could not allocate its digit buffers (some 5 bytes a digit of
    precision, in a 1 GiB address space)."""


NOMEM_PREC = 212_000_000


def printf_one(flags: str, width: int, prec, conv: str, v) -> str:
    if width > INT_MAX or (prec is not None and prec > INT_MAX):
        raise WriteOverflow
    finite = v not in (INF, NINF, NAN, NNAN)
    if prec is not None and (prec >= 1 << 30 or (finite and prec >= NOMEM_PREC)):
        raise NoMemory
    if width > 1 << 22 or (
        prec is not None and prec > 1 << 22 and finite and (conv not in "gG" or "#" in flags or conv in "aA")
    ):
        # far past the output cap: stream padding rather than build it
        OUT.flush()
        chunk = b" " * (1 << 20)
        while True:
            OUT.write(chunk)
    if (
        conv not in "aA"
        and (prec is None or prec <= 100)
        and (
            v == "-0"
            or (isinstance(v, Fraction) and v.numerator.bit_length() <= 53 and v.denominator.bit_length() < 1000)
        )
    ):
        # exact as a double: Python's correctly rounded printf does the same as glibc's
        fl = -0.0 if v == "-0" else v.numerator / v.denominator
        spec = (
            "%"
            + flags.replace("'", "")
            + (str(width) if width else "")
            + ("" if prec is None else "." + str(prec))
            + conv
        )
        return spec % fl
    upper = conv in "EFGA"
    neg = is_neg(v)
    if v in (INF, NINF, NAN, NNAN):
        body = "nan" if v in (NAN, NNAN) else "inf"
        if upper:
            body = body.upper()
        zero = False
    else:
        a = abs(v) if isinstance(v, Fraction) else Fraction(0)
        alt = "#" in flags
        zero = "0" in flags and "-" not in flags
        c = conv.lower()
        if c == "a":
            body = fmt_a(a, prec, alt, upper)
        else:
            body = dyadic_body(a.numerator, a.denominator.bit_length() - 1, prec, conv, alt)
    sign = "-" if neg else ("+" if "+" in flags else (" " if " " in flags else ""))
    if v == NAN:
        sign = "+" if "+" in flags else (" " if " " in flags else "")
    pad = width - len(sign) - len(body)
    if pad <= 0:
        return sign + body
    if "-" in flags:
        return sign + body + " " * pad
    if zero:
        if conv.lower() == "a" and body[:2].lower() == "0x":
            return sign + body[:2] + "0" * pad + body[2:]
        return sign + "0" * pad + body
    return " " * pad + sign + body


_POW10 = [10**i for i in range(64)]


def _p10(n: int) -> int:
    return _POW10[n] if n < 64 else 10**n


def _round_div(m: int, e: int) -> int:
    """m / 10**e rounded to nearest, ties to even (glibc's printf in the default rounding mode)."""
    d = _p10(e)
    q, r = divmod(m, d)
    r2 = 2 * r
    if r2 > d or (r2 == d and q & 1):
        q += 1
    return q


def _dec_f(m: int, k: int, p: int, alt: bool) -> str:
    """m / 10**k (m >= 0) in %f style with ``p`` decimals."""
    if p >= k:
        return _exact_f(m, k, p, alt)
    return _place(_round_div(m, k - p), p, alt)


def _exact_f(m: int, k: int, p: int, alt: bool) -> str:
    """m / 10**k with ``p`` >= k decimals: its own digits, then zeros."""
    if k == 0:
        return str(m) + ("." + "0" * p if p else ("." if alt else ""))
    return _place(m, k, alt) + "0" * (p - k)


def _bin_f(m: int, k: int, p: int, alt: bool) -> str:
    """m / 2**k (m >= 0) in %f style with ``p`` decimals."""
    if p >= k:
        return _exact_f(m * 5**k, k, p, alt)
    q = m * _p10(p)
    if k:
        t = q
        q = t >> k
        r = t - (q << k)
        half = 1 << (k - 1)
        if r > half or (r == half and q & 1):
            q += 1
    return _place(q, p, alt)


def _place(q: int, p: int, alt: bool) -> str:
    """The integer q / 10**p with ``p`` decimals."""
    if not p:
        return str(q) + ("." if alt else "")
    s = str(q)
    if len(s) <= p:
        s = "0" * (p + 1 - len(s)) + s
    return s[:-p] + "." + s[-p:]


def _dec_e(m: int, k: int, p: int, alt: bool, e: str) -> tuple[str, int]:
    """m / 10**k (m >= 0) in %e style with ``p`` decimals; also the decimal exponent."""
    if m == 0:
        mant = "0" + ("." + "0" * p if p else ("." if alt else ""))
        return mant + e + "+00", 0
    s = str(m)
    d = len(s)
    exp = d - 1 - k
    if d > p + 1:
        q = _round_div(m, d - p - 1)
        s = str(q)
        if len(s) > p + 1:  # rounded up to the next power of ten
            exp += 1
            s = s[:-1]
    else:
        s = s + "0" * (p + 1 - d)
    mant = s[0] + ("." + s[1:] if p else ("." if alt else ""))
    if exp < 0:
        return f"{mant}{e}-{-exp:02d}", exp
    return f"{mant}{e}+{exp:02d}", exp


def dyadic_body(m: int, k: int, prec, conv: str, alt: bool) -> str:
    """The digits of (m / 2**k), m >= 0, for an e, f or g conversion (no sign, no padding)."""
    p = 6 if prec is None else prec
    if conv == "f" or conv == "F":
        return _bin_f(m, k, p, alt)
    if k:
        m *= 5**k  # m / 2**k == m * 5**k / 10**k
    e = "e" if conv == "e" or conv == "g" else "E"
    if conv == "e" or conv == "E":
        return _dec_e(m, k, p, alt, e)[0]
    if p == 0:
        p = 1
    if not alt and m and p > 40:
        digits = str(m)
        if p >= len(digits):
            # no rounding: the exact digits, trailing zeros dropped, without building them
            x = len(digits) - 1 - k
            if p > x >= -4:
                s = _place(m, k, False) if k else digits
                return s.rstrip("0").rstrip(".") if "." in s else s
            digits = digits.rstrip("0")
            mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
            return f"{mant}{e}-{-x:02d}" if x < 0 else f"{mant}{e}+{x:02d}"
    s, x = _dec_e(m, k, p - 1, alt, e)
    if p > x >= -4:
        s = _dec_f(m, k, p - 1 - x, alt)
        if not alt and "." in s:
            s = s.rstrip("0").rstrip(".")
        return s
    if not alt:
        mant, _, ex = s.partition(e)
        if "." in mant:
            mant = mant.rstrip("0").rstrip(".")
        s = mant + e + ex
    return s


def pad_number(flags: str, width: int, neg: bool, body: str) -> str:
    sign = "-" if neg else ("+" if "+" in flags else (" " if " " in flags else ""))
    pad = width - len(sign) - len(body)
    if pad <= 0:
        return sign + body
    if "-" in flags:
        return sign + body + " " * pad
    if "0" in flags:
        return sign + "0" * pad + body
    return " " * pad + sign + body


class Format:
    def __init__(self, prefix: bytes, flags: str, width: int, prec, conv: str, suffix: bytes) -> None:
        self.prefix, self.flags, self.width, self.prec, self.conv, self.suffix = (
            prefix,
            flags,
            width,
            prec,
            conv,
            suffix,
        )

    def body(self, v) -> bytes:
        return printf_one(self.flags, self.width, self.prec, self.conv, v).encode()

    def __call__(self, v) -> bytes:
        try:
            return self.prefix + self.body(v) + self.suffix
        except NoMemory:
            OUT.write(self.prefix)  # printf wrote the text before the directive
            raise


def unpercent(s: bytes) -> bytes:
    return s.replace(b"%%", b"%")


def parse_format(fmt: bytes) -> Format:
    i = 0
    n = len(fmt)
    while not (i < n and fmt[i] == 37 and (i + 1 >= n or fmt[i + 1] != 37)):
        if i >= n:
            die(b"format " + locale_quote(fmt) + b" has no % directive")
        i += 2 if fmt[i] == 37 else 1
    prefix = fmt[:i]
    i += 1
    j = i
    while i < n and fmt[i : i + 1] in (b"-", b"+", b"#", b"0", b" ", b"'"):
        i += 1
    flags = fmt[j:i].decode()
    j = i
    while i < n and 48 <= fmt[i] <= 57:
        i += 1
    width = int(fmt[j:i]) if i > j else 0
    prec = None
    if i < n and fmt[i] == 46:
        i += 1
        j = i
        while i < n and 48 <= fmt[i] <= 57:
            i += 1
        prec = int(fmt[j:i]) if i > j else 0
    if i < n and fmt[i] == ord("L"):
        i += 1
    if i >= n:
        die(b"format " + locale_quote(fmt) + b" ends in %")
    conv = chr(fmt[i])
    if conv not in "efgaEFGA":
        die(b"format " + locale_quote(fmt) + b" has unknown %" + fmt[i : i + 1] + b" directive")
    i += 1
    start = i
    while i < n:
        if fmt[i] == 37:
            if i + 1 < n and fmt[i + 1] == 37:
                i += 2
                continue
            die(b"format " + locale_quote(fmt) + b" has too many % directives")
        i += 1
    return Format(unpercent(prefix), flags, width, prec, conv, unpercent(fmt[start:]))


def die(msg: bytes) -> None:
    warn(msg)
    sys.exit(1)


def usage_error(msg: bytes) -> None:
    warn(msg)
    try_help()


class Operand:
    def __init__(self, value, width: int, precision) -> None:
        self.value, self.width, self.precision = value, width, precision


def scan_arg(arg: bytes) -> Operand:
    v = strtold(arg)
    if v is None:
        usage_error(b"invalid floating point argument: " + locale_quote(arg))
    if v == NAN:
        usage_error(b"invalid 'not-a-number' argument: " + locale_quote(arg))
    s = arg.lstrip(b" \t\n\v\f\r+")
    while s[:1] in (b" ", b"\t", b"\n", b"\v", b"\f", b"\r", b"+"):
        s = s[1:]
    width = len(s)
    precision = None
    finite = v not in (INF, NINF)
    if b"x" not in s and b"X" not in s and finite:
        dp = s.find(b".")
        if dp < 0:
            precision = 0
        else:
            rest = s[dp + 1 :]
            m = re.match(rb"[^eE]*", rest)
            flen = len(m.group(0)) if m else 0
            precision = flen
            if flen == 0:
                width -= 1
            elif dp == 0 or not (48 <= s[dp - 1] <= 57):
                width += 1
        e = s.find(b"e")
        if e < 0:
            e = s.find(b"E")
        if e >= 0:
            m = re.match(rb"[ \t]*[+-]?[0-9]+", s[e + 1 :])
            exponent = int(m.group(0)) if m else 0
            exponent = max(exponent, -(2**63 - 1))
            if exponent < 0:
                precision += -exponent
            else:
                precision -= min(precision, exponent)
            width -= len(s) - e
            if exponent < 0:
                if dp < 0:
                    width += 1
                width += -exponent
            else:
                if precision == 0 and dp >= 0:
                    width -= 1
                width += exponent - min(exponent, s[dp + 1 : e].__len__() if dp >= 0 else 0) if False else 0
    return Operand(v, width, precision)


def all_digits(s: bytes) -> bool:
    return len(s) > 0 and all(48 <= c <= 57 for c in s)


def seq_fast(a: int, b: int, step: int, sep: bytes) -> None:
    if a > b:
        return
    sep_s = sep.decode("latin-1")
    lead = ""
    x = a
    while x <= b:
        # a batch of numbers joined at C speed
        r = range(x, min(x + 4096 * step, b + 1), step)
        OUT.write((lead + sep_s.join(map(str, r))).encode("latin-1"))
        lead = sep_s
        x += len(r) * step
    OUT.write(b"\n")


def mul(i: int, v):
    if isinstance(v, str):
        if v == "-0":
            return Fraction(0)
        return v
    p = v * i
    if p.numerator.bit_length() <= MANT:
        return p
    return round_ld(p)


def add(a, b):
    if isinstance(a, str) or isinstance(b, str):
        if (a == INF and b == NINF) or (a == NINF and b == INF):
            return NNAN
        for x in (a, b):
            if x in (INF, NINF):
                return x
        if a == "-0" and b == "-0":
            return "-0"
        return b if a == "-0" else a
    r = a + b
    if r.numerator.bit_length() <= MANT:
        return r
    return round_ld(r)


def default_format(first: Operand, step: Operand, last: Operand, equal_width: bool) -> Format:
    if first.precision is not None and step.precision is not None and last.precision is not None:
        prec = max(first.precision, step.precision)
        if equal_width:
            first_width = first.width + (prec - first.precision)
            last_width = last.width + (prec - last.precision)
            if last.precision and prec == 0:
                last_width -= 1
            if last.precision == 0 and prec:
                last_width += 1
            if first.precision == 0 and prec:
                first_width += 1
            width = max(first_width, last_width)
            return Format(b"", "0", width, prec, "f", b"")
        return Format(b"", "", 0, prec, "f", b"")
    return Format(b"", "", 0, None, "g", b"")


def rnd64(n: int) -> int:
    """An integer rounded to a long double's 64 significant bits, ties to even."""
    if n < 0:
        return -rnd64(-n)
    sh = n.bit_length() - MANT
    if sh <= 0:
        return n
    q = n >> sh
    r = n & ((1 << sh) - 1)
    half = 1 << (sh - 1)
    if r > half or (r == half and q & 1):
        q += 1
    return q << sh


def number_printer(fmt: Format, k: int):
    """A function printing the long double ``xn / 2**k`` (xn an int) through ``fmt``."""
    den = 1 << k
    flags = fmt.flags.replace("'", "")
    spec = "%" + flags + (str(fmt.width) if fmt.width else "")
    spec += ("" if fmt.prec is None else "." + str(fmt.prec)) + fmt.conv
    pre, suf = fmt.prefix, fmt.suffix
    width, prec, conv, alt = fmt.width, fmt.prec, fmt.conv, "#" in flags
    # exact as a double: Python's printf is glibc's (and quick for a short precision)
    small = 1 << 53 if k < 1000 and (prec is None or prec <= 100) else 0

    sig = 0  # significant digits an integer is rounded to, when it is
    if k == 0 and conv in "eE":
        sig = 7 if prec is None else prec + 1
    elif k == 0 and conv in "gG":
        sig = 6 if prec is None else max(prec, 1)

    def show(xn: int) -> tuple[bytes, int, int]:
        """The printed number and the range of numerators printed the same."""
        lo = hi = xn
        if -small < xn < small:
            s = spec % (xn / den)
        else:
            m = abs(xn)
            s = pad_number(flags, width, xn < 0, dyadic_body(m, k, prec, conv, alt))
            d = len(str(m)) if sig else 0
            if d > sig:
                # every integer of d digits that rounds to the same sig digits
                e = d - sig
                u = _p10(e)
                q = _round_div(m, e)
                lo = max(q * u - u // 2 + 1, _p10(d - 1))
                hi = min(q * u + u // 2 - 1, _p10(d) - 1)
                if xn < 0:
                    lo, hi = -hi, -lo
        return pre + s.encode() + suf, lo, hi

    return show


def print_exact(fmt: Format, first: Fraction, step: Fraction, last, sep: bytes, neg_step: bool, head: bytes):
    """The loop of print_numbers while FIRST and INCREMENT are finite: x = FIRST + i * INCREMENT
    as integers over one power-of-two denominator, each product and sum rounded to 64 bits
    as a long double is.  Returns None when done, else (x, i) for the general loop to go on
    after x, already printed (a sum that would overflow to infinity)."""
    den = max(first.denominator, step.denominator)
    k = den.bit_length() - 1
    fnum = first.numerator * (den // first.denominator)
    snum = step.numerator * (den // step.denominator)
    if isinstance(last, Fraction):
        lnum, lden = last.numerator * den, last.denominator
    elif last == "-0":
        lnum, lden = 0, 1
    else:
        lnum = lden = 0  # an infinite LAST on the side the numbers go: never passed
    show = number_printer(fmt, k)
    top = EMAX + k  # a numerator this long is infinite
    lim = 1 << MANT
    nlim = -lim
    chunks: list[bytes] = []
    append = chunks.append
    i = 1
    xn = fnum
    append(head or show(xn)[0])
    lo, hi = 1, 0
    prev_s = b""
    size = 0
    while True:
        # each piece is SEP and the next number; pieces written in batches
        prod = i * snum
        if not nlim < prod < lim:
            prod = rnd64(prod)
        nxt = fnum + prod
        if not nlim < nxt < lim:
            nxt = rnd64(nxt)
            if nxt.bit_length() > top or prod.bit_length() > top:
                OUT.write(b"".join(chunks))
                return Fraction(xn, den), i
        i += 1
        if lden and (nxt * lden < lnum if neg_step else lnum < nxt * lden):
            x0 = "-0" if head and i == 2 else Fraction(xn, den)
            x = Fraction(nxt, den)
            xs = fmt.body(x)
            xv = strtold(xs)
            if xv is not None and xv != NAN and not lt(xv, last) and not lt(last, xv) and fmt.body(x0) != xs:
                append(sep)
                append(fmt(x))
            append(b"\n")
            OUT.write(b"".join(chunks))
            return None
        xn = nxt
        if not lo <= xn <= hi:
            prev_s, lo, hi = show(xn)
            prev_s = sep + prev_s
        append(prev_s)
        size += len(prev_s)
        if size > 1 << 17:
            OUT.write(b"".join(chunks))
            chunks.clear()
            size = 0


def print_numbers(fmt: Format, first, step, last, sep: bytes) -> None:
    neg_step = is_neg(step)
    out_of_range = lt(first, last) if neg_step else lt(last, first)
    if out_of_range:
        return
    x = first
    i = 1
    skip = False
    if (isinstance(first, Fraction) or first == "-0") and (
        isinstance(step, Fraction)
        and fmt.conv not in "aA"
        and fmt.width <= 1 << 22
        and (fmt.prec is None or fmt.prec <= 1 << 22)
        and max(step.denominator, first.denominator if isinstance(first, Fraction) else 1).bit_length() <= 16000
    ):
        # -0 + i * INCREMENT is i * INCREMENT: only the first number shows the sign
        head = fmt(first) if first == "-0" else b""
        start = Fraction(0) if first == "-0" else first
        resume = print_exact(fmt, start, step, last, sep, neg_step, head)
        if resume is None:
            return
        x, i = resume
        skip = True
    out = []
    size = 0
    prev_x = None
    prev_s = b""
    while True:
        x0 = x
        if skip:
            s = b""
        elif type(x) is type(prev_x) and x == prev_x:
            s = prev_s
        else:
            s = prev_s = fmt(x)
            prev_x = x
        skip = False
        out.append(s)
        size += len(s)
        if size > 1 << 17:
            OUT.write(b"".join(out))
            out = []
            size = 0
        if out_of_range:
            break
        x = add(first, mul(i, step))
        i += 1
        out_of_range = lt(x, last) if neg_step else lt(last, x)
        if out_of_range:
            extra = False
            xs = fmt.body(x)
            xv = strtold(xs)
            if xv is not None and not lt(xv, last) and not lt(last, xv) and xv != NAN and last != NAN:
                extra = fmt.body(x0) != xs
            if not extra:
                break
        out.append(sep)
        size += len(sep)
    out.append(b"\n")
    OUT.write(b"".join(out))


def main() -> int:
    args = [os.fsencode(a) for a in sys.argv[1:]]
    shorts = {b"f": 1, b"s": 1, b"w": 0}
    longs = [
        (b"equal-width", 0, b"w"),
        (b"format", 1, b"f"),
        (b"separator", 1, b"s"),
        (b"help", 0, b"help"),
        (b"version", 0, b"version"),
    ]
    fmt_str = None
    sep = b"\n"
    equal_width = False

    # Options stop at the first operand, and at anything that looks like a negative number.
    def stop(a: bytes) -> bool:
        if a[:1] == b"-" and len(a) > 1 and (a[1:2] == b"." or 48 <= a[1] <= 57):
            return True
        return not a.startswith(b"-") or a == b"-"

    operands: list[bytes] = []
    try:
        for kind, key, val in getopt(args, shorts, longs, stop):
            if kind == "error":
                raise OptError(key)
            if kind == "operands":
                operands = key
            elif key == b"f":
                fmt_str = val
            elif key == b"s":
                sep = val
            elif key == b"w":
                equal_width = True
            elif key == b"help":
                OUT.write(HELP)
                return 0
            elif key == b"version":
                OUT.write(VERSION)
                return 0
    except OptError as e:
        warn(e.args[0])
        try_help()
    if not operands:
        usage_error(b"missing operand")
    if len(operands) > 3:
        usage_error(b"extra operand " + locale_quote(operands[3]))
    fmt = parse_format(fmt_str) if fmt_str is not None else None
    if fmt is not None and equal_width:
        usage_error(b"format string may not be specified when printing equal width strings")
    n = len(operands)
    if (
        all_digits(operands[0])
        and (n == 1 or all_digits(operands[1]))
        and (n < 3 or all_digits(operands[2]))
        and not equal_width
        and fmt is None
        and len(sep) == 1
    ):
        if n == 3:
            step_v = int(operands[1])
            fast = 0 < step_v
        else:
            step_v = 1
            fast = True
        if fast:
            a = 1 if n == 1 else int(operands[0])
            b = int(operands[-1])
            seq_fast(a, b, step_v, sep)
            return 0
    first = Operand(Fraction(1), 1, 0)
    step = Operand(Fraction(1), 1, 0)
    last = scan_arg(operands[0])
    if n >= 2:
        first = last
        last = scan_arg(operands[1])
        if n == 3:
            step = last
            if step.value in (0, "-0"):
                usage_error(b"invalid Zero increment value: " + locale_quote(operands[1]))
            last = scan_arg(operands[2])
    if fmt is None:
        fmt = default_format(first, step, last, equal_width)
    try:
        print_numbers(fmt, first.value, step.value, last.value, sep)
    except NoMemory:
        OUT.flush()
        die(b"write error: Cannot allocate memory")
    except WriteOverflow:
        OUT.flush()
        die(b"write error: Value too large for defined data type")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(1)
