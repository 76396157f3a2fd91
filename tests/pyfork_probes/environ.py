#!/usr/bin/env python3
"""Probe: environment as Python and as a child process see it; time zone; locale."""

import locale
import os
import subprocess
import time

print(sorted(os.environ.items()))
print(os.environ.get("FUZZ_VAR"), os.getenv("HOME") == os.getcwd(), os.path.expanduser("~"))
print(subprocess.run(["env"], capture_output=True, check=True).stdout.decode())
print(time.tzname, time.timezone, locale.getpreferredencoding(False), locale.setlocale(locale.LC_ALL))
