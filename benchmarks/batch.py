"""Scoring a training batch: one by one, batched, and the limit, side by side.

A batch of 64 Python completions for one shipped task (``--task``, default
base64), as a GRPO step would hand them to the reward function:

- 28 correct ports, all different texts (the two independent ports in
  ``examples/TASK/good.py`` and ``solutions/TASK.py``, each with a comment that
  differs), and 4 exact duplicates of them;
- 30 ports with one bug each: first-order mutants of ``solutions/TASK.py`` made
  by cosmic-ray, chosen as ``benchmarks/mutation.py`` chooses them;
- 2 that never finish: one spins the CPU, one sleeps.

It is scored (budget ``--budget``, seed ``--seed``, the pool off, one reference
cache warmed first so that both paths find the reference's outcomes on disk):

- **one by one**: ``scoring.score`` per completion (all cores each), today's path;
- **batched**: one ``batch.BatchScorer.score_batch`` call (``--slots``);
- **HTTP** (``--http``): the same batch through ``fuzzdiff serve``'s app and
  ``Client.score_batch``, in this process;
- **Ray** (``--ray``): the same batch through ``RayScorer`` on a local Ray
  runtime with one CPU per core (one actor per core, each with two slots);
  the runtime's own start is not timed, its actors' start is;
- **baseline** (``--baseline DIR``): one by one, as above, with the fuzzdiff
  of another checkout (``git worktree add DIR COMMIT``), in a subprocess: the
  path as it was at that commit. Only rewards are compared for this row.

The **limit** is the candidates' own CPU time with a bare fork per run,
divided by the cores: each distinct candidate (duplicates once) is run on the
cases it was judged on (the first ``Score.cases`` of its phases), each case in
a fork of one interpreter that has imported what the script imports, the
parent's CPU (the forks) and the children's counted; a run that never ends is
stopped at the task's time limit, as fuzzdiff stops it; each child ends as a
fresh interpreter does (atexit handlers, flushes, module teardown), as a
faithful run must. A lower bound whose children end at once (``os._exit``) is
shown too. Shrinking and
stability re-runs are not counted, so the limit is a little tighter than the
work the batched path has to do. Rewards must be identical on every path.

    python3 benchmarks/batch.py [--task base64] [--budget 300] [--seed 1] [--slots 3] [--http] [--ray]
                                [--baseline DIR] [--out F]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from fuzzdiff.oracle.batch import BatchScorer, Request
from fuzzdiff.oracle.scoring import Candidate, Policy, Score, score
from fuzzdiff.run.runner import default_jobs

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from mutation import census  # noqa: E402  (a sibling benchmark script, not a package)

SPIN = "while True:\n    pass\n"
SLEEP = "import time\ntime.sleep(3600)\n"


def completions(task: str) -> list[tuple[str, Candidate]]:
    """The batch: (kind, candidate), 64 of them, in a fixed order."""
    ports = [(REPO / "examples" / task / "good.py").read_text(), (REPO / "solutions" / f"{task}.py").read_text()]
    correct = [("correct", Candidate(source=ports[i % 2] + f"\n# variant {i}\n", language="python")) for i in range(28)]
    duplicates = [("duplicate", correct[i][1]) for i in range(4)]
    bugs = [("bug", Candidate(source=m.source, language="python")) for m in census(task, 30).mutants]
    loops = [
        ("loops", Candidate(source=SPIN, language="python")),
        ("loops", Candidate(source=SLEEP, language="python")),
    ]
    batch: list[tuple[str, Candidate]] = []
    for n in range(28):  # interleaved, as a sampler would produce them
        batch.append(correct[n])
        if n < len(bugs):
            batch.append(bugs[n])
        if n % 7 == 3 and duplicates:
            batch.append(duplicates.pop())
    batch += bugs[28:] + loops + duplicates
    return batch


def verdicts(scores: Sequence[Score]) -> list[tuple[object, ...]]:
    """What must not change between paths: status, reward, cases and the counterexample's case."""
    return [
        (s.status, s.reward, s.cases, None if s.counterexample is None else s.counterexample.case.key()) for s in scores
    ]


def one_by_one(task: str, batch: list[tuple[str, Candidate]], budget: int, seed: int, cache: Path) -> list[Score]:
    return [score(task, c, budget=budget, seed=seed, use_pool=False, cache=cache) for _, c in batch]


def batched(
    task: str, batch: list[tuple[str, Candidate]], budget: int, seed: int, cache: Path, slots: int
) -> list[Score]:
    with BatchScorer(slots=slots, cache=cache, use_pool=False) as scorer:
        return scorer.score_batch([Request(task, c, budget=budget, seed=seed) for _, c in batch])


def over_http(task: str, batch: list[tuple[str, Candidate]], budget: int, seed: int, slots: int) -> list[Score]:
    """The batch through the HTTP app (uvicorn on a thread, loopback), as scores."""
    import socket
    import threading

    import uvicorn

    from fuzzdiff.oracle.client import Client
    from fuzzdiff.oracle.serve import ServiceConfig, create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = ServiceConfig(max_concurrency=1, jobs=slots, max_batch=len(batch), max_body=16 << 20)
    server = uvicorn.Server(uvicorn.Config(create_app(config), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        client = Client(f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=3600, retries=0)
        answers = client.score_batch(task, [c for _, c in batch], budget=budget, seed=seed, use_pool=False)
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        sock.close()
    return [_from_json(a) for a in answers]


def on_ray(task: str, batch: list[tuple[str, Candidate]], budget: int, seed: int, cache: Path) -> list[Score]:
    from fuzzdiff.oracle.distributed import RayScorer

    with RayScorer(jobs=1) as pool:  # the runtime is already up: only the actors start here
        return pool.score(task, [c for _, c in batch], budget=budget, seed=seed, cache=cache)


BASELINE = r"""
import json, sys, time
from pathlib import Path
from fuzzdiff.oracle.scoring import Candidate, score
task, budget, seed, cache, sources = json.load(sys.stdin)
cache = Path(cache)
start = time.monotonic()
rewards = [
    score(task, Candidate(source=s, language="python"), budget=budget, seed=seed, use_pool=False, cache=cache).reward
    for s in sources
]
print(json.dumps({"seconds": time.monotonic() - start, "rewards": rewards}))
"""


def baseline(
    checkout: Path, task: str, batch: list[tuple[str, Candidate]], budget: int, seed: int, cache: Path
) -> tuple[float, list[float | None]]:
    """One by one with another checkout's fuzzdiff: its seconds and rewards."""
    import json
    import subprocess

    payload = json.dumps([task, budget, seed, str(cache), [c.source for _, c in batch]])
    env = {**os.environ, "PYTHONPATH": str(checkout.resolve())}
    done = subprocess.run(
        [sys.executable, "-c", BASELINE], input=payload.encode(), env=env, cwd=checkout, capture_output=True, check=True
    )
    doc = json.loads(done.stdout.decode().strip().splitlines()[-1])
    rewards = list(doc["rewards"])
    if any(r is None for r in rewards):
        raise SystemExit(f"batch.py: the baseline at {checkout} gave errors, not scores: {rewards}")
    return float(doc["seconds"]), rewards


def _from_json(doc: dict[str, object]) -> Score:
    """Enough of a score for ``verdicts`` and the timings."""
    from fuzzdiff.core.codec import decode_divergence

    cx = doc.get("counterexample")
    return Score(
        task=str(doc["task"]),
        status=str(doc["status"]),
        reward=doc["reward"],  # type: ignore[arg-type]
        policy=Policy(str(doc["policy"])),
        seed=int(doc["seed"]),  # type: ignore[call-overload]
        budget=int(doc["budget"]),  # type: ignore[call-overload]
        cases=int(doc["cases"]),  # type: ignore[call-overload]
        counterexample=None if cx is None else decode_divergence(cx),
        cpu_seconds=float(doc["cpu_seconds"]),  # type: ignore[arg-type]
        seconds=float(doc["seconds"]),  # type: ignore[arg-type]
    )


BARE = r"""
import importlib, os, pickle, resource, shutil, signal, sys, tempfile
script, env, timeout, cases = pickle.load(sys.stdin.buffer)
for name in IMPORTS:
    try:
        importlib.import_module(name)
    except BaseException:
        pass
code = compile(open(script).read(), script, "exec")
os.environ.clear()
os.environ.update(env)
for argv, stdin, files in cases:
    work = tempfile.mkdtemp()
    for name, content in files:
        path = os.path.join(work, os.fsdecode(name))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(content)
    with open(os.path.join(work, ".stdin"), "wb") as fh:
        fh.write(stdin)
    pid = os.fork()
    if pid == 0:
        os.chdir(work)
        fd = os.open(".stdin", os.O_RDONLY)
        os.dup2(fd, 0)
        out = os.open(os.devnull, os.O_WRONLY)
        os.dup2(out, 1)
        os.dup2(out, 2)
        signal.alarm(int(timeout))
        sys.argv = [script, *[os.fsdecode(a) for a in argv]]
        code_ = 0
        try:
            exec(code, {"__name__": "__main__", "__file__": script})
        except SystemExit as exc:
            code_ = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            code_ = 1
        if FINALISE:
            sys.exit(code_)  # as a fresh interpreter ends: atexit, flushes, module teardown
        try:
            sys.stdout.flush()
        except BaseException:
            pass
        os._exit(code_ & 255)
    os.waitpid(pid, 0)
    shutil.rmtree(work, ignore_errors=True)
usage = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(sum(u.ru_utime + u.ru_stime for u in usage))
"""


def bare_fork_seconds(task: str, candidate: Candidate, judged: int, budget: int, seed: int, finalise: bool) -> float:
    """CPU seconds of running ``candidate`` on the first ``judged`` cases it was
    judged on, each in a bare fork of one interpreter that imported what the
    script imports (no sandbox, no pipes, no comparison): the limit's share of
    one candidate. Its forks are counted too. ``finalise``: each child ends as a
    fresh interpreter does (atexit, flushes, module teardown), which a faithful
    run must; else at once (``os._exit``), a lower bound."""
    import pickle
    import subprocess

    from fuzzdiff.engine.setup import prepare
    from fuzzdiff.oracle.scoring import scored_cases
    from fuzzdiff.run.pyfork import script_imports

    with tempfile.TemporaryDirectory() as where:
        script = Path(where) / "candidate.py"
        script.write_text(candidate.source or "")
        setup = prepare(task, f"python3 {script}")
        cases = [c for _, c in scored_cases(setup.spec, seed, budget)][:judged]
        payload = pickle.dumps(
            (str(script), dict(setup.spec.env), setup.spec.limits.timeout, [(c.argv, c.stdin, c.files) for c in cases])
        )
        harness = BARE.replace("IMPORTS", repr(script_imports(str(script)))).replace("FINALISE", repr(finalise))
        done = subprocess.run([sys.executable, "-c", harness], input=payload, capture_output=True, check=True)
        return float(done.stdout.decode().strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="base64")
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--slots", type=int, default=default_jobs() + 1)
    parser.add_argument("--http", action="store_true", help="also through the HTTP service")
    parser.add_argument("--ray", action="store_true", help="also through RayScorer on a local runtime")
    parser.add_argument("--baseline", type=Path, help="another checkout: its one-by-one path, for comparison")
    parser.add_argument("--skip-one-by-one", action="store_true")
    parser.add_argument("--out", type=Path, help="write the Markdown table here too")
    args = parser.parse_args(argv)
    if not (REPO / "solutions" / f"{args.task}.py").is_file() or not (REPO / "examples" / args.task).is_dir():
        print(
            f"batch.py: task {args.task!r} needs solutions/{args.task}.py and examples/{args.task}/good.py",
            file=sys.stderr,
        )
        return 2
    batch = completions(args.task)
    cores = default_jobs()
    cache = Path(tempfile.mkdtemp(prefix="fuzzdiff-batch-bench-"))
    score(args.task, batch[0][1], budget=args.budget, seed=args.seed, use_pool=False, cache=cache)  # warm the cache
    rows: list[tuple[str, float, list[Score]]] = []
    start = time.monotonic()
    fast = batched(args.task, batch, args.budget, args.seed, cache, args.slots)
    rows.append((f"batched ({args.slots} slots)", time.monotonic() - start, fast))
    if args.http:
        start = time.monotonic()
        remote = over_http(args.task, batch, args.budget, args.seed, args.slots)
        rows.append((f"HTTP service ({args.slots} slots)", time.monotonic() - start, remote))
    if args.ray:
        import logging

        import ray

        ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
        start = time.monotonic()
        spread = on_ray(args.task, batch, args.budget, args.seed, cache)
        rows.append((f"Ray ({cores} actors, 2 slots each)", time.monotonic() - start, spread))
        ray.shutdown()
    if not args.skip_one_by_one:
        start = time.monotonic()
        slow = one_by_one(args.task, batch, args.budget, args.seed, cache)
        rows.append((f"one by one ({cores} workers each)", time.monotonic() - start, slow))
    old: tuple[float, list[float | None]] | None = None
    if args.baseline is not None:
        old = baseline(args.baseline, args.task, batch, args.budget, args.seed, cache)
    distinct = {c.identity(): (c, s) for (_, c), s in zip(batch, fast, strict=True)}
    child_cpu = sum(s.cpu_seconds for _, s in distinct.values())
    bare = sum(bare_fork_seconds(args.task, c, s.cases, args.budget, args.seed, True) for c, s in distinct.values())
    lower = sum(bare_fork_seconds(args.task, c, s.cases, args.budget, args.seed, False) for c, s in distinct.values())
    limit = bare / cores
    n = len(batch)
    lines = [
        f"{n} completions of {args.task} (28 correct, 4 duplicates, {sum(k == 'bug' for k, _ in batch)} bugs, "
        f"2 that never finish), budget {args.budget}, seed {args.seed}, {cores} cores, warm reference cache.",
        "",
        "| path | seconds | candidates/s | share of the limit | share of the lower bound | rewards as batched |",
        "|---|---|---|---|---|---|",
        f"| limit: bare forks' CPU / {cores} cores | {limit:.1f} | {n / limit:.2f} | 1.00 | | |",
        f"| lower bound: the same, forks ended by os._exit | {lower / cores:.1f} | {n * cores / lower:.2f} "
        "| | 1.00 | |",
    ]
    for name, seconds, scores in rows:
        same = "identical" if verdicts(scores) == verdicts(fast) else "DIFFERENT"
        share = f"{limit / seconds:.2f} | {lower / cores / seconds:.2f}"
        lines.append(f"| {name} | {seconds:.1f} | {n / seconds:.2f} | {share} | {same} |")
    if old is not None:
        same = "identical" if old[1] == [s.reward for s in fast] else "DIFFERENT"
        share = f"{limit / old[0]:.2f} | {lower / cores / old[0]:.2f}"
        lines.append(
            f"| one by one, fuzzdiff of {args.baseline} | {old[0]:.1f} | {n / old[0]:.2f} | {share} | {same} |"
        )
    one = [seconds for name, seconds, _ in rows if name.startswith("one by one")]
    if one or old is not None:
        lines.append("")
    if one:
        lines.append(f"batched vs one by one: {one[0] / rows[0][1]:.2f}x")
    if old is not None:
        lines.append(f"batched vs one by one with the fuzzdiff of {args.baseline}: {old[0] / rows[0][1]:.2f}x")
    loops = [s for (kind, _), s in zip(batch, fast, strict=True) if kind == "loops"]
    lines.append(
        "never-finishing completions (batched): "
        + "; ".join(f"{s.candidate_executions} runs, {s.seconds:.1f} s, reward {s.reward}" for s in loops)
    )
    lines.append(
        f"the candidates' CPU in the batched path: {child_cpu:.1f} s over every run (shrinking and stability "
        f"runs included); in bare forks of the judged cases alone: {bare:.1f} s ({lower:.1f} s ended by os._exit)"
    )
    rewards = [s.reward for s in fast]
    lines.append(f"rewards: {rewards.count(1.0)} of 1.0, {rewards.count(0.0)} of 0.0")
    text = "\n".join(lines)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
