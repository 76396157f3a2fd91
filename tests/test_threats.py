"""Every threat of the sandbox issue, as a hostile candidate scored by the oracle,
once in bubblewrap and once in the fallback (Landlock, rlimits, pids cgroup).

Each test checks what the issue asks: the score finishes with status "ok", a
hostile or cheating candidate gets no reward, no process of the candidate is
left, nothing is written outside the sandbox. Whether secrets were unreadable is
checked through the verdict itself: "spies" are honest ports of base64
(examples/base64/good.py) that write ``LEAK`` to stderr when they manage to read
the reference, fuzzdiff's stored outputs or the network. A spy earns reward 1
only if every attempt failed.
"""

from __future__ import annotations

import os
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fuzzdiff.api import hidden_paths, prepare
from fuzzdiff.core.spec import parse_task
from fuzzdiff.oracle.scoring import Candidate, Score, score
from fuzzdiff.run.landlock import abi
from fuzzdiff.run.paths import data_paths, program_files

from .helpers import host_processes

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

REPO = Path(__file__).resolve().parent.parent
GOOD = REPO / "examples" / "base64" / "good.py"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("FUZZDIFF_CACHE", str(root))
    return root


@pytest.fixture(scope="module")
def task(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The shipped base64 task with a short timeout: hanging candidates cost each
    of their runs a full timeout, and these tests only need to see them cut off."""
    path = tmp_path_factory.mktemp("task") / "base64.toml"
    text = (REPO / "references" / "base64.toml").read_text()
    assert "[limits]" not in text
    # the spies are shell scripts that run a Python port: they may use cat, grep and python3
    path.write_text('tools = ["cat", "grep", "python3"]\n' + text + "\n[limits]\ntimeout = 1.0\n")
    return str(path)


def judge(task: str, source: str, mode: str, budget: int = 12, language: str = "shell") -> Score:
    result = score(task, Candidate(source=source, language=language), budget=budget, seed=3, use_pool=False, jobs=1)
    assert result.status == "ok", result.error
    assert result.isolation.startswith("bubblewrap" if mode == "bubblewrap" else "landlock-"), result.isolation
    return result


def spy(probe: str) -> str:
    """An honest base64 that reports ``LEAK`` on stderr when ``probe`` succeeds.
    The port's source travels inside the candidate (the checkout may be under
    /tmp, which is private inside the sandbox)."""
    return honest(f"if {probe}; then echo LEAK >&2; fi\n")


def honest(prelude: str) -> str:
    """``prelude``, then the base64 port written to the run's private TMPDIR and run."""
    port = GOOD.read_text()
    return f'{prelude}cat > "$TMPDIR/port.py" <<\'PORT\'\n{port}PORT\nexec python3 "$TMPDIR/port.py" "$@"\n'


# -- survival: the candidate is hostile, the verdict is "no reward" and nothing is left --

HOSTILE = {
    "fork bomb": "f() { f | f & }; f",
    "endless loop": "while :; do :; done",
    "unbounded memory": "python3 -c 'b = []\nwhile True: b.append(bytearray(1 << 24))'",
    "endless stdout": "yes",
    "endless stderr": "yes >&2",
    "fills the disk": "head -c 2000000000 /dev/zero > big; yes > more",
    "kills its parent": "kill -9 $PPID; kill -9 0; exit 0",
    "closes its streams": "exec 0<&- 1>&- 2>&-; exit 0",
    "dies by a signal": "kill -SEGV $$",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_candidate_scores_zero_and_leaves_nothing(name: str, mode: str, cache: Path, task: str) -> None:
    marker = f"threat-{uuid.uuid4().hex[:8]}"
    # the marker rides in a comment so that leftover processes can be found by command line
    result = judge(task, f"# {marker}\n{HOSTILE[name]}\n", mode, budget=6)
    assert result.reward == 0.0
    assert host_processes(marker) == []


# -- Python candidates: in bubblewrap their runs are forked by a fork-server (pyfork) --

#: Tries to leave state for the next run wherever it can: the fork-server's
#: directory, memory and tracing (it is the parent), /tmp, /dev/shm, its own
#: interpreter (which a careless fork-server would hand to the next run); reports
#: ``LEAK`` on stderr when a mark of an earlier run is found or the parent is reached.
STATE_SPY = r"""
import ctypes, glob, os, sys
_parent = os.getppid()
_places = [f"/proc/{_parent}/cwd", "/tmp", "/dev/shm", *glob.glob("/tmp/fuzzdiff-pyfork-*")]
_marks = [p for p in _places if os.path.exists(os.path.join(p, ".mark"))]
if _marks or hasattr(os, "_mark") or "MARK" in os.environ or hasattr(sys, "_mark"):
    sys.stderr.write("LEAK\n")
os._mark = sys._mark = True
os.environ["MARK"] = "1"
for _place in _places:
    try:
        open(os.path.join(_place, ".mark"), "w").close()
    except OSError:
        pass
for _what in ("mem", "environ", "fd/0"):
    try:
        os.close(os.open(f"/proc/{_parent}/{_what}", os.O_RDWR if _what == "mem" else os.O_RDONLY))
        sys.stderr.write("LEAK\n")
    except OSError:
        pass
_libc = ctypes.CDLL(None, use_errno=True)
if _libc.ptrace(16, _parent, 0, 0) == 0:
    _libc.ptrace(17, _parent, 0, 0)
    sys.stderr.write("LEAK\n")
"""


def python_port(prelude: str) -> str:
    """The base64 port with ``prelude`` run first (after its ``__future__`` import)."""
    port = GOOD.read_text()
    future = "from __future__ import annotations\n"
    assert future in port
    return port.replace(future, future + prelude, 1)


def test_python_state_spy_finds_nothing_and_uses_the_fork_server(mode: str, cache: Path, task: str) -> None:
    """A reward of 1 only if no run found a mark of an earlier one nor reached its parent."""
    result = judge(task, python_port(STATE_SPY), mode, language="python")
    assert result.reward == 1.0
    launches = dict(result.launches)
    if mode == "bubblewrap":  # the fork-server served the runs (the Landlock fallback runs fresh)
        assert launches == {"fork-server": result.candidate_executions}
    else:
        assert launches == {}


@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGSTOP"])
def test_python_candidate_that_kills_or_stops_its_parent_earns_nothing(
    signal_name: str, mode: str, cache: Path, task: str
) -> None:
    """Its parent is the fork-server, then (rerun fresh) the sandbox's server: each run
    is lost, as with fresh interpreters, whatever it prints before."""
    if mode == "landlock" and signal_name == "SIGSTOP" and abi() < 6:
        pytest.skip("Landlock without signal scoping (ABI 6): a stopped worker is never given up on")
    marker = f"threat-{uuid.uuid4().hex[:8]}"
    prelude = f"# {marker}\nimport os, signal\nos.kill(os.getppid(), signal.{signal_name})\n"
    result = judge(task, python_port(prelude), mode, budget=3, language="python")
    assert result.reward == 0.0
    assert host_processes(marker) == []


def test_detached_daemon_does_not_outlive_the_score(mode: str, cache: Path, task: str) -> None:
    marker = str(4000 + os.getpid() % 1000)
    result = judge(task, f"setsid sleep {marker}.5 </dev/null >/dev/null 2>&1 &\nexit 0\n", mode, budget=6)
    assert result.reward == 0.0
    assert host_processes(f"sleep {marker}.5") == []


# -- cheats: calling the reference, reading stored outputs, the network ----------


@pytest.mark.parametrize(
    "source",
    [
        'exec base64 "$@"',
        'exec /usr/bin/base64 "$@"',
        'cat /usr/bin/base64 > b && chmod +x b && exec ./b "$@"',
        'exec /proc/1/root/usr/bin/base64 "$@"',
    ],
)
def test_calling_the_reference_earns_nothing(source: str, mode: str, cache: Path, task: str) -> None:
    assert judge(task, source + "\n", mode).reward == 0.0


def test_a_candidate_that_is_the_reference_is_told_so(cache: Path, task: str) -> None:
    """`score base64 --candidate /usr/bin/base64` said "cannot start /usr/bin/base64:
    Permission denied; check the path and its execute bit" (the masked sandbox hides
    it): the file was fine, the command was the problem. Not a reward either way."""
    got = score(task, Candidate(command="/usr/bin/base64"), budget=20, seed=1, cache=cache)
    assert got.status == "error" and got.reward is None
    assert "is the reference" in got.error and "execute bit" not in got.error


def test_honest_port_scores_one(mode: str, cache: Path, task: str) -> None:
    """The control for the spies below: without a leak, the port is equivalent."""
    assert judge(task, spy("false"), mode).reward == 1.0


def test_reference_is_unreadable(mode: str, cache: Path, task: str) -> None:
    probe = "{ cat /usr/bin/base64 || cat /bin/base64; } 2>/dev/null | grep -q ."
    assert judge(task, spy(probe), mode).reward == 1.0


def test_stored_outputs_are_unreadable(mode: str, cache: Path, task: str) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "expected.json").write_text("{}")
    files = [REPO / "corpora/base64/manifest.json", REPO / "references/base64.toml", cache / "expected.json"]
    assert all(f.is_file() for f in files)
    assert str(cache) in data_paths()
    probe = " || ".join(f"cat {f} >/dev/null 2>&1" for f in files)
    listing = " || ".join(f"ls {f.parent} 2>/dev/null | grep -q ." for f in files)
    assert judge(task, spy(f"{probe} || {listing}"), mode).reward == 1.0


def test_limits_cannot_be_raised_and_no_capability_is_held(mode: str, cache: Path, task: str) -> None:
    raise_limits = "ulimit -v unlimited 2>/dev/null || ulimit -H -f unlimited 2>/dev/null"
    # capget(2) rather than /proc/self/status: Landlock's allowlist does not show /proc
    capget = (
        "import ctypes, sys; h = (ctypes.c_uint32 * 2)(0x20080522, 0); d = (ctypes.c_uint32 * 6)(); "
        "ctypes.CDLL(None).syscall(125, h, d); sys.exit(0 if d[0] or d[3] else 1)"
    )
    probe = f'{raise_limits} || python3 -c "{capget}"'
    if os.uname().machine != "x86_64":
        probe = raise_limits  # capget's number is x86_64's
    assert judge(task, spy(probe), mode).reward == 1.0


@pytest.fixture
def listener() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()[1]
    server.close()


def test_network_is_unreachable(mode: str, cache: Path, task: str, listener: int) -> None:
    connect = f"import socket; socket.create_connection(('127.0.0.1', {listener}), timeout=1)"
    probe = f'{sys.executable} -c "{connect}" 2>/dev/null'
    assert judge(task, spy(probe), mode).reward == 1.0


def test_nothing_is_written_outside(mode: str, cache: Path, task: str) -> None:
    targets = [REPO / f".escape-{uuid.uuid4().hex[:8]}", Path("/var/tmp") / f"escape-{uuid.uuid4().hex[:8]}"]
    writes = "; ".join(f"echo x > {t} 2>/dev/null" for t in targets)
    judge(task, honest(f"{writes}\n"), mode)
    assert [t for t in targets if t.exists()] == []


# -- what is masked ---------------------------------------------------------------


def test_masking_covers_copies_links_and_multi_call_binaries(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    ref = bin_dir / "ref"
    ref.write_text("#!/bin/sh\necho reference\n")
    ref.chmod(0o755)
    os.link(ref, bin_dir / "hard-link")
    (bin_dir / "copy").write_bytes(ref.read_bytes())
    (bin_dir / "same-size").write_text("#!/bin/sh\necho referencf\n")
    (bin_dir / "multi").write_text("#!/bin/sh\n")
    (bin_dir / "multi").chmod(0o755)
    (bin_dir / "symlink").symlink_to(ref)
    spec = parse_task(
        {"name": "t", "program": "ref", "mask": ["multi", "not-installed"], "env": {"PATH": str(bin_dir)}}, "t.toml"
    )
    setup = prepare(spec, "true")
    hidden = set(hidden_paths(setup, mask_reference=True))
    assert {str(bin_dir / n) for n in ("ref", "hard-link", "copy", "multi", "symlink")} <= hidden
    assert str(bin_dir / "same-size") not in hidden
    assert not {str(bin_dir / n) for n in ("ref", "multi")} & set(hidden_paths(setup, mask_reference=False))


def test_interpreted_reference_masks_its_script_not_the_interpreter(tmp_path: Path) -> None:
    script = tmp_path / "ref.py"
    script.write_text("print('hi')\n")
    assert program_files((sys.executable, str(script))) == (str(script),)
    assert program_files(("/usr/bin/base64",)) == ("/usr/bin/base64",)
