"""Turning a task's reference and a user's candidate command into ``Program`` values.

A candidate command is split as a shell splits words. Its executable is found on
PATH or resolved against the caller's directory, and so is every later word that
names an existing file (``python3 my_base64.py``), so nothing depends on the
directory a case later runs in.

Both programs receive the task's program name as ``argv[0]``. A candidate run
through an interpreter sees its script's path instead, so the script's spellings
become ``aliases`` that the ``program-name`` normaliser maps back.
"""

from __future__ import annotations

import os
import shlex
import subprocess

from .errors import ProgramError
from .execute import resolve_executable
from .model import Program
from .spec import TaskSpec

#: Seconds allowed for ``--version`` when checking the reference's version.
VERSION_TIMEOUT = 10


def reference_version(program: Program) -> str:
    try:
        proc = subprocess.run(
            [program.argv0, "--version"],
            executable=program.argv[0],
            capture_output=True,
            timeout=VERSION_TIMEOUT,
            env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    first = proc.stdout.decode("utf-8", "replace").splitlines()
    return first[0].strip() if first else ""


def program_name(spec: TaskSpec) -> str:
    """The name both sides are shown as: the task's ``argv0``, else the reference's base name."""
    return spec.argv0 or os.path.basename(spec.program)


def reference_program(spec: TaskSpec) -> Program:
    path = dict(spec.env).get("PATH", os.defpath)
    try:
        exe = resolve_executable(spec.program, path)
    except ProgramError as exc:
        raise ProgramError(f"reference of task {spec.name!r}: {exc} (task file {spec.source})") from exc
    return Program(argv=(exe,), argv0=program_name(spec))


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
    exe = resolve_executable(first, os.environ.get("PATH", os.defpath))
    rest: list[str] = []
    aliases: list[str] = []
    for word in words[1:]:
        if not word.startswith("-") and not os.path.isabs(word) and os.path.exists(os.path.join(base, word)):
            full = os.path.normpath(os.path.join(base, word))
            rest.append(full)
            aliases.extend([word, full, os.path.basename(word)])
        else:
            rest.append(word)
            if os.path.isabs(word) and os.path.isfile(word):
                aliases.extend([word, os.path.basename(word)])
    name = program_name(spec)
    if len(words) == 1:
        # A script run directly sees its own path as $0 / sys.argv[0].
        aliases.extend([words[0], exe, os.path.basename(exe)])
        argv0 = name
    else:
        # An interpreter finds its installation from argv[0]; a bare "python3" would
        # be looked up on the fixed PATH and could load another Python's library.
        argv0 = exe
    unique = tuple(dict.fromkeys(a for a in aliases if a and a != name))
    return Program(argv=(exe, *rest), argv0=argv0, aliases=unique)
