"""Keeping the main process's resident memory flat over a long campaign (glibc only).

Outcomes are unpickled in the main process and freed in cache order; glibc's
moving mmap threshold puts large buffers (chunk results, set tables) on the
heaps once one is freed. Without fixing the threshold and trimming now and then,
the main process's resident memory keeps rising in steps over a long campaign
(``benchmarks/memory.py``) though the live data is capped.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

#: Executions between returns of free heap memory to the system (``malloc_trim``).
TRIM_EVERY = 1024


def glibc_allocator() -> Callable[[], object] | None:
    """glibc only: a call that returns free heap pages to the system, after fixing the
    mmap threshold at its default (128 KiB). None where the C library has no
    ``malloc_trim``."""
    try:
        libc = ctypes.CDLL(None)
        trim, mallopt = libc.malloc_trim, libc.mallopt
    except (OSError, AttributeError):
        return None
    trim.argtypes, mallopt.argtypes = [ctypes.c_size_t], [ctypes.c_int, ctypes.c_int]
    mallopt(-3, 128 << 10)  # M_MMAP_THRESHOLD: large blocks always mmapped, unmapped when freed
    return lambda: trim(0)


class HeapTrimmer:
    """Returns free heap memory to the system once every ``TRIM_EVERY`` executions
    (nothing where the C library cannot)."""

    def __init__(self) -> None:
        self._trim = glibc_allocator()
        self._untrimmed = 0

    def executed(self, count: int) -> None:
        """``count`` more executions were done."""
        self._untrimmed += count
        if self._trim is not None and self._untrimmed >= TRIM_EVERY:
            self._untrimmed = 0
            self._trim()
