#!/usr/bin/env python3
"""Probe: stdout whose reader is gone: BrokenPipeError at the exit flush (status 120)."""

import os
import sys

r, w = os.pipe()
os.dup2(w, 1)
os.close(r)
os.close(w)
print("lost")
if sys.argv[1:] == ["write"]:
    sys.stdout.flush()
