#!/usr/bin/env python3
"""Probe: output beyond the pipe buffer, interleaving, and unflushed buffers at os._exit."""

import os
import sys

size = int(sys.argv[1])
for i in range(size // 100):
    print(f"{i:09d}" * 10)
    if i % 97 == 0:
        print("err", i, file=sys.stderr)
sys.stdout.write("tail without newline " * (size % 1000))
sys.stderr.write("stderr tail without newline")
if sys.argv[2:] == ["_exit"]:
    os._exit(0)
