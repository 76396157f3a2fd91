"""How small the planted bugs' counterexamples shrink, and at what cost, for two
fuzzdiff trees side by side.

Each planted bug of ``benchmarks/bugs/bugs.toml`` is fuzzed with each tree in
turn (same task, budget and seed), and the first divergence's size before and
after shrinking (``Case.size()``) and the shrinking tries are recorded: one JSON
line per bug and seed, then a Markdown table.

    python benchmarks/shrinkbugs.py --old /tmp/old-tree --new . --seeds 1,2,3 --budget 500

A tree is a checkout of fuzzdiff (``git worktree add /tmp/old-tree REV``); it is
put first on ``PYTHONPATH`` of the ``fuzzdiff fuzz`` it runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from fuzzdiff.core.codec import decode_case

BUGS = Path(__file__).resolve().parent / "bugs"


def run(tree: str, bug: dict[str, Any], seed: int, budget: int) -> list[int] | None:
    """(size found, size shrunk, shrinking tries) of the first divergence, None if none."""
    command = [sys.executable, "-m", "fuzzdiff", "fuzz", bug["task"], "--candidate", str(BUGS / bug["script"])]
    command += ["--budget", str(budget), "--seed", str(seed), "--json", "--no-corpus"]
    env = {**os.environ, "PYTHONPATH": os.path.abspath(tree)}
    # in the tree: `python -m` puts the working directory ahead of PYTHONPATH
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False, cwd=tree)
    if done.returncode not in (0, 1, 4):
        raise SystemExit(f"{bug['id']} seed {seed} on {tree}: exit {done.returncode}: {done.stderr[-500:]}")
    found = json.loads(done.stdout)["divergences"]
    if not found:
        return None
    first = found[0]
    return [decode_case(first["original"]).size(), decode_case(first).size(), int(first["shrink_tries"])]


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| planted bug | runs found | size before (bytes, per seed) | size after | tries before | tries after |",
        "|---|---|---|---|---|---|",
    ]
    for bug in dict.fromkeys(r["bug"] for r in rows):
        runs = [r for r in rows if r["bug"] == bug]
        both = [r for r in runs if r["old"] and r["new"]]

        def cell(side: str, i: int, both: list[dict[str, Any]] = both) -> str:
            return ", ".join(str(r[side][i]) for r in both)

        if not both:
            lines.append(f"| {bug} | 0 of {len(runs)} | | | | |")
        else:
            lines.append(
                f"| {bug} | {len(both)} of {len(runs)} | {cell('old', 1)} | {cell('new', 1)} "
                f"| {cell('old', 2)} | {cell('new', 2)} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", required=True, help="the tree to compare against")
    parser.add_argument("--new", default=".", help="the tree measured (default: this one)")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--budget", type=int, default=500)
    parser.add_argument("--only", default="", help="bug ids, comma-separated (default: all)")
    args = parser.parse_args()
    bugs = tomllib.loads((BUGS / "bugs.toml").read_text())["bugs"]
    only = {b for b in args.only.split(",") if b}
    rows = []
    for bug in bugs:
        if only and bug["id"] not in only:
            continue
        for seed in (int(s) for s in args.seeds.split(",")):
            row = {"bug": bug["id"], "seed": seed}
            row.update(
                {side: run(tree, bug, seed, args.budget) for side, tree in (("old", args.old), ("new", args.new))}
            )
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
