"""The public API is ``fuzzdiff.__all__``: every name in it imports, nothing public
is left out of it, and it holds every entry point the documents name, so a name
dropped from the package (or documented and never exported) fails here. The
package ships ``py.typed``, so type checkers read its annotations.

What the documents call public: the ``api`` row's "public entry points" and the
``model`` row's value types in ARCHITECTURE.md; in README.md and docs/, every
``fuzzdiff.NAME`` and every backticked name of the section that shows
``import fuzzdiff`` (now docs/fuzzing.md's "From Python"); besides, the events
a campaign yields and the error a user's mistake raises."""

from __future__ import annotations

import re
import tomllib
import types
from pathlib import Path

import fuzzdiff

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = (ROOT / "ARCHITECTURE.md").read_text()
DOCUMENTS = [(ROOT / "README.md").read_text(), *(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))]

# What a caller of run_campaign or fuzz_events handles besides the documented names:
# every event type a campaign yields (and their union), and the base of the errors
# a user can cause (exit status 2 on the command line).
HANDLED = {"Event", "Progress", "Found", "Shrunk", "Finished", "UserError"}


def module_row(module: str) -> str:
    """The text of ARCHITECTURE.md's ``| `module` | job |`` row."""
    rows: list[str] = re.findall(rf"^\| `{module}` \| (.+) \|$", ARCHITECTURE, re.MULTILINE)
    assert len(rows) == 1, f"ARCHITECTURE.md has one row for {module}"
    return rows[0]


def backticked(text: str) -> set[str]:
    return set(re.findall(r"`([A-Za-z_]\w*)`", text))


def documented() -> set[str]:
    """Names the documents present as fuzzdiff's public API."""
    entry_points = re.search(r"public entry points: ([^;]+)", module_row("api"))
    assert entry_points, "ARCHITECTURE.md's api row names the public entry points"
    names = backticked(entry_points[1]) | backticked(module_row("model"))
    sections = [s for doc in DOCUMENTS for s in re.split(r"^## ", doc, flags=re.MULTILINE) if "import fuzzdiff\n" in s]
    assert sections, "a document shows the Python API (a section with `import fuzzdiff`)"
    subpackages = {p.name for p in (ROOT / "fuzzdiff").iterdir() if (p / "__init__.py").exists()}
    named = {n for doc in DOCUMENTS for n in re.findall(r"\bfuzzdiff\.(\w+)", doc) if n not in subpackages}
    return names | named | {n for s in sections for n in backticked(s)}


def test_every_name_in_all_imports() -> None:
    assert len(fuzzdiff.__all__) == len(set(fuzzdiff.__all__)), "a name is listed twice"
    missing = [name for name in fuzzdiff.__all__ if not hasattr(fuzzdiff, name)]
    assert missing == []
    star: dict[str, object] = {}
    exec("from fuzzdiff import *", star)
    assert set(star) - {"__builtins__"} == set(fuzzdiff.__all__)


def test_exports_are_fuzzdiff_own() -> None:
    """Each class and function exported is defined in fuzzdiff, not re-exported from elsewhere."""
    for name in fuzzdiff.__all__:
        value = getattr(fuzzdiff, name)
        if callable(value):
            module = getattr(value, "__module__", None) or ""
            assert module.startswith("fuzzdiff."), f"{name} comes from {module or 'outside fuzzdiff'}"


def test_nothing_public_is_left_out_of_all() -> None:
    public = {
        name
        for name, value in vars(fuzzdiff).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public - set(fuzzdiff.__all__) == set()


def test_documented_entry_points_are_exported() -> None:
    names = documented()
    assert {"fuzz", "prepare", "fuzz_events", "run_campaign", "Case", "Outcome"} <= names, names
    assert sorted(names - set(fuzzdiff.__all__)) == []


def test_events_and_user_errors_are_exported() -> None:
    assert sorted(HANDLED - set(fuzzdiff.__all__)) == []
    assert set(fuzzdiff.Event.__args__) == {fuzzdiff.Progress, fuzzdiff.Found, fuzzdiff.Shrunk, fuzzdiff.Finished}


def test_package_is_typed_and_ships_the_marker() -> None:
    assert (ROOT / "fuzzdiff" / "py.typed").is_file()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["fuzzdiff"]
