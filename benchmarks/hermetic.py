"""Which references the hermetic mode makes deterministic (docs/hermetic.md).

Each row is a shell command run as its own reference and candidate: a campaign
of ``budget`` cases (only stdin varies) without and then with ``--hermetic``.
A reference that behaves the same twice gives ``equivalent``; one that does not
gives ``inconclusive`` with the number of cases that differed between its runs
(``unstable``). The command sits in a script file, and the task file names the
script with no options or operands: ``fuzz --reference`` would build a task by
probing, which turns the hermetic mode on by itself for a reference that varies.

    python3 benchmarks/hermetic.py [--budget 200] [--seed 1] [--out docs/hermetic-table.md]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# (label, shell command, program that must be installed)
COMMANDS = (
    ("shuf", "shuf", "shuf"),
    ("sort -R", "sort -R", "sort"),
    ("date", "date", "date"),
    ("date +%s.%N", "date +%s.%N", "date"),
    ("mktemp", "mktemp", "mktemp"),
    ("mktemp -u", "mktemp -u", "mktemp"),
    ("stat FILE", "cat > f; stat f", "stat"),
    ("ls -l", "touch f; ls -l", "ls"),
    ("touch f; ls -l --time-style=full-iso", "touch f; ls -l --time-style=full-iso", "ls"),
    ("python3 random", "python3 -c 'import random; print(random.random())'", "python3"),
    ("python3 time", "python3 -c 'import time; print(time.time(), time.monotonic())'", "python3"),
    ("od /dev/urandom", "od -An -N8 -tx1 /dev/urandom", "od"),
    ("openssl rand -hex 8", "openssl rand -hex 8", "openssl"),
    ("echo $$ (pid)", "echo $$", "sh"),
    ("gpg --version", "gpg --version", "gpg"),
)

TASK = """name = "{name}"
program = "{program}"
description = "hermetic benchmark: {label}"

[operands]
min = 0
max = 0
kinds = ["dash"]

[stdin]
models = ["text"]
max_bytes = 64
"""


def campaign(task: Path, script: Path, budget: int, seed: int, hermetic: bool, data: str) -> str:
    cmd = [sys.executable, "-m", "fuzzdiff", "fuzz", str(task), "--candidate", str(script)]
    cmd += ["--budget", str(budget), "--seed", str(seed), "--json", "--no-corpus", "--jobs", "2"]
    if hermetic:
        cmd.append("--hermetic")
    done = subprocess.run(
        cmd, capture_output=True, text=True, timeout=900, env={**os.environ, "XDG_DATA_HOME": data}, check=False
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        return f"error (exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]})"
    unstable = report.get("unstable", {}).get("cases", 0)
    return f"{report['verdict']} ({unstable} unstable)" if unstable else str(report["verdict"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    lines = [
        f"Budget {args.budget}, seed {args.seed}: `python3 benchmarks/hermetic.py --budget {args.budget}`",
        "",
        "| reference (its own candidate) | script | plain | `--hermetic` |",
        "|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory(prefix="fuzzdiff-hermetic-") as tmp:
        base = Path(tmp)
        for i, (label, command, needed) in enumerate(COMMANDS):
            shown = command.replace("|", "\\|")
            if shutil.which(needed) is None:
                lines.append(f"| {label} | `{shown}` | skipped: no {needed} | skipped |")
                continue
            script = base / f"cmd{i}.sh"
            script.write_text(f"#!/bin/sh\n{command}\n")
            script.chmod(0o755)
            task = base / f"cmd{i}.toml"
            task.write_text(TASK.format(name=f"cmd{i}", program=script, label=label.replace('"', "'")))
            cells = [campaign(task, script, args.budget, args.seed, h, str(base / "data")) for h in (False, True)]
            lines.append(f"| {label} | `{shown}` | {cells[0]} | {cells[1]} |")
            print(lines[-1], file=sys.stderr)
    table = "\n".join(lines) + "\n"
    if args.out:
        args.out.write_text(table)
    sys.stdout.write(table)


if __name__ == "__main__":
    main()
