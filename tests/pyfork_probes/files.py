#!/usr/bin/env python3
"""Probe: reading case files, writing files and directories, temp files, fd numbers."""

import os
import sys
import tempfile

for name in sorted(os.listdir(".")):
    print("found", name, os.path.getsize(name) if os.path.isfile(name) else "dir")
os.makedirs("out/deep", exist_ok=True)
with open("out/deep/result.txt", "w") as fh:
    fh.write(" ".join(sys.argv[1:]) + "\n")
    print("fd", fh.fileno())
with open("bin.dat", "wb") as fh:
    fh.write(bytes(range(256)))
fd, path = tempfile.mkstemp()
print("temp", fd, path.startswith(os.environ["TMPDIR"]), tempfile.gettempdir())
print("fds", sorted(os.listdir("/proc/self/fd")))
os.symlink("bin.dat", "link")
print("umask", oct(os.umask(0o22)))
