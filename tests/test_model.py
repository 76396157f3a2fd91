"""Values crossing process boundaries: cases and outcomes pickle whole."""

from __future__ import annotations

import copy
import dataclasses
import pickle

from fuzzdiff.core.model import Case, Outcome, Termination


def test_every_field_of_a_case_and_an_outcome_survives_pickling() -> None:
    case = Case(argv=(b"-w", b"5"), stdin=b"in", files=((b"b", b"2"), (b"a", b"1")), env=(("Z", "1"), ("A", "2")))
    files = ((b"d", None), (b"f", b"x"))
    outcome = Outcome(Termination.SIGNALLED, None, 9, b"out", b"err", files, ((b"f", "mode 0755"),), 0.5, 7, 1.25)
    for value in (case, outcome):
        # every field differs from its default, so a field left out would show
        for field in dataclasses.fields(value):
            if field.default is not dataclasses.MISSING:
                assert getattr(value, field.name) != field.default, field.name
        for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
            assert pickle.loads(pickle.dumps(value, protocol=protocol)) == value
        assert copy.deepcopy(value) == value
