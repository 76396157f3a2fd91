"""Candidates in the languages people and models write them in, in the masked sandbox.

An exact Java `cat` scored 0 on every case there: first "could not find
libjava.so" (the launcher opens its home's libraries at run time, which the
loader never lists), then, with the home bound, the JVM could not start under the
task's 1 GiB address-space limit. Perl's `Digest::MD5` (behind a link in @INC), a
Tcl script (init.tcl) and PHP's extensions (its conf.d) failed the same way. Most
tests build a fake runtime and need no process; the last runs a port in each
language the set-up installs.
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
from fuzzdiff.run.allowlist import Allowlist, launched, needs, runtime_home
from fuzzdiff.run.paths import under
from fuzzdiff.run.program import JVM_FIT, RUN_MODULE, candidate_program, runs_a_jvm

from .helpers import load_benchmark


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


def test_a_python_built_with_its_own_libpython_is_not_bound_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """A shared-library Python (pyenv's, one in /opt) maps PREFIX/lib/libpython3.so
    as a JDK maps its libraries; its home holds site-packages and every tool pip put
    in PREFIX/bin, so it keeps its own rule: the standard library, site-packages
    covered. Its prefix is made a place runtimes may lie, as /opt is."""
    python = os.path.realpath(sys.executable)
    prefix = os.path.dirname(os.path.dirname(python))
    if not any(under(lib, [prefix]) for lib in allowlist.libraries(python)):
        pytest.skip("this Python maps no library of its own prefix")
    monkeypatch.setattr(allowlist, "RUNTIME_ROOTS", (os.path.dirname(prefix),))
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
    assert str(home) not in needs([java], Allowlist(tools=())).binds  # not where software is installed
    monkeypatch.setattr(allowlist, "RUNTIME_ROOTS", (str(tmp_path),))  # as if it were (/usr/lib/jvm)
    root = needs([java, "-cp", "x", "Main"], Allowlist(tools=()))
    assert str(home) in root.binds  # the whole home: what the JVM opens at run time
    assert str(outside) in root.binds  # a link out of it still leads somewhere
    assert str(libstdcxx) in root.binds  # what libjvm.so loads, which the launcher's list lacks
    kept_out = needs([java], Allowlist(tools=(), keep_out=(str(home / "lib" / "data.toml"),)))
    assert str(home) not in kept_out.binds  # never bound whole over fuzzdiff's own data


def test_links_out_of_a_runtime_home_never_lead_to_programs_directories_or_fuzzdiffs_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A candidate's own program with a `$ORIGIN` library made its directory a runtime
    home, and its links there bound /usr/bin and fuzzdiff's corpora into the masked
    sandbox (the second review)."""
    home = fake_runtime(tmp_path, tmp_path / "java.security")
    corpus = tmp_path / "corpora" / "cat"
    (corpus / "cases").mkdir(parents=True)
    (corpus / "cases" / "a.json").write_text("{}")
    tool = tmp_path / "tools" / "basenc"
    tool.parent.mkdir()
    tool.write_bytes(b"#!/bin/sh\n")
    tool.chmod(0o755)
    links: dict[str, Path] = {"answers": corpus, "answer": corpus / "cases" / "a.json", "bin": Path("/usr/bin")}
    for name, target in {**links, "tool": tool}.items():
        (home / "conf" / name).symlink_to(target)
    java = str(home / "bin" / "java")
    monkeypatch.setattr(allowlist, "libraries", lambda path: (str(home / "lib" / "libjli.so"),) if path == java else ())
    monkeypatch.setattr(allowlist, "RUNTIME_ROOTS", (str(tmp_path),))
    root = needs([java], Allowlist(tools=(), keep_out=(str(tmp_path / "corpora"),)))
    assert str(home) in root.binds and str(tmp_path / "java.security") in root.binds  # data: bound
    for never in (corpus, corpus / "cases" / "a.json", "/usr/bin", tool):
        assert not any(under(b, [str(never)]) for b in root.binds), never


def test_a_candidates_own_file_named_like_an_interpreter_is_never_run_to_build_its_root(tmp_path: Path) -> None:
    """fuzzdiff asks Perl, Ruby, Tcl and PHP for their module directories by running
    them; a candidate whose script's #! line named its own file `tclsh` ran that
    file on the host, as root (the second review)."""
    marker = tmp_path / "ran"
    for name in ("tclsh", "perl", "php", "ruby"):
        fake = tmp_path / name
        fake.write_text(f"#!/bin/sh\necho {name} >> {marker}\necho /usr/bin\n")
        fake.chmod(0o755)
        script = tmp_path / f"port-{name}"
        script.write_text(f"#!{fake}\n")
        script.chmod(0o755)
        root = needs([str(script)], Allowlist(tools=()))
        assert "/usr/bin" not in root.binds
    assert not marker.exists(), marker.read_text()


def test_a_java_command_is_fitted_into_the_address_space_limit(tmp_path: Path) -> None:
    home = fake_runtime(tmp_path, tmp_path / "java.security")
    spec = parse_task({"name": "cat", "program": "cat"}, "<test>")
    program = candidate_program(f"{home}/bin/java -Xmx64m -cp . Main", spec, cwd=str(tmp_path))
    assert runs_a_jvm(program.argv[0])
    # the fitting flags come first, so the candidate's own (-Xmx64m) still win
    assert program.argv[1:] == (*JVM_FIT, "-Xmx64m", "-cp", str(tmp_path), "Main")
    # a collector of the candidate's choosing: no other is added (the JVM refuses two)
    own_gc = candidate_program(f"{home}/bin/java -XX:+UseG1GC -cp . Main", spec, cwd=str(tmp_path))
    assert own_gc.argv[1:] == (*(f for f in JVM_FIT if "GC" not in f), "-XX:+UseG1GC", "-cp", str(tmp_path), "Main")
    (home / "lib" / "server" / "libjvm.so").unlink()
    plain = candidate_program(f"{home}/bin/java -cp . Main", spec, cwd=str(tmp_path))
    assert plain.argv[1:] == ("-cp", str(tmp_path), "Main")  # no JVM in that home now: left alone


LANGUAGES = load_benchmark("languages")  # its ports: a faithful `cat` of stdin in each language


@pytest.mark.e2e
@pytest.mark.skipif(not fuzzdiff.run.sandbox.bwrap_available(), reason="the masked sandbox needs bubblewrap")
@pytest.mark.parametrize("language", sorted(LANGUAGES.PORTS))
def test_a_port_in_any_language_runs_in_the_masked_sandbox_as_the_reference_does(language: str) -> None:
    """benchmarks/languages.py's ports (they use the modules a port of a checksum or
    encoding tool would) agree with `cat` on every case; C, Go and Rust only where
    their compilers are installed (the set-up installs the interpreters and a JDK)."""
    if not LANGUAGES.installed(language):
        pytest.skip(f"no {LANGUAGES.PORTS[language].needs}")
    try:
        row = LANGUAGES.measure(language, LANGUAGES.sample(1, 6))
    except LANGUAGES.BuildError as exc:  # an installed compiler that cannot build (no toolchain set up)
        pytest.skip(str(exc))
    assert row.agreed == row.cases, row.first_difference


def make_package(base: Path) -> None:
    """``base/catport``: a package run with ``-m``, importing a sibling both ways."""
    (base / "catport").mkdir()
    (base / "catport" / "__init__.py").write_text("")
    (base / "catport" / "util.py").write_text(
        "import sys\ndef copy():\n    sys.stdout.buffer.write(sys.stdin.buffer.read())\n"
    )
    (base / "catport" / "__main__.py").write_text(
        "import os, sys\nfrom . import util\nfrom catport.util import copy\n"
        "if len(sys.argv) > 1:\n"
        "    sys.stderr.write(f'{os.path.basename(sys.argv[0])}: extra operand\\n')\n"
        "    sys.exit(1)\n"
        "copy()\n"
    )


def test_python_dash_m_runs_a_package_of_the_directory_it_was_given_from(tmp_path: Path) -> None:
    """`python3 -m catport` lost its package: each case runs in a directory of its own,
    and the word `catport`, a path there, became `-m /that/dir/catport` ("No module named")."""
    make_package(tmp_path)
    spec = parse_task({"name": "cat", "program": "cat"}, "<test>")
    program = candidate_program("python3 -m catport -x catport", spec, cwd=str(tmp_path))
    assert program.argv[1:5] == ("-c", RUN_MODULE, str(tmp_path / "catport"), "catport")
    assert program.argv[5:] == ("-x", str(tmp_path / "catport"))  # its arguments are still its arguments
    assert str(tmp_path / "catport" / "__main__.py") in program.aliases  # sys.argv[0], as under -m
    elsewhere = candidate_program("python3 -m json.tool", spec, cwd=str(tmp_path))
    assert elsewhere.argv[1:] == ("-m", "json.tool")  # not in that directory: left to Python


@pytest.mark.e2e
@pytest.mark.skipif(not fuzzdiff.run.sandbox.bwrap_available(), reason="the masked sandbox needs bubblewrap")
def test_a_python_package_run_with_dash_m_runs_in_the_masked_sandbox(tmp_path: Path) -> None:
    make_package(tmp_path)
    spec = parse_task({"name": "cat", "program": "cat"}, "<test>")
    setup = prepare(spec, "python3 -m catport", cwd=str(tmp_path))
    cases = [Case(stdin=b"hello\n"), Case(argv=(b"x",), files=((b"x", b"1\n"),))]
    with open_runner(setup, jobs=1, sandbox=True, mask_reference=True) as runner:
        (first, second) = runner.run_pairs(cases)
    assert first[1].stdout == first[0].stdout == b"hello\n" and first[1].exit_class() == "exit:0"
    assert second[1].stderr == b"__main__.py: extra operand\n" and second[1].exit_class() == "exit:1"


def test_what_a_launcher_in_the_command_runs_is_what_the_candidate_needs() -> None:
    """`env FOO=1 python3 x.py`, `timeout 10 python3 x.py`, `sh -c '... python3 x.py'`:
    every case failed in the masked sandbox with exit 127 ("python3: not found"),
    since only the launcher was bound."""
    path = "/usr/local/bin:/usr/bin:/bin"
    assert launched(["env", "FOO=1", "python3", "x.py"], path) == [["python3", "x.py"]]
    assert launched(["timeout", "-s", "KILL", "10", "nice", "-n", "5", "perl", "x.pl"], path) == [
        ["nice", "-n", "5", "perl", "x.pl"],
        ["perl", "x.pl"],
    ]
    assert launched(["sh", "-c", "cd /d && FOO=1 exec python3 /d/m.py | sort; env perl y.pl"], path) == [
        ["cd", "/d"],
        ["python3", "/d/m.py"],
        ["sort"],
        ["env", "perl", "y.pl"],
        ["perl", "y.pl"],
    ]
    assert launched(["bash", "-lc", "python3 x.py"], path) == [["python3", "x.py"]]
    assert launched(["python3", "x.py", "env"], path) == []  # not a launcher: its arguments are its own
    root = needs(["/usr/bin/env", "FOO=1", "python3", "/no/such/x.py"], Allowlist(tools=()))
    python = os.path.realpath(shutil.which("python3", path=path) or "")
    assert python in root.binds


@pytest.mark.e2e
@pytest.mark.skipif(not fuzzdiff.run.sandbox.bwrap_available(), reason="the masked sandbox needs bubblewrap")
@pytest.mark.parametrize(
    "command",
    ["env FOO=1 python3 {dir}/cat.py", "timeout 10 python3 {dir}/cat.py", "sh -c 'cd / && exec python3 {dir}/cat.py'"],
)
def test_a_port_started_through_a_launcher_runs_in_the_masked_sandbox(command: str, tmp_path: Path) -> None:
    (tmp_path / "cat.py").write_text(LANGUAGES.PORTS["python"].source)
    setup = prepare(LANGUAGES.cat_task(), command.format(dir=tmp_path))
    cases = LANGUAGES.sample(2, 4)
    with open_runner(setup, jobs=1, sandbox=True, mask_reference=True) as runner:
        pairs = runner.run_pairs(cases)
    for case, (ref, cand) in zip(cases, pairs, strict=True):
        assert (cand.exit_class(), cand.stdout, cand.stderr) == (ref.exit_class(), ref.stdout, ref.stderr), case


def test_dash_m_is_not_shadowed_by_a_case_file_and_binds_only_the_package(tmp_path: Path) -> None:
    """Under -c the working directory (a case's) was first on the module path, so a
    case file textwrap.py shadowed the standard library's; and the whole directory
    the command was given in was bound, which is never done for /tmp or a home."""
    make_package(tmp_path)
    (tmp_path / "catport" / "__main__.py").write_text("import textwrap\nprint(textwrap.fill('ok'))\n")
    spec = parse_task({"name": "cat", "program": "cat"}, "<test>")
    program = candidate_program("python3 -m catport", spec, cwd=str(tmp_path))
    case_dir = tmp_path / "case"
    case_dir.mkdir()
    (case_dir / "textwrap.py").write_text("print('SHADOWED')\n")
    done = subprocess.run(program.argv, cwd=case_dir, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "ok\n"), done.stderr
    root = needs(program.argv, Allowlist(tools=()))
    assert str(tmp_path / "catport") in root.binds
    assert str(tmp_path) not in root.binds  # the package, not everything beside it
