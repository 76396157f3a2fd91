"""The layer contract: the folder listing is the architecture, and this test keeps
it so. ``ARCHITECTURE.md``'s layer table is the rule: each layer (a sub-package,
or the top-level interface modules) may import only the layers listed before it
(and itself), two layers on one row are siblings that may not import each other,
and no module imports another module's private (underscored) name. The table
must also list every module, so it cannot drift from the tree."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "fuzzdiff"
ARCHITECTURE = ROOT / "ARCHITECTURE.md"
ROW = re.compile(r"^\| (\d+) \| ([^|]+) \| ([^|]+) \|$")


def layer_table(text: str) -> list[tuple[int, str, set[str]]]:
    """(rank, layer, modules) rows of the layer table: ``| rank | `layer` | `a`, `b` |``."""
    rows = []
    for line in text.splitlines():
        match = ROW.match(line.strip())
        if match:
            rank, layer, modules = match.groups()
            rows.append((int(rank), layer.strip().strip("`"), set(re.findall(r"`([\w.]+)`", modules))))
    return rows


def module_of(path: Path) -> str:
    """``fuzzdiff/run/execute.py`` -> ``run.execute``; top-level modules keep their name."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts)


def layer_of(module: str) -> str:
    return module.split(".")[0] if "." in module else ""


def imports(path: Path, text: str | None = None) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    """(line, imported fuzzdiff module, names taken from it) for every import in the file
    (or in ``text``, as if it were that file), at any depth (imports inside functions count)."""
    tree = ast.parse(path.read_text() if text is None else text, str(path))
    here = module_of(path).split(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("fuzzdiff.") or alias.name == "fuzzdiff":
                    yield node.lineno, alias.name.removeprefix("fuzzdiff").lstrip("."), ()
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level]
                target = ".".join([*base, *(node.module or "").split(".")]).strip(".")
            elif node.module and (node.module == "fuzzdiff" or node.module.startswith("fuzzdiff.")):
                target = node.module.removeprefix("fuzzdiff").lstrip(".")
            else:
                continue
            names = tuple(a.name for a in node.names)
            if target in LAYER_NAMES or target == "":
                # ``from fuzzdiff.run import execute``: each name is a module
                for name in names:
                    yield node.lineno, f"{target}.{name}".strip("."), ()
            else:
                yield node.lineno, target, names


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


TABLE = layer_table(ARCHITECTURE.read_text())
LAYER_NAMES = {layer for _, layer, _ in TABLE if layer != "interface"}


def violations(files: list[Path], texts: dict[Path, str] | None = None) -> list[str]:
    rank = {layer: r for r, layer, _ in TABLE}
    rank[""] = rank["interface"]
    found = []
    for path in files:
        here = module_of(path)
        mine = layer_of(here)
        for line, target, names in imports(path, (texts or {}).get(path)):
            if target in ("", "core.version"):  # the package itself only for its version
                if target == "":
                    found.append(f"{here}:{line} imports the top-level package")
                continue
            theirs = layer_of(target)
            if theirs not in rank:
                continue  # not a module of ours (a typo fails the import itself)
            if theirs != mine and rank[theirs] >= rank[mine]:
                found.append(f"{here}:{line} ({mine or 'interface'}) imports {target} ({theirs or 'interface'})")
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private and target != here:
                found.append(f"{here}:{line} imports private {', '.join(private)} from {target}")
    return found


def test_the_table_lists_every_module_in_its_layer() -> None:
    listed = {m: layer for _, layer, mods in TABLE for m in mods}
    actual = {}
    for path in modules():
        module = module_of(path)
        if path.name == "__init__.py" and module != "__init__":
            continue
        actual[module.split(".")[-1] if "." in module else module] = layer_of(module) or "interface"
    assert listed == actual


def test_no_layer_imports_a_higher_one_or_a_private_name() -> None:
    assert violations(modules()) == []


def test_a_deliberate_violation_is_caught() -> None:
    # core may import nothing above it: a core module importing the engine fails
    # (checked as text: nothing is written into the package)
    bad = PACKAGE / "core" / "_deliberate_violation.py"
    source = "from fuzzdiff.engine.campaign import Judge\nfrom fuzzdiff.core.model import _secret\n"
    found = violations([bad], {bad: source})
    assert found == [
        "core._deliberate_violation:1 (core) imports engine.campaign (engine)",
        "core._deliberate_violation:2 imports private _secret from core.model",
    ]
