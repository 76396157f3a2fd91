#!/usr/bin/env python3
"""Probe (sandboxed tests only): what a script can do to its parent and to the runs after it.

``kill`` or ``stop`` the parent when it is a fork-server, then say "done";
``state`` (default): report the marks an earlier run left, then try to leave
marks wherever it can (the parent's directory, memory and tracing included)."""

import ctypes
import glob
import os
import signal
import sys

PR_GET_DUMPABLE = 3
PTRACE_ATTACH, PTRACE_DETACH = 16, 17
MARK = ".fuzzdiff-mark"

libc = ctypes.CDLL(None, use_errno=True)
parent = os.getppid()
action = sys.argv[1] if len(sys.argv) > 1 else "state"
print("dumpable", libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0))  # 1 after exec

if action in ("kill", "stop"):
    try:
        with open(f"/proc/{parent}/cmdline", "rb") as fh:
            fork_server = b"pyfork_server" in fh.read()
    except OSError:
        fork_server = False
    if fork_server:
        os.kill(parent, signal.SIGKILL if action == "kill" else signal.SIGSTOP)
    print("done")
    sys.exit(0)

places = [f"/proc/{parent}/cwd", "/tmp", "/dev/shm", *sorted(glob.glob("/tmp/fuzzdiff-pyfork-*"))]
found = [p for p in places if os.path.exists(os.path.join(p, MARK))]
found += ["os module"] if hasattr(os, "_fuzzdiff_mark") else []
found += ["environment"] if "FUZZDIFF_MARK" in os.environ else []
print("marks found:", found)
os._fuzzdiff_mark = True  # type: ignore[attr-defined]
os.environ["FUZZDIFF_MARK"] = "1"
for place in places:
    try:
        with open(os.path.join(place, MARK), "w") as fh:
            fh.write("x")
        print("marked", place.replace(str(parent), "PARENT"))
    except OSError as exc:
        print("cannot mark", place.replace(str(parent), "PARENT"), exc.errno)
for what in ("mem", "environ", "fd/0"):
    try:
        os.close(os.open(f"/proc/{parent}/{what}", os.O_RDWR if what == "mem" else os.O_RDONLY))
        print(f"parent {what}: opened")
    except OSError as exc:
        print(f"parent {what}: denied", exc.errno)
if libc.ptrace(PTRACE_ATTACH, parent, 0, 0) == 0:
    libc.ptrace(PTRACE_DETACH, parent, 0, 0)
    print("ptrace parent: attached")
else:
    print("ptrace parent: denied", ctypes.get_errno())
