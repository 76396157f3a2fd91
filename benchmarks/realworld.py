"""Real-world showcase: GNU coreutils (the shipped tasks' references) against the
reimplementations in busybox, toybox and uutils (Debian's rust-coreutils).

Most pairs differ at once in usage and error messages, so a verdict alone says
little. For each task and implementation this counts *distinct* divergences
(distinct fingerprints: differing channels plus both exit classes) found within a
fixed budget of cases, under two views: every channel, and stdout plus exit
status only (stderr ignored: what a script piping the tool would notice). The
first minimal counterexample of each pair is printed, and its ``repro-1.sh`` is
run to check that it replays (exit status 1: the programs still differ).

    python3 benchmarks/realworld.py                 # budget 600, seed 1
    python3 benchmarks/realworld.py --quick         # budget 150, three tasks
    python3 benchmarks/realworld.py --out DIR       # keep case files and repro scripts

Needs Debian's busybox, toybox and rust-coreutils (``make bench-setup``);
implementations that are missing, or lack a tool, are left out of the table.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fuzzdiff.api import Setup, fuzz_events, prepare
from fuzzdiff.core.model import CampaignResult, Finding, Finished
from fuzzdiff.core.report import inline, shell_argv
from fuzzdiff.core.spec import TaskSpec, load_task, shipped_tasks
from fuzzdiff.engine.campaign import CampaignConfig
from fuzzdiff.store.artifacts import write_artifacts

#: name -> (how to list its tools, command prefix)
IMPLEMENTATIONS = {
    "busybox": (["busybox", "--list"], "busybox"),
    "toybox": (["toybox"], "toybox"),
    "uutils": (["coreutils", "--help"], "coreutils"),
}
MAX_DIVERGENCES = 40


def tools(name: str) -> set[str]:
    listing, _ = IMPLEMENTATIONS[name]
    if shutil.which(listing[0]) is None:
        return set()
    done = subprocess.run(listing, capture_output=True, text=True, check=False)
    return set((done.stdout + done.stderr).replace(",", " ").split())


def stdout_and_exit(spec: TaskSpec) -> TaskSpec:
    modes = tuple((c, "ignore" if c == "stderr" else m) for c, m in spec.compare.modes)
    return dataclasses.replace(spec, compare=dataclasses.replace(spec.compare, modes=modes))


def campaign(spec: TaskSpec, command: str, budget: int, seed: int) -> tuple[CampaignResult, Setup]:
    setup = prepare(spec, command)
    config = CampaignConfig(seed=seed, budget=budget, max_divergences=MAX_DIVERGENCES)
    for event in fuzz_events(setup, config, jobs=None):
        if isinstance(event, Finished):
            return event.result, setup
    raise AssertionError("a campaign always finishes")


def replays(out: Path, finding: Finding, setup: Setup) -> bool:
    written = write_artifacts(out, [finding], setup.spec, 0, setup.reference, setup.candidate)
    script = next(p for p in written if p.endswith(".sh"))
    return subprocess.run(["sh", script], capture_output=True, check=False).returncode == 1


def describe(finding: Finding, name: str) -> str:
    div = finding.divergence
    case = div.case
    parts = [f"`{shell_argv(name, case.argv)}`"]
    if case.stdin:
        parts.append(f"stdin {inline(case.stdin, 40)}")
    for fname, content in case.files:
        parts.append(f"file {inline(fname, 20)}={inline(content, 30)}")
    shown = []
    for channel in div.channels:
        if channel == "exit":
            shown.append(f"exit {div.reference.exit_code} vs {div.candidate.exit_code}")
        elif channel in ("stdout", "stderr"):
            ref = getattr(div.reference, channel).split(b"\n")[0]
            got = getattr(div.candidate, channel).split(b"\n")[0]
            shown.append(f"{channel} {inline(ref, 50)} vs {inline(got, 50)}")
        else:
            shown.append(channel)
    return " ".join(parts) + ": " + "; ".join(shown)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="budget 150 on base64, cut and wc")
    parser.add_argument("--out", type=Path, help="keep case files and repro scripts here")
    args = parser.parse_args()
    budget = 150 if args.quick else args.budget
    tasks = ["base64", "cut", "wc"] if args.quick else shipped_tasks()
    available = {name: tools(name) for name in IMPLEMENTATIONS}
    missing = [n for n, t in available.items() if not t]
    if missing:
        print(f"not installed (skipped): {', '.join(missing)}; run `make bench-setup`", file=sys.stderr)
    out_root = args.out or Path(tempfile.mkdtemp(prefix="fuzzdiff-realworld-"))
    rows = []
    examples = []
    start = time.monotonic()
    for task in tasks:
        spec = load_task(task)
        for impl, names in available.items():
            if task not in names:
                continue
            command = f"{IMPLEMENTATIONS[impl][1]} {task}"
            full, setup = campaign(spec, command, budget, args.seed)
            narrow, _ = campaign(stdout_and_exit(spec), command, budget, args.seed)
            first = full.blamed[0] if full.blamed else None
            ok = replays(out_root / f"{task}-{impl}", first, setup) if first else None
            rows.append((task, impl, len(full.blamed), len(narrow.blamed), ok))
            if first is not None:
                examples.append((task, impl, describe(first, task), ok))
            print(f"{task:10} {impl:8} {len(full.blamed):3} {len(narrow.blamed):3}", file=sys.stderr)
    seconds = time.monotonic() - start
    print(f"\nbudget {budget} cases per campaign, seed {args.seed}, at most {MAX_DIVERGENCES} findings each")
    print(f"({seconds:.0f} s in all; artefacts in {out_root})\n")
    print("| task | implementation | distinct divergences | stdout+exit only | first replays |")
    print("|---|---|---|---|---|")
    for task, impl, n_full, n_narrow, ok in rows:
        mark = "-" if ok is None else ("yes" if ok else "NO")
        print(f"| {task} | {impl} | {n_full} | {n_narrow} | {mark} |")
    print("\nFirst minimal counterexample of each pair (reference vs implementation):\n")
    for task, impl, text, _ in examples:
        print(f"- {task} / {impl}: {text}")
    if not args.out:
        shutil.rmtree(out_root, ignore_errors=True)


if __name__ == "__main__":
    main()
