"""The compatibility matrix (``fuzzdiff matrix``) over task files of our own and a
fake implementation: a Python script that is exact for ``wc``, wrong on stdout
for ``head``, wrong on stderr alone for ``cat``, and has no ``fold``. The HTML
page is loaded in a real headless browser."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from fuzzdiff.core.errors import UserError
from fuzzdiff.core.matrix_page import NARROW, anchor
from fuzzdiff.matrix import (
    Implementation,
    Listings,
    Settings,
    build_matrix,
    implementations,
    parse_implementation,
    select_tasks,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

BROWSER = "chromium-headless-shell"

FAKE = """#!{python}
import os, subprocess, sys
name = os.path.basename(sys.argv[0])
real = "/usr/bin/" + name
if name == "wc":  # exact: the real program under its own name
    os.execv(real, ["wc", *sys.argv[1:]])
done = subprocess.run([name, *sys.argv[1:]], executable=real, capture_output=True)
out, err = done.stdout, done.stderr
if name == "head":  # wrong: the last of two or more lines goes missing
    lines = out.splitlines(keepends=True)
    out = b"".join(lines[:-1]) if len(lines) > 1 else out
if name == "cat":  # wrong on stderr alone: another message for a missing file
    err = err.replace(b"No such file or directory", b"cannot open")
sys.stdout.buffer.write(out)
sys.stderr.buffer.write(err)
sys.exit(done.returncode)
"""

TASK = """name = "{name}"
program = "{name}"
[[options]]
short = "{flag}"
[operands]
min = 0
max = 2
kinds = ["file", "missing", "dash"]
[stdin]
models = ["lines", "text"]
max_bytes = 40
[generate]
malformed = 0.0
"""
TASKS = {"wc": "l", "head": "q", "cat": "n", "fold": "s"}


@pytest.fixture(scope="module")
def matrix() -> Iterator[tuple[Path, dict[str, Any]]]:
    root = Path(tempfile.mkdtemp(prefix="fuzzdiff-matrix-test-"))
    (root / "bin").mkdir()
    script = root / "bin" / "fake.py"
    script.write_text(FAKE.replace("{python}", sys.executable))
    script.chmod(0o755)
    for name in ("wc", "head", "cat"):  # no fold
        (root / "bin" / name).symlink_to(script)
    files = []
    for name, flag in TASKS.items():
        (root / f"{name}.toml").write_text(TASK.format(name=name, flag=flag))
        files.append(str(root / f"{name}.toml"))
    impl = parse_implementation(f"fake={root}/bin/{{name}}")
    settings = Settings(budget=50, seed=3, findings=3, shrink_budget=200, jobs=1)
    doc = build_matrix(files, [impl], root / "out", settings)
    yield root / "out", doc
    shutil.rmtree(root, ignore_errors=True)


def cell(doc: dict[str, Any], task: str) -> dict[str, Any]:
    (found,) = [c for c in doc["cells"] if c["task"] == task]
    assert isinstance(found, dict)
    return found


def test_cells_have_the_right_verdicts(matrix: tuple[Path, dict[str, Any]]) -> None:
    _, doc = matrix
    assert cell(doc, "wc")["status"] == "equivalent"
    assert all(not v["divergences"] for v in cell(doc, "wc")["views"].values())
    head = cell(doc, "head")
    assert head["status"] == "divergent"
    assert head["views"]["full"]["divergences"] and head["views"][NARROW]["divergences"]
    assert all("stdout" in d["channels"] for d in head["views"][NARROW]["divergences"])
    counts = doc["counts"]["fake"]
    assert (counts["equivalent"], counts["divergent"], counts["not_provided"]) == (1, 2, 1)


def test_stdout_and_exit_view_ignores_stderr_only_divergences(matrix: tuple[Path, dict[str, Any]]) -> None:
    _, doc = matrix
    cat = cell(doc, "cat")
    assert cat["status"] == "divergent"
    assert {tuple(d["channels"]) for d in cat["views"]["full"]["divergences"]} == {("stderr",)}
    assert cat["views"][NARROW]["verdict"] == "equivalent"
    assert cat["views"][NARROW]["divergences"] == []
    assert cat["views"][NARROW]["cases"] == 50  # the whole budget ran without a divergence


def test_missing_program_is_not_provided(matrix: tuple[Path, dict[str, Any]]) -> None:
    out, doc = matrix
    fold = cell(doc, "fold")
    assert fold["status"] == "not-provided"
    assert "bin/fold does not exist" in fold["reason"]
    assert not (out / "cells" / "fold").exists()


def test_each_counterexample_is_written_and_replays(matrix: tuple[Path, dict[str, Any]]) -> None:
    out, doc = matrix
    divergences = [d for c in doc["cells"] for v in c.get("views", {}).values() for d in v["divergences"]]
    assert divergences
    for d in divergences:
        assert d["repro"].startswith(("cells/head/fake/", "cells/cat/fake/"))
        assert (out / d["case_file"]).is_file()
        assert d["replays"], d
        done = subprocess.run(["sh", out / d["repro"]], capture_output=True, timeout=60, check=False)
        assert done.returncode == 1, done.stdout
    assert json.loads((out / "matrix.json").read_text()) == doc
    page = (out / "matrix.md").read_text()
    assert "| head | [" in page and "(cells/head/fake/README.md)" in page


def test_listings_of_the_multi_call_binaries() -> None:
    listings = Listings()
    for impl, present in (("busybox {name}", "sha256sum"), ("toybox {name}", "base64"), ("coreutils {name}", "wc")):
        if shutil.which(impl.split()[0]) is None:
            continue
        chosen = Implementation("x", impl)
        assert listings.missing(chosen, present) is None
        assert listings.missing(chosen, "no-such-program") == f"{impl.split()[0]} does not list no-such-program"


def test_bad_implementations_are_user_errors() -> None:
    with pytest.raises(UserError, match=r"has no \{name\}"):
        parse_implementation("mine=/opt/mine/bin/wc")
    assert parse_implementation("coreutils {name}") == Implementation("coreutils", "coreutils {name}")
    with pytest.raises(UserError, match="empty NAME"):
        parse_implementation("=/usr/bin/{name}")  # was named "custom", and "not provided" everywhere
    with pytest.raises(UserError, match="two --implementation options are named 'a'"):
        implementations(["a=/usr/bin/{name}", "a=/bin/{name}"], defaults=False)  # the last one won
    shipped_wc = str(Path(__file__).resolve().parents[1] / "references" / "wc.toml")
    with pytest.raises(UserError, match="both named 'wc'"):
        select_tasks(f"wc,{shipped_wc}", None)  # one cells/wc/ directory for two rows
    done = subprocess.run(
        [sys.executable, "-m", "fuzzdiff", "matrix", "--tasks", "no-such-task", "--out", tempfile.mkdtemp()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "no-such-task" in done.stderr and "Traceback" not in done.stderr


class _Dom(HTMLParser):
    """What the test reads of the rendered page: the matrix's cells and every id."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[str, dict[str, str]] = {}
        self.ids: set[str] = set()
        self.row = ""
        self.current: dict[str, str] | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "tr" and "data-task" in a:
            self.row = a["data-task"]
        elif tag == "td" and "data-impl" in a and self.row:
            self.current = {"class": a["class"], "impl": a["data-impl"]}
            self.cells[self.row] = self.current
        elif tag == "a" and self.current is not None:
            self.current["href"] = a["href"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self.current = None
        if tag == "table":
            self.row = ""

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.current is not None:
            self.current["text"] = self.current.get("text", "") + data


def test_html_page_in_a_headless_browser(matrix: tuple[Path, dict[str, Any]]) -> None:
    if shutil.which(BROWSER) is None:
        pytest.skip(f"{BROWSER} is not installed (make setup installs it)")
    out, doc = matrix
    page = (out / "matrix.html").resolve()
    assert "<script" not in page.read_text() and "http" not in page.read_text()  # self-contained
    # Chromium's own sandbox refuses to start as root; the page is ours, so none is needed then
    flags = ["--no-sandbox"] if os.geteuid() == 0 else []
    done = subprocess.run(
        [BROWSER, *flags, "--headless", "--disable-gpu", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dom = _Dom()
    dom.feed(done.stdout)
    assert set(dom.cells) == {"wc", "head", "cat", "fold"}
    expected = {"wc": "equivalent", "head": "divergent", "cat": "stderr-only", "fold": "not-provided"}
    for task, klass in expected.items():
        shown = dom.cells[task]
        assert shown["class"] == f"cell {klass}", shown
        assert shown["href"] == f"#{anchor(task, 'fake')}"
        assert shown["href"][1:] in dom.ids  # the link lands on the cell's section
    assert dom.cells["wc"]["text"] == "equivalent" and dom.cells["fold"]["text"] == "not provided"
    n_full = len(cell(doc, "head")["views"]["full"]["divergences"])
    assert dom.cells["head"]["text"].startswith(f"{n_full}")
    text = "".join(dom.text)
    assert "sh cells/head/fake/repro-1.sh" in text and "sh cells/cat/fake/repro-1.sh" in text
