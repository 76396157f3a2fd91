"""What the working directory's snapshot and removal cost, per run, in microseconds.

Builds each layout in a directory under /dev/shm (where plain runs make theirs),
then times ``scratch.snapshot`` with the default bounds, the same snapshot with
each entry's mode, time and link count read and turned into ``Outcome.attrs``
(``scratch.attributes``: what every run does since outcomes carry them), and
``scratch.remove_tree`` (the layout is rebuilt before each removal, outside the
timing). The two snapshots alternate, so their ratio is measured side by side. The ordinary
layouts are what nearly every run leaves; the hostile ones are threats 4 and 7
of issue 17; a code point case (8,253 small files) and ``split -b1`` on 2 KiB
are real cases past the entry bound. A third snapshot, alternated with the
others, leaves out the whole tree's digest that a walk stopped at a bound ends
with (``scratch._tree_digest``): the last ratio is what the digest costs. Prints
a markdown table.

    python3 benchmarks/scratch.py [--repeat 2000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fuzzdiff.run import scratch
from fuzzdiff.run.scratch import SnapshotBounds, Stats, attributes, remove_tree, snapshot


def empty(path: Path) -> None:
    path.mkdir()


def three_files(path: Path) -> None:
    path.mkdir()
    for i in range(3):
        (path / f"f{i}").write_bytes(b"line %d\n" % i)


def small_tree(path: Path) -> None:
    three_files(path)
    (path / "d" / "e").mkdir(parents=True)
    (path / "d" / "e" / "g").write_bytes(b"x")


def deep_2000(path: Path) -> None:
    path.mkdir()
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(2000):
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = inner
    os.close(fd)


def files_10000(path: Path) -> None:
    path.mkdir()
    for i in range(10000):
        (path / f"f{i}").write_bytes(b"")


def code_points_8253(path: Path) -> None:
    path.mkdir()
    for i in range(8253):
        (path / f"U+{i:04X}").write_bytes(chr(0x4DC0 + i % 64).encode() + b"\n")


def split_pieces_2048(path: Path) -> None:
    path.mkdir()
    for i in range(2048):
        (path / f"x{i:04d}").write_bytes(b"a")


def sparse_100x16m(path: Path) -> None:
    path.mkdir()
    for i in range(100):
        with open(path / f"f{i}", "wb") as fh:
            fh.truncate(16 << 20)


LAYOUTS: dict[str, tuple[Callable[[Path], None], int]] = {
    # name: (builder, divisor of --repeat: hostile layouts are slow to build)
    "empty": (empty, 1),
    "3 small files": (three_files, 1),
    "small tree (4 files, 2 dirs)": (small_tree, 1),
    "2,000 deep": (deep_2000, 200),
    "10,000 empty files": (files_10000, 200),
    "8,253 small files (a code point case)": (code_points_8253, 200),
    "2,048 one-byte files (split -b1)": (split_pieces_2048, 100),
    "100 sparse 16 MiB files": (sparse_100x16m, 200),
}


def with_attributes(path: Path, bounds: SnapshotBounds) -> tuple[tuple[bytes, bytes | None], ...]:
    stats: Stats = {}
    files = snapshot(path, bounds, stats)
    attributes(files, stats, (), (0.0, time.time()))  # each file new, as a run's own output is
    return files


def without_digest(path: Path, bounds: SnapshotBounds) -> tuple[tuple[bytes, bytes | None], ...]:
    digest = scratch._tree_digest
    scratch._tree_digest = lambda work, bounds: b""
    try:
        return snapshot(path, bounds)
    finally:
        scratch._tree_digest = digest


def measure(build: Callable[[Path], None], repeat: int, base: Path) -> tuple[float, float, float, float, int]:
    """Microseconds per snapshot, per snapshot with attributes, per snapshot without
    the whole tree's digest and per removal, and the entries recorded."""
    path = base / "work"
    bounds = SnapshotBounds()
    build(path)
    plain = full = bare = 0.0
    for _ in range(repeat):  # alternated: a load that comes and goes hits all alike
        start = time.perf_counter()
        entries = snapshot(path, bounds)
        middle = time.perf_counter()
        with_attributes(path, bounds)
        after = time.perf_counter()
        without_digest(path, bounds)
        plain += middle - start
        full += after - middle
        bare += time.perf_counter() - after
    snap, attrs, undigested = plain / repeat * 1e6, full / repeat * 1e6, bare / repeat * 1e6
    removal = 0.0
    for i in range(repeat):
        if i:
            build(path)
        start = time.perf_counter()
        assert remove_tree(path)
        removal += time.perf_counter() - start
    return snap, attrs, undigested, removal / repeat * 1e6, len(entries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="fuzzdiff-bench-", dir="/dev/shm" if os.access("/dev/shm", os.W_OK) else None))
    print(
        "| layout | snapshot (us) | with attributes (us) | ratio | without the digest (us) | "
        "snapshot / without | removal (us) | entries recorded |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    try:
        for name, (build, divisor) in LAYOUTS.items():
            snap, attrs, bare, removal, count = measure(build, max(1, args.repeat // divisor), base)
            print(
                f"| {name} | {snap:.1f} | {attrs:.1f} | {attrs / snap:.2f} | {bare:.1f} | {snap / bare:.2f} "
                f"| {removal:.1f} | {count} |"
            )
    finally:
        remove_tree(base)


if __name__ == "__main__":
    main()
