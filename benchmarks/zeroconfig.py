"""Zero-config fuzzing on the planted bugs: no task file, options mined from --help.

Runs ``fuzzdiff fuzz --reference PROGRAM --candidate BUG --json`` (the CLI as a
user would) for every bug in ``benchmarks/bugs/bugs.toml``, where PROGRAM is
the program the bug's task names, and prints a table of the first divergence:
the case it was found at and its minimal command line.

    python3 benchmarks/zeroconfig.py [--seed 1] [--budget 500]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
from pathlib import Path

from fuzzdiff.core.spec import load_task

BUGS = Path(__file__).resolve().parent / "bugs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget", type=int, default=500)
    args = parser.parse_args()
    bugs = tomllib.loads((BUGS / "bugs.toml").read_text())["bugs"]
    print(f"zero-config: {len(bugs)} planted bugs, seed {args.seed}, budget {args.budget} cases, no task file\n")
    print("| bug | --reference | first divergence (case) | minimal command |")
    print("|---|---|---|---|")
    killed = 0
    for bug in bugs:
        program = load_task(bug["task"]).program
        command = [
            *(sys.executable, "-m", "fuzzdiff", "fuzz", "--reference", program),
            *("--candidate", str(BUGS / bug["script"]), "--budget", str(args.budget)),
            *("--seed", str(args.seed), "--json"),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode not in (0, 1):
            print(f"| {bug['id']} | {program} | error (exit {done.returncode}) | {done.stderr.strip()[-80:]} |")
            continue
        found = json.loads(done.stdout).get("divergences") or []
        if not found:
            print(f"| {bug['id']} | {program} | - | |")
            continue
        killed += 1
        first = found[0]
        shown = " ".join([program, *first["argv"]]).replace("|", "\\|")
        print(f"| {bug['id']} | {program} | {first['found_at'] + 1} | `{shown}` |")
    print(f"\nkilled {killed} of {len(bugs)}")


if __name__ == "__main__":
    main()
