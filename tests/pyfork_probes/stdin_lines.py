#!/usr/bin/env python3
"""Probe: text lines from stdin with input() until EOFError."""

n = 0
try:
    while True:
        line = input()
        n += 1
        print(n, ascii(line))
except EOFError:
    print("EOF after", n)
