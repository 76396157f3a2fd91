"""Where fuzzdiff keeps data a candidate must never read: task files, corpora
(expected outputs), the reference cache, the shared pool and per-user corpora."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from fuzzdiff.core.spec import REFERENCES_DIR


def under(path: str, roots: Iterable[str]) -> bool:
    """Whether ``path`` is one of ``roots`` or lies below one (by its spelling; resolve first)."""
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


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


def git_dirs(paths: Iterable[str | os.PathLike[str]]) -> tuple[str, ...]:
    """The ``.git`` of the repository holding each of ``paths``, where one does: a
    corpus is meant to be committed, and its history holds the same answers as
    its files (a candidate read them with ``git show`` when only the corpus
    directory was hidden)."""
    found: list[str] = []
    for path in paths:
        here = Path(os.path.realpath(path))
        for folder in (here, *here.parents):
            dot_git = folder / ".git"
            if dot_git.exists():
                found += [str(dot_git), *_linked(dot_git)]
                break
    return tuple(dict.fromkeys(found))


def _linked(dot_git: Path) -> list[str]:
    """Where a ``.git`` file (a worktree's, a submodule's) keeps the history: the
    directory its ``gitdir:`` line names, and that directory's ``commondir``."""
    try:
        first = dot_git.read_text(errors="replace").splitlines()[0] if dot_git.is_file() else ""
    except (OSError, IndexError):
        return []
    if not first.startswith("gitdir:"):
        return []
    target = (dot_git.parent / first.removeprefix("gitdir:").strip()).resolve()
    linked = [str(target)]
    try:
        common = (target / "commondir").read_text(errors="replace").strip()
    except OSError:
        return linked
    return [*linked, str((target / common).resolve())] if common else linked


def program_files(argv: Sequence[str]) -> tuple[str, ...]:
    """The files that make up a program given as a command line: the script(s) it
    is given when the first word is an interpreter (``python3 ref.py``), else the
    executable itself. Masking these hides the program without hiding a shared
    interpreter."""
    scripts = [w for w in argv[1:] if os.path.isabs(w) and os.path.isfile(w)]
    return tuple(scripts) if scripts else tuple(argv[:1])


def copies(paths: Iterable[str], search: Iterable[str]) -> tuple[str, ...]:
    """Every file in the ``search`` directories that is one of ``paths`` under another
    name: a hard link (same inode) or a copy (same size and SHA-256). A candidate
    must not reach a masked program through a second name."""
    wanted: dict[int, set[bytes]] = {}
    inodes: set[tuple[int, int]] = set()
    for p in paths:
        try:
            st = os.stat(p)
        except OSError:
            continue
        inodes.add((st.st_dev, st.st_ino))
        digest = _digest(p)
        if digest is not None:
            wanted.setdefault(st.st_size, set()).add(digest)
    found: list[str] = []
    for directory in dict.fromkeys(search):
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            try:
                st = entry.stat()  # follows symbolic links: a link to a masked file is one too
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            same = (st.st_dev, st.st_ino) in inodes
            if same or (st.st_size in wanted and _digest(entry.path) in wanted[st.st_size]):
                found.append(entry.path)
    return tuple(found)


def _digest(path: str) -> bytes | None:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.digest()
