"""What a candidate's sandbox is built from: the files its command needs, and nothing else.

A sandbox that shows the host's ``/`` and hides what someone thought of is
built by enumeration: a candidate finds what nobody thought of (a program that
implements the task under another name, the checkout's git objects, a socket
under ``/run``). The candidate's sandbox is therefore built from an allowlist:
its root is empty, and each path the candidate needs is bound in read-only at
the same place. What it needs is found from the command itself:

- every executable and script named by the command, each symbolic link on the
  way to it (recreated as a link) and the file it resolves to;
- for an ELF file, the shared libraries the system's dynamic loader maps for it
  (``ld.so --list``: the loader reads the file, the file never runs);
- for a script, its ``#!`` interpreter (through ``env`` on the task's PATH);
- for a Python interpreter, its standard library and the libraries its
  extension modules load (``site-packages`` is covered unless ``system``);
  for Perl, Ruby, Tcl and PHP, the module directories the interpreter names
  (``LIBRARY_PATHS``);
- for a program that loads libraries from its own installation
  (``PREFIX/bin/NAME`` mapping ``PREFIX/lib/...``: a JDK's ``java``), that
  installation whole, with what its links point to: such a runtime opens more
  of its home at run time than the loader lists (``libjava.so``), and what its
  own shared objects load;
- the directory of every script or file the command names (a script imports its
  siblings);
- what a launcher in the command runs (``env FOO=1 python3 x.py``, ``timeout 10
  ./port``, ``sh -c 'cd d && python3 m.py'``: ``launched``), found on the task's
  PATH, with the same treatment;
- the task's ``tools`` (program names looked up on the task's PATH) and, where
  the reference is not masked, the reference;
- with ``system`` (a campaign whose candidate may run the reference, so
  secrecy is not the goal), ``/usr`` whole and the usual ``/etc`` files, so that
  shell wrappers find their tools; never ``/home``, ``/root``, ``/run``,
  ``/var``, ``/srv``, ``/opt`` or ``/work`` (checkouts, caches, sockets).

The sandbox server's own runtime (fuzzdiff's package and the Python running it)
is added by ``sandbox.py``. Masked paths are still hidden on top where they lie
under a bound directory.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from fuzzdiff.run.paths import under

#: Directories bound whole with ``system``: programs and their data, nothing of users.
SYSTEM_DIRS = ("/usr",)
#: Files of /etc a program may read to run (users, libraries, time, names); bound where they exist.
ETC_FILES = (
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/timezone",
    "/etc/hosts",
    "/etc/host.conf",
    # readline's settings: without them an interactive `bc -i` echoed a byte above
    # 127 as `\320` where the reference, reading Debian's (output-meta on), echoed it
    "/etc/inputrc",
)
#: Data the C library loads at run time, which no ELF header names: character-set
#: converters (``gconv``, beside libc), compiled locales and time zones. Data, not programs.
RUNTIME_DATA = ("/usr/lib/locale", "/usr/share/zoneinfo", "gconv")
#: Directories never bound whole, whatever a command names: the root, the private
#: scratch directories (bound over, they would hide the run's own) and homes.
NEVER_WHOLE = ("/", "/tmp", "/dev/shm", "/root", "/home", "/var/tmp")
#: Directories never bound whole as an interpreter's module directory or a runtime's
#: home, whatever it says: they hold every program or every setting of the system
#: (Fedora's PHP names /etc as its configuration directory).
SYSTEM_WHOLE = (
    "/usr",
    "/usr/local",
    "/opt",
    "/etc",
    "/var",
    "/srv",
    "/run",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/bin",
    "/sbin",
    "/lib",
    "/lib64",
    "/usr/bin",
    "/usr/sbin",
    "/usr/local/bin",
    "/usr/local/sbin",
    "/usr/lib",
    "/usr/lib64",
    "/usr/libexec",
    "/usr/share",
    "/usr/local/lib",
    "/usr/local/share",
)
#: Where a runtime's home may lie (``/usr/lib/jvm/java-17-openjdk-amd64``,
#: ``/opt/jdk-21``): installed software, never a directory a candidate's files are
#: in (a candidate's own program with a ``$ORIGIN`` library chose what its "home"
#: held, links to fuzzdiff's corpora among them).
RUNTIME_ROOTS = ("/usr/lib", "/usr/lib64", "/usr/share", "/usr/local/lib", "/opt")
#: Where an interpreter must lie for fuzzdiff to ask it for its module directories
#: (which runs it on the host): installed programs.
SYSTEM_PROGRAMS = ("/usr", "/bin", "/sbin", "/opt")
#: Entries of a runtime's home walked for links that point out of it (a JDK has some 400).
HOME_ENTRIES = 20000
#: Symbolic links followed at most this deep before a path is given up (the kernel's own limit).
MAX_LINKS = 40
#: Bytes of a file read to tell an ELF file or a ``#!`` line (the kernel reads 256 for ``#!``).
HEAD_BYTES = 256
#: Seconds the dynamic loader may take to list one file's libraries.
LIST_SECONDS = 10.0
#: Loader runs at once when listing a Python's extension modules (they wait on exec, not CPU).
LIST_THREADS = 8
_PYTHON = re.compile(r"python(\d+\.\d+)$")
#: Interpreters whose own modules a script needs (Perl's ``strict.pm``, Tcl's
#: ``init.tcl``): how to ask one for its module directories, one per line (its
#: arguments, and what it reads on standard input). Python's are found apart (``python``).
LIBRARY_PATHS: tuple[tuple[re.Pattern[str], tuple[str, ...], bytes], ...] = (
    (re.compile(r"perl(5[.0-9]*)?"), ("-e", 'print join("\\n", grep { !ref } @INC), "\\n"'), b""),
    (re.compile(r"ruby[.0-9]*"), ("-e", "puts $LOAD_PATH"), b""),
    (re.compile(r"tclsh[.0-9]*"), (), b"puts [info library]\n"),
    # its php.ini (the file: its directory may be /etc), the directory of the .ini files
    # it scans (which load extensions) and the extensions
    (
        re.compile(r"php[.0-9]*"),
        ("-r", 'echo php_ini_loaded_file(), "\\n", PHP_CONFIG_FILE_SCAN_DIR, "\\n", ini_get("extension_dir"), "\\n";'),
        b"",
    ),
)


@dataclass(frozen=True, slots=True)
class Allowlist:
    """How a candidate's sandbox is built. ``tools``: program names (on ``path``) or
    absolute paths, bound with what they need; ``system``: ``/usr`` and the usual
    ``/etc`` files bound whole (see the module docstring)."""

    tools: tuple[str, ...] = ("sh",)
    system: bool = False
    path: str = "/usr/local/bin:/usr/bin:/bin"
    #: Paths that must stay out (fuzzdiff's data: task files, corpora, caches): a
    #: directory holding one is never bound whole, only the files named in it.
    keep_out: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Root:
    """A sandbox's root: host paths bound read-only at the same place (``binds``),
    symbolic links recreated (link path → target, ``links``), and directories
    covered by an empty, read-only tmpfs (``covered``)."""

    binds: frozenset[str] = frozenset()
    links: tuple[tuple[str, str], ...] = ()
    covered: frozenset[str] = frozenset()

    def union(self, other: Root) -> Root:
        return Root(
            self.binds | other.binds, tuple(dict.fromkeys(self.links + other.links)), self.covered | other.covered
        )

    def outermost(self) -> Root:
        """The same root with every bind and link that lies under a bound directory
        dropped (it is there already; a mount below would fail on the read-only
        bind), unless it lies under a covered directory too (it must show through)."""
        dirs = sorted(p for p in self.binds if os.path.isdir(p))
        kept: list[str] = []
        for d in dirs:
            if not under(d, kept):
                kept.append(d)

        def needed(path: str) -> bool:
            return path in kept or not under(path, kept) or under(path, self.covered)

        binds = frozenset(p for p in self.binds if needed(p))
        links = tuple((link, target) for link, target in self.links if needed(link))
        return Root(binds, links, self.covered)

    def args(self) -> list[str]:
        """bubblewrap options that build this root on an empty one: links first
        (their parents are made as directories), then binds, then the covering
        tmpfs, then what must show through a cover, then the covers made read-only."""
        root = self.outermost()
        args: list[str] = []
        for link, target in sorted(root.links):
            args += ["--symlink", target, link]
        late = sorted(p for p in root.binds if under(p, root.covered))
        for path in sorted(root.binds - set(late)):
            args += ["--ro-bind", path, path]
        for path in sorted(root.covered):
            args += ["--tmpfs", path]
        for path in late:
            args += ["--ro-bind", path, path]
        for path in sorted(root.covered):
            args += ["--remount-ro", path]
        return args


def resolve(path: str, links: dict[str, str]) -> str | None:
    """The real path of ``path``, recording each symbolic link met on the way
    (its path → what it says) in ``links``; None if it cannot be resolved."""
    seen = 0
    parts = [p for p in os.path.abspath(path).split("/") if p]
    current = "/"
    while parts:
        part = parts.pop(0)
        if part == "..":
            current = os.path.dirname(current)
            continue
        candidate = os.path.join(current, part)
        if os.path.islink(candidate):
            seen += 1
            if seen > MAX_LINKS:
                return None
            target = os.readlink(candidate)
            links[candidate] = target
            if os.path.isabs(target):
                current = "/"
            parts = [p for p in target.split("/") if p and p != "."] + parts
            continue
        if not os.path.lexists(candidate):
            return None
        current = candidate
    return current


def _head(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(HEAD_BYTES)
    except OSError:
        return b""


def _interp(path: str) -> str | None:
    """The ELF program interpreter (``PT_INTERP``) of a 64-bit little-endian file."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
                return None
            (phoff,) = struct.unpack_from("<Q", head, 32)
            phentsize, phnum = struct.unpack_from("<HH", head, 54)
            for i in range(min(phnum, 64)):
                f.seek(phoff + i * phentsize)
                ph = f.read(56)
                if len(ph) < 56:
                    return None
                kind, _flags, offset, _va, _pa, size = struct.unpack_from("<IIQQQQ", ph)
                if kind == 3:  # PT_INTERP
                    f.seek(offset)
                    return f.read(min(size, 4096)).rstrip(b"\0").decode("ascii", "replace")
    except OSError:
        return None
    return None


@functools.cache
def system_loader() -> str | None:
    """The dynamic loader of the Python running fuzzdiff: trusted to list any file's libraries."""
    found = _interp(os.path.realpath(sys.executable))
    return found if found and os.path.exists(found) else None


@functools.cache
def libraries(path: str) -> tuple[str, ...]:
    """The shared libraries (and loader) an ELF file maps, as the system's loader
    lists them without running it; () for anything else."""
    if _head(path)[:4] != b"\x7fELF":
        return ()
    loader = system_loader()
    if loader is None:
        return ()
    try:
        done = subprocess.run(
            [loader, "--list", path],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=LIST_SECONDS,
            env={"LC_ALL": "C"},
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    found: list[str] = []
    interp = _interp(path)
    if interp:
        found.append(interp)
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        words = line.split()
        if "=>" in words:
            where = words[words.index("=>") + 1] if len(words) > words.index("=>") + 1 else ""
        else:
            where = words[0] if words else ""
        if where.startswith("/"):
            found.append(where)
    return tuple(dict.fromkeys(found))


def shebang(path: str) -> list[str]:
    """The words of a script's ``#!`` line; [] when it has none."""
    head = _head(path)
    if not head.startswith(b"#!"):
        return []
    line = head[2:].split(b"\n", 1)[0].decode("utf-8", "replace")
    return line.split()


def which(name: str, path: str) -> str | None:
    """``name`` as given when it is a path, else found on ``path`` (None: nowhere)."""
    if "/" in name:
        return name if os.path.exists(name) else None
    return shutil.which(name, path=path)


class _Builder:
    """Collects what a set of executables needs (see ``needs``)."""

    def __init__(self, path: str, system: bool, keep_out: tuple[str, ...] = ()) -> None:
        self.path = path
        self.system = system
        self.keep_out = keep_out
        self.binds: set[str] = set()
        self.links: dict[str, str] = {}
        self.covered: set[str] = set()
        self._done: set[str] = set()

    def file(self, path: str, depth: int = 0) -> None:
        """An executable or a library, with everything it needs to run."""
        real = resolve(path, self.links)
        if real is None or real in self._done or depth > MAX_LINKS or _kept_out(real, self.keep_out):
            return
        self._done.add(real)
        self.binds.add(real)
        libs = libraries(real)
        for lib in libs:
            self.file(lib, depth + 1)
        python = _PYTHON.search(os.path.basename(real))
        home = None if python else runtime_home(real, libs)  # a Python's needs are known better (below)
        if home is not None and not _broad(home, self.keep_out):
            self.home(home)
        words = shebang(real)
        if words:
            interpreter = words[0]
            self.file(interpreter, depth + 1)
            if os.path.basename(interpreter) == "env":
                named = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
                found = which(named[0], self.path) if named else None
                if found:
                    self.file(found, depth + 1)
        if python:
            self.python(path, real, python.group(1))
        for name, asked, said in LIBRARY_PATHS:
            # only an installed interpreter is asked: asking runs it on the host, and a
            # candidate's own file named `tclsh` (its script's #! line) must never run there
            if name.fullmatch(os.path.basename(real)) and under(real, SYSTEM_PROGRAMS):
                for where in library_dirs(real, asked, said):
                    if os.path.isfile(where):
                        self.directory(where)  # PHP's php.ini
                    elif not _broad(os.path.realpath(where), self.keep_out):
                        self.home(where)  # compiled modules load libraries too (Ruby's openssl.so)

    def python(self, named: str, real: str, version: str) -> None:
        """A Python interpreter's standard library and what its extension modules load;
        a virtual environment's ``pyvenv.cfg`` where ``named`` lies in one."""
        prefix = os.path.dirname(os.path.dirname(real))
        stdlib = os.path.join(prefix, "lib", f"python{version}")
        if os.path.isdir(stdlib):
            self.directory(stdlib)
            site = os.path.join(stdlib, "site-packages")
            if not self.system and os.path.isdir(site):
                self.covered.add(site)
            dynload = os.path.join(stdlib, "lib-dynload")
            if os.path.isdir(dynload):
                self.loaded_by([os.path.join(dynload, e) for e in sorted(os.listdir(dynload)) if _shared_object(e)])
        venv = os.path.dirname(os.path.dirname(os.path.abspath(named)))
        config = os.path.join(venv, "pyvenv.cfg")
        if os.path.isfile(config):
            self.file(config)

    def home(self, prefix: str) -> None:
        """A runtime's installation (or an interpreter's module directory) whole, the
        target of each link in it that points out of it (Debian's JDK links its
        ``conf`` files into ``/etc``, PHP its ``conf.d`` into ``mods-available``),
        and what its shared objects load (``libjvm.so`` needs ``libstdc++``, PHP's
        ``mbstring.so`` needs ``libonig``). A link's target is bound only where it is
        a file of data or a shared object (``_linked_data``): never a directory or a
        program (a link to ``/usr/bin`` would show every program there)."""
        self.directory(prefix)
        real = os.path.realpath(prefix)
        links, objects = _walk_home(real)
        for link in links:
            if _linked_data(os.path.realpath(link)):
                self.directory(link)
        self.loaded_by(objects, inside=real)

    def loaded_by(self, objects: Sequence[str], inside: str = "") -> None:
        """What the shared ``objects`` load (listed side by side: one loader run each,
        some 60 for a Python's extension modules), but what lies ``inside`` a
        directory already bound."""
        with ThreadPoolExecutor(LIST_THREADS) as pool:
            for libs in pool.map(libraries, objects):
                for lib in libs:
                    if not (inside and under(os.path.normpath(lib), [inside])):
                        self.file(lib)

    def directory(self, path: str) -> None:
        real = resolve(path, self.links)
        if real is not None and not _kept_out(real, self.keep_out):
            self.binds.add(real)

    def root(self) -> Root:
        return Root(frozenset(self.binds), tuple(sorted(self.links.items())), frozenset(self.covered))


@functools.cache
def _system_root() -> Root:
    """``always`` and, for a campaign that may run anything of the system, ``/usr``
    whole and the alternatives its links go through."""
    builder = _Builder("", True)
    for d in (*SYSTEM_DIRS, "/etc/alternatives"):
        if os.path.lexists(d):
            builder.directory(d)
    return always().union(builder.root())


def _broad(directory: str, keep_out: Iterable[str]) -> bool:
    """Whether binding ``directory`` whole would show more than the command needs:
    it is a root, scratch, home or system directory, or holds (or lies in) one of ``keep_out``."""
    homes = {os.path.realpath(os.path.expanduser("~"))}
    if directory in NEVER_WHOLE or directory in SYSTEM_WHOLE or directory in homes:
        return True
    return any(under(h, [directory]) for h in homes) or _kept_out(directory, keep_out)


def _kept_out(path: str, keep_out: Iterable[str]) -> bool:
    """Whether ``path`` (a real path) is, holds or lies in one of ``keep_out`` (fuzzdiff's data)."""
    for kept in keep_out:
        real = os.path.realpath(kept)
        if under(real, [path]) or under(path, [real]):
            return True
    return False


def _linked_data(target: str) -> bool:
    """Whether a link's ``target`` (a real path) may be bound for a runtime that links
    to it: a regular file of data (no execute bit) or a shared object."""
    if not os.path.isfile(target):
        return False
    return _shared_object(os.path.basename(target)) or not os.stat(target).st_mode & 0o111


def _shared_object(name: str) -> bool:
    """Whether a file's ``name`` is a shared object's (``libjvm.so``, ``libz.so.1``)."""
    return name.endswith(".so") or ".so." in name


def needs(argv: Iterable[str], allow: Allowlist) -> Root:
    """The root a command needs under ``allow``: its executable and every existing
    absolute path it names (with their directories, for scripts), the tools, and
    with ``system`` the system directories."""
    builder = _Builder(allow.path, allow.system, allow.keep_out)
    words = list(argv)
    if words:
        builder.file(words[0])
    for command in [words, *launched(words, allow.path)]:
        if command is not words:
            found = which(command[0], allow.path)
            if found is not None:
                builder.file(found)
        for word in command[1:]:
            if os.path.isabs(word) and os.path.exists(word):
                where = word if os.path.isdir(word) else os.path.dirname(word)
                if not _broad(os.path.realpath(where), allow.keep_out):
                    builder.directory(where)
                if not os.path.isdir(word):
                    builder.directory(word)  # data to the command (a script): bound, not followed
    for tool in allow.tools:
        found = which(tool, allow.path)
        if found is not None:
            builder.file(found)
    root = builder.root()
    return _system_root().union(root) if allow.system else root


#: Programs that run the command their arguments name (``env FOO=1 python3 x.py``,
#: ``timeout 10 ./port``, ``nice -n 5 ...``): what they run is needed too.
LAUNCHERS = frozenset({"env", "timeout", "nice", "nohup", "setsid", "stdbuf", "ionice", "taskset", "chrt", "time"})
#: Shells whose ``-c`` string is a command line of its own (``sh -c 'cd d && python3 m.py'``).
_SHELL = re.compile(r"(ba|da|k|mk|z)?sh")
#: A shell's flags that take a command line: ``-c``, and with others (``bash -lc``, ``sh -ec``).
_SHELL_C = re.compile(r"-[a-zA-Z]*c[a-zA-Z]*")
#: Words of a shell command line that separate simple commands, or open one.
_SEPARATORS = frozenset(
    {";", "&&", "||", "|", "&", "(", ")", "{", "}", "!", "then", "do", "else", "elif", "exec", "command"}
)
#: How deep launchers may nest (``env timeout 5 sh -c '...'``).
MAX_LAUNCHES = 8


def launched(words: Sequence[str], path: str, depth: int = 0) -> list[list[str]]:
    """The commands a command line runs besides its own program, where that program
    is a launcher (``LAUNCHERS``: the first later word that is a program on ``path``
    starts the command it runs) or a shell given ``-c`` (each simple command of its
    string). The command line is the harness's, not the candidate's: a script the
    candidate wrote is never read for programs to bind."""
    if not words or depth > MAX_LAUNCHES:
        return []
    name = os.path.basename(words[0])
    runs: list[list[str]] = []
    if name in LAUNCHERS:
        for i, word in enumerate(words[1:], 1):
            if word.startswith("-") or "=" in word or word.replace(".", "").isdigit():
                continue
            if which(word, path) is not None:
                runs.append(list(words[i:]))
                break
    elif _SHELL.fullmatch(name) and (flag := next((w for w in words[1:-1] if _SHELL_C.fullmatch(w)), "")):
        script = words[words.index(flag, 1) + 1]
        try:
            lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            tokens = list(lexer)
        except ValueError:
            return []
        current: list[str] = []
        for token in [*tokens, ";"]:
            if token in _SEPARATORS or set(token) <= set(";&|()"):
                if current:
                    runs.append(current)
                current = []
            elif current or "=" not in token:  # NAME=VALUE before a command sets its environment
                current.append(token)
    for command in list(runs):
        runs.extend(launched(command, path, depth + 1))
    return runs


def runtime_home(real: str, libs: Iterable[str]) -> str | None:
    """``PREFIX`` when the program ``real`` is ``PREFIX/bin/NAME`` and maps one of
    its libraries from under ``PREFIX`` (a relocatable runtime: the JDK's
    ``java`` loads ``PREFIX/lib/libjli.so`` by ``$ORIGIN``) and ``PREFIX`` lies in
    ``RUNTIME_ROOTS``; None otherwise."""
    bindir = os.path.dirname(real)
    if os.path.basename(bindir) != "bin":
        return None
    prefix = os.path.dirname(bindir)
    if prefix in SYSTEM_WHOLE or not under(prefix, RUNTIME_ROOTS):
        return None
    if any(under(os.path.normpath(lib), [prefix]) for lib in libs):
        return prefix
    return None


@functools.cache
def _walk_home(prefix: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Under a runtime's ``prefix``: the symbolic links whose targets lie outside
    it, and its shared objects (``*.so``, ``*.so.N``); at most ``HOME_ENTRIES``
    entries are looked at."""
    links: list[str] = []
    objects: list[str] = []
    seen = 0
    for top, dirs, files in os.walk(prefix):
        dirs.sort()
        for name in sorted(dirs + files):
            seen += 1
            if seen > HOME_ENTRIES:
                return tuple(links), tuple(objects)
            path = os.path.join(top, name)
            if os.path.islink(path):
                target = os.path.realpath(path)
                if not under(target, [prefix]) and os.path.exists(target):
                    links.append(path)
            elif _shared_object(name):
                objects.append(path)
    return tuple(links), tuple(objects)


@functools.cache
def library_dirs(interpreter: str, asked: tuple[str, ...], said: bytes = b"") -> tuple[str, ...]:
    """The existing module directories (or files) ``interpreter`` names when run with the
    arguments ``asked`` and ``said`` on its standard input (its own answer, so a
    Perl built elsewhere lists its own ``@INC``); none if it cannot say."""
    try:
        done = subprocess.run(
            [interpreter, *asked],
            input=said,
            capture_output=True,
            timeout=LIST_SECONDS,
            check=False,
            env={"PATH": os.defpath},
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    lines = done.stdout.decode("utf-8", "surrogateescape").splitlines() if done.returncode == 0 else []
    # as named, not resolved: the links on the way must be made in the sandbox too
    # (Perl's @INC names /usr/lib/x86_64-linux-gnu/perl/5.36, a link to 5.36.0)
    return tuple(dict.fromkeys(os.path.normpath(d) for d in lines if os.path.isabs(d) and os.path.exists(d)))


@functools.cache
def always() -> Root:
    """What every candidate sandbox holds besides a command's needs: the usual /etc files
    (users, the loader's cache, time zone; no secrets) and the merged-/usr links."""
    builder = _Builder("", False)
    for f in ETC_FILES:
        if os.path.lexists(f):
            builder.directory(f)
    libc = next((lib for lib in libraries(os.path.realpath("/bin/sh")) if "/libc.so" in lib), None)
    for data in RUNTIME_DATA:
        where = data if data.startswith("/") else os.path.join(os.path.dirname(libc or "/usr/lib/libc"), data)
        if os.path.isdir(where):
            builder.directory(where)
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            builder.links[top] = os.readlink(top)
    return builder.root()
