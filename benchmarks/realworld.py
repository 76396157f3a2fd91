"""Real-world showcase: GNU coreutils (the shipped tasks' references) against the
reimplementations in busybox, toybox and uutils (Debian's rust-coreutils), through
the compatibility matrix (``fuzzdiff matrix``, docs/compat-matrix.md).

Each cell counts *distinct* divergences (by fingerprint) within a fixed budget of
cases, over every channel and over stdout and the exit status only; every
counterexample's ``repro-N.sh`` is run once to check that it replays. This
prints the matrix's Markdown table and how long it took.

    python3 benchmarks/realworld.py                 # the ten original tasks, budget 300, seed 1
    python3 benchmarks/realworld.py --quick         # budget 150, three tasks
    python3 benchmarks/realworld.py --out DIR       # keep the pages, case files and repro scripts

Needs Debian's busybox, toybox and rust-coreutils (``make bench-setup``); a cell
whose implementation is missing or lacks the program reads "not provided".
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from fuzzdiff.core.matrix_page import markdown_page
from fuzzdiff.matrix import Settings, build_matrix, cell_line, implementations

#: The tasks fuzzdiff shipped first (all GNU text filters), so figures stay comparable
#: while the library grows; `fuzzdiff matrix` without --tasks takes every shipped task.
TASKS = ("base32", "base64", "cksum", "cut", "fold", "head", "md5sum", "sha256sum", "tr", "wc")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--findings", type=int, default=10, help="distinct divergences per cell and view at most")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="budget 150 on base64, cut and wc")
    parser.add_argument("--out", type=Path, help="keep the matrix here")
    args = parser.parse_args()
    tasks = ("base64", "cut", "wc") if args.quick else TASKS
    settings = Settings(150 if args.quick else args.budget, args.seed, args.findings, jobs=args.jobs)
    out = args.out or Path(tempfile.mkdtemp(prefix="fuzzdiff-realworld-"))
    start = time.monotonic()
    doc = build_matrix(tasks, implementations([]), out, settings, lambda cell: print(cell_line(cell), flush=True))
    print(f"\n{time.monotonic() - start:.0f} s in all\n")
    print(markdown_page(doc))
    if args.out is None:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
