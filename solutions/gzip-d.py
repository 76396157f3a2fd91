"""GNU gzip 1.12 in Python, as `gzip -d -c` (decompress to standard output).
Written from gzip(1), `gzip --help`, the gzip info manual and RFC 1951/1952: the gzip
header and trailer are parsed here, the deflate data goes through zlib (raw, wbits=-15).
The command line given is what follows `gzip -d -c`."""

import contextlib
import os
import sys
import time
import zlib

PROG = b"gzip"
OUT = sys.stdout.buffer
ERR = sys.stderr.buffer
WSIZE = 0x8000  # gzip's sliding window: decompressed output leaves in pieces of this size
INBUFSIZ = 0x40000  # the input buffer: what -v counts as read when a member ends early
MAX_SUFFIX = 30

OK, ERROR, WARNING = 0, 1, 2

HELP = b"""Usage: gzip [OPTION]... [FILE]...
Compress or uncompress FILEs (by default, compress FILES in-place).

Mandatory arguments to long options are mandatory for short options too.

  -c, --stdout      write on standard output, keep original files unchanged
  -d, --decompress  decompress
  -f, --force       force overwrite of output file and compress links
  -h, --help        give this help
  -k, --keep        keep (don't delete) input files
  -l, --list        list compressed file contents
  -L, --license     display software license
  -n, --no-name     do not save or restore the original name and timestamp
  -N, --name        save or restore the original name and timestamp
  -q, --quiet       suppress all warnings
  -r, --recursive   operate recursively on directories
      --rsyncable   make rsync-friendly archive
  -S, --suffix=SUF  use suffix SUF on compressed files
      --synchronous synchronous output (safer if system crashes, but slower)
  -t, --test        test compressed file integrity
  -v, --verbose     verbose mode
  -V, --version     display version number
  -1, --fast        compress faster
  -9, --best        compress better

With no FILE, or when FILE is -, read standard input.

Report bugs to <bug-gzip@gnu.org>.
"""

LICENSE = b"""gzip 1.12
Copyright (C) 2018 Free Software Foundation, Inc.
Copyright (C) 1993 Jean-loup Gailly.
This is free software.  You may redistribute copies of it under the terms of
the GNU General Public License <https://www.gnu.org/licenses/gpl.html>.
There is NO WARRANTY, to the extent permitted by law.
"""

VERSION = LICENSE + b"\nWritten by Jean-loup Gailly.\n"

# (name, has_arg, key) in gzip's table order: ambiguity messages list them in this order.
LONGS = [
    (b"ascii", 0, b"a"),
    (b"to-stdout", 0, b"c"),
    (b"stdout", 0, b"c"),
    (b"decompress", 0, b"d"),
    (b"uncompress", 0, b"d"),
    (b"force", 0, b"f"),
    (b"help", 0, b"h"),
    (b"keep", 0, b"k"),
    (b"list", 0, b"l"),
    (b"license", 0, b"L"),
    (b"no-name", 0, b"n"),
    (b"name", 0, b"N"),
    (b"-presume-input-tty", 0, b"presume"),
    (b"quiet", 0, b"q"),
    (b"silent", 0, b"q"),
    (b"synchronous", 0, b"sync"),
    (b"recursive", 0, b"r"),
    (b"suffix", 1, b"S"),
    (b"test", 0, b"t"),
    (b"verbose", 0, b"v"),
    (b"version", 0, b"V"),
    (b"fast", 0, b"1"),
    (b"best", 0, b"9"),
    (b"lzw", 0, b"Z"),
    (b"bits", 1, b"b"),
    (b"rsyncable", 0, b"rsync"),
]
SHORTS = {c.encode(): 0 for c in "acdfhHklLmMnNqrtvVZ123456789?"}
SHORTS[b"b"] = 1
SHORTS[b"S"] = 1


class Exit(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


class St:
    """Global state, as gzip keeps it."""

    quiet = False
    verbose = 0
    force = 0
    test = False
    list = False
    recursive = False
    keep = False
    no_name = None
    ascii = False
    presume_tty = False
    suffix = b".gz"
    exit_code = OK
    stdin_used = False
    total_in = 0
    total_out = 0
    first_list = True
    time_stamp = 0


S = St()


def err(msg):
    ERR.write(msg)
    ERR.flush()


def warn(msg):
    """gzip's WARN: the message unless quiet; the exit status becomes 2 unless already 1."""
    if not S.quiet:
        err(msg)
    if S.exit_code == OK:
        S.exit_code = WARNING


def try_help():
    err(b"Try `" + PROG + b" --help' for more information.\n")
    raise Exit(ERROR)


def out(data):
    if data and not S.test:
        OUT.write(data)


# -- options -------------------------------------------------------------------


def long_option(body, args, i):
    """One --option (body without the dashes); returns (key, value, next index)."""
    name, eq, val = body.partition(b"=")
    found = None
    for lo in LONGS:
        if lo[0] == name:
            found = lo
            break
    if found is None:
        cands = [lo for lo in LONGS if lo[0].startswith(name)]
        if cands:
            first = cands[0]
            amb = [first] + [c for c in cands[1:] if c[1] != first[1] or c[2] != first[2]]
            if len(amb) > 1:
                msg = b"option '--" + body + b"' is ambiguous; possibilities:"
                for c in amb:
                    msg += b" '--" + c[0] + b"'"
                err(PROG + b": " + msg + b"\n")
                try_help()
            found = first
    if found is None:
        err(PROG + b": unrecognized option '--" + body + b"'\n")
        try_help()
    lname, has_arg, key = found
    if eq:
        if not has_arg:
            err(PROG + b": option '--" + lname + b"' doesn't allow an argument\n")
            try_help()
        return key, val, i
    if has_arg:
        if i < len(args):
            return key, args[i], i + 1
        err(PROG + b": option '--" + lname + b"' requires an argument\n")
        try_help()
    return key, None, i


def short_options(a, args, i):
    """Apply the options of one -xyz cluster in order, as getopt hands them out; the next index."""
    j = 1
    while j < len(a):
        c = a[j : j + 1]
        j += 1
        if c not in SHORTS:
            err(PROG + b": invalid option -- '" + c + b"'\n")
            try_help()
        if SHORTS[c] == 0:
            apply_option(c, None)
            continue
        if j < len(a):
            apply_option(c, a[j:])
        elif i < len(args):
            apply_option(c, args[i])
            i += 1
        else:
            err(PROG + b": option requires an argument -- '" + c + b"'\n")
            try_help()
        return i
    return i


def apply_option(key, val):
    if key == b"?":
        try_help()
    elif key in (b"h", b"H"):
        OUT.write(HELP)
        raise Exit(OK)
    elif key == b"L":
        OUT.write(LICENSE)
        raise Exit(OK)
    elif key == b"V":
        OUT.write(VERSION)
        raise Exit(OK)
    elif key == b"Z":
        err(PROG + b": -Z not supported in this version\n")
        try_help()
    elif key == b"b":
        if any(not 48 <= ch <= 57 for ch in val):
            err(PROG + b": -b operand is not an integer\n")
            try_help()
    else:
        apply_flag(key, val)


def apply_flag(key, val):
    if key == b"a":
        S.ascii = True
    elif key == b"f":
        S.force += 1
    elif key == b"k":
        S.keep = True
    elif key == b"l":
        S.list = True
        S.test = True
    elif key in (b"n", b"m"):
        if key == b"n":
            S.no_name = True
    elif key == b"N":
        S.no_name = False
    elif key == b"presume":
        S.presume_tty = True
    elif key == b"q":
        S.quiet = True
        S.verbose = 0
    elif key == b"r":
        S.recursive = True
    elif key == b"S":
        S.suffix = val
    elif key == b"t":
        S.test = True
    elif key == b"v":
        S.verbose += 1
        S.quiet = False


def parse(args):
    operands = []
    i = 0
    n = len(args)
    while i < n:
        a = args[i]
        i += 1
        if a == b"--":
            operands.extend(args[i:])
            break
        if a.startswith(b"--"):
            key, val, i = long_option(a[2:], args, i)
            apply_option(key, val)
        elif a.startswith(b"-") and a != b"-":
            i = short_options(a, args, i)
        else:
            operands.append(a)
    return operands


# -- input -----------------------------------------------------------------------


class EOFAbort(Exception):
    """The input ended where gzip needs more: it reports it and stops."""

    def __init__(self, name):
        super().__init__(name)
        self.name = name


class Src:
    """One input: all of its bytes, a read position, and the counters gzip reports."""

    def __init__(self, data, name, size):
        self.data = data
        self.pos = 0
        self.name = name
        self.size = size  # regular file size, or -1
        self.furthest = 0
        self.part_nb = 0
        self.header_bytes = 0
        self.bytes_out = 0
        self.copy_part1 = False
        self.last_member = False
        self.crc = 0xFFFFFFFF
        self.orig_name = b""

    def get(self):
        if self.pos >= len(self.data):
            raise EOFAbort(self.name)
        b = self.data[self.pos]
        self.pos += 1
        self.furthest = max(self.furthest, self.pos)
        return b

    def try_byte(self):
        if self.pos >= len(self.data):
            return -1
        return self.get()

    def eof(self):
        return self.last_member or self.pos >= len(self.data)

    def bytes_in(self):
        n = len(self.data)
        if self.furthest >= n:
            return n
        return min(n, -(-self.furthest // INBUFSIZ) * INBUFSIZ)


def gzip_error(src, msg):
    err(b"\n" + PROG + b": " + src.name + b": " + msg + b"\n")
    raise Exit(ERROR)


def read_header(src, flags):
    """The rest of a gzip header after method and flags (RFC 1952)."""
    hdr = bytearray([0x1F, 0x8B, 8, flags])
    stamp = bytes(src.get() for _ in range(4))
    hdr += stamp
    hdr.append(src.get())  # extra flags
    hdr.append(src.get())  # OS
    if any(stamp) and not S.no_name:
        S.time_stamp = int.from_bytes(stamp, "little")
    if flags & 0x04:
        lo = src.get()
        hi = src.get()
        hdr += bytes((lo, hi))
        ln = lo | hi << 8
        if S.verbose:
            err(PROG + b": " + src.name + b": extra field of %d bytes ignored\n" % ln)
        for _ in range(ln):
            hdr.append(src.get())
    name = b""
    if flags & 0x08:
        name = read_string(src, hdr)
    if flags & 0x10:
        read_string(src, hdr)
    if flags & 0x02:
        crc16 = zlib.crc32(bytes(hdr)) & 0xFFFF
        lo = src.get()
        hi = src.get()
        h16 = lo | hi << 8
        if h16 != crc16:
            err(PROG + b": " + src.name + b": header checksum 0x%04x != computed checksum 0x%04x\n" % (h16, crc16))
            S.exit_code = ERROR
            if S.force <= 1:
                return None
    return name


def read_string(src, hdr):
    s = bytearray()
    while True:
        c = src.get()
        hdr.append(c)
        if c == 0:
            return bytes(s)
        s.append(c)


def get_method(src):
    """Read one member's magic and header. A method (>= 0: 8 deflate, 0 copy), or -1
    (error reported), -2 (trailing garbage), -3 (trailing zeros)."""
    if S.force:
        b0 = src.try_byte()
        b1 = src.try_byte()
    else:
        b0 = src.get()
        b1 = src.get() if b0 else src.try_byte()
    src.part_nb += 1
    src.header_bytes = 0
    if b0 == 0x1F and b1 in (0x8B, 0x9E):
        return gzip_member(src)
    if S.force and not S.list:
        if b1 != -1:
            src.pos -= 1
        src.last_member = True
        if b0 != -1:
            out(bytes((b0,)))
        if src.part_nb == 1:
            src.copy_part1 = True
        return 0
    if src.part_nb == 1:
        err(b"\n" + PROG + b": " + src.name + b": not in gzip format\n")
        S.exit_code = ERROR
        return -1
    if b0 == 0:
        c = b1
        while c == 0:
            c = src.try_byte()
        if c == -1:
            if S.verbose:
                warn(b"\n" + PROG + b": " + src.name + b": decompression OK, trailing zero bytes ignored\n")
            return -3
    warn(b"\n" + PROG + b": " + src.name + b": decompression OK, trailing garbage ignored\n")
    return -2


def gzip_member(src):
    method = src.get()
    if method != 8:
        err(PROG + b": " + src.name + b": unknown method %d -- not supported\n" % method)
        S.exit_code = ERROR
        return -1
    flags = src.get()
    if flags & 0x20:
        err(PROG + b": " + src.name + b" is encrypted -- not supported\n")
        S.exit_code = ERROR
        return -1
    if flags & 0xC0:
        err(PROG + b": " + src.name + b" has flags 0x%x -- not supported\n" % flags)
        S.exit_code = ERROR
        if S.force <= 1:
            return -1
    name = read_header(src, flags)
    if name is None:
        return -1
    if src.part_nb == 1:
        src.orig_name = name
        src.header_bytes = src.pos + 8
    return 8


def partial_output(data):
    """What zlib produces from ``data`` before it finds the error in it."""
    d = zlib.decompressobj(-15)
    got = []
    step = 64
    for k in range(0, len(data), step):
        try:
            got.append(d.decompress(data[k : k + step]))
        except zlib.error:
            for j in range(k, min(k + step, len(data))):
                try:
                    got.append(d.decompress(data[j : j + 1]))
                except zlib.error:
                    break
            break
    return b"".join(got)


def unzip(src):
    """Inflate one member and check its trailer. OK, or ERROR (reported)."""
    rest = src.data[src.pos :]
    d = zlib.decompressobj(-15)
    try:
        res = d.decompress(rest)
    except zlib.error:
        res = partial_output(rest)
        out(res[: len(res) // WSIZE * WSIZE])
        src.furthest = len(src.data)
        gzip_error(src, b"invalid compressed data--format violated")
    if not d.eof:
        out(res)
        src.pos = len(src.data)
        raise EOFAbort(src.name)
    src.pos = len(src.data) - len(d.unused_data)
    src.furthest = max(src.furthest, src.pos)
    out(res)
    src.bytes_out += len(res)
    trailer = bytes(src.get() for _ in range(8))
    crc = int.from_bytes(trailer[:4], "little")
    size = int.from_bytes(trailer[4:], "little")
    bad = False
    src.crc = zlib.crc32(res)
    if crc != src.crc:
        err(b"\n" + PROG + b": " + src.name + b": invalid compressed data--crc error\n")
        bad = True
    if size != src.bytes_out & 0xFFFFFFFF:
        err(b"\n" + PROG + b": " + src.name + b": invalid compressed data--length error\n")
        bad = True
    if bad:
        S.exit_code = ERROR
        if not S.test:
            raise Exit(ERROR)
        return ERROR
    return OK


def work(src, method):
    if method == 8:
        return unzip(src)
    rest = src.data[src.pos :]
    src.pos = len(src.data)
    src.furthest = src.pos
    out(rest)
    src.bytes_out = len(rest)
    return OK


def run_members(src, method):
    """gzip's loop over members: the last method (negative when the input ended badly)."""
    while True:
        if work(src, method) != OK:
            return -1
        if src.eof():
            return method
        method = get_method(src)
        if method < 0:
            return method
        src.bytes_out = 0


# -- listing -----------------------------------------------------------------------

METHODS = {0: b"store", 1: b"compr", 2: b"pack ", 3: b"lzh  ", 8: b"defla"}
MONTHS = [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"]


def ratio(num, den):
    return b"%5.1f%%" % (0.0 if den == 0 else 100.0 * num / den)


def list_totals():
    if S.total_in <= 0 or S.total_out <= 0:
        return
    line = b""
    if S.verbose:
        line += b" " * 28
    if S.verbose or not S.quiet:
        line += b"%19d %19d " % (S.total_in, S.total_out)
    line += ratio(S.total_out - S.total_in, S.total_out) + b" (totals)\n"
    OUT.write(line)


def do_list(src, method, ofname):
    if method < 0:
        list_totals()
        return
    if S.first_list:
        S.first_list = False
        head = b"method  crc     date  time  " if S.verbose else b""
        if not S.quiet:
            head += b"%19s %19s  ratio uncompressed_name\n" % (b"compressed", b"uncompressed")
        OUT.write(head)
    crc = src.crc
    bytes_out = src.bytes_out
    bytes_in = src.bytes_in()
    header_bytes = src.header_bytes
    line = b""
    if S.verbose:
        tm = time.localtime(S.time_stamp)
        line += b"%5s %08x " % (METHODS.get(method, b""), crc)
        line += MONTHS[tm.tm_mon - 1] + b"%3d %02d:%02d " % (tm.tm_mday, tm.tm_hour, tm.tm_min)
    line += b"%19d %19d " % (bytes_in, bytes_out)
    if bytes_in == -1:
        S.total_in = -1
        bytes_in = bytes_out = header_bytes = 0
    elif S.total_in >= 0:
        S.total_in += bytes_in
    if bytes_out == -1:
        S.total_out = -1
        bytes_in = bytes_out = header_bytes = 0
    elif S.total_out >= 0:
        S.total_out += bytes_out
    line += ratio(bytes_out - (bytes_in - header_bytes), bytes_out) + b" " + ofname + b"\n"
    OUT.write(line)


# -- files -----------------------------------------------------------------------

BUILTIN_SUFFIXES = [b".gz", b".z", b".taz", b".tgz", b"-gz", b"-z", b"_z"]


def get_suffix(name):
    """The length of the compression suffix ``name`` ends with, or 0."""
    z = S.suffix.lower()
    of_builtin = any(len(z) < len(s) and s.endswith(z) for s in BUILTIN_SUFFIXES)
    sufs = [*BUILTIN_SUFFIXES, z] if of_builtin else [z, *BUILTIN_SUFFIXES]
    tail = name[-(MAX_SUFFIX + 2) :].lower()
    for s in sufs:
        if len(tail) > len(s) and tail.endswith(s) and tail[-len(s) - 1 : -len(s)] != b"/":
            return len(s)
    return 0


def progerror(name, exc):
    err(PROG + b": " + name + b": " + os.strerror(exc.errno or 0).encode() + b"\n")
    S.exit_code = ERROR


def open_input(iname):
    """(fd, name, stat) of an operand, trying the suffixes for a name that does not exist."""
    try:
        return os.open(iname, os.O_RDONLY), iname
    except OSError as e:
        if e.errno != 2 or get_suffix(iname):
            progerror(iname, e)
            return None, iname
    for s in [S.suffix, b".gz", b".z", b"-z", b".Z"]:
        name = iname + s
        try:
            return os.open(name, os.O_RDONLY), name
        except OSError as e:
            if e.errno != 2:
                progerror(name, e)
                return None, name
    err(PROG + b": " + iname + S.suffix + b": No such file or directory\n")
    S.exit_code = ERROR
    return None, iname


def read_all(fd):
    chunks = []
    while True:
        b = os.read(fd, 1 << 20)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def make_ofname(name):
    """The name -l shows; None when the file is to be skipped (-r and no suffix)."""
    n = get_suffix(name)
    if not n:
        if not S.recursive:
            return name
        if S.verbose:
            warn(PROG + b": " + name + b": unknown suffix -- ignored\n")
        return None
    base, suf = name[:-n], name[-n:]
    if suf.lower() in (b".tgz", b".taz"):
        return base + b".tar"
    return base


def treat_file(iname):
    if iname == b"-":
        treat_stdin()
        return
    fd, name = open_input(iname)
    if fd is None:
        return
    st = os.fstat(fd)
    if os.path.stat.S_ISDIR(st.st_mode):
        os.close(fd)
        if S.recursive:
            treat_dir(name)
            return
        warn(PROG + b": " + name + b" is a directory -- ignored\n")
        return
    try:
        data = read_all(fd)
    except OSError as e:
        os.close(fd)
        err(b"\n" + PROG + b": " + name + b": " + os.strerror(e.errno or 0).encode() + b"\n")
        raise Exit(ERROR) from None
    os.close(fd)
    size = st.st_size if os.path.stat.S_ISREG(st.st_mode) else -1
    src = Src(data, name, size)
    S.time_stamp = int(st.st_mtime)
    ofname = b"stdout"
    if S.test or S.list:
        ofname = make_ofname(name)
        if ofname is None:
            return
    method = get_method(src)
    if method < 0:
        return
    if S.list and not S.no_name and src.orig_name:
        ofname = src.orig_name
    if S.verbose and not S.list:
        err(name + b":\t")
    method = run_members(src, method)
    if S.list:
        if method != -1:
            do_list(src, method, ofname)
        return
    if method == -1:
        return
    if S.verbose:
        file_stats(src)


def file_stats(src):
    if S.test:
        msg = b" OK"
    else:
        bo = src.bytes_out
        num, den = bo - (src.bytes_in() - src.header_bytes), bo
        if src.copy_part1:
            num = 0
        msg = ratio(num, den) + b" -- " + (b"created " if S.keep else b"replaced with ") + b"stdout"
    err(msg + b"\n")


def treat_dir(dname):
    try:
        entries = os.listdir(dname)
    except OSError as e:
        progerror(dname, e)
        return
    for e in entries:
        path = dname if dname.endswith(b"/") else dname + b"/"
        treat_file(path + e)


def treat_stdin():
    if not S.force and not S.list and S.presume_tty:
        if not S.quiet:
            err(
                PROG + b": compressed data not read from a terminal. Use -f to force decompression.\n"
                b"For help, type: " + PROG + b" -h\n"
            )
        raise Exit(ERROR)
    data = b""
    if not S.stdin_used:
        data = read_all(0)
        S.stdin_used = True
    src = Src(data, b"stdin", -1)
    method = get_method(src)
    if method < 0:
        raise Exit(S.exit_code)
    method = run_members(src, method)
    if S.list:
        if method != -1:
            do_list(src, method, src.orig_name if not S.no_name and src.orig_name else b"stdout")
        return
    if method < 0:
        return
    if S.verbose and S.test:
        err(b" OK\n")


def main():
    args = [os.fsencode(a) for a in sys.argv[1:]]
    try:
        operands = parse(args)
        if S.no_name is None:
            S.no_name = True
        if S.ascii and not S.quiet:
            err(PROG + b": option --ascii ignored on this system\n")
        if len(S.suffix) == 0 or len(S.suffix) > MAX_SUFFIX:
            err(PROG + b": invalid suffix '" + S.suffix + b"'\n")
            raise Exit(ERROR)
        for name in operands or [b"-"]:
            try:
                treat_file(name)
            except EOFAbort as e:
                err(b"\n" + PROG + b": " + e.name + b": unexpected end of file\n")
                raise Exit(ERROR) from None
        if S.list and not S.quiet and len(operands) > 1:
            list_totals()
        code = S.exit_code
    except Exit as e:
        code = e.code
    with contextlib.suppress(BrokenPipeError):
        OUT.flush()
    return code


if __name__ == "__main__":
    sys.exit(main())
