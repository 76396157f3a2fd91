"""GNU factor (coreutils 9.1) in Python: print the prime factors of numbers.

Written from `factor --help` and the coreutils manual ("factor invocation"): numbers
come from the operands or, with none, from standard input, delimited by newlines,
tabs or spaces; any size. Primality: Miller-Rabin (deterministic bases below
3.3e24, strong probable primes beyond); factors: trial division, then Pollard-Brent rho.
"""

import os
import sys
from math import gcd, isqrt

PROG = b"factor"

HELP = b"""\
Usage: factor [NUMBER]...
  or:  factor OPTION
Print the prime factors of each specified integer NUMBER.  If none
are specified on the command line, read them from standard input.

      --help        display this help and exit
      --version     output version information and exit

GNU coreutils online help: <https://www.gnu.org/software/coreutils/>
Report any translation bugs to <https://translationproject.org/team/>
Full documentation <https://www.gnu.org/software/coreutils/factor>
or available locally via: info '(coreutils) factor invocation'
"""

VERSION = b"""\
factor (GNU coreutils) 9.1
Copyright (C) 2022 Free Software Foundation, Inc.
License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.
This is free software: you are free to change and redistribute it.
There is NO WARRANTY, to the extent permitted by law.

Written by Paul Rubin, Torbjorn Granlund, and Niels Moller.
"""

# (name, key) in the program's table order; none takes an argument. The first is
# a developer option spelled '---debug'; it is accepted and changes no output here.
LONG_OPTIONS = [(b"-debug", "debug"), (b"help", "help"), (b"version", "version")]

OUT = sys.stdout.buffer
ERR = sys.stderr.buffer

if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)

# ---------------------------------------------------------------- messages

C_ESCAPES = {7: b"a", 8: b"b", 9: b"t", 10: b"n", 11: b"v", 12: b"f", 13: b"r"}


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


def error(message: bytes) -> None:
    OUT.flush()
    ERR.write(PROG + b": " + message + b"\n")
    ERR.flush()


def usage_error(message: bytes) -> None:
    error(message)
    ERR.write(b"Try '" + PROG + b" --help' for more information.\n")
    ERR.flush()
    sys.exit(1)


# ---------------------------------------------------------------- options


def getopt_long(args: list[bytes]) -> tuple[list[tuple[str, bytes | None]], list[bytes]]:
    """Split args as glibc's getopt_long does (permuting, unique abbreviations);
    there are no short options. A usage error is ("?", message) and ends the list."""
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
        options.append(("?", b"invalid option -- '" + arg[1:2] + b"'"))
        return options, operands
    return options, operands


# ---------------------------------------------------------------- arithmetic


def small_primes(limit: int) -> list[int]:
    sieve = bytearray([1]) * (limit + 1)
    sieve[0:2] = b"\0\0"
    for p in range(2, isqrt(limit) + 1):
        if sieve[p]:
            sieve[p * p :: p] = bytes(len(range(p * p, limit + 1, p)))
    return [p for p in range(limit + 1) if sieve[p]]


TRIAL_LIMIT = 2000
PRIMES = small_primes(TRIAL_LIMIT)
PRIMORIAL = 1
for _p in PRIMES:
    PRIMORIAL *= _p
MR_BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)
DETERMINISTIC_BELOW = 3317044064679887385961981  # the 13 bases above decide every n below this
EXTRA_BASES = (43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97)


def strong_probable_prime(n: int, d: int, s: int, a: int) -> bool:
    x = pow(a, d, n)
    if x == 1 or x == n - 1:
        return True
    for _ in range(s - 1):
        x = x * x % n
        if x == n - 1:
            return True
    return False


def is_prime(n: int) -> bool:
    """n > TRIAL_LIMIT with no factor up to TRIAL_LIMIT."""
    if n < TRIAL_LIMIT * TRIAL_LIMIT:
        return True
    d = n - 1
    s = (d & -d).bit_length() - 1
    d >>= s
    bases = MR_BASES if n < DETERMINISTIC_BELOW else MR_BASES + EXTRA_BASES
    return all(strong_probable_prime(n, d, s, a) for a in bases)


def rho(n: int, c: int) -> int:
    """A factor of the odd composite n (maybe n itself) by Pollard-Brent with x^2 + c."""
    y = 2
    r = 1
    q = 1
    g = 1
    x = ys = y
    m = 128
    while g == 1:
        x = y
        for _ in range(r):
            y = (y * y + c) % n
        k = 0
        while k < r and g == 1:
            ys = y
            for _ in range(min(m, r - k)):
                y = (y * y + c) % n
                q = q * (x - y) % n
            g = gcd(q, n)
            k += m
        r <<= 1
    if g == n:
        g = 1
        while g == 1:
            ys = (ys * ys + c) % n
            g = gcd(x - ys, n)
    return g


def split(n: int, found: list[int]) -> None:
    """Append the prime factors of n (no factor up to TRIAL_LIMIT) to found."""
    stack = [n]
    while stack:
        m = stack.pop()
        if m == 1:
            continue
        if is_prime(m):
            found.append(m)
            continue
        root = isqrt(m)
        if root * root == m:
            stack += [root, root]
            continue
        c = 1
        while True:
            g = rho(m, c)
            if g != m:
                break
            c += 1
        stack += [g, m // g]


def factorize(n: int) -> list[int]:
    """The prime factors of n < 2**127, ascending (the program's single-precision path)."""
    found: list[int] = []
    if n < 2:
        return found
    if gcd(n, PRIMORIAL) != 1:
        for p in PRIMES:
            if n % p == 0:
                while n % p == 0:
                    n //= p
                    found.append(p)
                if n == 1:
                    break
    if n > 1:
        rest: list[int] = []
        split(n, rest)
        found += sorted(rest)
    return found


# ------------------------------------------- the arbitrary-precision path (n >= 2**127)
#
# The manual: numbers beyond 2**127 take a slower algorithm, Pollard-Brent rho. It is
# followed step by step (trial division by the primes below 5000, a prime test that
# proves primality by Lucas' theorem over the factors of n - 1, rho with x <- x^2 + a
# from x = 2 and a gcd every 32 steps), so that the developer trace of '---debug' and
# the time taken follow the program's.

MP_PRIMES = small_primes(5000)
FIRST_OMITTED_PRIME = 5003
DEBUG = False


def devmsg(text: bytes) -> None:
    if DEBUG:
        ERR.write(text)


def mp_division(t: int, found: list[int]) -> int:
    devmsg(b"[trial division] ")
    twos = (t & -t).bit_length() - 1
    t >>= twos
    found += [2] * twos
    for i in range(1, len(MP_PRIMES)):
        p = MP_PRIMES[i]
        while t % p == 0:
            t //= p
            found.append(p)
        following = MP_PRIMES[i + 1] if i + 1 < len(MP_PRIMES) else FIRST_OMITTED_PRIME
        if t < following * following:
            break
    return t


def mp_miller_rabin(n: int, nm1: int, a: int, q: int, k: int) -> bool:
    y = pow(a, q, n)
    if y == 1 or y == nm1:
        return True
    for _ in range(1, k):
        y = y * y % n
        if y == nm1:
            return True
        if y == 1:
            return False
    return False


def mp_prime_p(n: int) -> bool:
    if n <= 1:
        return False
    if n < FIRST_OMITTED_PRIME * FIRST_OMITTED_PRIME:
        return True
    nm1 = n - 1
    k = (nm1 & -nm1).bit_length() - 1
    q = nm1 >> k
    a = 2
    if not mp_miller_rabin(n, nm1, a, q, k):
        return False
    factors: list[int] = []
    mp_factor(nm1, factors)
    distinct = sorted(set(factors))
    for r in range(1, len(MP_PRIMES) + 1):
        if all(pow(a, nm1 // p, n) != 1 for p in distinct):
            return True
        a = MP_PRIMES[r] if r < len(MP_PRIMES) else FIRST_OMITTED_PRIME
        if not mp_miller_rabin(n, nm1, a, q, k):
            return False
    error(b"Lucas prime test failure.  This should not happen")
    os.abort()


def mp_rho(n: int, a: int, found: list[int]) -> None:
    devmsg(b"[pollard-rho (%d)] " % a)
    x = y = z = 2
    p = 1
    k = 1
    span = 1
    while n != 1:
        hit = False
        while not hit:
            while True:
                x = x * x % n + a
                p = p * (z - x) % n
                if k % 32 == 1:
                    if gcd(p, n) != 1:
                        hit = True
                        break
                    y = x
                k -= 1
                if k == 0:
                    break
            if hit:
                break
            z = x
            k = span
            span = 2 * span
            for _ in range(k):
                x = x * x % n + a
            y = x
        while True:
            y = y * y % n + a
            t = gcd(z - y, n)
            if t != 1:
                break
        n //= t
        if not mp_prime_p(t):
            devmsg(b"[composite factor--restarting pollard-rho] ")
            mp_rho(t, a + 1, found)
        else:
            found.append(t)
        if mp_prime_p(n):
            found.append(n)
            break
        x %= n
        z %= n
        y %= n


def mp_factor(t: int, found: list[int]) -> None:
    if t == 0:
        return
    t = mp_division(t, found)
    if t != 1:
        devmsg(b"[is number prime?] ")
        if mp_prime_p(t):
            found.append(t)
        else:
            mp_rho(t, 1, found)


# ---------------------------------------------------------------- numbers


def parse_number(token: bytes) -> int | None:
    """Leading spaces and one '+' skipped, then decimal digits only (at least one)."""
    text = token.lstrip(b" ")
    if text[:1] == b"+":
        text = text[1:]
    if not text or not text.isdigit():
        return None
    return int(text)


# GNU factor writes two ways: the lines of numbers below 2**127 go to its own line
# buffer, written straight to the descriptor in whole lines of at most 512 bytes
# (coreutils 9.1's FACTOR_PIPE_BUF) once 512 bytes are waiting, and the rest at
# exit; the line of a larger number is written at once. So a large number's line
# can come out ahead of smaller numbers given before it.
PIPE_BUF = 512
_lines = bytearray()


def put_line(line: bytes, at_once: bool) -> None:
    if at_once:
        OUT.write(line)
        OUT.flush()
        return
    _lines.extend(line)
    if len(_lines) >= PIPE_BUF:
        cut = _lines.rfind(b"\n", 0, PIPE_BUF) + 1
        OUT.write(_lines[:cut])
        OUT.flush()
        del _lines[:cut]


def flush_at_exit() -> None:
    OUT.write(_lines)
    OUT.flush()


def print_factors(token: bytes) -> bool:
    token = token.split(b"\0", 1)[0]  # the program sees a C string
    n = parse_number(token)
    if n is None:
        error(quote(token) + b" is not a valid positive integer")
        return False
    parts = [b"%d:" % n]
    if n < 1 << 127:
        devmsg(b"[using single-precision arithmetic] ")
        parts += [b"%d" % p for p in factorize(n)]
    else:
        devmsg(b"[using arbitrary-precision arithmetic] ")
        found: list[int] = []
        mp_factor(n, found)
        parts += [b"%d" % p for p in sorted(found)]
    put_line(b" ".join(parts) + b"\n", n >= 1 << 127)
    return True


def stdin_tokens():
    data = sys.stdin.buffer.read()
    data = data.replace(b"\t", b" ").replace(b"\n", b" ")
    for token in data.split(b" "):
        if token:
            yield token


def main() -> None:
    options, operands = getopt_long([os.fsencode(a) for a in sys.argv[1:]])
    global DEBUG
    for key, value in options:
        if key == "debug":
            DEBUG = True
        if key == "help":
            OUT.write(HELP)
            OUT.flush()
            sys.exit(0)
        if key == "version":
            OUT.write(VERSION)
            OUT.flush()
            sys.exit(0)
        if key == "?":
            assert value is not None
            usage_error(value)
    ok = True
    for token in operands if operands else stdin_tokens():
        ok &= print_factors(token)
    flush_at_exit()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
