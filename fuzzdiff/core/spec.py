"""Task files: a TOML description of a command-line program's input space.

A task names the reference program and says what its arguments, operands,
standard input and input files look like, which environment it runs in, its
limits, and how each channel is compared. ``references/README.md`` documents
every key. Loading is strict: an unknown key, a wrong type or an impossible
range is a ``SpecError`` naming the file, the key and the fix.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fuzzdiff.core.errors import SpecError

#: Where shipped tasks live; FUZZDIFF_REFERENCES overrides it (for installs that are not editable).
REFERENCES_DIR = Path(os.environ.get("FUZZDIFF_REFERENCES", Path(__file__).resolve().parents[2] / "references"))
#: What a task's ``name`` may be: it names the corpus's and a matrix cell's directory.
TASK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
#: Bounds a task file's numbers must keep: each option is drawn from a list that
#: holds it ``weight`` x 20 times; cases hold at most so many operands and options;
#: a run may take at most so many seconds.
MAX_WEIGHT = 1000.0
MAX_OPERANDS = 1000
MAX_TIMEOUT = 3600.0

VALUE_KINDS = ("int", "choice", "string", "char", "list", "file", "dir")
#: Value kinds that name a path the case provides (an option's only: an operand
#: that names one has the operand kinds "file" and "dir").
PATH_VALUE_KINDS = ("file", "dir")
OPERAND_KINDS = ("file", "dash", "missing", "dir", "string")
CONTENT_MODELS = ("empty", "bytes", "text", "lines", "alphabet", "samples", "sample")
CHANNEL_MODES = {
    "exit": ("exact", "ignore"),
    "stdout": ("exact", "ignore"),
    "stderr": ("exact", "presence", "ignore"),
    "files": ("exact", "ignore"),
}
ABBREVIATIONS = ("any", "unique", "never")
NORMALISERS = ("program-name", "workdir")

# A locale and time zone that exist on every Debian system and do not vary.
#: The environment every run starts from (a task's ``[env]`` adds to it). PYTHONHASHSEED
#: fixes the order of a Python candidate's sets and dicts of str keys: with it random,
#: a port printing a set scored 1.0 on one call and 0.0 on the next, same budget and seed.
DEFAULT_ENV = {
    "LC_ALL": "C",
    "LANG": "C",
    "TZ": "UTC",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "PYTHONHASHSEED": "0",
}


@dataclass(frozen=True, slots=True)
class ValueSpec:
    """The value an option or operand takes."""

    kind: str
    min: int = 0
    max: int = 100
    values: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    alphabet: str = "abc,-: \t"
    max_len: int = 6


@dataclass(frozen=True, slots=True)
class OptionSpec:
    short: str | None
    long: str | None
    value: ValueSpec | None = None
    optional_value: bool = False
    separate: bool = False  # the value is only ever its own word (`-b 64`, `--blocksize 64`)
    weight: float = 1.0
    # names of options this one is meaningless without, each maybe with the value it
    # needs (`algorithm=blake2b`: `cksum -l` is refused under any other algorithm)
    requires: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()  # names of options the reference refuses alongside this one

    def label(self) -> str:
        return f"--{self.long}" if self.long else f"-{self.short}"


@dataclass(frozen=True, slots=True)
class SlotSpec:
    """What one operand position holds (``[[operands.slots]]``)."""

    kinds: tuple[str, ...] = ("file",)
    strings: tuple[str, ...] = ()
    value: ValueSpec | None = None


@dataclass(frozen=True, slots=True)
class OperandSpec:
    """How many operands a case has and what they are. With ``slots``, operand
    *i* is drawn from slot *i* (the last slot for every later one); without, every
    operand from ``kinds``."""

    min: int = 0
    max: int = 2
    kinds: tuple[str, ...] = ("file", "dash", "missing")
    strings: tuple[str, ...] = ()
    value: ValueSpec | None = None
    slots: tuple[SlotSpec, ...] = ()
    #: Whole operand lists the program reads as one expression (``3 + 2``,
    #: ``match abc a.*``): half the cases take one of these instead of drawing
    #: operands one by one (``generate.Grammar.sentence``); every case where ``max`` is 0.
    sentences: tuple[tuple[str, ...], ...] = ()

    @property
    def required(self) -> bool:
        """Whether every call takes operands: ``min`` of them, or a sentence where
        nothing else is an operand (``datamash sum 1``)."""
        return self.min > 0 or (bool(self.sentences) and self.max == 0)


@dataclass(frozen=True, slots=True)
class ContentSpec:
    """How standard input or an input file's content is generated."""

    models: tuple[str, ...] = ("empty", "text", "lines", "bytes")
    alphabet: str = ""
    samples: tuple[str, ...] = ()
    max_bytes: int = 256


@dataclass(frozen=True, slots=True)
class Limits:
    timeout: float = 5.0  # seconds of wall time a single run may take
    memory_mb: int = 1024  # address-space limit: generous for interpreters, fatal to runaway allocation
    output_bytes: int = 1 << 20  # per stream; a run that writes more is killed and marked output-cap
    file_bytes: int = 16 << 20  # largest file a run may write in its working directory
    processes: int = 64  # process limit where the kernel enforces it (not for root)


@dataclass(frozen=True, slots=True)
class Replacement:
    """A declared normaliser: a regular expression applied to one channel of both sides."""

    channel: str
    pattern: str
    replacement: str


@dataclass(frozen=True, slots=True)
class CompareSpec:
    modes: tuple[tuple[str, str], ...] = tuple((c, "exact") for c in CHANNEL_MODES)
    normalise: tuple[str, ...] = NORMALISERS
    replace: tuple[Replacement, ...] = ()

    def mode(self, channel: str) -> str:
        return dict(self.modes).get(channel, "exact")


@dataclass(frozen=True, slots=True)
class TaskSpec:
    name: str
    program: str
    version: str = ""
    argv0: str = ""  # the name the program is called by; multi-call binaries dispatch on it (busybox)
    # Other programs that implement the reference (multi-call binaries such as busybox):
    # hidden from a sandboxed candidate along with the reference.
    mask: tuple[str, ...] = ()
    # Programs a sandboxed candidate may run besides its own command (names on the
    # task's PATH): what a candidate's sandbox holds is an allowlist. ``sh`` always.
    tools: tuple[str, ...] = ("sh",)
    description: str = ""
    # A short free-text grouping for `fuzzdiff tasks` ("hashing", "encoding", ...);
    # "" when the task file names none.
    family: str = ""
    options: tuple[OptionSpec, ...] = ()
    operands: OperandSpec = OperandSpec()
    stdin: ContentSpec = ContentSpec()
    files: ContentSpec = ContentSpec()
    env: tuple[tuple[str, str], ...] = tuple(sorted(DEFAULT_ENV.items()))
    limits: Limits = Limits()
    compare: CompareSpec = CompareSpec()
    max_options: int = 4
    malformed: float = 0.1
    # Long options also spelt by prefixes: "any" prefix (an ambiguous one is a usage
    # error worth covering), "unique" prefixes only, or "never" (programs without getopt).
    abbreviate: str = "any"
    one_of: tuple[tuple[str, ...], ...] = ()  # groups of which a valid call names exactly one
    # Fixed arguments the reference is called with before each case's (``openssl dgst``:
    # program "openssl", args ["dgst"]); the candidate gets only the case's.
    args: tuple[str, ...] = ()
    # Both sides run with a frozen clock and seeded randomness (libfaketime), a fixed
    # host name and umask: see docs/hermetic.md.
    hermetic: bool = False
    # Files in every case's working directory besides those the case makes (name,
    # content): what a checksum list names for `sha1sum -c`. An operand that names
    # one reads it as it is.
    fixtures: tuple[tuple[str, str], ...] = ()
    source: str = field(default="<memory>", compare=False)


_DEFAULT_LIMITS = Limits()
_DEFAULT_VALUESPEC = ValueSpec(kind="int")
_DEFAULT_OPERANDSPEC = OperandSpec()


def required(entry: str) -> tuple[str, str | None]:
    """A ``requires`` entry as (option name, the value it needs or None): ``"c"``
    gives ``("c", None)``, ``"algorithm=blake2b"`` gives ``("algorithm", "blake2b")``."""
    name, eq, needed = entry.partition("=")
    return name, needed if eq else None


def find_option(spec: TaskSpec, name: str) -> OptionSpec:
    """The option whose short or long name (without dashes) is ``name``."""
    for o in spec.options:
        if name in (o.short, o.long):
            return o
    raise KeyError(name)


def resolve_task_path(task: str) -> Path:
    """A shipped task name (``base64``) or a path to a task file -> the file's path."""
    candidate = Path(task)
    if task.endswith(".toml") or os.sep in task:
        if candidate.is_dir():
            raise SpecError(f"task file {task!r} is a directory; give the .toml file inside it")
        if not candidate.is_file():
            raise SpecError(f"task file {task!r} does not exist; give a shipped task name or an existing .toml path")
        return candidate
    shipped = REFERENCES_DIR / f"{task}.toml"
    if shipped.is_file():
        return shipped
    if candidate.is_file():
        return candidate
    raise SpecError(f"unknown task {task!r}; {_suggest(task, shipped_tasks())}or pass the path of a task file")


def _suggest(task: str, names: list[str]) -> str:
    """The shipped names close to ``task`` (or, for a name close to none, a pointer to the
    listing; with a handful of tasks, all of them), ready to precede "or pass ..."."""
    if not names:
        return "no shipped tasks were found; "
    if len(names) <= 12:
        return f"shipped tasks are: {', '.join(names)}; "
    close = difflib.get_close_matches(task, names, n=5, cutoff=0.6)
    close += [n for n in names if n.startswith(task) and n not in close][: 5 - len(close)]
    listing = f"`fuzzdiff tasks` lists all {len(names)} shipped tasks; "
    return (f"did you mean {', '.join(close)}? " if close else "") + listing


def shipped_tasks() -> list[str]:
    if not REFERENCES_DIR.is_dir():
        return []
    return sorted(p.stem for p in REFERENCES_DIR.glob("*.toml"))


def load_task(task: str) -> TaskSpec:
    path = resolve_task_path(task)
    try:
        data = path.read_bytes()
        raw = tomllib.loads(data.decode("utf-8"))
    except OSError as exc:
        raise SpecError(f"cannot read task file {path}: {exc}") from exc
    except UnicodeDecodeError as exc:  # said only "byte 0xff in position 296"
        line = data[: exc.start].count(b"\n") + 1
        raise SpecError(
            f"task file {path} is not UTF-8 text: byte {data[exc.start]:#04x} on line {line}; save it as UTF-8"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"task file {path} is not valid TOML: {exc}; fix the syntax at that line") from exc
    return parse_task(raw, str(path))


#: The keys each table of a task file accepts. Loading reads exactly these (an
#: unknown key is an error with the nearest allowed one suggested), and a test
#: checks that references/README.md documents every one. ``[env]`` takes any key.
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "task": (
        "name",
        "program",
        "version",
        "argv0",
        "mask",
        "tools",
        "description",
        "family",
        "options",
        "operands",
        "stdin",
        "files",
        "env",
        "limits",
        "compare",
        "generate",
        "args",
        "hermetic",
        "fixtures",
    ),
    "options": ("short", "long", "value", "optional_value", "separate", "weight", "requires", "excludes"),
    "value": ("kind", "min", "max", "values", "suffixes", "alphabet", "max_len"),
    "operands": ("min", "max", "kinds", "strings", "value", "slots", "sentences"),
    "slots": ("kinds", "strings", "value"),
    "content": ("models", "alphabet", "samples", "max_bytes"),  # [stdin] and [files]
    "limits": ("timeout", "memory_mb", "output_bytes", "file_bytes", "processes"),
    "compare": (*CHANNEL_MODES, "normalise", "replace"),
    "compare.replace": ("channel", "pattern", "replacement"),
    "generate": ("abbreviate", "max_options", "malformed", "one_of"),
}

#: How close an unknown key must be to an allowed one to be suggested (difflib's
#: ratio): 0.6 catches one or two typos in short keys without far-fetched guesses.
SUGGEST_CUTOFF = 0.6


class _Problems:
    """Every problem found in one task file, in the order found, one line each."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: list[str] = []

    def add(self, where: str, msg: str) -> None:
        self.lines.append(f"{self.source}: {where}{msg}")

    def raise_if_any(self) -> None:
        if len(self.lines) == 1:
            raise SpecError(self.lines[0])
        if self.lines:
            counted = " (array tables are counted from 1)" if any("]] #" in line for line in self.lines) else ""
            head = f"{self.source}: {len(self.lines)} problems{counted}:"
            raise SpecError("\n".join([head, *self.lines]))


class _Table:
    """Typed access to one TOML table. A wrong type, an unknown key or a bad value is
    recorded in the shared ``_Problems`` and the default is used, so that loading
    goes on and reports every problem of the file at once."""

    def __init__(
        self, data: Any, path: str, problems: _Problems, keys: tuple[str, ...] | None, label: str = ""
    ) -> None:
        self.label = label  # the array entry this table is or is in: "", "[[options]] #2: "
        self.path = path  # its dotted path within that: "", "limits.", "value."
        self.where = label + path
        self.problems = problems
        self.keys = keys  # None: any key ([env])
        self.is_table = isinstance(data, dict)
        if not self.is_table:
            what = f"{path.rstrip('.')} must be a table" if path else "must be a table"
            self.problems.add(label, f"{what}, got {type(data).__name__} {data!r}")
        self.data: dict[str, Any] = data if self.is_table else {}

    def fail(self, key: str, msg: str) -> None:
        self.problems.add(f"{self.where}{key}: " if key else self.where, msg)

    def get(self, key: str, typ: type | tuple[type, ...], default: Any) -> Any:
        assert self.keys is None or key in self.keys, f"{key} missing from TABLE_KEYS"
        if key not in self.data:
            return default
        value = self.data[key]
        if typ is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, typ) or (isinstance(value, bool) and typ is not bool):
            names = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
            shown = str(value).lower() if isinstance(value, bool) else repr(value)  # TOML's spelling
            self.fail(key, f"expected {names}, got {type(value).__name__} {shown}")
            return default
        if isinstance(value, float) and not math.isfinite(value):  # inf crashed, nan was silently never
            self.fail(key, f"expected a finite number, got {value}")
            return default
        return value

    def bounded(self, key: str, typ: type, default: Any, low: float, high: float, why: str = "") -> Any:
        """``get``, and a number from ``low`` to ``high``: outside, a problem naming both."""
        value = self.get(key, typ, default)
        if not low <= value <= high:
            self.fail(key, f"give a number from {low:,} to {high:,}, got {value:,}{why}")
            return default
        return value

    def strings(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.get(key, list, None)
        if value is None:
            return default
        if not all(isinstance(v, str) for v in value):
            self.fail(key, "expected a list of strings")
            return default
        return tuple(value)

    def choices(self, key: str, allowed: tuple[str, ...], default: tuple[str, ...]) -> tuple[str, ...]:
        values = self.strings(key, default)
        for v in values:
            if v not in allowed:
                self.fail(key, f"unknown value {v!r}; allowed: {', '.join(allowed)}")
        return tuple(v for v in values if v in allowed)

    def table(self, key: str, keys: str) -> _Table:
        assert self.keys is None or key in self.keys, f"{key} missing from TABLE_KEYS"
        return _Table(self.data.get(key, {}), f"{self.path}{key}.", self.problems, TABLE_KEYS[keys], self.label)

    def check_keys(self) -> None:
        """Record each key this table does not accept, with the nearest accepted one."""
        if self.keys is None:
            return
        for key in sorted(set(self.data) - set(self.keys)):
            near = difflib.get_close_matches(key, self.keys, n=1, cutoff=SUGGEST_CUTOFF)
            hint = f"did you mean {near[0]!r}?" if near else f"allowed here: {', '.join(self.keys)}"
            self.problems.add(self.label, f"unknown key {self.path}{key}; {hint} (see references/README.md)")


def _array(top: _Table, key: str, problems: _Problems, keys: str) -> list[_Table]:
    """The entries of an array of tables, each named in messages as ``[[key]] #N`` (counted from 1)."""
    raw = top.get(key, list, [])
    tables = TABLE_KEYS[keys]
    return [_Table(entry, "", problems, tables, f"[[{top.path}{key}]] #{i}: ") for i, entry in enumerate(raw, 1)]


def _value(t: _Table, option: bool = False) -> ValueSpec:
    t.check_keys()
    kind = t.get("kind", str, "int")
    if kind not in VALUE_KINDS:
        t.fail("kind", f"unknown value kind {kind!r}; allowed: {', '.join(VALUE_KINDS)}")
        kind = "int"
    elif kind in PATH_VALUE_KINDS and not option:
        t.fail("kind", f"value kind {kind!r} is for an option's value; an operand names one by its kinds ({kind!r})")
        kind = "int"
    spec = ValueSpec(
        kind=kind,
        min=t.get("min", int, 0),
        max=t.get("max", int, 100),
        values=t.strings("values", ()),
        suffixes=t.strings("suffixes", ()),
        alphabet=t.get("alphabet", str, _DEFAULT_VALUESPEC.alphabet),
        max_len=t.get("max_len", int, _DEFAULT_VALUESPEC.max_len),
    )
    if spec.min > spec.max:
        t.fail("min", f"min {spec.min} is greater than max {spec.max}")
    if kind == "choice" and not spec.values:
        t.fail("values", "a choice value needs a non-empty values list")
    if kind == "dir" and spec.values:
        t.fail("values", "a dir value is a directory the case makes, with no content to give; leave values out")
    if kind in ("string", "char") and not spec.alphabet and not spec.values:
        t.fail("alphabet", "a string value needs an alphabet or values")
    return spec


def _option(t: _Table) -> OptionSpec | None:
    """The option, or None when it has no usable name (already recorded as a problem)."""
    if not t.is_table:
        return None
    t.check_keys()
    short = t.get("short", str, None)
    long = t.get("long", str, None)
    if short is None and long is None:
        t.fail("", "an option needs short, long or both")
    if short is not None and (len(short) != 1 or not short.isprintable() or short in " -="):
        t.fail(
            "short",
            f"a short option is one character (printable; not a blank, '-' or '='), got {short!r} "
            "(write it without the dash)",
        )
        short = None
    if long is not None and (not long or long.startswith("-")):
        t.fail("long", f"write the long option without dashes, got {long!r}")
        long = None
    elif long is not None and ("=" in long or not long.isprintable() or any(c.isspace() for c in long)):
        t.fail("long", f"{long!r}: a long option's name has no '=' or blank (a value goes in [options.value])")
        long = None
    value = _value(t.table("value", "value"), option=True) if "value" in t.data else None
    weight = t.get("weight", float, 1.0)
    if weight < 0:
        t.fail("weight", "weights are non-negative (0 keeps the option out of every case)")
    elif weight > MAX_WEIGHT:  # drawn from a list holding each option weight x 20 times: 1e300 never ended
        t.fail("weight", f"weights are relative, at most {MAX_WEIGHT:g} (4 beside 1 draws an option 4 times as often)")
        weight = 1.0
    if t.get("separate", bool, False) and t.get("optional_value", bool, False):
        t.fail("separate", "an optional value is attached (--opt=VAL) or absent, never its own word; keep one")
    opt = OptionSpec(
        short=short,
        long=long,
        value=value,
        optional_value=t.get("optional_value", bool, False),
        separate=t.get("separate", bool, False),
        weight=weight,
        requires=t.strings("requires", ()),
        excludes=t.strings("excludes", ()),
    )
    return opt if short is not None or long is not None else None


def _content(t: _Table, default: ContentSpec) -> ContentSpec:
    t.check_keys()
    spec = ContentSpec(
        models=t.choices("models", CONTENT_MODELS, default.models),
        alphabet=t.get("alphabet", str, default.alphabet),
        samples=t.strings("samples", default.samples),
        max_bytes=t.get("max_bytes", int, default.max_bytes),
    )
    if "models" in t.data and not t.data["models"]:
        t.fail("models", "give at least one content model")
    if "alphabet" in spec.models and not spec.alphabet:
        t.fail("alphabet", "the 'alphabet' model needs a non-empty alphabet")
    if ("samples" in spec.models or "sample" in spec.models) and not spec.samples:
        t.fail("samples", "the 'samples' and 'sample' models need a non-empty samples list")
    if spec.max_bytes < 0:
        t.fail("max_bytes", "must be at least 0")
    return spec


def _options(top: _Table, problems: _Problems) -> tuple[OptionSpec, ...]:
    options = []
    for table in _array(top, "options", problems, "options"):
        opt = _option(table)
        if opt is not None:
            options.append(opt)
    seen: set[str] = set()
    for o in options:
        for n in (o.short and "-" + o.short, o.long and "--" + o.long):
            if n and n in seen:
                problems.add("", f"option {n} is declared twice; keep one entry")
            if n:
                seen.add(n)
    shorts = {o.short for o in options if o.short}
    for o in options:
        names = {n for n in (o.short, o.long) if n}
        if o.long in shorts and o.short != o.long:  # requires = ["f"] could mean either
            problems.add("", f"option --{o.long}'s name is another option's short name -{o.long}; rename one")
        needed = {required(r)[0] for r in o.requires}
        if names & needed:
            problems.add("", f"option {_shown_option(o)} requires itself; drop it from its requires")
        if needed & set(o.excludes):
            both = ", ".join(sorted(needed & set(o.excludes)))
            problems.add("", f"option {_shown_option(o)} both requires and excludes {both}; keep one")
    return tuple(options)


def _pin_fault(target: OptionSpec, needed: str) -> str:
    """Why ``target`` cannot be required at ``needed`` (empty: it can)."""
    shown, v = _shown_option(target), target.value
    if v is None:
        return f"{shown} takes no value; require it without one"
    if needed == "":
        return "the value is empty; name one after the '='"
    if v.kind in PATH_VALUE_KINDS:
        return f"{shown}'s value names a path the case makes; require it without a value"
    if target.weight == 0:
        return f"{shown} has weight 0 (never in a case); give it a weight or drop the requirement"
    if v.kind == "choice" and needed not in v.values:
        return f"{needed!r} is not one of {shown}'s values; add it to them"
    if v.kind == "int" and not (re.fullmatch(r"-?[0-9]+", needed) and v.min <= int(needed) <= v.max):
        return f"{needed!r} is not an integer from {v.min} to {v.max}, {shown}'s range"
    return ""


def _shown_option(o: OptionSpec) -> str:
    return f"--{o.long}" if o.long else f"-{o.short}"


def _slot(t: _Table) -> SlotSpec:
    t.check_keys()
    slot = SlotSpec(
        kinds=t.choices("kinds", OPERAND_KINDS, ("file",)),
        strings=t.strings("strings", ()),
        value=_value(t.table("value", "value")) if "value" in t.data else None,
    )
    if "kinds" in t.data and not slot.kinds:
        t.fail("kinds", "give at least one operand kind")
    if "string" in slot.kinds and not slot.strings and slot.value is None:
        t.fail("strings", "the 'string' operand kind needs strings (fragments) or a value table")
    return slot


def _sentences(t: _Table) -> tuple[tuple[str, ...], ...]:
    value = t.get("sentences", list, [])
    if not all(isinstance(v, list) and v and all(isinstance(w, str) for w in v) for v in value):
        t.fail("sentences", 'expected a list of operand lists, each of strings: [["3", "+", "2"]]')
        return ()
    return tuple(tuple(v) for v in value)


def _operands(top: _Table, problems: _Problems) -> OperandSpec:
    ot = top.table("operands", "operands")
    ot.check_keys()
    operands = OperandSpec(
        min=ot.get("min", int, 0),
        max=ot.get("max", int, 2),
        kinds=ot.choices("kinds", OPERAND_KINDS, _DEFAULT_OPERANDSPEC.kinds),
        strings=ot.strings("strings", ()),
        value=_value(ot.table("value", "value")) if "value" in ot.data else None,
        slots=tuple(_slot(t) for t in _array(ot, "slots", problems, "slots")),
        sentences=_sentences(ot),
    )
    if not 0 <= operands.min <= operands.max:
        ot.fail("min", f"need 0 <= min <= max, got min={operands.min} max={operands.max}")
    elif operands.max > MAX_OPERANDS:
        ot.fail("max", f"at most {MAX_OPERANDS} operands a case, got {operands.max}")
    if "kinds" in ot.data and not operands.kinds and operands.max > 0 and not operands.slots:
        ot.fail("kinds", "give at least one operand kind (or max = 0 for no operands)")
    if "string" in operands.kinds and not operands.strings and operands.value is None and not operands.slots:
        ot.fail("strings", "the 'string' operand kind needs strings (fragments) or a value table")
    return operands


def _limits(top: _Table) -> Limits:
    lt = top.table("limits", "limits")
    lt.check_keys()
    d = _DEFAULT_LIMITS
    # Each a number above 0 and below what the kernel or the clock can hold: a file_bytes
    # of -1 meant no limit at all, a timeout of 1e9 an internal error.
    timeout = lt.get("timeout", float, d.timeout)
    if not 0 < timeout <= MAX_TIMEOUT:
        lt.fail("timeout", f"seconds a run may take: above 0, at most {MAX_TIMEOUT:g}, got {timeout:g}")
        timeout = d.timeout
    return Limits(
        timeout=timeout,
        memory_mb=lt.bounded("memory_mb", int, d.memory_mb, 1, 1 << 20),
        output_bytes=lt.bounded("output_bytes", int, d.output_bytes, 1, 1 << 40),
        file_bytes=lt.bounded("file_bytes", int, d.file_bytes, 1, 1 << 50),
        processes=lt.bounded("processes", int, d.processes, 1, 1 << 20),
    )


def _compare(top: _Table, problems: _Problems) -> CompareSpec:
    ct = top.table("compare", "compare")
    ct.check_keys()
    modes = []
    for channel, allowed in CHANNEL_MODES.items():
        mode = ct.get(channel, str, "exact")
        if mode not in allowed:
            ct.fail(channel, f"unknown mode {mode!r}; allowed: {', '.join(allowed)}")
            mode = "exact"
        modes.append((channel, mode))
    normalise = ct.choices("normalise", NORMALISERS, NORMALISERS)
    replacements = []
    for rt in _array(ct, "replace", problems, "compare.replace"):
        rt.check_keys()
        rep = Replacement(
            channel=rt.get("channel", str, "stderr"),
            pattern=rt.get("pattern", str, ""),
            replacement=rt.get("replacement", str, ""),
        )
        if rep.channel not in REPLACE_CHANNELS:
            rt.fail("channel", "replacements apply to stdout, stderr or names (of the files a run leaves)")
        _check_regex(rep.pattern, rt)
        replacements.append(rep)
    return CompareSpec(modes=tuple(modes), normalise=normalise, replace=tuple(replacements))


#: What a ``[[compare.replace]]`` applies to: a stream, or the names of the files a
#: run leaves in its directory (``names``: a temporary file's random suffix).
REPLACE_CHANNELS = ("stdout", "stderr", "names")


def parse_task(raw: dict[str, Any], source: str = "<memory>") -> TaskSpec:
    """Build a TaskSpec from parsed TOML, checking every key; a ``SpecError`` lists
    every problem found, one line each."""
    problems = _Problems(source)
    top = _Table(raw, "", problems, TABLE_KEYS["task"])
    top.check_keys()
    name = top.get("name", str, None)  # None: missing, or of another type (already a problem)
    program = top.get("program", str, None)
    if name is None and "name" not in top.data:
        top.fail("name", "missing; every task needs a name")
    elif name is not None and not TASK_NAME.fullmatch(name):  # it names directories: "../x" escaped them
        top.fail("name", f"{name!r}: use letters, digits, '.', '_', '+' and '-', starting with a letter or digit")
    if (program is None and "program" not in top.data) or program == "":
        top.fail("program", "missing; name the reference program (on PATH, or an absolute path)")
    name, program = name or "", program or ""
    options = _options(top, problems)
    operands = _operands(top, problems)
    stdin = _content(top.table("stdin", "content"), ContentSpec())
    files = _content(top.table("files", "content"), stdin)

    et = _Table(top.data.get("env", {}), "env.", problems, None)
    env = dict(DEFAULT_ENV)
    for k in list(et.data):
        env[k] = et.get(k, str, env.get(k, ""))

    limits = _limits(top)
    compare = _compare(top, problems)

    gt = top.table("generate", "generate")
    gt.check_keys()
    max_options = gt.bounded("max_options", int, 4, 0, MAX_OPERANDS)
    malformed = gt.get("malformed", float, 0.1)
    one_of_raw = gt.get("one_of", list, [])
    if not all(isinstance(g, list) and g and all(isinstance(n, str) for n in g) for g in one_of_raw):
        gt.fail("one_of", 'expected a list of lists of option names, e.g. [["b", "c", "f"]]')
        one_of_raw = []
    one_of = tuple(tuple(g) for g in one_of_raw)
    if not 0.0 <= malformed <= 1.0:
        gt.fail("malformed", "a share between 0 and 1")
    known = {n for o in options for n in (o.short, o.long) if n}
    named = [n for g in one_of for n in g] + [
        r for o in options for r in (*(required(e)[0] for e in o.requires), *o.excludes)
    ]
    for name_ in dict.fromkeys(named):
        if name_ not in known:
            problems.add(
                "",
                f"option {name_!r} named in one_of, requires or excludes is not declared; "
                "use a declared short or long name without dashes",
            )
    by_name = {n: o for o in options for n in (o.short, o.long) if n}
    pins: dict[str, set[str]] = {}
    for o in options:
        for entry in o.requires:
            name_, needed = required(entry)
            target = by_name.get(name_)
            if needed is None or target is None:
                continue
            fault = _pin_fault(target, needed)
            if fault:
                problems.add("", f"option {_shown_option(o)} requires {entry!r}, but {fault}")
            pins.setdefault(_shown_option(target), set()).add(needed)
    for shown, values in pins.items():
        if len(values) > 1:
            problems.add("", f"options require {shown} at different values ({', '.join(sorted(values))}); keep one")
    spec = TaskSpec(
        name=name,
        program=program,
        version=top.get("version", str, ""),
        argv0=top.get("argv0", str, ""),
        mask=top.strings("mask", ()),
        tools=tuple(dict.fromkeys(("sh", *top.strings("tools", ())))),
        description=top.get("description", str, ""),
        family=top.get("family", str, "").strip(),
        options=options,
        operands=operands,
        stdin=stdin,
        files=files,
        env=tuple(sorted(env.items())),
        limits=limits,
        compare=compare,
        max_options=max_options,
        malformed=malformed,
        abbreviate=_abbreviate(gt),
        one_of=one_of,
        args=top.strings("args", ()),
        hermetic=top.get("hermetic", bool, False),
        fixtures=_fixtures(top),
        source=source,
    )
    problems.raise_if_any()
    return spec


def _fixtures(top: _Table) -> tuple[tuple[str, str], ...]:
    raw = top.get("fixtures", dict, {})
    if not all(isinstance(k, str) and k and isinstance(v, str) for k, v in raw.items()):
        top.fail("fixtures", 'a table of file names and contents, e.g. { "in.txt" = "a\\n" }')
        return ()
    bad = [k for k in raw if k.startswith("/") or ".." in k.split("/")]
    if bad:
        top.fail("fixtures", f"names are relative paths inside the working directory, got {bad}")
    return tuple(sorted(raw.items()))


def _abbreviate(gt: _Table) -> str:
    value = gt.get("abbreviate", (bool, str), True)
    mode = {True: "any", False: "never"}.get(value, value) if isinstance(value, bool) else value
    if mode not in ABBREVIATIONS:
        gt.fail("abbreviate", f"true, false or one of {', '.join(ABBREVIATIONS)}; got {value!r}")
        return "any"
    return mode


#: Non-empty texts no useful normaliser matches whole, all of them: one that does
#: (``(?s).*``, ``(?s).+``) would make every output alike and hide every difference.
_ANY_TEXT = (b"a", b"0\n", b"x y\nz\n", b"\xff\x00-\n\n")


def _check_regex(pattern: str, t: _Table) -> None:
    try:
        rx = re.compile(pattern.encode())
    except re.error as exc:
        t.fail("pattern", f"invalid regular expression: {exc}")
        return
    if pattern == "":
        t.fail("pattern", "an empty pattern matches between every two bytes; give what to replace")
    elif all(rx.fullmatch(text) for text in _ANY_TEXT):
        t.fail("pattern", f"{pattern!r} matches any text: it would make every output alike and hide every difference")
