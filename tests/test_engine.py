"""Campaigns with fake programs: verdicts, determinism, several findings."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fuzzdiff.core.model import CampaignResult, Case, Event, Finished, Found, Outcome, Progress, Shrunk
from fuzzdiff.core.spec import TaskSpec
from fuzzdiff.engine.campaign import CampaignConfig, run_campaign
from fuzzdiff.run.execute import FunctionExecutor
from fuzzdiff.run.runner import SerialRunner

from .helpers import CAND, REF, echo_program, exited, fake_campaign, final_result


def campaign(spec: TaskSpec, candidate: Callable[[Case], Outcome], **config: int) -> tuple[CampaignResult, list[Event]]:
    return fake_campaign(spec, echo_program, candidate, **config)


def test_identical_programs_are_equivalent(spec: TaskSpec) -> None:
    result, events = campaign(spec, echo_program)
    assert result.verdict == "equivalent"
    assert result.cases == 300
    assert result.counterexample is None
    assert any(isinstance(e, Progress) for e in events)


def test_planted_bug_is_found_and_shrunk(spec: TaskSpec) -> None:
    def cand(case: Case) -> Outcome:
        out = echo_program(case)
        return exited(9, out.stdout, out.stderr, out.files) if b"--alpha" in case.argv else out

    result, events = campaign(spec, cand)
    assert result.verdict == "divergent"
    assert result.counterexample is not None
    assert result.counterexample.case == Case(argv=(b"--alpha",))
    assert result.findings[0].confirmed
    assert [type(e) for e in events if isinstance(e, Found | Shrunk)] == [Found, Shrunk]
    assert result.cases == result.findings[0].found_at + 1


def test_same_seed_same_result(spec: TaskSpec) -> None:
    def cand(case: Case) -> Outcome:
        out = echo_program(case)
        return exited(0, out.stdout + b".", out.stderr, out.files) if len(case.stdin) > 30 else out

    a, _ = campaign(spec, cand, seed=42)
    b, _ = campaign(spec, cand, seed=42)
    assert a.counterexample == b.counterexample
    assert a.cases == b.cases


def test_max_divergences_collects_distinct_fingerprints(spec: TaskSpec) -> None:
    def cand(case: Case) -> Outcome:
        out = echo_program(case)
        if b"-x" in case.argv:
            return out
        if b"--alpha" in case.argv:
            return exited(5, out.stdout, out.stderr, out.files)
        if b"a" in case.stdin:
            return exited(0, b"", out.stderr, out.files)
        return out

    result, _ = campaign(spec, cand, budget=2000, max_divergences=3)
    fingerprints = {f.divergence.fingerprint for f in result.findings}
    assert len(fingerprints) == len(result.findings) >= 2


def test_flaky_candidate_is_reported_unconfirmed(spec: TaskSpec) -> None:
    calls = {"n": 0}

    def flaky(case: Case) -> Outcome:
        calls["n"] += 1
        out = echo_program(case)
        if b"--alpha" in case.argv and calls["n"] % 2 == 0:
            return exited(7, out.stdout, out.stderr, out.files)
        return out

    result, _ = campaign(spec, flaky, budget=2000)
    assert result.findings, "the generator reaches --alpha within 2000 cases"
    finding = result.findings[0]
    assert not finding.confirmed
    assert finding.unstable == ("candidate",)
    assert result.verdict == "divergent"  # an unstable candidate is still blamed


def test_nondeterministic_reference_is_never_blamed_on_the_candidate(spec: TaskSpec) -> None:
    calls = {"n": 0}

    def wobbly_reference(case: Case) -> Outcome:
        calls["n"] += 1
        out = echo_program(case)
        if b"--alpha" in case.argv and calls["n"] % 2 == 0:
            return exited(4, out.stdout, out.stderr, out.files)
        return out

    executor = FunctionExecutor({REF.argv[0]: wobbly_reference, CAND.argv[0]: echo_program})
    runner = SerialRunner(executor, REF, CAND)
    events = list(run_campaign(spec, runner, REF, CAND, CampaignConfig(seed=3, budget=1500, shrink=False)))
    result = final_result(events)
    assert result.unstable_cases, "the wobble must be met (and set aside)"
    assert all("reference" in f.unstable for f in result.findings)
    assert result.blamed == ()
    assert result.verdict != "divergent" and result.counterexample is None


def test_report_names_flaky_and_unstable_findings(spec: TaskSpec) -> None:
    from dataclasses import replace

    from fuzzdiff.core.report import text_report

    def cand(case: Case) -> Outcome:
        out = echo_program(case)
        return exited(9, out.stdout, out.stderr, out.files) if b"--alpha" in case.argv else out

    result, _ = campaign(spec, cand)
    steady = replace(result.findings[0], confirmed=True, unstable=("candidate",))
    text = text_report(replace(result, findings=(steady,)), "prog", "fuzzdiff ...")
    assert "  (unstable: candidate)" in text and "FLAKY" not in text
    flaky = replace(steady, confirmed=False, unstable=("reference",))
    text = text_report(replace(result, findings=(flaky,)), "prog", "fuzzdiff ...")
    assert "(FLAKY: did not reproduce on every re-run; unstable: reference; the reference is not" in text


def test_recent_keys_forget_the_oldest_beyond_their_limit() -> None:
    from fuzzdiff.core.generate import RecentKeys

    keys = RecentKeys(limit=3)
    for k in ["a", "b", "a", "c", "d"]:
        keys.add(k)
    assert "a" not in keys and all(k in keys for k in "bcd")
    assert len(keys) == 3
    for k in "efghijk":  # a key leaves after exactly `limit` newer ones, across generations
        keys.add(k)
        assert len(keys) == 3 and k in keys and chr(ord(k) - 3) not in keys


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 64])
def test_recent_keys_match_a_plain_model(limit: int) -> None:
    """The two-generation sets answer exactly as "the last ``limit`` distinct keys
    added" would, whatever the mix of repeats."""
    import random
    from collections import OrderedDict

    from fuzzdiff.core.generate import RecentKeys

    rng = random.Random(limit)
    keys = RecentKeys(limit=limit)
    model: OrderedDict[str, None] = OrderedDict()
    for _ in range(5000):
        k = f"{rng.randrange(3 * limit + 2):032x}"  # full-length keys and repeats
        assert (k in keys) == (k in model)
        keys.add(k)
        if k not in model:
            model[k] = None
            if len(model) > limit:
                model.popitem(last=False)
        assert len(keys) == len(model)


# -- memory bounds: every structure a campaign keeps is capped by construction --


def test_signatures_keep_the_first_ones_up_to_their_limit() -> None:
    from fuzzdiff.engine.judging import Signatures

    sigs = Signatures(limit=3)
    huge = ("exit:1", b"x" * (1 << 20))  # a signature may hold a whole stderr line
    assert [sigs.add(s) for s in [("a",), huge, ("a",), ("b",), ("c",), ("d",)]] == [
        True, True, False, True, False, False,
    ]  # fmt: skip
    assert len(sigs) == 3 and not sigs.add(huge) and not sigs.add(("c",))
    assert all(len(d) == 16 for d in sigs.digests)  # kept as digests, not as the signatures


def test_novel_keeps_the_first_cases_that_fit_its_count_and_bytes() -> None:
    from fuzzdiff.engine.judging import Novel

    novel = Novel(limit=3, max_bytes=100)
    cases = [Case(argv=(bytes([97 + i]),)) for i in range(6)]  # 2 bytes each
    for case, out in zip(cases, [b"x" * 40, b"y" * 80, b"z" * 10, b"w" * 10, b"v" * 10, b"u"], strict=True):
        novel.add(case, exited(0, stdout=out))
    assert [c for c, _ in novel.entries] == [cases[0], cases[2], cases[3]]  # 80 bytes did not fit
    assert novel.bytes == sum(c.size() + o.size() for c, o in novel.entries) <= 100


def test_guide_pool_is_bounded_in_parents_and_bytes(spec: TaskSpec, monkeypatch: pytest.MonkeyPatch) -> None:
    from fuzzdiff.core.mutate import GUIDANCE, MAX_DATA
    from fuzzdiff.engine import guided as engine

    guide = engine.Guide(spec, 1, frozenset(GUIDANCE))
    for i in range(engine.POOL_LIMIT + 100):  # small parents: the count binds
        guide.observe(Case(argv=(str(i).encode(),)), exited(0, stdout=b"out"), True)
    assert len(guide.pool) == engine.POOL_LIMIT
    assert guide.pool[-1].case.argv == (str(engine.POOL_LIMIT - 1).encode(),)  # the first ones are kept

    monkeypatch.setattr(engine, "POOL_BYTES", 1 << 20)
    guide = engine.Guide(spec, 1, frozenset(GUIDANCE))
    for i in range(100):  # each reference output is 1 MiB: a parent keeps MAX_DATA of it
        guide.observe(Case(argv=(str(i).encode(),)), exited(0, stdout=bytes([i]) * (1 << 20)), True)
        guide.end_window()
    assert all(len(p.stdout) == MAX_DATA for p in guide.pool + guide.last)
    assert len(guide.pool) == (1 << 20) // (MAX_DATA + 2)
    assert guide.pool_bytes == sum(p.case.size() + len(p.stdout) for p in guide.pool) <= engine.POOL_BYTES


def test_campaign_with_endless_new_behaviours_stays_within_its_caps(
    spec: TaskSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reference whose every case is a new behaviour (a distinct first stderr
    line) with large output: behaviours, novel cases and the pool stop at their caps."""
    from fuzzdiff.engine import guided as engine
    from fuzzdiff.engine import judging

    for name, value in {"SIGNATURES": 40, "NOVEL_LIMIT": 25, "NOVEL_BYTES": 1 << 20}.items():
        monkeypatch.setattr(judging, name, value)
    monkeypatch.setattr(engine, "POOL_LIMIT", 30)
    pools: list[engine.Guide] = []

    class Recorded(engine.Guide):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            pools.append(self)

    monkeypatch.setattr(engine, "Guide", Recorded)

    def chatty(case: Case) -> Outcome:
        word = "".join(chr(97 + int(d, 16)) for d in case.key()[:12])  # letters: not masked as numbers
        return exited(0, stdout=b"o" * (100 << 10), stderr=f"prog: {word}\n".encode())

    executor = FunctionExecutor({REF.argv[0]: chatty, CAND.argv[0]: chatty})
    events = list(run_campaign(spec, SerialRunner(executor, REF, CAND), REF, CAND, CampaignConfig(seed=1, budget=300)))
    assert isinstance(events[-1], Finished)
    result = events[-1].result
    assert result.cases == 300 and result.verdict == "equivalent"
    assert result.behaviours == 40  # 300 distinct signatures seen, 40 remembered
    assert max(e.behaviours for e in events if isinstance(e, Progress)) == 40
    # each novel case holds 100 KiB of output: about ten fill NOVEL_BYTES (fewer when inputs are long),
    # long before NOVEL_LIMIT
    kept = sum(c.size() + o.size() for c, o in result.novel)
    assert kept <= 1 << 20 < kept + (100 << 10) and len(result.novel) < 25
    assert len(pools) == 1 and len(pools[0].pool) == 30  # 40 new behaviours, 30 parents


def test_pair_cache_is_bounded_in_pairs_and_bytes() -> None:
    from fuzzdiff.run.runner import CACHE_BYTES, _Cache

    cache = _Cache(size=10, max_bytes=1000)
    big = exited(0, stdout=b"x" * 298)  # a pair of these with a 2-byte case costs 600
    small = exited(0, stdout=b"s")
    cases = [Case(argv=(str(i).encode(),)) for i in range(20)]
    for case in cases[:15]:
        cache.put(case, (small, small))
    assert list(cache.data) == cases[5:15]  # the count binds: the last 10 are kept
    cache.put(cases[15], (big, big))
    assert cache.bytes == sum(_Cache.cost(c, p) for c, p in cache.data.items()) <= 1000
    assert cases[15] in cache.data and cases[14] in cache.data and cases[5] not in cache.data
    cache.put(cases[16], (big, big))  # two big pairs do not fit: the older one goes
    assert cases[15] not in cache.data and cases[16] in cache.data
    cache.put(cases[16], (small, small))  # replacing a pair counts its bytes once
    assert cache.bytes == sum(_Cache.cost(c, p) for c, p in cache.data.items())
    huge = exited(0, stdout=b"h" * 5000)
    cache.put(cases[17], (huge, huge))  # larger than the whole cache: not kept, nothing evicted for it
    assert cases[17] not in cache.data and cases[16] in cache.data

    def loud(case: Case) -> Outcome:
        return exited(0, stdout=case.argv[0] * (256 << 10))  # 256 KiB a side at least

    runner = SerialRunner(FunctionExecutor({REF.argv[0]: loud, CAND.argv[0]: loud}), REF, CAND)
    runner.run_pairs([Case(argv=(str(i).encode(),)) for i in range(100)])
    assert runner.cache.bytes == sum(_Cache.cost(c, p) for c, p in runner.cache.data.items()) <= CACHE_BYTES
    assert 0 < len(runner.cache.data) < 100
