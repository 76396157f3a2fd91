"""Learn a program's input space from its own answers.

Help text says which options exist; only the program says what it accepts.
``probe`` takes a mined task (``mine.mine_task``) and runs the reference on a
fixed ladder of inputs, keeping what it accepts (exit status 0; for options, also a
silent status under the one it refuses an unknown option with: grep's 1 for "no
match"):

1. **content**: which standard input (field lines, numbers, words, JSON, an
   arithmetic expression) the program accepts, alone and as a file operand;
2. **operands**: how many, and of which kind at each position (input file,
   ``-``, number, word, command, pattern, expression, filter, directory, new
   output file);
3. **enablers**: when nothing is accepted without options, the options that
   make a call valid: a required choice among several (``one_of``);
4. **options**: for each option, whether it is a flag or takes a value, and which
   values of a ladder (integers from negative to huge, sizes, ranges, characters,
   escapes, format strings, patterns, dates, field and key specifications,
   encodings) it accepts, with the boundaries where it starts refusing; tried also
   on the program's own output as input (``sha1sum -c`` reads what ``sha1sum``
   wrote);
5. **constraints**: an option refused alone but accepted beside another requires
   it; two options each accepted alone but refused together exclude each other.

Every run is counted against a budget and cached by case, the ladder's order is
fixed and sampling uses the seed, so the same reference, budget and seed learn
the same task. Each learned fact comes with a note saying how it was learned;
``mine.task_toml`` writes them as comments beside the task's keys.
"""

from __future__ import annotations

import copy
import itertools
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from fuzzdiff.core.model import Case, Outcome, Program, Termination
from fuzzdiff.core.triage import stderr_class
from fuzzdiff.run.execute import Executor

#: Reference runs a probe may spend unless told otherwise.
DEFAULT_BUDGET = 3000

#: Inputs tried as standard input and as an input file's content, in order of preference.
CONTENTS: tuple[tuple[str, bytes], ...] = (
    ("sorted field lines", b"a 1 y\na 1 y\nb 2 x\nc 3 z\n"),
    ("numbers", b"3\n1\n20\n2\n"),
    ("words", b"hello world\nfoo bar baz\n"),
    ("json", b'{"a": 1, "b": [1, 2], "c": "x"}\n'),
    ("expression", b"1+2\n3*4\n"),
    ("empty", b""),
)

#: Operand kinds: a label, how the spec spells the kind, and the token (None: a file).
_OPERANDS: tuple[tuple[str, str, bytes], ...] = (
    ("file", "file", b"in.txt"),
    ("dash", "dash", b"-"),
    ("number", "string", b"3"),
    ("number", "string", b"10"),
    ("number", "string", b"-2"),
    ("number", "string", b"2.5"),
    ("word", "string", b"abc"),
    ("command", "string", b"echo"),  # xargs, env, timeout, nice: a program to run
    ("pattern", "string", b"/b/"),
    ("pattern", "string", b"a.*"),
    ("filter", "string", b"."),
    ("filter", "string", b".a"),
    ("expression", "string", b"1+2"),
    ("format", "string", b"%d"),
    ("date", "string", b"2020-01-02"),
    ("directory", "dir", b"d"),
    ("new file", "missing", b"out.txt"),
)

#: Values tried for an option, in order, by kind. Integers cover 0, negatives and a huge one.
INTS = ("0", "1", "2", "3", "5", "10", "64", "100", "1000", "-1", "-5", "99999999999999999999")
LADDER_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("integer", INTS),
    ("size", ("1K", "2M", "10b")),
    ("range or list", ("1,2", "1-3", "2-", "-2", "1.1", "2.3,1.2", "1,1", "2n", "1.2,1.3r")),
    ("character", (",", ":", "\t", "x", "\\n")),
    ("format", ("%d", "%s", "%5.2f", "%Y-%m-%d")),
    ("pattern", ("a.*", "^[0-9]+$")),
    ("date", ("2020-01-02", "@0")),
    ("word", ("base64", "utf-8", "hex", "auto", "always", "never", "none", "all", "abc")),
)
LADDER: tuple[str, ...] = tuple(v for _, values in LADDER_KINDS for v in values)
_KIND = {v: kind for kind, values in LADDER_KINDS for v in values}
#: Values tried before an option whose every run timed out is taken for one that never ends.
HANG_TRIES = 3
#: Bases a value is tried on once the option took another value: the first that took one.
VALUE_BASES = 2
#: Values of each enumerated option an option that takes at most one value is
#: tried beside (``Prober.learn_value_needs``), the values it is tried at there (a
#: count, a size, a bit length: `cksum -a blake2b -l 64`), and the share of the
#: probe budget that step may spend in all (one run in so many).
REQUIRED_VALUES = 24
REQUIRED_OWN_VALUES = ("1", "64", "256")
REQUIRED_SHARE = 10
#: Weight of an option no probe got accepted: its error paths stay covered, rarely.
RARE_WEIGHT = 0.25
#: Most values of a ladder a learned choice keeps (the first accepted, in ladder order).
MAX_VALUES = 12
#: The paths an option's value is tried as before the ladder (``path_kind``): a
#: file, then a directory, each with the path made and without it. Names of the
#: generator's pools (``generate.PATH_NAMES``).
PATH_VALUES: dict[str, bytes] = {"file": b"b.dat", "dir": b"d"}


def accepted(out: Outcome) -> bool:
    return out.termination is Termination.EXITED and out.exit_code == 0


#: An option no program has: what a program says of an option it does not know.
UNKNOWN_OPTION = b"--fuzzdiff-no-such-option"


@dataclass
class Base:
    """An accepted call without options: operands, stdin and files."""

    operands: tuple[bytes, ...]
    stdin: bytes
    files: tuple[tuple[bytes, bytes], ...]
    label: str
    own: bool = False  # its input is the program's own output

    def case(
        self, args: Sequence[bytes] = (), prefix: Sequence[bytes] = (), extra: Sequence[tuple[bytes, bytes]] = ()
    ) -> Case:
        """The base with ``args`` before its operands and ``extra`` files beside its own."""
        files = self.files + tuple(f for f in extra if f[0] not in dict(self.files))
        return Case(argv=(*prefix, *args, *self.operands), stdin=self.stdin, files=files)


@dataclass
class Learned:
    """What a probe found, as task-table entries and notes (one list per option label)."""

    raw: dict[str, object]
    notes: dict[str, list[str]] = field(default_factory=dict)
    runs: int = 0
    exhausted: bool = False
    hung: bool = False  # nearly every run timed out (``_Runs.hung``): probing stopped


NO_OPERANDS = "no operand sequence tried was accepted: kept the mined operands"

#: Sentences tried with each content to choose one, where no operands are accepted.
SENTENCE_SAMPLE = 24
#: Values of the ladder tried in both spellings (``--long=V``, ``--long V``) to tell
#: an option whose values must be their own word.
SEPARATE_TRIES = 6
#: Probe runs after which a reference that timed out on ``HUNG_SHARE`` of them
#: stops being probed: it runs until killed whatever it is given.
HUNG_AFTER = 30
HUNG_SHARE = 0.9
#: Probe runs kept back while options are probed one by one, for whether the
#: program takes abbreviated long options (``learn_abbreviations``: two runs at
#: most). A program with many options (zstd's 41) spent the whole budget on them,
#: the task kept the default "any prefix", and a third of its fresh cases were
#: refused with zstd's "Incorrect parameters" for `--lon` or `--train-c`.
ABBREVIATION_RESERVE = 2


class _Runs:
    """The reference, behind a budget and a cache."""

    def __init__(self, executor: Executor, program: Program, budget: int) -> None:
        self.executor, self.program, self.budget = executor, program, budget
        self.cache: dict[Case, Outcome] = {}
        self.spent = 0
        self.timeouts = 0
        self.reserve = 0  # runs of the budget not to be spent now (kept for a later step)
        #: Exit statuses below this one, with nothing on standard error, are answers
        #: and not refusals (``Prober.learn_statuses``); 0: only status 0 is.
        self.answers_below = 0

    def left(self) -> bool:
        return self.spent < self.budget - self.reserve and not self.hung()

    def hung(self) -> bool:
        """Nearly every run so far ran past the time limit (``HUNG_AFTER``,
        ``HUNG_SHARE``): an interactive program (`vi` waits for a terminal) spent
        the whole budget a second at a time, 17 minutes, before it was refused."""
        return self.spent >= HUNG_AFTER and self.timeouts >= HUNG_SHARE * self.spent

    def run(self, case: Case) -> Outcome | None:
        """The outcome, or None when the budget is spent."""
        if case in self.cache:
            return self.cache[case]
        if not self.left():
            return None
        self.spent += 1
        out = self.executor.run(self.program, case)
        self.timeouts += out.termination is Termination.TIMEOUT
        self.cache[case] = out
        return out

    def accepts(self, out: Outcome) -> bool:
        """The program took the call: status 0, or a silent status it answers with
        (``answers_below``: grep's 1 for "no line matched", diff's for "they differ")."""
        if accepted(out):
            return True
        code = out.exit_code if out.termination is Termination.EXITED else None
        return code is not None and 0 < code < self.answers_below and not out.stderr

    def ok(self, case: Case) -> bool:
        out = self.run(case)
        return out is not None and self.accepts(out)


def _spellings(opt: dict[str, object]) -> tuple[str, str]:
    """(name for notes and constraints, the flag token)."""
    long, short = opt.get("long"), opt.get("short")
    if isinstance(long, str):
        return long, f"--{long}"
    assert isinstance(short, str)
    return short, f"-{short}"


def _with_value(opt: dict[str, object], value: str) -> list[bytes]:
    """The option given ``value``: ``--long=VALUE``, or its own word after the flag
    where the option's values are ``separate`` (or it has no long spelling)."""
    long, short = opt.get("long"), opt.get("short")
    data = value.encode("utf-8", "surrogateescape")
    if isinstance(long, str):
        return [f"--{long}".encode(), data] if opt.get("separate") else [f"--{long}=".encode() + data]
    return [f"-{short}".encode(), data]


def _operand_case(kinds: Sequence[int], content: bytes, prefix: Sequence[bytes] = ()) -> Case:
    argv: list[bytes] = list(prefix)
    files: dict[bytes, bytes] = {}
    for k in kinds:
        _, spec_kind, token = _OPERANDS[k]
        if spec_kind == "file":
            files[token] = content
        elif spec_kind == "dir":
            files[token + b"/f"] = content
        argv.append(token)
    return Case(argv=tuple(argv), stdin=content, files=tuple(files.items()))


class Prober:
    """One probe of one reference: see the module's docstring for the stages."""

    def __init__(self, raw: dict[str, object], runs: _Runs, seed: int) -> None:
        self.raw = copy.deepcopy(raw)
        self.runs = runs
        self.rng = random.Random(seed)
        self.notes: dict[str, list[str]] = {}
        options = self.raw.get("options", [])
        assert isinstance(options, list)
        self.options: list[dict[str, object]] = options
        self.prefix: tuple[bytes, ...] = ()  # an enabling option every base needs
        self.own_output = b""  # the reference's output on a file operand (a checksum list)
        self.seqs: list[tuple[int, ...]] = []  # operand sequences accepted, simplest first
        self.path_data: dict[str, bytes] = {}  # the content a path value was accepted with, by option
        mined = self.raw.get("operands", {})
        assert isinstance(mined, dict)
        self.sentences: list[list[str]] = list(mined.get("sentences", []))  # the help text's, to try
        self.kept_sentences: list[list[str]] = []  # of them, those the reference accepts
        self.mined_max = int(mined.get("max", 0))  # most operands the usage lines take

    def note(self, key: str, text: str) -> None:
        self.notes.setdefault(key, []).append(text)

    # -- 1 and 2: content and operands ------------------------------------------------

    def accepted_sequences(self, content: bytes, lengths: Sequence[int]) -> list[tuple[int, ...]]:
        """Operand kind sequences (indexes into the ladder) the reference accepts."""
        found: list[tuple[int, ...]] = []
        singles = range(len(_OPERANDS))
        if 0 in lengths and self.runs.ok(_operand_case((), content, self.prefix)):
            found.append(())
        if 1 in lengths:
            found += [(k,) for k in singles if self.runs.ok(_operand_case((k,), content, self.prefix))]
        if 2 in lengths:
            # pairs: every first kind that is a file or was accepted alone, then every second
            firsts = sorted({0, *(s[0] for s in found if len(s) == 1)})
            for a in firsts:
                found += [(a, b) for b in singles if self.runs.ok(_operand_case((a, b), content, self.prefix))]
        if 3 in lengths:
            pairs = [s for s in found if len(s) == 2][:8]
            if not pairs and self.mined_max >= 3:  # three required, none fewer (diff3 MYFILE OLDFILE YOURFILE)
                pairs = [(0, 0)]
            for a, b in pairs:
                for c in _THIRDS:
                    if self.runs.ok(_operand_case((a, b, c), content, self.prefix)):
                        found.append((a, b, c))
        return [s for s in found if _NEGATIVE not in s or _as_positive(s) in found]

    def best_content(self) -> tuple[str, bytes]:
        """The content with which most short operand sequences are accepted (ties: ladder order)."""
        scores = []
        for i, (label, data) in enumerate(CONTENTS):
            scores.append((len(self.accepted_sequences(data, (0, 1))), -i, label, data))
        best = max(scores)
        return best[2], best[3]

    def learn_operands(self, content: bytes) -> list[tuple[int, ...]]:
        seqs = self.accepted_sequences(content, (0, 1, 2, 3))
        if not seqs:
            self.note("operands", NO_OPERANDS)
            return seqs
        lengths = sorted({len(s) for s in seqs})
        mined = self.raw.get("operands", {})
        assert isinstance(mined, dict)
        top = max(lengths)
        hi = max(top, int(mined.get("max", 0))) if top >= 3 else top
        slots = [self._slot([s[pos] for s in seqs if len(s) > pos]) for pos in range(top)]
        # the first slot that reads files also names a missing one, once in nine or so
        reading = next((kinds for kinds, _ in slots if "file" in kinds), None)
        if reading is not None:
            reading[:] = [*(reading * 8), "missing"]
            self.note(
                "operands",
                "the first file slot's kinds are listed 8 times, then 'missing' (a missing file one draw in 9)",
            )
        tables = [{"kinds": kinds, **extra} for kinds, extra in slots]
        self.raw["operands"] = {"min": lengths[0], "max": hi, "slots": tables}
        shown = ", ".join(sorted({" ".join(_OPERANDS[k][0] for k in s) or "(none)" for s in seqs})[:12])
        self.note("operands", f"probed: accepted {len(seqs)} operand sequences, counts {lengths}: {shown}")
        return seqs

    def learn_sentences(self, content: bytes) -> None:
        """Keep the operand sentences mined from the help text (``mine.mine_sentences``)
        that the reference accepts; ``in.txt`` in one is a file holding ``content``."""
        if not self.sentences:
            return
        kept: list[list[str]] = []
        for words in self.sentences:
            if self.runs.ok(self._sentence_case(words, content)):
                kept.append(words)
        self.kept_sentences = kept
        operands = self.raw.setdefault("operands", {})
        assert isinstance(operands, dict)
        if kept and not self.seqs:
            # the program's operation is the sentence (`datamash sum 1`): every case takes one
            operands = self.raw["operands"] = dict[str, object](min=0, max=0)
            self.notes["operands"] = [n for n in self.notes.get("operands", []) if n != NO_OPERANDS]
            self.note("operands", "probed: no operands accepted but the help text's sentences: every case takes one")
        if kept:
            operands["sentences"] = kept
            self.note(
                "operands",
                f"probed: {len(kept)} of {len(self.sentences)} operand sentences written from the help text's"
                f" syntax forms or keyword lists accepted: {'; '.join(' '.join(w) for w in kept[:6])}",
            )
        else:
            operands.pop("sentences", None)
            self.note("operands", f"probed: none of the help text's {len(self.sentences)} operand sentences accepted")

    def sentence_content(self) -> tuple[str, bytes]:
        """For a program that accepts no operands of the ladder: the content with which
        most of a sample of the help text's sentences are accepted (ties: ladder order)."""
        step = max(1, len(self.sentences) // SENTENCE_SAMPLE)
        sample = self.sentences[::step][:SENTENCE_SAMPLE]
        scores = []
        for i, (label, data) in enumerate(CONTENTS):
            n = sum(self.runs.ok(self._sentence_case(words, data)) for words in sample)
            scores.append((n, -i, label, data))
        best = max(scores)
        return best[2], best[3]

    def _sentence_case(self, words: Sequence[str], content: bytes) -> Case:
        argv = tuple(w.encode("utf-8", "surrogateescape") for w in words)
        files = ((b"in.txt", content),) if b"in.txt" in argv else ()
        return Case(argv=(*self.prefix, *argv), stdin=content, files=files)

    def sentence_bases(self, content_label: str, content: bytes) -> list[Base]:
        """Accepted calls to try options on where only sentences are accepted: the
        first kept sentence of one word and the first of more."""
        chosen = [next((w for w in self.kept_sentences if len(w) == n), None) for n in (1, 2)]
        out = []
        for words in (w for w in chosen if w is not None):
            case = self._sentence_case(words, content)
            out.append(
                Base(case.argv[len(self.prefix) :], case.stdin, case.files, f"{' '.join(words)}, {content_label} input")
            )
        return out

    def _slot(self, kinds_at: list[int]) -> tuple[list[str], dict[str, object]]:
        """A slot from the ladder entries accepted at one position: its kinds (file,
        dash, directory, new file as themselves; the others as one string kind) and
        its value table (an integer range, or a choice of the accepted strings)."""
        kinds: list[str] = []
        strings: list[str] = []
        for k in kinds_at:
            _, spec_kind, token = _OPERANDS[k]
            if spec_kind == "string":
                strings.append(token.decode())
            else:
                kinds.append(spec_kind)
        extra: dict[str, object] = {}
        values = list(dict.fromkeys(strings))
        if values:
            kinds.append("string")
            ints = [int(v) for v in values if _is_int(v)]
            if ints and len(ints) == len(values):
                extra["value"] = {"kind": "int", "min": min(ints), "max": max(max(ints), 10)}
            else:
                extra["value"] = {"kind": "choice", "values": values}
        return list(dict.fromkeys(kinds)), extra

    def bases(self, content_label: str, content: bytes, seqs: list[tuple[int, ...]]) -> list[Base]:
        """Accepted calls to try options on: the simplest with a file operand and the
        simplest overall, plus the program's own output as input (a checksum list
        for ``sha1sum -c``)."""
        ordered = sorted(seqs, key=lambda s: (0 not in s, len(s)))
        chosen = list(dict.fromkeys([*ordered[:1], *sorted(seqs, key=len)[:1]]))
        out: list[Base] = []
        for s in chosen:
            case = _operand_case(s, content, self.prefix)
            label = " ".join(_OPERANDS[k][0] for k in s) or "no operands"
            out.append(Base(case.argv[len(self.prefix) :], case.stdin, case.files, f"{label}, {content_label} input"))
        # a base with files first (a checksum list names them); else one reading stdin,
        # whose output is the input of another mode (`gzip` then `gzip -d`, `lzip -t`:
        # compressors write to a file when given one, so only stdin gives output)
        for b in sorted(out, key=lambda b: not b.files):
            result = self.runs.run(b.case(prefix=self.prefix))
            if result is not None and accepted(result) and result.stdout:
                own = result.stdout[:4096]
                self.own_output = own
                out.append(Base((), own, b.files, "its own output as input", own=True))
                out.append(Base((b"-",), own, b.files, "its own output as input, as -", own=True))
                break
        return out

    # -- 3: enablers --------------------------------------------------------------------

    def learn_enablers(self) -> None:
        """With nothing accepted without options, find the options that make a
        call valid alone, and make one of them part of every base."""
        tries = [(_operand_case(s, data), label) for label, data in CONTENTS[:3] for s in ((), (0,))]
        enablers: list[dict[str, object]] = []
        for opt in self.options:
            if opt.get("long") in ("help", "version"):
                continue
            tokens = [_spellings(opt)[1].encode()] if "value" not in opt else _with_value(opt, "1")
            if any(self.runs.ok(Case(argv=(*tokens, *c.argv), stdin=c.stdin, files=c.files)) for c, _ in tries):
                enablers.append(opt)
        if not enablers:
            return
        names = [_spellings(o)[0] for o in enablers]
        gen = self.raw.setdefault("generate", {})
        assert isinstance(gen, dict)
        if len(enablers) > 1:
            gen["one_of"] = [names]
            self.note("generate", f"probed: no call was accepted without one of {', '.join(names)}: one_of")
        else:
            self.note("generate", f"probed: no call was accepted without {names[0]}")
        first = enablers[0]
        self.prefix = tuple([_spellings(first)[1].encode()] if "value" not in first else _with_value(first, "1"))

    # -- 4 and 5: options and their constraints --------------------------------------

    def learn_option(self, opt: dict[str, object], bases: list[Base]) -> list[Base]:
        """Probe one option on every base; the bases it was accepted on."""
        name, flag = _spellings(opt)
        label = flag
        ok_bases: list[Base] = []
        as_flag = [b for b in bases if self._flag_ok(b, flag.encode())]
        if not as_flag and self._hangs(bases, [flag.encode()]):
            opt["weight"] = 0.0
            self.note(label, "probed: runs until killed (timed out, accepted nowhere): weight 0, never drawn")
            return []
        mined_value = opt.get("value")
        values = _choices(opt)
        # a program that lists its valid values takes no others (GNU argmatch: those
        # and their unique prefixes): the rest of the ladder would only spend the budget
        listed = self.refusal_values(opt, bases) if mined_value is not None or not as_flag else []
        ladder = list(dict.fromkeys([*listed, *values] if listed else [*values, *LADDER]))
        taken: list[str] = []
        refused: list[str] = []
        # an optional value is attached or absent, never its own word: `recode --source 3`
        # reads 3 as its request, and a task with both is refused
        long_valued = (
            mined_value is not None
            and not as_flag
            and isinstance(opt.get("long"), str)
            and not opt.get("optional_value")
        )
        if mined_value is not None or not as_flag:
            path = self.path_kind(opt, bases)
            if path is None and long_valued and self._separate_only(opt, bases, ladder):
                opt["separate"] = True
                self.note(label, f"probed: values accepted only as their own word ({flag} V, not {flag}=V)")
                path = self.path_kind(opt, bases)
            if path is not None:
                return self._keep_path(opt, path, as_flag)
        if mined_value is not None or not as_flag:
            for i, v in enumerate(ladder):
                # every base until a value is taken on one; then the first bases that took
                # one (``VALUE_BASES``), up to the first that takes this one: grep's 12 valued
                # options cost 180 to 200 runs each on its four bases, and the budget ran out
                # with options unprobed and no exclusion learned
                tokens = _with_value(opt, v)
                if ok_bases:
                    hit = next((b for b in ok_bases[:VALUE_BASES] if self.runs.ok(b.case(tokens, self.prefix))), None)
                    hits = [hit] if hit else []
                else:
                    hits = [b for b in bases if self.runs.ok(b.case(tokens, self.prefix))]
                if hits or self.runs.left():  # a value the budget ran out on is untried, not refused
                    (taken if hits else refused).append(v)
                ok_bases += [b for b in hits if b not in ok_bases]
                if (
                    i == HANG_TRIES - 1
                    and not taken
                    and all(self._hangs(bases, _with_value(opt, w)) for w in ladder[: i + 1])
                ):
                    opt["weight"] = 0.0
                    self.note(label, f"probed: its first {HANG_TRIES} values ran until killed: weight 0, never drawn")
                    return []
                if len(taken) >= 3 * MAX_VALUES or not self.runs.left():
                    break
        untried = self._untried(label, listed, taken, refused)
        if (taken or untried) and (mined_value is not None or not as_flag):
            taken = self._edges(opt, bases, taken, refused)
            opt["value"] = _value_from([*taken, *untried], mined_value)
            if as_flag:
                opt["optional_value"] = True
            self.note(label, _value_note(taken, refused))
            ok_bases += [b for b in as_flag if b not in ok_bases]
        elif as_flag:
            opt.pop("value", None)
            opt.pop("optional_value", None)
            where = "; ".join(dict.fromkeys(b.label for b in as_flag))
            self.note(label, f"probed: a flag, accepted on {where}" + (" (mined with a value)" if mined_value else ""))
            ok_bases = as_flag
        else:
            self.note(label, f"probed: refused on every base tried ({name})")
        return ok_bases

    def _keep_path(
        self, opt: dict[str, object], path: tuple[str, list[Base], bytes], as_flag: list[Base]
    ) -> list[Base]:
        """Write down what ``path_kind`` found; the bases the option was accepted on."""
        kind, on, data = path
        self.path_data[_spellings(opt)[0]] = data
        try:  # a task file holds text: content that is not UTF-8 is not kept
            accepted_with: str | None = data.decode()
        except UnicodeDecodeError:
            accepted_with = None
        opt["value"] = {"kind": kind}
        held = ""
        if kind == "file" and accepted_with is not None:
            opt["value"] = {"kind": kind, "values": [accepted_with]}
            held = f"; accepted holding {accepted_with[:40]!r}, kept as its content half the time"
        if as_flag:
            opt["optional_value"] = True
        what = "an existing file" if kind == "file" else "an existing directory"
        self.note(
            _spellings(opt)[1], f"probed: its value names {what}: accepted where it exists, refused where not{held}"
        )
        return [*on, *(b for b in as_flag if b not in on)]

    def path_kind(self, opt: dict[str, object], bases: list[Base]) -> tuple[str, list[Base], bytes] | None:
        """ "file" or "dir" (and the bases it was accepted on) when the option's value
        names a path the program reads: accepted where the path exists (a file
        holding the base's input, or empty), refused where it does not (`grep -f
        FILE`, `touch -r FILE`, `cp -t DIR`). An option that takes any word (an
        output file, a suffix, `sed -e d`'s script) takes it either way, and goes up
        the ladder. The path may take the place of the first operand (`grep -f
        FILE` reads no pattern operand), so each base is tried without it too, the
        file holding that operand. Returns the kind, the bases and the content a
        file was accepted holding."""
        mined = opt.get("value")
        if isinstance(mined, dict) and mined.get("kind", "string") != "string":
            return None  # the help text says a number, a list, a character or one of its words
        plain = [b for b in bases if not b.own] or bases
        # each call with its input; each call less its first operand with that operand
        # first (the file holds what the operand did: grep's patterns, sed's script, a
        # list of names); then the first call with an empty file (an empty `sed -f`
        # script is one). The first content accepted is kept: the richest first.
        tries: list[tuple[Base, tuple[bytes, ...]]] = [(b, (b.stdin,)) for b in plain]
        for b in plain:
            if b.operands:
                less = replace(b, operands=b.operands[1:], label=f"{b.label} less its first operand")
                tries.append((less, (b.operands[0] + b"\n", b.stdin)))
        tries.append((plain[0], (b"",)))
        for kind, name in PATH_VALUES.items():
            tokens = _with_value(opt, name.decode())
            hits: list[Base] = []
            held: bytes | None = None  # the first content accepted: the richest tried
            for b, datas in tries:
                if b in hits:
                    continue
                for data in datas if kind == "file" else datas[:1]:
                    made = _path_files(kind, name, data)
                    if self.runs.ok(b.case(tokens, self.prefix, made)) and not self.runs.ok(
                        b.case(tokens, self.prefix)
                    ):
                        hits.append(b)
                        held = data if held is None else held
                        break
            if hits:
                return kind, hits, held or b""
        return None

    def example_files(self, opt: dict[str, object], base: Base) -> tuple[tuple[bytes, bytes], ...]:
        """The path ``_example_tokens`` names, made, for an option whose value is one
        (with the content it was accepted with)."""
        value = opt.get("value")
        if not isinstance(value, dict) or value.get("kind") not in PATH_VALUES:
            return ()
        kind = str(value["kind"])
        return _path_files(kind, PATH_VALUES[kind], self.path_data.get(_spellings(opt)[0], base.stdin))

    def _separate_only(self, opt: dict[str, object], bases: list[Base], ladder: list[str]) -> bool:
        """None of the first ``SEPARATE_TRIES`` values is accepted as ``--long=V`` on
        any base, and one is as ``--long V``: a parser of its own (pigz, xmllint)
        that reads the next word and refuses the joined form."""
        tries = ladder[:SEPARATE_TRIES]
        if any(self.runs.ok(b.case(_with_value(opt, v), self.prefix)) for v in tries for b in bases[:2]):
            return False
        apart = {**opt, "separate": True}
        return any(self.runs.ok(b.case(_with_value(apart, v), self.prefix)) for v in tries for b in bases[:2])

    def _flag_ok(self, base: Base, flag: bytes) -> bool:
        """``flag`` accepted alone on ``base``. Before operands is not enough: there the
        first operand may be taken as the option's value (`paste --delimiters FILE`),
        and an option that needs one was written down as taking it optionally. So the
        flag must be accepted after the operands too, or refused there just as an
        unknown option is: a program that reads no options after its operands (`seq 3
        -w`: "invalid floating point argument") takes either for an operand."""
        if not self.runs.ok(base.case([flag], self.prefix)):
            return False
        if not base.operands:
            return True

        def last(word: bytes) -> Outcome | None:
            case = Case(argv=(*self.prefix, *base.operands, word), stdin=base.stdin, files=base.files)
            return self.runs.run(case)

        after = last(flag)
        if after is None or self.runs.accepts(after):
            return True
        unknown = last(UNKNOWN_OPTION)
        return unknown is not None and (after.exit_code, stderr_class(after.stderr)) == (
            unknown.exit_code,
            stderr_class(unknown.stderr),
        )

    def _hangs(self, bases: list[Base], args: list[bytes]) -> bool:
        """Accepted on no base and timed out on one at least (``tail -f`` waits for
        more input on a file, and ends at once on a pipe)."""
        outs = [self.runs.run(b.case(args, self.prefix)) for b in bases]
        ended = [o for o in outs if o is not None]
        return any(o.termination is Termination.TIMEOUT for o in ended) and not any(self.runs.accepts(o) for o in ended)

    def _untried(self, label: str, listed: list[str], taken: list[str], refused: list[str]) -> list[str]:
        """The values the program listed that the budget ran out before: kept on its word."""
        untried = [v for v in listed if v not in taken and v not in refused]
        if untried:
            self.note(label, f"probed: kept untried, as the program lists them: {', '.join(untried)}")
        return untried

    def refusal_values(self, opt: dict[str, object], bases: list[Base]) -> list[str]:
        """The values the program lists when it refuses one (``listed_values``), asked
        with a value no program takes; none where it lists none."""
        if not bases or not self.runs.left():
            return []
        out = self.runs.run(bases[0].case(_with_value(opt, NO_SUCH_VALUE), self.prefix))
        listed = listed_values(out.stderr) if out is not None and not self.runs.accepts(out) else []
        if listed:
            shown = ", ".join(listed[:12]) + (", ..." if len(listed) > 12 else "")
            self.note(_spellings(opt)[1], f"probed: a value it refused was answered with the valid ones: {shown}")
        return listed

    def _edges(self, opt: dict[str, object], bases: list[Base], taken: list[str], refused: list[str]) -> list[str]:
        """Bisect between the largest integer accepted and the next one refused (and
        likewise below the smallest): the boundaries where the reference starts refusing."""
        ints = [int(v) for v in taken if _is_int(v)]
        if not ints:
            return taken
        found: list[str] = []
        for inside, direction in ((max(ints), 1), (min(ints), -1)):
            beyond = [int(v) for v in refused if _is_int(v) and (int(v) - inside) * direction > 0]
            if not beyond:
                continue
            lo, hi = inside, min(beyond, key=lambda v: abs(v - inside))
            while abs(hi - lo) > 1 and self.runs.left():
                mid = (lo + hi) // 2
                if any(self.runs.ok(b.case(_with_value(opt, str(mid)), self.prefix)) for b in bases):
                    lo = mid
                else:
                    hi = mid
            if lo != inside:
                found.append(str(lo))
                refused.append(str(hi))
        return [*taken, *found]

    def learn_abbreviations(self, good: dict[str, list[Base]]) -> None:
        """Whether the program takes a unique prefix of a long option (GNU getopt does,
        jq does not): tried on the longest flag that was accepted whole."""
        flags = [o for o in self.options if "value" not in o and isinstance(o.get("long"), str)]
        flags = [o for o in flags if str(o["long"]) in good and len(str(o["long"])) >= 4]
        if not flags:
            return
        opt = max(flags, key=lambda o: (len(str(o["long"])), str(o["long"])))
        long = str(opt["long"])
        prefix = f"--{long[: len(long) - 1]}"
        if not self.runs.left():
            return
        gen = self.raw.setdefault("generate", {})
        assert isinstance(gen, dict)
        if not any(self.runs.ok(b.case([prefix.encode()], self.prefix)) for b in good[long][:2]):
            gen["abbreviate"] = "never"
            self.note("generate", f"probed: {prefix} refused where --{long} is accepted: no abbreviations")
        else:
            gen["abbreviate"] = "unique"
            self.note("generate", f"probed: {prefix} accepted for --{long}: unique prefixes only")

    def learn_requires(self, refused: list[dict[str, object]], good: dict[str, list[Base]]) -> None:
        """An option refused alone but accepted after another requires it, where it
        changes what the other does alone: an option that prints and exits (`recode
        --copyright`, `pigz --license`) accepts anything after it unread, and is
        required by nothing. Where the other is enumerated and refuses it at its
        second value, it is required at its example value (``NAME=VALUE``)."""
        for opt in refused:
            name, flag = _spellings(opt)
            for other_name, on in good.items():
                other = self._by_name(other_name)
                if other is None or not self.runs.left():
                    continue
                tokens = _example_tokens(other)
                mine = [flag.encode()] if "value" not in opt else _with_value(opt, "1")
                if any(self._changes(b, tokens, mine, self.example_files(other, b)) for b in on[:2]):
                    opt["requires"] = [self._at_which_value(other_name, other, on, mine)]
                    self.note(flag, f"probed: refused alone, accepted with {_spellings(other)[1]}: requires it")
                    good[name] = on
                    break

    def _at_which_value(self, name: str, other: dict[str, object], on: list[Base], mine: list[bytes]) -> str:
        """``name``, or ``name=EXAMPLE`` where ``other`` is enumerated and ``mine`` is
        refused beside its second value (so only its example value takes it)."""
        values = _choices(other)
        if len(values) < 2 or not self.runs.left():
            return name
        second = _with_value(other, values[1])
        if self._changes(on[0], second, mine, self.example_files(other, on[0])):
            return name
        return f"{name}={values[0]}"

    def learn_value_needs(self, refused: list[dict[str, object]], good: dict[str, list[Base]]) -> None:
        """A valued option refused everywhere, or that took at most one value, may
        need another option at one of its enumerated values: `cksum -l` takes only 0
        alone and under every algorithm but `-a blake2b`, where it takes lengths to
        512. Each such option is tried at a few values (``REQUIRED_OWN_VALUES``)
        beside each value of each enumerated option (``REQUIRED_VALUES`` of each);
        where it is accepted there and changes the outcome, its values are learned
        again beside that one (``_try_need``). At most a ``REQUIRED_SHARE`` of the
        probe budget in all: the rest is held back (``reserve``) while it runs."""
        narrow = [
            o
            for o in self.options
            if "value" in o
            and "requires" not in o
            and o.get("weight") != 0.0
            and (any(o is r for r in refused) or _values_taken(o) <= 1)
            and o.get("long") not in ("help", "version")
        ]
        modes = [
            (name, o, on)
            for name, on in good.items()
            if on and (o := self._by_name(name)) is not None and _choices(o)[1:] and "requires" not in o
        ]
        held = self.runs.reserve
        self.runs.reserve = max(held, self.runs.budget - self.runs.spent - self.runs.budget // REQUIRED_SHARE)
        try:
            for opt in narrow:
                alone = any(opt is r for r in refused)
                found = False
                for mode_name, mode, on in modes:
                    if mode is opt or found:
                        continue
                    for v in _choices(mode)[:REQUIRED_VALUES]:
                        if not self.runs.left():
                            return
                        if self._try_need(opt, alone, (mode_name, mode, on), v, good):
                            found = True
                            break
        finally:
            self.runs.reserve = held

    def _try_need(
        self,
        opt: dict[str, object],
        refused_alone: bool,
        mode_of: tuple[str, dict[str, object], list[Base]],
        v: str,
        good: dict[str, list[Base]],
    ) -> bool:
        """Whether ``opt`` needs the mode option at ``v`` (see ``learn_value_needs``);
        if so it is learned again there and made to require it (at ``v`` where
        another value of the mode refuses it, else at any)."""
        name, flag = _spellings(opt)
        mode_name, mode, on = mode_of
        tokens, extra = _with_value(mode, v), self.example_files(mode, on[0])
        tries = [_with_value(opt, w) for w in REQUIRED_OWN_VALUES]
        mine = next((m for m in tries if self._changes(on[0], tokens, m, extra)), None)
        if mine is None:
            return False
        before = 0 if refused_alone else _values_taken(opt)
        trial, notes, paths = copy.deepcopy(opt), self.notes.pop(flag, None), dict(self.path_data)
        saved, self.prefix = self.prefix, (*self.prefix, *tokens)
        try:
            accepted = self.learn_option(trial, on)
        finally:
            self.prefix = saved
        if not accepted or _values_taken(trial) <= before:
            self.notes.pop(flag, None)  # what was learned alone stands
            if notes is not None:
                self.notes[flag] = notes
            self.path_data = paths
            return False
        other = next((w for w in _choices(mode) if w != v), None)
        anywhere = other is not None and self._changes(on[0], _with_value(mode, other), mine, extra)
        opt.clear()
        opt.update(trial)
        opt["requires"] = [mode_name if anywhere else f"{mode_name}={v}"]
        mode_flag = _spellings(mode)[1]
        for a, b, b_flag, a_flag in ((opt, mode_name, mode_flag, flag), (mode, name, flag, mode_flag)):
            _forget_exclusion(a, b)  # refused together at the mode's example value
            self.notes[a_flag] = [n for n in self.notes.get(a_flag, []) if f"refused together with {b_flag}" not in n]
        where = f"beside any {mode_flag}" if anywhere else f"only beside {mode_flag}={v}"
        self.note(flag, f"probed: so {where}: requires it")
        good[name] = accepted
        return True

    def _changes(
        self, base: Base, tokens: list[bytes], mine: list[bytes], extra: tuple[tuple[bytes, bytes], ...] = ()
    ) -> bool:
        """``mine`` after ``tokens`` is accepted on ``base`` and changes its outcome
        from ``tokens`` alone (output, messages or files)."""
        both = self.runs.run(base.case([*tokens, *mine], self.prefix, extra))
        if both is None or not self.runs.accepts(both):
            return False
        alone = self.runs.run(base.case(tokens, self.prefix, extra))
        return alone is None or (both.stdout, both.stderr, both.tree()) != (alone.stdout, alone.stderr, alone.tree())

    def learn_excludes(self, good: dict[str, list[Base]], max_pairs: int) -> None:
        """Two options accepted alone on a base but refused together exclude each other."""
        names = sorted(good)
        pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
        if len(pairs) > max_pairs:
            pairs = sorted(self.rng.sample(pairs, max_pairs))
            self.note("generate", f"probed {max_pairs} of {len(pairs)} option pairs (sampled with the seed)")
        for a, b in pairs:
            oa, ob = self._by_name(a), self._by_name(b)
            shared = [x for x in good[a] if x in good[b]]
            if oa is None or ob is None or not shared or not self.runs.left():
                continue
            if "requires" in oa or "requires" in ob:
                continue
            extra = self.example_files(oa, shared[0]) + self.example_files(ob, shared[0])
            case = shared[0].case([*_example_tokens(oa), *_example_tokens(ob)], self.prefix, extra)
            out = self.runs.run(case)
            if out is not None and not self.runs.accepts(out) and out.termination is Termination.EXITED:
                excl = oa.setdefault("excludes", [])
                assert isinstance(excl, list)
                excl.append(b)
                self.note(_spellings(oa)[1], f"probed: refused together with {_spellings(ob)[1]}: excludes it")

    def _by_name(self, name: str) -> dict[str, object] | None:
        return next((o for o in self.options if _spellings(o)[0] == name), None)

    # -- all of it --------------------------------------------------------------------

    def learn_statuses(self) -> int:
        """The status under which a silent exit is an answer (``_Runs.answers_below``;
        0: none is): whether the program answers "no" with a status of its own. grep exits 1
        when no line matches and diff when the files differ, silently, and both keep
        2 for a refusal (an unknown option): such a call was taken, and counting it
        refused left `grep -F`, `-w` and `-x` drawn rarely (their probe patterns
        match nothing). A program that refuses with status 1 (most of coreutils)
        has no such answers. Only options are judged so (``learn``): operands and
        input are chosen on status 0, the calls that answer most."""
        out = self.runs.run(Case(argv=(*self.prefix, UNKNOWN_OPTION)))
        code = None if out is None or out.termination is not Termination.EXITED else out.exit_code
        if out is None or code is None or code < 2 or not out.stderr:
            return 0
        shown = "1" if code == 2 else f"1 to {code - 1}"
        self.note(
            "probe",
            f"probed: an unknown option is refused with status {code}: status {shown} with nothing on"
            " standard error is an answer (a call the program took)",
        )
        return code

    def learn(self, max_pairs: int) -> None:
        answers_below = self.learn_statuses()
        label, content = self.best_content()
        seqs = self.learn_operands(content)
        if not seqs:
            self.learn_enablers()
            if self.prefix:
                label, content = self.best_content()
                seqs = self.learn_operands(content)
                if seqs:  # the first try's "none accepted" no longer holds (xmllint said both)
                    self.notes["operands"] = [n for n in self.notes.get("operands", []) if n != NO_OPERANDS]
        self.seqs = sorted(seqs, key=lambda s: (len(s), s))
        if not seqs and self.sentences:
            label, content = self.sentence_content()
        self.learn_sentences(content)
        bases = self.bases(label, content, seqs) if seqs else self.sentence_bases(label, content)
        self._learn_content(label, content)
        if not bases:
            return
        good: dict[str, list[Base]] = {}
        refused: list[dict[str, object]] = []
        self.runs.reserve = ABBREVIATION_RESERVE
        self.runs.answers_below = answers_below
        for opt in self.options:
            if opt.get("long") in ("help", "version") or not self.runs.left():
                continue
            on = self.learn_option(opt, bases)
            if on:
                good[_spellings(opt)[0]] = on
            else:
                refused.append(opt)
        self.runs.reserve = 0
        self._learn_fixtures(good)
        self.learn_abbreviations(good)
        self.learn_requires(refused, good)
        self.learn_excludes(good, max_pairs)
        self.learn_value_needs(refused, good)  # last: its finds are rarer than an exclusion
        for opt in refused:  # never accepted: kept for its error paths, drawn rarely
            if _spellings(opt)[0] not in good and opt.get("weight") != 0.0:
                opt["weight"] = RARE_WEIGHT
                self.note(_spellings(opt)[1], f"weight {RARE_WEIGHT}: no probe found a call it is accepted in")

    def _learn_fixtures(self, good: dict[str, list[Base]]) -> None:
        """Options accepted only on the program's own output (``sha1sum -c``) need the
        files that output names: those of the base it was made from become fixtures,
        present in every case."""
        own = [b for on in good.values() for b in on if b.own]
        needing = [name for name, on in good.items() if on and all(b.own for b in on)]
        if not needing or not own:
            return
        shown = ", ".join(_spellings(o)[1] for o in self.options if _spellings(o)[0] in needing)
        kept = {_text(n): _text(c) for n, c in own[0].files}
        if not own[0].files:  # its own output came on stdin: a sample (``_learn_content``) carries it
            self.note("probe", f"probed: {shown} accepted only on the program's own output, on stdin")
        elif None in kept or None in kept.values():  # a task file holds text: bytes would be changed, not kept
            self.note(
                "probe", f"probed: {shown} accepted only on the program's own output, which is not text: no fixtures"
            )
        else:
            self.raw["fixtures"] = kept
            self.note(
                "probe", f"probed: {shown} accepted only on the program's own output: the files it names are fixtures"
            )

    def _learn_content(self, label: str, content: bytes) -> None:
        """Standard input and files: the default models plus the accepted contents as samples."""
        samples = [data.decode("utf-8", "replace") for _, data in CONTENTS if data and self._content_ok(data)]
        own = _text(self.own_output) if self.own_output else None
        if own is not None:
            samples.append(own)
        elif self.own_output:  # gzip's: its bytes turned into U+FFFD, no longer gzip data
            self.note("stdin", "probed: its own output is not text, which a task file cannot hold: not a sample")
        samples = list(dict.fromkeys(samples))
        if not samples:
            return
        models = ["sample", "sample", "sample", "sample", "samples", "lines", "text", "empty", "bytes"]
        table = {"models": models, "samples": samples}
        self.raw["stdin"] = table
        self.note("stdin", f"probed: best input {label}; accepted inputs kept as samples")

    def _content_ok(self, data: bytes) -> bool:
        if not self.seqs and self.kept_sentences:
            return any(self.runs.ok(self._sentence_case(w, data)) for w in self.kept_sentences[:2])
        seqs = self.seqs[:2] or [(), (0,)]
        return any(self.runs.ok(_operand_case(s, data, self.prefix)) for s in seqs)


def _text(data: bytes) -> str | None:
    """``data`` as the text a task file holds, or None where it is not UTF-8: a
    sample or fixture decoded with replacement characters was written as other
    bytes than the program made (a stranger found gzip's own output so)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


#: The ladder's negative number and a positive one: "-2" may be read as an option
#: (``expand -2`` sets tab stops), so a sequence with it counts as operands only when
#: the same sequence with "3" in its place is accepted too.
_NEGATIVE = next(i for i, (_, _, token) in enumerate(_OPERANDS) if token == b"-2")
_POSITIVE = next(i for i, (_, _, token) in enumerate(_OPERANDS) if token == b"3")


#: Third operands tried after each accepted pair: a file, a number, a word, a pattern.
_THIRDS = tuple(
    next(i for i, (_, _, t) in enumerate(_OPERANDS) if t == token) for token in (b"in.txt", b"3", b"abc", b"/b/")
)


def _as_positive(seq: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(_POSITIVE if k == _NEGATIVE else k for k in seq)


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _value_from(taken: list[str], mined: object) -> dict[str, object]:
    """A value table from the accepted ladder values: an integer range when only
    integers were accepted (the huge one left out: it makes runs slow), else a choice."""
    ints = [int(v) for v in taken if _is_int(v)]
    if ints and len(ints) == len(taken):
        small = [i for i in ints if abs(i) <= 1000] or ints
        return {"kind": "int", "min": min(small), "max": max(small)}
    if isinstance(mined, dict) and mined.get("kind") == "int" and len(ints) * 2 >= len(taken):
        small = [i for i in ints if abs(i) <= 1000] or ints
        suffixes = [v[-1] for v in taken if v[:-1].isdigit() and not v[-1].isdigit()]
        return {"kind": "int", "min": min(small), "max": max(small), "suffixes": sorted(set(suffixes))}
    if len(taken) > MAX_VALUES:  # too many to keep: of each kind in turn
        listed = mined.get("values", []) if isinstance(mined, dict) and mined.get("kind") == "choice" else []
        taken = spread(taken, {str(v) for v in listed})
    return {"kind": "choice", "values": taken[:MAX_VALUES]}


def spread(taken: list[str], listed: set[str]) -> list[str]:
    """Accepted values with the help text's own (``listed``, and any not in the
    ladder) first, then the ladder's, one of each kind in turn: an option that
    accepts anything (a delimiter, a format) keeps a character and a format
    beside its integers, not the first dozen values of the ladder, all numbers."""
    first = [v for v in taken if v in listed or v not in _KIND]
    kinds: dict[str, list[str]] = {}
    for v in taken:
        if v not in first:
            kinds.setdefault(_KIND[v], []).append(v)
    turns = itertools.zip_longest(*kinds.values())
    return [*first, *(v for turn in turns for v in turn if v is not None)]


def _value_note(taken: list[str], refused: list[str]) -> str:
    if not taken:  # the values kept are the listed ones the budget ran out before (their own note)
        tried = f"none accepted of {len(refused)} tried" if refused else "none tried before the probe budget ran out"
        return f"probed: takes a value; {tried}"
    shown = ", ".join(repr(v) for v in taken[:8]) + (", ..." if len(taken) > 8 else "")
    ints = [int(v) for v in taken if _is_int(v)]
    bounds = ""
    if ints:
        low = [int(v) for v in refused if _is_int(v) and int(v) < min(ints)]
        high = [int(v) for v in refused if _is_int(v) and int(v) > max(ints)]
        bounds = f"; integers {min(ints)} to {max(ints)} accepted"
        if low:
            bounds += f", {max(low)} refused"
        if high:
            bounds += f", {min(high)} refused"
    return f"probed: takes a value; accepted {shown} of {len(taken) + len(refused)} tried{bounds}"


def _path_files(kind: str, name: bytes, data: bytes) -> tuple[tuple[bytes, bytes], ...]:
    """The files that make ``name`` exist as a path of ``kind`` ("file" or "dir")."""
    return ((name + b"/f", b"x\n"),) if kind == "dir" else ((name, data),)


#: A value tried once per valued option to make the program say which values it takes.
NO_SUCH_VALUE = "no-such-value"

#: GNU argmatch's answer to a value it does not know ("invalid argument 'x' for
#: '--algorithm'"), then one line per valid value, synonyms on one line
#: (``  - 'none', 'off'``), quoted 'so' in the C locale and ‘so’ in UTF-8 ones.
_VALID_ARGUMENTS = re.compile(rb"Valid arguments are:\n((?:  - .*(?:\n|$))+)")
_QUOTED = re.compile("[\u2018'`]([^\u2019'\n]*)[\u2019']")


def listed_values(stderr: bytes) -> list[str]:
    """The values a refusal lists as valid (``Valid arguments are:`` and its lines),
    in its order; none where it lists none, or where a line is more than quoted
    values (ls's `--time-style` lists `+FORMAT (e.g., +%H:%M) for a 'date'-style
    format`: it takes other values too), or a value is not UTF-8."""
    found = _VALID_ARGUMENTS.search(stderr)
    if found is None:
        return []
    try:
        text = found.group(1).decode("utf-8")
    except UnicodeDecodeError:
        return []
    values: list[str] = []
    for line in text.splitlines():
        item = line.removeprefix("  - ").rstrip()
        quoted = _QUOTED.findall(item)
        if not quoted or _QUOTED.sub("", item).replace(",", "").strip():
            return []
        values += quoted
    return list(dict.fromkeys(v for v in values if v))


def _forget_exclusion(opt: dict[str, object], other: str) -> None:
    """``opt`` no longer excludes ``other``."""
    excludes = opt.get("excludes")
    if isinstance(excludes, list) and other in excludes:
        excludes.remove(other)
        if not excludes:
            del opt["excludes"]


def _choices(opt: dict[str, object]) -> list[str]:
    """The distinct values of an enumerated option, in order (none for another kind)."""
    value = opt.get("value")
    if not isinstance(value, dict) or value.get("kind") != "choice":
        return []
    listed = value.get("values") or []
    assert isinstance(listed, list)
    return list(dict.fromkeys(str(v) for v in listed))


def _values_taken(opt: dict[str, object]) -> int:
    """How many values a learned option takes (2 for a range wider than one number)."""
    value = opt.get("value")
    if not isinstance(value, dict):
        return 0
    if value.get("kind") == "int":
        return 1 if value.get("min") == value.get("max") else 2
    return len(_choices(opt)) or 2


def _example_tokens(opt: dict[str, object]) -> list[bytes]:
    """A spelling of an option with a value it was seen to accept (a path of
    ``Prober.example_files`` for a value that names one)."""
    value = opt.get("value")
    if not isinstance(value, dict):
        return [_spellings(opt)[1].encode()]
    if value.get("kind") in PATH_VALUES:
        return _with_value(opt, PATH_VALUES[str(value["kind"])].decode())
    if value.get("kind") == "int":
        return _with_value(opt, str(value.get("min", 1)))
    values = value.get("values") or ["1"]
    assert isinstance(values, list)
    return _with_value(opt, str(values[0]))


def probe(
    raw: dict[str, object],
    executor: Executor,
    program: Program,
    *,
    budget: int = DEFAULT_BUDGET,
    seed: int = 1,
    max_pairs: int = 300,
    progress: Callable[[str], None] | None = None,
) -> Learned:
    """Learn ``raw``'s task from the reference's answers (see the module docstring)."""
    runs = _Runs(executor, program, budget)
    prober = Prober(raw, runs, seed)
    prober.learn(max_pairs)
    learned = Learned(prober.raw, prober.notes, runs.spent, not runs.left(), runs.hung())
    if learned.hung:
        prober.note("probe", f"{runs.timeouts} of the first {runs.spent} runs timed out: probing stopped")
    elif learned.exhausted:
        prober.note("probe", f"the probe budget ({budget} runs) ran out: later facts were not learned")
    if progress is not None:
        progress(f"probed {raw.get('name')}: {runs.spent} reference runs")
    return learned
