"""An on-disk, content-addressed cache of the reference's outcomes.

The reference runs once per distinct case across all candidates and processes:
an outcome is stored under the case's key, in a directory named by a hash of
everything the outcome depends on (the reference binary's sha256 and version,
argv[0], the task's environment and limits). A changed reference or task
therefore gets a fresh directory and never reads stale outcomes.

Writes are atomic (temporary file, then rename); two processes storing the
same case store identical bytes, so concurrent writers are safe. Resource
figures are zeroed before storing: they are never compared.

Default location: ``$XDG_CACHE_HOME/fuzzdiff`` (``~/.cache/fuzzdiff``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from pathlib import Path

from .artifacts import write_atomic
from .codec import DecodeError, decode_outcome, encode_outcome
from .corpus import reference_fingerprint
from .model import Case, Outcome, Program
from .paths import cache_home
from .spec import TaskSpec

CACHE_VERSION = 1


class DiskReferenceCache:
    """Reference outcomes on disk, keyed by the reference's fingerprint and the case."""

    def __init__(self, spec: TaskSpec, reference: Program, root: Path | None = None) -> None:
        identity = {
            "version": CACHE_VERSION,
            "reference": reference_fingerprint(reference),
            "argv0": reference.argv0,
            "env": sorted(spec.env),
            "limits": dataclasses.asdict(spec.limits),
        }
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:24]
        self.path = (root or cache_home()) / "reference" / f"{spec.name}-{digest}"

    def _file(self, case: Case) -> Path:
        key = case.key()
        return self.path / key[:2] / f"{key}.json"

    def get(self, case: Case) -> Outcome | None:
        try:
            outcome = decode_outcome(json.loads(self._file(case).read_bytes()))
        except (OSError, ValueError, DecodeError):
            return None  # absent or damaged: the reference simply runs again
        return outcome

    def put(self, case: Case, outcome: Outcome) -> None:
        stable = dataclasses.replace(outcome, cpu_seconds=0.0, max_rss_kb=0, wall_seconds=0.0)
        data = json.dumps(encode_outcome(stable), sort_keys=True).encode()
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs speed
            write_atomic(self._file(case), data)
