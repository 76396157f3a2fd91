"""Candidates whose language runtime lives in an installation of its own (a JDK).

An exact Java `cat` scored 0 on every case in the masked sandbox: first "could
not find libjava.so" (the launcher opens its home's libraries at run time, which
the loader never lists), then, with the home bound, the JVM could not start under
the task's 1 GiB address-space limit. Most of these tests build a fake runtime
and need no process; the last runs a real JVM where the set-up installed one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import fuzzdiff.run.allowlist as allowlist
import fuzzdiff.run.sandbox
from fuzzdiff.core.model import Case
from fuzzdiff.core.spec import parse_task
from fuzzdiff.engine.setup import open_runner, prepare
from fuzzdiff.run.allowlist import Allowlist, needs, runtime_home
from fuzzdiff.run.program import JVM_FIT, candidate_program, runs_a_jvm


def fake_runtime(base: Path, outside: Path) -> Path:
    """``base/rt``: ``bin/java``, ``lib/server/libjvm.so``, ``lib/libjli.so`` and a
    ``conf`` file linked to ``outside`` (as Debian links a JDK's into /etc)."""
    home = base / "rt"
    (home / "bin").mkdir(parents=True)
    (home / "lib" / "server").mkdir(parents=True)
    (home / "conf").mkdir()
    java = home / "bin" / "java"
    java.write_bytes(b"not really ELF\n")
    java.chmod(0o755)
    (home / "lib" / "server" / "libjvm.so").write_bytes(b"")
    (home / "lib" / "libjli.so").write_bytes(b"")
    outside.write_text("security=on\n")
    (home / "conf" / "java.security").symlink_to(outside)
    return home


def test_a_runtime_home_is_a_bin_directory_whose_program_loads_its_own_libraries() -> None:
    assert runtime_home("/opt/jdk-21/bin/java", ["/opt/jdk-21/bin/../lib/libjli.so", "/lib/libc.so.6"]) == "/opt/jdk-21"
    assert runtime_home("/opt/jdk-21/bin/java", ["/lib/libc.so.6"]) is None  # loads nothing of its own
    assert runtime_home("/opt/jdk-21/lib/java", ["/opt/jdk-21/lib/libjli.so"]) is None  # not PREFIX/bin/NAME
    assert runtime_home("/usr/bin/node", ["/usr/lib/libnode.so"]) is None  # the system's own prefix
    assert runtime_home("/usr/local/bin/x", ["/usr/local/lib/libx.so"]) is None


def test_a_python_built_with_its_own_libpython_is_not_bound_whole() -> None:
    """pyenv's Python maps PREFIX/lib/libpython3.so as a JDK maps its libraries; its
    home holds site-packages and every tool pip put in PREFIX/bin, so it keeps its
    own rule: the standard library, site-packages covered."""
    python = os.path.realpath(sys.executable)
    prefix = os.path.dirname(os.path.dirname(python))
    root = needs([python, "-c", "pass"], Allowlist(tools=()))
    assert prefix not in root.binds
    assert os.path.join(prefix, "bin") not in root.binds


def test_a_runtime_home_is_bound_whole_with_what_its_links_and_libraries_need(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "etc-java" / "java.security"
    outside.parent.mkdir()
    home = fake_runtime(tmp_path, outside)
    java, jvm = str(home / "bin" / "java"), str(home / "lib" / "server" / "libjvm.so")
    libstdcxx = tmp_path / "system" / "libstdc++.so.6"
    libstdcxx.parent.mkdir()
    libstdcxx.write_bytes(b"")
    listed = {java: (str(home / "bin" / ".." / "lib" / "libjli.so"),), jvm: (str(libstdcxx),)}
    monkeypatch.setattr(allowlist, "libraries", lambda path: listed.get(path, ()))
    root = needs([java, "-cp", "x", "Main"], Allowlist(tools=()))
    assert str(home) in root.binds  # the whole home: what the JVM opens at run time
    assert str(outside) in root.binds  # a link out of it still leads somewhere
    assert str(libstdcxx) in root.binds  # what libjvm.so loads, which the launcher's list lacks
    kept_out = needs([java], Allowlist(tools=(), keep_out=(str(home / "lib" / "data.toml"),)))
    assert str(home) not in kept_out.binds  # never bound whole over fuzzdiff's own data


def test_a_java_command_is_fitted_into_the_address_space_limit(tmp_path: Path) -> None:
    home = fake_runtime(tmp_path, tmp_path / "java.security")
    spec = parse_task({"name": "cat", "program": "cat"}, "<test>")
    program = candidate_program(f"{home}/bin/java -Xmx64m -cp . Main", spec, cwd=str(tmp_path))
    assert runs_a_jvm(program.argv[0])
    # the fitting flags come first, so the candidate's own (-Xmx64m) still win
    assert program.argv[1:] == (*JVM_FIT, "-Xmx64m", "-cp", str(tmp_path), "Main")
    (home / "lib" / "server" / "libjvm.so").unlink()
    plain = candidate_program(f"{home}/bin/java -cp . Main", spec, cwd=str(tmp_path))
    assert plain.argv[1:] == ("-cp", str(tmp_path), "Main")  # no JVM in that home now: left alone


CAT_JAVA = """
public class Cat {
    public static void main(String[] args) throws Exception {
        System.in.transferTo(System.out);
        System.out.flush();
    }
}
"""


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("javac") is None, reason="no JDK (make setup installs default-jdk-headless)")
@pytest.mark.skipif(not fuzzdiff.run.sandbox.bwrap_available(), reason="the masked sandbox needs bubblewrap")
def test_a_java_candidate_runs_in_the_masked_sandbox_as_the_reference_does(tmp_path: Path) -> None:
    (tmp_path / "Cat.java").write_text(CAT_JAVA)
    subprocess.run(["javac", "-d", str(tmp_path), str(tmp_path / "Cat.java")], check=True, timeout=120)
    spec = parse_task({"name": "cat", "program": "cat", "operands": {"min": 0, "max": 0}}, "<test>")
    setup = prepare(spec, f"java -cp {tmp_path} Cat")
    cases = [Case(stdin=b""), Case(stdin=b"hello\n"), Case(stdin=bytes(range(256)) * 64)]
    with open_runner(setup, jobs=1, sandbox=True, mask_reference=True) as runner:
        pairs = runner.run_pairs(cases)
    for case, (ref, cand) in zip(cases, pairs, strict=True):
        assert (cand.exit_class(), cand.stdout, cand.stderr) == (ref.exit_class(), ref.stdout, ref.stderr), case
