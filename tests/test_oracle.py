"""The reward oracle: rewards on every shipped task, determinism, the reference
cache, failure statuses, and the training-framework adapters' call shapes."""

from __future__ import annotations

import re
import shutil
import signal
from collections import Counter
from pathlib import Path

import pytest

from fuzzdiff.core import plan
from fuzzdiff.core.model import Case, Outcome, Termination
from fuzzdiff.core.spec import load_task
from fuzzdiff.oracle import adapters, scoring
from fuzzdiff.oracle.scoring import Candidate, Score, is_held_out, probe_cases, probe_limit, score, scored_cases
from fuzzdiff.run.program import reference_program

from .helpers import full_check_tasks, instantiate

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

BUDGET = 300
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("FUZZDIFF_CACHE", str(root))
    return root


TIMINGS = {"seconds", "reference_executions", "candidate_executions", "cpu_seconds", "max_rss_kb", "wall_seconds"}


def stable(value: object) -> object:
    """Everything but timings, resource figures and cache counters."""
    if isinstance(value, Score):
        value = value.to_json()
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in TIMINGS}
    return value


@pytest.mark.parametrize("task", full_check_tasks())  # a bounded share of the library: test_library.py
def test_equivalent_scores_one_and_planted_bug_less(task: str, cache: Path, tmp_path: Path) -> None:
    spec = load_task(task)
    copy = tmp_path / f"clone-of-{task}"
    shutil.copy(reference_program(spec).argv[0], copy)
    good = score(task, str(copy), budget=BUDGET, seed=1, cache=cache)
    assert (good.status, good.reward) == ("ok", 1.0), good.feedback
    # a wrapper that runs the reference, unmasked: the unmasked sandbox's root for each
    # task (the campaigns of test_e2e_tasks.py run without a sandbox); few cases suffice
    wrapper = instantiate("equivalent_exec.sh", spec, tmp_path)
    allowed = score(task, wrapper, budget=60, seed=1, cache=cache, mask_reference=False)
    assert (allowed.status, allowed.reward) == ("ok", 1.0), allowed.feedback
    bug = instantiate("bug_stderr.sh", spec, tmp_path)
    bad = score(task, bug, budget=BUDGET, seed=1, cache=cache, mask_reference=False)
    assert bad.status == "ok" and bad.reward is not None and bad.reward < 1.0


def test_same_inputs_same_score(cache: Path, tmp_path: Path) -> None:
    spec = load_task("base64")
    cand = instantiate("bug_option.sh", spec, tmp_path)
    # planted bugs wrap the reference, so it must stay visible to them
    first = score("base64", cand, budget=BUDGET, seed=4, cache=cache, mask_reference=False)
    second = score("base64", cand, budget=BUDGET, seed=4, cache=cache, mask_reference=False)
    assert first.reward == 0.0 and first.counterexample is not None
    assert stable(first) == stable(second)


def test_reference_runs_once_per_case_across_candidates(cache: Path, tmp_path: Path) -> None:
    spec = load_task("fold")
    first = score("fold", "fold", budget=200, seed=2, cache=cache, use_pool=False, mask_reference=False)
    assert first.reference_executions == first.cases == 200
    wrapper = instantiate("equivalent_exec.sh", spec, tmp_path)
    second = score("fold", wrapper, budget=200, seed=2, cache=cache, use_pool=False, mask_reference=False)
    assert second.reward == 1.0
    assert second.reference_executions == 0
    assert second.candidate_executions == 200


def test_graded_policy_is_the_share_of_agreeing_probes(cache: Path, tmp_path: Path) -> None:
    spec = load_task("base64")
    bug = instantiate("bug_stderr.sh", spec, tmp_path)
    graded = score("base64", bug, budget=1000, seed=1, policy="graded", cache=cache, mask_reference=False)
    assert graded.probe_cases == len(probe_cases("base64", limit=probe_limit(1000)))
    assert graded.reward == round(graded.probe_agreed / graded.probe_cases, 6)
    assert 0.0 < graded.reward < 1.0


def test_a_graded_program_shown_wrong_never_gets_one(cache: Path) -> None:
    """Wrapping at 75 columns, not 76: every probe of base64's agrees (none has a long
    enough line), fresh cases do not; graded scored it 1.0, with the counterexample."""
    source = (Path(__file__).resolve().parents[1] / "examples" / "base64" / "good.py").read_text()
    wrap75 = Candidate(source=source.replace("wrap_column = 76", "wrap_column = 75", 1), language="python")
    graded = score("base64", wrap75, budget=80, seed=0, policy="graded", cache=cache)
    assert graded.counterexample is not None and graded.probe_agreed == graded.probe_cases
    assert graded.reward == round(graded.probe_cases / (graded.probe_cases + 1), 6) < 1.0


def test_infrastructure_errors_are_never_a_reward(cache: Path, tmp_path: Path) -> None:
    broken = tmp_path / "ghost.toml"
    broken.write_text('name = "ghost"\nprogram = "no-such-reference-xyz"\n')
    result = score(str(broken), "true", budget=10, cache=cache)
    assert result.status == "error" and result.reward is None and "not found" in result.error
    missing = score("base64", "/nonexistent/candidate", budget=10, cache=cache)
    assert missing.status == "error" and missing.reward is None


def test_crashing_candidate_is_behaviour_not_error(cache: Path) -> None:
    result = score("base64", Candidate(source="import sys\nsys.exit(3)\n", language="python"), budget=50, cache=cache)
    assert result.status == "ok" and result.reward == 0.0
    assert "exit:3" in result.feedback


def test_shell_source_candidate(cache: Path) -> None:
    wrapper = Candidate(source='exec wc "$@"\n', language="shell")
    result = score("wc", wrapper, budget=100, cache=cache, mask_reference=False)
    assert (result.status, result.reward) == ("ok", 1.0)


@pytest.mark.parametrize(
    "source",
    [
        'exec wc "$@"\n',  # by name
        'exec /usr/bin/wc "$@"\n',  # by path
        'cp /usr/bin/wc ./w 2>/dev/null; exec ./w "$@"\n',  # a copy made at run time
    ],
)
def test_calling_the_reference_is_a_cheat_by_default(cache: Path, source: str) -> None:
    result = score("wc", Candidate(source=source, language="shell"), budget=40, cache=cache)
    assert (result.status, result.reward) == ("ok", 0.0), result.feedback


def test_held_out_split_is_stable_and_partial() -> None:
    probes = probe_cases("base64")
    held = [c for c in probes if is_held_out(c)]
    assert 0.1 * len(probes) < len(held) < 0.3 * len(probes)
    assert held == [c for c in probe_cases("base64") if is_held_out(c)]


# An honest port (not a wrapper: the oracle hides the reference from candidates).
FENCED_GOOD = "Here you go:\n```python\n" + (EXAMPLES / "base64" / "good.py").read_text() + "```\n"
FENCED_BAD = "```python\nimport sys\nsys.stdout.write('nope')\n```"


def test_trl_reward_call_shape(cache: Path) -> None:
    rewards = adapters.trl_reward(
        prompts=["Write base64", "Write base64"],
        completions=[FENCED_GOOD, [{"role": "assistant", "content": FENCED_BAD}]],
        task=['{"task": "base64", "budget": 60}', '{"task": "base64", "budget": 60}'],
        completion_ids=[[1], [2]],
    )
    assert rewards == [1.0, 0.0]


def test_verl_compute_score_single_and_batch(cache: Path) -> None:
    single = adapters.verl_compute_score("fuzzdiff", FENCED_GOOD, {"task": "base64", "budget": 60}, extra_info={})
    assert single["score"] == 1.0
    batch = adapters.verl_compute_score_batch(
        ["fuzzdiff", "fuzzdiff"], [FENCED_BAD, "no code at all"], ['{"task": "base64", "budget": 60}'] * 2, [{}, {}]
    )
    assert [b["score"] for b in batch] == [0.0, 0.0]
    assert batch[1]["status"] == "no_code"


def test_openrlhf_reward_func_call_shape(cache: Path) -> None:
    prompt = "Replicate base64.\n"
    out = adapters.openrlhf_reward_func(
        queries=[prompt + FENCED_GOOD, prompt + FENCED_BAD],
        prompts=[prompt, prompt],
        labels=['{"task": "base64", "budget": 60}'] * 2,
    )
    assert list(out["rewards"]) == [1.0, 0.0]
    assert set(out) == {"rewards", "scores", "extra_logs"}
    assert set(out["extra_logs"]) == {"fuzzdiff_reward", "fuzzdiff_seconds", "fuzzdiff_cases"}
    assert list(out["extra_logs"]["fuzzdiff_cases"]) == [60.0, 1.0]


def test_trl_async_form_scorer_object_and_logs(cache: Path) -> None:
    import asyncio
    import pickle

    logged: dict[str, object] = {}
    tasks = ['{"task": "base64", "budget": 60}'] * 3
    completions = [FENCED_GOOD, FENCED_BAD, "no code"]

    def log_extra(column: str, values: list[object]) -> None:
        logged[column] = values

    def log_metric(name: str, value: float) -> None:
        logged[name] = value

    rewards = asyncio.run(
        adapters.trl_reward_async(["p"] * 3, completions, task=tasks, log_extra=log_extra, log_metric=log_metric)
    )
    assert rewards == [1.0, 0.0, 0.0]
    assert logged["fuzzdiff_status"] == ["ok", "ok", "no_code"] and logged["fuzzdiff_cases"] == [60, 1, 0]
    assert isinstance(logged["fuzzdiff/seconds"], float)
    reward = adapters.TRLReward(on_error="zero", slots=1)
    copy = pickle.loads(pickle.dumps(reward))
    try:
        assert copy.__name__ == "fuzzdiff"
        with pytest.raises(adapters.OracleError, match="unknown task"):  # a typo of the run's: not zeros
            copy(["p"], [FENCED_GOOD], task=["no-such-task"])
        assert copy(["p"], [FENCED_BAD], task=tasks[:1]) == [0.0]
    finally:
        reward.close()
        copy.close()
    batch = asyncio.run(adapters.verl_compute_score_batch_async(["d"] * 2, [FENCED_GOOD, FENCED_BAD], tasks[:2]))
    assert [b["score"] for b in batch] == [1.0, 0.0] and batch[0]["status"] == "ok"


def test_adapter_raises_on_infrastructure_error(cache: Path) -> None:
    with pytest.raises(adapters.OracleError):
        adapters.verl_compute_score("x", FENCED_GOOD, "no-such-task")


@pytest.mark.parametrize(
    ("meta", "named"),
    [
        ('{"task": "base64", "budget": 0}', "budget 0"),  # judged nothing: every program got 1.0
        ('{"task": "base64", "budget": "50"}', "budget '50'"),  # was an internal error
        ('{"task": "base64", "budget": 20.7}', "budget 20.7"),
        ('{"task": "base64", "seed": true}', "seed True"),  # deduplicated with seed 1
        ('{"task": "base64", "deadline": "abc"}', "deadline 'abc'"),
        ('{"task": "base64", "policy": "soft"}', "soft"),  # was a UserError
        ("{bad json", "not a JSON object"),  # was a JSONDecodeError
        (None, "cannot read the task"),
        ('{"task": 3}', "no task"),
        ('{"task": "base64", "bugdet": 100}', "did you mean 'budget'"),  # was scored at budget 500
        ("base46", "unknown task 'base46'"),  # every completion scored 0.0 under on_error="zero"
    ],
)
def test_metadata_that_cannot_be_scored_raises_oracle_error_whatever_on_error_says(meta: object, named: str) -> None:
    with pytest.raises(adapters.OracleError, match=re.escape(named)):
        adapters.verl_compute_score("d", FENCED_BAD, meta, on_error="zero")


def test_settings_are_checked_with_no_code_and_take_any_whole_number() -> None:
    with pytest.raises(adapters.OracleError, match="budget 0"):  # no code, so no Request: it passed
        adapters.verl_compute_score("d", "no code at all", '{"task": "base64", "budget": 0}')

    class Int64:  # numpy's integers, as a dataset column gives them: an __index__, no int
        def __index__(self) -> int:
            return 20

    from fuzzdiff.oracle.scoring import check_settings

    check_settings(Int64(), Int64(), 5)  # the old code took them


def test_adapter_settings_and_lengths_are_checked(cache: Path) -> None:
    with pytest.raises(ValueError, match="on_error='Zero'"):
        adapters.TRLReward(on_error="Zero")  # a typo meant "zero": a broken oracle passed as 0.0
    with pytest.raises(ValueError, match="on_error='ignore'"):
        adapters.trl_reward(["p"], [FENCED_BAD], on_error="ignore", task=["base64"])
    with pytest.raises(adapters.OracleError, match="2 completions but 1 task"):
        adapters.trl_reward(["p", "p"], [FENCED_BAD, FENCED_BAD], task=["base64"])
    assert adapters.verl_compute_score("d", FENCED_BAD, '{"task": " base64 ", "budget": 5}')["status"] == "ok"


@pytest.mark.parametrize(
    ("completion", "source", "language"),
    [
        ("```python\nprint(1)\n```\nRun it:\n```text\n$ python3 x.py\n```", "print(1)\n", "python"),
        ("``` bash\necho hi\r\n```", "echo hi\n", "bash"),  # a blank before the info; CRLF
        ("1. Save:\n   ```python\n   import sys\n   print(2)\n   ```\n", "import sys\nprint(2)\n", "python"),
        ('```python\nprint("```")\n```', 'print("```")\n', "python"),  # a fence inside a string
        ("```py\nprint(4)\n", "print(4)\n", "python"),  # cut at the length limit: runs to the end
        ([{"role": "assistant", "content": [{"type": "text", "text": "```\nx = 1\n```"}]}], "x = 1\n", "python"),
        ("```javascript\nconsole.log(1)\n```", None, None),  # not a language it runs
        ("`" * 200_000, None, None),  # took minutes: a regular expression was quadratic in it
        ("```python:solution.py\nprint(5)\n```", "print(5)\n", "python"),  # the info's leading word
        ("```{python}\nprint(6)\n```", "print(6)\n", "python"),
        ("```python\nprint(7)\n```\nThat's it.\n```\nHope this helps!\n", "print(7)\n", "python"),  # stray fence
        ("```python\ns = 'a\u2028b'\n```", "s = 'a\u2028b'\n", "python"),  # a line separator inside code
    ],
)
def test_the_program_is_the_last_block_in_a_language_that_runs(
    completion: object, source: str | None, language: str | None
) -> None:
    found = adapters.extract_candidate(completion)
    assert (found.source, found.language) == (source, language) if found else source is None


def test_probes_meet_each_behaviour_first_then_accepted_cases_and_a_few_of_each_way_to_fail() -> None:
    from fuzzdiff.oracle.scoring import PROBES_PER_ERROR, select_probes
    from fuzzdiff.store.corpus import StoredCase

    from .helpers import exited

    def stored(n: int, out: Outcome) -> StoredCase:
        return StoredCase(key=f"{n:04d}", case=Case(argv=(str(n).encode(),)), expected=out)

    accepted = [stored(n, exited(0, stdout=b"%d" % n)) for n in range(10)]  # one behaviour (1-byte stdout)
    # one way to fail, named with different values (masked in its class), and another
    invalid = [stored(100 + n, exited(1, stderr=b"prog: invalid number '%d'\n" % n)) for n in range(9)]
    missing = [stored(200 + n, exited(2, stderr=b"prog: missing operand\n")) for n in range(2)]
    kept = select_probes(accepted + invalid + missing)
    firsts = [accepted[0], invalid[0], missing[0]]  # one case of each behaviour, in the order given
    rest = accepted[1:] + invalid[1:PROBES_PER_ERROR] + missing[1:]  # each way to fail PROBES_PER_ERROR times in all
    assert kept == [s.case for s in firsts + rest]


def test_a_stored_outcome_with_no_answer_is_no_probe() -> None:
    """truncate's corpus held 14 cases on which GNU truncate died of SIGXFSZ at the
    run's 16 MiB file limit; a Python port (which ignores the signal) says "File
    too large" there, and every honest port scored 0.0 on the probes."""
    from fuzzdiff.oracle.scoring import select_probes
    from fuzzdiff.store.corpus import StoredCase

    from .helpers import exited

    killed = [
        StoredCase(
            key=f"k{n}", case=Case(argv=(b"-%d" % n,)), expected=Outcome(Termination.SIGNALLED, None, n, b"", b"")
        )
        for n in (int(signal.SIGXFSZ), int(signal.SIGXCPU), int(signal.SIGSEGV), int(signal.SIGBUS))
    ]
    aborted = StoredCase(
        key="a", case=Case(argv=(b"-abort",)), expected=Outcome(Termination.SIGNALLED, None, 6, b"", b"")
    )
    plain = StoredCase(key="p", case=Case(argv=(b"-p",)), expected=exited(0, stdout=b"x"))
    assert select_probes([*killed, aborted, plain]) == [aborted.case, plain.case]


def test_probes_kept_for_coverage_run_right_after_each_behaviours_first() -> None:
    from fuzzdiff.oracle.scoring import select_probes
    from fuzzdiff.store.corpus import StoredCase

    from .helpers import exited

    def stored(n: int, kind: str = "behaviour") -> StoredCase:
        return StoredCase(key=f"{n:04d}", case=Case(argv=(b"-%d" % n,)), expected=exited(0, stdout=b"x"), kind=kind)

    plain = [stored(n) for n in range(6)]  # one behaviour: the first, then the rest most novel first
    covering = [stored(10, "coverage"), stored(11, "coverage")]
    order = select_probes(plain[:3] + covering + plain[3:])
    assert order[:3] == [plain[0].case, covering[0].case, covering[1].case]
    assert set(order[3:]) == {s.case for s in plain[1:]}


def test_probes_leave_part_of_the_budget_to_the_sweep_and_fresh_cases(cache: Path) -> None:
    result = score("base64", "base64", budget=100, seed=1, cache=cache, use_pool=False, mask_reference=False)
    assert len(probe_cases("base64")) > probe_limit(100)  # the corpus alone would fill the budget
    assert result.probe_cases == probe_limit(100) < 100
    assert result.edge_cases + result.fuzz_cases == 100 - probe_limit(100)
    assert result.reward == 1.0
    # scored_cases names what that score judged, phase by phase
    phases = Counter(phase for phase, _ in scored_cases(load_task("base64"), 1, 100))
    assert phases == {"probe": result.probe_cases, "edge": result.edge_cases, "fuzz": result.fuzz_cases}


EDGY_TASK = """
name = "edgy-head"
program = "head"
[[options]]
short = "n"
long = "lines"
value = { kind = "int", min = 0, max = 20 }
[[options]]
short = "q"
long = "quiet"
[operands]
min = 0
max = 0
"""
# Wrong only where a count is exactly 2^63, where GNU head reports an overflow.
EDGY_BUG = 'for a in "$@"; do case "$a" in *9223372036854775808*) echo 0; exit 0;; esac; done; exec head "$@"\n'


def test_the_edge_sweep_finds_what_a_short_fuzz_misses(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = tmp_path / "edgy-head.toml"
    task.write_text(EDGY_TASK)
    bug = Candidate(source=EDGY_BUG, language="shell")
    found = score(str(task), bug, budget=200, seed=2, cache=cache, mask_reference=False, use_pool=False)
    assert (found.reward, found.fuzz_cases) == (0.0, 0), found.to_json()  # found in the sweep
    assert found.counterexample is not None and b"9223372036854775808" in b"".join(found.counterexample.case.argv)
    monkeypatch.setattr(plan, "EDGE_SHARE", 10**9)  # no sweep: the same budget is all fuzzing
    missed = score(str(task), bug, budget=200, seed=2, cache=cache, mask_reference=False, use_pool=False)
    assert missed.edge_cases == 0
    # fresh generation meets 2^63 only now and then: later than the sweep, if at all
    assert missed.reward == 1.0 or missed.cases > found.cases, (found.cases, missed.to_json())


def test_probes_past_the_first_of_each_behaviour_come_most_novel_first() -> None:
    from fuzzdiff.oracle.scoring import novel_first

    same = [Case(argv=(b"-s", b"a-z")) for _ in range(3)]
    other = Case(argv=(b"-d", b"[:upper:]"))
    half = Case(argv=(b"-s", b"[:upper:]", b"x"))
    order = novel_first([*same, half, other], seen={b"-s"})
    assert order[:2] == [half, same[0]]  # two new tokens, then one ("a-z"); "[:upper:]" is seen by then
    assert order[2] == other and order[3:] == same[1:]  # "-d" is new; the repeats come last, in order
    assert novel_first([], set()) == []


def test_feedback_on_files_quotes_each_differing_file_with_its_content() -> None:
    """It listed the names only, unquoted: a file named `0` read like a count, and
    a file whose content was wrong did not show what was wrong."""
    from fuzzdiff.core.compare import compare
    from fuzzdiff.core.spec import CompareSpec

    from .helpers import exited

    case = Case(argv=(b"0",))
    ref = exited(0, files=((b"0", b"one\n"), (b"same", b"x"), (b"only-ref", b"r")))
    cand = exited(0, files=((b"0", b"two\n"), (b"same", b"x"), (b"d", None)))
    div = compare(case, ref, cand, CompareSpec())
    assert div is not None and div.channels == ("files",)
    text = scoring.feedback(div, 0, "prog")
    expected, got = text.split("\nGot: ")
    assert 'file "0": "one\\n"' in expected and 'file "only-ref": "r"' in expected and 'no file "d"' in expected
    assert 'file "0": "two\\n"' in got and 'file "d": (a directory)' in got and 'no file "only-ref"' in got
    assert '"same"' not in text


def test_a_source_candidate_sees_the_same_parent_directory_as_the_reference(cache: Path, tmp_path: Path) -> None:
    """Source text was written under /tmp, and a sandbox's /tmp is private: the
    candidate's directory was bound into it, so the working directory's parent held
    one more entry for the candidate than for the reference, and a perfect port of
    ``stat -c '%h %s' ..`` (or of ``ls -a -l``) scored 0."""
    import fuzzdiff.run.sandbox

    if not fuzzdiff.run.sandbox.bwrap_available():
        pytest.skip("bubblewrap cannot start a sandbox here")
    task = tmp_path / "stat-parent.toml"
    task.write_text('name = "stat-parent"\nprogram = "stat"\nargs = ["-c", "%h %s", ".."]\n[operands]\nmax = 0\n')
    port = "import os\nst = os.stat('..')\nprint(st.st_nlink, st.st_size)\n"
    # the first three cases of seed 0 give no arguments (a later one an unknown option, which the port ignores)
    result = score(str(task), Candidate(source=port, language="python"), budget=3, cache=cache)
    assert (result.status, result.reward) == ("ok", 1.0), result.feedback


def test_a_candidate_that_does_not_compile_is_told_so_where_its_divergence_is_hidden(cache: Path) -> None:
    """wc's first probe is held out, so a candidate with a syntax error got only
    "differs on 1 hidden test(s)", though fuzzdiff knew it does not compile."""
    got = score("wc", Candidate(source='import sys\nprint("hi"\n', language="python"), budget=50, seed=3, cache=cache)
    assert got.reward == 0.0 and got.counterexample is None and got.hidden_failures
    assert "does not run: the script does not compile (SyntaxError)" in got.feedback
