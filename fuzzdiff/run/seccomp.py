"""A seccomp filter for everything in a bubblewrap sandbox: the system calls that
reach past the sandbox fail, the rest are allowed.

Mounts and namespaces cannot hide kernel state that is keyed by user or shared
by the whole machine: root's keyrings are the host's, a POSIX message queue
outlives the run that made it (the sandbox, and so its IPC namespace, serves
many runs), and a new user namespace would hand a program the capabilities the
sandbox dropped. Bubblewrap loads this filter (``--seccomp FD``) into the
sandbox's server before it starts, so every process in the sandbox inherits it
and none can remove it.

A denied call fails with EPERM, as if the sandbox forbade it, rather than killing
the program: a program that probes for a feature (a keyring, a debugger) sees
the same failure it would see as an unprivileged user, and its run is judged on
what it prints. None of our references makes any of these calls; each is denied
because no command-line program under test needs it:

=====================  ========================================================
system call            why a program under test does not need it
=====================  ========================================================
add_key                kernel keyrings are per user: root's is shared with the
request_key            host and with every run, sandbox and candidate, so a
keyctl                 key is both a leak and a channel between runs
mq_open                POSIX message queues live in the sandbox's IPC
mq_unlink              namespace, which outlives each run (no file in /dev/shm
mq_timedsend           to wipe): state that one run leaves and the next reads
mq_timedreceive
mq_notify
mq_getsetattr
unshare                new namespaces are for container tools; a new user
setns                  namespace would give back every capability dropped
mount                  file-system layout is the sandbox's to set; these need
umount2                capabilities the sandbox dropped, and stay denied even
pivot_root             in a namespace a program could make
chroot
open_tree              the new mount API, the same as ``mount``
move_mount
fsopen
fsconfig
fsmount
fspick
mount_setattr
ptrace                 debuggers and tracers are not programs under test; these
process_vm_readv       read and write other processes of the sandbox (the
process_vm_writev      server's own peers)
kexec_load             the machine's kernel, modules, swap and power are the
kexec_file_load        host's, never a program's
init_module
finit_module
delete_module
swapon
swapoff
reboot
bpf                    kernel attack surface that no command-line tool needs:
perf_event_open        in-kernel programs, performance counters (side
userfaultfd            channels), page-fault handling (widens kernel races),
open_by_handle_at      and opening files by handle past the mounts
io_uring_setup         asynchronous I/O rings: a large kernel surface with a
io_uring_enter         record of flaws; command-line tools read and write
io_uring_register      with plain system calls
clone                  only with a namespace flag (see ``unshare``); a plain
                       fork or thread is allowed
prlimit64              only on the calling process itself (pid 0), or to read:
setpriority            every process of a sandbox runs as one user, so a program
sched_setparam         could lower the limits or the priority of the sandbox's
sched_setscheduler     server, which outlives it: the next runs (another
sched_setattr          candidate's, in a batch) inherited a stack too small to
sched_setaffinity      run, or a file-size cap of 0, or one CPU. ``setpriority``
ioprio_set             and ``ioprio_set`` must name one process, the caller
clone3                 fails with ENOSYS, not EPERM: its flags sit in memory a
                       filter cannot read, and on ENOSYS the C library falls
                       back to ``clone``, whose flags are checked
=====================  ========================================================

A call from another architecture's system-call table (32-bit x86 through
``int 0x80``, the x32 ABI, 32-bit ARM) would dodge the numbers above, so the
process is killed instead; the filter knows x86_64 and aarch64.

The filter is classic BPF over ``struct seccomp_data``, assembled here from
``struct sock_filter`` records (no libseccomp): ``program()`` returns the bytes
bubblewrap reads.
"""

from __future__ import annotations

import errno
import functools
import os
import select
import struct
import sys
from collections.abc import Mapping
from dataclasses import dataclass

#: ``struct sock_filter``: opcode, jump-if-true, jump-if-false, constant.
SOCK_FILTER = struct.Struct("=HBBI")

# Classic BPF opcodes (linux/bpf_common.h).
LD_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS: load 32 bits of seccomp_data
JEQ = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
JGE = 0x35  # BPF_JMP | BPF_JGE | BPF_K
JSET = 0x45  # BPF_JMP | BPF_JSET | BPF_K
RET = 0x06  # BPF_RET | BPF_K

# Filter results (linux/seccomp.h).
RET_KILL_PROCESS = 0x80000000
RET_ERRNO = 0x00050000
RET_ALLOW = 0x7FFF0000

# ``struct seccomp_data`` offsets: nr, arch, instruction pointer, then args[6] of 64 bits.
NR_OFFSET = 0
ARCH_OFFSET = 4
#: The low 32 bits of args[0] (clone's flags; the kernel ignores the high half).
ARG0_LOW = 16 + (4 if sys.byteorder == "big" else 0)


def arg_half(index: int, high: bool = False) -> int:
    """Offset in ``struct seccomp_data`` of one 32-bit half of args[index]."""
    return 16 + 8 * index + (4 if (sys.byteorder == "big") != high else 0)


AUDIT_ARCH_X86_64 = 0xC000003E
AUDIT_ARCH_AARCH64 = 0xC00000B7
#: x32 system calls carry this bit and x86_64's audit arch.
X32_SYSCALL_BIT = 0x40000000

# The namespace flags of clone (linux/sched.h). CLONE_NEWTIME is left out: in
# clone's flags that bit belongs to the exit signal.
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
NAMESPACE_FLAGS = (
    CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET
)

#: Calls allowed only on the caller itself, by the label of the check their arguments get:
#: ``self``: args[0] (a pid) is 0; ``read``: the same, or args[2] (prlimit64's new
#: limits) is NULL; ``one``: args[0] (which) is the process kind and args[1] (who) is 0.
ON_SELF = {
    "prlimit64": "read",
    "setpriority": "one",
    "ioprio_set": "one",
    "sched_setparam": "self",
    "sched_setscheduler": "self",
    "sched_setattr": "self",
    "sched_setaffinity": "self",
}
#: ``which`` naming one process: PRIO_PROCESS for setpriority, IOPRIO_WHO_PROCESS for ioprio_set.
ONE_PROCESS = {"setpriority": 0, "ioprio_set": 1}

#: Calls that fail with EPERM (the module docstring says why, call by call).
DENIED = (
    "add_key",
    "request_key",
    "keyctl",
    "mq_open",
    "mq_unlink",
    "mq_timedsend",
    "mq_timedreceive",
    "mq_notify",
    "mq_getsetattr",
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "swapon",
    "swapoff",
    "reboot",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "open_by_handle_at",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
)


@dataclass(frozen=True, slots=True)
class Arch:
    """One system-call table: its audit arch and the numbers of the calls we filter."""

    name: str
    audit: int
    numbers: Mapping[str, int]
    #: Whether numbers with ``X32_SYSCALL_BIT`` reach the filter under this audit arch.
    x32: bool = False


X86_64 = Arch(
    "x86_64",
    AUDIT_ARCH_X86_64,
    {
        "add_key": 248,
        "request_key": 249,
        "keyctl": 250,
        "mq_open": 240,
        "mq_unlink": 241,
        "mq_timedsend": 242,
        "mq_timedreceive": 243,
        "mq_notify": 244,
        "mq_getsetattr": 245,
        "unshare": 272,
        "setns": 308,
        "mount": 165,
        "umount2": 166,
        "pivot_root": 155,
        "chroot": 161,
        "open_tree": 428,
        "move_mount": 429,
        "fsopen": 430,
        "fsconfig": 431,
        "fsmount": 432,
        "fspick": 433,
        "mount_setattr": 442,
        "ptrace": 101,
        "process_vm_readv": 310,
        "process_vm_writev": 311,
        "kexec_load": 246,
        "kexec_file_load": 320,
        "init_module": 175,
        "finit_module": 313,
        "delete_module": 176,
        "swapon": 167,
        "swapoff": 168,
        "reboot": 169,
        "bpf": 321,
        "perf_event_open": 298,
        "userfaultfd": 323,
        "open_by_handle_at": 304,
        "io_uring_setup": 425,
        "io_uring_enter": 426,
        "io_uring_register": 427,
        "prlimit64": 302,
        "setpriority": 141,
        "sched_setparam": 142,
        "sched_setscheduler": 144,
        "sched_setattr": 314,
        "sched_setaffinity": 203,
        "ioprio_set": 251,
        "clone": 56,
        "clone3": 435,
    },
    x32=True,
)

AARCH64 = Arch(
    "aarch64",
    AUDIT_ARCH_AARCH64,
    {
        "add_key": 217,
        "request_key": 218,
        "keyctl": 219,
        "mq_open": 180,
        "mq_unlink": 181,
        "mq_timedsend": 182,
        "mq_timedreceive": 183,
        "mq_notify": 184,
        "mq_getsetattr": 185,
        "unshare": 97,
        "setns": 268,
        "mount": 40,
        "umount2": 39,
        "pivot_root": 41,
        "chroot": 51,
        "open_tree": 428,
        "move_mount": 429,
        "fsopen": 430,
        "fsconfig": 431,
        "fsmount": 432,
        "fspick": 433,
        "mount_setattr": 442,
        "ptrace": 117,
        "process_vm_readv": 270,
        "process_vm_writev": 271,
        "kexec_load": 104,
        "kexec_file_load": 294,
        "init_module": 105,
        "finit_module": 273,
        "delete_module": 106,
        "swapon": 224,
        "swapoff": 225,
        "reboot": 142,
        "bpf": 280,
        "perf_event_open": 241,
        "userfaultfd": 282,
        "open_by_handle_at": 265,
        "io_uring_setup": 425,
        "io_uring_enter": 426,
        "io_uring_register": 427,
        "prlimit64": 261,
        "setpriority": 140,
        "sched_setparam": 118,
        "sched_setscheduler": 119,
        "sched_setattr": 274,
        "sched_setaffinity": 122,
        "ioprio_set": 30,
        "clone": 220,
        "clone3": 435,
    },
)

ARCHES = (X86_64, AARCH64)


@dataclass(frozen=True, slots=True)
class _Op:
    """One instruction before assembly: jump targets are label names (or 0: next)."""

    code: int
    k: int = 0
    jt: str | int = 0
    jf: str | int = 0


def _arch_section(arch: Arch) -> list[_Op | str]:
    """The filter for one system-call table (the arch is already checked)."""
    ops: list[_Op | str] = [arch.name, _Op(LD_ABS, NR_OFFSET)]
    if arch.x32:
        ops.append(_Op(JGE, X32_SYSCALL_BIT, jt="kill"))
    ops += [_Op(JEQ, arch.numbers[name], jt="eperm") for name in DENIED]
    ops += [
        _Op(JEQ, arch.numbers["clone3"], jt="enosys"),
        _Op(JEQ, arch.numbers["clone"], jt="clone"),
    ]
    for name, check in ON_SELF.items():
        ops.append(_Op(JEQ, arch.numbers[name], jt=f"{check}-{name}" if check == "one" else check))
    ops.append(_Op(RET, RET_ALLOW))
    return ops


def _self_checks() -> list[_Op | str]:
    """The argument checks of ``ON_SELF``, shared by every table (the numbers differ,
    the arguments do not)."""
    ops: list[_Op | str] = [
        "read",  # prlimit64: pid 0, or no new limits
        _Op(LD_ABS, arg_half(0)),
        _Op(JEQ, 0, jt="allow"),
        _Op(LD_ABS, arg_half(2)),
        _Op(JEQ, 0, jf="eperm"),
        _Op(LD_ABS, arg_half(2, high=True)),
        _Op(JEQ, 0, jt="allow", jf="eperm"),
        "self",
        _Op(LD_ABS, arg_half(0)),
        _Op(JEQ, 0, jt="allow", jf="eperm"),
    ]
    for name, which in ONE_PROCESS.items():
        ops += [
            f"one-{name}",
            _Op(LD_ABS, arg_half(0)),
            _Op(JEQ, which, jf="eperm"),
            _Op(LD_ABS, arg_half(1)),
            _Op(JEQ, 0, jt="allow", jf="eperm"),
        ]
    return ops


def _assemble(ops: list[_Op | str]) -> bytes:
    """Resolve labels (strings in ``ops`` mark the next instruction) into relative jumps."""
    labels: dict[str, int] = {}
    code: list[_Op] = []
    for op in ops:
        if isinstance(op, str):
            labels[op] = len(code)
        else:
            code.append(op)

    def offset(pc: int, target: str | int) -> int:
        if isinstance(target, int):
            return target
        jump = labels[target] - pc - 1
        if not 0 <= jump <= 255:  # classic BPF jumps forward, by one byte
            raise ValueError(f"seccomp jump to {target} out of range: {jump}")
        return jump

    return b"".join(SOCK_FILTER.pack(op.code, offset(pc, op.jt), offset(pc, op.jf), op.k) for pc, op in enumerate(code))


@functools.cache
def program() -> bytes:
    """The compiled filter: ``struct sock_filter`` records, as ``bwrap --seccomp`` reads them."""
    ops: list[_Op | str] = [_Op(LD_ABS, ARCH_OFFSET)]
    ops += [_Op(JEQ, arch.audit, jt=arch.name) for arch in ARCHES]
    ops.append(_Op(RET, RET_KILL_PROCESS))  # a table the filter does not know
    for arch in ARCHES:
        ops += _arch_section(arch)
    ops += _self_checks()
    ops += [
        "clone",
        _Op(LD_ABS, ARG0_LOW),
        _Op(JSET, NAMESPACE_FLAGS, jt="eperm"),
        "allow",
        _Op(RET, RET_ALLOW),
        "eperm",
        _Op(RET, RET_ERRNO | errno.EPERM),
        "enosys",
        _Op(RET, RET_ERRNO | errno.ENOSYS),
        "kill",
        _Op(RET, RET_KILL_PROCESS),
    ]
    return _assemble(ops)


def program_fd() -> int:
    """A descriptor to read ``program()`` from (for ``bwrap --seccomp FD``): the read
    end of a pipe already holding it and closed for writing, so bubblewrap reads to
    end of file. The caller passes it on and closes it."""
    data = program()
    if len(data) > select.PIPE_BUF:  # written whole by one write only up to PIPE_BUF
        raise ValueError(f"seccomp filter of {len(data)} bytes does not fit in one pipe write")
    read, write = os.pipe()
    try:
        os.write(write, data)
    except OSError:
        os.close(read)
        raise
    finally:
        os.close(write)
    return read
