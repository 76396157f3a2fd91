"""The reference cache cannot be poisoned: an entry that was edited, truncated,
copied from another cache, written for another reference binary or another
case, or replaced by something that is not a file is never used; the reference
runs again and its fresh outcome replaces the entry. The key is created once,
even by racing processes, with the documented mode."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fuzzdiff.store.refcache as refcache
from fuzzdiff.core.model import Case, Outcome, Program, Termination
from fuzzdiff.core.spec import TaskSpec, parse_task
from fuzzdiff.oracle.scoring import Candidate, Score, score

from .helpers import SIMPLE_TASK, cases, outcomes

REPO = Path(__file__).resolve().parent.parent
GOOD = REPO / "examples" / "base64" / "good.py"
CASE = Case(argv=(b"-a",), stdin=b"some input\n")
OTHER_CASE = Case(argv=(b"-n", b"3"), stdin=b"other\n")
OUTCOME = Outcome(Termination.EXITED, 0, None, b"the reference's output\n", b"")


@pytest.fixture
def task_spec() -> TaskSpec:
    return parse_task(SIMPLE_TASK, "<test>")


def make_reference(where: Path, content: str = "#!/bin/sh\necho one\n") -> Program:
    where.mkdir(parents=True, exist_ok=True)
    path = where / "tool"
    path.write_text(content)
    path.chmod(0o755)
    return Program(argv=(str(path),), argv0="tool")


def entry_file(cache: refcache.DiskReferenceCache, case: Case) -> Path:
    """The one file that holds ``case``'s entry."""
    (found,) = [p for p in cache.path.rglob(f"{case.key()}*") if not p.name.startswith(".")]
    return found


def rewrite_outcome(path: Path, **changes: object) -> None:
    """Edit the JSON outcome inside an entry in place, leaving anything before it
    (a header, a MAC) as it was: what a process that can write the cache but does
    not know its key does."""
    data = path.read_bytes()
    start = data.index(b"{")
    doc = json.loads(data[start:])
    doc.update(changes)
    path.write_bytes(data[:start] + json.dumps(doc, sort_keys=True).encode())


def test_put_then_get_after_reopening(tmp_path: Path, task_spec: TaskSpec) -> None:
    reference = make_reference(tmp_path / "bin")
    refcache.DiskReferenceCache(task_spec, reference, tmp_path / "cache").put(CASE, OUTCOME)
    again = refcache.DiskReferenceCache(task_spec, reference, tmp_path / "cache")
    assert again.get(CASE) == OUTCOME
    assert again.get(OTHER_CASE) is None
    assert (again.counts["hits"], again.counts["misses"], again.counts["rejected"]) == (1, 1, 0)


@pytest.mark.parametrize("damage", ["edit outcome", "truncate", "flip a byte", "empty"])
def test_damaged_entry_is_ignored_counted_and_overwritten(damage: str, tmp_path: Path, task_spec: TaskSpec) -> None:
    reference = make_reference(tmp_path / "bin")
    cache = refcache.DiskReferenceCache(task_spec, reference, tmp_path / "cache")
    cache.put(CASE, OUTCOME)
    path = entry_file(cache, CASE)
    data = path.read_bytes()
    if damage == "edit outcome":
        rewrite_outcome(path, stdout="forged\n")
    elif damage == "truncate":
        path.write_bytes(data[: len(data) - 10])
    elif damage == "flip a byte":
        at = data.index(b"reference's")
        path.write_bytes(data[:at] + b"R" + data[at + 1 :])
    else:
        path.write_bytes(b"")
    assert cache.get(CASE) is None
    assert cache.counts["rejected"] == 1
    fresh = dataclasses.replace(OUTCOME, stdout=b"recomputed\n")
    cache.put(CASE, fresh)
    assert refcache.DiskReferenceCache(task_spec, reference, tmp_path / "cache").get(CASE) == fresh


def transplant(case: Case, source: refcache.DiskReferenceCache, target: refcache.DiskReferenceCache) -> None:
    """Copy ``case``'s entry file from one cache into the same place of another."""
    entry = entry_file(source, case)
    copy = target.path / entry.relative_to(source.path)
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(entry, copy)


def test_entry_copied_from_another_cache_is_not_used(tmp_path: Path, task_spec: TaskSpec) -> None:
    reference = make_reference(tmp_path / "bin")
    ours = refcache.DiskReferenceCache(task_spec, reference, tmp_path / "ours")
    theirs = refcache.DiskReferenceCache(task_spec, reference, tmp_path / "theirs")
    assert ours.path.name == theirs.path.name  # same reference and task: the same namespace
    theirs.put(CASE, dataclasses.replace(OUTCOME, stdout=b"from elsewhere\n"))
    transplant(CASE, theirs, ours)
    assert ours.get(CASE) is None
    assert ours.counts["rejected"] == 1


def test_entry_of_another_reference_binary_is_not_used(tmp_path: Path, task_spec: TaskSpec) -> None:
    """Same path, same name, other content: the old binary's entries, moved into
    the new binary's namespace, do not verify there."""
    root = tmp_path / "cache"
    old = refcache.DiskReferenceCache(task_spec, make_reference(tmp_path / "bin", "#!/bin/sh\necho old\n"), root)
    old.put(CASE, OUTCOME)
    new = refcache.DiskReferenceCache(task_spec, make_reference(tmp_path / "bin", "#!/bin/sh\necho new\n"), root)
    assert new.path != old.path
    transplant(CASE, old, new)
    assert new.get(CASE) is None
    assert new.counts["rejected"] == 1


def test_entry_of_another_case_is_not_used(tmp_path: Path, task_spec: TaskSpec) -> None:
    cache = refcache.DiskReferenceCache(task_spec, make_reference(tmp_path / "bin"), tmp_path / "cache")
    cache.put(CASE, OUTCOME)
    cache.put(OTHER_CASE, dataclasses.replace(OUTCOME, exit_code=1))
    shutil.copy(entry_file(cache, CASE), entry_file(cache, OTHER_CASE))
    assert cache.get(OTHER_CASE) is None
    assert cache.counts["rejected"] == 1


@pytest.mark.timeout(20)
@pytest.mark.parametrize("plant", ["fifo", "link", "directory"])
def test_planted_non_entry_is_not_read(plant: str, tmp_path: Path, task_spec: TaskSpec) -> None:
    """A FIFO (which would block a reader), a link to an entry, or a directory
    where an entry belongs: a rejected lookup, never a hang or a crash."""
    cache = refcache.DiskReferenceCache(task_spec, make_reference(tmp_path / "bin"), tmp_path / "cache")
    cache.put(CASE, OUTCOME)
    cache.put(OTHER_CASE, OUTCOME)
    path = entry_file(cache, OTHER_CASE)
    path.unlink()
    if plant == "fifo":
        os.mkfifo(path)
    elif plant == "link":
        path.symlink_to(entry_file(cache, CASE))  # verifies as CASE's entry, but it is not this file
    else:
        path.mkdir()
    assert cache.get(OTHER_CASE) is None
    assert cache.counts["rejected"] == 1
    assert cache.get(CASE) == OUTCOME


# -- (d) property: what is stored comes back --

_ROOT = Path(tempfile.mkdtemp(prefix="fuzzdiff-test-refcache-"))


@pytest.fixture(scope="module")
def shared_cache() -> Iterator[refcache.DiskReferenceCache]:
    spec = parse_task(SIMPLE_TASK, "<test>")
    yield refcache.DiskReferenceCache(spec, make_reference(_ROOT / "bin"), _ROOT / "cache")
    shutil.rmtree(_ROOT, ignore_errors=True)


@settings(max_examples=80, deadline=None)
@given(case=cases, outcome=outcomes, resources=st.tuples(st.floats(0, 9), st.integers(0, 1 << 20)))
def test_put_then_get_returns_the_outcome(
    shared_cache: refcache.DiskReferenceCache, case: Case, outcome: Outcome, resources: tuple[float, int]
) -> None:
    cpu, rss = resources
    shared_cache.put(case, dataclasses.replace(outcome, cpu_seconds=cpu, max_rss_kb=rss, wall_seconds=cpu))
    assert shared_cache.get(case) == outcome  # resource figures are not stored


# -- (e) the key --

RACE = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from fuzzdiff.store.refcache import load_key
    root, sync = Path(sys.argv[1]), Path(sys.argv[2])
    (sync / f"ready-{os.getpid()}").touch()
    while not (sync / "go").exists():
        pass
    print(load_key(root).hex())
    """
)


def documented_mode() -> int:
    """0o000 for root (which has CAP_DAC_OVERRIDE in these tests), else 0o400."""
    return 0o000 if os.geteuid() == 0 else 0o400


def test_key_is_created_once_by_racing_processes_with_the_documented_mode(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for attempt in range(8):
        root, sync = tmp_path / f"cache{attempt}", tmp_path / f"sync{attempt}"
        sync.mkdir()
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", RACE, str(root), str(sync)], stdout=subprocess.PIPE, env=env, text=True
            )
            for _ in range(2)
        ]
        deadline = time.monotonic() + 60
        while len(list(sync.glob("ready-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        (sync / "go").touch()  # both have imported fuzzdiff and spin: they reach the key together
        keys = {proc.communicate(timeout=30)[0].strip() for proc in procs}
        assert all(proc.returncode == 0 for proc in procs)
        (key,) = keys
        assert len(bytes.fromhex(key)) == refcache.KEY_BYTES
        assert sorted(p.name for p in root.iterdir()) == ["key"]  # no temporary file left
        st = (root / "key").stat()
        assert (st.st_mode & 0o777, st.st_uid, st.st_nlink) == (documented_mode(), refcache.key_owner(), 1)
        assert refcache.load_key(root).hex() == key  # created once: later opens read the same key


def test_key_survives_and_is_shared_across_processes(tmp_path: Path, task_spec: TaskSpec) -> None:
    reference = make_reference(tmp_path / "bin")
    refcache.DiskReferenceCache(task_spec, reference, tmp_path / "cache").put(CASE, OUTCOME)
    first = refcache.load_key(tmp_path / "cache")
    assert refcache.load_key(tmp_path / "cache") == first
    code = (
        "import sys; from pathlib import Path; from fuzzdiff.store.refcache import load_key; "
        "print(load_key(Path(sys.argv[1])).hex())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert bytes.fromhex(out.stdout.strip()) == first


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (capabilities, chown)")


#: Runs as a root process without capabilities (a plain-mode candidate): tries to
#: read and chmod the key, then swaps in a key of its own (to sign forged entries with).
FORGER = textwrap.dedent(
    """
    import hashlib, hmac, os, sys
    from pathlib import Path
    from fuzzdiff.run.landlock import drop_capabilities
    drop_capabilities()
    root = Path(sys.argv[1])
    for attempt in (lambda: open(root / "key", "rb").read(), lambda: os.chmod(root / "key", 0o400)):
        try:
            attempt()
            print("reached")
        except PermissionError:
            print("denied")
    mine = b"k" * 32
    os.unlink(root / "key")
    (root / "key").write_bytes(mine)
    os.chmod(root / "key", 0o000)
    print("swapped")  # entries it signs with its key would verify only while its key is used
    """
)


@needs_root
def test_a_process_without_capabilities_cannot_read_chmod_or_replace_the_key(
    tmp_path: Path, task_spec: TaskSpec
) -> None:
    """Root's key belongs to nobody with mode 0o000: a root process without
    capabilities (a plain-mode candidate) can neither read nor chmod it, and a key
    it swaps in (owned by root, since it cannot chown) is not trusted: replaced,
    and every entry recomputed."""
    reference = make_reference(tmp_path / "bin")
    root = tmp_path / "cache"
    cache = refcache.DiskReferenceCache(task_spec, reference, root)
    cache.put(CASE, OUTCOME)
    key = refcache.load_key(root)
    assert (root / "key").stat().st_uid == refcache.KEY_OWNER_WITH_CAPABILITIES
    out = subprocess.run(
        [sys.executable, "-c", FORGER, str(root)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert out.stdout.split() == ["denied", "denied", "swapped"]
    assert (root / "key").stat().st_uid == 0  # the forger's key
    reopened = refcache.DiskReferenceCache(task_spec, reference, root)
    assert reopened.disabled is None
    assert refcache.load_key(root) not in (key, b"k" * 32)  # replaced by a fresh key of nobody's
    assert (root / "key").stat().st_uid == refcache.KEY_OWNER_WITH_CAPABILITIES
    assert reopened.get(CASE) is None  # signed under a key the forger may have known: recomputed


@needs_root
def test_key_of_another_user_turns_the_cache_off(tmp_path: Path, task_spec: TaskSpec) -> None:
    reference = make_reference(tmp_path / "bin")
    theirs = refcache.DiskReferenceCache(task_spec, reference, tmp_path / "cache")
    theirs.put(CASE, OUTCOME)
    os.chown(tmp_path / "cache" / "key", 4242, 4242)
    cache = refcache.DiskReferenceCache(task_spec, reference, tmp_path / "cache")
    assert cache.disabled is not None and "4242" in cache.disabled
    assert cache.get(CASE) is None
    cache.put(OTHER_CASE, OUTCOME)
    assert not list(cache.path.rglob(f"{OTHER_CASE.key()}*"))
    assert (tmp_path / "cache" / "key").stat().st_uid == 4242  # left alone: it is not ours


@pytest.mark.parametrize("exposure", ["group-readable", "wrong size", "symbolic link"])
def test_exposed_or_damaged_key_is_replaced(exposure: str, tmp_path: Path, task_spec: TaskSpec) -> None:
    reference = make_reference(tmp_path / "bin")
    root = tmp_path / "cache"
    refcache.DiskReferenceCache(task_spec, reference, root).put(CASE, OUTCOME)
    key = root / "key"
    old = refcache.load_key(root)
    if exposure == "group-readable":
        key.chmod(0o440)
    elif exposure == "wrong size":
        key.chmod(0o600)
        key.write_bytes(old[:16])
        key.chmod(documented_mode())
    else:
        key.rename(tmp_path / "elsewhere")
        key.symlink_to(tmp_path / "elsewhere")
    cache = refcache.DiskReferenceCache(task_spec, reference, root)
    assert cache.disabled is None
    assert refcache.load_key(root) != old
    assert key.is_file() and not key.is_symlink() and key.stat().st_mode & 0o777 == documented_mode()
    assert cache.get(CASE) is None  # signed with a key others may know: recomputed
    assert cache.counts["rejected"] == 1


def test_cache_root_and_entries_are_private(tmp_path: Path, task_spec: TaskSpec) -> None:
    cache = refcache.DiskReferenceCache(task_spec, make_reference(tmp_path / "bin"), tmp_path / "a" / "cache")
    cache.put(CASE, OUTCOME)
    entry = entry_file(cache, CASE)
    for directory in (tmp_path / "a", tmp_path / "a" / "cache", cache.path.parent, cache.path, entry.parent):
        assert directory.stat().st_mode & 0o077 == 0, directory
    assert entry.stat().st_mode & 0o077 == 0


# -- (a) end to end: a poisoned cache does not make a cheat score --


@pytest.mark.e2e
@pytest.mark.timeout(240)
def test_tampered_cache_gives_a_cheat_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that can write the cache (a candidate once run unsandboxed)
    rewrote every reference outcome to what its cheat prints. The next scores
    ignore those entries, run the reference again and put its outcomes back."""
    root = tmp_path / "cache"
    monkeypatch.setenv("FUZZDIFF_CACHE", str(root))

    def judge(candidate: Candidate) -> Score:
        return score("base64", candidate, budget=12, seed=3, use_pool=False, jobs=1)

    port = Candidate(source=GOOD.read_text(), language="python")
    first = judge(port)
    assert (first.status, first.reward) == ("ok", 1.0), first.feedback
    entries = [p for p in (root / "reference").rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert entries
    for path in entries:
        rewrite_outcome(path, stdout="CHEAT\n", stderr="", exit_code=0, exit="exit:0", termination="exited")
    cheat = judge(Candidate(source="printf 'CHEAT\\n'\n", language="shell"))
    assert (cheat.status, cheat.reward) == ("ok", 0.0), cheat.feedback
    assert cheat.reference_executions > 0
    honest = judge(port)
    assert (honest.status, honest.reward) == ("ok", 1.0), honest.feedback
    assert not any(b"CHEAT" in p.read_bytes() for p in entries if p.exists())


def test_sandboxed_and_plain_scores_keep_their_reference_outcomes_apart(task_spec: TaskSpec, tmp_path: Path) -> None:
    """A sandbox shows the reference another host name and parent directory: a
    plain score's cached `stat .` made an honest sandboxed one inconclusive."""
    reference = make_reference(tmp_path / "bin")
    refcache.DiskReferenceCache(task_spec, reference, tmp_path / "cache", "plain").put(CASE, OUTCOME)
    assert refcache.DiskReferenceCache(task_spec, reference, tmp_path / "cache", "plain").get(CASE) == OUTCOME
    assert refcache.DiskReferenceCache(task_spec, reference, tmp_path / "cache", "sandbox").get(CASE) is None
