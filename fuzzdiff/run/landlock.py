"""Landlock confinement for runs where bubblewrap cannot start.

Landlock (Linux 5.13 and later) lets an unprivileged process give up access
rights for itself and every process it starts; no namespace or privilege is
needed, so it works where user namespaces are disabled. fuzzdiff uses it as the
fallback sandbox: a ruleset is built once per executor, and each run's child
calls ``landlock_restrict_self`` on it just before ``exec``.

What a confined run may do:

- read and execute everything except the hidden paths (fuzzdiff's task files,
  corpora and caches, and for the candidate the reference binary with every
  hard link or copy of it found beside it). Landlock grants rights on whole
  directory trees, so hiding one file means granting each of its siblings
  instead of its directory: the hidden file's ancestor directories can be
  walked through but not listed;
- write only under its writable roots (its private working and temporary
  directories) and to /dev/null, /dev/zero and /dev/full;
- no TCP ``bind`` or ``connect`` (ABI 4), no abstract Unix sockets and no
  signals to processes outside its own run (ABI 6): it cannot kill its worker.

Pipes, and files reached through descriptors it was given, are not checked by
Landlock, so standard streams work as usual. UDP and sockets on paths are not
covered by any ABI this code knows; bubblewrap's network namespace is.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# Syscall numbers are the same on every architecture (the unified table).
_CREATE_RULESET = 444
_ADD_RULE = 445
_RESTRICT_SELF = 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

# Filesystem rights, by the ABI version that introduced them.
EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
_V1_ALL = (1 << 13) - 1  # EXECUTE .. MAKE_SYM
REFER = 1 << 13  # ABI 2
TRUNCATE = 1 << 14  # ABI 3
IOCTL_DEV = 1 << 15  # ABI 5
#: Rights that make sense on a file (rather than a directory).
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV

_NET_BIND_TCP = 1 << 0  # ABI 4
_NET_CONNECT_TCP = 1 << 1
_SCOPE_ABSTRACT_UNIX = 1 << 0  # ABI 6
_SCOPE_SIGNAL = 1 << 1

#: Device files any program may write (and read) beside its own directories.
DEVICES = ("/dev/null", "/dev/zero", "/dev/full")


class _RulesetAttr(ctypes.Structure):
    _fields_ = (
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    )


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


@functools.cache
def libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


@functools.cache
def abi() -> int:
    """The kernel's Landlock ABI version; 0 where Landlock is missing or disabled."""
    try:
        version = int(libc().syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION))
    except (OSError, AttributeError):
        return 0
    return max(version, 0)


def _handled_fs(version: int) -> int:
    rights = _V1_ALL
    if version >= 2:
        rights |= REFER
    if version >= 3:
        rights |= TRUNCATE
    if version >= 5:
        rights |= IOCTL_DEV
    return rights


def _error(what: str) -> OSError:
    errno = ctypes.get_errno()
    return OSError(errno, f"landlock {what}: {os.strerror(errno)}")


@dataclass(frozen=True, slots=True)
class Policy:
    """What a confined run may touch (see the module docstring)."""

    hidden: tuple[str, ...] = ()
    writable: tuple[str, ...] = ()
    granted: tuple[str, ...] = ()  # readable and executable even where hidden (the reference, for itself)
    #: Readable and executable trees (the candidate's allowlist, ``fuzzdiff.run.allowlist``),
    #: less what is hidden; None: the whole filesystem less what is hidden.
    allowed: tuple[str, ...] | None = None


def _identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def readable_roots(hidden: Iterable[str], start: str = "/") -> list[str]:
    """Paths whose trees together cover ``start`` (the whole filesystem) except the
    ``hidden`` paths: each ancestor of a hidden path is replaced by its other entries.

    Entries that are symbolic links are left out (their targets are covered where
    they really are), and so are entries that are the same file as a hidden one
    (hard links), since Landlock's rules follow the file, not its name."""
    targets = {os.path.realpath(p) for p in hidden if os.path.exists(p)}
    inodes = {i for i in map(_identity, targets) if i is not None}
    roots: list[str] = []

    def cover(path: str) -> None:
        if path in targets:
            return
        prefix = path.rstrip("/") + "/"
        if not any(t.startswith(prefix) for t in targets):
            roots.append(path)
            return
        try:
            names = sorted(os.listdir(path))
        except OSError:
            return
        for name in names:
            child = prefix + name
            try:
                st = os.lstat(child)
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode) or (st.st_dev, st.st_ino) in inodes:
                continue
            cover(child)

    cover(start)
    return roots


class Ruleset:
    """A Landlock ruleset for ``policy``, built once; ``restrict`` confines the
    calling process (meant for a child between ``fork`` and ``exec``)."""

    def __init__(self, policy: Policy) -> None:
        version = abi()
        if version < 1:
            raise OSError("Landlock is not available in this kernel")
        self.policy = policy
        handled = _handled_fs(version)
        attr = _RulesetAttr(
            handled_access_fs=handled,
            handled_access_net=(_NET_BIND_TCP | _NET_CONNECT_TCP) if version >= 4 else 0,
            scoped=(_SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL) if version >= 6 else 0,
        )
        size = ctypes.sizeof(_RulesetAttr) if version >= 6 else (16 if version >= 4 else 8)
        fd = int(libc().syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0))
        if fd < 0:
            raise _error("create_ruleset")
        self.fd = fd
        try:
            read = (EXECUTE | READ_FILE | READ_DIR) & handled
            starts = ("/",) if policy.allowed is None else policy.allowed
            for start in starts:
                for path in readable_roots(policy.hidden, start):
                    self._allow(path, read)
            for path in DEVICES:
                self._allow(path, (READ_FILE | WRITE_FILE | TRUNCATE | IOCTL_DEV) & handled)
            for path in policy.granted:
                self._allow(path, read)
            for path in policy.writable:
                self._allow(path, handled)
        except BaseException:
            os.close(fd)
            raise

    def _allow(self, path: str, rights: int) -> None:
        try:
            target = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return  # gone since listing: nothing to grant
        try:
            if not stat.S_ISDIR(os.fstat(target).st_mode):
                rights &= _FILE_RIGHTS
            rule = _PathBeneathAttr(allowed_access=rights, parent_fd=target)
            if libc().syscall(_ADD_RULE, self.fd, _RULE_PATH_BENEATH, ctypes.byref(rule), 0) != 0:
                raise _error(f"add_rule {path}")
        finally:
            os.close(target)

    def restrict(self) -> None:
        """Confine the calling process and all it starts; raises if the kernel refuses.
        Capabilities go first: root keeps none (it could raise its hard rlimits)."""
        drop_capabilities()
        c = libc()
        if c.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise _error("no_new_privs")
        if c.syscall(_RESTRICT_SELF, self.fd, 0) != 0:
            raise _error("restrict_self")

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class _CapHeader(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _CapData(ctypes.Structure):
    _fields_ = (("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32))


_CAPSET = 126 if os.uname().machine == "x86_64" else 91  # aarch64 numbering otherwise
_CAP_VERSION_3 = 0x20080522
_PR_CAPBSET_DROP = 24
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4


def has_capability(number: int) -> bool:
    """Whether this process holds capability ``number`` in its effective set."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) >> number & 1)
    except (OSError, ValueError, IndexError):
        pass
    return False


def drop_capabilities() -> None:
    """Give up every capability, for good: the bounding set (so that ``exec``, even
    of a root-owned program by uid 0, grants none back), the ambient set, then the
    effective, permitted and inheritable sets. A no-op for capabilities already gone."""
    c = libc()
    for cap in range(64):
        if c.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() not in (22, 1):
            raise _error("capbset_drop")  # EINVAL: no such capability; EPERM: none to drop with
    c.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = _CapHeader(version=_CAP_VERSION_3, pid=0)
    data = (_CapData * 2)()
    if c.syscall(_CAPSET, ctypes.byref(header), ctypes.byref(data)) != 0:
        raise _error("capset")


_CAPGET = 125 if os.uname().machine == "x86_64" else 90
#: CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER: what lets root read past file modes.
_FILE_PRIVILEGES = (1 << 1) | (1 << 2) | (1 << 3)


@contextlib.contextmanager
def without_file_privileges() -> Iterator[None]:
    """Read files as a program of this user without capabilities would: the calling
    thread's effective set loses the capabilities that bypass file modes, and gets
    them back after. A run's files are snapshot this way everywhere, so a program
    that made a directory mode 000 leaves the same outcome whether fuzzdiff kept
    its capabilities (``corpus record``, ``check_case``) or not (campaign workers):
    the shipped chmod corpus failed against chmod itself in `replay` as root."""
    if os.geteuid() != 0:
        yield
        return
    c = libc()
    header = _CapHeader(version=_CAP_VERSION_3, pid=0)
    saved = (_CapData * 2)()
    if c.syscall(_CAPGET, ctypes.byref(header), ctypes.byref(saved)) != 0 or not (
        saved[0].effective & _FILE_PRIVILEGES
    ):
        yield
        return
    lowered = (_CapData * 2)(*saved)
    lowered[0].effective &= ~_FILE_PRIVILEGES
    if c.syscall(_CAPSET, ctypes.byref(header), ctypes.byref(lowered)) != 0:
        raise _error("capset")
    try:
        yield
    finally:
        header = _CapHeader(version=_CAP_VERSION_3, pid=0)
        if c.syscall(_CAPSET, ctypes.byref(header), ctypes.byref(saved)) != 0:
            raise _error("capset")


def shed_capabilities() -> None:
    """``drop_capabilities`` where it can be done, for a child about to ``exec``
    (``preexec_fn``): a process without capabilities to drop runs on as it is."""
    with contextlib.suppress(OSError):
        drop_capabilities()


_PR_SET_DUMPABLE = 4


def undumpable() -> None:
    """Make this process non-dumpable: a process of the same uid without
    CAP_SYS_PTRACE (any candidate) can then neither trace it nor read its memory or
    environment through /proc. Programs it starts are dumpable again after exec."""
    if libc().prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise _error("set_dumpable")


def level() -> str:
    """A short name for the isolation Landlock gives here, or "" without it."""
    version = abi()
    return f"landlock-v{version}" if version else ""
