#!/usr/bin/env python3
"""Probe: atexit order, non-daemon threads joined at exit, daemon threads, __del__ at shutdown."""

import atexit
import sys
import threading
import time


class Noisy:
    def __del__(self):
        print("del at shutdown", flush=True)


keep = Noisy()
atexit.register(print, "atexit first registered")
atexit.register(print, "atexit last registered")


class Boom:
    def __repr__(self):
        return "Boom()"  # no address in the "Exception ignored" line

    def __call__(self):
        return 1 / 0


atexit.register(Boom())


def worker(n):
    time.sleep(0.1 * (n + 1))
    print("thread", n, "done", threading.current_thread() is threading.main_thread())


print("main", threading.active_count(), threading.main_thread().name)
for n in range(3):
    threading.Thread(target=worker, args=(n,)).start()
threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
print("threads", threading.active_count())
if sys.argv[1:] == ["exit"]:
    sys.exit(3)
