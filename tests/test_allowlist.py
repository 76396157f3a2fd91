"""The candidate's sandbox is built by allowlist (``fuzzdiff.run.allowlist``).

Unit tests check what a command is found to need; the end-to-end tests score
candidates that look for anything beyond that (another program that implements
the task, the checkout's git objects, sockets on the host) and report ``LEAK``
on stderr when they find one: an honest port earns reward 1 only if nothing
was found.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import fuzzdiff.run.sandbox
from fuzzdiff.oracle.scoring import Candidate, score
from fuzzdiff.run.allowlist import Allowlist, Root, always, needs, resolve, shebang

REPO = Path(__file__).resolve().parent.parent
GOOD = REPO / "examples" / "base64" / "good.py"


def _names(root: Root) -> set[str]:
    return {os.path.basename(p) for p in root.binds}


def test_a_shell_needs_itself_and_its_libraries_and_nothing_else() -> None:
    sh = resolve("/bin/sh", {})
    assert sh is not None
    root = needs(["/bin/sh"], Allowlist(tools=()))
    assert sh in root.binds
    assert any(n.startswith("libc.so") for n in _names(root))
    assert not any(os.path.basename(p) in ("basenc", "base64", "cat", "openssl", "git") for p in root.binds)
    # every symbolic link on the way is recreated, so the name the command uses works
    assert ("/bin", "usr/bin") in root.links or not os.path.islink("/bin")


def test_tools_are_found_on_the_task_path() -> None:
    root = needs(["/bin/sh"], Allowlist(tools=("cat",)))
    cat = resolve("/usr/bin/cat", {})
    assert cat in root.binds


def test_data_a_program_reads_can_be_a_tool_and_readline_settings_are_always_there() -> None:
    """`file` reads its magic database, and bc -i reads readline's /etc/inputrc: a
    copy of either scored 0.0 in the masked sandbox without them."""
    if not os.path.exists("/etc/inputrc"):
        pytest.skip("no readline settings on this host")
    assert "/etc/inputrc" in always().binds
    magic = "/usr/share/misc/magic.mgc"
    if os.path.lexists(magic):
        root = needs(["/bin/sh"], Allowlist(tools=("sh", magic)))
        assert os.path.realpath(magic) in root.binds


def test_a_python_command_brings_its_standard_library_but_not_site_packages() -> None:
    root = needs([sys.executable, str(GOOD)], Allowlist(tools=()))
    stdlib = os.path.dirname(os.__file__)
    assert os.path.realpath(stdlib) in root.binds
    site = os.path.join(os.path.realpath(stdlib), "site-packages")
    if os.path.isdir(site):
        assert site in root.covered
    # the script's own directory (its siblings), not the checkout around it
    assert str(GOOD.parent) in root.binds
    assert str(REPO) not in root.binds


def test_a_directory_holding_kept_out_data_is_never_bound_whole(tmp_path: Path) -> None:
    secret = tmp_path / "corpora"
    secret.mkdir()
    script = tmp_path / "port.py"
    script.write_text("print(1)\n")
    root = needs([sys.executable, str(script)], Allowlist(tools=(), keep_out=(str(secret),)))
    assert str(tmp_path) not in root.binds
    assert str(script) in root.binds


def test_a_script_brings_its_interpreter_through_env(tmp_path: Path) -> None:
    script = tmp_path / "tool"
    script.write_text("#!/usr/bin/env python3\nprint(1)\n")
    script.chmod(0o755)
    assert shebang(str(script)) == ["/usr/bin/env", "python3"]
    root = needs([str(script)], Allowlist(tools=(), path="/usr/local/bin:/usr/bin:/bin"))
    assert resolve("/usr/bin/env", {}) in root.binds
    assert any(n.startswith("python3") for n in _names(root))


def test_nested_binds_are_dropped_under_a_bound_directory() -> None:
    root = Root(binds=frozenset({"/usr", "/usr/bin/dash"}), links=(("/usr/bin/sh", "dash"), ("/bin", "usr/bin")))
    args = root.args()
    assert args.count("--ro-bind") == 1
    assert "/usr/bin/sh" not in args  # inside /usr already


# -- end to end: what a candidate can find in its sandbox --------------------------

#: Walks the whole sandbox and reports LEAK on stderr for anything beyond what
#: the allowlist names: a program other than the shell and Python (ELF files that
#: have a program interpreter, i.e. can be run; libc and the loader are both),
#: a git directory, a corpus, a socket, a file the test planted on the host.
WALKER = r"""
import os, stat, sys
_ALLOWED = {"dash", "python3.11", "python3", "libc.so.6", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}
def _program(p):
    try:
        with open(p, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF":
                return False
            import struct
            phoff, = struct.unpack_from("<Q", head, 32)
            size, num = struct.unpack_from("<HH", head, 54)
            for i in range(num):
                f.seek(phoff + i * size)
                if struct.unpack("<I", f.read(4))[0] == 3:
                    return True
    except OSError:
        return False
    return False
_found = []
for _top, _dirs, _files in os.walk(os.environ.get("WALK_ROOT", "/")):
    if _top.startswith(("/proc", "/sys", "/dev")):
        _dirs[:] = []
        continue
    for _d in _dirs:
        if _d in (".git", "corpora") or _d.startswith("fuzzdiff-cache"):
            _found.append(os.path.join(_top, _d))
    for _f in _files:
        _p = os.path.join(_top, _f)
        try:
            _st = os.lstat(_p)
        except OSError:
            continue
        if stat.S_ISSOCK(_st.st_mode) or _f.startswith("planted-"):
            _found.append(_p)
        elif stat.S_ISREG(_st.st_mode) and _st.st_mode & 0o111 and _f not in _ALLOWED and _program(_p):
            _found.append(_p)
if _found:
    sys.stderr.write("LEAK %s\n" % sorted(_found)[:5])
"""


def _python_port(prelude: str) -> str:
    port = GOOD.read_text()
    future = "from __future__ import annotations\n"
    return port.replace(future, future + prelude, 1)


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scores here keep their reference cache to themselves."""
    monkeypatch.setenv("FUZZDIFF_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def planted() -> Iterator[list[str]]:
    """A file and a listening Unix socket on the host, where a sandbox that shows the
    host's / would show them (/var/tmp, and beside the checkout)."""
    tag = uuid.uuid4().hex[:8]
    paths = [f"/var/tmp/planted-{tag}", str(REPO / f"planted-{tag}")]
    for p in paths:
        Path(p).write_text("answer\n")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock_path = f"/var/tmp/sock-{tag}"
    sock.bind(sock_path)
    sock.listen(1)
    try:
        yield [*paths, sock_path]
    finally:
        sock.close()
        for p in [*paths, sock_path]:
            Path(p).unlink(missing_ok=True)


def _score(source: str, language: str, mode: str, budget: int = 12) -> float | None:
    result = score("base64", Candidate(source=source, language=language), budget=budget, seed=5, jobs=1)
    assert result.status == "ok", result.error
    assert result.isolation.startswith("bubblewrap" if mode == "bubblewrap" else "landlock"), result.isolation
    return result.reward


@pytest.mark.e2e
@pytest.mark.timeout(240)
def test_the_sandbox_holds_no_program_repository_socket_or_host_file(mode: str, planted: list[str]) -> None:
    """An honest port that walks its whole sandbox and tries to read the planted files
    and connect to the planted socket: reward 1 only if it found and reached nothing.
    (Landlock does not cover connecting to a socket on a path: that check is for
    bubblewrap, where the socket is not in the sandbox at all.)"""
    files, sock = planted[:-1], planted[-1]
    prelude = WALKER + "".join(
        f"try:\n    open({p!r}).read()\n    sys.stderr.write('LEAK planted\\n')\nexcept OSError:\n    pass\n"
        for p in files
    )
    if mode == "bubblewrap":
        prelude += (
            "import socket\n"
            "try:\n"
            f"    socket.socket(socket.AF_UNIX).connect({sock!r})\n"
            "    sys.stderr.write('LEAK socket\\n')\n"
            "except OSError:\n"
            "    pass\n"
        )
    assert _score(_python_port(prelude), "python", mode) == 1.0


#: Programs a wrapper could hand the work to: the same gnulib code under another
#: name, other implementations, and git (to read stored outcomes from the checkout).
OTHER_PROGRAMS = {
    "basenc": ["basenc", "--base64"],
    "/usr/bin/basenc": ["/usr/bin/basenc", "--base64"],
    "openssl": ["openssl", "base64"],
    "perl": ["perl", "-MMIME::Base64", "-e", "print encode_base64(join q(), <STDIN>)"],
    "git": ["git", f"--git-dir={REPO / '.git'}", "log", "-1"],
}


@pytest.mark.e2e
@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", OTHER_PROGRAMS)
def test_no_other_host_program_can_be_run(mode: str, name: str) -> None:
    """An honest port that also tries to run another program: reward 1 only if it could not."""
    prelude = (
        "import subprocess, sys\n"
        "try:\n"
        f"    if subprocess.run({OTHER_PROGRAMS[name]!r}, input=b'x', capture_output=True).returncode == 0:\n"
        "        sys.stderr.write('LEAK\\n')\n"
        "except OSError:\n"
        "    pass\n"
    )
    assert _score(_python_port(prelude), "python", mode) == 1.0


def test_the_walker_would_see_a_program(tmp_path: Path) -> None:
    """The walking spy is able to fail: run on the host, it reports programs."""
    import subprocess

    env = {**os.environ, "WALK_ROOT": "/usr/bin"}
    done = subprocess.run([sys.executable, "-c", WALKER], capture_output=True, timeout=120, check=False, env=env)
    assert b"LEAK" in done.stderr
    assert b"/usr/bin/" in done.stderr


def test_a_bind_inside_a_covered_directory_shows_through() -> None:
    """fuzzdiff installed in site-packages: the package must be bound after the cover."""
    root = Root(
        binds=frozenset({"/py/lib/python3.11", "/py/lib/python3.11/site-packages/fuzzdiff"}),
        covered=frozenset({"/py/lib/python3.11/site-packages"}),
    )
    args = root.args()
    cover = args.index("--tmpfs")
    package = args.index("/py/lib/python3.11/site-packages/fuzzdiff")
    stdlib = args.index("/py/lib/python3.11")
    assert stdlib < cover < package < args.index("--remount-ro")


@pytest.mark.e2e
@pytest.mark.timeout(240)
def test_fuzz_with_a_masked_sandbox_shows_the_walker_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same allowlist through the command line (`fuzz --sandbox --mask-reference`)."""
    import json
    import subprocess

    if not fuzzdiff.run.sandbox.bwrap_available():
        pytest.skip("bubblewrap cannot start a sandbox here")
    port = tmp_path / "walker.py"
    port.write_text(_python_port(WALKER))
    env = {**os.environ, "FUZZDIFF_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "fuzzdiff", "fuzz", "base64", "--candidate", f"python3 {port}"]
    options = ["--sandbox", "--mask-reference", "--budget", "30", "--seed", "2", "--jobs", "1", "--json"]
    done = subprocess.run([*command, *options], capture_output=True, timeout=200, env=env, cwd=tmp_path, check=False)
    report = json.loads(done.stdout)
    assert (done.returncode, report["verdict"]) == (0, "equivalent"), done.stdout[-2000:]


def test_a_tool_that_is_not_installed_is_a_usage_error(tmp_path: Path) -> None:
    """A typo in `tools` is named before anything runs (exit 2), not a candidate that fails every case."""
    import subprocess

    task = tmp_path / "base64.toml"
    task.write_text('tools = ["cta"]\n' + (REPO / "references" / "base64.toml").read_text())
    env = {**os.environ, "FUZZDIFF_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "fuzzdiff", "score", str(task), "--candidate", "base64", "--budget", "5"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "'cta'" in done.stderr and "Traceback" not in done.stderr


def test_a_missing_program_in_tools_is_an_error_and_missing_data_a_warning() -> None:
    """Data a build traced on its machine (figlet's fonts) may lie elsewhere on another:
    the task stays usable, with a warning, where a missing program stays an error."""
    from fuzzdiff.core.errors import ProgramError
    from fuzzdiff.core.spec import parse_task
    from fuzzdiff.engine.setup import prepare

    def task(tools: list[str]) -> object:
        return parse_task({"name": "cat", "program": "cat", "tools": tools}, "<test>")

    with pytest.raises(ProgramError, match="no-such-helper-xyz"):
        prepare(task(["no-such-helper-xyz"]), "cat")  # type: ignore[arg-type]
    got = prepare(task(["/no/such/font/dir"]), "cat")  # type: ignore[arg-type]
    assert any("/no/such/font/dir" in w for w in got.warnings)


@pytest.mark.skipif(shutil.which("perl") is None, reason="no perl")
def test_a_perl_command_brings_its_modules(tmp_path: Path) -> None:
    """A Perl candidate (`use strict;`) failed every case in the masked sandbox:
    "Can't locate strict.pm in @INC". The interpreter names its module directories."""
    import subprocess

    perl = os.path.realpath(shutil.which("perl") or "")
    script = tmp_path / "port.pl"
    script.write_text("use strict;\nprint 1;\n")
    root = needs([perl, str(script)], Allowlist(tools=()))
    found = subprocess.run([perl, "-e", "print $INC{'strict.pm'} if require strict"], capture_output=True, text=True)
    strict = os.path.realpath(found.stdout)
    assert strict and any(strict.startswith(b + "/") for b in root.binds), (strict, sorted(root.binds))


@pytest.mark.skipif(shutil.which("tclsh") is None, reason="no tclsh (make setup installs tcl)")
def test_a_tcl_command_brings_its_library(tmp_path: Path) -> None:
    """A Tcl candidate failed every case in the masked sandbox: "Can't find a usable
    init.tcl". tclsh names its library directory (``info library``) on standard input."""
    import subprocess

    tclsh = os.path.realpath(shutil.which("tclsh") or "")
    script = tmp_path / "port.tcl"
    script.write_text("puts 1\n")
    root = needs([tclsh, str(script)], Allowlist(tools=()))
    found = subprocess.run([tclsh], input="puts [info library]\n", capture_output=True, text=True)
    init = os.path.realpath(os.path.join(found.stdout.strip(), "init.tcl"))
    assert os.path.isfile(init) and any(init.startswith(b + "/") for b in root.binds), (init, sorted(root.binds))
