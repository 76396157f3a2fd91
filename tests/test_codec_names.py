"""File names as JSON object keys: lossless and unambiguous for every byte string,
including names that look like the ``base64:`` escape, and committed files read as before."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from fuzzdiff.core.codec import DecodeError, decode_case, decode_outcome, encode_case, encode_outcome
from fuzzdiff.core.model import Case, Outcome, Termination
from fuzzdiff.core.spec import parse_task
from fuzzdiff.store.corpus import CorpusWriter, load_corpus

from .helpers import REF, SIMPLE_TASK

#: Names that collided before the escape was made unambiguous: literal escapes,
#: escapes of other names, and the escape's own bytes with anything after it.
lookalikes = st.one_of(
    st.binary().map(lambda b: b"base64:" + b),
    st.binary().map(lambda b: b"base64:" + base64.b64encode(b)),
    st.sampled_from([b"", b"base64:", b"base64", b"base64:/w==", b"base64:abc", b"BASE64:/w=="]),
)
file_names = st.binary() | lookalikes


def _through_json(value: object) -> object:
    return json.loads(json.dumps(value, ensure_ascii=False))


@given(file_names)
@example(b"base64:abc")
@example(b"\xff\xfe.bin")
@example(b"")
def test_name_round_trip_in_a_case_and_an_outcome(name: bytes) -> None:
    case = Case(files=((name, b"content"),))
    assert decode_case(_through_json(encode_case(case))) == case
    outcome = Outcome(Termination.EXITED, 0, None, b"", b"", files=((name, None),))
    assert decode_outcome(_through_json(encode_outcome(outcome))) == outcome


@given(st.lists(file_names, min_size=2, max_size=4, unique=True))
def test_distinct_names_get_distinct_keys(names: list[bytes]) -> None:
    """Two names written to one object must not share a key (one would be lost)."""
    case = Case(files=tuple((n, bytes([i])) for i, n in enumerate(names)))
    encoded = encode_case(case)
    assert len(encoded["files"]) == len(names)
    assert decode_case(_through_json(encoded)) == case


def test_literal_escape_name_and_the_name_it_spells_stay_apart() -> None:
    """``base64:/w==`` spelled out, and the byte 0xff it would decode to, in one case."""
    case = Case(files=((b"\xff", b"one"), (b"base64:/w==", b"two")))
    assert decode_case(_through_json(encode_case(case))) == case


def test_plain_names_and_committed_escapes_are_written_as_before() -> None:
    """The keys of names the old encoder could write correctly are unchanged, so
    committed corpora keep their content and the format version stays 1."""
    encoded = encode_case(Case(files=((b"sub dir/f", b""), (b"\xff\xfe.bin", b""))))
    assert list(encoded["files"]) == ["sub dir/f", "base64://4uYmlu"]


def test_a_key_that_starts_with_the_escape_but_is_not_base64_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match=r"case\.files: file name key 'base64:\*\*' .* not base64"):
        decode_case({"files": {"base64:**": ""}})


def test_a_case_with_a_literal_escape_name_is_stored_and_loaded_again(tmp_path: Path) -> None:
    spec = parse_task(SIMPLE_TASK, "<test>")
    writer = CorpusWriter(tmp_path / "c", spec, REF, fingerprint={"path": "/fake/ref", "version": "1", "sha256": ""})
    case = Case(argv=(b"base64:abc",), files=((b"base64:abc", b"x"), (b"abc", b"y")))
    writer.add(case, Outcome(Termination.EXITED, 0, None, b"", b"", files=((b"abc", b"y"), (b"base64:abc", b"x"))))
    corpus = load_corpus(tmp_path / "c")
    assert not corpus.errors
    assert [s.case for s in corpus.cases] == [case]
    assert corpus.cases[0].expected.files == ((b"abc", b"y"), (b"base64:abc", b"x"))
