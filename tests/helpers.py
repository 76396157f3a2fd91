"""Helpers shared by test modules: fake programs made of Python functions (so most
tests need no process), a small task, Hypothesis strategies for the value types,
candidate templates and the Python fork-server's probe scripts.

Test modules import these from here, never from one another; fixtures live in
``conftest.py``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from hypothesis import strategies as st

from fuzzdiff.core import spec as spec_module
from fuzzdiff.core.model import CampaignResult, Case, Event, Finished, Outcome, Program, Termination
from fuzzdiff.core.spec import Limits, TaskSpec, load_task, shipped_tasks
from fuzzdiff.engine.campaign import CampaignConfig, run_campaign
from fuzzdiff.engine.judging import Judge
from fuzzdiff.run.execute import FunctionExecutor
from fuzzdiff.run.runner import SerialRunner

TESTS = Path(__file__).parent

# -- fake programs ---------------------------------------------------------------------

REF = Program(argv=("/fake/ref",), argv0="prog")
CAND = Program(argv=("/fake/cand",), argv0="prog")


def exited(
    code: int = 0, stdout: bytes = b"", stderr: bytes = b"", files: tuple[tuple[bytes, bytes | None], ...] = ()
) -> Outcome:
    return Outcome(Termination.EXITED, code, None, stdout, stderr, files)


def echo_program(case: Case) -> Outcome:
    """A reference: prints its arguments and stdin; fails on an argument '-x'."""
    if b"-x" in case.argv:
        return exited(1, stderr=b"prog: invalid option -- 'x'\n")
    return exited(0, stdout=b" ".join(case.argv) + b"|" + case.stdin, files=case.files)


SIMPLE_TASK = {
    "name": "echo",
    "program": "echo",
    "options": [
        {"short": "a", "long": "alpha"},
        {"short": "n", "long": "number", "value": {"kind": "int", "min": 0, "max": 50}},
    ],
    "operands": {"min": 0, "max": 2, "kinds": ["file", "dash", "missing"]},
    "stdin": {"models": ["empty", "text", "bytes"], "max_bytes": 64},
}


def script_on_path(folder: Path, name: str, text: str, monkeypatch: Any) -> Path:
    """An executable script ``folder/name`` holding ``text``, with ``folder`` put first
    on PATH for the test (``monkeypatch``); its path."""
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(text)
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return script


def make_judge(spec: TaskSpec, reference: Callable[[Case], Outcome], candidate: Callable[[Case], Outcome]) -> Judge:
    executor = FunctionExecutor({REF.argv[0]: reference, CAND.argv[0]: candidate})
    return Judge(spec, SerialRunner(executor, REF, CAND), REF, CAND)


def fake_campaign(
    spec: TaskSpec,
    reference: Callable[[Case], Outcome],
    candidate: Callable[[Case], Outcome],
    **config: Any,
) -> tuple[CampaignResult, list[Event]]:
    """A whole campaign over fake programs (seed 1, budget 300 unless ``config``
    says otherwise; ``config`` holds ``CampaignConfig`` fields): its result and every event."""
    executor = FunctionExecutor({REF.argv[0]: reference, CAND.argv[0]: candidate})
    runner = SerialRunner(executor, REF, CAND)
    events = list(run_campaign(spec, runner, REF, CAND, CampaignConfig(**{"seed": 1, "budget": 300, **config})))
    return final_result(events), events


def final_result(events: Sequence[Event]) -> CampaignResult:
    """The result a campaign's events end with (its last event must be ``Finished``)."""
    last = events[-1]
    assert isinstance(last, Finished), f"a campaign ends with Finished, not {last!r}"
    return last.result


def file_content(outcome: Outcome, name: bytes) -> bytes:
    """The content of the regular file ``name`` an outcome's snapshot holds
    (``None`` in a snapshot is a directory: a test error here)."""
    content = dict(outcome.files)[name]
    assert content is not None, f"{name!r} is a directory"
    return content


def host_processes(marker: str) -> list[int]:
    """Pids of host processes whose command line contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes().replace(b"\0", b" "):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


# -- Hypothesis strategies for the value types -------------------------------------------

# names a case may hold (``model.file_names_problem``): one component, neither `.` nor `..`
names = st.binary(min_size=1, max_size=12).filter(
    lambda n: b"/" not in n and b"\x00" not in n and n not in (b".", b"..")
)
cases = st.builds(
    Case,
    argv=st.lists(st.binary(max_size=10).filter(lambda a: b"\x00" not in a), max_size=5).map(tuple),
    stdin=st.binary(max_size=64),
    files=st.dictionaries(names, st.binary(max_size=32), max_size=3).map(lambda d: tuple(d.items())),
    env=st.dictionaries(st.text("ABC_", min_size=1, max_size=5), st.text(max_size=5), max_size=2).map(
        lambda d: tuple(d.items())
    ),
)
outcomes = st.builds(
    Outcome,
    termination=st.sampled_from(Termination),
    exit_code=st.none() | st.integers(0, 255),
    signal=st.none() | st.integers(1, 64),
    stdout=st.binary(max_size=64),
    stderr=st.binary(max_size=64),
    files=st.dictionaries(names, st.none() | st.binary(max_size=16), max_size=3).map(
        lambda d: tuple(sorted(d.items()))
    ),
)


# -- candidate templates (tests/candidates/) --------------------------------------------

CANDIDATES = TESTS / "candidates"


def instantiate(template: str, spec: TaskSpec, where: Path) -> str:
    """A candidate script from ``tests/candidates/TEMPLATE`` for the task ``spec``
    (its program and one option with both a short and a long name), made executable
    under ``where``; returns its path."""
    text = (CANDIDATES / template).read_text()
    opt = next(o for o in spec.options if o.short and o.long and o.weight >= 1)
    text = text.replace("@PROG@", spec.program).replace("@SHORT@", f"-{opt.short}").replace("@LONG@", f"--{opt.long}")
    path = where / f"{spec.name}-{template}"
    path.write_text(text)
    path.chmod(0o755)
    return str(path)


# -- the Python fork-server's probes (tests/pyfork_probes/) ------------------------------

PROBES = TESTS / "pyfork_probes"
LIMITS = Limits(timeout=10.0, memory_mb=1024, output_bytes=4 << 20, file_bytes=1 << 20, processes=64)
ENV = dict(spec_module.DEFAULT_ENV)
GOOD_BASE64 = TESTS.resolve().parent / "examples" / "base64" / "good.py"


def interpreter_form(name: str) -> Program:
    """``python3 probe.py``, as ``program.candidate_program`` builds it."""
    return Program(argv=(sys.executable, str(PROBES / name)), argv0=sys.executable)


def shebang_form(name: str) -> Program:
    """``./probe.py``, run through its ``#!/usr/bin/env python3`` line."""
    return Program(argv=(str(PROBES / name),), argv0="probe")


FORMS = {"interpreter": interpreter_form, "shebang": shebang_form}


def observable(outcome: Outcome) -> tuple[object, ...]:
    return (outcome.termination, outcome.exit_code, outcome.signal, outcome.stdout, outcome.stderr, outcome.files)


LATIN = bytes(range(0x20, 0x7F)) + b"\n\xff\xfe caf\xc3\xa9 \xed\xa0\x80\n"
BIG = bytes(range(256)) * 1200  # 300 KiB: more than a pipe holds

CASES: dict[str, list[Case]] = {
    "identity.py": [
        Case(),
        Case(argv=(b"a", b"\xff\xfe", b"--x=1", b"")),
        Case(argv=(b"-c", b"print(1)"), env=(("FUZZ_VAR", "x"),)),
    ],
    "stdio.py": [Case(), Case(argv=(b"caf\xc3\xa9", b"bad\xff"), stdin=LATIN), Case(stdin=b"no newline")],
    "stdin_binary.py": [
        Case(),
        Case(stdin=BIG),
        Case(argv=(b"1",), stdin=b"abc\x00\xff"),
        Case(argv=(b"70000",), stdin=BIG),
    ],
    "stdin_lines.py": [Case(), Case(stdin=b"one\ntwo\r\nthree"), Case(stdin=LATIN * 3)],
    "environ.py": [Case(), Case(env=(("FUZZ_VAR", "set by the case"), ("OTHER", "=x=")))],
    "exits.py": [
        Case(argv=(kind,))
        for kind in (
            b"none",
            b"str",
            b"obj",
            b"oserror",
            b"sigterm",
            b"abort",
            b"_exit",
            b"hook",
            b"badhook",
            b"fall",
            b"value",
            b"chained",
            b"context",
            b"kbi",
            b"deep",
            b"group",
        )
    ]
    + [Case(argv=(b"int", code)) for code in (b"0", b"3", b"255", b"256", b"-1")],
    "atexit_threads.py": [Case(), Case(argv=(b"exit",))],
    "files.py": [
        Case(),
        Case(argv=(b"x", b"y"), files=((b"input.txt", b"data\n"), (b"sub/dir/f", b"\x00\x01"))),
    ],
    "processes.py": [Case(), Case(argv=(b"handler",))],
    "output.py": [Case(argv=(b"1000000",)), Case(argv=(b"12345", b"_exit")), Case(argv=(b"99",))],
    "brokenpipe.py": [Case(), Case(argv=(b"write",))],
    "warns.py": [Case(), Case(argv=(b"x",))],
    "recursion.py": [Case(), Case(argv=(b"uncaught",))],
}
PARAMS = [(form, name, i) for name, runs in CASES.items() for i in range(len(runs)) for form in FORMS]


# -- which library tasks the expensive per-task tests run on ----------------------------

#: The tasks written by hand before the library: every per-task test runs on them.
HAND_WRITTEN = ("base32", "base64", "cksum", "cut", "fold", "head", "md5sum", "sha256sum", "tr", "wc")
#: Other tasks the expensive per-task tests run on: from 30 s (wc, alone) to over
#: 3 min (pr, on a busy machine) of test time each, so three keep the library's
#: share of CI near two minutes with the suite's two processes.
SAMPLE_SIZE = 3


def sample_size() -> int | None:
    """How many built tasks get the full checks (None: all of them)."""
    wanted = os.environ.get("FUZZDIFF_LIBRARY_SAMPLE", "")
    if wanted == "all":
        return None
    return int(wanted) if wanted.isdigit() else SAMPLE_SIZE


def full_check_tasks() -> list[str]:
    """The shipped tasks the expensive per-task tests run on: the hand-written ones
    and the first ``sample_size()`` others by the SHA-256 of their names, among
    those whose reference is the bare program (no ``args``): those tests run the
    program itself (a copy, a wrapper) as the candidate, and ``iconv -f latin1``
    without its arguments is another program."""
    names = shipped_tasks()
    bare = [n for n in names if n not in HAND_WRITTEN and not load_task(n).args]
    others = sorted(bare, key=lambda n: hashlib.sha256(n.encode()).hexdigest())
    size = sample_size()
    chosen = set(others if size is None else others[:size])
    return [n for n in names if n in HAND_WRITTEN or n in chosen]


def load_benchmark(name: str) -> ModuleType:
    """``benchmarks/NAME.py`` imported as a module (benchmarks are scripts, not a package)."""
    path = Path(__file__).resolve().parent.parent / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{name}_bench", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module
