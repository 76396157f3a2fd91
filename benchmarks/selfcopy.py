"""False alarms on programs nobody wrote a task for: each program against a copy
of its own binary.

For each program, its binary is copied under another name into a scratch
directory and ``fuzzdiff fuzz --reference PROGRAM --candidate COPY`` runs as a
new user would run it (zero-config: the task is built by probing, cached per
binary, name and seed). The copy behaves exactly like the program, so the only
right verdict is ``equivalent`` (or ``inconclusive`` where the program does not
repeat itself); a ``divergent`` verdict is a false alarm, and any other exit
status is a failure of fuzzdiff on that program. It prints one row per program
from ``fuzz --json``: verdict, exit status, cases, seconds (building the task
included), and what a verdict other than ``equivalent`` rests on.

    python3 benchmarks/selfcopy.py [--budget 300] [--seed 1] [--programs m4,units]

The default programs are installed programs that are neither shipped tasks nor
in the task factory benchmark (``benchmarks/taskfactory.py``); a program not
installed is reported as such. Copying keeps the binary's content, so a program
that behaves by its own name (``lz4cat``, ``xzcat``) is run under its name on
both sides: fuzzdiff gives the candidate the reference's ``argv[0]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: Programs outside the task library and the task factory benchmark, most of them
#: in Debian's base system or the project's set-up; `df` reports the machine's own
#: disks, whose use changes while a campaign runs. (diff3 and ed left the list on
#: 2026-12-07, when they joined the library, and m4 later that day.)
PROGRAMS: tuple[str, ...] = (
    "units",
    "look",
    "yes",
    "env",
    "printenv",
    "mkdir",
    "rmdir",
    "ls",
    "du",
    "tar",
    "lzip",
    "brotli",
    "sha3sum",
    "uuencode",
    "uudecode",
    "recode",
    "col",
    "ul",
    "xmllint",
    "msgfmt",
    "lz4cat",
    "nproc",
    "getopt",
    "dircolors",
    "mkfifo",
    "hostname",
    "tty",
    "timeout",
    "nice",
    "nohup",
    "stdbuf",
    "xargs",
    "dir",
    "vdir",
    "install",
    "shred",
    "bzcat",
    "zcat",
    "xzcat",
    "zstdcat",
    "df",
)
TIMEOUT = 1800  # seconds for one program: building its task and the campaign


def row(program: str, budget: int, seed: int, scratch: Path) -> str:
    found = shutil.which(program)
    if found is None:
        return f"| {program} | not installed | | | | |"
    copy = scratch / f"{program}-copy"
    shutil.copy2(Path(found).resolve(), copy)
    command = [
        *(sys.executable, "-m", "fuzzdiff", "fuzz", "--reference", program),
        *("--candidate", str(copy), "--budget", str(budget), "--seed", str(seed), "--json"),
    ]
    start = time.perf_counter()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return f"| {program} | timed out | | | {TIMEOUT} | |"
    seconds = time.perf_counter() - start
    try:
        got = json.loads(proc.stdout)
    except json.JSONDecodeError:  # a usage error or a bug: the message is on stderr
        said = (proc.stderr.strip().splitlines() or [""])[-1].replace("|", "\\|")
        return f"| {program} | error | {proc.returncode} | | {seconds:.0f} | {said} |"
    return f"| {program} | {got['verdict']} | {proc.returncode} | {got['cases']} | {seconds:.0f} | {_why(got)} |"


def _why(got: dict[str, Any]) -> str:
    """What a verdict other than equivalent rests on."""
    if got["verdict"] == "divergent":
        first = got["counterexample"]
        return f"{' '.join(map(str, first['argv']))}: {', '.join(first['channels'])} differ".replace("|", "\\|")
    if got["verdict"] == "inconclusive":
        return f"the reference varied on {got['unstable']['cases']} cases"
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--programs", default="", help="comma-separated (default: the list in this file)")
    args = parser.parse_args()
    programs = [p for p in args.programs.split(",") if p] or list(PROGRAMS)
    print(f"self-copy: {len(programs)} programs, budget {args.budget}, seed {args.seed}\n")
    print("| program | verdict | exit | cases | seconds | report |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="selfcopy-") as scratch:
        for program in programs:
            print(row(program, args.budget, args.seed, Path(scratch)), flush=True)


if __name__ == "__main__":
    main()
