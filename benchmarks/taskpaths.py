"""What the cases of a task reach inside the reference: execution paths and instructions (issue 19).

``benchmarks/taskfactory.py`` counts a campaign's distinct behaviours with the
engine's own signature (exit class, first stderr line, a power-of-two size class
of stdout). That signature resolves failures finely (each error message is a
class) and successes coarsely (only their output's size), so it cannot say
whether probing makes the reference run more of its own code. This benchmark
measures that directly, the way coverage-guided fuzzers count:

- each case the campaign judges is run once more under valgrind's callgrind
  (the candidate is the same program run under valgrind, so the campaign runs
  it exactly once per case; its outputs are compared with the plain reference's
  and must agree);
- a case's **path** is the set of machine instructions it executed in the
  program's own code (its binary and its libraries, not libc, the loader or
  valgrind's), counts ignored;
- per campaign: distinct paths per 1,000 cases, and the **instructions**
  reached by all cases together.

A campaign whose verdict is not ``equivalent`` is not measured: valgrind
changed what the program does (it computes x87 long doubles in 64 bits, which
``numfmt`` shows), and shrinking the divergence would add runs that are not
the campaign's cases.

The same two campaigns as taskfactory.py: ``--help`` mining alone
(``fuzz --reference CMD --no-probe``) and the task ``task build`` writes.
By default 39 of taskfactory.py's programs: ``SKIPPED`` says which are left
out and why (tasks that run hermetic, the slowest, and some for time).

    python3 benchmarks/taskpaths.py [--budget 300] [--seed 1] [--programs seq,jq]
        [--out benchmarks/results/taskpaths.md]

Needs valgrind (``apt-get install valgrind``; ``make bench-setup`` does it).
A run under callgrind is 20 to 50 times slower: a few minutes a program.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import taskfactory  # a sibling script, not a package

#: Shared objects that are not the program's own code.
FOREIGN = ("/libc.so", "/ld-linux", "vgpreload_", "???", "/libm.so", "/libgcc_s.so")

#: taskfactory.py's programs left out by default: those whose built task runs
#: hermetic (libfaketime under valgrind is not what is measured), the two whose
#: probes time out most (minutes each under callgrind), and, to keep a run near
#: two hours on two cores, the other digests beside sha1sum and b2sum and four more.
SKIPPED = (
    *("shuf", "mktemp", "stat", "dd", "uname", "openssl-dgst", "openssl-enc", "sort", "gzip", "zstd", "diff"),
    *("split", "tail"),
    *("sha224sum", "sha384sum", "sha512sum", "echo", "dirname", "tee", "iconv"),
)
DEFAULT = [p for p in taskfactory.PROGRAMS if p not in SKIPPED]

WRAPPER = """#!/bin/sh
out="$1"; shift
exec valgrind -q --tool=callgrind --dump-instr=yes --compress-pos=no --compress-strings=no \\
    --callgrind-out-file="$out/%p.cg" "$@"
"""


@dataclass(frozen=True, slots=True)
class Reach:
    """What one campaign's cases executed in the program's own code."""

    cases: int  # cases the campaign judged
    runs: int  # runs recorded under callgrind: one per case, fewer where an outcome came from the cache
    behaviours: int  # the campaign's own distinct behaviours
    paths: int  # distinct instruction sets
    instructions: int  # instructions reached by any case

    @property
    def paths_per_thousand(self) -> float:
        return self.paths * 1000 / self.cases if self.cases else 0.0

    @property
    def behaviours_per_thousand(self) -> float:
        return self.behaviours * 1000 / self.cases if self.cases else 0.0


def executed(profile: Path) -> frozenset[tuple[str, int]]:
    """The (object, address) pairs a callgrind profile (uncompressed names and
    positions, ``--dump-instr=yes``) counts as executed, in the program's own objects."""
    seen: set[tuple[str, int]] = set()
    current = ""
    own = False
    with profile.open("rb") as lines:
        for raw in lines:
            if raw.startswith(b"ob="):
                current = raw[3:].strip().decode("utf-8", "replace")
                own = not any(mark in current for mark in FOREIGN)
            elif own and raw.startswith(b"0x"):
                seen.add((current, int(raw.split(None, 1)[0], 16)))
    return frozenset(seen)


def reach_of(profiles: Iterable[Path]) -> tuple[int, int, int]:
    """Runs, distinct paths and instructions reached, over ``profiles``."""
    runs = 0
    paths: set[bytes] = set()
    union: set[tuple[str, int]] = set()
    for profile in profiles:
        got = executed(profile)
        runs += 1
        union |= got
        paths.add(hashlib.blake2b(repr(sorted(got)).encode(), digest_size=16).digest())
    return runs, len(paths), len(union)


def campaign(task: list[str], command: str, cfg: argparse.Namespace, wrapper: Path, where: Path) -> Reach | str:
    """A campaign of the plain reference against itself under callgrind; a string says why not."""
    where.mkdir(parents=True, exist_ok=True)
    candidate = f"{wrapper} {where} {command}"
    args = ["fuzz", *task, "--candidate", candidate, "--budget", str(cfg.budget), "--seed", str(cfg.seed)]
    args += ["--no-corpus", "--json", *(["--jobs", str(cfg.jobs)] if cfg.jobs else [])]
    done = taskfactory.run_cli(args)
    try:
        got = json.loads(done.stdout)
        cases, behaviours, verdict = int(got["cases"]), int(got["behaviours"]), str(got["verdict"])
    except (ValueError, KeyError, TypeError):
        return taskfactory.why(done)
    if verdict != "equivalent":  # valgrind changed what the program does (x87 long double, say)
        return f"under callgrind the program behaved otherwise ({verdict} in {cases} cases): not measured"
    runs, paths, instructions = reach_of(sorted(where.glob("*.cg")))
    return Reach(cases, runs, behaviours, paths, instructions)


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def table(rows: Sequence[tuple[str, Reach | str, Reach | str]]) -> list[str]:
    lines = [
        "| program | help behaviours/1000 | help paths/1000 | help instructions | probed behaviours/1000 "
        "| probed paths/1000 | probed instructions | paths ratio | instructions ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, h, p in rows:
        cells = [label]
        for r in (h, p):
            if isinstance(r, Reach):
                cells += [f"{r.behaviours_per_thousand:.0f}", f"{r.paths_per_thousand:.0f}", f"{r.instructions}"]
            else:
                cells += ["n/a", "n/a", "n/a"]  # why: in the notes under the table
        if isinstance(h, Reach) and isinstance(p, Reach):
            pr, ir = _ratio(p.paths_per_thousand, h.paths_per_thousand), _ratio(p.instructions, h.instructions)
            cells += ["n/a" if pr is None else f"{pr:.2f}", "n/a" if ir is None else f"{ir:.2f}"]
        else:
            cells += ["n/a", "n/a"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def summary(rows: Sequence[tuple[str, Reach | str, Reach | str]]) -> str:
    both = [(h, p) for _, h, p in rows if isinstance(h, Reach) and isinstance(p, Reach)]

    def median(values: list[float | None]) -> str:
        kept = [v for v in values if v is not None]
        return f"{statistics.median(kept):.2f}" if kept else "n/a"

    return (
        f"{len(both)} programs; median ratio probed/help: behaviours per 1,000 "
        f"{median([_ratio(p.behaviours_per_thousand, h.behaviours_per_thousand) for h, p in both])}, "
        f"paths per 1,000 {median([_ratio(p.paths_per_thousand, h.paths_per_thousand) for h, p in both])}, "
        f"instructions reached {median([_ratio(p.instructions, h.instructions) for h, p in both])}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=int, default=300, help="cases per campaign")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--programs", default=",".join(DEFAULT), help="comma list of taskfactory labels")
    parser.add_argument("--jobs", type=int, default=0, help="fuzz --jobs (default: the CLI's)")
    parser.add_argument("--probe-budget", type=int, default=0, help="task build --probe-budget (default: the CLI's)")
    parser.add_argument("--out", type=Path, default=taskfactory.ROOT / "benchmarks" / "results" / "taskpaths.md")
    cfg = parser.parse_args()
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed: apt-get install valgrind (make bench-setup)")
    chosen = [p for p in cfg.programs.split(",") if p]
    unknown = [p for p in chosen if p not in taskfactory.PROGRAMS]
    if unknown:
        parser.error(f"unknown program(s) {', '.join(unknown)}; choose from {', '.join(taskfactory.PROGRAMS)}")
    rows: list[tuple[str, Reach | str, Reach | str]] = []
    with tempfile.TemporaryDirectory(prefix="taskpaths-") as scratch:
        root = Path(scratch)
        wrapper = root / "callgrind.sh"
        wrapper.write_text(WRAPPER)
        wrapper.chmod(0o755)
        for i, label in enumerate(chosen, 1):
            start = time.perf_counter()
            command = taskfactory.PROGRAMS[label]
            helped = campaign(["--reference", command, "--no-probe"], command, cfg, wrapper, root / label / "help")
            built = taskfactory.build(label, command, cfg, root / label)
            probed: Reach | str = (
                built
                if isinstance(built, str)
                else campaign([str(built.task)], command, cfg, wrapper, root / label / "probed")
            )
            rows.append((label, helped, probed))
            took = time.perf_counter() - start
            print(f"[{i}/{len(chosen)}] {label}: {took:.0f} s  help={helped}  probed={probed}", file=sys.stderr)
    head = (
        f"task paths: {len(rows)} programs, budget {cfg.budget} cases, seed {cfg.seed}; the reference against "
        "itself run under callgrind; a path is the set of instructions a case executed in the program's own code"
    )
    notes = [
        f"- {label} {side}: {r}"
        for label, h, p in rows
        for side, r in (("help", h), ("probed", p))
        if isinstance(r, str)
    ]
    text = "\n".join([head, "", *table(rows), "", summary(rows), *(["", *notes] if notes else [])])
    print(text)
    cfg.out.parent.mkdir(parents=True, exist_ok=True)
    cfg.out.write_text(text + "\n")
    print(f"wrote {cfg.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
