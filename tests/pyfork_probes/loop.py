#!/usr/bin/env python3
"""Probe: never ends on its own."""

import sys

print("looping", flush=True)
if sys.argv[1:] == ["quiet"]:
    while True:
        pass
