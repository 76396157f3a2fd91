"""The task library: every shipped task is cheap to check, a few are checked in full.

With ~100 shipped tasks, the per-task tests that run campaigns (test_e2e_tasks,
test_oracle, test_shipped_corpora) cost half a minute or more each per task. So:

- every shipped task gets the cheap checks here: its file loads, its quality card
  is present and well-formed, its corpus holds at least ``MIN_CORPUS_CASES`` cases,
  and ``REPLAYED_PER_TASK`` of them, the first by key, replay against its own reference;
- the expensive tests run over ``full_check_tasks()``: the ten hand-written tasks,
  plus ``SAMPLE_SIZE`` others, those whose names' SHA-256 digests sort first
  (a fixed rule: the same tasks on every run until the library changes).

``FUZZDIFF_LIBRARY_SAMPLE=all`` (or a number) widens the sample, and
``FUZZDIFF_LIBRARY_REPLAY=all`` replays every stored case (``make replay-library``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fuzzdiff.api import prepare
from fuzzdiff.core import spec as spec_module
from fuzzdiff.core.errors import UserError
from fuzzdiff.core.spec import load_task, resolve_task_path, shipped_tasks
from fuzzdiff.factory import cards
from fuzzdiff.matrix import select_tasks
from fuzzdiff.run.execute import LocalExecutor
from fuzzdiff.run.landlock import shed_capabilities
from fuzzdiff.run.runner import default_jobs
from fuzzdiff.store.corpus import CASES_DIR, Corpus, StoredCase, load_corpus, read_manifest, read_stored_case
from fuzzdiff.store.replay import replay

from .helpers import HAND_WRITTEN, SAMPLE_SIZE, full_check_tasks

#: Fewest cases a shipped corpus holds.
MIN_CORPUS_CASES = 200
#: Cases per task replayed against the reference in every run: enough to catch a
#: corpus recorded for another reference or environment, cheap for 100 tasks.
REPLAYED_PER_TASK = 3


# -- every shipped task, cheaply ------------------------------------------------


@pytest.mark.parametrize("task", shipped_tasks())
def test_task_has_a_card_and_a_corpus(task: str) -> None:
    spec = load_task(task)
    assert spec.name == task
    card = cards.read_card(cards.card_path(resolve_task_path(task)))
    assert card is not None, f"{task} has no card; run `fuzzdiff task card {task}`"
    assert card.task == task
    count = cards.corpus_cases(task)
    assert count is not None, f"{task} has no corpus; record corpora/{task} (docs/library.md)"
    assert count >= MIN_CORPUS_CASES, f"corpora/{task} holds {count} cases, fewer than {MIN_CORPUS_CASES}"
    assert read_manifest(cards.corpora_dir() / task).task == task


def replayed_cases(task: str) -> Corpus:
    """The cases of ``task``'s corpus this run replays: the first few by key, or all."""
    where = cards.corpora_dir() / task
    assert cards.corpus_cases(task) is not None, f"{task} has no corpus; record corpora/{task} (docs/library.md)"
    if os.environ.get("FUZZDIFF_LIBRARY_REPLAY") == "all":
        return load_corpus(where)
    files = sorted((where / CASES_DIR).glob("*.json"))[:REPLAYED_PER_TASK]
    read = [read_stored_case(f) for f in files]
    stored = tuple(s for s in read if isinstance(s, StoredCase))
    assert len(stored) == len(read), [str(s) for s in read if not isinstance(s, StoredCase)]
    return Corpus(where, read_manifest(where), stored)


@pytest.mark.parametrize("task", shipped_tasks())
def test_corpus_replays_against_its_own_reference(task: str) -> None:
    corpus = replayed_cases(task)
    setup = prepare(task, "true")  # the task as a campaign sees it (hermetic variables added)
    # without capabilities, as a campaign's workers run it (chmod of a mode-000 tree differs as root)
    executor = LocalExecutor(dict(setup.spec.env), setup.spec.limits, confine=shed_capabilities)
    every = os.environ.get("FUZZDIFF_LIBRARY_REPLAY") == "all"
    result = replay(corpus, setup.spec, executor, setup.reference, jobs=default_jobs() if every else 1)
    assert len(result.results) == len(corpus.cases) > 0
    assert result.ok, [(r.key, r.status, r.error, r.divergence) for r in result.results if r.status != "passed"]


def test_a_task_draws_the_values_its_reference_lists(tmp_path: Path) -> None:
    """Where a reference refuses an unknown value by listing the valid ones (GNU
    argmatch's "Valid arguments are:"), its task draws at least half of them for
    that option. numfmt's task had only `--to=none` and no `--round` or
    `--invalid` value, and a numfmt without SI and IEC units scored 1.0 on it.
    Tasks with fixed arguments are left out (`cksum -a md5`'s own `-a` is the
    mode it fixes)."""
    from fuzzdiff.factory.probe import NO_SUCH_VALUE, listed_values

    short: dict[str, tuple[str, list[str], tuple[str, ...]]] = {}
    for task in shipped_tasks():
        spec = load_task(task)
        if spec.args:
            continue
        for opt in spec.options:
            if opt.value is None or not opt.long or opt.weight == 0:
                continue
            argv = [spec.program, f"--{opt.long}={NO_SUCH_VALUE}"]
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, cwd=tmp_path, timeout=30)
            listed = listed_values(done.stderr)
            drawn = opt.value.values if opt.value.kind == "choice" else ()
            if listed and 2 * len(set(listed) & set(drawn)) < len(listed):
                short[f"{task} --{opt.long}"] = (opt.value.kind, listed, drawn)
    assert not short, short


def test_the_sample_is_fixed_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FUZZDIFF_LIBRARY_SAMPLE", raising=False)
    chosen = full_check_tasks()
    assert chosen == full_check_tasks()
    assert set(HAND_WRITTEN) & set(shipped_tasks()) <= set(chosen)
    assert len(chosen) <= len(HAND_WRITTEN) + SAMPLE_SIZE


# -- cards, listing and the commands, on a library made here ---------------------

TASK = """\
name = "{name}"
program = "fold"
description = "wraps lines"
{family}
[[options]]
short = "w"
value = {{ kind = "int", min = 1, max = 9 }}
"""


def write_task(refs: Path, name: str, family: str = "") -> Path:
    path = refs / f"{name}.toml"
    path.write_text(TASK.format(name=name, family=f'family = "{family}"' if family else ""))
    return path


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A references folder with a carded task, one without a card, a broken one;
    ``corpora/`` beside it with a corpus for the first."""
    refs = tmp_path / "references"
    refs.mkdir()
    good = write_task(refs, "wrap", "text")
    write_task(refs, "bare")
    (refs / "broken.toml").write_text('name = "broken"\nfamily = "Text"\nprogram = 3\n')
    card = cards.card_for(load_task(str(good)), seed=1, cases=20)
    cards.write_card(good, card)
    corpus = tmp_path / "corpora" / "wrap"
    (corpus / CASES_DIR).mkdir(parents=True)
    (corpus / "manifest.json").write_text("{}")
    for i in range(7):
        (corpus / CASES_DIR / f"{i:064x}.json").write_text("{}")
    monkeypatch.setattr(spec_module, "REFERENCES_DIR", refs)
    return refs


def test_card_of_an_existing_task(library: Path) -> None:
    card = cards.read_card(library / "wrap.card.json")
    assert card is not None
    assert (card.task, card.cases, card.deterministic, card.hermetic, card.probe_runs) == ("wrap", 20, True, False, 0)
    assert 0 < card.accepted_share <= 1 and card.options_total == 1
    assert card == cards.parse_card(json.loads(cards.card_json(card)), "again")


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"cases": "20"}, "cases is '20', expected int"),
        ({"deterministic": 1}, "deterministic is 1, expected bool"),
        ({"cases": True}, "cases is True, expected int"),
        ({"accepted_share": 1.5}, "accepted_share is not between 0 and 1"),
        ({"options_reached": 2}, "options_reached is not between 0 and options_total"),
        ({"varying": [1]}, "varying is [1]"),
        ({"colour": "red"}, "unknown field 'colour'"),
        ({"task": None}, "missing field 'task'"),  # None: the field is left out
    ],
)
def test_malformed_card_is_named(library: Path, change: dict[str, object], complaint: str) -> None:
    path = library / "wrap.card.json"
    doc = {k: v for k, v in {**json.loads(path.read_text()), **change}.items() if v is not None}
    path.write_text(json.dumps(doc))
    with pytest.raises(cards.CardError) as info:
        cards.read_card(path)
    assert complaint in str(info.value) and str(path) in str(info.value) and "fuzzdiff task card" in str(info.value)


def test_cards_are_not_tasks(library: Path) -> None:
    assert shipped_tasks() == ["bare", "broken", "wrap"]


def test_listing_names_what_is_missing(library: Path) -> None:
    found = {e.name: e for e in cards.entries()}
    assert found["wrap"].card is not None and found["wrap"].corpus_cases == 7 and found["wrap"].family == "text"
    assert found["wrap"].reference == "fold"
    assert found["bare"].card is None and found["bare"].corpus_cases is None and found["bare"].family == ""
    assert "program" in found["broken"].broken and found["broken"].family == "Text"
    text = cards.table(cards.entries())
    assert "no card yet: bare;" in text
    assert [line.split()[:2] for line in text.splitlines()[1:4]] == [
        ["bare", "-"],
        ["broken", "Text"],
        ["wrap", "text"],
    ]
    assert [e.name for e in cards.entries("TEXT")] == ["broken", "wrap"]
    assert [e.name for e in cards.entries("-")] == ["bare"]
    with pytest.raises(UserError, match=r"unknown task family 'nope'; the families are: -, text"):
        cards.entries("nope")
    (library / "bare.toml").unlink()  # every task names a family: '-' lists none, it is no mistake
    assert cards.entries("-") == []
    assert select_tasks(None, "TEXT") == select_tasks(None, "text") == ["wrap"]  # ignoring case, as above


def fuzzdiff(*args: str, refs: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fuzzdiff", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FUZZDIFF_REFERENCES": str(refs)},
        check=False,
    )


@pytest.mark.e2e
def test_commands(library: Path) -> None:
    (library / "wrap.card.json").unlink()
    made = fuzzdiff("task", "card", "wrap", "--cases", "20", refs=library)
    assert made.returncode == 0, made.stderr
    assert f"wrote {library / 'wrap.card.json'}" in made.stdout
    listed = fuzzdiff("tasks", "--json", refs=library)
    assert listed.returncode == 0, listed.stderr
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert rows["wrap"]["card"]["cases"] == 20 and rows["wrap"]["corpus_cases"] == 7
    assert rows["bare"]["card"] is None and rows["broken"]["broken"]
    wrong = fuzzdiff("tasks", "--family", "nope", refs=library)
    assert wrong.returncode == 2 and "the families are: -, text" in wrong.stderr
    ghost = fuzzdiff("task", "card", "ghost", refs=library)
    assert ghost.returncode == 2 and "unknown task 'ghost'" in ghost.stderr
