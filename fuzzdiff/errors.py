"""Errors a user can cause. Each carries a message that names the thing and the fix.

The CLI prints ``UserError`` messages on one line and exits with status 2; it
never shows a traceback for them. Anything else escaping is a bug in fuzzdiff.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem with what the user gave us: a task, a program, a flag, a file."""

    exit_code = 2


class SpecError(UserError):
    """A task file is missing, malformed or inconsistent."""


class ProgramError(UserError):
    """A program to run cannot be found or is not executable."""


class CaseFileError(UserError):
    """A stored case file cannot be read."""
