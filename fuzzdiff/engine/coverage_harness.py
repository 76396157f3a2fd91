"""The fuzzing process of coverage-guided mode (see ``coverage.py``), run under atheris.

Started as ``python3 -m fuzzdiff.engine.coverage_harness CONFIG FD`` by
``coverage.Harness``. CONFIG is a pickled ``HarnessConfig``; FD is the write end
of a pipe to the parent, which reads length-prefixed marshal records:

- ``("R", counters, modules)``: instrumented and about to fuzz;
- ``("I", runs, reached, data)``: a fuzzer input whose case was not seen before;
- ``("E", message)``: set-up failed (the parent reports it and exits 2).

libFuzzer (through atheris) owns the loop: it mutates byte strings and keeps
those that reach new coverage. Each input is decoded into a case through the
task's grammar (``generate.case_from_bytes``) and the Python program runs on
it in a forked child, so that nothing a run does (globals, ``sys.modules``,
``os._exit``, a crash) reaches the next one. The child's code is instrumented
by atheris once, here, before forking; in the child atheris' trace hooks are
replaced by recorders that write branch counts into shared memory and keep the
comparisons made, which this process replays into libFuzzer's own hooks when
the child has ended. The same case (many inputs decode to it) replays its
recorded coverage without running again. The run here is for coverage only:
verdicts come from the parent, which runs both programs as any campaign does.

Mutations are libFuzzer's (``atheris.Mutate``), and in a share of them an
input-to-state step (``Harness.solve``): an operand the program compared on
that input, found in its bytes, is replaced by the value it was compared with,
which is how magic bytes and keywords are met in a few steps.
"""

from __future__ import annotations

import contextlib
import ctypes
import dis
import gc
import io
import marshal
import operator
import os
import pickle
import random
import select
import signal
import sys
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, FunctionType
from typing import Any, NoReturn

#: Branch counts are kept per counter up to this (a byte); libFuzzer buckets them.
SATURATE = 255
#: Comparisons recorded per run, and the longest str/bytes operand kept.
MAX_COMPARES = 512
MAX_OPERAND = 128
#: Bytes of shared memory for the comparisons a run recorded (marshalled).
COMPARE_AREA = 1 << 18
#: Cases whose recorded coverage is kept for replay (least recently used dropped).
CACHE_CASES = 4096
#: libFuzzer's count classes: a count replays as the smallest count of its class.
_CLASS_FLOOR = bytes([0, 1, 2, 3] + [4] * 4 + [8] * 8 + [16] * 16 + [32] * 96 + [128] * 128)
#: The comparison a ``_trace_cmp`` call stands for, by operation number.
_OPS: tuple[Callable[[Any, Any], Any], ...] = (
    operator.lt,
    operator.le,
    operator.eq,
    operator.ne,
    operator.gt,
    operator.ge,
)
_SIMPLE = (int, str, bytes)
#: Exit status of a child whose set-up failed before the program ran.
SETUP_FAILED = 121
#: Sizes of the random inputs libFuzzer starts from (``HarnessConfig.seeds``).
SEED_MIN = 8
SEED_MAX = 256
#: prctl(2) option: the signal a child gets when its parent dies.
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class Target:
    """A Python program to collect coverage of: its script and the words after it."""

    side: str  # "reference" or "candidate"
    script: str
    args: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HarnessConfig:
    spec: Any  # TaskSpec (kept loose: this module imports fuzzdiff lazily)
    targets: tuple[Target, ...]
    env: tuple[tuple[str, str], ...]  # the task's environment
    limits: Any  # spec.Limits
    seed: int
    runs: int  # fuzzer runs at most (a run of a case seen before replays its coverage)
    max_len: int  # longest fuzzer input
    root: str  # private directory for the runs
    trace_compares: bool = True
    value_profile: bool = False
    extra_flags: tuple[str, ...] = ()  # more libFuzzer flags (experiments)
    solve_share: float = 0.25  # share of mutations that replace a compared operand (``Harness.solve``)
    seeds: int = 64  # random inputs libFuzzer starts from (0: from an empty input)


def send(fd: int, record: Any) -> None:
    data = marshal.dumps(record)
    view = memoryview(len(data).to_bytes(4, "little") + data)
    while view:
        view = view[os.write(fd, view) :]


def local_modules(directory: str) -> list[str]:
    """Modules and packages that live beside a script: its own code."""
    names: list[str] = []
    with contextlib.suppress(OSError):
        for entry in sorted(os.scandir(directory), key=lambda e: e.name):
            if entry.is_file() and entry.name.endswith(".py") and entry.name[:-3].isidentifier():
                names.append(entry.name[:-3])
            elif (
                entry.is_dir() and entry.name.isidentifier() and os.path.isfile(os.path.join(entry.path, "__init__.py"))
            ):
                names.append(entry.name)
    return names


class _Program:
    """One target, compiled and instrumented in this process before any fork."""

    def __init__(self, target: Target, code: CodeType) -> None:
        self.target = target
        self.code = code
        self.directory = os.path.dirname(os.path.realpath(target.script))


class Harness:
    def __init__(self, config: HarnessConfig, out: int) -> None:
        import atheris  # the coverage extra; the parent checked it is there

        from fuzzdiff.run.execute import run_env

        self.atheris = atheris
        self.config = config
        self.out = out
        self.run_env = run_env
        self.programs: list[_Program] = []
        self.cache: OrderedDict[str, tuple[tuple[tuple[int, int], ...], tuple[tuple[Any, ...], ...]]] = OrderedDict()
        self.sent: set[str] = set()
        self.reached: set[int] = set()
        self.runs = 0
        self.child = 0
        self.counters = 0
        self.shm: Any = None
        self.shift = 0
        self.modules: list[str] = []
        self.prctl: Any = None
        self.stable: list[int] = []
        with contextlib.suppress(OSError, AttributeError):
            self.prctl = ctypes.CDLL(None, use_errno=True).prctl

    # -- set-up ------------------------------------------------------------------

    def prepare(self) -> str | None:
        """Compile and instrument every target and the modules beside it; None or why not."""
        from fuzzdiff.run.pyfork import script_imports

        atheris = self.atheris
        with contextlib.suppress(ImportError, AttributeError):
            from atheris import version_dependent

            self.shift = int(getattr(version_dependent, "CMP_OP_SHIFT_AMOUNT", 0))
        for target in self.config.targets:
            try:
                source = Path(target.script).read_bytes()
            except OSError as exc:
                return f"cannot read {target.script}: {exc.strerror}"
            try:
                code = compile(source, target.script, "exec", dont_inherit=True)
            except (SyntaxError, ValueError) as exc:
                return f"{target.script} does not compile under {sys.executable} ({type(exc).__name__}: {exc})"
            program = _Program(target, atheris.instrument_bytecode.patch_code(code, self.config.trace_compares))
            self.programs.append(program)
            if program.directory not in sys.path:
                sys.path.insert(0, program.directory)
            own = [n for n in local_modules(program.directory) if n not in sys.modules]
            wanted = script_imports(target.script)
            # The script's own modules are imported once here, instrumented, so that their
            # counters are this process's; the rest (standard library, third party) only
            # to be loaded already in each child.
            with atheris.instrument_imports(include=own) if own else contextlib.nullcontext():
                for name in wanted:
                    if name.partition(".")[0] in own:
                        self._preimport(name)
            for name in wanted:
                if name.partition(".")[0] not in own:
                    self._preimport(name)
            self.modules += [n for n in own if n in sys.modules]
        import mmap

        import numpy

        self.counters = int(atheris._reserve_counter()) + 1
        self.stable = stable_numbering(self.counters, [p.code for p in self.programs])
        self.shm = mmap.mmap(-1, self.counters + COMPARE_AREA)
        self.counts = numpy.frombuffer(self.shm, dtype=numpy.uint8, count=self.counters)
        return None

    @staticmethod
    def _preimport(name: str) -> None:
        with contextlib.suppress(BaseException):
            __import__(name)

    def flags(self) -> list[str]:
        c = self.config
        per_run = len(c.targets) * (2 * c.limits.timeout + 5)
        return [
            sys.argv[0],
            f"-runs={c.runs}",
            f"-seed={c.seed}",
            f"-max_len={c.max_len}",
            f"-timeout={int(per_run) + 60}",
            "-rss_limit_mb=0",
            f"-use_value_profile={int(c.value_profile)}",
            f"-artifact_prefix={c.root}/",
            "-print_final_stats=1",
            # Signals stay Python's (SIGTERM ends the current child first, see ``main``),
            # and the children inherit no libFuzzer crash handlers.
            *(f"-handle_{s}=0" for s in ("segv", "bus", "abrt", "ill", "fpe", "int", "term", "xfsz", "usr1", "usr2")),
            *c.extra_flags,
            *([self.seed_corpus(), "-reload=0"] if c.seeds else []),
        ]

    def seed_corpus(self) -> str:
        """A directory of ``seeds`` random inputs drawn from the seed: libFuzzer starts
        from them (and writes the inputs it keeps there too) rather than from one empty
        input, so that the first cases are as varied as fresh generation's."""
        rng = random.Random(self.config.seed)
        directory = Path(self.config.root) / "corpus"
        directory.mkdir(exist_ok=True)
        for n in range(self.config.seeds):
            (directory / f"seed-{n:04d}").write_bytes(rng.randbytes(rng.randint(SEED_MIN, SEED_MAX)))
        return str(directory)

    # -- mutation ----------------------------------------------------------------

    def mutate(self, data: bytes, max_size: int, seed: int) -> bytes:
        """libFuzzer's mutation, and in a share of calls a comparison made real: an
        operand the program compared, found in the input's bytes, replaced by what
        it was compared with (an input-to-state step; libFuzzer's own comparison
        table is shared by every comparison of the program, so it rarely picks
        the one that matters for this input)."""
        rng = random.Random(seed)
        if rng.random() < self.config.solve_share:
            solved = self.solve(data, max_size, rng)
            if solved is not None:
                return solved
        return bytes(self.atheris.Mutate(data, max_size))

    def solve(self, data: bytes, max_size: int, rng: random.Random) -> bytes | None:
        from fuzzdiff.core.generate import case_from_bytes

        try:
            key = case_from_bytes(self.config.spec, data).key()
        except Exception:
            return None
        recorded = self.cache.get(key)
        if not recorded or not recorded[1]:
            return None
        compares = list(recorded[1])
        rng.shuffle(compares)
        for a, b, *_ in compares[:16]:
            for old, new in (*_replacements(a, b), *_replacements(b, a)):
                at = [i for i in range(len(data) - len(old) + 1) if data.startswith(old, i)]
                if at:
                    i = rng.choice(at)
                    out = data[:i] + new + data[i + len(old) :]
                    if 0 < len(out) <= max_size:
                        return out
        return None

    # -- one fuzzer input --------------------------------------------------------

    def test_one_input(self, data: bytes) -> None:
        from fuzzdiff.core.generate import case_from_bytes

        self.runs += 1
        try:
            case = case_from_bytes(self.config.spec, data)
        except Exception:  # a grammar that cannot read these bytes: nothing to cover
            return
        key = case.key()
        recorded = self.cache.get(key)
        if recorded is None:
            hits: list[tuple[int, int]] = []
            compares: list[tuple[Any, ...]] = []
            for program in self.programs:
                h, c = self.run(program, case)
                hits += h
                compares += c
            recorded = (tuple(hits), tuple(compares))
            self.cache[key] = recorded
            if len(self.cache) > CACHE_CASES:
                self.cache.popitem(last=False)
            for index, _ in hits:
                self.reached.add(index)
        else:
            self.cache.move_to_end(key)
        if key not in self.sent:
            self.sent.add(key)
            send(self.out, ("I", self.runs, len(self.reached), data))
        self.replay(*recorded)

    def replay(self, hits: tuple[tuple[int, int], ...], compares: tuple[tuple[Any, ...], ...]) -> None:
        trace_branch = self.atheris._trace_branch
        for index, count in hits:
            for _ in range(count):
                trace_branch(index)
        trace_cmp = self.atheris._trace_cmp
        for args in compares:
            with contextlib.suppress(Exception):
                trace_cmp(*args)

    def run(self, program: _Program, case: Any) -> tuple[list[tuple[int, int]], list[tuple[Any, ...]]]:
        """Run ``program`` on ``case`` in a forked child; the counters it hit and its comparisons."""
        from fuzzdiff.run.scratch import remove_tree, write_files

        base = Path(self.config.root) / "case"
        work, tmp = base / "work", base / "tmp"
        if base.exists():
            remove_tree(base)
        work.mkdir(parents=True)
        tmp.mkdir()
        try:
            write_files(work, case.files)
        except Exception:
            return [], []
        stdin_path = base / "stdin"
        stdin_path.write_bytes(case.stdin)
        env = self.run_env(dict(self.config.env), case, work, tmp)
        self.shm[self.counters : self.counters + 4] = bytes(4)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child ends with os._exit
            self._child(program, case, work, env, stdin_path)
        self.child = pid
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)
        try:
            self._wait(pid, self.config.limits.timeout)
        finally:
            self.child = 0
            remove_tree(base)
        counts = self.counts
        reached = counts.nonzero()[0]
        stable = self.stable
        hits = sorted((stable[int(i)], _CLASS_FLOOR[int(counts[i])]) for i in reached)
        counts[reached] = 0
        size = int.from_bytes(self.shm[self.counters : self.counters + 4], "little")
        compares: list[tuple[Any, ...]] = []
        if 0 < size <= COMPARE_AREA - 4:
            with contextlib.suppress(Exception):
                start = self.counters + 4
                recorded = marshal.loads(self.shm[start : start + size])
                compares = [(a, b, op, stable[counter], is_const) for a, b, op, counter, is_const in recorded]
        return hits, compares

    @staticmethod
    def _wait(pid: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        pidfd = os.pidfd_open(pid)
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    _kill(pid)
                    break
                if select.select([pidfd], [], [], left)[0]:
                    break
        finally:
            os.close(pidfd)
            _kill(pid)  # whatever the program left in its group
            os.waitpid(pid, 0)

    def _become(self, program: _Program, case: Any, work: Path, env: Mapping[str, str], stdin_path: Path) -> None:
        """In the forked child: the process state of a fresh ``python3 script.py`` run on
        ``case`` (its own process group, default signals, limits, the case's stdin,
        output discarded, the run's directory and environment, argv, text streams)."""
        os.setpgid(0, 0)
        if self.prctl is not None:  # die with the harness, whatever kills it
            self.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        for sig in (signal.SIGTERM, signal.SIGALRM, signal.SIGUSR1, signal.SIGUSR2, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as a fresh interpreter has them
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        from fuzzdiff.run.execute import apply_limits

        apply_limits(self.config.limits)
        stdin = os.open(stdin_path, os.O_RDONLY)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(stdin, 0)
        os.dup2(null, 1)
        os.dup2(null, 2)
        os.close(stdin)
        os.close(null)
        os.close(self.out)
        os.chdir(work)
        os.environ.clear()
        os.environ.update(env)
        target = program.target
        sys.argv = [target.script, *target.args, *(os.fsdecode(a) for a in case.argv)]
        if sys.path[0] != program.directory:
            sys.path.insert(0, program.directory)
        for fd, name in enumerate(("stdin", "stdout", "stderr")):
            stream = io.TextIOWrapper(
                io.open(fd, "rb" if fd == 0 else "wb", closefd=False),  # noqa: SIM115, UP020
                encoding="utf-8",
                errors="surrogateescape" if fd < 2 else "backslashreplace",
                line_buffering=fd == 2,
            )
            setattr(sys, name, stream)
            setattr(sys, f"__{name}__", stream)

    def _child(self, program: _Program, case: Any, work: Path, env: Mapping[str, str], stdin_path: Path) -> None:
        """In the forked child: become the program's run on the case, record, exit."""
        real_exit = os._exit
        status = SETUP_FAILED
        compares: dict[tuple[Any, ...], None] = {}
        shm = self.shm
        start = self.counters + 4
        me = os.getpid()

        def dump() -> None:
            if os.getpid() != me or not compares:
                return
            items = list(compares)
            while items:
                data = marshal.dumps(items)
                if len(data) <= COMPARE_AREA - 4:
                    shm[start : start + len(data)] = data
                    shm[start - 4 : start] = len(data).to_bytes(4, "little")
                    return
                items = items[: len(items) // 2]

        def exit_now(code: int, /) -> NoReturn:
            dump()
            real_exit(code)

        try:
            self._become(program, case, work, env, stdin_path)
            target = program.target
            mv = memoryview(shm)
            ops = _OPS
            shift = self.shift

            def trace_branch(index: int) -> None:
                v = mv[index]
                if v < SATURATE:
                    mv[index] = v + 1

            def trace_cmp(a: Any, b: Any, op: int, counter: int, is_const: bool) -> Any:
                result = ops[op >> shift](a, b)
                if (
                    len(compares) < MAX_COMPARES
                    and type(a) in _SIMPLE
                    and type(b) in _SIMPLE
                    and (type(a) is int or len(a) <= MAX_OPERAND)
                    and (type(b) is int or len(b) <= MAX_OPERAND)
                ):
                    compares[(a, b, op, counter, is_const)] = None
                return result

            self.atheris._trace_branch = trace_branch
            self.atheris._trace_cmp = trace_cmp
            os._exit = exit_now  # type: ignore[assignment]  # the script may end with os._exit
            main = type(sys)("__main__")
            main.__dict__.update({"__file__": target.script, "__builtins__": __builtins__})
            sys.modules["__main__"] = main
            status = 0
            try:
                exec(program.code, main.__dict__)
            except SystemExit as exc:
                code = exc.code
                status = code if isinstance(code, int) else (0 if code is None else 1)
            except BaseException:
                status = 1
                with contextlib.suppress(BaseException):
                    traceback.print_exc()
            for out in (sys.stdout, sys.stderr):
                with contextlib.suppress(BaseException):
                    out.flush()
        except BaseException:
            pass
        finally:
            with contextlib.suppress(BaseException):
                dump()
            real_exit(status & 0xFF)


def stable_numbering(counters: int, codes: list[CodeType]) -> list[int]:
    """A numbering of atheris' counters that is the same in every process.

    atheris numbers a code object's basic blocks in the iteration order of a set
    of instruction objects, which follows memory addresses: two processes
    instrumenting the same script number them differently, and libFuzzer,
    whose features are counter numbers, then takes other decisions. The
    counters are renumbered in the order of their call sites (file, first line,
    name and code of the code object, offset of the call), found in the
    instrumented code given and in every instrumented function alive (the
    script's own modules); any counter not found keeps its relative order
    after them. Returns ``stable`` with ``stable[atheris_number]``."""
    objects: dict[int, CodeType] = {}

    def collect(code: CodeType) -> None:
        if id(code) in objects or "__ATHERIS_INSTRUMENTED__" not in code.co_consts:
            return
        objects[id(code)] = code
        for const in code.co_consts:
            if isinstance(const, CodeType):
                collect(const)

    for code in codes:
        collect(code)
    for obj in gc.get_objects():
        if isinstance(obj, FunctionType):
            collect(obj.__code__)
    sites: list[tuple[tuple[str, int, str, bytes, int], int]] = []
    for code in objects.values():
        where = (code.co_filename, code.co_firstlineno, getattr(code, "co_qualname", code.co_name), code.co_code)
        for offset, counter in _counter_sites(code):
            sites.append(((*where, offset), counter))
    order = [counter for _, counter in sorted(sites)]
    order = list(dict.fromkeys(c for c in order if 0 <= c < counters))
    seen = set(order)
    order += [c for c in range(counters) if c not in seen]
    stable = [0] * counters
    for number, counter in enumerate(order):
        stable[counter] = number
    return stable


def _counter_sites(code: CodeType) -> list[tuple[int, int]]:
    """(offset, counter) of each ``_trace_branch`` and ``_trace_cmp`` call in ``code``.

    The constants loaded between the hook's ``LOAD_ATTR`` and its call are the
    counter for ``_trace_branch``, and (operation, counter, is_const) for
    ``_trace_cmp``. A counter of 0 or 1 may be loaded as ``False`` or ``True``:
    atheris reuses an equal constant already in the code object."""
    sites: list[tuple[int, int]] = []
    hook: str | None = None
    loaded: list[Any] = []
    at = 0
    for ins in dis.get_instructions(code):
        if ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and ins.argval in ("_trace_branch", "_trace_cmp"):
            hook, loaded, at = str(ins.argval), [], ins.offset
        elif hook is not None and ins.opname == "LOAD_CONST":
            loaded.append(ins.argval)
        elif hook is not None and ins.opname.startswith(("PRECALL", "CALL")):
            if hook == "_trace_branch" and loaded and isinstance(loaded[0], int):
                sites.append((at, int(loaded[0])))
            elif hook == "_trace_cmp" and len(loaded) >= 3 and isinstance(loaded[-2], int):
                sites.append((at, int(loaded[-2])))
            hook = None
    return sites


def _replacements(have: Any, want: Any) -> list[tuple[bytes, bytes]]:
    """(what to find in a fuzzer input, what to put instead) for a comparison of
    ``have`` with ``want``: bytes as they are, text as UTF-8, integers as their
    little-endian bytes in each width both fit (what ``BytesChoices`` reads)."""
    text = (bytes, str)
    if isinstance(have, text) and isinstance(want, text):
        a, b = (v.encode("utf-8", "surrogateescape") if isinstance(v, str) else v for v in (have, want))
        return [(a, b)] if a and a != b else []
    if type(have) is int and type(want) is int and have != want:
        return [
            (have.to_bytes(n, "little"), want.to_bytes(n, "little"))
            for n in (1, 2, 4, 8)
            if 0 <= have < 1 << (8 * n) and 0 <= want < 1 << (8 * n)
        ]
    return []


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def main(argv: list[str]) -> int:
    with open(argv[1], "rb") as fh:
        config: HarnessConfig = pickle.load(fh)
    out = int(argv[2])
    try:
        harness = Harness(config, out)
        why = harness.prepare()
    except Exception as exc:
        why = f"{type(exc).__name__}: {exc}"
    if why is not None:
        send(out, ("E", why))
        return 2

    def stop(signum: int, frame: object) -> None:
        if harness.child:
            _kill(harness.child)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # the parent stopped reading: end quietly
    send(out, ("R", harness.counters, harness.modules))
    harness.atheris.Setup(harness.flags(), harness.test_one_input, custom_mutator=harness.mutate)
    harness.atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
