"""Turning a task's reference and a user's candidate command into ``Program`` values.

A candidate command is split as a shell splits words. Its executable is found on
PATH or resolved against the caller's directory, and so is every later word that
names an existing file (``python3 my_base64.py``), so nothing depends on the
directory a case later runs in. A candidate that cannot start is a usage error
before any case runs: its executable is missing, or a later word that names a
script file (``script_words``: a script suffix, or a path into an existing
directory) names none.

Both programs receive the task's program name as ``argv[0]``. A candidate run
through an interpreter sees its script's path instead, so the script's spellings
become ``aliases`` that the ``program-name`` normaliser maps back.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import subprocess
import tempfile

from fuzzdiff.core.errors import ProgramError
from fuzzdiff.core.model import Program
from fuzzdiff.core.spec import TaskSpec
from fuzzdiff.run.execute import missing_interpreter, resolve_executable
from fuzzdiff.run.landlock import shed_capabilities

#: Seconds allowed for ``--version`` when checking the reference's version.
VERSION_TIMEOUT = 10

#: Endings of script files that interpreters take as their first operand; a word
#: ending so names a file whatever its position (``python3 -u x.py``).
SCRIPT_SUFFIXES = (
    ".py", ".sh", ".bash", ".zsh", ".pl", ".pm", ".rb", ".js", ".mjs", ".cjs", ".ts",
    ".php", ".lua", ".tcl", ".awk", ".sed", ".r", ".jl", ".scm", ".rkt", ".exs", ".groovy",
)  # fmt: skip
#: Multi-call binaries: their first word is the applet to run (``busybox sort``).
MULTI_CALL = ("busybox", "toybox", "coreutils")
#: Beginnings that make a word a path to a file whatever its ending.
PATH_PREFIXES = ("/", "./", "../")


def reference_version(program: Program) -> str:
    try:
        with tempfile.TemporaryDirectory(prefix="fuzzdiff-version-") as where:
            proc = subprocess.run(
                [program.argv0, "--version"],
                executable=program.argv[0],
                capture_output=True,
                timeout=VERSION_TIMEOUT,
                env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
                cwd=where,
                preexec_fn=shed_capabilities,
                check=False,
            )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    # Most programs print it on stdout; some (bzip2, xxd) on stderr, exiting 0.
    text = proc.stdout or (proc.stderr if proc.returncode == 0 else b"")
    first = text.decode("utf-8", "replace").splitlines()
    line = first[0].strip() if first else ""
    # a refusal or a usage text is no version (moreutils' errno says "unrecognized
    # option '--version'" and exits 0; isutf8 prints its usage)
    return "" if _NO_VERSION.search(line) else line


#: A first line that says the program knows no --version.
_NO_VERSION = re.compile(r"^usage:|unrecognized option|invalid option|unknown option|illegal option", re.IGNORECASE)


def program_name(spec: TaskSpec) -> str:
    """The name both sides are shown as: the task's ``argv0``, else the reference's base name."""
    return spec.argv0 or os.path.basename(spec.program)


def reference_program(spec: TaskSpec) -> Program:
    path = dict(spec.env).get("PATH", os.defpath)
    try:
        exe = resolve_executable(spec.program, path)
    except ProgramError as exc:
        words = spec.program.split()
        hint = (
            f"; the program is one word: program = {words[0]!r}, args = {words[1:]!r}"
            if len(words) > 1 and not os.path.exists(spec.program)
            else ""
        )
        raise ProgramError(f"reference of task {spec.name!r}: {exc} (task file {spec.source}){hint}") from exc
    return Program(argv=(exe, *spec.args), argv0=program_name(spec))


def candidate_program(command: str, spec: TaskSpec, cwd: str | None = None) -> Program:
    try:
        words = shlex.split(command)
    except ValueError as exc:
        raise ProgramError(f"cannot split --candidate {command!r}: {exc}; check its quotes") from exc
    if not words:
        raise ProgramError("--candidate is empty; give the command that runs your program")
    base = cwd or os.getcwd()
    first = words[0]
    if os.sep in first and not os.path.isabs(first):
        first = os.path.join(base, first)
    exe = through_shim(resolve_executable(first, os.environ.get("PATH", os.defpath)))
    missing = missing_interpreter(exe)
    if missing is not None:  # else every case would fail to start, as an error, not a score
        raise ProgramError(
            f"--candidate {exe} cannot start: {missing}; "
            "install it, fix the #! line, or name the interpreter in --candidate (python3 x.py)"
        )
    _check_scripts(words, base)
    rest: list[str] = []
    aliases: list[str] = []
    module, top = _local_module(exe, words, base)
    if module:
        # `python3 -m mypkg`: runs in each case's own directory, where mypkg is not.
        # The top package (or module file) is named by its path, so that a sandbox
        # binds it (not the whole directory, which may be /tmp or a home).
        words = [words[0], "-c", RUN_MODULE, top, *words[2:]]  # words[4] is the module's name
        aliases.extend([module, os.path.basename(module)])
    # A multi-call binary runs the applet named by argv[0], as its installed links do
    # (`busybox seq` is busybox called as seq): run as `coreutils seq`, uutils said
    # "Try 'coreutils seq --help'", where a user of its `seq` sees "Try 'seq --help'".
    # The applet is a name, not a file (beside a directory named seq it became
    # `coreutils /here/seq`: "function/utility not found").
    applet = words[1] if os.path.basename(exe) in MULTI_CALL and len(words) > 1 else ""
    for i, word in enumerate(words[2:] if applet else words[1:]):
        if module and i < 4:  # -c, the code, the directory, the module's name: kept as they are
            rest.append(word)
        elif not word.startswith("-") and not os.path.isabs(word) and os.path.exists(os.path.join(base, word)):
            full = os.path.normpath(os.path.join(base, word))
            rest.append(full)
            aliases.extend([word, full, os.path.basename(word)])
        else:
            rest.append(word)
            if os.path.isabs(word) and os.path.isfile(word):
                aliases.extend([word, os.path.basename(word)])
    name = program_name(spec)
    if applet:
        aliases.extend([exe, os.path.basename(exe)])
        argv0 = applet
    elif module:
        argv0 = exe
    elif len(words) == 1:
        # A script run directly sees its own path as $0 / sys.argv[0].
        aliases.extend([words[0], exe, os.path.basename(exe)])
        argv0 = name
    else:
        # An interpreter finds its installation from argv[0]; a bare "python3" would
        # be looked up on the fixed PATH and could load another Python's library.
        # A program that names itself in messages then shows that path (`date -u`), or
        # its base name: a renamed copy given fixed arguments (`./my-bzip2 -d -c`)
        # says "my-bzip2: ..." where the reference says "bzip2: ..." (an interpreter's
        # name, `sh` of `sh w.sh`, is no name of the candidate's: shells print it).
        argv0 = exe
        aliases.append(exe)
        if not script_words(words, base):  # the executable is the program, not its interpreter
            aliases.extend([words[0], os.path.basename(exe)])
    aliases.extend(installed_as(name, spec))
    unique = tuple(dict.fromkeys(a for a in aliases if a and a != name))
    if runs_a_jvm(exe):
        # first, so the candidate's own flags win; a collector of its own choosing
        # may not be joined by another ("Multiple garbage collectors selected")
        chosen_gc = any(_JVM_GC.fullmatch(w) for w in rest)
        rest = [*(f for f in JVM_FIT if not (chosen_gc and _JVM_GC.fullmatch(f))), *rest]
    return Program(argv=(exe, *rest), argv0=argv0, aliases=unique)


#: Flags that fit a Java virtual machine into a task's address-space limit
#: (``Limits.memory_mb``, 1 GiB by default). By default the JVM reserves a 1 GiB
#: class space and a 240 MiB code cache, and G1 starts a thread (1 MiB of stack)
#: per collector task: under 1 GiB a plain ``java -cp . Main`` could not start
#: ("Could not allocate compressed class space", "pthread_create failed (EAGAIN)").
#: None of them changes what a program does; the heap is still the JVM's own choice
#: (half the limit). The environment is no place for them: the JVM reports
#: ``JAVA_TOOL_OPTIONS`` on stderr.
JVM_FIT = ("-XX:+UseSerialGC", "-XX:CompressedClassSpaceSize=64m", "-XX:ReservedCodeCacheSize=64m")
#: A flag that chooses the JVM's garbage collector (``-XX:+UseG1GC``).
_JVM_GC = re.compile(r"-XX:[+-]Use\w*GC")


def runs_a_jvm(exe: str) -> bool:
    """Whether ``exe`` is a Java launcher: ``HOME/bin/java`` with a ``libjvm.so`` in its home."""
    real = os.path.realpath(exe)
    if os.path.basename(real) != "java":
        return False
    home = os.path.dirname(os.path.dirname(real))
    return any(os.path.isfile(os.path.join(home, "lib", kind, "libjvm.so")) for kind in ("server", "client", "zero"))


#: What ``python -m MODULE ARGS`` becomes for a module in the directory fuzzdiff was
#: run from: ``python -c RUN_MODULE TOP MODULE ARGS``, where TOP is the path of
#: MODULE's top package (or module file). Each case runs in a directory of its own,
#: so the module path starts at TOP's directory, where ``-m`` would start at the
#: working directory (and ``-c``'s own entry, the working directory, is replaced:
#: a case's file must not shadow a module); the module then runs as ``-m`` runs it
#: (``__main__``, ``sys.argv[0]`` its file).
RUN_MODULE = (
    "import os, runpy, sys\n"
    "top, name = sys.argv[1:3]\n"
    "del sys.argv[1:3]\n"
    "sys.path[0] = os.path.dirname(top)\n"
    "runpy.run_module(name, run_name='__main__', alter_sys=True)\n"
)


def _local_module(exe: str, words: list[str], base: str) -> tuple[str, str]:
    """The file ``python -m MODULE`` runs when MODULE is a module or package in
    ``base`` (``mypkg/__main__.py``, ``tool.py``), and the path of its top package
    (or module file); two empty strings for any other command."""
    if not _PYTHON_NAME.fullmatch(os.path.basename(exe)) or len(words) < 3 or words[1] != "-m":
        return "", ""
    parts = words[2].split(".")
    if not all(p.isidentifier() for p in parts):
        return "", ""
    where = os.path.join(base, *parts)
    top = os.path.normpath(os.path.join(base, parts[0]))
    for found in (os.path.join(where, "__main__.py"), where + ".py"):
        if os.path.isfile(found):
            return os.path.normpath(found), top if os.path.isdir(top) else top + ".py"
    return "", ""


#: A Python interpreter by its usual names (``python3``, ``python3.11``).
_PYTHON_NAME = re.compile(r"python[0-9.]*")
#: Seconds a shim may take to name the interpreter it runs.
SHIM_SECONDS = 10.0


def through_shim(exe: str) -> str:
    """The interpreter a Python *shim* runs, where ``exe`` is one (pyenv's and asdf's
    ``python3`` are shell scripts in a home directory that run ``pyenv exec``, which
    a sandbox never shows: every case of a candidate ``python3 mine.py`` ended in
    exit status 127, "divergent"); ``exe`` itself otherwise. Asked of the shim
    itself (``sys.executable``), so it is the interpreter the user's shell runs."""
    if not _PYTHON_NAME.fullmatch(os.path.basename(exe)):
        return exe
    try:
        with open(exe, "rb") as f:
            if f.read(2) != b"#!":
                return exe
        done = subprocess.run(
            [exe, "-c", "import sys; print(sys.executable)"],
            capture_output=True,
            timeout=SHIM_SECONDS,
            check=False,
            preexec_fn=shed_capabilities,
        )
    except (OSError, subprocess.SubprocessError):
        return exe
    real = done.stdout.decode("utf-8", "surrogateescape").strip()
    return real if done.returncode == 0 and os.path.isabs(real) and os.access(real, os.X_OK) else exe


def installed_as(name: str, spec: TaskSpec) -> list[str]:
    """The absolute paths a program named ``name`` is installed at on either PATH
    (``/usr/bin/tr``, ``/bin/tr``): a candidate that is a wrapper running the
    reference by its path sees that path as its name (``/usr/bin/tr: missing
    operand``), and the ``program-name`` normaliser maps it back."""
    folders = f"{os.environ.get('PATH', os.defpath)}{os.pathsep}{dict(spec.env).get('PATH', '')}"
    found: list[str] = []
    for folder in dict.fromkeys(folders.split(os.pathsep)):
        path = os.path.join(folder, name)
        if os.path.isabs(path) and os.path.isfile(path) and os.access(path, os.X_OK):
            found.append(path)
    return found


def script_words(words: list[str], base: str) -> list[str]:
    """The words after the executable that name a script file, which must exist.

    A word names one when it is not an option, has no blank in it, and either
    ends with a script suffix (``my_base64.py``, ``src/run.sh``), or is spelled
    as a path (``/``, ``./``, ``../``) into a directory that exists and
    does not follow an option, which may take it as its value (``-o /tmp/out``).
    Any other word is an argument that need not name a file: ``mytool --mode
    fast``, ``sed /x/d`` (no directory ``/x``), ``perl -e 'print 1/2'``.
    """
    found = []
    for prev, word in itertools.pairwise(words):
        if word.startswith("-") or any(ch.isspace() for ch in word):
            continue
        if word.lower().endswith(SCRIPT_SUFFIXES):
            found.append(word)
        elif word.startswith(PATH_PREFIXES) and not prev.startswith("-"):
            parent = os.path.dirname(os.path.join(base, word).rstrip("/"))
            if os.path.isdir(parent):
                found.append(word)
    return found


def _check_scripts(words: list[str], base: str) -> None:
    """A candidate whose interpreter is given a script that is not there cannot run one
    case: a usage error before anything runs, not a candidate that fails every case."""
    for word in script_words(words, base):
        full = os.path.normpath(os.path.join(base, word))
        if not os.path.exists(full):
            raise ProgramError(
                f"--candidate {shlex.join(words)!r}: script {word!r} does not exist (looked for {full}); "
                "check the path, or run fuzzdiff from the directory the path is relative to"
            )


#: The first bytes of an ELF executable.
ELF_MAGIC = b"\x7fELF"
#: Bytes the kernel aligns the stack to below the strings it copies there (the
#: path a program is run by among them): a path longer by less may leave every
#: address as it was, so ``elsewhere`` makes it longer by this much.
STACK_ALIGNMENT = 16


def elsewhere(program: Program) -> Program:
    """``program`` run by another spelling of its path, longer by ``STACK_ALIGNMENT``
    (``/usr/bin/././././././././mktemp``, ``/.`` eight times): the same file in the
    same directory (so whatever it finds beside itself, a venv's ``pyvenv.cfg`` or
    its own modules, it still finds). The kernel puts the path a program is run by
    on its stack, so with address randomisation off (the hermetic mode) a program
    that mixes addresses into its output (``mktemp``'s names) prints otherwise when
    run by another path, as a copy or a reimplementation would: calibrating with
    this tells output that only the reference at its own path can make. Only for
    an executable file (``ELF_MAGIC``): a script sees the path it is run by and may
    print it, which the ``program-name`` normaliser would not know. Otherwise
    ``program`` itself."""
    exe = program.argv[0]
    try:
        with open(exe, "rb") as fh:
            if fh.read(len(ELF_MAGIC)) != ELF_MAGIC:
                return program
    except OSError:
        return program
    head, tail = os.path.split(exe)
    longer = head + "/." * (STACK_ALIGNMENT // 2) + "/" + tail
    return Program(argv=(longer, *program.argv[1:]), argv0=program.argv0, aliases=program.aliases)
