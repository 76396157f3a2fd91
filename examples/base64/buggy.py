#!/usr/bin/env python3
"""A pure-Python reimplementation of GNU coreutils 9.1 ``base64``, with one planted bug.

This is ``good.py`` with a single deliberate mistake in line wrapping (search
for "PLANTED BUG"); fuzzdiff should report a divergence from the reference.

Example candidate for fuzzdiff: it is meant to match ``/usr/bin/base64``
byte for byte (stdout, stderr, exit status) under LC_ALL=C. It follows the
structure of the C sources closely, because the observable corner cases live
in the details:

* option parsing is glibc ``getopt_long`` (argument permutation, clustered
  short flags, unambiguous long prefixes, its exact diagnostics);
* ``--wrap`` goes through gnulib ``xstrtoimax`` (leading white space and a
  sign are accepted, a value too large for intmax_t means "no wrapping");
* decoding is gnulib ``base64_decode_ctx`` driven by coreutils' block loop,
  so partial output before ``invalid input`` is the same;
* file names in diagnostics are quoted by gnulib ``quotearg``
  (``shell_escape`` style for file errors, ``locale`` style for ``quote``).

Standard library only.
"""

from __future__ import annotations

import os
import sys

PROGRAM = b"base64"

HELP_TEXT = (
    b"Usage: base64 [OPTION]... [FILE]\n"
    b"Base64 encode or decode FILE, or standard input, to standard output.\n"
    b"\n"
    b"With no FILE, or when FILE is -, read standard input.\n"
    b"\n"
    b"Mandatory arguments to long options are mandatory for short options too.\n"
    b"  -d, --decode          decode data\n"
    b"  -i, --ignore-garbage  when decoding, ignore non-alphabet characters\n"
    b"  -w, --wrap=COLS       wrap encoded lines after COLS character (default 76).\n"
    b"                          Use 0 to disable line wrapping\n"
    b"      --help        display this help and exit\n"
    b"      --version     output version information and exit\n"
    b"\n"
    b"The data are encoded as described for the base64 alphabet in RFC 4648.\n"
    b"When decoding, the input may contain newlines in addition to the bytes of\n"
    b"the formal base64 alphabet.  Use --ignore-garbage to attempt to recover\n"
    b"from any other non-alphabet bytes in the encoded stream.\n"
    b"\n"
    b"GNU coreutils online help: <https://www.gnu.org/software/coreutils/>\n"
    b"Report any translation bugs to <https://translationproject.org/team/>\n"
    b"Full documentation <https://www.gnu.org/software/coreutils/base64>\n"
    b"or available locally via: info '(coreutils) base64 invocation'\n"
)

VERSION_TEXT = (
    b"base64 (GNU coreutils) 9.1\n"
    b"Copyright (C) 2022 Free Software Foundation, Inc.\n"
    b"License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.\n"
    b"This is free software: you are free to change and redistribute it.\n"
    b"There is NO WARRANTY, to the extent permitted by law.\n"
    b"\n"
    b"Written by Simon Josefsson.\n"
)

ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
B64 = [-1] * 256
for _i, _c in enumerate(ALPHABET):
    B64[_c] = _i
NL = 0x0A
EQ = 0x3D

ENC_BLOCKSIZE = 1024 * 3 * 10
DEC_BLOCKSIZE = 1024 * 3
DEC_INBUF = DEC_BLOCKSIZE * 4 // 3  # BASE64_LENGTH (DEC_BLOCKSIZE)

INTMAX_MAX = (1 << 63) - 1
INTMAX_MIN = -(1 << 63)

EXIT_SUCCESS = 0
EXIT_FAILURE = 1


# ---------------------------------------------------------------------------
# Output: stdout is buffered (as stdio would) and flushed before diagnostics.


class Out:
    def __init__(self) -> None:
        self.buf = bytearray()

    def write(self, data: bytes) -> None:
        self.buf += data
        if len(self.buf) >= 1 << 16:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            try:
                sys.stdout.buffer.write(self.buf)
                sys.stdout.buffer.flush()
            except OSError:
                pass
            self.buf = bytearray()


OUT = Out()


def err_write(data: bytes) -> None:
    try:
        sys.stderr.buffer.write(data)
        sys.stderr.buffer.flush()
    except OSError:
        pass


def finish(status: int) -> None:
    OUT.flush()
    sys.stdout.flush()
    os._exit(status)


def error(status: int, errnum: int, message: bytes) -> None:
    """gnulib error()/die(): flush stdout, print 'base64: MESSAGE[: strerror]'."""
    OUT.flush()
    text = PROGRAM + b": " + message
    if errnum:
        text += b": " + os.strerror(errnum).encode("ascii", "replace")
    err_write(text + b"\n")
    if status:
        finish(status)


def usage(status: int) -> None:
    if status != EXIT_SUCCESS:
        err_write(b"Try '" + PROGRAM + b" --help' for more information.\n")
    else:
        OUT.write(HELP_TEXT)
    finish(status)


# ---------------------------------------------------------------------------
# gnulib quotearg, for the C/POSIX locale (unibyte, quotes are ' and ').

SHELL_ALWAYS = "shell_always"
SHELL_ESCAPE = "shell_escape"
SHELL_ESCAPE_ALWAYS = "shell_escape_always"
C_STYLE = "c"
LOCALE = "locale"


class _ForceOuter(Exception):
    pass


def _isprint_c(c: int) -> bool:
    return 0x20 <= c <= 0x7E


_SHELL_SPECIAL = set(b'!"$&()*;<=>[^`|')
_SAFE = set(b"%+,-./0123456789:ABCDEFGHIJKLMNOPQRSTUVWXYZ]_abcdefghijklmnopqrstuvwxyz")
_C_ESC = {0x07: b"a", 0x08: b"b", 0x0C: b"f", 0x0B: b"v"}
_CS_ESC = {0x0A: b"n", 0x0D: b"r", 0x09: b"t"}


def quotearg(arg: bytes, style: str, quote_these_too: frozenset[int] | None = None) -> bytes:
    """quotearg_buffer_restyled, reduced to the styles base64 uses (flags 0)."""
    # Elision of NUL bytes (QA_ELIDE_NULL_BYTES) is moot: argv has no NULs.
    elide_outer = False
    backslash_escapes = False
    if style == SHELL_ESCAPE:
        backslash_escapes = True
        elide_outer = True
        qstyle = SHELL_ALWAYS
    elif style == SHELL_ESCAPE_ALWAYS:
        backslash_escapes = True
        qstyle = SHELL_ALWAYS
    elif style == C_STYLE:
        backslash_escapes = True
        qstyle = C_STYLE
    elif style == LOCALE:
        backslash_escapes = True
        qstyle = LOCALE
    else:  # pragma: no cover
        raise AssertionError(style)
    try:
        return _quote_body(arg, qstyle, elide_outer, backslash_escapes, quote_these_too)
    except _ForceOuter:
        if qstyle == SHELL_ALWAYS and backslash_escapes:
            return quotearg(arg, SHELL_ESCAPE_ALWAYS, None)
        # other styles never elide outer quotes here
        raise AssertionError("unexpected force_outer") from None  # pragma: no cover


def _quote_body(
    arg: bytes,
    qstyle: str,
    elide_outer: bool,
    backslash_escapes: bool,
    quote_these_too: frozenset[int] | None,
    pending_start: bool | None = None,
) -> bytes:
    out = bytearray()
    if qstyle == C_STYLE:
        if not elide_outer:
            out += b'"'
        quote_string = b'"'
    elif qstyle == LOCALE:
        if not elide_outer:
            out += b"'"
        quote_string = b"'"
    else:  # shell_always
        if not elide_outer:
            out += b"'"
        quote_string = b"'"

    # On its second pass (see the end of this function) gnulib jumps back to
    # process_input without resetting pending_shell_escape_end, so the state
    # left by the first pass leaks into the second; reproduce that.
    pending_shell_escape_end = bool(pending_start)
    encountered_single_quote = False
    all_compat = True
    argsize = len(arg)
    shell = qstyle == SHELL_ALWAYS

    i = 0
    while i < argsize:
        c = arg[i]
        is_right_quote = False
        escaping = False
        compat = False

        if (
            backslash_escapes
            and not shell
            and quote_string
            and i + len(quote_string) <= argsize
            and arg[i : i + len(quote_string)] == quote_string
        ):
            if elide_outer:
                raise _ForceOuter
            is_right_quote = True

        action = "check"  # check quote_these_too, then store_c / store_escape
        if c == ord("?"):
            if shell and elide_outer:
                raise _ForceOuter
        elif c in _C_ESC or c in _CS_ESC or c == 0x5C:
            if c == 0x5C:
                esc = c
                if shell:
                    if elide_outer:
                        raise _ForceOuter
                    action = "store_c"
                elif backslash_escapes and elide_outer and quote_string:
                    action = "store_c"
                else:
                    if backslash_escapes:
                        c = esc
                        action = "store_escape"
            elif c in _CS_ESC:
                esc = _CS_ESC[c][0]
                if shell and elide_outer:
                    raise _ForceOuter
                if backslash_escapes:
                    c = esc
                    action = "store_escape"
            else:
                esc = _C_ESC[c][0]
                if backslash_escapes:
                    c = esc
                    action = "store_escape"
        elif c in (ord("{"), ord("}"), ord("#"), ord("~"), ord(" ")) or c in _SHELL_SPECIAL:
            special = True
            # '{' and '}' are special only when alone; they and '#', '~' only first
            if c in (ord("{"), ord("}")) and argsize != 1:
                special = False
            if special and c in (ord("{"), ord("}"), ord("#"), ord("~")) and i != 0:
                special = False
            if special:
                if c in (ord("{"), ord("}"), ord("#"), ord("~"), ord(" ")):
                    compat = True
                if shell and elide_outer:
                    raise _ForceOuter
        elif c == ord("'"):
            encountered_single_quote = True
            compat = True
            if shell:
                if elide_outer:
                    raise _ForceOuter
                out += b"'\\'"
                pending_shell_escape_end = False
        elif c in _SAFE:
            compat = True
        else:
            # unibyte locale: one byte, printable per isprint in the C locale
            printable = _isprint_c(c)
            compat = printable
            if backslash_escapes and not printable:
                # START_ESC
                if elide_outer:
                    raise _ForceOuter
                escaping = True
                if shell and not pending_shell_escape_end:
                    out += b"'$'"
                    pending_shell_escape_end = True
                out += b"\\"
                out.append(ord("0") + (c >> 6))
                out.append(ord("0") + ((c >> 3) & 7))
                c = ord("0") + (c & 7)
                action = "store_c"

        if action == "check":
            in_set = quote_these_too is not None and c in quote_these_too
            if not (((backslash_escapes and not shell) or elide_outer) and in_set) and not is_right_quote:
                action = "store_c"
            else:
                action = "store_escape"

        if action == "store_escape":
            if elide_outer:
                raise _ForceOuter
            escaping = True
            if shell and not pending_shell_escape_end:
                out += b"'$'"
                pending_shell_escape_end = True
            out += b"\\"

        # store_c
        if pending_shell_escape_end and not escaping:
            out += b"''"
            pending_shell_escape_end = False
        out.append(c)
        if not compat:
            all_compat = False
        i += 1

    if len(out) == 0 and shell and elide_outer:
        raise _ForceOuter

    if shell and not elide_outer and encountered_single_quote:
        if all_compat:
            return _quote_body(arg, C_STYLE, False, True, quote_these_too)
        if pending_start is None:
            # gnulib first scans (without storing) for a more concise form,
            # then reprocesses the input to write the quoted string.
            return _quote_body(arg, qstyle, elide_outer, backslash_escapes, quote_these_too, pending_shell_escape_end)

    if quote_string and not elide_outer:
        out += quote_string
    return bytes(out)


COLON = frozenset(b":")


def quotef(name: bytes) -> bytes:
    """coreutils quotef: shell-escape style, quoting ':' too."""
    return quotearg(name, SHELL_ESCAPE, COLON)


def quote(arg: bytes) -> bytes:
    """gnulib quote(): locale quoting style ('...' in the C locale)."""
    return quotearg(arg, LOCALE, frozenset())


# ---------------------------------------------------------------------------
# glibc getopt_long, permuting, for "diw:" and base64's long options.

LONGOPTS = (
    # name, has_arg, val
    (b"decode", 0, "d"),
    (b"wrap", 1, "w"),
    (b"ignore-garbage", 0, "i"),
    (b"help", 0, "help"),
    (b"version", 0, "version"),
)
SHORTOPTS = b"diw:"


class Getopt:
    def __init__(self, argv: list[bytes]) -> None:
        self.argv = argv
        self.argc = len(argv)
        self.optind = 1
        self.nextchar = b""
        self.first_nonopt = 1
        self.last_nonopt = 1
        self.optarg: bytes | None = None

    def _exchange(self) -> None:
        argv = self.argv
        bottom, middle, top = self.first_nonopt, self.last_nonopt, self.optind
        # rotate [bottom:middle] (non-options) past [middle:top] (options)
        argv[bottom:top] = argv[middle:top] + argv[bottom:middle]
        self.first_nonopt += self.optind - self.last_nonopt
        self.last_nonopt = self.optind

    def next(self):
        argv = self.argv
        self.optarg = None
        if self.optind == 0:
            self.optind = 1
        if not self.nextchar:
            if self.last_nonopt > self.optind:
                self.last_nonopt = self.optind
            if self.first_nonopt > self.optind:
                self.first_nonopt = self.optind
            # PERMUTE
            if self.first_nonopt != self.last_nonopt and self.last_nonopt != self.optind:
                self._exchange()
            elif self.last_nonopt != self.optind:
                self.first_nonopt = self.optind
            while self.optind < self.argc and (argv[self.optind][:1] != b"-" or len(argv[self.optind]) == 1):
                self.optind += 1
            self.last_nonopt = self.optind
            if self.optind != self.argc and argv[self.optind] == b"--":
                self.optind += 1
                if self.first_nonopt != self.last_nonopt and self.last_nonopt != self.optind:
                    self._exchange()
                elif self.first_nonopt == self.last_nonopt:
                    self.first_nonopt = self.optind
                self.last_nonopt = self.argc
                self.optind = self.argc
            if self.optind == self.argc:
                if self.first_nonopt != self.last_nonopt:
                    self.optind = self.first_nonopt
                return None
            arg = argv[self.optind]
            if arg[:2] == b"--":
                self.nextchar = arg[2:]
                return self._long(b"--")
            self.nextchar = arg[1:]

        c = self.nextchar[0]
        self.nextchar = self.nextchar[1:]
        pos = SHORTOPTS.find(bytes([c]))
        if not self.nextchar:
            self.optind += 1
        if pos < 0 or c == ord(":") or c == ord(";"):
            err_write(PROGRAM + b": invalid option -- '" + bytes([c]) + b"'\n")
            return "?"
        if pos + 1 < len(SHORTOPTS) and SHORTOPTS[pos + 1] == ord(":"):
            if self.nextchar:
                self.optarg = self.nextchar
                self.optind += 1
            elif self.optind == self.argc:
                err_write(PROGRAM + b": option requires an argument -- '" + bytes([c]) + b"'\n")
                self.nextchar = b""
                return "?"
            else:
                self.optarg = argv[self.optind]
                self.optind += 1
            self.nextchar = b""
        return chr(c)

    def _long(self, prefix: bytes):
        argv = self.argv
        nc = self.nextchar
        eq = nc.find(b"=")
        name = nc if eq < 0 else nc[:eq]
        pfound = None
        for opt in LONGOPTS:
            if opt[0] == name:
                pfound = opt
                break
        if pfound is None:
            matches = [o for o in LONGOPTS if o[0].startswith(name)]
            if matches:
                first = matches[0]
                ambig = [first]
                for o in matches[1:]:
                    if o[1] != first[1] or o[2] != first[2]:
                        ambig.append(o)
                if len(ambig) > 1:
                    msg = PROGRAM + b": option '" + prefix + nc + b"' is ambiguous; possibilities:"
                    for o in LONGOPTS:
                        if o in ambig:
                            msg += b" '" + prefix + o[0] + b"'"
                    err_write(msg + b"\n")
                    self.nextchar = b""
                    self.optind += 1
                    return "?"
                pfound = first
        if pfound is None:
            err_write(PROGRAM + b": unrecognized option '" + prefix + nc + b"'\n")
            self.nextchar = b""
            self.optind += 1
            return "?"
        self.optind += 1
        self.nextchar = b""
        if eq >= 0:
            if pfound[1]:
                self.optarg = nc[eq + 1 :]
            else:
                err_write(PROGRAM + b": option '" + prefix + pfound[0] + b"' doesn't allow an argument\n")
                return "?"
        elif pfound[1] == 1:
            if self.optind < self.argc:
                self.optarg = argv[self.optind]
                self.optind += 1
            else:
                err_write(PROGRAM + b": option '" + prefix + pfound[0] + b"' requires an argument\n")
                return "?"
        return pfound[2]


# ---------------------------------------------------------------------------
# gnulib xstrtoimax (base 10, valid_suffixes "").

LONGINT_OK = 0
LONGINT_OVERFLOW = 1
LONGINT_INVALID_SUFFIX_CHAR = 2
LONGINT_INVALID = 4

_C_SPACE = b" \t\n\v\f\r"


def xstrtoimax(s: bytes) -> tuple[int, int]:
    i = 0
    n = len(s)
    while i < n and s[i] in _C_SPACE:
        i += 1
    neg = False
    if i < n and s[i] in b"+-":
        neg = s[i] == ord("-")
        i += 1
    start = i
    while i < n and 0x30 <= s[i] <= 0x39:
        i += 1
    if i == start:
        return LONGINT_INVALID, 0
    value = int(s[start:i])
    if neg:
        value = -value
    err = LONGINT_OK
    if value > INTMAX_MAX:
        value, err = INTMAX_MAX, LONGINT_OVERFLOW
    elif value < INTMAX_MIN:
        value, err = INTMAX_MIN, LONGINT_OVERFLOW
    if i < n:
        return err | LONGINT_INVALID_SUFFIX_CHAR, value
    return err, value


# ---------------------------------------------------------------------------
# Input: stdio-like fread over a raw file descriptor.


class Input:
    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.eof = False
        self.errno = 0

    def fread(self, want: int) -> bytes:
        data = bytearray()
        while len(data) < want:
            try:
                chunk = os.read(self.fd, want - len(data))
            except InterruptedError:
                continue
            except OSError as exc:
                self.errno = exc.errno or 0
                break
            if not chunk:
                self.eof = True
                break
            data += chunk
        return bytes(data)


# ---------------------------------------------------------------------------
# Encoding.


def wrap_write(data: bytes, wrap_column: int, state: list[int]) -> None:
    """state = [current column, encoded bytes written so far]."""
    state[1] += len(data)
    if wrap_column == 0:
        OUT.write(data)
        return
    written = 0
    n = len(data)
    pieces = []
    while written < n:
        to_write = min(wrap_column - state[0], n - written)
        pieces.append(data[written : written + to_write])
        state[0] += to_write
        written += to_write
        if state[0] == wrap_column:
            # end the line as soon as it is full
            pieces.append(b"\n")
            state[0] = 0
    OUT.write(b"".join(pieces))


def b64encode(data: bytes) -> bytes:
    """RFC 4648 base64 with '=' padding (gnulib base64_encode)."""
    out = bytearray()
    n = len(data)
    full = n - n % 3
    a = ALPHABET
    for i in range(0, full, 3):
        v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2]
        out += bytes((a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63], a[v & 63]))
    rest = n - full
    if rest == 1:
        v = data[full] << 16
        out += bytes((a[v >> 18], a[(v >> 12) & 63])) + b"=="
    elif rest == 2:
        v = (data[full] << 16) | (data[full + 1] << 8)
        out += bytes((a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63])) + b"="
    return bytes(out)


def do_encode(inp: Input, wrap_column: int) -> None:
    state = [0, 0]
    while True:
        buf = bytearray()
        while True:
            buf += inp.fread(ENC_BLOCKSIZE - len(buf))
            if inp.eof or inp.errno or len(buf) >= ENC_BLOCKSIZE:
                break
        if buf:
            wrap_write(b64encode(bytes(buf)), wrap_column, state)
        if inp.eof or inp.errno or len(buf) != ENC_BLOCKSIZE:
            break
    # PLANTED BUG: "terminate the last line" tests whether anything was
    # written instead of whether the current line is non-empty. Lines are
    # ended eagerly above, so when the encoded length is an exact multiple of
    # the wrap width (e.g. `printf abc | base64 -w 4`, or 57 input bytes with
    # the default -w 76) the output ends with an extra empty line ("\n\n").
    # Empty input, -w 0 and decoding are unaffected.
    if wrap_column and state[1] > 0:
        OUT.write(b"\n")
    if inp.errno:
        error(EXIT_FAILURE, inp.errno, b"read error")
    finish(EXIT_SUCCESS)


# ---------------------------------------------------------------------------
# Decoding: gnulib base64_decode_ctx.


class DecodeContext:
    def __init__(self) -> None:
        self.i = 0
        self.buf = bytearray(4)


def isbase64(c: int) -> bool:
    return B64[c] >= 0


def decode_4(src, off: int, inlen: int, out: bytearray, outleft: int) -> tuple[bool, int]:
    if inlen < 2:
        return False, outleft
    c0, c1 = src[off], src[off + 1]
    if not isbase64(c0) or not isbase64(c1):
        return False, outleft
    if outleft:
        out.append(((B64[c0] << 2) | (B64[c1] >> 4)) & 0xFF)
        outleft -= 1
    if inlen == 2:
        return False, outleft
    c2 = src[off + 2]
    if c2 == EQ:
        if inlen != 4:
            return False, outleft
        if src[off + 3] != EQ:
            return False, outleft
    else:
        if not isbase64(c2):
            return False, outleft
        if outleft:
            out.append(((B64[c1] << 4) & 0xF0) | (B64[c2] >> 2))
            outleft -= 1
        if inlen == 3:
            return False, outleft
        c3 = src[off + 3]
        if c3 == EQ:
            if inlen != 4:
                return False, outleft
        else:
            if not isbase64(c3):
                return False, outleft
            if outleft:
                out.append(((B64[c2] << 6) & 0xC0) | B64[c3])
                outleft -= 1
    return True, outleft


def get_4(ctx: DecodeContext, data: bytes, pos: int, in_end: int):
    """-> (source, offset, new_pos, n_non_newline)"""
    if ctx.i == 4:
        ctx.i = 0
    if ctx.i == 0 and in_end - pos >= 4 and NL not in data[pos : pos + 4]:
        # the common case: four bytes, none a newline, used in place
        return data, pos, pos + 4, 4
    p = pos
    while p < in_end:
        c = data[p]
        p += 1
        if c != NL:
            ctx.buf[ctx.i] = c
            ctx.i += 1
            if ctx.i == 4:
                break
    return ctx.buf, 0, p, ctx.i


def base64_decode_ctx(ctx: DecodeContext, data: bytes, outlen: int) -> tuple[bytes, bool]:
    out = bytearray()
    outleft = outlen
    ctx_i = ctx.i
    flush_ctx = len(data) == 0
    pos = 0
    inlen = len(data)
    while True:
        outleft_save = outleft
        if ctx_i == 0 and not flush_ctx:
            while True:
                outleft_save = outleft
                ok, outleft = decode_4(data, pos, inlen, out, outleft)
                if not ok:
                    break
                pos += 4
                inlen -= 4
        if inlen == 0 and not flush_ctx:
            break
        if inlen and data[pos] == NL:
            pos += 1
            inlen -= 1
            continue
        undo = outleft_save - outleft
        if undo:
            del out[len(out) - undo :]
        outleft = outleft_save
        in_end = pos + inlen
        src, off, pos, inlen = get_4(ctx, data, pos, in_end)
        if inlen == 0 or (inlen < 4 and not flush_ctx):
            inlen = 0
            break
        ok, outleft = decode_4(src, off, inlen, out, outleft)
        if not ok:
            break
        inlen = in_end - pos
    return bytes(out), inlen == 0


def do_decode(inp: Input, ignore_garbage: bool) -> None:
    ctx = DecodeContext()
    while True:
        buf = bytearray()
        while True:
            chunk = inp.fread(DEC_INBUF - len(buf))
            if ignore_garbage:
                chunk = bytes(c for c in chunk if isbase64(c) or c == EQ)
            buf += chunk
            if inp.errno:
                error(EXIT_FAILURE, inp.errno, b"read error")
            if not (len(buf) < DEC_INBUF and not inp.eof):
                break
        for k in range(1 + (1 if inp.eof else 0)):
            if k == 1 and ctx.i == 0:
                break
            decoded, ok = base64_decode_ctx(ctx, bytes(buf) if k == 0 else b"", DEC_BLOCKSIZE)
            OUT.write(decoded)
            if not ok:
                error(EXIT_FAILURE, 0, b"invalid input")
        if inp.eof:
            break
    finish(EXIT_SUCCESS)


# ---------------------------------------------------------------------------


def main() -> None:
    argv = [PROGRAM] + [os.fsencode(a) for a in sys.argv[1:]]
    decode = False
    ignore_garbage = False
    wrap_column = 76

    g = Getopt(argv)
    while True:
        opt = g.next()
        if opt is None:
            break
        if opt == "d":
            decode = True
        elif opt == "w":
            optarg = g.optarg or b""
            s_err, w = xstrtoimax(optarg)
            if s_err > LONGINT_OVERFLOW or w < 0:
                error(EXIT_FAILURE, 0, b"invalid wrap size: " + quote(optarg))
            wrap_column = 0 if s_err == LONGINT_OVERFLOW or w > INTMAX_MAX else w
        elif opt == "i":
            ignore_garbage = True
        elif opt == "help":
            usage(EXIT_SUCCESS)
        elif opt == "version":
            OUT.write(VERSION_TEXT)
            finish(EXIT_SUCCESS)
        else:
            usage(EXIT_FAILURE)

    argv = g.argv
    optind = g.optind
    argc = len(argv)
    if argc - optind > 1:
        error(0, 0, b"extra operand " + quote(argv[optind + 1]))
        usage(EXIT_FAILURE)

    infile = argv[optind] if optind < argc else b"-"
    if infile == b"-":
        fd = 0
    else:
        try:
            fd = os.open(infile, os.O_RDONLY)
        except OSError as exc:
            error(EXIT_FAILURE, exc.errno or 0, quotef(infile))
            return
    inp = Input(fd)
    if decode:
        do_decode(inp, ignore_garbage)
    else:
        do_encode(inp, wrap_column)


if __name__ == "__main__":
    main()
