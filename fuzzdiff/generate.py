"""Case generation: Hypothesis strategies derived from a task file.

Generation is structure-aware. Most cases are valid option combinations with
operands, files and stdin drawn from the task's models; a share (the task's
``malformed``) carries one deliberate mistake (an unknown flag, a missing or bad
value), because error behaviour is behaviour too.

Cases are drawn in batches with Hypothesis' own engine seeded explicitly, so the
same task and seed always yield the same cases (for a given Hypothesis version,
which ``pyproject.toml`` pins to a compatible range).
"""

from __future__ import annotations

import hashlib
import random
import string
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from .model import Case
from .spec import ContentSpec, OptionSpec, TaskSpec, ValueSpec, find_option

#: Cases per Hypothesis run; small enough to stream, large enough to amortise set-up.
BATCH_SIZE = 256

#: Percent of cases whose options are made to satisfy the task's one_of and
#: requires constraints; the rest keep their raw draw, so usage errors stay covered.
CONSTRAINED_SHARE = 85

#: File names the generator uses, hostile ones included: spaces, a leading dash,
#: backslash, newline, glob and shell characters, and bytes that are not UTF-8.
FILE_NAMES: tuple[bytes, ...] = (
    b"a",
    b"in.txt",
    b"b.dat",
    b"with space",
    b"-n",
    b"--",
    b"back\\slash",
    b"new\nline",
    b"\xff\xfe.bin",
    b".hidden",
    b"*",
    b"$HOME",
    b"'q\"",
)

#: Values that break numeric parsing in the usual ways.
BAD_NUMBERS: tuple[str, ...] = ("", "x", "1x", "-", "+", "0x10", " 1", "1.5", "99999999999999999999999", "-0", "1e3")

_PRINTABLE_LINE = string.printable.replace("\n", "").replace("\r", "").replace("\x0b", "").replace("\x0c", "")


def derive_seed(root: int, *parts: object) -> int:
    """A sub-seed from a root seed and a path; stable across runs and platforms."""
    text = ":".join(str(p) for p in (root, *parts))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def value_strategy(v: ValueSpec) -> st.SearchStrategy[str]:
    if v.kind == "int":
        edges = sorted({v.min, v.max, 0, 1, v.min - 1, v.max + 1})
        nums = st.one_of(st.integers(v.min, v.max), st.sampled_from(edges)).map(str)
        if v.suffixes:
            return st.tuples(nums, st.sampled_from(("", *v.suffixes))).map("".join)
        return nums
    if v.kind == "choice":
        return st.sampled_from(v.values)
    if v.kind == "char":
        return st.sampled_from(tuple(v.alphabet) or v.values)
    if v.kind == "string":
        text = st.text(alphabet=v.alphabet, max_size=v.max_len) if v.alphabet else st.nothing()
        return st.one_of(st.sampled_from(v.values), text) if v.values else text
    if v.kind == "list":
        n = st.integers(v.min, v.max).map(str)
        item = st.one_of(
            n,
            st.tuples(n, n).map(lambda t: f"{t[0]}-{t[1]}"),
            n.map(lambda x: f"{x}-"),
            n.map(lambda x: f"-{x}"),
        )
        sep = st.sampled_from((",", ",", " "))
        return st.lists(st.tuples(item, sep), min_size=1, max_size=4).map(
            lambda items: "".join(i + s for i, s in items)[:-1]
        )
    raise AssertionError(f"unknown value kind {v.kind}")


def option_tokens(opt: OptionSpec) -> st.SearchStrategy[list[str]]:
    """The spellings of one option, as the argv tokens they produce."""
    forms: list[st.SearchStrategy[list[str]]] = []
    if opt.value is None:
        if opt.short:
            forms.append(st.just([f"-{opt.short}"]))
        if opt.long:
            forms.append(st.just([f"--{opt.long}"]))
            # getopt accepts any unambiguous prefix of a long option
            forms.append(st.integers(1, len(opt.long)).map(lambda k: [f"--{opt.long[:k]}"]))  # type: ignore[index]
        return st.one_of(forms)
    val = value_strategy(opt.value)
    if opt.short:
        forms.append(val.map(lambda x: [f"-{opt.short}{x}"]))
        if not opt.optional_value:
            forms.append(val.map(lambda x: [f"-{opt.short}", x]))
        else:
            forms.append(st.just([f"-{opt.short}"]))
    if opt.long:
        forms.append(val.map(lambda x: [f"--{opt.long}={x}"]))
        if not opt.optional_value:
            forms.append(val.map(lambda x: [f"--{opt.long}", x]))
        else:
            forms.append(st.just([f"--{opt.long}"]))
    return st.one_of(forms)


def content_strategy(c: ContentSpec) -> st.SearchStrategy[bytes]:
    models: list[st.SearchStrategy[bytes]] = []
    for m in c.models:
        if m == "empty":
            models.append(st.just(b""))
        elif m == "bytes":
            models.append(st.binary(max_size=c.max_bytes))
        elif m == "text":
            # printable lines, so multi-line text is common rather than rare
            line = st.text(alphabet=_PRINTABLE_LINE, max_size=40)
            models.append(
                st.tuples(st.lists(line, max_size=10), st.booleans()).map(
                    lambda t: _join_lines(t[0], t[1], c.max_bytes)
                )
            )
        elif m == "lines":
            # short field-like lines from a small alphabet: separators, digits, blanks
            line = st.text(alphabet="ab \t:,xyz019", max_size=12)
            models.append(
                st.tuples(st.lists(line, max_size=8), st.booleans()).map(lambda t: _join_lines(t[0], t[1], c.max_bytes))
            )
        elif m == "alphabet":
            models.append(st.text(alphabet=c.alphabet, max_size=c.max_bytes).map(str.encode))
        elif m == "samples":
            models.append(
                st.lists(st.sampled_from(c.samples), max_size=8).map(lambda xs: "".join(xs).encode()[: c.max_bytes])
            )
    return st.one_of(models)


def _join_lines(lines: list[str], final_newline: bool, limit: int) -> bytes:
    text = "\n".join(lines) + ("\n" if final_newline and lines else "")
    return text.encode()[:limit]


def _malformed_tokens(spec: TaskSpec) -> st.SearchStrategy[list[str]]:
    declared_short = {o.short for o in spec.options if o.short}
    unknown_short = [c for c in "qzQZ%7" if c not in declared_short] or ["\x01"]
    forms: list[st.SearchStrategy[list[str]]] = [
        st.sampled_from(unknown_short).map(lambda c: [f"-{c}"]),
        st.sampled_from(("--bogus", "--no-such-option", "---", "--=")).map(lambda t: [t]),
    ]
    valued = [o for o in spec.options if o.value is not None and not o.optional_value]
    if valued:
        # an option whose value is missing (placed last) or malformed
        forms.append(st.sampled_from(valued).map(lambda o: ["\x00missing", o.label()]))
        forms.append(
            st.tuples(st.sampled_from(valued), st.sampled_from(BAD_NUMBERS)).map(lambda t: [t[0].label(), t[1]])
        )
    flags = [o for o in spec.options if o.value is None and o.long]
    if flags:
        forms.append(st.sampled_from(flags).map(lambda o: [f"--{o.long}=x"]))
    return st.one_of(forms)


class _Grammar:
    """Every strategy a task needs, built once: Hypothesis validates a strategy on
    first use, which would dominate generation time if done per case."""

    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec
        weighted = [o for o in spec.options for _ in range(round(o.weight * 4) if o.weight > 0 else 0)]
        weighted = weighted or [o for o in spec.options if o.weight > 0]
        self.option = st.sampled_from(weighted) if weighted else None
        self.spell = {o: option_tokens(o) for o in spec.options}
        self.groups = [tuple(find_option(spec, n) for n in g) for g in spec.one_of]
        self.requires = {o: tuple(find_option(spec, r) for r in o.requires) for o in spec.options if o.requires}
        self.flags = {f"-{o.short}" for o in spec.options if o.short and o.value is None}
        self.malformed = _malformed_tokens(spec)
        self.stdin = content_strategy(spec.stdin)
        self.file_content = content_strategy(spec.files)
        self.file_name = st.sampled_from(FILE_NAMES)
        self.dir_name = st.sampled_from((b"d", b"sub dir"))
        self.missing = st.sampled_from((b"missing", b"no such file", b"nodir/x"))
        self.kind = st.sampled_from(spec.operands.kinds)
        self.count = st.integers(spec.operands.min, spec.operands.max)
        self.n_options = st.integers(0, spec.max_options)
        self.string = _string_operand(spec) if "string" in spec.operands.kinds else st.just("")

    def _constrain(self, draw: st.DrawFn, chosen: list[OptionSpec]) -> list[OptionSpec]:
        """Make a valid combination: add what chosen options require, keep one of each group."""
        for opt in list(chosen):
            for need in self.requires.get(opt, ()):
                if need not in chosen:
                    chosen.insert(draw(st.integers(0, len(chosen))), need)
        needed = [n for o in chosen for n in self.requires.get(o, ())]
        for group in self.groups:
            members = [o for o in chosen if o in group]
            if len(members) == 1:
                continue
            wanted = [o for o in members if o in needed]
            keep = wanted[0] if wanted else members[0] if members else draw(st.sampled_from(group))
            chosen = [o for o in chosen if o not in group]
            chosen.insert(draw(st.integers(0, len(chosen))), keep)
        return chosen

    def files_and_operands(self, draw: st.DrawFn) -> tuple[list[bytes], dict[bytes, bytes]]:
        files: dict[bytes, bytes] = {}
        dirs: set[bytes] = set()
        operands: list[bytes] = []
        for _ in range(draw(self.count)):
            kind = draw(self.kind)
            if kind == "file":
                name = draw(self.file_name)
                if name not in dirs and name not in files:
                    files[name] = draw(self.file_content)
                operands.append(name)
            elif kind == "dash":
                operands.append(b"-")
            elif kind == "missing":
                operands.append(draw(self.missing))
            elif kind == "dir":
                name = draw(self.dir_name)
                if name not in files:
                    dirs.add(name)
                    files[name + b"/f"] = b"x\n"
                operands.append(name)
            elif kind == "string":
                operands.append(draw(self.string).encode("utf-8", "surrogateescape"))
        return operands, files

    def case(self, draw: st.DrawFn) -> Case:
        spec = self.spec
        args: list[str] = []
        if self.option is not None:
            chosen = [draw(self.option) for _ in range(draw(self.n_options))]
            if (self.groups or self.requires) and draw(st.integers(0, 99)) < CONSTRAINED_SHARE:
                chosen = self._constrain(draw, chosen)
            for opt in chosen:
                args.extend(draw(self.spell[opt]))
            args = _cluster_short_flags(args, self.flags, draw)
        trailing: list[str] = []
        if draw(st.integers(0, 999)) < int(spec.malformed * 1000):
            bad = draw(self.malformed)
            if bad[0] == "\x00missing":
                trailing = bad[1:]
            else:
                pos = draw(st.integers(0, len(args)))
                args[pos:pos] = bad
        operands, files = self.files_and_operands(draw)
        argv = [a.encode("utf-8", "surrogateescape") for a in args]
        layout = draw(st.integers(0, 9))
        if operands and layout == 0:
            argv = operands + argv  # GNU getopt permutes: operands first is legal
        elif operands and layout == 1:
            argv = [*argv, b"--", *operands]  # end of options
        else:
            argv = argv + operands
        argv += [t.encode() for t in trailing]
        stdin = draw(self.stdin)
        return Case(argv=tuple(argv), stdin=stdin, files=tuple(files.items()))


def _string_operand(spec: TaskSpec) -> st.SearchStrategy[str]:
    parts: list[st.SearchStrategy[str]] = []
    if spec.operands.strings:
        frag = st.sampled_from(spec.operands.strings)
        parts.append(st.lists(frag, min_size=1, max_size=3).map("".join))
    if spec.operands.value is not None:
        parts.append(value_strategy(spec.operands.value))
    return st.one_of(parts)


def case_strategy(spec: TaskSpec) -> st.SearchStrategy[Case]:
    """A strategy for whole cases of one task."""
    grammar = _Grammar(spec)
    return st.composite(lambda draw: grammar.case(draw))()


def _cluster_short_flags(args: list[str], flags: set[str], draw: st.DrawFn) -> list[str]:
    """Sometimes merge neighbouring short flags: ``-a -b`` -> ``-ab``."""
    out: list[str] = []
    for a in args:
        if out and a in flags and len(out[-1]) >= 2 and out[-1][0] == "-" and out[-1][1] != "-":
            prev_is_flags = all(f"-{c}" in flags for c in out[-1][1:])
            if prev_is_flags and draw(st.integers(0, 2)) == 0:
                out[-1] += a[1:]
                continue
        out.append(a)
    return out


def generate_batch(spec: TaskSpec, batch_seed: int, size: int) -> Iterator[Case]:
    """Up to ``size`` cases, always the same ones for the same spec and seed, drawn lazily.

    Cases are drawn straight from Hypothesis' choice engine with a seeded random
    source (about 1 ms a case). Should a Hypothesis release move those internals,
    the public ``@given`` path takes over: slower, equally deterministic.
    """
    strategy = _strategy_for(spec)
    try:
        direct = _draw_direct(strategy, batch_seed, size)
        first = next(direct, None)
    except _InternalsMissing:
        yield from _draw_with_given(strategy, batch_seed, size)
        return
    if first is not None:
        yield first
        yield from direct


class _InternalsMissing(Exception):
    pass


_STRATEGIES: dict[int, tuple[TaskSpec, st.SearchStrategy[Case]]] = {}


def _strategy_for(spec: TaskSpec) -> st.SearchStrategy[Case]:
    hit = _STRATEGIES.get(id(spec))
    if hit is None or hit[0] is not spec:
        hit = (spec, case_strategy(spec))
        _STRATEGIES[id(spec)] = hit
    return hit[1]


#: Choices one case may make; a case past it is dropped, not truncated.
MAX_CHOICES = 20_000


def _provider() -> type:
    """Hypothesis' provider, minus its harvest of constants from local modules.

    Hypothesis biases draws toward constants found in the source of modules
    under the working directory; which ones depends on what is imported and
    from where, so the same seed would give different cases in different
    processes. Only its global constants are kept.
    """
    from hypothesis.internal.conjecture.choice import choice_constraints_key, choice_permitted
    from hypothesis.internal.conjecture.providers import GLOBAL_CONSTANTS, HypothesisProvider

    cache: dict[object, tuple[object, ...]] = {}

    class SeededProvider(HypothesisProvider):
        def _maybe_draw_constant(self, choice_type: Any, constraints: Any, *, p: float = 0.05) -> Any:
            rng = self._random
            assert rng is not None
            if rng.random() > p:
                return None
            key = (choice_type, choice_constraints_key(choice_type, constraints))
            pool = cache.get(key)
            if pool is None:
                pool = tuple(c for c in GLOBAL_CONSTANTS.set_for_type(choice_type) if choice_permitted(c, constraints))
                cache[key] = pool
            return rng.choice(pool) if pool else None

    return SeededProvider


def _draw_direct(strategy: st.SearchStrategy[Case], batch_seed: int, size: int) -> Iterator[Case]:
    try:
        from hypothesis.control import BuildContext
        from hypothesis.errors import StopTest
        from hypothesis.internal.conjecture.data import ConjectureData

        provider = _provider()
    except ImportError as exc:  # pragma: no cover - depends on the Hypothesis release
        raise _InternalsMissing from exc
    rng = random.Random(batch_seed)
    for _ in range(size):
        try:
            data = ConjectureData(random=rng, max_choices=MAX_CHOICES, provider=provider)
            with BuildContext(data, is_final=False, wrapped_test=None):  # type: ignore[arg-type]
                case = data.draw(strategy)
        except StopTest:
            continue
        except TypeError as exc:  # pragma: no cover - internals changed shape
            raise _InternalsMissing from exc
        yield case


def _draw_with_given(strategy: st.SearchStrategy[Case], batch_seed: int, size: int) -> list[Case]:
    out: list[Case] = []

    @seed(batch_seed)
    @settings(
        max_examples=size,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(strategy)
    def collect(case: Case) -> None:
        out.append(case)

    collect()
    return out


def generate_cases(spec: TaskSpec, root_seed: int, budget: int, batch_size: int = BATCH_SIZE) -> Iterator[Case]:
    """A stream of distinct cases for a campaign: at most ``budget`` of them, in a fixed order."""
    seen: set[str] = set()
    produced = 0
    batch = 0
    dry = 0
    while produced < budget:
        fresh = 0
        for case in generate_batch(spec, derive_seed(root_seed, "batch", batch), batch_size):
            key = case.key()
            if key in seen:
                continue
            seen.add(key)
            fresh += 1
            produced += 1
            yield case
            if produced >= budget:
                return
        batch += 1
        dry = dry + 1 if fresh == 0 else 0
        if dry >= 3:  # the input space is exhausted: three batches gave nothing new
            return
