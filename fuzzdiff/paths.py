"""Where fuzzdiff keeps data a candidate must never read: task files, corpora
(expected outputs), the reference cache, the shared pool and per-user corpora."""

from __future__ import annotations

import os
from pathlib import Path

from .spec import REFERENCES_DIR


def data_home() -> Path:
    """``$XDG_DATA_HOME/fuzzdiff`` (default ``~/.local/share/fuzzdiff``): per-user corpora."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "fuzzdiff"


def cache_home() -> Path:
    """``$FUZZDIFF_CACHE``, else ``$XDG_CACHE_HOME/fuzzdiff``, else ``~/.cache/fuzzdiff``."""
    explicit = os.environ.get("FUZZDIFF_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fuzzdiff"


def data_paths() -> tuple[str, ...]:
    return (
        str(REFERENCES_DIR),
        str(REFERENCES_DIR.parent / "corpora"),
        str(cache_home()),
        str(data_home()),
    )
