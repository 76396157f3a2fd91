#!/usr/bin/env python3
"""Probe: os.fork, subprocesses, process group and session, rlimits, signal dispositions."""

import os
import resource
import signal
import subprocess
import sys

for res in ("RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_NPROC", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_NOFILE"):
    print(res, resource.getrlimit(getattr(resource, res)))
for sig in (signal.SIGINT, signal.SIGPIPE, signal.SIGXFSZ, signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
    print(sig.name, signal.getsignal(sig))
print("blocked", signal.pthread_sigmask(signal.SIG_BLOCK, []))
sys.stdout.flush()
pid = os.fork()
if pid == 0:
    print("child", os.getpgrp() == os.getppid())
    os._exit(5)
_, status = os.waitpid(pid, 0)
print("forked child exit", os.waitstatus_to_exitcode(status))
print(subprocess.run(["sh", "-c", "echo from sh $0; exit 4", "x"], capture_output=True).returncode)
out = subprocess.run([sys.executable, "-c", "import sys; print(sys.argv)", "a"], capture_output=True, text=True)
print(out.stdout.strip(), out.returncode)
if sys.argv[1:] == ["handler"]:
    signal.signal(signal.SIGTERM, lambda s, f: print("got", s))
    os.kill(os.getpid(), signal.SIGTERM)
    print("after handler")
