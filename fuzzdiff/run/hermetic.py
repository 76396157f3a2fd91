"""Hermetic runs (task key ``hermetic``, ``fuzz --hermetic``): both sides see a
frozen clock and seeded randomness, and files made with a fixed umask.

The clock and the random bytes come from libfaketime (Debian's ``libfaketime``),
preloaded into every program a run starts: ``time``, ``gettimeofday``,
``clock_gettime`` (the monotonic clocks included) answer one fixed instant, and
``getrandom``/``getentropy`` a sequence fixed by a seed. All of it is carried by
the run's environment, so it is added to the task's own (``hermetic_spec``,
applied where a campaign is set up): the reference cache, repro scripts, replays
and sandboxes all see it as part of the task. Inside bubblewrap the host name is
fixed and the PID namespace private already (``sandbox``).

What is not covered (measured in docs/hermetic.md): statically linked programs,
programs that make the ``getrandom`` system call themselves or read
``/dev/urandom``, file times the kernel stamps, inode numbers, process ids,
``/proc``. Python's waits with a timeout on a lock or event never end under a
frozen monotonic clock (a run then times out); its ``time.sleep`` does end,
which it would not with ``FAKETIME_DONT_FAKE_MONOTONIC`` (it fails there).

libfaketime names a semaphore and a shared-memory object in ``/dev/shm`` after
each process that loads it; a process killed or replaced by ``exec`` leaves them
behind. ``sweep_leftovers`` removes those of processes that are gone.
"""

from __future__ import annotations

import calendar
import contextlib
import ctypes
import os
import sysconfig
import time
from collections.abc import Mapping
from dataclasses import replace

from fuzzdiff.core.errors import ProgramError
from fuzzdiff.core.spec import TaskSpec

#: Where Debian's package installs the library (the multi-arch triplet of this Python).
HERMETIC_LIB = f"/usr/lib/{sysconfig.get_config_var('MULTIARCH') or 'x86_64-linux-gnu'}/faketime/libfaketime.so.1"
#: The instant every clock shows: a fixed absolute date freezes the clock (no "@",
#: which would start it running there); a past, ordinary date within 32-bit time_t.
FROZEN_TIME = "2021-01-01 00:00:00"
#: That instant in seconds since the epoch (runs have TZ=UTC): what a program that
#: reads the clock to date a file (a Python ``touch``) dates it with, where one
#: that lets the kernel date it (GNU ``touch``, ``UTIME_NOW``) gets the real time.
FROZEN_EPOCH = calendar.timegm(time.strptime(FROZEN_TIME, "%Y-%m-%d %H:%M:%S"))
#: libfaketime's seed for getrandom(): any fixed 64-bit value.
RANDOM_SEED = "0x12345678DEADBEEF"
#: The umask of every run, hermetic or not: the common default (files 644, directories
#: 755). Outcomes compare modes, so it must not be whoever runs fuzzdiff's.
UMASK = 0o022
#: Where glibc keeps named semaphores and shared memory (libfaketime's per-process pair).
SHM_DIR = "/dev/shm"
#: Names of libfaketime's per-process objects there, followed by the creator's pid.
SHM_PREFIXES = ("faketime_shm_", "sem.faketime_sem_")


def hermetic_env() -> dict[str, str]:
    """The variables that make a run hermetic; added to the task's environment."""
    return {"LD_PRELOAD": HERMETIC_LIB, "FAKETIME": FROZEN_TIME, "FAKERANDOM_SEED": RANDOM_SEED}


def is_hermetic(env: Mapping[str, str]) -> bool:
    """Whether runs with ``env`` are hermetic (libfaketime preloaded with a time)."""
    return HERMETIC_LIB in env.get("LD_PRELOAD", "").split(":") and "FAKETIME" in env


def check_library(path: str | None = None) -> None:
    """Raise ``ProgramError`` naming the fix when libfaketime is not installed."""
    lib = path or HERMETIC_LIB
    if not os.path.isfile(lib):
        raise ProgramError(
            f"hermetic runs need libfaketime, and {lib} does not exist; "
            "install it (apt-get install libfaketime) or run without hermetic"
        )


def hermetic_spec(spec: TaskSpec) -> TaskSpec:
    """``spec`` with the hermetic variables in its environment when it asks for
    hermetic runs (a ``LD_PRELOAD`` of the task's own comes after ours); else
    ``spec`` itself. Raises ``ProgramError`` when the library is missing."""
    if not spec.hermetic:
        return spec
    check_library()
    env = dict(spec.env)
    extra = hermetic_env()
    own = env.get("LD_PRELOAD", "")
    if HERMETIC_LIB in own.split(":"):
        del extra["LD_PRELOAD"]  # made hermetic before
    elif own:
        extra["LD_PRELOAD"] = f"{HERMETIC_LIB}:{own}"
    env.update(extra)
    return replace(spec, env=tuple(sorted(env.items())))


#: personality(2)'s flag that turns address-space layout randomisation off, and the
#: query that reads the current persona.
ADDR_NO_RANDOMIZE = 0x0040000
_QUERY_PERSONA = 0xFFFFFFFF


def fix_address_layout() -> bool:
    """Turn address-space randomisation off for this process's future children (what
    ``setarch -R`` does): ``mktemp`` mixes address bits into its names. Returns
    whether it is off; a kernel that refuses leaves it on (docs/hermetic.md)."""
    libc = ctypes.CDLL(None, use_errno=True)
    persona = libc.personality(_QUERY_PERSONA)
    if persona == -1:
        return False
    if persona & ADDR_NO_RANDOMIZE:
        return True
    return bool(libc.personality(persona | ADDR_NO_RANDOMIZE) != -1)


def sweep_leftovers(directory: str = SHM_DIR) -> int:
    """Remove libfaketime's semaphores and shared memory left by processes that are
    gone; how many objects were removed. Only this user's; a process alive under
    that id (maybe another that reused it) keeps its pair. The shared memory goes
    before the semaphore: a new process with a reused id finds the semaphore
    still there and creates neither, or finds neither and creates both; it never
    finds the memory without the semaphore, which it treats as an error."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return 0
    me = os.getuid()
    gone: dict[int, list[str]] = {}
    for entry in entries:
        prefix = next((p for p in SHM_PREFIXES if entry.name.startswith(p)), None)
        digits = entry.name[len(prefix) :] if prefix else ""
        if not digits.isdigit():
            continue
        with contextlib.suppress(OSError):
            if entry.stat(follow_symlinks=False).st_uid == me:
                gone.setdefault(int(digits), []).append(entry.path)
    removed = 0
    for pid, paths in gone.items():
        try:
            os.kill(pid, 0)
            continue  # alive
        except PermissionError:
            continue  # alive, another user's
        except ProcessLookupError:
            pass
        for path in sorted(paths, key=lambda p: "sem." in os.path.basename(p)):  # memory first
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
                removed += 1
    return removed
