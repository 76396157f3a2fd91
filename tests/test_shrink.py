"""Shrinking: exact minimal counterexamples for planted bugs, and the shrinker's invariants."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzdiff.core.compare import compare
from fuzzdiff.core.model import Case, Divergence, Found, Outcome, Termination
from fuzzdiff.core.shrink import Shrinker, _byte_cost, _cost, sort_key
from fuzzdiff.core.spec import CompareSpec, TaskSpec
from fuzzdiff.engine.judging import spellings

from .helpers import cases, echo_program, exited, fake_campaign, make_judge


def planted(trigger: Callable[[Case], bool], mutate: Callable[[Outcome], Outcome]) -> Callable[[Case], Outcome]:
    def candidate(case: Case) -> Outcome:
        out = echo_program(case)
        return mutate(out) if trigger(case) else out

    return candidate


def extra_output(o: Outcome) -> Outcome:
    return exited(o.exit_code or 0, o.stdout + b"!", o.stderr, o.files)


def wrong_status(o: Outcome) -> Outcome:
    return exited(3, o.stdout, o.stderr, o.files)


def shrink(spec: TaskSpec, candidate: Callable[[Case], Outcome], start: Case, batch: int = 4) -> Divergence:
    judge = make_judge(spec, echo_program, candidate)
    (div,) = judge.check([start])
    assert div is not None, "the starting case must diverge"
    return Shrinker(judge.check, div, batch=batch, spellings=spellings(spec)).shrink()


BIG = Case(
    argv=(b"--alpha", b"-n", b"40", b"with space", b"-", b"--number=33"),
    stdin=b"first line\nsecond \xff line\nzzz third\n",
    files=((b"with space", b"content\nmore content\n"), (b"other", b"x")),
    env=(("EXTRA", "1"),),
)


def test_option_dependent_bug_shrinks_to_the_option(spec: TaskSpec) -> None:
    cand = planted(lambda c: b"--alpha" in c.argv or b"-a" in c.argv, extra_output)
    assert shrink(spec, cand, BIG).case == Case(argv=(b"-a",))


def test_content_dependent_bug_shrinks_to_the_byte(spec: TaskSpec) -> None:
    cand = planted(lambda c: b"z" in c.stdin, wrong_status)
    assert shrink(spec, cand, BIG).case == Case(stdin=b"z")


def test_line_count_bug_keeps_exactly_three_newlines(spec: TaskSpec) -> None:
    cand = planted(lambda c: c.stdin.count(b"\n") >= 3, extra_output)
    assert shrink(spec, cand, BIG).case == Case(stdin=b"\n\n\n")


def test_number_bug_shrinks_to_the_boundary(spec: TaskSpec) -> None:
    def big_number(c: Case) -> bool:
        return any(int(m) >= 17 for a in c.argv for m in re.findall(rb"\d+", a))

    cand = planted(big_number, extra_output)
    assert shrink(spec, cand, BIG).case == Case(argv=(b"17",))


def test_file_bug_keeps_one_file_with_plain_content(spec: TaskSpec) -> None:
    cand = planted(lambda c: any(b"\n" in data for _, data in c.files), extra_output)
    assert shrink(spec, cand, BIG).case == Case(files=((b"a", b"\n"),))


def test_fingerprint_is_kept_and_other_bugs_are_recorded(spec: TaskSpec) -> None:
    def two_bugs(case: Case) -> Outcome:
        out = echo_program(case)
        if b"z" in case.stdin:
            out = wrong_status(out)
        if b"-a" in case.argv or b"--alpha" in case.argv:
            out = extra_output(out)
        return out

    judge = make_judge(spec, echo_program, two_bugs)
    (div,) = judge.check([BIG])
    assert div is not None and div.fingerprint.channels == ("exit", "stdout")
    shrinker = Shrinker(judge.check, div, spellings=spellings(spec))
    result = shrinker.shrink()
    assert result.fingerprint == div.fingerprint
    assert result.case == Case(argv=(b"-a",), stdin=b"z")
    assert {fp.channels for fp in shrinker.others} >= {("stdout",)}


def test_result_does_not_depend_on_batch_size(spec: TaskSpec) -> None:
    cand = planted(lambda c: c.stdin.count(b"e") >= 2 and len(c.argv) >= 2, extra_output)
    results = {shrink(spec, cand, BIG, batch=b).case for b in (1, 3, 8)}
    assert len(results) == 1


def test_budget_bounds_the_work(spec: TaskSpec) -> None:
    cand = planted(lambda c: b"z" in c.stdin, wrong_status)
    judge = make_judge(spec, echo_program, cand)
    (div,) = judge.check([BIG])
    assert div is not None
    shrinker = Shrinker(judge.check, div, budget=5)
    result = shrinker.shrink()
    assert shrinker.stats.proposals <= 5
    assert result.fingerprint == div.fingerprint


def test_a_stop_ends_shrinking_with_the_best_case_so_far(spec: TaskSpec) -> None:
    """The reward oracle's deadline: shrinking ran 500 tries past it on a slow candidate."""
    cand = planted(lambda c: b"z" in c.stdin, wrong_status)
    judge = make_judge(spec, echo_program, cand)
    (div,) = judge.check([BIG])
    assert div is not None
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 3

    shrinker = Shrinker(judge.check, div, batch=2, stop=stop)
    result = shrinker.shrink()
    assert shrinker.stats.budget_exhausted and shrinker.stats.proposals <= 3 * 2
    assert result.fingerprint == div.fingerprint and sort_key(result.case) <= sort_key(BIG)
    assert Shrinker(judge.check, div, batch=2).shrink().case.size() < result.case.size()  # it did stop early


@st.composite
def needled_cases(draw: st.DrawFn) -> tuple[Case, bytes]:
    """A case of ``cases`` and a needle spliced into its stdin, one of its
    arguments (or a new one) or one of its files (or a new one): a case the
    planted bug of the test below fires on, so every example is shrunk."""
    case = draw(cases)
    needle = draw(st.sampled_from([b"a", b"\n", b"-", b"0"]))

    def spliced(data: bytes) -> bytes:
        at = draw(st.integers(0, len(data)))
        return data[:at] + needle + data[at:]

    place = draw(st.sampled_from(["stdin", "argv", "file"]))
    if place == "stdin":
        return replace(case, stdin=spliced(case.stdin)), needle
    if place == "argv":
        i = draw(st.integers(0, len(case.argv)))
        argv = (*case.argv[:i], spliced(case.argv[i] if i < len(case.argv) else b""), *case.argv[i + 1 :])
        return replace(case, argv=argv), needle
    if not case.files:
        return replace(case, files=((b"f", needle),)), needle
    i = draw(st.integers(0, len(case.files) - 1))
    name, content = case.files[i]
    return replace(case, files=(*case.files[:i], (name, spliced(content)), *case.files[i + 1 :])), needle


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(needled_cases())
def test_shrinking_never_grows_and_keeps_the_fingerprint(spec: TaskSpec, start_and_needle: tuple[Case, bytes]) -> None:
    start, needle = start_and_needle

    def trigger(c: Case) -> bool:
        return needle in c.stdin or any(needle in a for a in c.argv) or any(needle in d for _, d in c.files)

    cand = planted(trigger, extra_output)
    judge = make_judge(spec, echo_program, cand)
    (div,) = judge.check([start])
    assert div is not None, "the needle makes the planted bug fire"
    result = Shrinker(judge.check, div, budget=300).shrink()
    assert sort_key(result.case) <= sort_key(start)
    assert result.case.size() <= start.size()
    assert result.fingerprint == div.fingerprint
    assert compare(result.case, result.reference, result.candidate, spec.compare) is not None


def test_option_with_value_is_dropped_as_a_pair(spec: TaskSpec) -> None:
    """``-n 5`` at an odd position: dropping either token alone changes the behaviour."""

    def ref(case: Case) -> Outcome:
        argv = list(case.argv)
        while argv:
            tok = argv.pop(0)
            if tok == b"-n":
                if not argv or not argv[0].isdigit():
                    return exited(1, stderr=b"-n needs a number\n")
                argv.pop(0)
            elif tok.isdigit():
                return exited(2, stderr=b"extra operand\n")
        return echo_program(case)

    def cand(case: Case) -> Outcome:
        out = ref(case)
        bug = out.exit_code == 0 and b"x" in case.argv and (b"--alpha" in case.argv or b"-a" in case.argv)
        return extra_output(out) if bug else out

    judge = make_judge(spec, ref, cand)
    (div,) = judge.check([Case(argv=(b"x", b"-n", b"5", b"--alpha"))])
    assert div is not None
    assert Shrinker(judge.check, div, spellings=spellings(spec)).shrink().case == Case(argv=(b"x", b"-a"))


@given(st.binary(max_size=300))
def test_the_plainness_of_a_blob_is_the_sum_of_its_bytes_costs(data: bytes) -> None:
    assert _cost(data) == sum(_byte_cost(b) for b in data)


def test_a_bug_that_needs_a_length_modulo_57_shrinks_to_57_bytes(spec: TaskSpec) -> None:
    # base64 ending a full 76-column line: the input's length is what matters, and
    # no deletion of a power-of-two chunk keeps it; the prefix pass cuts to it
    lines = b"".join(b"line %d of some text\n" % i for i in range(600))
    start = Case(stdin=lines[: len(lines) - len(lines) % 57])
    cand = planted(lambda c: len(c.stdin) > 0 and len(c.stdin) % 57 == 0, extra_output)
    result = shrink(spec, cand, start).case
    assert len(result.stdin) == 57 and result.argv == () and result.files == ()


def test_a_long_line_that_must_stay_a_multiple_of_four_shrinks_to_its_least_length(spec: TaskSpec) -> None:
    # a 64 KiB line of base64 to decode: any single byte deleted breaks it
    cand = planted(lambda c: len(c.stdin) >= 200 and len(c.stdin) % 4 == 0, extra_output)
    judge = make_judge(spec, echo_program, cand)
    (div,) = judge.check([Case(stdin=b"QUJD" * 16384)])
    assert div is not None
    shrinker = Shrinker(judge.check, div, budget=2000)
    assert shrinker.shrink().case == Case(stdin=b"a" * 200)
    assert not shrinker.stats.budget_exhausted


def test_a_number_far_above_its_boundary_goes_down_to_it_in_few_tries(spec: TaskSpec) -> None:
    def wide(c: Case) -> bool:
        return any(int(m) >= 65536 for a in c.argv for m in re.findall(rb"\d+", a))

    judge = make_judge(spec, echo_program, planted(wide, extra_output))
    (div,) = judge.check([Case(argv=(b"-w", b"99999"))])
    assert div is not None
    shrinker = Shrinker(judge.check, div, budget=2000)
    assert shrinker.shrink().case == Case(argv=(b"65536",))
    assert shrinker.stats.proposals < 400


def test_an_option_and_its_value_go_together(spec: TaskSpec) -> None:
    """Halving three argv tokens went from chunks of 3 to chunks of 1, and neither
    `-w` nor `5` can go alone: `-d -w 5` stayed so."""

    def candidate(case: Case) -> Outcome:
        out, argv = echo_program(case), case.argv
        value = list(argv[argv.index(b"-w") + 1 : argv.index(b"-w") + 2]) if b"-w" in argv else []
        if (b"-w" in argv and value != [b"5"]) or (b"5" in argv and b"-w" not in argv):
            return wrong_status(out)  # another failure: the fingerprint changes
        return extra_output(out) if b"-d" in argv else out

    assert shrink(spec, candidate, Case(argv=(b"-d", b"-w", b"5"))).case == Case(argv=(b"-d",))


def test_shrinking_never_makes_a_path_outside_the_case_directory() -> None:
    """Shrinking `chmod -s -r nodir/x` (any proposal kept the divergence) reached
    `chmod -s -r /`: in plain mode, run as root, the host's `/` became 0311."""
    from fuzzdiff.core.model import reaches_out

    case = Case(argv=(b"-s", b"-r", b"nodir/x", b"--to=a/b", b"/dev/null"))
    div = compare(case, exited(0, b"r"), exited(0, b"c"), CompareSpec())
    assert div is not None
    judged: list[Case] = []

    def check(proposals: Sequence[Case]) -> list[Divergence | None]:
        judged.extend(proposals)
        return [replace(div, case=p) for p in proposals]

    small = Shrinker(check, div, budget=3000).shrink()
    assert judged and small.case.size() < case.size()
    made = {a for c in judged for a in c.argv if reaches_out(a)}
    assert made <= {b"/dev/null"}, made  # the task's own absolute path may stay; no new one
    assert [reaches_out(a) for a in (b"/", b"..", b"a/../b", b"--dir=/x", b"-d/x", b"nodir/x", b"a..b", b"-r")] == [
        True, True, True, True, True, False, False, False,
    ]  # fmt: skip


def test_a_case_of_thousands_of_files_keeps_the_one_it_needs_in_few_tries(spec: TaskSpec) -> None:
    # a width wrong at one code point, shown by a count per file (the sweep's case in a UTF-8 locale)
    needle = "\ud7b0".encode("utf-8", "surrogatepass")
    names = [f"{point:x}".encode() for point in range(0xD000, 0xD800)]
    files = tuple((name, chr(int(name, 16)).encode("utf-8", "surrogatepass") + b"\n") for name in names)
    start = Case(argv=(b"-a", *names), files=files)

    def trigger(c: Case) -> bool:
        return any(name in c.argv and needle in data for name, data in c.files)

    judge = make_judge(spec, echo_program, planted(trigger, extra_output))
    (div,) = judge.check([start])
    assert div is not None
    shrinker = Shrinker(judge.check, div, spellings=spellings(spec))
    assert shrinker.shrink().case == Case(argv=(b"a",), files=((b"a", needle),))
    assert not shrinker.stats.budget_exhausted
    assert shrinker.stats.by_pass["_drop_file_chunks"] < 40  # about two tries a halving of 2,048 files


def test_whole_file_proposals_of_a_case_of_thousands_of_files_are_made_one_at_a_time() -> None:
    from itertools import islice

    from fuzzdiff.core.shrink import _smallest_first

    made: list[int] = []

    def make(i: int) -> Case:
        made.append(i)
        return Case(argv=(str(i).encode(),))

    assert [cursor for _, cursor in islice(_smallest_first(make, 5000, (7,)), 3)] == [(7,), (8,), (9,)]
    assert made == [7, 8, 9]  # not 5,000 copies of the case first
    ranked = [case.argv for case, _ in _smallest_first(make, 3, ())]
    assert ranked == [(b"0",), (b"1",), (b"2",)] and len(made) == 6  # a few files: all made, smallest first


def test_a_bug_that_needs_a_byte_in_a_file_name_shrinks_the_name_to_that_byte(spec: TaskSpec) -> None:
    """File names were only ever replaced by plain short ones, so a bug that needs a
    quote in a name kept the whole generated name (``~}'``, ``\\xff\\xfe.bin``)."""

    def quoted_name_named(c: Case) -> bool:
        return any(b"'" in name and name in c.argv for name, _ in c.files)

    start = Case(argv=(b"-n", b"~}'x", b"other"), files=((b"~}'x", b"data\n"), (b"other", b"x")))
    cand = planted(quoted_name_named, wrong_status)
    assert shrink(spec, cand, start).case == Case(argv=(b"'",), files=((b"'", b""),))
    # a name in a directory keeps its directory
    start = Case(argv=(b"sub/a'b",), files=((b"sub/a'b", b"x"),))
    assert shrink(spec, cand, start).case == Case(argv=(b"sub/'",), files=((b"sub/'", b""),))


def _numbering(case: Case) -> Outcome:
    """A reference printing a long line per input byte, stopped at a 4 KiB output
    cap as the executor stops it (the output it kept, no exit status)."""
    out = b"".join(b"%8d %r\n" % (i, bytes([b])) for i, b in enumerate(case.stdin))
    if len(out) > 4096:
        return Outcome(Termination.OUTPUT_CAP, None, None, out[:4096], b"", case.files)
    return exited(0, stdout=out, files=case.files)


def test_a_reference_stopped_at_the_output_cap_does_not_keep_the_case_big(spec: TaskSpec) -> None:
    """uutils' `nl -w255` refuses a byte that is not UTF-8; GNU numbered 128 KiB of
    input to the output cap. The minimal case stayed 29 KB, because shrinking kept
    the fingerprint `output-cap vs exit:1` and a small input ends under the cap."""

    def refuses_byte(case: Case) -> Outcome:
        return exited(1, stderr=b"prog: invalid utf-8\n") if b"\xed" in case.stdin else _numbering(case)

    start = Case(argv=(b"-w255",), stdin=b"x" * 3000 + b"\xed\xa0\x80\n" + b"y" * 3000)
    judge = make_judge(spec, _numbering, refuses_byte)
    (div,) = judge.check([start])
    assert div is not None and div.fingerprint.reference_exit == "output-cap"
    shrunk = Shrinker(judge.check, div, spellings=spellings(spec)).shrink()
    assert shrunk.case.stdin == b"\xed" and shrunk.fingerprint.reference_exit == "exit:0"
    assert shrunk.fingerprint.candidate_exit == "exit:1"


def test_a_candidate_at_the_output_cap_keeps_its_fingerprint(spec: TaskSpec) -> None:
    """Only the reference's cap is fuzzdiff's limit; a candidate that floods where the
    reference does not is the bug, so its cap is kept."""

    def floods(case: Case) -> Outcome:
        if b"z" in case.stdin:
            return Outcome(Termination.OUTPUT_CAP, None, None, b"z" * 4096, b"", case.files)
        return echo_program(case)

    judge = make_judge(spec, echo_program, floods)
    (div,) = judge.check([Case(stdin=b"abc z " * 50)])
    assert div is not None
    shrunk = Shrinker(judge.check, div, spellings=spellings(spec)).shrink()
    assert shrunk.case == Case(stdin=b"z") and shrunk.fingerprint == div.fingerprint


def test_a_campaign_reports_a_divergence_that_shrank_past_the_output_cap_small(spec: TaskSpec) -> None:
    """A finding whose shrinking moved its fingerprint (`output-cap vs exit:1` to
    `exit:0 vs exit:1`) is reported small, and once: the fingerprint it moved to
    makes no finding of its own."""

    def capped(case: Case) -> Outcome:
        out = echo_program(case)
        if len(case.stdin) > 20 and out.termination is Termination.EXITED and out.exit_code == 0:
            return Outcome(Termination.OUTPUT_CAP, None, None, out.stdout[:20], b"", case.files)
        return out

    def refuses_a(case: Case) -> Outcome:
        return exited(1, stderr=b"prog: no a\n") if b"a" in case.stdin else capped(case)

    result, events = fake_campaign(spec, capped, refuses_a, max_divergences=5, budget=600)
    found = [e.divergence.fingerprint for e in events if isinstance(e, Found)]
    assert len(result.findings) == len(found) == len(set(found)), found
    past_cap = [f for f in result.findings if f.original.fingerprint.reference_exit == "output-cap"]
    assert past_cap and all(len(f.divergence.case.stdin) <= 20 for f in past_cap)
    assert all(f.divergence.fingerprint.reference_exit == "exit:0" for f in result.findings)


def test_what_a_finding_shrank_to_is_no_new_finding_when_met_again(spec: TaskSpec) -> None:
    """A finding that shrank past the output cap moved to `exit:0 vs exit:1`; when the
    next finding's shrinking met that fingerprint again, it became a finding of its
    own: the same divergence twice (``Campaign.aliases``)."""
    from fuzzdiff.core.model import Via
    from fuzzdiff.engine.campaign import Campaign, CampaignConfig
    from fuzzdiff.run.execute import FunctionExecutor
    from fuzzdiff.run.runner import SerialRunner

    from .helpers import CAND, REF

    def capped(case: Case) -> Outcome:
        out = echo_program(case)
        if len(case.stdin) > 20:
            return Outcome(Termination.OUTPUT_CAP, None, None, out.stdout[:20], b"", case.files)
        return out

    def candidate(case: Case) -> Outcome:
        if b"z" in case.stdin:
            return exited(2, stderr=b"prog: z\n")
        if b"a" in case.stdin:
            return exited(1, stderr=b"prog: a\n")
        return capped(case)

    runner = SerialRunner(FunctionExecutor({REF.argv[0]: capped, CAND.argv[0]: candidate}), REF, CAND)
    campaign = Campaign(spec, runner, REF, CAND, CampaignConfig(seed=1, max_divergences=5))
    # found in this order: 'a' past the cap, then 'z' beside an 'a' (its shrinking meets 'a' alone)
    first, second = campaign.judge.check([Case(stdin=b"a" * 40), Case(stdin=b"za")])
    assert first is not None and second is not None
    assert first.fingerprint.reference_exit == "output-cap"
    campaign.seen = {first.fingerprint, second.fingerprint}
    campaign.pending = [(0, first, Via.GENERATION), (1, second, Via.GENERATION)]
    list(campaign.settle())
    finals = [f.divergence.fingerprint for f in campaign.findings]
    assert len(finals) == 2 and len(set(finals)) == 2, finals
