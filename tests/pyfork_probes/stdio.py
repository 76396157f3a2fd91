#!/usr/bin/env python3
"""Probe: standard streams as a fresh interpreter makes them; text round trips."""

import sys

for s in (sys.stdin, sys.stdout, sys.stderr):
    raw = s.buffer.raw if hasattr(s.buffer, "raw") else s.buffer
    print(repr(s), s.encoding, s.errors, s.line_buffering, s.write_through, s.newlines, s.mode, s.name, s.isatty())
    print(" ", type(s.buffer).__name__, type(raw).__name__, raw.name, raw.mode, raw.closefd, s.fileno())
print(sys.stdin is sys.__stdin__, sys.stdout is sys.__stdout__, sys.stderr is sys.__stderr__)
for arg in sys.argv[1:]:
    print("arg", arg, ascii(arg))
    print("err", arg, file=sys.stderr)
text = sys.stdin.read()
print(len(text), ascii(text[:200]))
sys.stdout.write("no newline at the end")
