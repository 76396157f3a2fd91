"""The pids cgroup's quick check after each run: ``alone`` may say True only when
nothing but the worker is in the cage, and the sweep still kills what escaped."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from fuzzdiff.run.cage import ProcessCage

# Run in a fresh, single-threaded interpreter: the cage takes in every thread of
# the process that makes it, and a test runner may have threads of its own.
PROBE = textwrap.dedent(
    """
    import os, subprocess, time
    from fuzzdiff.run.cage import ProcessCage

    cage = ProcessCage.create(8)
    seen = [cage.alone()]
    child = subprocess.Popen(["sleep", "30"])
    seen.append(cage.alone())  # running
    child.kill()
    time.sleep(0.2)
    seen.append(cage.alone())  # dead but not reaped: still counted
    child.wait()
    seen.append(cage.alone())
    daemon = subprocess.Popen(["setsid", "sleep", "31"], start_new_session=True)
    time.sleep(0.2)
    seen.append(cage.alone())
    killed = cage.sweep()  # an orphan: its zombie may be counted until init reaps it
    left = cage.members()
    cage.close()
    print(seen, killed, left == [os.getpid()])
    """
)


def test_alone_only_when_nothing_else_is_in_the_cage() -> None:
    probe = ProcessCage.create(4)
    if probe is None:
        pytest.skip("no writable pids cgroup on this machine")
    probe.close()
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["[True,", "False,", "False,", "True,", "False]", "1", "True"]


def test_sweep_counts_a_process_once_while_it_is_still_exiting(tmp_path, monkeypatch) -> None:
    # On a loaded machine a killed process stays listed for a few rounds; it is
    # signalled each round but is still one process.
    cage = ProcessCage(tmp_path, tmp_path)
    listings = iter([[cage.me, 4242], [cage.me, 4242], [cage.me, 4242, 4343], [cage.me]])
    monkeypatch.setattr(cage, "alone", lambda: False)
    monkeypatch.setattr(cage, "members", lambda: next(listings))
    sent: list[int] = []
    monkeypatch.setattr("fuzzdiff.run.cage.os.kill", lambda pid, sig: sent.append(pid))
    assert cage.sweep() == 2
    assert sent == [4242, 4242, 4242, 4343]
