"""A run's private directories: made, filled, snapshotted, emptied, removed, swept.

``Scratches`` is an executor's supply of them: where they go (``default_root``),
one kept from run to run where that is safe, or a fresh one per run.

Everything here works on what a program under test leaves behind, so nothing
here may fail because of it. Removal is iterative and goes through directory
descriptors (``O_NOFOLLOW``; parents reopened as ``..`` and checked against what
was there), so a tree of any depth goes, a symbolic link is removed and never
followed, and the walk never leaves the directory it was asked to remove nor
its file system. Modes (``chmod 000``), special files and immutable or
append-only flags are undone on the way. It reports failure instead of raising.

A snapshot of the working directory is bounded (``SnapshotBounds``): how many
entries, how deep, how many bytes of each file and in all. What lies past a
bound is left out in a fixed order (names sorted, depth first), and the
snapshot then holds one more entry, ``TRUNCATED``, saying which bounds were hit
where; it is compared like any other file, so two runs that left the same tree
agree and two that exceeded differently do not. Where the walk stopped early (too
many entries or bytes), the note ends with a digest of the whole tree (names,
kinds, contents up to the byte bound and every file's length), so a change past
the bound still tells two runs apart: ``split -b1`` writing 1,231 pieces, one of
them wrong, is not equivalent to ``split`` however many pieces there are.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import stat
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from fuzzdiff.core.errors import CaseFileError
from fuzzdiff.core.model import file_names_problem
from fuzzdiff.core.spec import Limits
from fuzzdiff.run.landlock import without_file_privileges
from fuzzdiff.run.paths import under

#: Name prefix of private run directories; ``sweep_scratch`` removes abandoned ones.
SCRATCH_PREFIX = "fuzzdiff-run-"
#: A run directory's name while it is made, before its lock is held.
STAGING_PREFIX = ".fuzzdiff-new-"
#: The snapshot entry that says what was left out; no file can have this name (NUL).
TRUNCATED = b"\x00truncated"
#: What a snapshot records for an entry it could not read, before the error's name.
UNREADABLE = b"\x00unreadable\x00"
#: Entries a snapshot records: far more than any task's output files, few enough
#: that comparing, pickling and reporting an outcome stays cheap.
SNAPSHOT_ENTRIES = 1000
#: Entries the digest of a tree past the bounds covers (``_tree_digest``); past
#: them the note says so and has no digest. Reading this many small files costs
#: well under a second; a program leaves more only to hide something.
DIGEST_ENTRIES = 65_536
#: Directory levels a snapshot lists: deeper than any real output layout; bounds the
#: descriptors held open (one a level) and the length of a recorded name.
SNAPSHOT_DEPTH = 32

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_PATH_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
# chattr's ioctls: _IOR/_IOW('f', 1/2, long); the kernel reads and writes an int.
_LONG = struct.calcsize("l")
_FS_IOC_GETFLAGS = (2 << 30) | (_LONG << 16) | (ord("f") << 8) | 1
_FS_IOC_SETFLAGS = (1 << 30) | (_LONG << 16) | (ord("f") << 8) | 2
_PINNED = 0x10 | 0x20  # FS_IMMUTABLE_FL, FS_APPEND_FL
_SWEPT: set[str | None] = set()  # roots this process has swept


@dataclass(frozen=True, slots=True)
class SnapshotBounds:
    """How much of a working directory ``snapshot`` records. Byte counts include the
    entries' names."""

    entries: int = SNAPSHOT_ENTRIES
    depth: int = SNAPSHOT_DEPTH
    file_bytes: int = Limits().output_bytes
    total_bytes: int = 2 * Limits().output_bytes

    @classmethod
    def of(cls, limits: Limits) -> SnapshotBounds:
        """Bounds for a task: a file is kept as far as a stream is (``output_bytes``),
        and all files together weigh what both streams may, so an outcome holds
        about four times the stream cap at most (names and notes beside)."""
        return cls(file_bytes=limits.output_bytes, total_bytes=2 * limits.output_bytes)


# -- removal ------------------------------------------------------------------------


def remove_tree(path: str | os.PathLike[str]) -> bool:
    """Remove ``path`` and everything below it (a link there is removed, never
    followed); True when it is gone. Never raises; the directory holding ``path``
    is never changed but for the removal."""
    parent, name = os.path.split(os.path.abspath(path))
    try:
        parent_fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return not os.path.lexists(path)
    try:
        return remove_at(parent_fd, name)
    finally:
        os.close(parent_fd)


def remove_at(dir_fd: int, name: str) -> bool:
    """Remove the entry ``name`` of the directory open as ``dir_fd``, with everything
    below it; True when it is gone. Never raises."""
    try:
        try:
            os.unlink(name, dir_fd=dir_fd)
            return True
        except IsADirectoryError:
            pass
        except PermissionError:
            _unpin(dir_fd, name)
            os.unlink(name, dir_fd=dir_fd)
            return True
        return _remove_dir(dir_fd, name)
    except FileNotFoundError:
        return True
    except (OSError, ValueError):
        return False


@dataclass(slots=True)
class _Level:
    """A directory on the way down: its name in its parent, its identity, and the
    subdirectories still to remove (None: not listed yet)."""

    name: str
    identity: tuple[int, int]
    pending: list[str] | None = None


def _remove_dir(top: int, name: str) -> bool:
    """Remove the directory ``name`` of ``top`` depth first, holding one descriptor
    at a time: a parent is reopened as ``..`` and must be the directory it was."""
    fd = _open_dir(top, name)
    try:
        first = os.fstat(fd)
        device = first.st_dev
        if device != os.fstat(top).st_dev:
            return False  # a mount point: never enter another file system
        stack = [_Level(name, (first.st_dev, first.st_ino))]
        done = True
        while stack:
            level = stack[-1]
            if level.pending is None:
                level.pending, cleared = _clear(fd)
                done = done and cleared
            if level.pending:
                child = level.pending.pop()
                try:
                    child_fd = _open_dir(fd, child)
                except OSError:
                    done = False
                    continue
                st = os.fstat(child_fd)
                if st.st_dev != device:  # a mount point: never enter another file system
                    os.close(child_fd)
                    done = False
                    continue
                os.close(fd)
                fd = child_fd
                stack.append(_Level(child, (st.st_dev, st.st_ino)))
                continue
            stack.pop()
            if not stack:
                break
            up = os.open("..", _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = up
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) != stack[-1].identity:
                return False  # moved while we walked: stop rather than go elsewhere
            done = _drop_dir(fd, level.name) and done
    finally:
        os.close(fd)
    return _drop_dir(top, name) and done


def _clear(fd: int) -> tuple[list[str], bool]:
    """Make the directory open as ``fd`` writable, remove its files and empty
    subdirectories; returns the other subdirectories and whether all else went."""
    if stat.S_IMODE(os.fstat(fd).st_mode) & 0o700 != 0o700:
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o700)
    with os.scandir(fd) as listing:
        entries = [(entry.name, entry.is_dir(follow_symlinks=False)) for entry in listing]
    subdirs: list[str] = []
    done = True
    unpinned = False
    for name, is_dir in entries:
        try:
            if is_dir:
                os.rmdir(name, dir_fd=fd)  # most are empty by now; else entered
                continue
            try:
                os.unlink(name, dir_fd=fd)
            except PermissionError:  # this directory or the file is immutable or append-only
                unpinned = unpinned or _unpin_self(fd)
                _unpin(fd, name)
                os.unlink(name, dir_fd=fd)
        except FileNotFoundError:
            continue
        except OSError as exc:
            if is_dir or exc.errno == errno.EISDIR:
                subdirs.append(name)
            else:
                done = False
    return subdirs, done


def _drop_dir(fd: int, name: str) -> bool:
    """``rmdir`` of an emptied directory, unpinning it and the directory holding it
    if either is immutable or append-only."""
    try:
        os.rmdir(name, dir_fd=fd)
    except FileNotFoundError:
        return True
    except PermissionError:
        _unpin_self(fd)
        with contextlib.suppress(OSError):
            _unpin(fd, name)
        try:
            os.rmdir(name, dir_fd=fd)
        except OSError:
            return False
    except OSError:
        return False
    return True


def _open_dir(dir_fd: int, name: str) -> int:
    """Open the directory ``name`` of ``dir_fd`` (never a link), giving it back the
    owner's permissions first if its mode keeps even its owner out."""
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except PermissionError:
        restore_mode(dir_fd, name, 0o700)
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)


def restore_mode(dir_fd: int | None, name: str, mode: int) -> None:
    """Set the mode of the directory ``name`` of ``dir_fd``, which no permission bit
    needs to allow, and never through a link (``O_PATH`` finds it, /proc names it)."""
    handle = os.open(name, _PATH_FLAGS, dir_fd=dir_fd)
    try:
        os.chmod(f"/proc/self/fd/{handle}", mode)
    except FileNotFoundError:  # no /proc: the descriptor said it is a directory
        os.chmod(name, mode, dir_fd=dir_fd, follow_symlinks=False)
    finally:
        os.close(handle)


def _unpin(dir_fd: int, name: str) -> bool:
    """Clear the immutable and append-only flags of the file or directory ``name``
    (never another kind: opening a device could act on it)."""
    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        return False
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    except OSError:
        return False
    try:
        return _unpin_self(fd)
    finally:
        os.close(fd)


def _unpin_self(fd: int) -> bool:
    """Clear the immutable and append-only flags of what ``fd`` is open on."""
    buf = bytearray(_LONG)
    try:
        fcntl.ioctl(fd, _FS_IOC_GETFLAGS, buf)
        flags = int.from_bytes(buf[:4], sys.byteorder)
        if not flags & _PINNED:
            return False
        fcntl.ioctl(fd, _FS_IOC_SETFLAGS, (flags & ~_PINNED).to_bytes(4, sys.byteorder) + bytes(_LONG - 4))
    except OSError:
        return False
    return True


# -- the run's directories -----------------------------------------------------------


class Scratch:
    """A run's private directory, ``<root>/fuzzdiff-run-XXXX`` with ``work`` and
    ``tmp`` inside, all mode 0700. Its creator holds an ``flock`` on it while it
    lives, so a directory whose creator died (a killed worker) can be told from a
    live one, in any process or pid namespace, and swept."""

    def __init__(self, path: Path, lock: int) -> None:
        self.path = path
        self.lock = lock
        self.work = path / "work"
        self.tmp = path / "tmp"
        self.path_bytes = os.fsencode(path)
        self.work_bytes = os.fsencode(self.work)
        self.identities = tuple((st.st_dev, st.st_ino, st.st_mode) for st in map(os.lstat, self._dirs()))

    def _dirs(self) -> tuple[Path, Path, Path]:
        return (self.path, self.work, self.tmp)

    def empty_after_run(self) -> bool:
        """Empty ``work`` and ``tmp`` for the next run; False if the run changed the
        directories themselves (removed, replaced, re-moded, or wrote beside them),
        which only a fresh scratch undoes.

        Every step goes through descriptors opened with ``O_NOFOLLOW`` and checked
        against the directories made at creation, so a run that swapped one of
        them for a symbolic link (``ln -s /etc work``) can never turn the emptying
        on what the link points to."""
        try:
            base = os.open(self.path_bytes, _DIR_FLAGS)
        except OSError:
            return False
        try:
            if self._identity(base) != self.identities[0] or sorted(os.listdir(base)) != ["tmp", "work"]:
                return False
            return self._empty(base, "work", self.identities[1]) and self._empty(base, "tmp", self.identities[2])
        except OSError:
            return False
        finally:
            os.close(base)

    def _empty(self, base: int, name: str, identity: tuple[int, int, int]) -> bool:
        """Empty the directory ``name`` of ``base`` if it is still the one made."""
        fd = os.open(name, _DIR_FLAGS, dir_fd=base)
        try:
            if self._identity(fd) != identity:
                return False
            # Nothing runs any more (the cage was swept), so the verified
            # directory is still what its path names.
            return all([remove_at(fd, entry) for entry in os.listdir(fd)])
        finally:
            os.close(fd)

    @staticmethod
    def _identity(fd: int) -> tuple[int, int, int]:
        st = os.fstat(fd)
        return (st.st_dev, st.st_ino, st.st_mode)

    def reset(self) -> None:
        """Remake ``work`` and ``tmp`` empty, for a run started over (a launcher lost
        it). They are new directories: this scratch is not kept after the run."""
        for path in (self.work, self.tmp):
            remove_tree(path)
        make_work(self.work)
        self.tmp.mkdir(mode=0o700)

    def remove(self) -> None:
        remove_tree(self.path)
        with contextlib.suppress(OSError):
            os.close(self.lock)


#: Directories every sandbox makes private (a tmpfs of its own): what lies there on
#: the host is not seen inside unless bound in.
PRIVATE_DIRS = ("/tmp", "/dev/shm")
#: Where a candidate's own files may go when no directory is chosen: a host directory
#: no sandbox makes private, so none has to be bound into a private one.
STAGING_DIRS = ("/var/tmp",)


def staging_root() -> str | None:
    """Where fuzzdiff writes a candidate's own files (scored source text, a batch
    slot): ``$FUZZDIFF_STAGING``, else /var/tmp, else the system default.

    Not /tmp or /dev/shm: a sandbox's /tmp is private, so a program kept in the
    host's /tmp is bound in at its path, and its directory then shows in the
    sandbox's /tmp, the parent of the working directory: ``ls -a -l ..`` or
    ``stat ..`` gave a perfect port of ``ls`` another link count than the
    reference, and a reward of 0."""
    chosen = os.environ.get("FUZZDIFF_STAGING")
    if chosen:
        return chosen
    for path in STAGING_DIRS:
        real = os.path.realpath(path)
        if not under(real, PRIVATE_DIRS) and os.path.isdir(real) and os.access(real, os.W_OK | os.X_OK):
            return real
    return None


def default_root() -> str | None:
    """Where private directories go: ``$FUZZDIFF_TMPDIR``, else /dev/shm (memory, no
    disk I/O per run: several times faster under load), else the system default."""
    chosen = os.environ.get("FUZZDIFF_TMPDIR")
    if chosen:
        return chosen
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK | os.X_OK):
        return "/dev/shm"
    return None


class Scratches:
    """An executor's private directories under ``root`` (swept of abandoned ones
    first). With ``reuse`` (a caged executor: nothing a run started outlives it)
    one is kept from run to run, emptied after each and replaced when a run
    changed it otherwise: making and removing them cost a third of a millisecond
    a run. Without, or while another thread is running in the kept one, each
    run gets a fresh one. Pickled without its directory and lock: the copy makes
    its own."""

    def __init__(self, root: str | None, reuse: bool) -> None:
        self.root = root
        self.reuse = reuse
        self.kept: Scratch | None = None
        self._busy = threading.Lock()
        sweep_scratch(root)

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["kept"] = None
        del state["_busy"]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._busy = threading.Lock()

    @contextlib.contextmanager
    def for_run(self) -> Iterator[Scratch]:
        """The directories of one run: the kept ones where they may be used, else
        fresh ones, removed afterwards."""
        reuse = self.reuse and self._busy.acquire(blocking=False)
        try:
            scratch = self.kept if reuse and self.kept is not None else new_scratch(self.root)
            try:
                yield scratch
            finally:
                if reuse and scratch.empty_after_run():
                    self.kept = scratch
                else:
                    scratch.remove()
                    self.kept = None
        finally:
            if reuse:
                self._busy.release()

    def clear_root(self) -> None:
        """Remove everything under ``root`` but the kept directory (emptied after
        each run already), for an executor whose root is its alone: what a run
        wrote beside its own directories must not reach the next run."""
        assert self.root is not None
        kept = self.kept.path.name if self.kept is not None else None
        clear_dir(self.root, keep=(kept,))


def clear_dir(path: str, keep: tuple[str | None, ...] = ()) -> None:
    """Remove everything in the directory ``path`` but the entries named in ``keep``,
    each as ``remove_at`` does (links never followed, any mode bit undone)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for name in os.listdir(fd):
            if name not in keep:
                remove_at(fd, name)
    finally:
        os.close(fd)


def new_scratch(root: str | None) -> Scratch:
    path, lock = _locked_dir(root, "")
    make_work(path / "work")
    (path / "tmp").mkdir(mode=0o700)  # the directory above stays private
    return Scratch(path, lock)


def _locked_dir(root: str | None, kind: str) -> tuple[Path, int]:
    """A new directory ``<root>/fuzzdiff-run-KINDXXXX``, mode 0700, and the
    descriptor of this process's ``flock`` on it. Made under another name and
    locked before it is named: another process's sweep (``sweep_scratch``) never
    sees it unlocked. The path is the real, absolute one: through a symlinked or
    relative root, ``pwd -P`` would otherwise show a path scrubbing does not know."""
    staging = tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root)
    lock = os.open(staging, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        name = SCRATCH_PREFIX + kind + os.path.basename(staging)[len(STAGING_PREFIX) :]
        final = os.path.join(os.path.dirname(staging), name)
        os.rename(staging, final)
    except BaseException:
        os.close(lock)
        remove_tree(staging)
        raise
    return Path(os.path.realpath(final)), lock


#: Locks of the directories ``private_dir`` made, by path, until ``remove_private``.
_HELD: dict[str, int] = {}
_HELD_LOCK = threading.Lock()


def private_dir(kind: str, root: str | None) -> Path:
    """A new directory of fuzzdiff's own (a scored candidate's source, a batch
    slot, a side's or a sandbox's root) under ``root``, named
    ``fuzzdiff-run-KIND-XXXX`` and held locked by this process until
    ``remove_private`` or its end. However the process ends (``kill -9`` by a
    training loop's timeout included), the next fuzzdiff process that makes a
    directory under the same root removes it (``sweep_scratch``): nothing a killed
    scorer leaves piles up in /var/tmp or in /dev/shm's memory. The first call for
    a root sweeps it."""
    sweep_scratch(root)
    path, lock = _locked_dir(root, f"{kind}-")
    with _HELD_LOCK:
        _HELD[str(path)] = lock
    return path


def remove_private(path: str | os.PathLike[str]) -> bool:
    """Remove a directory ``private_dir`` made (as ``remove_tree`` does) and drop
    its lock; True if it is gone."""
    gone = remove_tree(path)
    with _HELD_LOCK:
        lock = _HELD.pop(str(path), None)
    if lock is not None:
        with contextlib.suppress(OSError):
            os.close(lock)
    return gone


def sweep_scratch(root: str | None) -> int:
    """Remove private run directories under ``root`` whose creator is gone (nobody
    holds their lock); once per process and root. Returns how many were removed.
    Whatever such a directory holds (any depth, mode or kind of file) cannot make
    this fail: what cannot be removed stays, for the next sweep."""
    if root in _SWEPT:
        return 0
    _SWEPT.add(root)
    where = root if root is not None else tempfile.gettempdir()
    try:
        where_fd = os.open(where, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return 0
    try:
        with os.scandir(where_fd) as listing:
            names = [e.name for e in listing if e.name.startswith(SCRATCH_PREFIX) and e.is_dir(follow_symlinks=False)]
        return sum(_sweep_one(where_fd, name) for name in names)
    except OSError:
        return 0
    finally:
        os.close(where_fd)


def _sweep_one(where_fd: int, name: str) -> bool:
    """Remove the run directory ``name`` if it is ours and nobody holds its lock."""
    try:
        if os.stat(name, dir_fd=where_fd, follow_symlinks=False).st_uid != os.getuid():
            return False
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=where_fd)
        except PermissionError:  # a dead run left it mode 000: a live one is never so
            restore_mode(where_fd, name, 0o700)
            fd = os.open(name, _DIR_FLAGS, dir_fd=where_fd)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # alive
        return remove_at(where_fd, name)
    finally:
        os.close(fd)


#: The access and modification time of every file and directory a case's files
#: make, the working directory included (2020-01-01 00:00:00 UTC): what `ls -l`,
#: `stat`, `tar` and `gzip` print of an input would otherwise be the moment it was
#: written, different on every run. A year before the hermetic mode's frozen clock,
#: so a listing shows it as old (with its year) under either clock.
FILE_TIME = 1577836800
#: The modes of a case's files and directories, whatever this process's umask
#: (runs have the umask ``hermetic.UMASK``, which gives what they make the same).
FILE_MODE = 0o644
DIR_MODE = 0o755


def make_work(work: Path) -> None:
    """Make a run's working directory, mode ``DIR_MODE`` whatever this process's
    umask: outcomes compare the directory's own mode (``chmod 711 .``), and a
    sandboxed run under umask 077 saw 0700 where corpora recorded 0755 (an honest
    chmod failed 195 of its 200 stored cases)."""
    work.mkdir()
    os.chmod(work, DIR_MODE)


def write_files(work: Path, files: tuple[tuple[bytes, bytes], ...]) -> None:
    """Write a case's files into its fresh working directory, each file mode
    ``FILE_MODE`` and each directory ``DIR_MODE``, all dated ``FILE_TIME``."""
    root = os.fsencode(work)
    made: dict[bytes, int] = {}  # what was written, in order, with the mode it gets
    problem = file_names_problem(name for name, _ in files)
    if problem is not None:
        raise CaseFileError(problem)
    for name, content in files:
        path = os.path.join(root, name)
        parent = os.path.dirname(path)
        if parent != root:
            os.makedirs(parent, exist_ok=True)
            while parent != root and parent not in made:
                made[parent] = DIR_MODE
                parent = os.path.dirname(parent)
        with open(path, "wb") as fh:
            fh.write(content)
        made[path] = FILE_MODE
    # deepest first: dating a directory's entries would not change its own times,
    # but writing them did, so directories come after what they hold
    for path in sorted(made, key=lambda p: p.count(b"/"), reverse=True):
        os.chmod(path, made[path])
        os.utime(path, (FILE_TIME, FILE_TIME))
    os.utime(root, (FILE_TIME, FILE_TIME))
    with contextlib.suppress(OSError):  # `ls -a` lists `..` too: the run's own directory
        os.utime(os.path.dirname(root), (FILE_TIME, FILE_TIME))


# -- snapshot ------------------------------------------------------------------------


class _Budget:
    """What a snapshot may still record, and the notes on what it left out."""

    def __init__(self, bounds: SnapshotBounds) -> None:
        self.bounds = bounds
        self.entries = bounds.entries
        self.bytes = bounds.total_bytes
        self.notes: list[bytes] = []
        self.deep = False
        self.stopped = False  # the walk ended early: the note gets the tree's digest

    def stop(self, note: bytes) -> None:
        self.notes.append(note)
        self.entries = -1
        self.stopped = True


class EntryStat(NamedTuple):
    """What ``snapshot`` tells of an entry beside its content (symbolic links aside)."""

    kind: str  # "file", "dir" or "special"
    mode: int  # permission bits, with set-id and sticky
    mtime_ns: int
    links: int = 1  # names of the same file (hard links), counted by the file system


Stats = dict[bytes, EntryStat]


def snapshot(
    work: Path,
    bounds: SnapshotBounds = SnapshotBounds(),
    stats: Stats | None = None,
    scrub: Callable[[bytes], bytes] | None = None,
) -> tuple[tuple[bytes, bytes | None], ...]:
    """``_snapshot``, read as a process of this user without capabilities reads: the
    same in a campaign's workers, which hold none, and in a process that kept them
    (a directory made mode 000 was listed in one and unreadable in the other).
    ``stats``, when given, is filled with each recorded entry's ``Stats``. ``scrub``
    rewrites what the whole tree's digest reads (contents, link targets) as the
    caller rewrites the recorded entries: a run's private directory has a new name
    each time, and a file holding it must digest alike."""
    with without_file_privileges():
        return _snapshot(work, bounds, stats, scrub)


def _snapshot(
    work: Path, bounds: SnapshotBounds, stats: Stats | None = None, scrub: Callable[[bytes], bytes] | None = None
) -> tuple[tuple[bytes, bytes | None], ...]:
    """The final state of the working directory, sorted: files with content,
    directories as None, symbolic links as their target (never followed), other
    kinds as a marker; within ``bounds``, plus ``TRUNCATED`` when one was hit.

    Names are taken sorted, depth first: what fits is a function of the tree
    alone. A directory with more entries than are left is not listed (and the
    walk stops there), nor is one deeper than ``bounds.depth``; a file longer
    than ``bounds.file_bytes`` or than what is left of ``bounds.total_bytes``
    is cut, and the note gives its length. One ``scandir`` per directory and no
    ``stat`` per entry but for cut files: this runs after every run."""
    entries: list[tuple[bytes, bytes | None]] = []
    budget = _Budget(bounds)
    try:
        top = os.open(work, _DIR_FLAGS)
    except OSError:
        return ()
    if stats is not None:  # the directory itself: `chmod 711 .` changes only it
        st = os.fstat(top)
        stats[b"."] = EntryStat("dir", stat.S_IMODE(st.st_mode), st.st_mtime_ns, st.st_nlink)
    # The directories on the way down: descriptor, and subdirectories still to list.
    stack: list[tuple[int, list[tuple[str, bytes]]]] = [(top, [])]
    try:
        stack[-1][1].extend(_record(top, b"", entries, budget, stats))
        while stack and budget.entries >= 0:
            fd, pending = stack[-1]
            if not pending:
                os.close(stack.pop()[0])
                continue
            name, rel = pending.pop()
            try:
                child = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except OSError:
                continue  # an unreadable directory shows as itself, without contents
            if len(stack) >= bounds.depth:
                with contextlib.suppress(OSError), os.scandir(child) as listing:
                    budget.deep = budget.deep or next(listing, None) is not None
                os.close(child)
                continue
            stack.append((child, []))
            stack[-1][1].extend(_record(child, rel + b"/", entries, budget, stats))
    finally:
        for fd, _ in stack:
            os.close(fd)
    if budget.deep:
        budget.notes.append(b"directories deeper than %d levels not listed" % bounds.depth)
    if budget.stopped:
        budget.notes.append(_tree_digest(work, bounds, scrub))
    if budget.notes:
        entries.append((TRUNCATED, b"\n".join(budget.notes)))
    return tuple(sorted(entries))


def _record(
    fd: int, prefix: bytes, entries: list[tuple[bytes, bytes | None]], budget: _Budget, stats: Stats | None = None
) -> list[tuple[str, bytes]]:
    """Record the entries of the directory open as ``fd``; returns its subdirectories
    (name, recorded name) in reverse order, the next one to list last."""
    room = budget.entries
    names: list[tuple[str, str]] = []
    try:
        with os.scandir(fd) as listing:
            for entry in listing:
                if len(names) == room:
                    budget.stop(b"more than %d entries: %s not listed" % (budget.bounds.entries, prefix or b"./"))
                    return []
                names.append((entry.name, _kind(entry)))
    except OSError:
        return []
    budget.entries -= len(names)
    names.sort()
    subdirs: list[tuple[str, bytes]] = []
    for name, kind in names:
        rel = prefix + os.fsencode(name)
        budget.bytes -= len(rel)
        if budget.bytes < 0:
            budget.stop(b"more than %d bytes: %s not recorded" % (budget.bounds.total_bytes, rel))
            return []
        content: bytes | None
        try:
            if kind == "link":
                content = b"\x00symlink\x00" + os.fsencode(os.readlink(name, dir_fd=fd))
            elif kind == "dir":
                content = None
                subdirs.append((name, rel))
            elif kind == "file":
                content = _read(fd, name, rel, budget)
            else:
                content = b"\x00special\x00"
        except OSError as exc:
            content = UNREADABLE + errno.errorcode.get(exc.errno or 0, "?").encode()
        if content is not None:
            budget.bytes -= len(content)
        entries.append((rel, content))
        if stats is not None and kind != "link":
            with contextlib.suppress(OSError):
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                stats[rel] = EntryStat(kind, stat.S_IMODE(st.st_mode), st.st_mtime_ns, st.st_nlink)
    subdirs.reverse()
    return subdirs


class _Digest:
    """A running digest of a tree: entries seen and file bytes still to read."""

    def __init__(self, bounds: SnapshotBounds, scrub: Callable[[bytes], bytes] | None) -> None:
        self.hash = hashlib.sha256()
        self.entries = 0
        self.bytes = bounds.total_bytes
        self.bounds = bounds
        self.scrub = scrub

    def add(self, *parts: bytes) -> None:
        for part in parts:  # each part framed by its length: no two trees hash alike by chance of layout
            self.hash.update(len(part).to_bytes(8, "little") + part)


class _TooMany(Exception):
    """The tree holds more than ``DIGEST_ENTRIES`` entries."""


def _tree_digest(work: Path, bounds: SnapshotBounds, scrub: Callable[[bytes], bytes] | None = None) -> bytes:
    """The last line of the ``TRUNCATED`` note of a walk that stopped early: how many
    entries the whole tree holds and a SHA-256 of all of them (sorted names, kinds,
    link targets, each file's length and its content while ``bounds.total_bytes``
    last), to ``bounds.depth`` levels. A function of the tree alone, like the rest
    of the snapshot, with contents and link targets as ``scrub`` rewrites them;
    never raises."""
    digest = _Digest(bounds, scrub)
    try:
        top = os.open(work, _DIR_FLAGS)
    except OSError:
        return b"the whole tree: unreadable"
    try:
        _digest_dir(top, b"", 1, digest)
    except _TooMany:
        return b"the whole tree: more than %d entries, no digest" % DIGEST_ENTRIES
    finally:
        os.close(top)
    return b"the whole tree: %d entries, sha256 %s" % (digest.entries, digest.hash.hexdigest().encode())


def _digest_dir(fd: int, prefix: bytes, depth: int, digest: _Digest) -> None:
    """Add the entries of the directory open as ``fd`` to ``digest``, depth first."""
    names: list[tuple[str, str]] = []
    try:
        with os.scandir(fd) as listing:
            for entry in listing:
                digest.entries += 1
                if digest.entries > DIGEST_ENTRIES:
                    raise _TooMany
                names.append((entry.name, _kind(entry)))
    except OSError as exc:
        digest.add(prefix, UNREADABLE + errno.errorcode.get(exc.errno or 0, "?").encode())
        return
    names.sort()
    for name, kind in names:
        rel = prefix + os.fsencode(name)
        digest.add(rel, kind.encode())
        try:
            if kind == "link":
                target = os.fsencode(os.readlink(name, dir_fd=fd))
                digest.add(target if digest.scrub is None else digest.scrub(target))
            elif kind == "file":
                _digest_file(fd, name, digest)
            elif kind == "dir" and depth < digest.bounds.depth:
                child = os.open(name, _DIR_FLAGS, dir_fd=fd)
                try:
                    _digest_dir(child, rel + b"/", depth + 1, digest)
                finally:
                    os.close(child)
        except OSError as exc:
            digest.add(UNREADABLE + errno.errorcode.get(exc.errno or 0, "?").encode())


def _digest_file(fd: int, name: str, digest: _Digest) -> None:
    """Add a regular file's length, and its content as far as the digest's bytes
    last, to ``digest`` (a marker for anything that is no longer a regular file)."""
    handle = os.open(name, _FILE_FLAGS, dir_fd=fd)
    try:
        st = os.fstat(handle)
        if not stat.S_ISREG(st.st_mode):
            digest.add(b"\x00special\x00")
            return
        digest.add(b"%d" % st.st_size)
        left = min(st.st_size, max(0, digest.bytes))
        chunks = []
        while left > 0:
            chunk = os.read(handle, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            digest.bytes -= len(chunk)
            left -= len(chunk)
        data = b"".join(chunks)  # whole, so that a path across two reads is rewritten too
        digest.add(data if digest.scrub is None else digest.scrub(data))
    finally:
        os.close(handle)


def _kind(entry: os.DirEntry[str]) -> str:
    """What an entry is, from the directory listing alone (no ``stat`` on most file systems)."""
    if entry.is_symlink():
        return "link"
    if entry.is_dir(follow_symlinks=False):
        return "dir"
    return "file" if entry.is_file(follow_symlinks=False) else "special"


#: Seconds around a run within which a file's modification time counts as the
#: run's own (the kernel's clock and this process's may read a moment apart).
RUN_SLACK = 2.0


def attributes(
    files: tuple[tuple[bytes, bytes | None], ...],
    stats: Stats,
    given: tuple[tuple[bytes, bytes], ...],
    window: tuple[float, float],
    frozen: float | None = None,
) -> tuple[tuple[bytes, str], ...]:
    """What the snapshot's ``files`` do not say of the entries ``stats`` describes,
    as ``Outcome.attrs``: a mode other than the one ``write_files`` gives
    (``"mode 0755"``), more than one name for a file (``"2 links"``: ``ln``
    where a copy would give one), and for a regular file a modification time other than its
    content implies. A file the case gave (``given``) and the run left as it was
    is implied to be dated ``FILE_TIME``; any other is implied to be dated
    within the run's ``window`` (wall-clock seconds, start and end); one it could
    not read (``chmod 000``) is taken as left as it was. Otherwise the
    time is said: ``"modified during the run"`` (a file left as given, but
    written again, as ``touch`` does), or exactly (``"modified at 2001-02-03
    04:05:06 UTC"``: ``touch -d``, ``cp -p``, ``mv``). A time within the window
    is never given exactly, so two runs at different moments agree. ``frozen``:
    the instant a hermetic run's clock shows, which counts as within the run too
    (GNU ``touch`` lets the kernel date a file, a port reads the frozen clock:
    both dated it "now")."""
    contents = dict(files)
    before = dict(given)
    start = int((window[0] - RUN_SLACK) * 1e9)
    end = int((window[1] + RUN_SLACK) * 1e9)
    spans = [(start, end)]
    if frozen is not None:
        spans.append((int((frozen - RUN_SLACK) * 1e9), int((frozen + RUN_SLACK) * 1e9)))
    said: list[tuple[bytes, str]] = []
    for name, (kind, mode, mtime_ns, links) in sorted(stats.items()):
        parts = []
        if mode != (DIR_MODE if kind == "dir" else FILE_MODE):
            parts.append(f"mode {mode:04o}")
        if kind != "dir" and links != 1:
            parts.append(f"{links} links")
        if kind == "file":
            now = contents.get(name)
            kept = name in before and (now == before[name] or (now or b"").startswith(UNREADABLE))
            within = any(a <= mtime_ns <= b for a, b in spans)
            actual = "kept" if mtime_ns == FILE_TIME * 10**9 else "run" if within else "other"
            if actual != ("kept" if kept else "run"):
                parts.append("modified during the run" if actual == "run" else f"modified at {_when(mtime_ns)}")
        if parts:
            said.append((name, ", ".join(parts)))
    return tuple(said)


def _when(ns: int) -> str:
    """A modification time as a reader of ``ls --full-time`` would want it, in UTC."""
    seconds, fraction = divmod(ns, 10**9)
    try:
        text = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))
    except (OverflowError, OSError, ValueError):
        text = f"{seconds} s after the epoch"
    return f"{text}.{fraction:09d} UTC" if fraction else f"{text} UTC"


def _read(fd: int, name: str, rel: bytes, budget: _Budget) -> bytes:
    """The content of the regular file ``name`` of ``fd``, cut to what the budget
    allows (a marker if it is no longer a regular file: a fifo is never waited on)."""
    handle = os.open(name, _FILE_FLAGS, dir_fd=fd)
    try:
        st = os.fstat(handle)
        if not stat.S_ISREG(st.st_mode):
            return b"\x00special\x00"
        room = max(0, min(budget.bounds.file_bytes, budget.bytes))
        chunks = []
        left = room + 1
        while left > 0:
            chunk = os.read(handle, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > room:
            data = data[:room]
            budget.notes.append(b"%s: %d bytes, the first %d kept" % (rel, st.st_size, room))
        return data
    finally:
        os.close(handle)
