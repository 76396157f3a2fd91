"""False alarms of the reward oracle on the shipped tasks: each task's reference
against an exact copy of its own binary.

For each shipped task, the reference's binary is copied under another name into a
scratch directory and scored with ``oracle.scoring.score`` and its
defaults, as a training loop calls it (the masked bubblewrap sandbox: the
candidate's root holds only what its command needs and the task's ``tools``).
The copy behaves exactly like the reference, so the only right reward is 1.0; a
lower reward is a false alarm, and a score that is not ``ok`` a failure of
fuzzdiff on that task. It prints one row per task: status, reward, seconds, and
the start of the feedback where the reward is not 1.0.

    python3 benchmarks/librarycopies.py [--budget 300] [--seed 1] [--tasks diff,sdiff] [--bare]

A task with fixed arguments (``cksum-md5`` is ``cksum -a md5``) is scored with
the copy given the same arguments. Such a candidate is a command of several
words, whose ``argv[0]`` fuzzdiff leaves as the copy's own path (an interpreter
finds its installation from it; ``fuzzdiff.run.program.candidate_program``), so a
program that prints its own name or wraps text by its length differs there;
``--bare`` leaves those tasks out.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import tempfile
import time
from pathlib import Path

from fuzzdiff.core.spec import load_task
from fuzzdiff.oracle.scoring import score
from fuzzdiff.run.program import reference_program

REFERENCES = Path(__file__).resolve().parent.parent / "references"


def shipped(bare: bool) -> list[str]:
    """The shipped tasks, by name; with ``bare``, those without fixed arguments."""
    names = sorted(p.stem for p in REFERENCES.glob("*.toml"))
    return [n for n in names if not (bare and load_task(str(REFERENCES / f"{n}.toml")).args)]


def row(task: str, budget: int, seed: int, scratch: Path) -> str:
    spec = load_task(str(REFERENCES / f"{task}.toml"))
    copy = scratch / f"clone-of-{task}"
    shutil.copy(reference_program(spec).argv[0], copy)
    start = time.perf_counter()
    got = score(str(REFERENCES / f"{task}.toml"), shlex.join([str(copy), *spec.args]), budget=budget, seed=seed)
    seconds = time.perf_counter() - start
    copy.unlink()
    said = "" if got.reward == 1.0 else (got.error or got.feedback or "")[:160]
    said = said.replace("|", "\\|").replace("\n", " ")
    return f"| {task} | {got.status} | {got.reward} | {seconds:.1f} | {said} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tasks", default="", help="comma-separated (default: every shipped task)")
    parser.add_argument("--bare", action="store_true", help="only tasks without fixed arguments")
    args = parser.parse_args()
    tasks = [t for t in args.tasks.split(",") if t] or shipped(args.bare)
    unknown = sorted(set(tasks) - set(shipped(False)))
    if unknown:
        parser.error(f"--tasks: {', '.join(unknown)} is no shipped task (references/NAME.toml); see `fuzzdiff tasks`")
    print(f"library copies: {len(tasks)} tasks, budget {args.budget}, seed {args.seed}\n")
    print("| task | status | reward | seconds | feedback |")
    print("|---|---|---|---|---|")
    rows = []
    with tempfile.TemporaryDirectory(prefix="librarycopies-") as scratch:
        for task in tasks:
            rows.append(row(task, args.budget, args.seed, Path(scratch)))
            print(rows[-1], flush=True)
    full = sum(" | ok | 1.0 | " in r for r in rows)
    print(f"\n{full} of {len(rows)} copies scored 1.0")


if __name__ == "__main__":
    main()
