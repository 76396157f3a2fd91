"""Cost of the on-disk reference cache: opening it, storing and reading outcomes.

The cache is read for every case of every score, so a lookup must stay cheap
next to running the reference (about a millisecond for the smallest tools).
Opens a new and an existing cache (once per score), stores 1000 small
outcomes in a fresh cache (put), reads them all back (get,
warm page cache), and looks up 1000 absent cases (miss); best of ``--repeat``.

    python3 benchmarks/refcache.py [--entries 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import timeit
from pathlib import Path

from fuzzdiff.core.model import Case, Outcome, Program, Termination
from fuzzdiff.core.spec import parse_task
from fuzzdiff.store.refcache import DiskReferenceCache

TASK = {"name": "bench", "program": "cat", "operands": {"min": 0, "max": 1, "kinds": ["file"]}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    spec = parse_task(TASK, "<bench>")
    reference = Program(argv=(shutil.which("cat") or "/bin/cat",), argv0="cat")
    rng = random.Random(0)
    cases = [Case(argv=(b"-n",), stdin=rng.randbytes(rng.randint(0, 200))) for _ in range(args.entries)]
    absent = [Case(argv=(b"-x",), stdin=rng.randbytes(8)) for _ in range(args.entries)]
    outcome = Outcome(Termination.EXITED, 0, None, b"     1\t" + rng.randbytes(120), b"")
    tmp = Path(tempfile.mkdtemp(prefix="fuzzdiff-bench-refcache-"))
    runs = iter(range(1 << 30))

    def fresh() -> DiskReferenceCache:
        return DiskReferenceCache(spec, reference, tmp / f"c{next(runs)}")

    def put_all() -> None:
        cache = fresh()
        for case in cases:
            cache.put(case, outcome)

    warm = fresh()
    for case in cases:
        warm.put(case, outcome)
    assert all(warm.get(case) == outcome for case in cases), "a stored outcome did not come back"
    per = 1e6 / args.entries
    timings = {
        "open (new cache)": min(timeit.repeat(fresh, number=1, repeat=args.repeat)) * 1e6,
        "open (existing)": min(
            timeit.repeat(lambda: DiskReferenceCache(spec, reference, tmp / "c0"), number=1, repeat=args.repeat)
        )
        * 1e6,
        "put": min(timeit.repeat(put_all, number=1, repeat=args.repeat)) * per,
        "get (hit)": min(timeit.repeat(lambda: [warm.get(c) for c in cases], number=1, repeat=args.repeat)) * per,
        "get (miss)": min(timeit.repeat(lambda: [warm.get(c) for c in absent], number=1, repeat=args.repeat)) * per,
    }
    shutil.rmtree(tmp)
    print(f"{args.entries} entries, best of {args.repeat}")
    print("| operation | µs each |")
    print("|---|---|")
    for name, micros in timings.items():
        print(f"| {name} | {micros:.1f} |")


if __name__ == "__main__":
    main()
