"""Shrinking a divergence to a small case that still shows the same bug.

The shrinker works on the case's structure, not on raw bytes: it drops argv
tokens, files (where a case has many, all of them, then halves, quarters, ...
with the argv tokens that name them; alone; then with the argv tokens and
lines that name them),
environment entries, file contents; it cuts a long stdin or file to a short
prefix, and deletes lines, words, aligned power-of-two chunks and bytes of
them; then it shortens argv tokens, moves numbers toward zero (by halving
steps, so a boundary is reached in about log² tries), renames files
(everywhere they are named) and replaces unusual bytes with plain ones.

Invariants (each is tested):

- the current case always diverges, with exactly the fingerprint it started with;
- a proposal is accepted only when it is strictly smaller under ``sort_key``,
  so shrinking never grows a case and always terminates;
- proposals are tried in a fixed order and the first accepted one in that order
  wins, so the result does not depend on how many are evaluated at once;
- the budget counts proposals judged up to the adopted one; a proposal already
  judged and rejected is not judged again and not counted (the programs are
  taken to be deterministic, which ``judging.confirm`` checks afterwards);
- on return without the budget running out, the case is 1-minimal: no single
  argv token, environment entry, file, line of stdin or of a file, or byte of
  stdin, of a file or of an argv token can be removed while keeping the
  fingerprint (the last round of passes tried each of those and adopted none).

1-minimal is not smallest: a case is only reached through deletions and the
few rewrites above, so a check list naming ``back\\slash`` with that file's
digest stays so even where a line for ``/dev/null`` would be shorter, since
no single step gets from one to the other while keeping the fingerprint.

A pass yields each proposal with a cursor, where the pass resumes on the
adopted case (after deleting item 40, the next try is the new item 40, not
item 0 again); each round of passes starts every pass from the beginning.

Divergences of other fingerprints met on the way are kept in ``others``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from fuzzdiff.core.model import Case, Divergence, Fingerprint, Termination

_T = TypeVar("_T")
Check = Callable[[Sequence[Case]], list[Divergence | None]]
#: Where a pass resumes after one of its proposals is adopted; () is its start.
Cursor = tuple[int, ...]
Proposals = Iterator[tuple[Case, Cursor]]
Pass = Callable[[Cursor], Proposals]

#: Bytes a shrunk case prefers, cheapest first.
_PLAIN = b"a0 \n"
#: Short names a file may be renamed to, in order of preference.
_SHORT_NAMES = (b"a", b"b", b"c", b"f")
#: ``_short_prefix`` cuts a blob longer than ``_PREFIX_FROM`` bytes to its first
#: 1, 2, ... ``_PREFIX_UP_TO`` bytes: a bug that needs a length (a multiple of 57
#: for a full base64 line) survives no deletion of a power-of-two chunk.
_PREFIX_UP_TO = 64
_PREFIX_FROM = 4 * _PREFIX_UP_TO
#: ``_drop_chunks`` deletes aligned chunks down to this size; ``_drop_bytes`` goes on from there.
_ALIGNED_DOWN_TO = 4
#: Files in a case past which ``_drop_file_chunks`` drops them by halves first
#: (one at a time, a case of a few files shrinks in as few tries).
_CHUNKED_FROM = 16
#: Files up to which whole-file proposals are ranked smallest case first (``_smallest_first``).
_RANKED_UP_TO = 256
#: Halving steps ``_smaller_numbers`` tries before ``value - 1``.
_STEPS_DOWN = 12
#: A word of a line with the blanks after it, or leading blanks: what ``_drop_words`` deletes.
_WORD = re.compile(rb"\S+\s*|\s+")


def _byte_cost(b: int) -> int:
    if b in _PLAIN:
        return 0
    if 0x61 <= b <= 0x7A or 0x30 <= b <= 0x39:
        return 1
    if 0x20 <= b < 0x7F:
        return 2
    return 3


def _plainer(b: int) -> bytes:
    """Plain bytes to try in place of ``b``: a letter tries ``a``, a digit ``a``
    then ``0``, any other byte each plain byte. Letters and digits are most of
    a case's bytes, and a blank or a newline in place of one is rarely kept."""
    if 0x30 <= b <= 0x39:
        return b"a0" if b != 0x30 else b""
    if 0x61 <= b <= 0x7A or 0x41 <= b <= 0x5A:
        return b"a" if b != 0x61 else b""
    return bytes(p for p in _PLAIN if _byte_cost(p) < _byte_cost(b))


#: Bytes of cost at most 0, 1 and 2: ``_cost`` counts, per level, the bytes above it.
_COST_LEVELS = tuple(bytes(b for b in range(256) if _byte_cost(b) <= level) for level in range(3))


def _cost(data: bytes) -> int:
    """The sum of ``_byte_cost`` over ``data``, counted in C: ``sort_key`` runs on
    every proposal, and a case may carry inputs of 64 KiB."""
    return sum(len(data.translate(None, level)) for level in _COST_LEVELS)


def sort_key(case: Case) -> tuple[object, ...]:
    """Smaller is simpler: total size, then number of parts, then argv in shortlex
    order (so numbers go down), then plain bytes in contents, then shortlex."""
    parts = len(case.argv) + len(case.files) + len(case.env)
    plainness = _cost(case.stdin) + sum(_cost(c) for _, c in case.files)
    return (case.size(), parts, case.argv, plainness, case.stdin, case.files)


@dataclass
class ShrinkStats:
    proposals: int = 0  # judged and counted against the budget
    accepted: int = 0
    budget_exhausted: bool = False
    skipped: int = 0  # proposals not judged: rejected before, or already waiting in the batch
    by_pass: Counter[str] = field(default_factory=Counter)  # counted proposals by pass name
    accepted_by_pass: Counter[str] = field(default_factory=Counter)


@dataclass
class Shrinker:
    """Greedy structural shrinking that keeps a divergence's fingerprint."""

    check: Check
    initial: Divergence
    budget: int = 2000  # proposals judged at most (cache hits included)
    batch: int = 4  # proposals evaluated together; does not change the result
    spellings: tuple[tuple[bytes, bytes], ...] = ()  # (long, short) option spellings, e.g. (b"--wrap", b"-w")
    #: Asked before each batch: True ends shrinking there, as an exhausted budget does
    #: (the reward oracle's deadline; the result then depends on the clock).
    stop: Callable[[], bool] | None = None
    stats: ShrinkStats = field(default_factory=ShrinkStats)
    others: dict[Fingerprint, Divergence] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.current = self.initial
        self.target = self.initial.fingerprint
        self._rejected: set[Case] = set()
        # paths outside the case's directory it may keep; shrinking makes no other
        self._outside = self.initial.case.outside()

    # -- driving ---------------------------------------------------------
    def shrink(self) -> Divergence:
        passes: list[Pass] = [
            self._drop_file_chunks,
            self._drop_argv,
            self._drop_files,
            self._drop_named_files,
            self._drop_env,
            self._empty_files,
            self._short_prefix,
            self._drop_lines,
            self._drop_words,
            self._drop_chunks,
            self._drop_bytes,
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
                at: Cursor | None = ()
                while at is not None:
                    at = self._improve(make, at)
                    progress = progress or at is not None
                if self.stats.budget_exhausted:
                    break
        return self.current

    def _improve(self, make: Pass, at: Cursor) -> Cursor | None:
        """Try the pass's proposals from ``at`` in order; adopt the first that keeps
        the fingerprint and return where the pass resumes (None: none adopted)."""
        key = sort_key(self.current.case)
        name = getattr(make, "__name__", "pass")
        pending: list[tuple[Case, Cursor]] = []
        for proposal in make(at):
            if not proposal[0].outside() <= self._outside:  # a path the case never named (`nodir/x` to `/`)
                continue
            # judged and rejected before, or waiting in this batch: were it judged,
            # it would be rejected (or come after the adopted one), whatever the batch
            if proposal[0] in self._rejected or any(proposal[0] == p for p, _ in pending):
                self.stats.skipped += 1
                continue
            if sort_key(proposal[0]) >= key:
                continue
            pending.append(proposal)
            if len(pending) >= self.batch:
                adopted = self._try(pending, name)
                if adopted is not None or self.stats.budget_exhausted:
                    return adopted
                pending = []
        return self._try(pending, name) if pending else None

    def _try(self, proposals: list[tuple[Case, Cursor]], name: str) -> Cursor | None:
        """Judge a batch; adopt the first result in order that keeps the fingerprint.

        Only proposals up to the adopted one count against the budget and are
        remembered as rejected, so the count (and so the result) is the same
        whatever the batch size.
        """
        room = self.budget - self.stats.proposals
        if room <= 0 or (self.stop is not None and self.stop()):
            self.stats.budget_exhausted = True
            return None
        proposals = proposals[:room]
        results = self.check([case for case, _ in proposals])
        for i, result in enumerate(results):
            if result is not None and self.keeps(result.fingerprint):
                self._count(name, i + 1)
                self._reject(proposals[:i])
                self.current = result
                self.target = result.fingerprint
                self.stats.accepted += 1
                self.stats.accepted_by_pass[name] += 1
                return proposals[i][1]
            if result is not None:
                old = self.others.get(result.fingerprint)
                if old is None or sort_key(result.case) < sort_key(old.case):
                    self.others[result.fingerprint] = result
        self._count(name, len(proposals))
        self._reject(proposals)
        return None

    def keeps(self, fp: Fingerprint) -> bool:
        """Whether a proposal's divergence is still the one being shrunk: the same
        fingerprint, or, where the reference was stopped at the output cap (too
        much output to keep: a limit of fuzzdiff's, no behaviour of the
        reference's), the same channels and candidate ending with the reference
        now ending normally. A smaller input makes less output, so without this a
        case whose reference met the cap could never get small (uutils' ``nl
        -w255`` refusing a byte that is not UTF-8 stayed 29 KB). Once moved, the
        new fingerprint is the one kept."""
        target = self.target
        if fp == target:
            return True
        return (
            target.reference_exit == Termination.OUTPUT_CAP.value
            and fp.reference_exit.startswith("exit:")
            and (fp.channels, fp.candidate_exit) == (target.channels, target.candidate_exit)
        )

    def _count(self, name: str, n: int) -> None:
        self.stats.proposals += n
        self.stats.by_pass[name] += n

    def _reject(self, proposals: list[tuple[Case, Cursor]]) -> None:
        self._rejected.update(case for case, _ in proposals)

    # -- passes: each yields (proposal, cursor) derived from self.current.case ----
    @property
    def _case(self) -> Case:
        return self.current.case

    def _drop_argv(self, at: Cursor) -> Proposals:
        c = self._case
        for kept, pos in _deletions(list(c.argv), at, every_offset=True):
            yield replace(c, argv=tuple(kept)), pos

    def _drop_file_chunks(self, at: Cursor) -> Proposals:
        """All the files, then halves, quarters, ... of them at once, with the argv
        tokens that name them, where a case has more than ``_CHUNKED_FROM`` files: a case
        of thousands of files (a code point in each) keeps the one it needs in
        about two tries a halving, where dropping one file a try takes one try a
        file. Chunks stop above one file; ``_drop_files`` goes on from there."""
        c = self._case
        if len(c.files) <= _CHUNKED_FROM:
            return
        for kept, cursor in _deletions(list(c.files), at):
            if cursor[0] < 2:
                return
            gone = {name for name, _ in c.files} - {name for name, _ in kept}
            yield replace(c, files=tuple(kept), argv=tuple(a for a in c.argv if a not in gone)), cursor

    def _drop_files(self, at: Cursor) -> Proposals:
        c = self._case
        return _smallest_first(lambda i: replace(c, files=c.files[:i] + c.files[i + 1 :]), len(c.files), at)

    def _drop_named_files(self, at: Cursor) -> Proposals:
        """A file with the argv tokens equal to its name and the lines (of stdin and
        of other files) that name it, as a check list's line names a file to check."""
        c = self._case

        def without(i: int) -> Case:
            name = c.files[i][0]
            named = _name_pattern(name)

            def unnamed(data: bytes) -> bytes:
                return b"".join(line for line in data.splitlines(keepends=True) if not named.search(line))

            files = tuple((n, unnamed(data)) for n, data in c.files[:i] + c.files[i + 1 :])
            argv = tuple(a for a in c.argv if a != name)
            return replace(c, argv=argv, stdin=unnamed(c.stdin), files=files)

        return _smallest_first(without, len(c.files), at)

    def _drop_env(self, at: Cursor) -> Proposals:
        c = self._case
        for i in range(_first(at), len(c.env)):
            yield replace(c, env=c.env[:i] + c.env[i + 1 :]), (i,)

    def _empty_files(self, at: Cursor) -> Proposals:
        c = self._case
        return _smallest_first(lambda i: _with_blob(c, i + 1, b""), len(c.files), at)

    def _short_prefix(self, at: Cursor) -> Proposals:
        """A long blob (stdin, a file) cut to its shortest prefix that keeps the
        divergence, shortest first, up to ``_PREFIX_UP_TO`` bytes. Deletions halve
        chunks, so they keep a length modulo powers of two only; a bug that needs
        the length modulo 3 or 57 (base64 wrapping a full line) kept a 12 KB input.
        The lengths are tried in order, so this costs at most ``_PREFIX_UP_TO``
        tries a long blob, and only while blobs are long."""

        def prefixes(data: bytes, at: Cursor) -> Iterator[tuple[bytes, Cursor]]:
            if len(data) > _PREFIX_FROM:
                for n in range(_first(at) or 1, _PREFIX_UP_TO + 1):
                    yield data[:n], (n,)

        return _per_blob(self._case, at, prefixes)

    def _drop_lines(self, at: Cursor) -> Proposals:
        """Chunks of lines, then single lines, of stdin and of each file."""
        return _blob_deletions(self._case, at, lambda d: d.splitlines(keepends=True), b"".join)

    def _drop_words(self, at: Cursor) -> Proposals:
        """Words (with the blanks after them) of stdin and of each file: a field of a line."""
        return _blob_deletions(self._case, at, _WORD.findall, b"".join)

    def _drop_chunks(self, at: Cursor) -> Proposals:
        """Aligned power-of-two chunks of a long blob, largest first: a 64 KiB line
        of base64 loses any 4-byte-aligned chunk of 4 bytes or more and stays valid,
        where each single byte deleted breaks it (one try per byte, past any budget)."""

        def chunks(data: bytes, at: Cursor) -> Iterator[tuple[bytes, Cursor]]:
            if len(data) > _PREFIX_UP_TO:
                yield from _aligned_deletions(data, at)

        return _per_blob(self._case, at, chunks)

    def _drop_bytes(self, at: Cursor) -> Proposals:
        """Runs of bytes of stdin and of each file (``_growing_deletions``): by now
        lines and words are gone, and most bytes left are needed."""
        return _per_blob(self._case, at, _growing_deletions)

    def _short_spellings(self, at: Cursor) -> Proposals:
        """``--wrap=5`` -> ``-w5`` and ``--decode`` -> ``-d``: same option, fewer bytes."""
        c = self._case
        for i in range(_first(at), len(c.argv)):
            token = c.argv[i]
            for long, short in self.spellings:
                if token == long:
                    new = short
                elif token.startswith(long + b"="):
                    new = short + token[len(long) + 1 :]
                else:
                    continue
                yield _with_arg(c, i, new), (i,)

    def _shorten_tokens(self, at: Cursor) -> Proposals:
        c = self._case
        first = _first(at)
        for i in range(first, len(c.argv)):
            for kept, pos in _deletions(list(c.argv[i]), at[1:] if i == first else ()):
                yield _with_arg(c, i, bytes(kept)), (i, *pos)

    def _smaller_numbers(self, at: Cursor) -> Proposals:
        c = self._case
        for i in range(_first(at), len(c.argv)):
            token = c.argv[i]
            for m in re.finditer(rb"\d+", token):
                value = int(m.group())
                for smaller in dict.fromkeys((0, 1, *_steps_down(value))):
                    if 0 <= smaller < value:
                        yield _with_arg(c, i, token[: m.start()] + str(smaller).encode() + token[m.end() :]), (i,)

    def _rename_files(self, at: Cursor) -> Proposals:
        """A shorter file name, wherever the case names the file: argv tokens equal
        to it and the places in stdin and files where it stands as a word. First a
        plain short name, then the name with a part of it deleted (a bug that needs
        a quote in the name keeps ``'`` of ``~}'``); a name in a directory keeps
        its directory."""
        c = self._case
        names = [n for n, _ in c.files]
        # files named in argv first, in argv order: ``-c a`` rather than ``-c b``
        order = sorted(names, key=lambda n: c.argv.index(n) if n in c.argv else len(c.argv))
        for i in range(_first(at), len(order)):
            name = order[i]
            named = _name_pattern(name)
            for new in _renamings(name):
                if new in names or len(new) > len(name) or new == name:
                    continue
                files = tuple((new if n == name else n, named.sub(new, data)) for n, data in c.files)
                argv = tuple(new if a == name else a for a in c.argv)
                yield replace(c, files=files, argv=argv, stdin=named.sub(new, c.stdin)), (i,)

    def _plain_bytes(self, at: Cursor) -> Proposals:
        c = self._case
        blobs = _blobs(c)
        first = _first(at)
        for b in range(first, len(blobs)):
            data = blobs[b]
            for pos in range(at[1] if b == first and len(at) > 1 else 0, len(data)):
                for plain in _plainer(data[pos]):
                    yield _with_blob(c, b, data[:pos] + bytes([plain]) + data[pos + 1 :]), (b, pos)


def _renamings(name: bytes) -> Iterator[bytes]:
    """Shorter names for the file ``name``: the plain short ones, then ``name`` with
    one chunk of its last component deleted (``_deletions``' order), never empty,
    ``.`` or ``..``."""
    yield from _SHORT_NAMES
    folder, _, base = name.rpartition(b"/")
    prefix = folder + b"/" if folder else b""
    for kept, _ in _deletions(list(base)):
        if kept and bytes(kept) not in (b".", b".."):
            yield prefix + bytes(kept)


def _steps_down(value: int) -> Iterator[int]:
    """``value`` less half of it, a quarter, ... down to a 4096th, then less 1:
    largest step first, so a value goes down to a boundary (``-w 65536`` from
    ``-w 70000``) in a few dozen tries, not one try per unit, and a value that
    cannot go down at all (18 digits) costs 15 tries (13 steps, 0 and 1), not 60;
    a small one costs a few more than the 4 it did (76: 8)."""
    step = value // 2
    for _ in range(_STEPS_DOWN):
        if step < 1:
            break
        yield value - step
        step //= 2
    yield value - 1


def _smallest_first(make: Callable[[int], Case], n: int, at: Cursor) -> Proposals:
    """Whole-part proposals (``make(i)``: file ``i`` dropped, emptied), those
    that leave the smallest case first: where one of several files is needed,
    the smallest one stays. The cursor is the rank, resumed in the new case's
    order. Past ``_RANKED_UP_TO`` files they come in file order, made one at a
    time: ranking builds every proposal first, each a copy of the case, and
    for thousands of files that took longer than judging them."""
    if n > _RANKED_UP_TO:
        for i in range(_first(at), n):
            yield make(i), (i,)
        return
    ranked = sorted((make(i) for i in range(n)), key=sort_key)
    for i in range(_first(at), len(ranked)):
        yield ranked[i], (i,)


def _first(at: Cursor) -> int:
    return at[0] if at else 0


def _blobs(case: Case) -> list[bytes]:
    """Stdin, then each file's content: the byte strings content passes work on."""
    return [case.stdin, *(content for _, content in case.files)]


def _with_blob(case: Case, b: int, data: bytes) -> Case:
    """``case`` with blob ``b`` of ``_blobs`` (0: stdin, then the files) replaced."""
    if b == 0:
        return replace(case, stdin=data)
    files = list(case.files)
    files[b - 1] = (files[b - 1][0], data)
    return replace(case, files=tuple(files))


def _with_arg(case: Case, i: int, token: bytes) -> Case:
    argv = list(case.argv)
    argv[i] = token
    return replace(case, argv=tuple(argv))


def _name_pattern(name: bytes) -> re.Pattern[bytes]:
    """Where a line names a file: as a whole word, maybe after ``*`` (binary mode
    in a check list) or ``(`` (BSD form), maybe before ``)``."""
    return re.compile(rb"(?<![^\s*(])" + re.escape(name) + rb"(?![^\s)\x00])")


def _blob_deletions(
    case: Case,
    at: Cursor,
    split: Callable[[bytes], list[_T]],
    join: Callable[[list[_T]], bytes],
) -> Proposals:
    """``_deletions`` in stdin and in each file, split into items by ``split``."""

    def edits(data: bytes, at: Cursor) -> Iterator[tuple[bytes, Cursor]]:
        return ((join(kept), pos) for kept, pos in _deletions(split(data), at))

    return _per_blob(case, at, edits)


def _per_blob(case: Case, at: Cursor, edits: Callable[[bytes, Cursor], Iterator[tuple[bytes, Cursor]]]) -> Proposals:
    """``edits`` of stdin and of each file in turn, each blob's cursor behind its index."""
    blobs = _blobs(case)
    first = _first(at)
    for b in range(first, len(blobs)):
        for data, pos in edits(blobs[b], at[1:] if b == first else ()):
            yield _with_blob(case, b, data), (b, *pos)


def _deletions(items: list[_T], at: Cursor = (), every_offset: bool = False) -> Iterator[tuple[list[_T], Cursor]]:
    """Ways to delete one contiguous chunk, large chunks first (ddmin order), each
    with its cursor ``(size, start)``; ``at`` resumes from one.

    Chunks of size k start at multiples of k, or at every offset when
    ``every_offset`` (for short sequences such as argv, where an option and its
    value may sit at any position); there, chunks of 2 are always tried (an option
    and its value: halving 3 went straight to 1, and `-d -w 5` kept `-w`).
    """
    n = len(items)
    k, start = (at[0], at[1]) if len(at) == 2 else (n, 0)
    if k > n:
        k, start = n, 0
    while k >= 1:
        step = 1 if every_offset else k
        while start + k <= n:
            yield items[:start] + items[start + k :], (k, start)
            start += step
        if k == 1:
            break
        k = 2 if every_offset and 2 < k < 4 else k // 2
        start = 0


def _aligned_deletions(data: bytes, at: Cursor = ()) -> Iterator[tuple[bytes, Cursor]]:
    """Delete a chunk of 2^j bytes starting at a multiple of 2^j, for 2^j from the
    largest below the length down to ``_ALIGNED_DOWN_TO``; cursors ``(size, start)``.
    What the input keeps modulo a power of two (base64's quanta of 4, a hash's
    blocks of 64) stays where it was."""
    n = len(data)
    if n < 2:
        return
    k, start = (at[0], at[1]) if len(at) == 2 else (1 << max(n - 1, 1).bit_length(), 0)
    while k >= n:
        k, start = k // 2, 0
    while k >= _ALIGNED_DOWN_TO:
        while start + k <= n:
            yield data[:start] + data[start + k :], (k, start)
            start += k
        k, start = k // 2, 0


def _growing_deletions(data: bytes, at: Cursor = ()) -> Iterator[tuple[bytes, Cursor]]:
    """Delete one byte at each position in turn; once a deletion of k bytes at a
    position is adopted, try 2k there (then k, k/2, ... 1) before moving on.
    Slices of ``bytes``, not of a list of ints: a 64 KiB input has 64 Ki proposals.

    Each cursor is ``(start, size to try next)``. Where nothing can go this costs
    one try per item, half what ``_deletions`` spends; a long deletable run goes
    in about log² of its length.
    """
    n = len(data)
    start, k = (at[0], at[1]) if len(at) == 2 else (0, 1)
    while start < n:
        size = min(k, n - start)
        while size >= 1:
            yield data[:start] + data[start + size :], (start, 2 * size)
            size //= 2
        start += 1
        k = 1
