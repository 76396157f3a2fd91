#!/usr/bin/env python3
"""Probe: every way a script can end, chosen by argv[1]."""

import os
import signal
import sys


def deep(n):
    return deep(n + 1)


def fail(kind):
    if kind == "value":
        raise ValueError("bad value")
    if kind == "chained":
        try:
            {}["k"]
        except KeyError as exc:
            raise RuntimeError("while handling") from exc
    if kind == "context":
        try:
            _ = 1 / 0
        except ZeroDivisionError:
            raise TypeError("during handling")  # noqa: B904
    if kind == "kbi":
        raise KeyboardInterrupt
    if kind == "deep":
        deep(0)
    if kind == "group":
        raise ExceptionGroup("many", [ValueError(1), KeyError(2)])


print("start", flush=False)
sys.stderr.write("err start\n")
kind = sys.argv[1]
if kind == "none":
    sys.exit()
elif kind == "int":
    sys.exit(int(sys.argv[2]))
elif kind == "str":
    sys.exit("a message for stderr")
elif kind == "obj":
    sys.exit([1, 2])
elif kind == "oserror":
    with open("/nonexistent/file"):
        pass
elif kind == "sigterm":
    os.kill(os.getpid(), signal.SIGTERM)
elif kind == "abort":
    os.abort()
elif kind == "_exit":
    os._exit(7)
elif kind == "hook":
    sys.excepthook = lambda t, v, tb: print("hook saw", t.__name__, v, tb.tb_frame.f_code.co_filename)
    raise LookupError("to the hook")
elif kind == "badhook":
    sys.excepthook = lambda t, v, tb: 1 / 0
    raise LookupError("to the bad hook")
elif kind == "fall":
    print("falls off the end")
else:
    fail(kind)
