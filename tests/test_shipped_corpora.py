"""The committed corpora: each loads cleanly, is big enough, still matches the
installed reference, and catches a planted bug without running the reference.
Run on the hand-written tasks and a fixed sample of the library; every task's
corpus gets cheaper checks in test_library.py."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from fuzzdiff.api import prepare
from fuzzdiff.core.spec import load_task
from fuzzdiff.run.execute import LocalExecutor
from fuzzdiff.store.corpus import load_corpus, reference_changed, reference_fingerprint, stats
from fuzzdiff.store.replay import replay

from .helpers import full_check_tasks, instantiate

CORPORA = Path(__file__).resolve().parent.parent / "corpora"

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("task", full_check_tasks())
def test_corpus_is_complete_and_replays_clean(task: str) -> None:
    corpus = load_corpus(CORPORA / task)
    assert corpus.errors == ()
    assert corpus.manifest.task == task
    figures = stats(corpus)
    assert figures["cases"] >= 200
    setup = prepare(task, task)  # the installed reference, as the candidate
    assert reference_changed(corpus.manifest.reference, reference_fingerprint(setup.reference)) is False
    executor = LocalExecutor(dict(setup.spec.env), setup.spec.limits)
    result = replay(corpus, setup.spec, executor, setup.candidate, setup.reference, rerun_reference=True, jobs=2)
    assert result.ok, [(r.key, r.status, r.error) for r in result.results if r.status != "passed"]
    assert result.reference_mismatches == ()


@pytest.mark.parametrize("task", full_check_tasks())
def test_corpus_catches_a_planted_bug(task: str, tmp_path: Path) -> None:
    spec = load_task(task)
    setup = prepare(task, instantiate("bug_stderr.sh", spec, tmp_path))
    executor = LocalExecutor(dict(setup.spec.env), setup.spec.limits)  # a hermetic task's variables too
    corpus = load_corpus(CORPORA / task)
    # every third case by key (a third keeps .ci/run short; the whole corpus replays
    # clean above): the bug shows wherever a long option meets an error message
    result = replay(replace(corpus, cases=corpus.cases[::3]), setup.spec, executor, setup.candidate, jobs=2)
    assert result.failed > 0
    assert all(r.divergence is not None and r.divergence.channels == ("stderr",) for r in result.failures)
