"""The batch scorer: a batch scored side by side on warm workers gives each
candidate exactly the score it gets alone; duplicates are scored once; slow
candidates cost a few runs; the pool is read once per batch; the scorer pickles."""

from __future__ import annotations

import pickle
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

from fuzzdiff.core.errors import UserError
from fuzzdiff.core.model import Case, Termination
from fuzzdiff.engine.judging import TIMEOUT_RERUNS
from fuzzdiff.oracle import batch
from fuzzdiff.oracle.batch import BatchScorer, Request
from fuzzdiff.oracle.scoring import TIMEOUT_SHRINK_BUDGET, Candidate, Policy, Pool, Score, _Reward, score, score_on
from fuzzdiff.run.runner import CHUNK

from .helpers import script_on_path
from .test_oracle import stable

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
GOOD = (EXAMPLES / "base64" / "good.py").read_text()
# A bug fuzzing finds after a while: with --ignore-garbage, '=' is garbage too.
BUGGY = GOOD.replace("if isbase64(c) or c == EQ)", "if isbase64(c))", 1)
assert BUGGY != GOOD
LOOPS = "while True:\n    pass\n"
CRASHES = "import os\nos.abort()\n"
LOOPS_ON_ONE_IN_TEN = (
    "import zlib\nif zlib.crc32(repr(__import__('sys').argv).encode()) % 10 == 0:\n    while True: pass\n"
)
BUDGET = 120


@pytest.fixture
def task(tmp_path: Path) -> str:
    """base64 with a one-second time limit: a looping candidate costs seconds, not minutes."""
    text = (Path(__file__).resolve().parent.parent / "references" / "base64.toml").read_text()
    path = tmp_path / "base64-short.toml"
    path.write_text(text + "\n[limits]\ntimeout = 1.0\n")
    return str(path)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("FUZZDIFF_CACHE", str(root))
    return root


def python(source: str) -> Candidate:
    return Candidate(source=source, language="python")


def test_a_batch_scores_each_candidate_as_it_scores_alone(task: str, cache: Path) -> None:
    sources = [GOOD, BUGGY, LOOPS, GOOD + "\n# the same, written differently\n", CRASHES, GOOD, BUGGY]
    alone = [score(task, python(s), budget=BUDGET, seed=3, cache=cache, use_pool=False) for s in sources]
    with BatchScorer(slots=3, cache=cache, use_pool=False) as scorer:
        batched = scorer.score_batch([Request(task, python(s), budget=BUDGET, seed=3) for s in sources])
    assert [s.reward for s in batched] == [1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    assert [stable(s) for s in batched] == [stable(s) for s in alone]
    assert batched[0] is batched[5] and batched[1] is batched[6]  # duplicates: one score each


def test_duplicates_are_scored_once(task: str, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scored: list[str] = []
    real = score_on

    def counting(*args: object, **kwargs: object) -> tuple[Score, object]:
        scored.append("x")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "score_on", counting)
    with BatchScorer(slots=2, cache=cache, use_pool=False) as scorer:
        scores = scorer.score_batch([Request(task, python(GOOD), budget=40, seed=1)] * 5)
    assert len(scored) == 1 and {s.reward for s in scores} == {1.0}


def test_a_looping_candidate_costs_a_few_timeouts(task: str, cache: Path) -> None:
    with BatchScorer(slots=1, cache=cache, use_pool=False) as scorer:
        looping = scorer.score(task, python(LOOPS), budget=BUDGET, seed=1)
        # one in ten inputs sends this one into a loop: it stops at the first
        flaky = scorer.score(
            task,
            python(GOOD.replace("\nimport os\n", "\nimport os\n" + LOOPS_ON_ONE_IN_TEN, 1)),
            budget=BUDGET,
            seed=1,
        )
    assert (looping.status, looping.reward) == ("ok", 0.0)
    # the first case and its re-runs (a timeout counts only where it repeats): three
    # time limits, as docs/oracle.md says (two shrinking tries made it five)
    assert looping.candidate_executions <= 1 + TIMEOUT_RERUNS == 3
    assert looping.counterexample is not None
    assert looping.counterexample.candidate.termination is Termination.TIMEOUT
    assert flaky.reward == 0.0 and flaky.counterexample is not None
    assert flaky.counterexample.candidate.termination is Termination.TIMEOUT
    # a window stops at its first timeout: beyond the cases judged, at most the chunk
    # already queued in the worker (which stops at its own first timeout) and the
    # shrinking tries
    assert flaky.candidate_executions <= flaky.cases + CHUNK + TIMEOUT_RERUNS + TIMEOUT_SHRINK_BUDGET


def test_a_candidate_that_stops_its_sandbox_costs_no_more_than_a_loop(task: str, cache: Path) -> None:
    """A run that stops the sandbox's server is found out by the time limit, as a
    loop is; it was given 16 shrinking tries, each waiting that limit out (a
    stranger's SIGSTOP candidate: 18 runs and 102 s, a loop 3 runs and 17 s)."""
    stops = "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\n"
    with BatchScorer(slots=1, cache=cache, use_pool=False) as scorer:
        stopped = scorer.score(task, python(stops), budget=BUDGET, seed=1)
    assert (stopped.status, stopped.reward) == ("ok", 0.0)
    assert stopped.counterexample is not None
    assert stopped.counterexample.candidate.termination is Termination.WORKER_LOST
    assert stopped.candidate_executions <= 1 + TIMEOUT_RERUNS


def test_the_pool_is_read_once_per_batch_and_grows_after_it(task: str, cache: Path) -> None:
    bug_a = python(BUGGY)
    bug_b = python(BUGGY + "\n# another copy\n")
    # one slot: b is scored after a, and would see a's finding if it joined the pool at once
    with BatchScorer(slots=1, cache=cache, use_pool=True) as scorer:
        both = [Request(task, bug_a, budget=BUDGET, seed=1), Request(task, bug_b, budget=BUDGET, seed=1)]
        first = scorer.score_batch(both)
        assert [s.pool_cases for s in first] == [0, 0]  # neither saw the other's finding
        assert [who for who, _ in Pool("base64", cache).entries()] == [bug_a.identity()]  # the same case: once
        again = scorer.score_batch([Request(task, bug_b, budget=BUDGET, seed=1)])
    assert again[0].reward == 0.0 and again[0].pool_cases == 1  # a's finding, which b did not contribute


def test_the_deadline_and_bad_requests(task: str, cache: Path) -> None:
    with BatchScorer(slots=1, cache=cache, use_pool=False) as scorer:
        late = scorer.score(task, python(LOOPS), budget=BUDGET, seed=1, deadline=0.001)
        assert (late.status, late.reward) == ("deadline", None)
        unknown = scorer.score("no-such-task", python(GOOD), budget=10)
        assert unknown.status == "error" and "no-such-task" in unknown.error
        with pytest.raises(UserError, match="unknown policy"):
            scorer.score(task, python(GOOD), policy="lenient")


def test_a_scorer_pickles_and_its_copy_scores(task: str, cache: Path) -> None:
    scorer = BatchScorer(slots=1, cache=cache, use_pool=False)
    try:
        assert scorer.score(task, python(GOOD), budget=20, seed=1).reward == 1.0
        copy = pickle.loads(pickle.dumps(scorer))
        assert (copy.slots, copy.cache, copy.use_pool) == (1, cache, False)
        assert copy.score(task, python(BUGGY), budget=BUDGET, seed=1).reward == 0.0
        copy.close()
    finally:
        scorer.close()


def test_one_slot_runs_each_candidate_not_the_one_before(task: str, cache: Path) -> None:
    """A slot writes every candidate to the same path and keeps its sandbox: the
    fork-servers must start afresh, or the next candidate would run the last one's code."""
    sources = [GOOD, BUGGY, GOOD, CRASHES, GOOD]
    with BatchScorer(slots=1, cache=cache, use_pool=False) as scorer:
        scores = scorer.score_batch([Request(task, python(s), budget=BUDGET, seed=3) for s in sources])
    assert [s.reward for s in scores] == [1.0, 0.0, 1.0, 0.0, 1.0]


PLANTS = (
    "import os, sys\nhere = os.path.dirname(os.path.abspath(__file__))\n"
    "os.makedirs(os.path.join(here, 'planted'), exist_ok=True)\n"
    "open(os.path.join(here, 'planted', 'note'), 'w').write('x')\n"
)
FINDS_PLANT = (
    "import os as _os\nif _os.path.exists(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), 'planted')):\n"
    "    raise SystemExit(99)\n"
)


def test_what_an_unsandboxed_candidate_leaves_beside_its_script_is_gone_for_the_next(task: str, cache: Path) -> None:
    good_unless_planted = GOOD.replace("\nimport os\n", "\nimport os\n" + FINDS_PLANT, 1)
    with BatchScorer(slots=1, sandbox=False, cache=cache, use_pool=False) as scorer:
        first, second = scorer.score_batch(
            [Request(task, python(PLANTS), budget=10, seed=1), Request(task, python(good_unless_planted), budget=60)]
        )
    assert first.reward == 0.0
    assert (second.status, second.reward) == ("ok", 1.0), second.feedback


def test_a_graded_score_stops_at_its_deadline_case_by_case_and_says_so(task: str, cache: Path) -> None:
    """Graded scoring judges every probe: a looping candidate's window of 29 probes,
    three time limits each, ran 12 minutes past a 10-minute deadline and came back
    "ok". The deadline is checked before each case now; a late score has no
    channels and its feedback says it was cut off, not that it behaved exactly."""
    reward = _Reward(Policy.GRADED, True, deadline=5.0, start=time.monotonic() - 6.0)
    assert reward.before("probe", Case()) and reward.status == "deadline"
    assert reward.reward() is None
    with BatchScorer(slots=1, cache=cache, use_pool=False) as scorer:
        late = scorer.score(task, python(LOOPS), budget=BUDGET, seed=1, policy="graded", deadline=0.001)
    assert (late.status, late.reward, late.channels) == ("deadline", None, {})
    assert "deadline" in late.feedback and "exactly" not in late.feedback


def test_shrinking_stops_at_the_deadline(task: str, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong candidate slow on every case (within the time limit) was shrunk for
    500 tries past its deadline: 100 s for a deadline of 20. Shrinking now asks the
    score's clock; here the clock jumps past the deadline once shrinking starts."""
    from fuzzdiff.oracle import scoring

    real = scoring.shrink  # type: ignore[attr-defined]
    shrunk: list[tuple[bool, int]] = []

    def late_shrink(*args: object, **kwargs: object) -> object:
        stop = args[4] if len(args) > 4 else kwargs.get("stop")
        assert callable(stop) and not stop()
        with monkeypatch.context() as m:
            m.setattr(scoring, "time", type("Clock", (), {"monotonic": staticmethod(lambda: time.monotonic() + 1e6)}))
            assert stop()
            minimal, shrinker = real(*args, **kwargs)  # type: ignore[arg-type]
        shrunk.append((shrinker.stats.budget_exhausted, shrinker.stats.proposals))
        return minimal, shrinker

    monkeypatch.setattr(scoring, "shrink", late_shrink)
    with BatchScorer(slots=1, cache=cache, use_pool=True) as scorer:
        (late,) = scorer.score_batch([Request(task, python(BUGGY), budget=BUDGET, seed=1)])
    assert (late.status, late.reward) == ("ok", 0.0), late.error  # the reward is settled before shrinking
    assert shrunk == [(True, 0)] and late.counterexample is not None
    assert Pool("base64", cache).entries() == []  # a case cut short depends on speed: kept out of the pool


def test_paths_with_blanks_and_plain_command_lines_are_scored(
    task: str, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Candidate(path=...)`` was used as a command line (split at its blank), source
    text under a TMPDIR with a blank the same way, and a plain command line in a
    ``Request`` gave a traceback; ``score`` takes all three."""
    folder = tmp_path / "my dir"
    folder.mkdir()
    program = folder / "good prog"
    program.write_text(f"#!{sys.executable}\n{GOOD}")
    program.chmod(0o755)
    spaced = tmp_path / "t mp"
    spaced.mkdir()
    monkeypatch.setenv("TMPDIR", str(spaced))
    tempfile.tempdir = None  # read TMPDIR again
    try:
        with BatchScorer(slots=1, cache=cache, use_pool=False) as scorer:
            scores = scorer.score_batch(
                [
                    Request(task, Candidate(path=str(program)), budget=20, seed=1),
                    Request(task, python(GOOD), budget=20, seed=1),
                    Request(task, f"{sys.executable} {shlex.quote(str(program))}", budget=20, seed=1),  # type: ignore[arg-type]
                ]
            )
    finally:
        tempfile.tempdir = None
    assert [(s.status, s.reward) for s in scores] == [("ok", 1.0)] * 3, [s.error for s in scores]


def test_by_default_a_score_does_not_depend_on_what_was_scored_before(task: str, cache: Path) -> None:
    """With the pool on by default, a candidate scored after another's finding
    joined it could get another reward than on a fresh cache."""
    bug_a = python(BUGGY)
    bug_b = python(BUGGY + "\n# another copy\n")
    with BatchScorer(slots=1, cache=cache) as scorer:
        alone = scorer.score(task, bug_b, budget=BUDGET, seed=1)
        scorer.score(task, bug_a, budget=BUDGET, seed=1)
        after = scorer.score(task, bug_b, budget=BUDGET, seed=1)
    assert after.pool_cases == 0 and not Pool("base64", cache).entries()
    assert after.counterexample is not None and alone.counterexample is not None
    assert (after.reward, after.cases, after.counterexample.case, after.counterexample.fingerprint) == (
        alone.reward,
        alone.cases,
        alone.counterexample.case,
        alone.counterexample.fingerprint,
    )
    assert score(task, bug_b, budget=BUDGET, seed=1).pool_cases == 0  # the one-candidate call alike


def test_python_source_runs_on_a_real_interpreter_when_python3_is_a_shim(
    task: str, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyenv's `python3` is a shell script calling pyenv, which a sandboxed run cannot
    see: every case failed, and a correct candidate scored 0.0."""
    shim = "#!/bin/sh\necho 'shim: pyenv: No such file or directory' >&2\nexit 127\n"
    script_on_path(tmp_path / "shims", "python3", shim, monkeypatch)
    result = score(task, python(GOOD), budget=20, seed=1)
    assert (result.status, result.reward) == ("ok", 1.0), result.feedback


def test_what_one_candidate_gets_wrong_stays_its_own_and_shows_the_same_each_time(
    task: str, cache: Path, tmp_path: Path
) -> None:
    """A lone surrogate in one candidate's source made the whole batch raise
    (UnicodeEncodeError); a program that cannot be started was an "internal error"
    in a batch and a plain error alone; a traceback showed the candidate's random
    temporary directory, so the same candidate's feedback changed from run to run."""
    surrogate = python("print('\ud800')\n")
    traceback = python("import sys\nsys.stdin.read()\nraise ValueError('no')\n")
    no_shebang = tmp_path / "prog"
    no_shebang.write_text(GOOD.split("\n", 1)[1])  # executable, no #! line: "Exec format error"
    no_shebang.chmod(0o755)
    cands = [python(GOOD), surrogate, traceback, Candidate(path=str(no_shebang))]
    with BatchScorer(slots=2, cache=cache, use_pool=False) as scorer:
        batched = scorer.score_batch([Request(task, c, budget=20, seed=1) for c in cands])
    alone = [score(task, c, budget=20, seed=1, cache=cache) for c in cands]
    again = [score(task, c, budget=20, seed=1, cache=cache) for c in cands]
    assert [(s.status, s.reward) for s in batched] == [("ok", 1.0), ("ok", 0.0), ("ok", 0.0), ("error", None)]
    assert [stable(s) for s in batched] == [stable(s) for s in alone] == [stable(s) for s in again]
    assert "internal" not in batched[3].error and "Exec format error" in batched[3].error
    assert batched[2].counterexample is not None
    assert b'File "/tmp/candidate/candidate.py"' in batched[2].counterexample.candidate.stderr
    assert "/tmp/candidate/candidate.py" in batched[2].feedback and "fuzzdiff-" not in batched[2].feedback


def test_a_batch_never_merges_candidates_that_run_different_programs(task: str, cache: Path, tmp_path: Path) -> None:
    """A batch merged duplicates by the text of the candidate alone: `path` "my prog"
    (a good base64) and `command` "my prog" (the program `my`, printing garbage,
    with the word `prog`) got one reward; so did `Candidate(command=A, source=B)`,
    which ran A, and `Candidate(source=B)`."""
    good = tmp_path / "my prog"
    good.write_text(f"#!{sys.executable}\n{GOOD}")
    good.chmod(0o755)
    bad = tmp_path / "my"
    bad.write_text("#!/bin/sh\necho garbage\n")
    bad.chmod(0o755)
    assert Candidate(path=str(good)).identity() != Candidate(command=str(good)).identity()
    mixed = Candidate(command=f"{sys.executable} -c 'print(1)'", source=GOOD, language="python")
    requests = [
        Request(task, Candidate(path=str(good)), budget=30, seed=3),
        Request(task, Candidate(command=str(good)), budget=30, seed=3),
        Request(task, mixed, budget=30, seed=3),
        Request(task, python(GOOD), budget=30, seed=3),
    ]
    with BatchScorer(slots=2, cache=cache, use_pool=False) as scorer:
        by_path, by_command, both, by_source = scorer.score_batch(requests)
    assert (by_path.reward, by_command.reward, by_source.reward) == (1.0, 0.0, 1.0)
    assert both.status == "error" and "exactly one of command, path or source (got command, source)" in both.error


def test_a_candidate_of_the_wrong_type_or_with_a_nul_byte_is_the_callers_mistake(task: str, cache: Path) -> None:
    """`score("wc", 5)` and a command holding a NUL byte were internal errors."""
    with pytest.raises(UserError, match="not int"):
        score(task, 5, budget=5, cache=cache)  # type: ignore[arg-type]
    with pytest.raises(UserError, match="not int"):
        Request(task, 5, budget=5)  # type: ignore[arg-type]
    got = score(task, Candidate(command="cat \0 x"), budget=5, cache=cache)
    assert got.status == "error" and "NUL byte" in got.error and "internal" not in got.error


def test_a_slot_refuses_the_reference_as_candidate_whatever_it_scored_before(task: str, cache: Path) -> None:
    """A slot reused for the next candidate skipped the check a new one makes: the
    reference as candidate after a Python candidate said "cannot start ...:
    Permission denied; check the path and its execute bit" (a stranger's find)."""
    found = shutil.which("base64")
    assert found is not None
    reference = Candidate(command=found)
    requests = [
        Request(task, reference, budget=5),
        Request(task, python(GOOD), budget=5),
        Request(task, reference, budget=5),
    ]
    with BatchScorer(slots=1, cache=cache, use_pool=False) as scorer:
        first, _, after = [scorer.score_batch([r])[0] for r in requests]
    assert first.status == after.status == "error"
    assert "is the reference" in first.error and after.error == first.error
