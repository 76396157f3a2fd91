"""How good a task fuzzdiff makes for a program it has no task file for (issue 19).

For each program (none of them one of the hand-written tasks, the original ten
and openssl's and gpg's), three measurements, each a
campaign of the reference against an identical copy of itself:

- help: ``fuzzdiff fuzz --reference CMD --no-probe --candidate CMD`` (options
  mined from ``--help`` alone; ``--no-probe`` where the CLI has it, since
  zero-config probes by default once it does);
- probed: ``fuzzdiff task build CMD...`` (mining plus probing the reference),
  timed, then ``fuzzdiff fuzz TASK --candidate CMD``;
- deterministic: the verdict of the help campaign without and with
  ``--hermetic`` (a built task may turn the hermetic mode on by itself, so its
  campaign is not a plain one); ``inconclusive`` means the reference does not
  behave the same twice.

Per campaign it reads the share of cases the reference accepted (exit 0) and
the distinct behaviours per 1,000 cases. Where ``task build`` or
``fuzz --hermetic`` does not exist yet, its columns say ``n/a``.

    python3 benchmarks/taskfactory.py [--budget 500] [--seed 1] [--programs seq,jq]
        [--out benchmarks/results/taskfactory.md] [--plot taskfactory.png] [--help-only]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Programs called by their bare name. None has a task written by hand outside the task
# library (references/*.toml that references/library/programs.toml does not list):
# `main` refuses those. The library's own tasks were built by this same factory
# (or, for a few, written because it did poorly), and `fuzz --reference` and `task build`
# never read a shipped task, so measuring the factory on them from scratch is fair.
# The last line reads the clock, randomness, inodes, timings or the host name: the
# hermetic column's cases.
BARE = """
seq csplit comm join numfmt basenc sha1sum sha224sum sha384sum sha512sum b2sum sum tac paste expand unexpand
fmt pr tsort factor od split tail cat printf echo expr basename dirname truncate nl uniq sort ptx tee pathchk
xxd gzip bzip2 xz zstd jq bc sed grep diff cmp rev column iconv
shuf mktemp stat dd uname
"""
# label -> reference command line, for the programs that need fixed words.
WORDS = {
    "realpath": "realpath --relative-to=.",
    "date": "date -u -d @1234567890",
    "openssl-dgst": "openssl dgst -sha256",
    "openssl-enc": "openssl enc -aes-128-cbc -K 00112233445566778899aabbccddeeff -iv 000102030405060708090a0b0c0d0e0f",
}
PROGRAMS: dict[str, str] = {name: name for name in BARE.split()} | WORDS

ROOT = Path(__file__).resolve().parent.parent
LOW = 0.20  # issue 19: no usable program below 20% accepted
TIMEOUT = 900  # seconds for one fuzzdiff command; a budget of 500 takes seconds, a hang is reported


@dataclass(frozen=True, slots=True)
class Measure:
    """What one campaign of a reference against itself says about its task."""

    cases: int
    accepted: float  # share of cases the reference accepted with exit 0
    behaviours: int  # distinct behaviours
    verdict: str
    unstable: int

    @property
    def per_thousand(self) -> float:
        return self.behaviours * 1000 / self.cases if self.cases else 0.0


@dataclass(frozen=True, slots=True)
class Row:
    program: str
    help: Measure | None
    probed: Measure | None = None
    build_seconds: float | None = None
    plain: str = "n/a"  # verdict cell without --hermetic
    hermetic: str = "n/a"
    note: str = ""  # why a cell is empty


@dataclass(frozen=True, slots=True)
class Summary:
    median_help: float | None
    median_probed: float | None
    below_help: tuple[str, ...]
    below_probed: tuple[str, ...]
    median_ratio: float | None  # behaviours per 1,000, probed over help


def summarise(rows: Sequence[Row]) -> Summary:
    """Medians of accepted share, programs below 20%, median probed/help behaviours ratio."""
    helps = [r.help.accepted for r in rows if r.help]
    probes = [r.probed.accepted for r in rows if r.probed]
    ratios = [
        r.probed.per_thousand / r.help.per_thousand for r in rows if r.help and r.probed and r.help.per_thousand > 0
    ]
    return Summary(
        median_help=statistics.median(helps) if helps else None,
        median_probed=statistics.median(probes) if probes else None,
        below_help=tuple(r.program for r in rows if r.help and r.help.accepted < LOW),
        below_probed=tuple(r.program for r in rows if r.probed and r.probed.accepted < LOW),
        median_ratio=statistics.median(ratios) if ratios else None,
    )


def _pct(share: float | None) -> str:
    return "n/a" if share is None else f"{share * 100:.0f}%"


def summary_line(s: Summary) -> str:
    def below(names: tuple[str, ...], median: float | None) -> str:
        return "n/a" if median is None else f"{len(names)}" + (f" ({', '.join(names)})" if names else "")

    ratio = "n/a" if s.median_ratio is None else f"{s.median_ratio:.2f}"
    return (
        f"median accepted: help {_pct(s.median_help)}, probed {_pct(s.median_probed)}; "
        f"programs below {LOW:.0%}: help {below(s.below_help, s.median_help)}, "
        f"probed {below(s.below_probed, s.median_probed)}; "
        f"median behaviours ratio probed/help: {ratio}"
    )


def table(rows: Sequence[Row]) -> list[str]:
    """The Markdown table, one line per program."""
    lines = [
        "| program | help accepted | help behaviours/1000 | probed accepted | probed behaviours/1000 "
        "| build s | deterministic (plain / hermetic) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        h, p = r.help, r.probed
        cells = [
            r.program,
            _pct(h.accepted) if h else "error",
            f"{h.per_thousand:.0f}" if h else "error",
            _pct(p.accepted) if p else "n/a",
            f"{p.per_thousand:.0f}" if p else "n/a",
            "n/a" if r.build_seconds is None else f"{r.build_seconds:.1f}",
            f"{r.plain} / {r.hermetic}",
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return lines


def run_cli(args: list[str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "fuzzdiff", *args]
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=TIMEOUT, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(command, -1, "", f"timed out after {TIMEOUT} s")


@dataclass(frozen=True, slots=True)
class Features:
    """What this checkout's CLI offers: the columns that need a missing one say n/a."""

    build: bool  # `task build`
    hermetic: bool  # `fuzz --hermetic`
    no_probe: bool  # `fuzz --no-probe`: zero-config probes by default where it exists


def features() -> Features:
    fuzz = run_cli(["fuzz", "--help"]).stdout
    return Features(
        build=run_cli(["task", "build", "--help"]).returncode == 0,
        hermetic="--hermetic" in fuzz,
        no_probe="--no-probe" in fuzz,
    )


def why(done: subprocess.CompletedProcess[str]) -> str:
    last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
    return f"exit {done.returncode}: {last[:100]}"


def campaign(task: list[str], command: str, cfg: argparse.Namespace, hermetic: bool = False) -> Measure | str:
    """One ``fuzz --json`` campaign of ``command`` against the reference ``task`` names; a string says why not."""
    args = ["fuzz", *task, "--candidate", command, "--budget", str(cfg.budget), "--seed", str(cfg.seed)]
    args += ["--no-corpus", "--json", *(["--jobs", str(cfg.jobs)] if cfg.jobs else [])]
    args += ["--hermetic"] if hermetic else []
    done = run_cli(args)
    try:
        got = json.loads(done.stdout)
        return Measure(
            cases=int(got["cases"]),
            accepted=float(got["trust"]["accepted_share"]),
            behaviours=int(got["behaviours"]),
            verdict=str(got["verdict"]),
            unstable=int(got.get("unstable", {}).get("cases", 0)),
        )
    except (ValueError, KeyError, TypeError):
        return why(done)


@dataclass(frozen=True, slots=True)
class Built:
    task: Path
    seconds: float  # wall time of `task build`
    hermetic: bool  # the build chose the hermetic mode (its card says so)


def build(label: str, command: str, cfg: argparse.Namespace, where: Path) -> Built | str:
    """``task build`` for ``command``: the task file and what it took, or why not."""
    out = where / f"{label}.toml"
    args = ["task", "build", "--out", str(out), "--corpus", str(where / f"{label}.corpus")]
    args += ["--seed", str(cfg.seed), "--json"]
    args += ["--probe-budget", str(cfg.probe_budget)] if cfg.probe_budget else []
    start = time.perf_counter()
    done = run_cli([*args, "--", *command.split()])
    seconds = time.perf_counter() - start
    if done.returncode != 0 or not out.is_file():
        return why(done)
    try:
        card = json.loads(done.stdout).get("card", {})
    except ValueError:
        card = {}
    return Built(out, seconds, bool(card.get("hermetic", False)))


def _verdict(m: Measure | str) -> str:
    if isinstance(m, str):
        return "error"
    return m.verdict + (f" ({m.unstable} unstable)" if m.unstable else "")


def measure(label: str, command: str, cfg: argparse.Namespace, has: Features, where: Path) -> Row:
    """One program's row. Determinism is judged on the help campaign: a built task may
    carry ``hermetic = true`` already, so its own campaign is not a plain one."""
    notes: list[str] = []
    zero = ["--reference", command, *(["--no-probe"] if has.no_probe else [])]  # --help mining alone
    helped = campaign(zero, command, cfg)
    if isinstance(helped, str):
        notes.append(f"help: {helped}")
    probed: Measure | str | None = None
    built: Built | str | None = None
    if has.build:
        built = build(label, command, cfg, where)
        if isinstance(built, str):
            notes.append(f"build: {built}")
        else:
            probed = campaign([str(built.task)], command, cfg)
            if isinstance(probed, str):
                notes.append(f"probed: {probed}")
    hermetic = "n/a"
    if has.hermetic:
        sealed = campaign(zero, command, cfg, hermetic=True)
        hermetic = _verdict(sealed)
        if isinstance(sealed, str):
            notes.append(f"hermetic: {sealed}")
    if isinstance(built, Built) and built.hermetic:
        hermetic += " (built hermetic)"
    return Row(
        program=label,
        help=helped if isinstance(helped, Measure) else None,
        probed=probed if isinstance(probed, Measure) else None,
        build_seconds=built.seconds if isinstance(built, Built) else None,
        plain=_verdict(helped),
        hermetic=hermetic,
        note="; ".join(notes),
    )


def plot(rows: Sequence[Row], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r.program for r in rows]
    none = float("nan")  # no bar where there is no measurement (0% is a measurement)
    helps = [r.help.accepted * 100 if r.help else none for r in rows]
    probes = [r.probed.accepted * 100 if r.probed else none for r in rows]
    xs = range(len(rows))
    fig, ax = plt.subplots(figsize=(max(8.0, len(rows) * 0.28), 4.5))
    ax.bar([x - 0.2 for x in xs], helps, width=0.4, label="--help mining")
    ax.bar([x + 0.2 for x in xs], probes, width=0.4, label="task build (probed)")
    ax.axhline(LOW * 100, color="grey", linestyle=":", linewidth=1)
    ax.set_xticks(list(xs), names, rotation=90, fontsize=7)
    ax.set_ylabel("cases the reference accepted (%)")
    ax.set_ylim(0, 100)
    ax.set_title("Accepted share per program: --help mining vs probed task")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def excluded_shipped() -> set[str]:
    """The shipped tasks written outside the task library (the original ten,
    openssl's, gpg's), which this benchmark must not measure."""
    from fuzzdiff.factory.library import load_manifest

    library = {entry.name for entry in load_manifest(ROOT / "references" / "library" / "programs.toml")}
    return {p.stem for p in (ROOT / "references").glob("*.toml")} - library


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=int, default=500, help="cases per campaign")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--programs", default="", help="comma list of labels (default: all)")
    parser.add_argument("--jobs", type=int, default=0, help="fuzz --jobs (default: the CLI's)")
    parser.add_argument("--probe-budget", type=int, default=0, help="task build --probe-budget (default: the CLI's)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "taskfactory.md")
    parser.add_argument("--plot", type=Path, default=None, help="PNG of accepted share, help vs probed")
    parser.add_argument("--tasks", type=Path, default=None, help="keep the built task files here")
    parser.add_argument("--help-only", action="store_true", help="only the --help mining column (no build, hermetic)")
    cfg = parser.parse_args()
    chosen = [p for p in cfg.programs.split(",") if p] or list(PROGRAMS)
    unknown = [p for p in chosen if p not in PROGRAMS]
    if unknown:
        parser.error(f"unknown program(s) {', '.join(unknown)}; choose from {', '.join(PROGRAMS)}")
    shipped = excluded_shipped() & {PROGRAMS[p].split()[0] for p in chosen}
    if shipped:
        parser.error(f"{', '.join(sorted(shipped))} are hand-written tasks; this benchmark is for the others")
    has = features()
    if cfg.help_only:
        has = Features(build=False, hermetic=False, no_probe=has.no_probe)
    print(f"{has}", file=sys.stderr)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="taskfactory-") as scratch:
        where = cfg.tasks or Path(scratch)
        where.mkdir(parents=True, exist_ok=True)
        for i, label in enumerate(chosen, 1):
            start = time.perf_counter()
            row = measure(label, PROGRAMS[label], cfg, has, where)
            rows.append(row)
            took = time.perf_counter() - start
            extra = f" [{row.note}]" if row.note else ""
            print(f"[{i}/{len(chosen)}] {label}: {took:.1f} s{extra}", file=sys.stderr)
    head = (
        f"task factory: {len(rows)} programs, budget {cfg.budget} cases, seed {cfg.seed}; "
        "each reference against an identical copy; help = `fuzz --reference CMD"
        f"{' --no-probe' if has.no_probe else ''}`; deterministic = verdict of the help campaign "
        "without and with `--hermetic`"
    )
    notes = [f"- {r.program}: {r.note}" for r in rows if r.note]
    text = "\n".join([head, "", *table(rows), "", summary_line(summarise(rows)), *(["", *notes] if notes else [])])
    print(text)
    cfg.out.parent.mkdir(parents=True, exist_ok=True)
    cfg.out.write_text(text + "\n")
    print(f"wrote {cfg.out}", file=sys.stderr)
    if cfg.plot:
        plot(rows, cfg.plot)
        print(f"wrote {cfg.plot}", file=sys.stderr)


if __name__ == "__main__":
    main()
