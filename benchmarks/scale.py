"""Candidates per second: local scoring, through Ray on this machine, and through
the HTTP service, on the same batch, in one run; and whether the rewards agree.

    python3 benchmarks/scale.py                     # 8 candidates, budget 200
    python3 benchmarks/scale.py --candidates 16 --budget 500

The batch alternates honest and buggy Python ports of base64 (examples/base64),
sent as source text as a training loop would. Every way scores with the pool of
earlier findings off, so the rewards must be identical. The reference cache is
warmed first (one throwaway score) so that each way pays only for candidates.
Needs the `ray` and `serve` extras (both in `dev`).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fuzzdiff.oracle.scoring import Candidate, score

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "base64"


def batch(n: int) -> list[Candidate]:
    good = (EXAMPLES / "good.py").read_text()
    buggy = (EXAMPLES / "buggy.py").read_text()
    out = []
    for i in range(n):
        # a distinct comment per candidate: no two are the same text
        source = (good if i % 2 == 0 else buggy) + f"\n# candidate {i}\n"
        out.append(Candidate(source=source, language="python"))
    return out


def timed(label: str, fn: Callable[[], list[float | None]]) -> tuple[str, float, list[float | None]]:
    start = time.monotonic()
    rewards = fn()
    return label, time.monotonic() - start, rewards


def local(cands: list[Candidate], budget: int, jobs: int | None) -> list[float | None]:
    return [score("base64", c, budget=budget, seed=0, use_pool=False, jobs=jobs).reward for c in cands]


def through_ray(cands: list[Candidate], budget: int) -> tuple[list[float | None], float]:
    from fuzzdiff.oracle.distributed import RayScorer

    start = time.monotonic()
    scorer = RayScorer(jobs=1)
    ready = time.monotonic() - start
    try:
        results = scorer.score("base64", cands, budget=budget, seed=0)
    finally:
        scorer.close()
    return [r.reward for r in results], ready


def through_http(cands: list[Candidate], budget: int, slots: int) -> list[float | None]:
    import uvicorn

    from fuzzdiff.oracle.client import Client
    from fuzzdiff.oracle.serve import ServiceConfig, create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(ServiceConfig(max_concurrency=slots, jobs=1)), log_level="warning")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    client = Client(f"http://127.0.0.1:{port}", timeout=600)
    try:
        with ThreadPoolExecutor(slots) as pool:
            answers = list(pool.map(lambda c: client.score("base64", c, budget=budget, seed=0), cands))
    finally:
        server.should_exit = True
        thread.join()
        sock.close()
    return [a["reward"] for a in answers]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=8)
    parser.add_argument("--budget", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("FUZZDIFF_CACHE", tempfile.mkdtemp(prefix="fuzzdiff-scale-cache-"))
    cands = batch(args.candidates)
    score("base64", cands[0], budget=args.budget, seed=0, use_pool=False)  # warm the reference cache
    cores = os.cpu_count() or 1
    rows = [
        timed("local, one after another, jobs=1", lambda: local(cands, args.budget, 1)),
        timed(f"local, one after another, jobs={cores}", lambda: local(cands, args.budget, None)),
    ]
    ray_ready = 0.0

    def ray_run() -> list[float | None]:
        nonlocal ray_ready
        rewards, ray_ready = through_ray(cands, args.budget)
        return rewards

    rows.append(timed(f"Ray, local runtime, {cores} actors x 1 job (incl. start)", ray_run))
    rows.append(
        timed(f"HTTP service, {cores} slots x 1 job, {cores} clients", lambda: through_http(cands, args.budget, cores))
    )
    reference = rows[0][2]
    print(f"\n{args.candidates} candidates (base64, half buggy), budget {args.budget}, {cores} cores")
    print(f"(Ray runtime and actors ready after {ray_ready:.1f} s, included below)\n")
    print("| how | candidates/s | seconds | rewards equal to local |")
    print("|---|---|---|---|")
    for label, seconds, rewards in rows:
        same = "yes" if rewards == reference else f"NO: {rewards}"
        print(f"| {label} | {len(cands) / seconds:.2f} | {seconds:.1f} | {same} |")
    if any(r[2] != reference for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
