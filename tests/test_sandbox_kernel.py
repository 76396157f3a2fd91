"""What mounts cannot express, in the bubblewrap sandbox: the environment
bubblewrap itself holds, kernel state shared past the sandbox (keyrings, message
queues, namespaces, tracing; ``fuzzdiff.run.seccomp``) and memory across a run's
processes (a memory cgroup).

The seccomp filter is checked twice: here by running its BPF code on made-up
system calls (an interpreter of the few opcodes it uses, written from the
kernel's definition, not from the module), and inside a real sandbox."""

from __future__ import annotations

import ctypes
import errno
import json
import os
import platform
import re
import struct
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fuzzdiff.core.model import Case, Outcome, Program, Termination
from fuzzdiff.core.spec import DEFAULT_ENV, Limits
from fuzzdiff.run import sandbox, seccomp
from fuzzdiff.run.cage import memory_root, pids_root
from fuzzdiff.run.sandbox import SandboxExecutor, bwrap_available, memory_limit

LIMITS = Limits(timeout=5.0, output_bytes=64 << 10, processes=32)

needs_bwrap = pytest.mark.skipif(
    not bwrap_available(), reason="bubblewrap cannot start a sandbox here (bwrap missing or no namespaces)"
)


def py(code: str) -> Program:
    return Program(argv=(sys.executable, "-c", code), argv0=sys.executable)


def run_py(box: SandboxExecutor, code: str) -> Outcome:
    outcome = box.run(py(code), Case())
    assert outcome.termination is Termination.EXITED and outcome.exit_code == 0, outcome
    return outcome


@pytest.fixture(scope="module")
def box() -> Iterator[SandboxExecutor]:
    if not bwrap_available():
        pytest.skip("bubblewrap cannot start a sandbox here")
    executor = SandboxExecutor(DEFAULT_ENV, LIMITS)
    yield executor
    executor.close()


# -- the filter's code, interpreted ---------------------------------------------

KILL, ALLOW = 0x80000000, 0x7FFF0000
EPERM = 0x00050000 | errno.EPERM
ENOSYS = 0x00050000 | errno.ENOSYS
I386, ARM = 0x40000003, 0x40000028  # audit arches of the 32-bit tables


def verdict(arch: int, nr: int, arg0: int = 0, *args: int) -> int:
    """What the compiled filter returns for one system call (struct seccomp_data
    built by hand, the program run by a minimal classic-BPF interpreter)."""
    data = struct.pack("=iIQ6Q", nr, arch, 0, *(arg0, *args, 0, 0, 0, 0, 0)[:6])
    raw = seccomp.program()
    code: list[tuple[int, int, int, int]] = [struct.unpack_from("=HBBI", raw, i) for i in range(0, len(raw), 8)]
    pc, acc = 0, 0
    for _ in range(len(code)):
        op, jt, jf, k = code[pc]
        if op == 0x20:  # ld [k]
            (acc,) = struct.unpack_from("=I", data, k)
            pc += 1
        elif op in (0x15, 0x35, 0x45):  # jeq, jge, jset
            taken = {0x15: acc == k, 0x35: acc >= k, 0x45: bool(acc & k)}[op]
            pc += 1 + (jt if taken else jf)
        elif op == 0x06:  # ret k
            return k
        else:
            raise AssertionError(f"unexpected opcode {op:#x}")
    raise AssertionError("the filter ran off its end")


# Numbers from the kernel's tables (arch/x86/entry/syscalls/syscall_64.tbl,
# include/uapi/asm-generic/unistd.h), written down here apart from the module's.
X86_64 = {"keyctl": 250, "mq_open": 240, "unshare": 272, "ptrace": 101, "clone": 56, "read": 0, "getpid": 39}
AARCH64 = {"keyctl": 219, "mq_open": 180, "unshare": 97, "ptrace": 117, "clone": 220, "read": 63, "getpid": 172}
FORK_FLAGS = 0x01000000 | 0x00200000 | 17  # CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD (glibc's fork)
THREAD_FLAGS = 0x003D0F00  # glibc's pthread_create: VM, FS, FILES, SIGHAND, THREAD, SYSVSEM, SETTLS, *_SETTID, CLEARTID


@pytest.mark.parametrize("arch", [seccomp.X86_64, seccomp.AARCH64], ids=lambda a: a.name)
def test_every_denied_call_fails_with_eperm(arch: seccomp.Arch) -> None:
    for name in seccomp.DENIED:
        assert verdict(arch.audit, arch.numbers[name]) == EPERM, name
    assert verdict(arch.audit, 435) == ENOSYS  # clone3: the C library falls back to clone


@pytest.mark.parametrize(("audit", "table"), [(0xC000003E, X86_64), (0xC00000B7, AARCH64)], ids=["x86_64", "aarch64"])
def test_the_filter_on_each_architecture(audit: int, table: dict[str, int]) -> None:
    for name in ("keyctl", "mq_open", "unshare", "ptrace"):
        assert verdict(audit, table[name]) == EPERM, name
    for name in ("read", "getpid"):
        assert verdict(audit, table[name]) == ALLOW, name
    assert verdict(audit, table["clone"], FORK_FLAGS) == ALLOW
    assert verdict(audit, table["clone"], THREAD_FLAGS) == ALLOW
    for flag in (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000):
        assert verdict(audit, table["clone"], FORK_FLAGS | flag) == EPERM, hex(flag)
    # the high half of clone's flags is ignored by the kernel, and so by the filter
    assert verdict(audit, table["clone"], FORK_FLAGS | (0x10000000 << 32)) == ALLOW


def test_other_system_call_tables_are_killed() -> None:
    """A 32-bit or x32 call would dodge the numbers: the process is killed instead."""
    assert verdict(I386, 288) == KILL  # keyctl in the i386 table
    assert verdict(I386, 20) == KILL  # even getpid
    assert verdict(ARM, 311) == KILL
    assert verdict(0xC000003E, 0x40000000 | 250) == KILL  # x32 keyctl
    assert verdict(0xC000003E, 0x40000000 | 39) == KILL


@pytest.mark.parametrize(
    ("arch", "header"),
    [
        (seccomp.X86_64, Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")),
        (seccomp.AARCH64, Path("/usr/include/asm-generic/unistd.h")),
    ],
    ids=["x86_64", "aarch64"],
)
def test_numbers_match_the_kernel_headers(arch: seccomp.Arch, header: Path) -> None:
    if not header.is_file():
        pytest.skip(f"{header} is not installed (linux-libc-dev)")
    defined = {m[1]: int(m[2]) for m in re.finditer(r"#define __NR_(\w+)\s+(\d+)\b", header.read_text())}
    for name, number in arch.numbers.items():
        assert defined[name] == number, name


def test_the_docstring_table_names_every_call() -> None:
    """The table of reasons covers exactly what the filter denies."""
    assert seccomp.__doc__ is not None
    rows = re.search(r"=+  =+\n.*?\n=+  =+\n(.*?)\n=+  =+", seccomp.__doc__, re.S)
    assert rows is not None
    named = {line.split()[0] for line in rows[1].splitlines() if line[:1].strip()}
    assert named == {*seccomp.DENIED, *seccomp.ON_SELF, "clone", "clone3"}


SELF_CALLS = {
    "x86_64": {"prlimit64": 302, "setpriority": 141, "ioprio_set": 251, "sched_setscheduler": 144},
    "aarch64": {"prlimit64": 261, "setpriority": 140, "ioprio_set": 30, "sched_setscheduler": 119},
}


@pytest.mark.parametrize(("audit", "arch"), [(0xC000003E, "x86_64"), (0xC00000B7, "aarch64")])
def test_limits_and_priorities_only_of_the_caller(audit: int, arch: str) -> None:
    """A program lowered the sandbox server's hard limits (``prlimit(2, ...)``): every
    later run, another candidate's in a batch, inherited them."""
    nr = SELF_CALLS[arch]
    new, server = 0x7FFD_1234_5000, 2
    assert verdict(audit, nr["prlimit64"], 0, 7, new) == ALLOW  # setrlimit: glibc passes pid 0
    assert verdict(audit, nr["prlimit64"], server, 7, 0, new) == ALLOW  # reading another's
    assert verdict(audit, nr["prlimit64"], server, 7, new) == EPERM
    assert verdict(audit, nr["prlimit64"], server, 7, 0x5000) == EPERM  # either half of the pointer
    assert verdict(audit, nr["prlimit64"], server, 7, 0x7FFD_0000_0000) == EPERM
    assert verdict(audit, nr["setpriority"], 0, 0, 10) == ALLOW  # nice(1)
    for which, who in ((0, server), (1, 0), (2, 0)):  # another process, the caller's group, all of its user
        assert verdict(audit, nr["setpriority"], which, who, 10) == EPERM, (which, who)
    assert verdict(audit, nr["ioprio_set"], 1, 0, 7) == ALLOW
    assert verdict(audit, nr["ioprio_set"], 1, server, 7) == EPERM
    assert verdict(audit, nr["ioprio_set"], 3, 0, 7) == EPERM
    assert verdict(audit, nr["sched_setscheduler"], 0, 5) == ALLOW
    assert verdict(audit, nr["sched_setscheduler"], server, 5) == EPERM


def test_the_program_fits_one_pipe_write() -> None:
    fd = seccomp.program_fd()
    try:
        assert os.read(fd, 1 << 16) == seccomp.program()
        assert os.read(fd, 1) == b""  # end of file: bubblewrap reads to it
    finally:
        os.close(fd)


# -- the environment ------------------------------------------------------------

ENVIRON_PROBE = """
import glob, json
seen, unreadable = {}, []
for path in sorted(glob.glob("/proc/[0-9]*/environ")) + ["/proc/self/environ"]:
    try:
        with open(path, "rb") as fh:
            seen[path] = fh.read().decode("latin-1")
    except OSError:
        unreadable.append(path)
print(json.dumps({"seen": seen, "unreadable": unreadable}))
"""


@needs_bwrap
def test_no_process_inside_sees_the_host_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = f"hunter2-{uuid.uuid4().hex}"
    monkeypatch.setenv("FUZZDIFF_TEST_TRAINER_TOKEN", secret)
    with SandboxExecutor(DEFAULT_ENV, LIMITS) as executor:
        report = json.loads(run_py(executor, ENVIRON_PROBE).stdout)
    seen = report["seen"]
    assert "/proc/1/environ" in seen and "/proc/self/environ" in seen, report  # not vacuous
    for path, text in seen.items():
        assert secret not in text, path
        assert "FUZZDIFF_TEST_TRAINER_TOKEN" not in text, path
        assert "PATH=" + os.environ.get("PATH", "") not in text.split("\0"), path
    # bubblewrap's init holds nothing at all; the program holds the task's environment only
    assert seen["/proc/1/environ"] == ""
    own = dict(item.split("=", 1) for item in seen["/proc/self/environ"].split("\0") if item)
    assert set(own) <= set(DEFAULT_ENV) | {"HOME", "TMPDIR", "PWD"}, own


# -- kernel state: keyrings, message queues, namespaces, tracing ------------------

KEY_DESCRIPTION = f"fuzzdiff-kernel-test-{uuid.uuid4().hex[:12]}"
QUEUE = f"/fuzzdiff-kernel-test-{uuid.uuid4().hex[:12]}"
KEYCTL = {"x86_64": (248, 250), "aarch64": (217, 219)}  # (add_key, keyctl)
NUMBERS = KEYCTL.get(platform.machine())

# Run 1 stores a key in root's user keyring and a message in a queue; run 2 looks for both.
STATE_PROBE = """
import ctypes, json, os, sys
ADD_KEY, KEYCTL = {numbers}
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.mq_open.restype = ctypes.c_int
def call(fn, *args):
    ctypes.set_errno(0)
    result = fn(*args)
    return result, ctypes.get_errno()
USER_KEYRING = ctypes.c_long(-4)
out = {{}}
if sys.argv[1] == "store":
    out["add_key"] = call(libc.syscall, ctypes.c_long(ADD_KEY), b"user", {desc!r}, b"secret", ctypes.c_size_t(6),
                          USER_KEYRING)
    q, out["mq_open"] = call(libc.mq_open, {queue!r}, os.O_CREAT | os.O_RDWR, 0o600, None)
    out["mq_send"] = call(libc.mq_send, q, b"left-behind", ctypes.c_size_t(11), 0) if q >= 0 else None
else:
    out["keyctl_search"] = call(libc.syscall, ctypes.c_long(KEYCTL), ctypes.c_long(10), USER_KEYRING, b"user",
                                {desc!r}, ctypes.c_long(0))
    q, out["mq_open"] = call(libc.mq_open, {queue!r}, os.O_RDWR, 0, None)
    buf = ctypes.create_string_buffer(1 << 16)
    out["mq_receive"] = call(libc.mq_receive, q, buf, ctypes.c_size_t(1 << 16), None) if q >= 0 else None
    out["message"] = buf.value.decode()
    if q >= 0:
        libc.mq_unlink({queue!r})
print(json.dumps(out))
"""


def _unlink_test_key() -> None:
    """Remove the test's key from the host's keyring, should the filter have let it through."""
    if NUMBERS is None:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    key = libc.syscall(ctypes.c_long(NUMBERS[1]), ctypes.c_long(10), ctypes.c_long(-4), b"user",
                       KEY_DESCRIPTION.encode(), ctypes.c_long(0))  # fmt: skip
    if key > 0:
        libc.syscall(ctypes.c_long(NUMBERS[1]), ctypes.c_long(21), ctypes.c_long(key))  # KEYCTL_INVALIDATE


@pytest.fixture
def clean_keyring() -> Iterator[None]:
    yield
    _unlink_test_key()


@needs_bwrap
@pytest.mark.skipif(NUMBERS is None, reason="keyctl numbers known for x86_64 and aarch64 only")
def test_keyrings_and_message_queues_are_denied_and_keep_nothing_between_runs(
    box: SandboxExecutor, clean_keyring: None
) -> None:
    probe = STATE_PROBE.format(numbers=NUMBERS, desc=KEY_DESCRIPTION.encode(), queue=QUEUE.encode())
    stored = json.loads(box.run(Program((sys.executable, "-c", probe, "store"), sys.executable), Case()).stdout)
    assert stored["add_key"] == [-1, errno.EPERM], stored
    assert stored["mq_open"] == errno.EPERM, stored
    found = json.loads(box.run(Program((sys.executable, "-c", probe, "find"), sys.executable), Case()).stdout)
    assert found["keyctl_search"] == [-1, errno.EPERM], found
    assert found["mq_open"] == errno.EPERM, found
    assert found["message"] == "", found


NAMESPACE_PROBE = """
import ctypes, json, os, sys, threading, subprocess
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
CLONE, CLONE3 = {clone}
CLONE_NEWUSER, SIGCHLD = 0x10000000, 17
def call(fn, *args):
    ctypes.set_errno(0)
    return fn(*args), ctypes.get_errno()
out = {{}}
out["unshare"] = call(libc.unshare, CLONE_NEWUSER)
pid, err = call(libc.syscall, ctypes.c_long(CLONE), ctypes.c_long(CLONE_NEWUSER | SIGCHLD), 0, 0, 0, 0)
if pid == 0:
    os._exit(0)
if pid > 0:
    os.waitpid(pid, 0)
out["clone_newuser"] = [min(pid, 1), err]
out["clone3"] = call(libc.syscall, ctypes.c_long(CLONE3), None, ctypes.c_size_t(0))
out["ptrace_traceme"] = call(libc.ptrace, 0, 0, None, None)
# what programs do every day still works: threads, fork, subprocesses
box = []
t = threading.Thread(target=box.append, args=("thread",)); t.start(); t.join()
child = os.fork()
if child == 0:
    os._exit(7)
out["fork"] = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
out["subprocess"] = subprocess.run(["/bin/sh", "-c", "echo sub"], capture_output=True).stdout.decode()
out["thread"] = box
print(json.dumps(out))
"""
CLONE_NUMBERS = {"x86_64": (56, 435), "aarch64": (220, 435)}.get(platform.machine())


@needs_bwrap
@pytest.mark.skipif(CLONE_NUMBERS is None, reason="clone numbers known for x86_64 and aarch64 only")
def test_namespaces_and_tracing_are_denied_but_fork_and_threads_work(box: SandboxExecutor) -> None:
    out = json.loads(run_py(box, NAMESPACE_PROBE.format(clone=CLONE_NUMBERS)).stdout)
    assert out["unshare"] == [-1, errno.EPERM], out
    assert out["clone_newuser"] == [-1, errno.EPERM], out
    assert out["clone3"] == [-1, errno.ENOSYS], out
    assert out["ptrace_traceme"] == [-1, errno.EPERM], out
    assert (out["fork"], out["subprocess"], out["thread"]) == (7, "sub\n", ["thread"])


KERNEL_SETTINGS_PROBE = """
import json, os, resource
out = {}
for path in ("/proc/sys/vm/swappiness", "/proc/sys/kernel/core_pattern", "/proc/sys/kernel/hostname"):
    try:
        with open(path) as fh:
            value = fh.read()
        with open(path, "w") as fh:
            fh.write(value)  # the value it holds: harmless, should the write pass
        out[path] = "written"
    except OSError as exc:
        out[path] = exc.errno
server = os.getppid()
try:
    resource.prlimit(server, resource.RLIMIT_NOFILE, resource.prlimit(server, resource.RLIMIT_NOFILE))
    out["prlimit"] = "set"
except OSError as exc:
    out["prlimit"] = exc.errno
try:
    os.setpriority(os.PRIO_PROCESS, server, os.getpriority(os.PRIO_PROCESS, server))
    out["setpriority"] = "set"
except OSError as exc:
    out["setpriority"] = exc.errno
try:
    os.sched_setaffinity(server, {0})
    out["setaffinity"] = "set"
except OSError as exc:
    out["setaffinity"] = exc.errno
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # its own: still allowed
os.nice(1)
out["own"] = [resource.getrlimit(resource.RLIMIT_CORE)[1], os.getpriority(os.PRIO_PROCESS, 0)]
print(json.dumps(out))
"""


@needs_bwrap
def test_kernel_settings_and_the_servers_limits_are_out_of_reach(box: SandboxExecutor) -> None:
    """Run as root, a program wrote /proc/sys (the host's core_pattern: a command the
    kernel ran on the host) and lowered the sandbox server's hard limits, which every
    later run in the sandbox inherited."""
    out = json.loads(run_py(box, KERNEL_SETTINGS_PROBE).stdout)
    refused = (errno.EROFS, errno.EACCES) if os.geteuid() else (errno.EROFS,)
    for path in ("/proc/sys/vm/swappiness", "/proc/sys/kernel/core_pattern", "/proc/sys/kernel/hostname"):
        assert out[path] in refused, (path, out)
    assert out["prlimit"] == errno.EPERM, out
    assert out["setpriority"] == errno.EPERM, out
    assert out["setaffinity"] == errno.EPERM, out
    assert out["own"][0] == 0 and out["own"][1] >= 1, out


TAMPER = """
import os, sys
server = os.getppid()
for name, value in (("oom_score_adj", "1000"), ("autogroup", "19")):
    try:
        with open(f"/proc/{server}/{name}", "w") as fh:
            fh.write(value)
    except OSError:
        pass
"""
LOOK = """
import os
server = os.getppid()
print(open(f"/proc/{server}/oom_score_adj").read().strip(), open(f"/proc/{server}/autogroup").read().split()[-1])
"""


@needs_bwrap
def test_a_server_a_run_changed_is_replaced_before_the_next_run(box: SandboxExecutor) -> None:
    """What seccomp cannot see (the server's /proc files: its OOM score, its session's
    niceness) a run changed, and the next runs inherited it."""
    before = run_py(box, LOOK).stdout
    run_py(box, TAMPER)
    assert run_py(box, LOOK).stdout == before


# -- memory across a run's processes --------------------------------------------

needs_memory_cgroup = pytest.mark.skipif(memory_root() is None, reason="no writable memory cgroup here")

#: Small enough to be cheap: 12 children of 96 MiB each (1.1 GiB) against a cap of 704 MiB.
SMALL = Limits(timeout=20.0, memory_mb=160, processes=24, file_bytes=1 << 20, output_bytes=64 << 10)
HOG = """
import os, select, time
hold_r, hold_w = os.pipe()  # children hold their memory until this closes
ready_r, ready_w = os.pipe()  # each says when its memory is resident
kids = []
for _ in range(12):
    pid = os.fork()
    if pid == 0:
        os.close(hold_w)
        try:
            block = b"x" * (96 << 20)  # touched: resident, not just reserved
        except MemoryError:
            os._exit(3)
        os.write(ready_w, b"%d\\n" % os.getpid())
        os.read(hold_r, 1)
        os._exit(0)
    kids.append(pid)
ready, status, buf = set(), {}, b""
deadline = time.monotonic() + 10
while set(kids) - ready - set(status) and time.monotonic() < deadline:
    if select.select([ready_r], [], [], 0.05)[0]:
        buf += os.read(ready_r, 4096)
        *lines, buf = buf.split(b"\\n")
        ready.update(int(line) for line in lines)
    for pid in set(kids) - set(status):
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status[pid] = code
os.close(hold_w)  # every child holds its memory or is gone: all at once
for pid in set(kids) - set(status):
    status[pid] = os.waitpid(pid, 0)[1]
killed = sum(os.WIFSIGNALED(code) for code in status.values())
ok = sum(os.WIFEXITED(code) and os.WEXITSTATUS(code) == 0 for code in status.values())
print(ok, len(kids) - ok - killed, killed)
"""


@needs_bwrap
@needs_memory_cgroup
def test_many_processes_cannot_take_more_memory_than_the_cap() -> None:
    assert memory_limit(SMALL) < 12 * (96 << 20)  # the probe does exceed the cap
    with SandboxExecutor(DEFAULT_ENV, SMALL) as executor:
        executor.start()
        assert executor.memory_capped
        ok, failed, killed = map(int, executor.run(py(HOG), Case()).stdout.split())
        assert ok + failed + killed == 12
        assert ok < 12 and failed + killed > 0, (ok, failed, killed)
        # the sandbox itself survives and serves the next run
        after = executor.run(py("print('still here')"), Case())
        assert after.stdout == b"still here\n", after


@needs_bwrap
@needs_memory_cgroup
def test_memory_cgroup_is_removed_with_the_sandbox_and_stale_ones_too() -> None:
    root = memory_root()
    assert root is not None
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = root / f"fuzzdiff-{dead.pid}-sandbox{uuid.uuid4().hex[:8]}"
    stale.mkdir()
    try:
        executor = SandboxExecutor(DEFAULT_ENV, LIMITS)
        executor.start()
        assert not stale.exists()  # its maker is gone: swept when the next sandbox starts
        groups = executor._cgroup
        assert groups is not None and groups.memory is not None
        limit_file = groups.memory / "memory.limit_in_bytes"
        if not limit_file.exists():
            limit_file = groups.memory / "memory.max"
        assert int(limit_file.read_text()) == memory_limit(LIMITS)
        executor.close()
        assert not groups.memory.exists()
    finally:
        if stale.exists():
            stale.rmdir()


@needs_bwrap
def test_without_a_memory_cgroup_the_sandbox_runs_uncapped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "memory_root", lambda: None)
    with SandboxExecutor(DEFAULT_ENV, LIMITS) as executor:
        assert run_py(executor, "print('ok')").stdout == b"ok\n"
        assert not executor.memory_capped
        assert executor.caged == (pids_root() is not None)
