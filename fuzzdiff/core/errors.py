"""Errors a user can cause, and how the command line reports every failure.

The CLI prints ``UserError`` messages on one line and exits with status 2; it
never shows a traceback for them. Anything else escaping is a bug in fuzzdiff:
the CLI names it on one line (``describe``) and exits with ``EXIT_INTERNAL``,
never 1, which would read as "divergence found".
"""

from __future__ import annotations

import os
import traceback

#: Exit statuses of the command line (docs/fuzzing.md, "Exit status").
EXIT_EQUIVALENT = 0
EXIT_DIVERGENT = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
#: Set to 1 to see the traceback of an internal error (hidden by default: one line names it).
DEBUG_VARIABLE = "FUZZDIFF_DEBUG"


class UserError(Exception):
    """A problem with what the user gave us: a task, a program, a flag, a file."""

    exit_code = EXIT_USAGE


class SpecError(UserError):
    """A task file is missing, malformed or inconsistent."""


class ProgramError(UserError):
    """A program to run cannot be found or is not executable."""


class CaseFileError(UserError):
    """A stored case file cannot be read."""


def describe(exc: BaseException) -> str:
    """One line naming an unexpected exception and the innermost place it was
    raised: enough to recognise a known bug, short enough for a log line."""
    text = " ".join(str(exc).split())
    where = ""
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        where = f" (at {os.path.basename(last.filename)}:{last.lineno} in {last.name})"
    return f"{type(exc).__name__}{': ' + text if text else ''}{where}"


def debugging() -> bool:
    """Whether ``DEBUG_VARIABLE`` asks for tracebacks of internal errors."""
    return os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")
