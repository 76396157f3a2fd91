#!/usr/bin/env python3
"""Probe: the recursion depth a script can reach, caught and uncaught."""

import sys


def depth(n):
    try:
        return depth(n + 1)
    except RecursionError:
        return n


print(depth(0))
if sys.argv[1:] == ["uncaught"]:

    def down(n):
        return down(n + 1)

    down(0)
