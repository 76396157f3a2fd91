#!/usr/bin/env python3
"""Probe: what a script sees of itself: argv, __name__, __file__, sys.path, globals, flags."""

import os
import sys

annotated: int = 1

print(repr(sys.argv))
print(repr(sys.orig_argv), sys.executable)
print(__name__, __file__, __doc__[:6], __package__, __spec__, __cached__)
print(type(__loader__).__name__, __loader__.name, __loader__.path)
print(sorted(k for k in globals() if k.startswith("__")), type(__builtins__).__name__)
print(repr(sys.path))
print(sys.flags)
print(os.getcwd(), os.getpid() == os.getpgrp() == os.getsid(0))
print(sys.getrecursionlimit(), sys.getfilesystemencoding(), sys.getfilesystemencodeerrors())
print(sys.exc_info(), hasattr(sys, "last_value"), sys._getframe().f_code.co_filename)
