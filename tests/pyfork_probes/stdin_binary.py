#!/usr/bin/env python3
"""Probe: reading binary stdin to EOF in chunks, then once more after EOF."""

import hashlib
import sys

h = hashlib.sha256()
total = 0
while chunk := sys.stdin.buffer.read(int(sys.argv[1]) if len(sys.argv) > 1 else 1000):
    h.update(chunk)
    total += len(chunk)
print(total, h.hexdigest(), sys.stdin.buffer.read())
