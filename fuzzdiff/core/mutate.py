"""Mutators over ``Case``: new inputs made from inputs already judged.

Structured generation (``generate``) draws each case afresh from the task's
grammar; it rarely reaches an input that needs several things at once (a value
far outside the declared range, a long valid listing, an option pair). The
mutators here start from cases that already did something new and change them
a little, or turn what the reference printed into the next input:

- havoc (``mutate``): insert, delete, repeat and swap argv tokens; move a number
  to a boundary; flip, insert and delete bytes, repeat a chunk or a line of
  stdin or a file; splice two cases;
- dictionary: insert an option spelling from the task, or a token harvested
  from the reference's outputs, into argv, stdin or a file;
- feedback: the reference's stdout becomes the stdin or a file of a new case,
  with the same arguments or one option added or removed (``sha256sum`` listing
  to ``sha256sum -c``, ``base64`` output to ``base64 -d``).

An option of weight 0 is kept out of every mutant, however its tokens came in
(copied from another case, harvested from an output, spliced).

Everything is a pure function of its arguments and the ``random.Random`` it is
given: no processes, no clock, so the engine can make mutants deterministically
from the seed and the results judged so far.
"""

from __future__ import annotations

import enum
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fuzzdiff.core.errors import UserError
from fuzzdiff.core.generate import FILE_NAMES, PATH_NAMES
from fuzzdiff.core.model import Case, file_names_problem
from fuzzdiff.core.spec import OptionSpec, TaskSpec, ValueSpec


#: Guidance a campaign can use; ``CampaignConfig.guidance`` holds a subset.
#: "pool" picks parents among cases that showed a new behaviour (off: among the
#: last cases judged); the other three name the mutator families.
class Guidance(enum.StrEnum):
    POOL = "pool"
    MUTATE = "mutate"
    DICTIONARY = "dictionary"
    FEEDBACK = "feedback"


GUIDANCE: tuple[str, ...] = tuple(Guidance)

#: Largest stdin or file a mutant gets: long enough for multi-line encodings and
#: listings, small enough that no reference run gets near its time limit.
MAX_DATA = 64 << 10
#: Most argv tokens a mutant keeps; real command lines of these tools are short.
MAX_ARGV = 24
#: Files past which a mutant keeps only those its argv names (and the task's
#: fixtures): a sweep case of thousands of files, one per operand, would
#: otherwise pass them all on to mutants whose argv keeps ``MAX_ARGV`` tokens.
MANY_FILES = 64
#: Harvested dictionary tokens kept, first come first kept (deterministic and bounded).
MAX_TOKENS = 512
#: Longest harvested token; longer words are data, not vocabulary.
MAX_TOKEN_LEN = 80

#: Numbers at the usual edges: zero and one, sign, byte and 16-bit edges, and
#: the 31/32/63/64-bit overflow edges where parsers differ.
BOUNDARY_NUMBERS: tuple[int, ...] = (
    0,
    1,
    -1,
    2,
    255,
    256,
    1023,
    1024,
    4096,
    65536,
    2**31 - 1,
    2**31,
    2**32,
    2**63 - 1,
    2**63,
    2**64,
    10**20,
)

#: Bytes that separate, terminate or escape things in text formats.
INTERESTING_BYTES = b"\n\x00\t \\=-*:,()\xff"

_NUMBER = re.compile(rb"-?[0-9]+")
_WORD_SPLIT = re.compile(rb"[\s\x00'\"`,;()\[\]{}<>]+")


def parse_guidance(text: str) -> frozenset[str]:
    """``all``, ``none`` (generation only), a comma list (``pool,feedback``) or
    ``all`` minus some (``-feedback,-pool``) -> a set of guidance names."""
    text = text.strip()
    if text in ("all", ""):
        return frozenset(GUIDANCE)
    if text in ("none", "random"):
        return frozenset()
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:  # "," meant nothing; it used to mean none
        raise UserError(
            f"--guidance {text!r} names no guidance; use all, none, or a comma list of {', '.join(GUIDANCE)}"
        )
    if set(parts) <= {"all"}:
        return frozenset(GUIDANCE)
    negative = [p[1:] for p in parts if p.startswith("-")]
    positive = [p for p in parts if not p.startswith("-")]
    for name in negative + positive:
        if name not in GUIDANCE:
            raise UserError(
                f"unknown guidance {name!r}; use all, none, or a comma list of {', '.join(GUIDANCE)} "
                "(prefix a name with '-' to switch it off)"
            )
    if negative and positive:
        raise UserError("give guidance names to keep or names to drop ('-name'), not both")
    if negative:
        return frozenset(GUIDANCE) - frozenset(negative)
    return frozenset(positive)


@dataclass(frozen=True, slots=True)
class Parent:
    """A judged case and what the reference printed on it: the material of mutants."""

    case: Case
    stdout: bytes = b""


class Dictionary:
    """Option spellings from the task, and tokens harvested from reference outputs.

    Harvesting keeps the first ``MAX_TOKENS`` distinct tokens in the order they
    were offered, so its content depends only on what was offered and in what order.
    """

    def __init__(self, spec: TaskSpec) -> None:
        # weight 0 keeps an option out of every case, mutants included (``Mutator.mutant``)
        self.options: tuple[OptionSpec, ...] = tuple(o for o in spec.options if o.weight > 0)
        self.weights: tuple[float, ...] = tuple(max(o.weight, 0.05) for o in self.options)
        values = [v for o in spec.options if o.value is not None for v in [o.value]]
        if spec.operands.value is not None:
            values.append(spec.operands.value)
        edges: set[int] = set(BOUNDARY_NUMBERS)
        for v in values:
            if v.kind in ("int", "list"):
                edges |= {v.min, v.max, v.min - 1, v.max + 1}
        self.numbers: tuple[int, ...] = tuple(sorted(edges))
        self.harvested: dict[bytes, None] = {}

    def harvest(self, data: bytes) -> None:
        if len(self.harvested) >= MAX_TOKENS:
            return
        for word in _WORD_SPLIT.split(data[:4096]):
            word = word.rstrip(b".:")
            if 2 <= len(word) <= MAX_TOKEN_LEN and word not in self.harvested:
                self.harvested[word] = None
                if len(self.harvested) >= MAX_TOKENS:
                    return

    def tokens(self) -> tuple[bytes, ...]:
        return tuple(self.harvested)

    def option(self, rng: random.Random) -> list[bytes]:
        """One option, weighted as the task weights it, spelled as argv tokens."""
        if not self.options:
            return []
        opt = rng.choices(self.options, weights=self.weights)[0]
        return spell(rng, opt, self.numbers)


def spell(rng: random.Random, opt: OptionSpec, numbers: Sequence[int]) -> list[bytes]:
    """Argv tokens for one option, with a value if it takes one (often a boundary)."""
    names = [f"-{opt.short}"] if opt.short else []
    if opt.long:
        names.append(f"--{opt.long}")
    name = rng.choice(names)
    if opt.value is None or (opt.optional_value and rng.random() < 0.5):
        return [name.encode()]
    value = _value(rng, opt.value, numbers).encode("utf-8", "surrogateescape")
    if opt.separate:
        return [name.encode(), value]
    if name.startswith("--"):
        return [name.encode() + b"=" + value] if rng.random() < 0.5 else [name.encode(), value]
    return [name.encode() + value] if rng.random() < 0.5 else [name.encode(), value]


def _value(rng: random.Random, v: ValueSpec, numbers: Sequence[int]) -> str:
    if v.kind in ("int", "list"):
        n = rng.choice(numbers) if rng.random() < 0.6 else rng.randint(v.min, v.max)
        text = str(n)
        if v.kind == "list" and rng.random() < 0.3:
            text = f"{n}-" if rng.random() < 0.5 else f"{rng.randint(v.min, v.max)}-{n}"
        if v.suffixes and rng.random() < 0.3:
            text += rng.choice(v.suffixes)
        return text
    if v.kind in PATH_NAMES:  # a name the parent may have made (``in.txt``), else a missing one
        return rng.choice(PATH_NAMES[v.kind]).decode("utf-8", "surrogateescape")
    if v.values and (v.kind == "choice" or rng.random() < 0.5 or not v.alphabet):
        return rng.choice(v.values)
    if v.kind == "char":
        return rng.choice(v.alphabet)
    return "".join(rng.choice(v.alphabet) for _ in range(rng.randint(0, v.max_len)))


class OptionReader:
    """Which of a task's options an argv names, read as getopt_long would: long
    options by unique prefix (``--comp`` is ``--complement``), clusters of short
    ones up to the first that takes a value, nothing after ``--``. Unknown
    spellings are left out. Used to tell option combinations apart."""

    def __init__(self, spec: TaskSpec) -> None:
        self.long = {o.long.encode(): o for o in spec.options if o.long}
        self.short = {ord(o.short): o for o in spec.options if o.short and len(o.short) == 1}

    def _long(self, name: bytes) -> OptionSpec | None:
        exact = self.long.get(name)
        if exact is not None:
            return exact
        hits = {o for n, o in self.long.items() if n.startswith(name)}
        return hits.pop() if len(hits) == 1 else None

    def readings(self, argv: Sequence[bytes]) -> list[tuple[OptionSpec, int, int, bytes | None]]:
        """Each option the argv names, with the slice of argv it takes (its value
        included when that is a separate token) and its value (None without one):
        ``(option, start, end, value)``."""
        found: list[tuple[OptionSpec, int, int, bytes | None]] = []
        i = 0
        while i < len(argv):
            tok = argv[i]
            if tok == b"--":
                break
            end = i + 1
            if tok.startswith(b"--"):
                name, eq, attached = tok[2:].partition(b"=")
                opt = self._long(name) if name else None
                if opt is not None:
                    value = attached if eq else None
                    if opt.value is not None and not opt.optional_value and not eq:
                        end = min(i + 2, len(argv))
                        value = argv[i + 1] if end == i + 2 else None
                    found.append((opt, i, end, value))
            elif tok.startswith(b"-") and len(tok) > 1:
                for k, ch in enumerate(tok[1:], start=1):
                    opt = self.short.get(ch)
                    if opt is None:
                        break
                    if opt.value is None:
                        found.append((opt, i, i + 1, None))
                        continue
                    if k < len(tok) - 1:
                        found.append((opt, i, i + 1, tok[k + 1 :]))
                    elif opt.optional_value:
                        found.append((opt, i, i + 1, None))
                    else:
                        end = min(i + 2, len(argv))
                        found.append((opt, i, end, argv[i + 1] if end == i + 2 else None))
                    break
            i = end
        return found

    def spans(self, argv: Sequence[bytes]) -> list[tuple[str, int, int]]:
        """Each option the argv names, with the slice of argv it takes (its value
        included when that is a separate token): ``(label, start, end)``."""
        return [(opt.label(), start, end) for opt, start, end, _ in self.readings(argv)]

    def names(self, argv: Sequence[bytes]) -> tuple[str, ...]:
        return tuple(sorted({label for label, _, _ in self.spans(argv)}))

    def without(self, argv: Sequence[bytes], labels: frozenset[str]) -> list[bytes]:
        """``argv`` less the tokens that name any option in ``labels`` (with their
        separate values); a cluster of short flags that names one goes whole."""
        drop = {i for label, a, b in self.spans(argv) if label in labels for i in range(a, b)}
        return [t for i, t in enumerate(argv) if i not in drop]


def make_merge(reader: OptionReader) -> Callable[[random.Random, Case, Case], Case | None]:
    """A mutator that adds the options of another case (with their values) to this
    one: two parents that each reached part of an option combination make the whole."""

    def merge_options(rng: random.Random, case: Case, other: Case) -> Case | None:
        have = set(reader.names(case.argv))
        extra = [other.argv[a:b] for label, a, b in reader.spans(other.argv) if label not in have]
        if not extra:
            return None
        argv = list(case.argv)
        end = argv.index(b"--") if b"--" in argv else len(argv)
        inside = {a + 1 for _, a, b in reader.spans(case.argv) if b - a == 2}  # between an option and its value
        i = rng.choice([k for k in range(end + 1) if k not in inside])
        argv[i:i] = [t for group in extra for t in group]
        return _argv(case, argv)

    return merge_options


# -- havoc: argv ---------------------------------------------------------------


def _argv(case: Case, argv: list[bytes]) -> Case:
    return Case(argv=tuple(argv[:MAX_ARGV]), stdin=case.stdin, files=case.files, env=case.env)


def argv_insert(rng: random.Random, case: Case, other: Case) -> Case | None:
    """Insert a copy of a token of this case or of another one."""
    pool = list(case.argv) + list(other.argv)
    if not pool:
        return None
    argv = list(case.argv)
    argv.insert(rng.randint(0, len(argv)), rng.choice(pool))
    return _argv(case, argv)


def argv_delete(rng: random.Random, case: Case, other: Case) -> Case | None:
    if not case.argv:
        return None
    argv = list(case.argv)
    del argv[rng.randrange(len(argv))]
    return _argv(case, argv)


def argv_repeat(rng: random.Random, case: Case, other: Case) -> Case | None:
    """Repeat a token (an option given twice, an operand named twice)."""
    if not case.argv:
        return None
    argv = list(case.argv)
    i = rng.randrange(len(argv))
    argv[i:i] = [argv[i]] * rng.randint(1, 2)
    return _argv(case, argv)


def argv_swap(rng: random.Random, case: Case, other: Case) -> Case | None:
    if len(case.argv) < 2:
        return None
    argv = list(case.argv)
    i, j = rng.sample(range(len(argv)), 2)
    argv[i], argv[j] = argv[j], argv[i]
    return _argv(case, argv)


def make_boundary(numbers: Sequence[int]) -> Callable[[random.Random, Case, Case], Case | None]:
    """A mutator that moves one number in argv to a boundary value."""

    def boundary(rng: random.Random, case: Case, other: Case) -> Case | None:
        spots = [(i, m) for i, tok in enumerate(case.argv) for m in _NUMBER.finditer(tok)]
        if not spots:
            return None
        i, m = rng.choice(spots)
        n = rng.choice(numbers)
        tok = case.argv[i]
        new = tok[: m.start()] + str(n).encode() + tok[m.end() :]
        argv = list(case.argv)
        argv[i] = new
        return _argv(case, argv)

    return boundary


# -- havoc: bytes of stdin and files -------------------------------------------


def _data_slots(case: Case) -> list[int]:
    """-1 stands for stdin, i >= 0 for the i-th file; stdin always counts."""
    return [-1, *range(len(case.files))]


def _get(case: Case, slot: int) -> bytes:
    return case.stdin if slot < 0 else case.files[slot][1]


def _put(case: Case, slot: int, data: bytes) -> Case:
    data = data[:MAX_DATA]
    if slot < 0:
        return Case(argv=case.argv, stdin=data, files=case.files, env=case.env)
    files = list(case.files)
    files[slot] = (files[slot][0], data)
    return Case(argv=case.argv, stdin=case.stdin, files=tuple(files), env=case.env)


def _bytes_op(op: Callable[[random.Random, bytes], bytes | None]) -> Callable[[random.Random, Case, Case], Case | None]:
    def mutator(rng: random.Random, case: Case, other: Case) -> Case | None:
        slot = rng.choice(_data_slots(case))
        new = op(rng, _get(case, slot))
        return None if new is None else _put(case, slot, new)

    mutator.__name__ = op.__name__
    return mutator


def flip_byte(rng: random.Random, data: bytes) -> bytes | None:
    if not data:
        return None
    i = rng.randrange(len(data))
    return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1 :]


def insert_byte(rng: random.Random, data: bytes) -> bytes | None:
    i = rng.randint(0, len(data))
    b = rng.choice(INTERESTING_BYTES) if rng.random() < 0.6 else rng.randrange(256)
    return data[:i] + bytes([b]) * rng.randint(1, 3) + data[i:]


def delete_bytes(rng: random.Random, data: bytes) -> bytes | None:
    if not data:
        return None
    i = rng.randrange(len(data))
    j = min(len(data), i + rng.choice((1, 1, 2, 4, 16)))
    return data[:i] + data[j:]


def repeat_chunk(rng: random.Random, data: bytes) -> bytes | None:
    """Repeat a short chunk several times: lengths cross size boundaries, long runs appear."""
    if not data:
        return None
    i = rng.randrange(len(data))
    j = min(len(data), i + rng.choice((1, 1, 2, 4, 16, 64)))
    times = rng.choice((1, 2, 8, 40, 64, 256))
    return data[:j] + data[i:j] * times + data[j:]


def line_op(rng: random.Random, data: bytes) -> bytes | None:
    """Duplicate, drop or swap whole lines (records of text formats)."""
    lines = data.splitlines(keepends=True)
    if not lines:
        return None
    i = rng.randrange(len(lines))
    kind = rng.randrange(3)
    if kind == 0:
        lines[i:i] = [lines[i]] * rng.choice((1, 1, 3, 10))
    elif kind == 1:
        del lines[i]
    else:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    return b"".join(lines)


def _named_files(case: Case, keep: frozenset[bytes]) -> Case:
    """``case`` with only the files an argv token names (whole, or as the value
    after ``=``, or as the directory a path is under) and those in ``keep``."""
    named = set(keep)
    for arg in case.argv:
        for text in (arg, arg.split(b"=", 1)[-1]):
            named.update((text, text.split(b"/", 1)[0]))
    files = tuple((n, d) for n, d in case.files if n in named or n.split(b"/", 1)[0] in named)
    return Case(argv=case.argv, stdin=case.stdin, files=files, env=case.env)


def splice(rng: random.Random, case: Case, other: Case) -> Case | None:
    """Argv head of one case with the tail of the other; stdin and files crossed likewise."""
    if case == other:
        return None
    i = rng.randint(0, len(case.argv))
    j = rng.randint(0, len(other.argv))
    argv = case.argv[:i] + other.argv[j:]
    if rng.random() < 0.5:
        stdin = case.stdin[: rng.randint(0, len(case.stdin))] + other.stdin[rng.randint(0, len(other.stdin)) :]
    else:
        stdin = rng.choice((case.stdin, other.stdin))
    files = dict(other.files)
    files.update(case.files)
    return Case(argv=tuple(argv[:MAX_ARGV]), stdin=stdin[:MAX_DATA], files=tuple(files.items()), env=case.env)


# -- dictionary ------------------------------------------------------------------


def insert_token(rng: random.Random, case: Case, dictionary: Dictionary) -> Case | None:
    """Insert an option spelling or a harvested token into argv, stdin or a file."""
    harvested = dictionary.tokens()
    if rng.random() < 0.6 or not harvested:
        tokens = dictionary.option(rng)
        if not tokens:
            return None
        argv = list(case.argv)
        i = rng.randint(0, len(argv))
        argv[i:i] = tokens
        return _argv(case, argv)
    token = rng.choice(harvested)
    if rng.random() < 0.5:
        argv = list(case.argv)
        argv.insert(rng.randint(0, len(argv)), token)
        return _argv(case, argv)
    slot = rng.choice(_data_slots(case))
    data = _get(case, slot)
    starts = [0, len(data)] + [m.end() for m in re.finditer(rb"\n", data)]
    i = rng.choice(starts) if rng.random() < 0.7 else rng.randint(0, len(data))
    sep = rng.choice((b"", b" ", b"\n", b"  "))
    return _put(case, slot, data[:i] + token + sep + data[i:])


# -- feedback ----------------------------------------------------------------------


def _is_option(token: bytes) -> bool:
    return token.startswith(b"-") and token != b"-"


def toggle_option(rng: random.Random, argv: Sequence[bytes], dictionary: Dictionary) -> list[bytes]:
    """Remove one option-like token, or add one option from the task (half the time each)."""
    out = list(argv)
    present = [i for i, t in enumerate(out) if _is_option(t)]
    if present and rng.random() < 0.5:
        del out[rng.choice(present)]
        return out
    i = rng.randint(0, len(out))
    out[i:i] = dictionary.option(rng)
    return out


def feed_back(rng: random.Random, parent: Parent, dictionary: Dictionary) -> Case | None:
    """A case whose stdin or one file is what the reference printed on ``parent``.

    Four shapes: the same arguments (output piped back in); the parent's options
    with one option added or removed, operands dropped so stdin is read; a single
    option from the task; or the output saved as a new file named as an operand.
    The parent's files are kept, so a listing still names files that exist.
    """
    data = parent.stdout[:MAX_DATA]
    if not data:
        return None
    case = parent.case
    options = [t for t in case.argv if _is_option(t)]
    shape = rng.choice((0, 0, 1, 2, 3))  # piped back unchanged is the commonest real use
    if shape == 0:
        argv = list(case.argv)
    elif shape == 1:
        argv = toggle_option(rng, options, dictionary)
    elif shape == 2:
        argv = dictionary.option(rng)
    else:
        taken = {n.split(b"/", 1)[0] for n, _ in case.files}
        free = [n for n in FILE_NAMES if n not in taken] or [b"fed"]
        name = rng.choice(free)
        argv = [*toggle_option(rng, options, dictionary), name]
        files = (*case.files, (name, data))
        return Case(argv=tuple(argv[:MAX_ARGV]), stdin=case.stdin, files=files, env=case.env)
    return Case(argv=tuple(argv[:MAX_ARGV]), stdin=data, files=case.files, env=case.env)


# -- one mutant --------------------------------------------------------------------

Havoc = Callable[[random.Random, Case, Case], Case | None]


def havoc_operators(dictionary: Dictionary, merge: Havoc) -> tuple[Havoc, ...]:
    """The havoc family, in a fixed order (the order is part of determinism)."""
    return (
        argv_insert,
        argv_delete,
        argv_repeat,
        argv_swap,
        make_boundary(dictionary.numbers),
        make_boundary(dictionary.numbers),  # boundaries twice: they find the deep value bugs
        _bytes_op(flip_byte),
        _bytes_op(insert_byte),
        _bytes_op(delete_bytes),
        _bytes_op(repeat_chunk),
        _bytes_op(line_op),
        splice,
        merge,  # option crossover three times: combination bugs need it (docs/benchmarks.md, kill rate)
        merge,
        merge,
    )


class Mutator:
    """Makes mutants of parents with the enabled families; one instance per campaign."""

    def __init__(self, spec: TaskSpec, guidance: frozenset[str]) -> None:
        self.dictionary = Dictionary(spec)
        self.options = OptionReader(spec)
        # Options of weight 0: a task's way to keep them out. Tokens copied from other
        # cases or harvested from outputs (``--help`` in a usage message) may name one.
        self.excluded = frozenset(o.label() for o in spec.options if o.weight == 0)
        self.fixtures = frozenset(name.encode() for name, _ in spec.fixtures)
        self.havoc = havoc_operators(self.dictionary, make_merge(self.options)) if "mutate" in guidance else ()
        self.use_dictionary = "dictionary" in guidance
        self.use_feedback = "feedback" in guidance
        families: list[tuple[str, float]] = []
        # Relative weights of the families: havoc is broad; feedback reaches the
        # inputs nothing else makes; dictionary tokens are a narrower havoc, weighted
        # low (tuned on the planted bugs: docs/benchmarks.md, kill rate).
        if self.havoc:
            families.append(("havoc", 4.0))
        if self.use_dictionary:
            families.append(("dictionary", 1.0))
        if self.use_feedback:
            families.append(("feedback", 3.0))
        self.families = tuple(f for f, _ in families)
        self.family_weights = tuple(w for _, w in families)

    @property
    def active(self) -> bool:
        return bool(self.families)

    def mutant(self, rng: random.Random, parent: Parent, other: Parent) -> Case | None:
        """One mutant of ``parent`` (``other`` is the splice partner), or None if nothing applied."""
        case = self._mutant(rng, parent, other)
        if case is None or any(b"\x00" in a for a in case.argv) or any(b"\x00" in n for n, _ in case.files):
            return None  # an argument or file name cannot hold a NUL byte
        if not case.outside() <= parent.case.outside() | other.case.outside():
            return None  # a path outside the case's directory neither parent named (`model.reaches_out`)
        if len(case.files) > MANY_FILES:
            case = _named_files(case, self.fixtures)
        if case.files != parent.case.files and file_names_problem(n for n, _ in case.files):
            return None  # files of two cases that cannot be written together (`d` and `d/f`)
        if self.excluded:
            argv = self.options.without(case.argv, self.excluded)
            if len(argv) < len(case.argv):
                case = _argv(case, argv)
                if case == parent.case:
                    return None
        return case

    def _mutant(self, rng: random.Random, parent: Parent, other: Parent) -> Case | None:
        family = rng.choices(self.families, weights=self.family_weights)[0]
        case: Case | None
        if family == "feedback":
            case = feed_back(rng, parent, self.dictionary)
            if case is None:
                return None
            # half the time one more change: a listing checked with --strict, a flipped byte
            if rng.random() < 0.5:
                case = self._one(rng, case, other.case) or case
            return case
        case = parent.case
        changed = False
        # stack 1 to 4 changes, most often one (a geometric count, as in havoc fuzzers)
        steps = 1
        while steps < 4 and rng.random() < 0.4:
            steps += 1
        for _ in range(steps):
            new = self._one(rng, case, other.case, family)
            if new is not None:
                case, changed = new, True
        return case if changed else None

    def _one(self, rng: random.Random, case: Case, other: Case, family: str | None = None) -> Case | None:
        if family is None:
            choices = [f for f in self.families if f != "feedback"]
            if not choices:
                return None
            family = rng.choice(choices)
        if family == "dictionary":
            return insert_token(rng, case, self.dictionary)
        op = rng.choice(self.havoc)
        return op(rng, case, other)
