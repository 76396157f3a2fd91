"""JSON encoding is lossless for every value fuzzdiff stores or prints."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzzdiff.core.codec import (
    DecodeError,
    decode_bytes,
    decode_case,
    decode_divergence,
    decode_outcome,
    encode_bytes,
    encode_case,
    encode_divergence,
    encode_outcome,
)
from fuzzdiff.core.compare import fingerprint
from fuzzdiff.core.model import Case, Divergence, Outcome, Termination

names = st.binary(min_size=1, max_size=12).filter(lambda n: b"/" not in n and b"\x00" not in n)
cases = st.builds(
    Case,
    argv=st.lists(st.binary(max_size=10).filter(lambda a: b"\x00" not in a), max_size=5).map(tuple),
    stdin=st.binary(max_size=64),
    files=st.dictionaries(names, st.binary(max_size=32), max_size=3).map(lambda d: tuple(d.items())),
    env=st.dictionaries(st.text("ABC_", min_size=1, max_size=5), st.text(max_size=5), max_size=2).map(
        lambda d: tuple(d.items())
    ),
)
outcomes = st.builds(
    Outcome,
    termination=st.sampled_from(Termination),
    exit_code=st.none() | st.integers(0, 255),
    signal=st.none() | st.integers(1, 64),
    stdout=st.binary(max_size=64),
    stderr=st.binary(max_size=64),
    files=st.dictionaries(names, st.none() | st.binary(max_size=16), max_size=3).map(
        lambda d: tuple(sorted(d.items()))
    ),
)


@given(st.binary())
def test_bytes_round_trip(data: bytes) -> None:
    assert decode_bytes(json.loads(json.dumps(encode_bytes(data)))) == data


def test_bytes_encoding_is_readable_for_text_and_tagged_otherwise() -> None:
    assert encode_bytes(b"hello\n") == "hello\n"
    assert encode_bytes(b"\xff") == {"base64": "/w=="}


@given(cases)
def test_case_round_trip(case: Case) -> None:
    assert decode_case(json.loads(json.dumps(encode_case(case)))) == case


@given(outcomes)
def test_outcome_round_trip(outcome: Outcome) -> None:
    assert decode_outcome(json.loads(json.dumps(encode_outcome(outcome)))) == outcome


@given(cases, outcomes, outcomes)
def test_divergence_round_trip(case: Case, ref: Outcome, cand: Outcome) -> None:
    div = Divergence(case, ref, cand, ("stdout",), fingerprint(ref, cand, ("stdout",)))
    assert decode_divergence(json.loads(json.dumps(encode_divergence(div)))) == div


@pytest.mark.parametrize(
    "bad",
    [{"argv": "notalist"}, {"argv": [1]}, {"stdin": {"base64": "!!"}}, {"files": []}, {"env": {"A": 1}}],
)
def test_malformed_case_is_refused_with_a_location(bad: dict) -> None:
    with pytest.raises(DecodeError) as info:
        decode_case(bad)
    assert "case" in str(info.value)


def test_nul_in_argv_is_refused() -> None:
    with pytest.raises(DecodeError, match="NUL"):
        decode_case({"argv": ["a\u0000b"]})
