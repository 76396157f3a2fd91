"""The order a campaign judges generated cases in, shared by ``fuzz`` and the oracle.

1. **edge**: the task's edge sweep (``core.edges``), at most one case in
   ``EDGE_SHARE`` of the budget;
2. **fuzz**: fresh cases drawn from the task's grammar for the rest.

The oracle puts its probes and pool before these (``oracle.scoring``). Each case
is judged once: one an earlier phase made is skipped, and the budget counts what
is judged.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

from fuzzdiff.core.edges import EDGE_SHARE, edge_cases
from fuzzdiff.core.generate import generate_cases
from fuzzdiff.core.model import Case
from fuzzdiff.core.spec import TaskSpec


def phases(spec: TaskSpec, seed: int, budget: int) -> list[tuple[str, Iterable[Case]]]:
    """The edge and fuzz phases of a campaign with ``seed`` and ``budget``, each cut to its share."""
    return [
        ("edge", itertools.islice(edge_cases(spec, seed), budget // EDGE_SHARE)),
        ("fuzz", generate_cases(spec, seed, budget)),
    ]


def labelled(parts: Iterable[tuple[str, Iterable[Case]]]) -> Iterator[tuple[str, Case]]:
    """Each case of ``parts`` with its phase's name, the first time it is met."""
    seen: set[str] = set()
    for phase, cases in parts:
        for case in cases:
            key = case.key()
            if key not in seen:
                seen.add(key)
                yield phase, case


def case_stream(spec: TaskSpec, seed: int, budget: int) -> Iterator[Case]:
    """What a campaign judges first to last: ``phases``, each case once, at most ``budget``."""
    for _, case in itertools.islice(labelled(phases(spec, seed, budget)), budget):
        yield case
