"""What a candidate leaves in its directories never reaches fuzzdiff as an exception
(issue 17, threats 4-7): trees of any depth, every mode bit, special files,
immutable files, a locked /tmp inside the sandbox, and floods of files or bytes,
which the working directory's snapshot records within fixed bounds."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import fuzzdiff.run.sandbox
from fuzzdiff.core import spec
from fuzzdiff.core.compare import differing_channels
from fuzzdiff.core.model import Case, Outcome, Program, Termination
from fuzzdiff.core.spec import CompareSpec, Limits
from fuzzdiff.oracle.scoring import Candidate, score
from fuzzdiff.run.execute import LocalExecutor
from fuzzdiff.run.sandbox import SandboxExecutor
from fuzzdiff.run.scratch import (
    DIGEST_ENTRIES,
    SCRATCH_PREFIX,
    SNAPSHOT_DEPTH,
    SNAPSHOT_ENTRIES,
    TRUNCATED,
    SnapshotBounds,
    remove_tree,
    snapshot,
    sweep_scratch,
)

from .helpers import file_content

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parent.parent
LIMITS = Limits(timeout=10.0, output_bytes=64 << 10, file_bytes=16 << 20)
DEPTH = 2000  # deeper than Python's recursion limit
#: A shell line that makes a directory DEPTH levels deep in one process.
DEEP = "mkdir -p " + "d/" * DEPTH
#: Everything clean-up must cope with, as a shell script run in the working directory.
LITTER = (
    f"{DEEP}; printf x > {'d/' * 50}f; "
    "mkdir -p locked/in; printf x > locked/in/f; chmod 000 locked/in locked; "
    "printf x > nothing; chmod 000 nothing; mkdir ro; printf x > ro/f; chmod 555 ro; "
    "mkfifo fifo; ln -s / root; ln -s /nonexistent dangling; "
    "python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind(\"sock\")'"
)


def sh(script: str) -> Program:
    return Program(argv=("/bin/sh", "-c", script, "prog"), argv0="prog")


def local(root: Path, limits: Limits = LIMITS) -> LocalExecutor:
    return LocalExecutor(dict(spec.DEFAULT_ENV), limits, root=str(root))


def same(a: Outcome, b: Outcome) -> bool:
    return differing_channels(a, b, CompareSpec()) == ()


@pytest.fixture
def sandbox() -> Iterator[SandboxExecutor]:
    if not fuzzdiff.run.sandbox.bwrap_available():
        pytest.skip("bubblewrap cannot start a sandbox here")
    with SandboxExecutor(dict(spec.DEFAULT_ENV), LIMITS) as executor:
        yield executor


def make_deep(base: Path, depth: int) -> None:
    """``base/d/d/.../d`` ``depth`` levels down, made through descriptors (the path
    is longer than PATH_MAX)."""
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        os.symlink("/", "up", dir_fd=fd)
        os.mkfifo("fifo", dir_fd=fd)
    finally:
        os.close(fd)


def litter(base: Path, canary: Path) -> None:
    """Every kind of hostile leftover under ``base``; links point at ``canary``."""
    make_deep(base, DEPTH)
    (base / "locked" / "in").mkdir(parents=True)
    (base / "locked" / "in" / "f").write_bytes(b"x")
    (base / "locked" / "in").chmod(0)
    (base / "locked").chmod(0)
    (base / "ro").mkdir()
    (base / "ro" / "f").write_bytes(b"x")
    (base / "ro").chmod(0o555)
    (base / "nothing").write_bytes(b"x")
    (base / "nothing").chmod(0)
    (base / "link").symlink_to(canary)
    os.mkfifo(base / "fifo")
    # bound by a relative path from base: a socket's path is limited to 107 bytes
    here = os.getcwd()
    os.chdir(base)
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind("sock")
    finally:
        os.chdir(here)


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    place = tmp_path / "canary"
    (place / "sub").mkdir(parents=True)
    (place / "sub" / "keep").write_bytes(b"k")
    place.chmod(0o755)
    return place


def canary_intact(place: Path) -> bool:
    return (place / "sub" / "keep").read_bytes() == b"k" and stat.S_IMODE(place.stat().st_mode) == 0o755


# -- removal (threats 4 and 5) -------------------------------------------------------


def test_remove_tree_removes_any_depth_mode_and_kind(tmp_path: Path, canary: Path) -> None:
    base = tmp_path / "base"
    base.mkdir()
    litter(base, canary)
    base.chmod(0)
    assert remove_tree(base) is True
    assert not base.exists()
    assert canary_intact(canary)


def in_child_as_nobody(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    """Run ``body`` (Python, with ``place`` an empty directory of its own) as an
    unprivileged user: root's capabilities would override every mode bit."""
    place = tmp_path / "nobody"  # in /dev/shm: the user must be able to reach it
    place.mkdir()
    os.chown(place, 65534, 65534)
    code = (  # everything is imported first: the interpreter may lie where nobody may read
        f"import os, sys\nsys.path.insert(0, {str(REPO)!r})\nfrom pathlib import Path\n"
        "from fuzzdiff.run.scratch import remove_tree\nos.setgid(65534)\nos.setuid(65534)\n"
        f"place = Path({str(place)!r})\n{body}"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)


def test_remove_tree_undoes_every_mode_bit_without_privileges(tmp_path: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("needs root to become another user")
    body = (
        "base = place / 'base'\n"
        "(base / 'a' / 'b').mkdir(parents=True)\n"
        "(base / 'a' / 'b' / 'f').write_bytes(b'x')\n"
        "(base / 'g').write_bytes(b'x')\n"
        "for mode, path in ((0, base / 'a' / 'b'), (0o100, base / 'a'), (0, base / 'g'), (0o500, base)):\n"
        "    path.chmod(mode)\n"
        "print(remove_tree(base), base.exists())\n"
    )
    shared = Path(tempfile.mkdtemp(prefix="fuzzdiff-test-", dir="/dev/shm"))
    try:
        shared.chmod(0o755)
        done = in_child_as_nobody(shared, body)
    finally:
        subprocess.run(["rm", "-rf", str(shared)], check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]


def test_stale_tree_of_an_earlier_run_is_swept_at_start(tmp_path: Path, canary: Path) -> None:
    """A dead run's directory (no lock held), as deep and locked as a candidate can
    make it, no longer stops every later campaign from starting."""
    root = tmp_path / "root"
    stale = root / f"{SCRATCH_PREFIX}stale"
    (stale / "work").mkdir(parents=True)
    litter(stale / "work", canary)
    stale.chmod(0)
    executor = local(root)
    assert not stale.exists()
    assert executor.run(sh("printf ok"), Case()).stdout == b"ok"
    assert list(root.iterdir()) == []
    assert canary_intact(canary)


@pytest.mark.parametrize("caged", [False, True], ids=["fresh", "caged"])
def test_local_run_leaves_nothing_whatever_it_litters(tmp_path: Path, caged: bool) -> None:
    from fuzzdiff.run.cage import ProcessCage

    root = tmp_path / "root"
    root.mkdir()
    cage = ProcessCage.create(LIMITS.processes) if caged else None
    if caged and cage is None:
        pytest.skip("no writable pids cgroup on this machine")
    executor = LocalExecutor(dict(spec.DEFAULT_ENV), LIMITS, root=str(root), cage=cage)
    try:
        outcome = executor.run(sh(LITTER + '; chmod 000 "$TMPDIR" .'), Case())
        assert outcome.termination is Termination.EXITED and outcome.exit_code == 0, outcome.stderr
        after = executor.run(sh('ls -A; ls -A "$TMPDIR"'), Case())
        assert after.stdout == b"" and after.files == ()
    finally:
        if cage is not None:
            cage.close()
    if not caged:
        assert list(root.iterdir()) == []


@pytest.fixture
def unpin(tmp_path: Path) -> Iterator[None]:
    """Clear immutable flags left by a failing test, so that pytest can remove its files."""
    yield
    subprocess.run(["chattr", "-R", "-ia", str(tmp_path)], capture_output=True, check=False)


def test_immutable_and_append_only_files_are_removed(tmp_path: Path, unpin: None) -> None:
    root = tmp_path / "root"
    root.mkdir()
    probe = root / "probe"
    probe.write_bytes(b"")
    if os.getuid() != 0 or subprocess.run(["chattr", "+i", str(probe)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i needs root and a file system that supports it")
    subprocess.run(["chattr", "-i", str(probe)], check=True)
    probe.unlink()
    script = "printf x > f; chattr +i f; mkdir -p d/e; printf x > d/e/g; chattr +a d/e; chattr +i d; chattr +i ."
    outcome = local(root).run(sh(script), Case())
    assert outcome.exit_code == 0, outcome.stderr
    assert list(root.iterdir()) == []


# -- the sandbox's wipe (threats 4-6) ----------------------------------------------------

LOOK = sh('find /tmp /dev/shm | sort; stat -c "%a %F %n" /tmp /dev/shm . "$TMPDIR"')


def test_sandbox_survives_litter_and_locked_scratch(sandbox: SandboxExecutor) -> None:
    pristine = sandbox.run(LOOK, Case())
    script = (
        f"{LITTER}; cd /tmp; {DEEP}; mkfifo /dev/shm/fifo; mkdir -p /dev/shm/x; chmod 0 /dev/shm/x; "
        "chmod 0555 /tmp; chmod 0 /dev/shm; echo done"
    )
    outcome = sandbox.run(sh(script), Case())
    # judged on what it did: its output, and its directory within the snapshot's bounds
    assert outcome.termination is Termination.EXITED and outcome.stdout == b"done\n", outcome.stderr
    names = dict(outcome.files)
    assert names[b"fifo"] == b"\x00special\x00" and names[b"root"] == b"\x00symlink\x00/"
    assert b"deeper than" in file_content(outcome, TRUNCATED)
    after = sandbox.run(LOOK, Case())
    assert after.stdout == pristine.stdout and after.stderr == pristine.stderr == b""
    assert sandbox.starts == 1  # cleaned up in place: no restart was needed


def test_sandbox_that_cannot_be_cleaned_is_replaced(sandbox: SandboxExecutor, tmp_path: Path) -> None:
    """A candidate under /tmp (bound in read-only) moves the directories leading to
    it: the wipe cannot restore them, so the sandbox is replaced, and the run that
    did it keeps its own outcome."""
    top = Path(*tmp_path.parts[:3])  # /tmp/<first level>, created by bubblewrap inside
    program = tmp_path / "prog.sh"
    program.write_text(f'#!/bin/sh\nmv {top} /tmp/moved && echo moved\necho "$@"\n')
    program.chmod(0o755)
    prog = Program(argv=(str(program),), argv0="prog")
    first = sandbox.run(prog, Case(argv=(b"one",)))
    assert first.termination is Termination.EXITED and first.stdout == b"moved\none\n", first.stderr
    assert sandbox.starts == 1 and sandbox._sock is None and sandbox.lost == 0  # stopped, not lost
    second = sandbox.run(prog, Case(argv=(b"two",)))
    assert second.stdout == b"moved\ntwo\n", second.stderr  # a fresh sandbox, where it could start again
    assert sandbox.run(sh("echo ok"), Case()).stdout == b"ok\n"
    assert sandbox.starts == 3 and sandbox.lost == 0


# -- bounded snapshots (threat 7) -------------------------------------------------------


@pytest.fixture
def shm() -> Iterator[Path]:
    """A root in /dev/shm, where plain runs make their directories by default."""
    if not os.access("/dev/shm", os.W_OK):
        pytest.skip("no writable /dev/shm")
    root = Path(tempfile.mkdtemp(prefix="fuzzdiff-test-", dir="/dev/shm"))
    yield root
    subprocess.run(["rm", "-rf", str(root)], check=False)


def test_sparse_files_are_recorded_within_the_byte_bounds(tmp_path: Path) -> None:
    script = 'i=0; while [ $i -lt 100 ]; do truncate -s "$1" "f$i"; i=$((i+1)); done'
    bounds = SnapshotBounds.of(LIMITS)
    executor = local(tmp_path)
    big = executor.run(sh(script), Case(argv=(b"16M",)))
    assert big.exit_code == 0, big.stderr
    assert big.size() <= bounds.total_bytes + 4096  # the note besides what the bounds allow
    notes = file_content(big, TRUNCATED).split(b"\n")
    assert notes[0] == b"f0: 16777216 bytes, the first %d kept" % bounds.file_bytes
    assert notes[-2].startswith(b"more than %d bytes" % bounds.total_bytes)
    assert notes[-1].startswith(b"the whole tree: 100 entries, sha256 ")  # lengths past the bytes read
    again = executor.run(sh(script), Case(argv=(b"16M",)))
    assert again.files == big.files and same(big, again)
    smaller = executor.run(sh(script), Case(argv=(b"15M",)))
    assert not same(big, smaller)  # exceeded otherwise: told apart


def test_many_files_are_bounded_and_independent_of_creation_order(shm: Path) -> None:
    """On tmpfs a directory lists in reverse order of creation: what is recorded
    must not depend on it."""
    many = SNAPSHOT_ENTRIES + 500
    forward = f"mkdir a; cd a; seq 1 {many} | xargs touch; cd ..; echo x > b"
    backward = f"mkdir a; cd a; seq {many} -1 1 | xargs touch; cd ..; echo x > b"
    executor = local(shm)
    one = executor.run(sh(forward), Case())
    two = executor.run(sh(backward), Case())
    assert one.files == two.files and same(one, two)
    note = file_content(one, TRUNCATED).split(b"\n")
    assert dict(one.files) == {TRUNCATED: b"\n".join(note), b"a": None, b"b": b"x\n"}
    assert note[0] == b"more than %d entries: a/ not listed" % SNAPSHOT_ENTRIES
    assert note[1].startswith(b"the whole tree: %d entries, sha256 " % (many + 2))
    fewer = executor.run(sh(f"mkdir a; cd a; seq 1 {SNAPSHOT_ENTRIES - 10} | xargs touch; cd ..; echo x > b"), Case())
    assert not same(one, fewer) and TRUNCATED not in dict(fewer.files)


def test_a_change_past_the_entry_bound_still_tells_runs_apart(shm: Path) -> None:
    """The walk stops at the entry bound; the note's digest of the whole tree does
    not. A candidate that gets one of 1,500 files wrong (or drops one, or leaves
    its own beside them, or writes a later directory wrongly) is told apart from
    one that gets them all right; two runs leaving the same tree agree."""
    many = SNAPSHOT_ENTRIES + 500
    make = f"mkdir a; cd a; seq 1 {many} | xargs touch; cd ..; mkdir z; echo x > z/b"
    executor = local(shm)
    right = executor.run(sh(make), Case())
    assert right.exit_code == 0, right.stderr
    assert same(right, executor.run(sh(make), Case()))
    for wrong in ("echo y > a/1400", "rm a/7", "touch a/extra", "echo y > z/b", "chmod 600 a/3; rm a/3; ln -s 1 a/3"):
        outcome = executor.run(sh(f"{make}; {wrong}"), Case())
        assert not same(right, outcome), wrong


def test_the_digest_past_the_bound_reads_the_run_s_own_paths_as_placeholders(tmp_path: Path) -> None:
    """A run's directory has a new name each time; the entries recorded show it as
    a placeholder, and the whole tree's digest must too: a file holding ``pwd``,
    or a link to an absolute path in it, past the entry bound made the same
    program differ from itself outside a sandbox (found by a review)."""
    make = f'mkdir a; cd a; seq 1 {SNAPSHOT_ENTRIES + 100} | xargs touch; pwd > 5; ln -s "$PWD/1" z'
    executor = local(tmp_path)
    one, two = executor.run(sh(make), Case()), executor.run(sh(make), Case())
    assert one.exit_code == 0, one.stderr
    assert b"sha256" in file_content(one, TRUNCATED) and same(one, two)
    other = executor.run(sh(make.replace("pwd > 5", "echo /elsewhere > 5")), Case())
    assert not same(one, other)


def test_hundred_thousand_files_cost_one_entry(shm: Path) -> None:
    code = "for i in range(100000): open(f'f{i}', 'w').close()"
    limits = Limits(timeout=60.0, output_bytes=64 << 10)
    outcome = local(shm, limits).run(Program(argv=(sys.executable, "-c", code), argv0="python3"), Case())
    assert outcome.exit_code == 0, outcome.stderr
    note = b"more than %d entries: ./ not listed\nthe whole tree: more than %d entries, no digest"
    assert outcome.files == ((TRUNCATED, note % (SNAPSHOT_ENTRIES, DIGEST_ENTRIES)),)
    assert list(shm.iterdir()) == []


def test_deep_tree_is_recorded_to_the_depth_bound(tmp_path: Path) -> None:
    outcome = local(tmp_path).run(sh(DEEP), Case())
    assert outcome.exit_code == 0, outcome.stderr
    names = [name for name, _ in outcome.files if name != TRUNCATED]
    assert names == [b"/".join([b"d"] * n) for n in range(1, SNAPSHOT_DEPTH + 1)]
    assert dict(outcome.files)[TRUNCATED] == b"directories deeper than %d levels not listed" % SNAPSHOT_DEPTH
    shallow = local(tmp_path).run(sh("mkdir -p " + "d/" * SNAPSHOT_DEPTH), Case())
    assert TRUNCATED not in dict(shallow.files)


def test_snapshot_of_an_ordinary_directory_is_complete(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c").write_bytes(b"deep")
    (tmp_path / "f").write_bytes(b"x" * 1000)
    (tmp_path / "l").symlink_to("f")
    assert snapshot(tmp_path) == (
        (b"a", None),
        (b"a/b", None),
        (b"a/b/c", b"deep"),
        (b"f", b"x" * 1000),
        (b"l", b"\x00symlink\x00f"),
    )


# -- through the oracle and the command line --------------------------------------------


@pytest.fixture
def task(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FUZZDIFF_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "base64.toml"
    path.write_text((REPO / "references" / "base64.toml").read_text() + "\n[limits]\ntimeout = 5.0\n")
    return str(path)


#: Python the candidates below run before the base64 port: a tree 2,000 deep, locked
#: directories and special files, in ``HERE``; ``LOCK`` then runs.
LITTER_PY = """
def _litter():
    import os, socket
    os.makedirs(HERE, exist_ok=True)
    fd = os.open(HERE, os.O_RDONLY)
    for _ in range(2000):
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    os.close(fd)
    os.makedirs(HERE + "/locked/in")
    os.chmod(HERE + "/locked/in", 0)
    os.chmod(HERE + "/locked", 0)
    os.mkfifo(HERE + "/fifo")
    socket.socket(socket.AF_UNIX).bind(HERE + "/sock")
    LOCK
"""


def littering_port(here: str, lock: str = "pass") -> str:
    """The base64 port (examples/base64/good.py), littering ``here`` first."""
    port = (REPO / "examples" / "base64" / "good.py").read_text()
    start = 'if __name__ == "__main__":\n    main()\n'
    assert port.endswith(start)
    litter = LITTER_PY.replace("HERE", repr(here)).replace("LOCK", lock)
    return port[: -len(start)] + litter + 'if __name__ == "__main__":\n    _litter()\n    main()\n'


@pytest.mark.parametrize(
    ("source", "reward"),
    [
        (littering_port("/tmp/x", "os.chmod('/tmp', 0o555); os.chmod('/dev/shm', 0)"), 1.0),
        (littering_port("."), 0.0),
    ],
    ids=["litters-and-locks-scratch", "litters-workdir"],
)
def test_oracle_scores_a_littering_candidate(task: str, source: str, reward: float) -> None:
    """Judged on what it did: an honest port whatever it left in /tmp, a divergent
    one when it left the tree in its working directory; never an error."""
    if not fuzzdiff.run.sandbox.bwrap_available():
        pytest.skip("outside bubblewrap these candidates would lock the host's /tmp")
    result = score(task, Candidate(source=source, language="python"), budget=8, seed=5, use_pool=False)
    assert result.status == "ok", result.error
    assert result.reward == reward, result.feedback


FUZZ_FLAGS = ("--budget", "12", "--seed", "1", "--jobs", "1", "--json")


def test_cli_campaign_survives_litter_and_a_stale_tree(tmp_path: Path, canary: Path, shm: Path) -> None:
    # in /dev/shm, where runs go by default: on the disk under tmp_path the 2000-deep
    # trees of its 40-odd runs took 70 s, and 6 here
    root = shm / "scratch"
    stale = root / f"{SCRATCH_PREFIX}stale" / "work"
    stale.mkdir(parents=True)
    litter(stale, canary)
    candidate = tmp_path / "cand.sh"
    candidate.write_text(f'#!/bin/sh\nbase64 "$@"; status=$?\n({LITTER}) 2>/dev/null\nexit $status\n')
    candidate.chmod(0o755)
    done = subprocess.run(
        [sys.executable, "-m", "fuzzdiff", "fuzz", "base64", "--candidate", str(candidate), *FUZZ_FLAGS],
        capture_output=True,
        text=True,
        timeout=280,
        env={**os.environ, "FUZZDIFF_TMPDIR": str(root), "XDG_DATA_HOME": str(tmp_path / "data")},
        check=False,
    )
    assert done.returncode == 1, done.stderr  # divergent: the litter is in the files channel
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    assert report["verdict"] == "divergent"
    assert "files" in report["counterexample"]["channels"]
    # the stale tree went at start; the workers' kept directories hold nothing, and
    # go with the next sweep (their creators are gone)
    kept = len(os.listdir(root))
    assert sorted(p.name for p in root.glob("*/*")) == ["tmp"] * kept + ["work"] * kept
    assert not any(root.glob("*/*/*"))
    assert sweep_scratch(str(root)) == kept and list(root.iterdir()) == []
    assert canary_intact(canary)


@pytest.mark.skipif(os.geteuid() != 0, reason="capabilities matter to root only")
def test_a_run_leaves_the_same_outcome_with_or_without_fuzzdiffs_capabilities(tmp_path: Path) -> None:
    """`corpus record` and `check_case` ran programs in a process that kept root's
    capabilities, campaign workers in one that holds none: chmod -R went into a
    directory it had made mode 000 in the one and not the other, and the snapshot
    listed it in one and not the other. The shipped chmod corpus failed against
    chmod itself in `replay`."""
    import multiprocessing

    from fuzzdiff.run.landlock import shed_capabilities

    program = sh("mkdir -p d/e; printf x > d/e/f; chmod -v -R 000 d; printf y > g; chmod 000 g; echo done")
    kept = local(tmp_path / "kept")
    kept.confine = shed_capabilities  # as `corpus record` and `check_case` run it now
    (tmp_path / "kept").mkdir()
    (tmp_path / "none").mkdir()
    with_caps = kept.run(program, Case())
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1, initializer=shed_capabilities) as pool:  # a worker, as campaigns have
        without = pool.apply(local(tmp_path / "none").run, (program, Case()))
    assert same(with_caps, without), (with_caps, without)
    assert (dict(with_caps.files).get(b"g") or b"").startswith(b"\x00unreadable\x00")  # not its content


@pytest.mark.parametrize("sandbox", ["--sandbox", "--no-sandbox"])
def test_a_scorer_killed_midway_leaves_only_what_the_next_one_sweeps(tmp_path: Path, sandbox: str) -> None:
    """A training loop kills a reward call that takes too long (``kill -9``, no
    clean-up). Every directory it had made (the candidate's source, the sides'
    roots and run directories) is one the next fuzzdiff process sweeps; before,
    each killed score left a ``fuzzdiff-candidate-*`` in /var/tmp for good."""
    staging, shm = tmp_path / "staging", tmp_path / "shm"
    staging.mkdir()
    shm.mkdir()
    source = REPO / "solutions" / "wc.py"
    env = {**os.environ, "FUZZDIFF_STAGING": str(staging), "FUZZDIFF_TMPDIR": str(shm)}
    env["XDG_CACHE_HOME"] = env["XDG_DATA_HOME"] = str(tmp_path / "home")
    argv = [sys.executable, "-m", "fuzzdiff", "score", "wc", "-c", f"python3 {source}", "--budget", "100000"]
    scorer = subprocess.Popen(
        [*argv, "--jobs", "2", sandbox],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # killed once its workers run cases (or it ended: then the test says why)
        wanted = (lambda: any(shm.iterdir())) if sandbox == "--no-sandbox" else (lambda: any(staging.iterdir()))
        while not wanted() and scorer.poll() is None:
            time.sleep(0.2)
        time.sleep(2)
        assert scorer.poll() is None, scorer.stderr.read() if scorer.stderr else ""
    finally:
        os.killpg(scorer.pid, signal.SIGKILL)
        scorer.wait()
    left = [p.name for root in (staging, shm) for p in root.iterdir()]
    assert any(name.startswith(f"{SCRATCH_PREFIX}candidate-") for name in left), left
    assert all(name.startswith(SCRATCH_PREFIX) for name in left), left
    # the killed workers may take a moment to die and drop their locks
    sweep = (
        f"from fuzzdiff.run.scratch import sweep_scratch; sweep_scratch({str(staging)!r}); sweep_scratch({str(shm)!r})"
    )
    for _ in range(100):
        subprocess.run([sys.executable, "-c", sweep], check=True, env=env)
        if not any(staging.iterdir()) and not any(shm.iterdir()):
            break
        time.sleep(0.2)
    assert [p.name for root in (staging, shm) for p in root.iterdir()] == []


def test_a_private_directory_is_swept_only_once_its_maker_is_gone(tmp_path: Path) -> None:
    from fuzzdiff.run.scratch import private_dir, remove_private

    mine = private_dir("slot", str(tmp_path))
    made = "from fuzzdiff.run.scratch import private_dir; import sys; print(private_dir('side', sys.argv[1]))"
    theirs = Path(
        subprocess.run(
            [sys.executable, "-c", made, str(tmp_path)], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    assert theirs.is_dir() and theirs.name.startswith(f"{SCRATCH_PREFIX}side-")
    # another process's sweep keeps the live one and removes the one whose maker exited
    sweep = "from fuzzdiff.run.scratch import sweep_scratch; import sys; print(sweep_scratch(sys.argv[1]))"
    swept = subprocess.run([sys.executable, "-c", sweep, str(tmp_path)], capture_output=True, text=True, check=True)
    assert swept.stdout.strip() == "1"
    assert [p.name for p in tmp_path.iterdir()] == [mine.name]
    assert remove_private(mine) and list(tmp_path.iterdir()) == []


def test_a_scorer_ended_by_sigterm_cleans_up_after_itself(tmp_path: Path) -> None:
    """SIGTERM (a timeout's first word) killed Python at once, leaving the scored
    candidate's source in /var/tmp for the next process's sweep; it now ends the
    process as an exit does, status 143, and what it made is removed."""
    staging, shm = tmp_path / "staging", tmp_path / "shm"
    staging.mkdir()
    shm.mkdir()
    env = {**os.environ, "FUZZDIFF_STAGING": str(staging), "FUZZDIFF_TMPDIR": str(shm)}
    env["XDG_CACHE_HOME"] = env["XDG_DATA_HOME"] = str(tmp_path / "home")
    source = REPO / "solutions" / "wc.py"
    argv = [sys.executable, "-m", "fuzzdiff", "score", "wc", "-c", f"python3 {source}", "--budget", "100000"]
    scorer = subprocess.Popen(
        [*argv, "--jobs", "1", "--no-sandbox"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        while not any(shm.iterdir()) and scorer.poll() is None:
            time.sleep(0.2)
        time.sleep(1)
        scorer.send_signal(signal.SIGTERM)
        assert scorer.wait(timeout=60) == 128 + signal.SIGTERM, scorer.stderr.read() if scorer.stderr else ""
    finally:
        if scorer.poll() is None:
            scorer.kill()
    assert [p.name for p in staging.iterdir()] == []
    # the workers' kept run directories stay, empty, for the next sweep, as after any exit
    assert not any(shm.glob("*/*/*"))
