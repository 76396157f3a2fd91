"""Mutators (pure, seeded) and behaviour-guided campaigns with fake programs."""

from __future__ import annotations

import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzzdiff.core.codec import decode_case, encode_case
from fuzzdiff.core.errors import UserError
from fuzzdiff.core.generate import RecentKeys, generate_cases
from fuzzdiff.core.model import CampaignResult, Case, Finished, Outcome
from fuzzdiff.core.mutate import (
    GUIDANCE,
    MAX_ARGV,
    MAX_DATA,
    Dictionary,
    Mutator,
    Parent,
    feed_back,
    make_boundary,
    parse_guidance,
)
from fuzzdiff.core.plan import case_stream
from fuzzdiff.core.spec import TaskSpec, parse_task
from fuzzdiff.engine.campaign import CampaignConfig, run_campaign
from fuzzdiff.run.execute import FunctionExecutor
from fuzzdiff.run.runner import Meanwhile, Pair, SerialRunner

from .helpers import CAND, REF, SIMPLE_TASK, exited, final_result

ALL = frozenset(GUIDANCE)


def parents(spec: TaskSpec, n: int = 40) -> list[Parent]:
    return [Parent(c, b" ".join(c.argv) + b"\n" + c.stdin) for c in generate_cases(spec, 3, n)]


def mutants(spec: TaskSpec, seed: int, n: int = 200, guidance: frozenset[str] = ALL) -> list[Case | None]:
    mutator = Mutator(spec, guidance)
    rng = random.Random(seed)
    pool = parents(spec)
    return [mutator.mutant(rng, rng.choice(pool), rng.choice(pool)) for _ in range(n)]


def test_mutants_are_a_function_of_the_seed(spec: TaskSpec) -> None:
    assert mutants(spec, 7) == mutants(spec, 7)
    assert mutants(spec, 7) != mutants(spec, 8)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_mutants_are_valid_cases(seed: int) -> None:
    spec = parse_task(SIMPLE_TASK, "<test>")
    made = [m for m in mutants(spec, seed, 60) if m is not None]
    assert made, "most mutations apply"
    for case in made:
        assert isinstance(case, Case)
        assert all(isinstance(a, bytes) and b"\x00" not in a for a in case.argv) and len(case.argv) <= MAX_ARGV
        assert len(case.stdin) <= MAX_DATA and all(len(c) <= MAX_DATA for _, c in case.files)
        names = [n for n, _ in case.files]
        assert names == sorted(set(names))
        assert decode_case(encode_case(case)) == case  # storable in a corpus like any case


def test_each_family_alone_changes_cases(spec: TaskSpec) -> None:
    pool = parents(spec)
    for family in ("mutate", "dictionary", "feedback"):
        made = [m for m in mutants(spec, 1, 100, frozenset({family})) if m is not None]
        assert sum(m not in {p.case for p in pool} for m in made) >= 20, family
    assert not Mutator(spec, frozenset({"pool"})).active
    assert not Mutator(spec, frozenset()).active


def test_feedback_feeds_the_reference_output_back(spec: TaskSpec) -> None:
    listing = b"e3b0c442  a\n"
    parent = Parent(Case(argv=(b"a",), files=((b"a", b""),)), listing)
    dictionary = Dictionary(spec)
    seen_stdin = seen_file = False
    for seed in range(60):
        case = feed_back(random.Random(seed), parent, dictionary)
        assert case is not None
        assert dict(case.files)[b"a"] == b"", "the parent's files are kept, so a listing still verifies"
        as_file = [n for n, c in case.files if c == listing]
        assert case.stdin == listing or as_file
        if as_file:
            assert as_file[0] in case.argv, "a fed-back file is named as an operand"
            seen_file = True
        else:
            seen_stdin = True
    assert seen_stdin and seen_file
    assert feed_back(random.Random(0), Parent(Case(), b""), dictionary) is None  # no output, nothing to feed


def test_boundary_moves_a_number_to_an_edge(spec: TaskSpec) -> None:
    dictionary = Dictionary(spec)
    boundary = make_boundary(dictionary.numbers)
    case = Case(argv=(b"-n", b"7", b"in.txt"))
    values = set()
    for seed in range(200):
        out = boundary(random.Random(seed), case, case)
        assert out is not None and out.argv[0] == b"-n" and out.argv[2] == b"in.txt"
        values.add(int(out.argv[1]))
    assert {0, 1, -1, 50, 51, 2**31, 2**63} <= values  # the task's own max (50) and its successor too
    assert boundary(random.Random(0), Case(argv=(b"-a",)), case) is None


def test_dictionary_harvests_tokens_in_order_and_bounded(spec: TaskSpec) -> None:
    d = Dictionary(spec)
    d.harvest(b"usage: prog [--alpha] 'file'\n  -n, --number=N")
    assert d.tokens()[:4] == (b"usage", b"prog", b"--alpha", b"file")
    assert b"--number=N" in d.tokens()
    for i in range(2000):
        d.harvest(f"tok{i}".encode())
    assert len(d.tokens()) == 512


def test_parse_guidance() -> None:
    assert parse_guidance("all") == ALL
    assert parse_guidance("none") == frozenset()
    assert parse_guidance("pool,feedback") == {"pool", "feedback"}
    assert parse_guidance("-feedback") == ALL - {"feedback"}
    with pytest.raises(UserError, match="unknown guidance 'bogus'"):
        parse_guidance("bogus")
    with pytest.raises(UserError):
        parse_guidance("pool,-feedback")
    assert parse_guidance("all,all") == ALL  # was "unknown guidance 'all'"
    with pytest.raises(UserError, match="names no guidance"):
        parse_guidance(",")  # silently meant none


# -- campaigns -----------------------------------------------------------------------


def _decode_mode(argv: Sequence[bytes]) -> bool:
    return any(a == b"-a" or (len(a) > 2 and b"--alpha".startswith(a)) for a in argv)


def hex_tool(case: Case) -> Outcome:
    """A reference: writes stdin as hex, or with -a/--alpha decodes hex from stdin."""
    if not _decode_mode(case.argv):
        return exited(0, case.stdin.hex().encode() + b"\n")
    try:
        return exited(0, bytes.fromhex(case.stdin.decode("ascii")))
    except ValueError:
        return exited(1, stderr=b"prog: invalid input\n")


def hex_tool_bug(case: Case) -> Outcome:
    """The candidate: decoding 24 bytes or more loses the last one. Random stdin is
    never 48 valid hex digits; the reference's own output is."""
    out = hex_tool(case)
    if _decode_mode(case.argv) and out.exit_code == 0 and len(out.stdout) >= 24:
        return exited(0, out.stdout[:-1])
    return out


class ThreadedRunner(SerialRunner):
    """Evaluates each batch on threads in whatever order they finish (a stand-in
    for worker processes), returning pairs in case order like every runner; tells
    the caller's ``meanwhile`` of each pair as it finishes and steps it a
    different number of times each call, as workers of varying speed would."""

    calls = 0

    def run_pairs(
        self, cases: Sequence[Case], fresh: bool = False, meanwhile: Meanwhile | None = None, stop_on_slow: bool = False
    ) -> list[Pair]:
        def one(case: Case) -> Pair:
            return (self.executor.run(self.reference, case), self.executor.run(self.candidate, case))

        self.calls += 1
        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = {pool.submit(one, case): i for i, case in enumerate(cases)}
            for done in as_completed(futures):
                if meanwhile is not None:
                    meanwhile.arrived(futures[done], done.result())
                    for _ in range((self.calls * 37 + futures[done]) % 7):
                        meanwhile.step()
            return [f.result() for f in sorted(futures, key=futures.__getitem__)]


def hex_campaign(spec: TaskSpec, guidance: frozenset[str], runner_type: type = SerialRunner) -> CampaignResult:
    executor = FunctionExecutor({REF.argv[0]: hex_tool, CAND.argv[0]: hex_tool_bug})
    config = CampaignConfig(seed=5, budget=2000, guidance=guidance)
    events = list(run_campaign(spec, runner_type(executor, REF, CAND), REF, CAND, config))
    last = events[-1]
    assert isinstance(last, Finished)
    return last.result


def test_bug_reached_only_through_reference_output_is_found(spec: TaskSpec) -> None:
    random_only = hex_campaign(spec, frozenset())
    assert random_only.verdict == "equivalent" and random_only.cases == 2000
    # (havoc alone may or may not: a repeated token of a pooled case can be 48 hex
    # digits, so whether it does depends on what the edge sweep pools for a seed)
    for guidance in (ALL, frozenset({"pool", "feedback"}), frozenset({"pool", "dictionary"})):
        # output fed back as stdin, or a harvested hex token inserted into stdin
        guided = hex_campaign(spec, guidance)
        assert guided.verdict == "divergent", guidance
        minimal = guided.findings[0].divergence.case
        assert _decode_mode(minimal.argv) and len(bytes.fromhex(minimal.stdin.decode())) >= 24


def test_guided_campaign_is_independent_of_batch_timing(spec: TaskSpec) -> None:
    serial = hex_campaign(spec, ALL)
    threaded = hex_campaign(spec, ALL, ThreadedRunner)
    assert serial.cases == threaded.cases
    assert serial.counterexample == threaded.counterexample
    assert serial.behaviours == threaded.behaviours


class BatchRecorder(ThreadedRunner):
    """A ``ThreadedRunner`` that keeps the size of each batch it was given."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.batches: list[int] = []

    def run_pairs(
        self, cases: Sequence[Case], fresh: bool = False, meanwhile: Meanwhile | None = None, stop_on_slow: bool = False
    ) -> list[Pair]:
        self.batches.append(len(cases))
        return super().run_pairs(cases, fresh, meanwhile, stop_on_slow)


def test_next_window_opens_while_this_one_is_judged_and_mutates_from_all_of_it(
    spec: TaskSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch runs this window's mutants and the next window's fresh cases, so the
    workers need not wait while mutants are made; yet each window's mutants are
    made only once every case before them is judged (no lag in feedback)."""
    from fuzzdiff.engine import guided as engine

    log: list[tuple[str, int]] = []
    observed = 0
    observe, make = engine.Guide.observe, engine.Guide.mutants

    def counting_observe(self: engine.Guide, *args: object) -> None:
        nonlocal observed
        observed += 1
        observe(self, *args)  # type: ignore[arg-type]

    def logging_mutants(self: engine.Guide, count: int, seen: RecentKeys, *path: object) -> list[Case]:
        log.append((f"{path}", observed))
        return make(self, count, seen, *path)

    monkeypatch.setattr(engine.Guide, "observe", counting_observe)
    monkeypatch.setattr(engine.Guide, "mutants", logging_mutants)
    executor = FunctionExecutor({REF.argv[0]: hex_tool, CAND.argv[0]: hex_tool})
    runner = BatchRecorder(executor, REF, CAND)
    events = list(run_campaign(spec, runner, REF, CAND, CampaignConfig(seed=2, budget=500)))
    assert final_result(events).cases == 500
    # window 0: 64 fresh; windows 1-6: 16 fresh then 48 mutants; window 7 (52 left): 13 and 39
    assert runner.batches == [64 + 16, *[48 + 16] * 5, 48 + 13, 39]
    made = [(path, seen) for path, seen in log if path.startswith("(") and "fill" not in path]
    assert made[0] == ("(0,)", 0)  # no parents yet: nothing made
    for number in range(1, 8):
        assert (f"({number},)", 64 * number) in made, f"window {number}'s mutants made after all before it were judged"


def test_guidance_keeps_the_budget_and_distinct_cases(spec: TaskSpec) -> None:
    judged: list[Case] = []

    def recording(case: Case) -> Outcome:
        judged.append(case)
        return hex_tool(case)

    executor = FunctionExecutor({REF.argv[0]: recording, CAND.argv[0]: hex_tool})
    events = list(run_campaign(spec, SerialRunner(executor, REF, CAND), REF, CAND, CampaignConfig(seed=2, budget=500)))
    result = final_result(events)
    assert result.cases == 500 and result.verdict == "equivalent"
    assert len(judged) == len(set(judged)) == 500
    fresh = set(case_stream(spec, 2, 500))  # the edge sweep, then fresh generation
    assert 100 < sum(c not in fresh for c in judged) < 400, "about half are mutants after the first window"


def test_option_reader_reads_argv_as_getopt_does() -> None:
    from fuzzdiff.core.mutate import OptionReader
    from fuzzdiff.core.spec import load_task

    read = OptionReader(load_task("cut")).names
    assert read([b"-s", b"--output-delimiter=:", b"--comp", b"-f1"]) == (
        "--complement",
        "--fields",
        "--only-delimited",
        "--output-delimiter",
    )
    assert read([b"-sf", b"1", b"--co"]) == ("--complement", "--fields", "--only-delimited")
    assert read([b"-f", b"-s"]) == ("--fields",)  # "-s" is -f's value
    assert read([b"--output-delimiter", b"-s"]) == ("--output-delimiter",)
    assert read([b"--", b"-s"]) == ()  # operands after "--"
    assert read([b"-zsd:"]) == ("--delimiter", "--only-delimited", "--zero-terminated")
    assert read([b"--bogus", b"-q", b"file"]) == ()


def test_merge_adds_the_other_cases_options_with_their_values() -> None:
    import random

    from fuzzdiff.core.mutate import OptionReader, make_merge
    from fuzzdiff.core.spec import load_task

    reader = OptionReader(load_task("cut"))
    merge = make_merge(reader)
    a = Case(argv=(b"-s", b"-f", b"1", b"--", b"file"), stdin=b"x")
    b = Case(argv=(b"--output-delimiter", b":", b"-f2", b"--complement", b"in"))
    for seed in range(20):
        out = merge(random.Random(seed), a, b)
        assert out is not None and out.stdin == a.stdin
        assert reader.names(out.argv) == ("--complement", "--fields", "--only-delimited", "--output-delimiter")
        assert out.argv[-2:] == (b"--", b"file")  # operands after "--" stay operands
        assert b"in" not in out.argv  # operands of the other case are not options
    assert merge(random.Random(0), a, Case(argv=(b"-s",))) is None  # nothing new to add


def test_mutants_never_name_a_path_outside_the_case_directory(spec: TaskSpec) -> None:
    """A byte flipped in `nodir/x` or a token harvested from output can make `/x`
    or `..`: in plain mode, run as root, a chmod or rm case then acts on the host."""
    from fuzzdiff.core.model import reaches_out

    parent = Parent(Case(argv=(b"-a", b"x/", b"./a", b".x."), stdin=b"/etc ../up a/../b\n"), b"/usr/bin ../x\n")
    mutator = Mutator(spec, frozenset(GUIDANCE))
    mutator.dictionary.harvest(b"cannot open /usr/bin or ../up for reading")  # as a campaign harvests outputs
    made = [mutator.mutant(random.Random(seed), parent, parent) for seed in range(3000)]
    assert sum(m is not None for m in made) > 1000
    assert not [m.argv for m in made if m is not None and any(reaches_out(a) for a in m.argv)]


def test_a_splice_never_makes_files_that_cannot_be_written_together(spec: TaskSpec) -> None:
    """A file `d` in one parent and `d/f` in the other: together they are no tree."""
    from fuzzdiff.core.model import file_names_problem

    parent = Parent(Case(argv=(b"d",), files=((b"d", b"x\n"),)), b"x\n")
    other = Parent(Case(argv=(b"d/f",), files=((b"d/f", b"y\n"),)), b"y\n")
    mutator = Mutator(spec, frozenset(GUIDANCE))
    made = [mutator.mutant(random.Random(seed), parent, other) for seed in range(400)]
    assert sum(m is not None for m in made) > 100
    assert not [m for m in made if m is not None and file_names_problem(n for n, _ in m.files)]


def test_a_mutant_of_a_case_of_thousands_of_files_keeps_those_its_argv_names(spec: TaskSpec) -> None:
    names = [f"U+{point:04X}".encode() for point in range(0x4D00, 0x4E00)]
    parent = Parent(Case(argv=(b"-a", *names), files=tuple((n, b"x\n") for n in names)), b"")
    mutator = Mutator(spec, frozenset(GUIDANCE))
    made = [m for m in (mutator.mutant(random.Random(seed), parent, parent) for seed in range(200)) if m]
    assert made
    assert all({n for n, _ in m.files} <= set(m.argv) for m in made)  # argv keeps at most MAX_ARGV of 257
