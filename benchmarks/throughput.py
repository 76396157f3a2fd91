"""Throughput of a fuzzdiff campaign against the bare spawn limit, per core count.

For each core count N (default: 1 and every core), everything below is pinned
to N CPUs with ``sched_setaffinity`` (this process and, once started, fuzzdiff's
worker processes), and, in this one process:

  (b) fuzzdiff runs a whole campaign, as shipped (guidance on), with N workers:
      the reference against a native candidate (a byte copy of the reference,
      so the verdict is "equivalent" and every case of the budget runs);
      generation, mutation, comparison and bookkeeping all count;
  (a) a bare loop spawns the reference and the candidate on exactly the cases
      the campaign ran: N processes, each making a fresh directory with the
      case's files, running both programs with ``subprocess.run`` (argv, stdin,
      captured output), and removing the directory. Nothing is compared.
      A second bare loop is leaner still: ``posix_spawn`` (vfork and exec, as
      fuzzdiff's workers now start programs) with the standard streams on
      files in the case's directory, so there are no pipes to pump.

The table gives pair executions per second for each and the ratios (medians
of ``--rounds`` alternating rounds, so that a noisy moment hits all); the bare
loops are the physical limit fuzzdiff is measured against. Then, for diagnosis:
during the campaign, how much of the N CPUs' time was idle (workers waiting)
and this process's CPU time a pair (judging, generation, pickles: it competes
with the workers for the CPUs); generation alone (cases/s, one core); and
fuzzdiff's runner alone.

    python3 benchmarks/throughput.py [--task base64] [--cases 2000] [--cores 1,2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from typing import Any

import psutil

from fuzzdiff.core.generate import generate_cases
from fuzzdiff.core.model import Case, Finished
from fuzzdiff.core.spec import load_task
from fuzzdiff.engine.campaign import CampaignConfig, run_campaign
from fuzzdiff.run.program import candidate_program, reference_program
from fuzzdiff.run.runner import Meanwhile, Pair, PoolRunner


class Recording:
    """A runner that remembers the cases it was asked to run, in order."""

    def __init__(self, runner: PoolRunner) -> None:
        self.runner = runner
        self.isolation = runner.isolation
        self.cases: list[Case] = []

    def __getattr__(self, name: str) -> Any:
        """What else a ``PairRunner``'s callers read (counts, launches, warnings,
        jobs): the wrapped runner's."""
        return getattr(self.runner, name)

    def run_pairs(
        self, cases: Sequence[Case], fresh: bool = False, meanwhile: Meanwhile | None = None, stop_on_slow: bool = False
    ) -> list[Pair]:
        if not fresh:
            self.cases.extend(cases)
        return self.runner.run_pairs(cases, fresh=fresh, meanwhile=meanwhile, stop_on_slow=stop_on_slow)

    def close(self) -> None:
        self.runner.close()


def cpu_idle(cpus: set[int]) -> tuple[int, int]:
    """Idle and total time so far of ``cpus`` (``/proc/stat``, clock ticks)."""
    idle = total = 0
    with open("/proc/stat") as stat:
        for line in stat:
            name, *fields = line.split()
            if name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in cpus:
                ticks = [int(f) for f in fields[:8]]
                idle += ticks[3] + ticks[4]  # idle, iowait
                total += sum(ticks)
    return idle, total


def pin(cpus: set[int], runner: PoolRunner | None = None) -> None:
    os.sched_setaffinity(0, cpus)
    if runner is not None:
        for child in psutil.Process().children(recursive=True):
            child.cpu_affinity(sorted(cpus))


def _bare_share(args: tuple[str, str, list[Case], dict[str, str], str | None]) -> int:
    ref, cand, cases, env, root = args
    for case in cases:
        work = tempfile.mkdtemp(dir=root)
        for name, content in case.files:
            path = os.path.join(os.fsencode(work), name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(content)
        for exe in (ref, cand):
            subprocess.run([exe, *case.argv], input=case.stdin, capture_output=True, cwd=work, env=env, check=False)
        shutil.rmtree(work, ignore_errors=True)
    return len(cases)


def _bare_share_spawn(args: tuple[str, str, list[Case], dict[str, str], str | None]) -> int:
    """The leanest loop: ``posix_spawn`` (vfork and exec) with the standard streams
    on files in the case's directory (no pipes to pump), outputs read back."""
    ref, cand, cases, env, root = args
    for case in cases:
        work = tempfile.mkdtemp(dir=root)
        for name, content in case.files:
            path = os.path.join(os.fsencode(work), name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(content)
        stdin = os.path.join(work, ".stdin")
        with open(stdin, "wb") as fh:
            fh.write(case.stdin)
        os.chdir(work)
        for exe in (ref, cand):
            actions = [
                (os.POSIX_SPAWN_OPEN, 0, stdin, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, ".out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                (os.POSIX_SPAWN_OPEN, 2, ".err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
            ]
            pid = os.posix_spawn(exe, [os.fsencode(exe), *case.argv], env, file_actions=actions)
            os.waitpid(pid, 0)
            for stream in (".out", ".err"):
                with open(stream, "rb") as out:
                    out.read()
        os.chdir("/")
        shutil.rmtree(work, ignore_errors=True)
    return len(cases)


def bare_loop(
    ref: str, cand: str, cases: list[Case], env: dict[str, str], processes: int, spawn: bool = False
) -> float:
    """Pairs per second of a bare loop on ``processes`` processes: ``subprocess.run``
    with pipes, or (``spawn``) ``posix_spawn`` with the streams on files."""
    root = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    shares = [(ref, cand, cases[k::processes], env, root) for k in range(processes)]
    share = _bare_share_spawn if spawn else _bare_share
    start = time.perf_counter()
    if processes == 1:
        done = share(shares[0])
    else:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            done = sum(pool.map(share, shares))
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", default="base64")
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--cores", default="", help="core counts to measure, e.g. 1,2 (default: 1 and all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per core count; medians reported")
    args = parser.parse_args()

    allowed = sorted(os.sched_getaffinity(0))
    counts = [int(c) for c in args.cores.split(",") if c] or sorted({1, len(allowed)})
    spec = load_task(args.task)
    ref = reference_program(spec)
    tmp = tempfile.mkdtemp()
    copy = os.path.join(tmp, f"copy-{args.task}")
    shutil.copy(ref.argv[0], copy)
    cand = candidate_program(copy, spec)
    env = dict(spec.env)
    proc = psutil.Process()

    rows: list[tuple[int, float, float, float, int, float]] = []
    campaign_diag: list[tuple[str, float]] = []
    for n in counts:
        cpus = set(allowed[:n])
        bares: list[float] = []
        spawns: list[float] = []
        campaigns: list[float] = []
        idles: list[float] = []  # share of the N CPUs' time idle during the campaign
        mains: list[float] = []  # this process's CPU time a pair, microseconds
        for _ in range(args.rounds):  # alternate, so that a noisy moment hits both sides
            pin(cpus)
            runner = Recording(PoolRunner(n, env, spec.limits, ref, cand))
            pin(cpus, runner.runner)
            rss0 = proc.memory_info().rss
            idle0, cpu0 = cpu_idle(cpus), proc.cpu_times()
            start = time.perf_counter()
            judged = 0
            for ev in run_campaign(spec, runner, ref, cand, CampaignConfig(seed=args.seed, budget=args.cases)):
                if isinstance(ev, Finished):
                    judged = ev.result.cases
                    assert ev.result.verdict == "equivalent", ev.result.verdict
            campaigns.append(judged / (time.perf_counter() - start))
            idle1, cpu1 = cpu_idle(cpus), proc.cpu_times()
            idles.append(100 * (idle1[0] - idle0[0]) / max(1, idle1[1] - idle0[1]))
            mains.append(1e6 * (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / max(1, judged))
            rss = (proc.memory_info().rss - rss0) / 2**20
            runner.close()
            bares.append(bare_loop(ref.argv[0], copy, runner.cases, env, n))
            spawns.append(bare_loop(ref.argv[0], copy, runner.cases, env, n, spawn=True))
        campaign_diag.append((f"campaign on {n} core(s): CPUs idle (%)", statistics.median(idles)))
        main_cpu = statistics.median(mains)
        campaign_diag.append((f"campaign on {n} core(s): main process CPU (microseconds a pair)", main_cpu))
        rows.append((n, statistics.median(bares), statistics.median(spawns), statistics.median(campaigns), judged, rss))
    pin(set(allowed))

    diag: list[tuple[str, float]] = list(campaign_diag)
    pin({allowed[0]})
    t = time.perf_counter()
    cases = list(generate_cases(spec, args.seed, args.cases))
    diag.append(("generation alone, 1 core (cases/s)", len(cases) / (time.perf_counter() - t)))
    pin(set(allowed))
    for n in counts:
        cpus = set(allowed[:n])
        pin(cpus)
        pool = PoolRunner(n, env, spec.limits, ref, cand)
        pin(cpus, pool)
        pool.run_pairs(cases[:8])
        t = time.perf_counter()
        pool.run_pairs(cases)
        diag.append((f"fuzzdiff runner alone, {n} core(s) (pairs/s)", len(cases) / (time.perf_counter() - t)))
        pool.close()
    pin(set(allowed))
    shutil.rmtree(tmp)

    print(
        f"task {args.task}, budget {args.cases} cases, seed {args.seed}, {len(allowed)} cores available, "
        f"median of {args.rounds} alternating rounds, load average {os.getloadavg()[0]:.1f} at the end"
    )
    print()
    print(
        "| cores | bare loop, subprocess.run (pairs/s) | bare loop, posix_spawn (pairs/s) "
        "| fuzzdiff campaign (pairs/s) | ratio to subprocess.run | ratio to posix_spawn | cases | main RSS change |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n, bare, spawn, campaign, judged, rss in rows:
        print(
            f"| {n} | {bare:.0f} | {spawn:.0f} | {campaign:.0f} | {campaign / bare:.2f} | {campaign / spawn:.2f} "
            f"| {judged} | {rss:+.1f} MiB |"
        )
    if len(rows) > 1:
        (n1, b1, s1, c1, _, _), (nk, bk, sk, ck, _, _) = rows[0], rows[-1]
        print()
        print(
            f"scaling {n1} -> {nk} cores: bare loop x{bk / b1:.2f} (subprocess.run), x{sk / s1:.2f} (posix_spawn); "
            f"fuzzdiff x{ck / c1:.2f}"
        )
    print()
    for what, rate in diag:
        print(f"- {what}: {rate:.1f}" if rate < 100 else f"- {what}: {rate:.0f}")


if __name__ == "__main__":
    main()
