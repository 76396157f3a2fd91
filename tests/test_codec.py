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
from fuzzdiff.core.model import Case, Divergence, Outcome

from .helpers import cases, outcomes


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
def test_malformed_case_is_refused_with_a_location(bad: dict[str, object]) -> None:
    with pytest.raises(DecodeError) as info:
        decode_case(bad)
    assert "case" in str(info.value)


def test_nul_in_argv_is_refused() -> None:
    with pytest.raises(DecodeError, match="NUL"):
        decode_case({"argv": ["a\u0000b"]})
