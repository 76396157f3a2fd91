"""Shrinking a divergence to a small case that still shows the same bug.

The shrinker works on the case's structure, not on raw bytes: it drops argv
tokens, files, environment entries, lines and bytes of stdin and of file
contents, shortens tokens and file names, moves numbers toward zero, and finally
replaces unusual bytes with plain ones.

Invariants (each is tested):

- the current case always diverges, with exactly the fingerprint it started with;
- a proposal is accepted only when it is strictly smaller under ``sort_key``,
  so shrinking never grows a case and always terminates;
- proposals are tried in a fixed order and the first accepted one in that order
  wins, so the result does not depend on how many are evaluated at once;
- on return without the budget running out, no single argv token, file,
  stdin line or byte can be removed while keeping the fingerprint
  (1-minimality with respect to those deletions).

Divergences of other fingerprints met on the way are kept in ``others``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from .model import Case, Divergence, Fingerprint

_T = TypeVar("_T")
Check = Callable[[Sequence[Case]], list[Divergence | None]]

#: Bytes a shrunk case prefers, cheapest first.
_PLAIN = b"a0 \n"


def _byte_cost(b: int) -> int:
    if b in _PLAIN:
        return 0
    if 0x61 <= b <= 0x7A or 0x30 <= b <= 0x39:
        return 1
    if 0x20 <= b < 0x7F:
        return 2
    return 3


def _cost(data: bytes) -> int:
    return sum(_byte_cost(b) for b in data)


def sort_key(case: Case) -> tuple[object, ...]:
    """Smaller is simpler: total size, then number of parts, then argv in shortlex
    order (so numbers go down), then plain bytes in contents, then shortlex."""
    parts = len(case.argv) + len(case.files) + len(case.env)
    plainness = _cost(case.stdin) + sum(_cost(c) for _, c in case.files)
    return (case.size(), parts, case.argv, plainness, case.stdin, case.files)


@dataclass
class ShrinkStats:
    proposals: int = 0
    accepted: int = 0
    budget_exhausted: bool = False


@dataclass
class Shrinker:
    """Greedy structural shrinking that keeps a divergence's fingerprint."""

    check: Check
    initial: Divergence
    budget: int = 2000  # proposals evaluated at most (cache hits included)
    batch: int = 4  # proposals evaluated together; does not change the result
    spellings: tuple[tuple[bytes, bytes], ...] = ()  # (long, short) option spellings, e.g. (b"--wrap", b"-w")
    stats: ShrinkStats = field(default_factory=ShrinkStats)
    others: dict[Fingerprint, Divergence] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.current = self.initial
        self.target = self.initial.fingerprint

    # -- driving ---------------------------------------------------------
    def shrink(self) -> Divergence:
        passes: list[Callable[[], Iterator[Case]]] = [
            self._drop_argv,
            self._drop_files,
            self._drop_env,
            self._drop_stdin_lines,
            self._drop_stdin_bytes,
            self._drop_file_lines,
            self._drop_file_bytes,
            self._short_spellings,
            self._shorten_tokens,
            self._smaller_numbers,
            self._rename_files,
            self._plain_bytes,
        ]
        progress = True
        while progress and not self.stats.budget_exhausted:
            progress = False
            for make in passes:
                while self._improve(make()):
                    progress = True
                if self.stats.budget_exhausted:
                    break
        return self.current

    def _improve(self, proposals: Iterator[Case]) -> bool:
        """Try proposals in order; adopt the first that keeps the fingerprint."""
        key = sort_key(self.current.case)
        pending: list[Case] = []
        for p in proposals:
            if sort_key(p) >= key:
                continue
            pending.append(p)
            if len(pending) >= self.batch and self._try(pending):
                return True
            if len(pending) >= self.batch:
                pending = []
            if self.stats.budget_exhausted:
                return False
        return bool(pending) and self._try(pending)

    def _try(self, cases: list[Case]) -> bool:
        """Evaluate a batch; adopt the first result in order that keeps the fingerprint.

        Only proposals up to the adopted one count against the budget, so the
        count (and so the result) is the same whatever the batch size.
        """
        room = self.budget - self.stats.proposals
        if room <= 0:
            self.stats.budget_exhausted = True
            return False
        cases = cases[:room]
        for i, result in enumerate(self.check(cases)):
            if result is None:
                continue
            if result.fingerprint == self.target:
                self.stats.proposals += i + 1
                self.current = result
                self.stats.accepted += 1
                return True
            old = self.others.get(result.fingerprint)
            if old is None or sort_key(result.case) < sort_key(old.case):
                self.others[result.fingerprint] = result
        self.stats.proposals += len(cases)
        return False

    # -- passes: each yields proposals derived from self.current.case ------
    @property
    def _case(self) -> Case:
        return self.current.case

    def _drop_argv(self) -> Iterator[Case]:
        c = self._case
        for kept in _deletions(list(c.argv), every_offset=True):
            yield replace(c, argv=tuple(kept))

    def _drop_files(self) -> Iterator[Case]:
        c = self._case
        for i in range(len(c.files)):
            yield replace(c, files=c.files[:i] + c.files[i + 1 :])

    def _drop_env(self) -> Iterator[Case]:
        c = self._case
        for i in range(len(c.env)):
            yield replace(c, env=c.env[:i] + c.env[i + 1 :])

    def _drop_stdin_lines(self) -> Iterator[Case]:
        c = self._case
        for kept in _deletions(c.stdin.splitlines(keepends=True)):
            yield replace(c, stdin=b"".join(kept))

    def _drop_stdin_bytes(self) -> Iterator[Case]:
        c = self._case
        for kept in _deletions(list(c.stdin)):
            yield replace(c, stdin=bytes(kept))

    def _with_file(self, i: int, content: bytes) -> Case:
        c = self._case
        files = list(c.files)
        files[i] = (files[i][0], content)
        return replace(c, files=tuple(files))

    def _drop_file_lines(self) -> Iterator[Case]:
        for i, (_, content) in enumerate(self._case.files):
            for kept in _deletions(content.splitlines(keepends=True)):
                yield self._with_file(i, b"".join(kept))

    def _drop_file_bytes(self) -> Iterator[Case]:
        for i, (_, content) in enumerate(self._case.files):
            for kept in _deletions(list(content)):
                yield self._with_file(i, bytes(kept))

    def _short_spellings(self) -> Iterator[Case]:
        """``--wrap=5`` -> ``-w5`` and ``--decode`` -> ``-d``: same option, fewer bytes."""
        c = self._case
        for i, token in enumerate(c.argv):
            for long, short in self.spellings:
                if token == long:
                    new = short
                elif token.startswith(long + b"="):
                    new = short + token[len(long) + 1 :]
                else:
                    continue
                argv = list(c.argv)
                argv[i] = new
                yield replace(c, argv=tuple(argv))

    def _shorten_tokens(self) -> Iterator[Case]:
        c = self._case
        for i, token in enumerate(c.argv):
            for kept in _deletions(list(token)):
                argv = list(c.argv)
                argv[i] = bytes(kept)
                yield replace(c, argv=tuple(argv))

    def _smaller_numbers(self) -> Iterator[Case]:
        c = self._case
        for i, token in enumerate(c.argv):
            for m in re.finditer(rb"\d+", token):
                value = int(m.group())
                for smaller in dict.fromkeys((0, 1, value // 2, value - 1)):
                    if 0 <= smaller < value:
                        argv = list(c.argv)
                        argv[i] = token[: m.start()] + str(smaller).encode() + token[m.end() :]
                        yield replace(c, argv=tuple(argv))

    def _rename_files(self) -> Iterator[Case]:
        c = self._case
        names = {n for n, _ in c.files}
        for name, _ in c.files:
            if b"/" in name:
                continue
            for new in (b"a", b"b", b"c", b"f"):
                if new in names or len(new) > len(name) or new == name:
                    continue
                files = tuple((new if n == name else n, data) for n, data in c.files)
                argv = tuple(new if a == name else a for a in c.argv)
                yield replace(c, files=files, argv=argv)

    def _plain_bytes(self) -> Iterator[Case]:
        c = self._case
        blobs: list[tuple[str, int, bytes]] = [("stdin", -1, c.stdin)]
        blobs += [("file", i, content) for i, (_, content) in enumerate(c.files)]
        for where, i, data in blobs:
            for pos, b in enumerate(data):
                for plain in _PLAIN:
                    if _byte_cost(plain) >= _byte_cost(b):
                        continue
                    new = data[:pos] + bytes([plain]) + data[pos + 1 :]
                    yield replace(c, stdin=new) if where == "stdin" else self._with_file(i, new)


def _deletions(items: list[_T], every_offset: bool = False) -> Iterator[list[_T]]:
    """Ways to delete one contiguous chunk, large chunks first (ddmin order).

    Chunks of size k start at multiples of k, or at every offset when
    ``every_offset`` (for short sequences such as argv, where an option and its
    value may sit at any position).
    """
    n = len(items)
    k = n
    while k >= 1:
        step = 1 if every_offset else k
        for start in range(0, n - k + 1, step):
            yield items[:start] + items[start + k :]
        if k == 1:
            break
        k //= 2
