"""An on-disk, content-addressed, authenticated cache of the reference's outcomes.

The reference runs once per distinct case across all candidates and processes:
an outcome is stored under the case's key, in a directory named by a hash of
the reference's identity (everything the outcome depends on: the resolved
command line, the SHA-256 of the executable and of any script it is given,
argv[0], the task's environment and limits, ``CACHE_VERSION``). A changed
reference or task gets a fresh directory and never reads stale outcomes.

Integrity. Each entry carries an HMAC-SHA256, under this cache's secret key
(``<root>/key``, 32 random bytes), of the identity, the case's key and the
encoded outcome. An entry that does not verify (edited, truncated, copied from
another cache, which has another key, or from another reference's or another
case's entry) is ignored and counted in ``counts["rejected"]``; the runner then
runs the reference and ``put`` overwrites the entry with the fresh outcome.
Entries are read without following links or blocking and only up to
``MAX_ENTRY_BYTES``, so a planted FIFO, device or huge file costs one lookup.

Writes are atomic (temporary file, then rename) but not synced: a torn entry
after a crash fails verification and is recomputed. Two processes storing the
same case store identical bytes. Resource figures are zeroed before storing:
they are never compared.

Who can read and write the cache. Directories are created 0o700 and entries
0o600, so other users can do neither. The key is created once, atomically
(``link`` of a synced temporary file: the first process wins, the others read
its key), and must be a regular file of 32 bytes owned by this user that no
group or other user can read; one that is not is replaced by a new key (every
entry is then recomputed), and one owned by another user turns the cache off
(``disabled`` says why): it is someone else's cache.

- fuzzdiff as root with its capabilities: the key is created with mode 0o000
  and given to ``nobody`` (``KEY_OWNER_WITH_CAPABILITIES``). fuzzdiff reads it
  through CAP_DAC_OVERRIDE. A process of the same uid without capabilities (a
  candidate in bubblewrap or under Landlock, which drop them all, or in plain
  mode, whose workers drop them) can neither read it nor chmod it (it is not
  the owner); if it swaps in a key of its own, that key is root's, not nobody's
  (it cannot chown), so fuzzdiff replaces it and every entry is recomputed. In
  both sandboxes the whole cache root is absent anyway.
- fuzzdiff as any other user (or as root without capabilities): the key is
  created with mode 0o400 and owned by that user. A 0o000 key of ours is read by
  chmod 0o400, read, chmod back; concurrent readers racing on the mode retry.
  The mode is no barrier to the owner, who may chmod any file it owns; it only
  keeps the key out of a careless reader's way. A key of nobody's (made by a
  capable fuzzdiff) turns this process's cache off.
- The limit: a program that holds fuzzdiff's capabilities, or runs as fuzzdiff's
  uid when that is not root, can read the key and forge entries; no file mode
  prevents that. What the key guarantees is that entries written by anyone who
  cannot read it (other users, candidates without capabilities, copies from
  another cache or machine, damage) are never used.

Default location: ``$FUZZDIFF_CACHE``, else ``$XDG_CACHE_HOME/fuzzdiff``
(``~/.cache/fuzzdiff``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import hmac
import json
import os
import secrets
import stat
import tempfile
import time
from collections import Counter
from pathlib import Path

from fuzzdiff.core.codec import DecodeError, decode_outcome, encode_outcome
from fuzzdiff.core.model import Case, Outcome, Program
from fuzzdiff.core.spec import TaskSpec
from fuzzdiff.run.landlock import has_capability
from fuzzdiff.run.paths import cache_home, program_files
from fuzzdiff.store.corpus import file_sha256

#: Part of every identity: entries of another format live in other directories and never verify here.
#: 5: a snapshot that stopped at a bound ends its note with the whole tree's digest; 6: of its paths scrubbed;
#: 7: output is read until the streams close, not 0.2 s past the main process's exit.
CACHE_VERSION = 7
#: The key's file name in the cache root.
KEY_FILE = "key"
#: As long as SHA-256's output: a longer HMAC key adds nothing, a shorter one weakens it.
KEY_BYTES = 32
#: Attempts to read or create the key; retries only happen when concurrent
#: processes race (one chmod-reading a 0o000 key, two replacing an untrusted one).
KEY_ATTEMPTS = 8
#: Pause before attempt n+1 is n times this: a racing process's chmod-read-restore takes microseconds.
KEY_RETRY_SECONDS = 0.005
#: An entry is read whole, so a bigger file counts as not verified rather than
#: being loaded (a planted sparse file could be any size). Outcomes under the
#: default limits (1 MiB a stream, 16 MiB a file, base64 in JSON) fit unless the
#: reference leaves several large files; those cases just run the reference again.
MAX_ENTRY_BYTES = 64 << 20
#: Starts every entry file; the hex HMAC and a newline follow, then the outcome's JSON.
MAGIC = b"fuzzdiff-refcache-2 "
_MAC_HEX = 64
_HEADER = len(MAGIC) + _MAC_HEX + 1
#: CAP_DAC_OVERRIDE's bit in /proc/self/status's CapEff.
_CAP_DAC_OVERRIDE = 1
_CAP_CHOWN = 0
#: Who owns the key when fuzzdiff runs with CAP_CHOWN (root): nobody, so that a
#: process of fuzzdiff's uid without capabilities can neither read nor chmod it.
KEY_OWNER_WITH_CAPABILITIES = 65534


class CacheKeyError(Exception):
    """The cache's key cannot be used (another user's, or unreadable): the cache is off."""


class _Untrusted(Exception):
    """The key file exists but may be known to others (or is damaged): replace it."""


def load_key(root: Path) -> bytes:
    """This cache's secret key, created on first use (see the module docstring)."""
    _makedirs(root)
    path = root / KEY_FILE
    for attempt in range(KEY_ATTEMPTS):
        try:
            return _read_key(path)
        except FileNotFoundError:
            _create_key(path, replace=False)
        except _Untrusted:
            _create_key(path, replace=True)
        except PermissionError:
            pass  # another reader restored 0o000 between our chmod and open: try again
        time.sleep(KEY_RETRY_SECONDS * attempt)
    raise CacheKeyError(f"cannot read the cache key {path} (several attempts failed)")


def key_owner() -> int:
    """The uid a key must belong to: nobody when this process can make it so (root
    with CAP_CHOWN and CAP_DAC_OVERRIDE), else this process's own uid."""
    if has_capability(_CAP_CHOWN) and has_capability(_CAP_DAC_OVERRIDE):
        return KEY_OWNER_WITH_CAPABILITIES
    return os.geteuid()


def _check_owner(path: Path, uid: int) -> None:
    """Raise unless ``uid`` owns a key we may use: ``_Untrusted`` for a key of our
    own uid where it should be nobody's (made or swapped by a process of our uid
    without our capabilities: it may know it), ``CacheKeyError`` for another user's."""
    expected = key_owner()
    if uid == expected:
        return
    if uid == os.geteuid():
        raise _Untrusted
    raise CacheKeyError(f"the cache key {path} belongs to uid {uid}, not to this user")


def key_mode() -> int:
    """The mode a new key gets: 0o000 when this process can read it anyway, else 0o400."""
    return 0o000 if _overrides_dac() else 0o400


def _read_key(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except PermissionError:
        fd = _open_by_chmod(path)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO):
            raise _Untrusted from exc  # a symbolic link or a socket: not a key we made
        raise
    try:
        st = os.fstat(fd)
        _check_owner(path, st.st_uid)
        if not stat.S_ISREG(st.st_mode) or st.st_mode & 0o077:
            raise _Untrusted
        data = os.read(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) != KEY_BYTES:
        raise _Untrusted
    return data


def _open_by_chmod(path: Path) -> int:
    """Open a 0o000 key we own without CAP_DAC_OVERRIDE: make it readable, open, restore."""
    st = os.lstat(path)
    if st.st_uid != os.geteuid():
        raise CacheKeyError(f"the cache key {path} belongs to uid {st.st_uid}, not to this user")
    if not stat.S_ISREG(st.st_mode):
        raise _Untrusted
    os.chmod(path, 0o400, follow_symlinks=False)
    try:
        return os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    finally:
        with contextlib.suppress(OSError):
            os.chmod(path, stat.S_IMODE(st.st_mode), follow_symlinks=False)


def _create_key(path: Path, replace: bool) -> None:
    """A new random key at ``path``, synced before it appears: created once
    (``link`` fails when another process was first) or, with ``replace``, put
    in place of an untrusted one."""
    fd, tmp = tempfile.mkstemp(prefix=f".{KEY_FILE}.", dir=path.parent)
    try:
        try:
            if os.write(fd, secrets.token_bytes(KEY_BYTES)) != KEY_BYTES:
                raise OSError(errno.EIO, "short write of the cache key", tmp)
            os.fsync(fd)
            os.fchmod(fd, key_mode())
            if key_owner() != os.geteuid():
                os.fchown(fd, key_owner(), -1)
        finally:
            os.close(fd)
        if replace:
            os.replace(tmp, path)
        else:
            with contextlib.suppress(FileExistsError):  # another process made the key first
                os.link(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _overrides_dac() -> bool:
    return has_capability(_CAP_DAC_OVERRIDE)


def reference_identity(spec: TaskSpec, reference: Program, where: str = "") -> dict[str, object]:
    """Everything a reference outcome depends on besides the case: the resolved
    command line, the content of its executable and scripts, argv[0], the task's
    environment and limits, where it runs (``where``: a sandbox shows a program
    another host name and parent directory than a plain run) and the cache format."""
    argv = [os.path.realpath(reference.argv[0]), *reference.argv[1:]]
    files = dict.fromkeys([argv[0], *(os.path.realpath(p) for p in program_files(reference.argv))])
    return {
        "version": CACHE_VERSION,
        "argv": argv,
        "sha256": {path: file_sha256(path) for path in files},
        "argv0": reference.argv0,
        "env": [list(pair) for pair in spec.env],
        "limits": dataclasses.asdict(spec.limits),
        **({"where": where} if where else {}),
    }


class DiskReferenceCache:
    """Reference outcomes on disk, keyed by the reference's identity and the case,
    each authenticated by this cache's key.

    ``counts``: ``hits``, ``misses`` (absent), ``rejected`` (present but not
    verified: tampered, truncated, foreign), ``stored``, ``unwritable``.
    ``disabled``: why the cache is off (its key cannot be used), else ``None``;
    then every lookup misses and nothing is stored."""

    def __init__(self, spec: TaskSpec, reference: Program, root: Path | None = None, where: str = "") -> None:
        root = root or cache_home()
        named = reference_identity(spec, reference, where)
        identity = hashlib.sha256(json.dumps(named, sort_keys=True).encode()).digest()
        self.path = root / "reference" / f"{spec.name}-{identity.hex()[:24]}"
        self.counts: Counter[str] = Counter()
        self.disabled: str | None = None
        try:
            key = load_key(root)
        except (OSError, CacheKeyError) as exc:
            self.disabled = str(exc)
            key = secrets.token_bytes(KEY_BYTES)  # never stored: nothing on disk verifies under it
        self._mac = hmac.new(key, identity, hashlib.sha256)

    def _file(self, key: str) -> Path:
        return self.path / key[:2] / f"{key}.out"

    def _sign(self, key: str, payload: bytes) -> bytes:
        mac = self._mac.copy()
        mac.update(key.encode() + b"\x00")
        mac.update(payload)
        return mac.hexdigest().encode()

    def get(self, case: Case) -> Outcome | None:
        """The stored outcome for ``case`` if its entry verifies, else ``None``."""
        if self.disabled is not None:
            self.counts["misses"] += 1
            return None
        key = case.key()
        try:
            data = _read_entry(self._file(key))
        except FileNotFoundError:
            self.counts["misses"] += 1
            return None
        except OSError:
            data = b""  # a directory, FIFO, device, link or oversized file where an entry belongs
        if (
            len(data) < _HEADER
            or not data.startswith(MAGIC)
            or data[_HEADER - 1] != ord("\n")
            or not hmac.compare_digest(data[len(MAGIC) : _HEADER - 1], self._sign(key, data[_HEADER:]))
        ):
            self.counts["rejected"] += 1
            return None
        try:
            outcome = decode_outcome(json.loads(data[_HEADER:]))
        except (ValueError, DecodeError):
            self.counts["rejected"] += 1  # signed by our key, yet not an outcome: written by a buggy version
            return None
        self.counts["hits"] += 1
        return outcome

    def put(self, case: Case, outcome: Outcome) -> None:
        """Store ``outcome`` for ``case``, replacing whatever entry was there."""
        if self.disabled is not None:
            return
        stable = dataclasses.replace(outcome, cpu_seconds=0.0, max_rss_kb=0, wall_seconds=0.0)
        payload = json.dumps(encode_outcome(stable), sort_keys=True, separators=(",", ":")).encode()
        key = case.key()
        try:
            _write_entry(self._file(key), MAGIC + self._sign(key, payload) + b"\n" + payload)
        except OSError:
            self.counts["unwritable"] += 1  # a cache that cannot be written only costs speed
            return
        self.counts["stored"] += 1


def _read_entry(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_ENTRY_BYTES:
            raise OSError(errno.EINVAL, "not a cache entry", str(path))
        data = os.read(fd, st.st_size + 1)  # one read: a short one fails verification, no harm
    finally:
        os.close(fd)
    return data


def _write_entry(path: Path, data: bytes) -> None:
    """Temporary file beside ``path`` (0o600), then rename over it."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(tmp, flags, 0o600)
    except FileNotFoundError:
        _makedirs(path.parent)
        fd = os.open(tmp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _makedirs(path: Path) -> None:
    """``path`` and its missing parents, each 0o700 (``os.makedirs`` gives parents the default mode)."""
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        pass
    except FileNotFoundError:
        _makedirs(path.parent)
        path.mkdir(mode=0o700, exist_ok=True)
