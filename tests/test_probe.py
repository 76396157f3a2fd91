"""The task factory: probing learns a program's input space from its answers.

Most tests probe a program written in Python (``FakeTool``): its rules are known,
so every learned fact can be checked against them without a real process. One
end-to-end test builds a task for GNU ``seq`` through the CLI.
"""

from __future__ import annotations

import json
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from fuzzdiff.core.edges import edge_cases
from fuzzdiff.core.generate import DIR_NAMES, FILE_NAMES, RandomChoices, grammar_for
from fuzzdiff.core.model import Case, Outcome, Program, Termination
from fuzzdiff.core.mutate import OptionReader
from fuzzdiff.core.spec import TaskSpec, parse_task
from fuzzdiff.factory import build
from fuzzdiff.factory.build import cache_key, cached_build, calibrate, propose_normaliser
from fuzzdiff.factory.mine import keyword_sentences, mine_keywords, mine_operands, mine_options, task_toml
from fuzzdiff.factory.probe import LADDER, RARE_WEIGHT, VALUE_BASES, probe, spread
from fuzzdiff.run.execute import FunctionExecutor

TOOL = Program(argv=("tool",), argv0="tool")


def _out(code: int, stdout: bytes = b"", stderr: bytes = b"") -> Outcome:
    return Outcome(Termination.EXITED, code, None, stdout, stderr)


class FakeTool:
    """A program with rules a probe must find:

    - exactly two operands, the first an existing file, the second a number;
    - ``--width=N`` takes an integer from 1 to 50;
    - ``--mode=M`` takes ``fast`` or ``slow`` only;
    - ``--quiet`` is refused unless ``--verify`` is given too (it silences its message);
    - ``--license`` prints a licence and exits as it is read, whatever comes after;
    - ``--upper`` and ``--lower`` are refused together;
    - ``--follow`` and ``--sleep=N`` never end (the run times out);
    - standard input is not read.
    """

    NAMES: tuple[bytes, ...] = (
        b"width",
        b"mode",
        b"quiet",
        b"license",
        b"verify",
        b"upper",
        b"lower",
        b"follow",
        b"sleep",
    )
    VALUED: tuple[bytes, ...] = (b"width", b"mode", b"sleep")

    def parse(self, argv: tuple[bytes, ...]) -> tuple[dict[bytes, bytes], list[bytes]] | bytes:
        """GNU getopt's way with long options: unique prefixes, ``--opt=V`` or
        ``--opt V``, ``--`` ends them; operands anywhere. An error message on failure."""
        opts: dict[bytes, bytes] = {}
        operands: list[bytes] = []
        rest = list(argv)
        while rest:
            arg = rest.pop(0)
            if arg == b"--":
                operands += rest
                break
            if not arg.startswith(b"--"):
                operands.append(arg)
                continue
            given, eq, value = arg[2:].partition(b"=")
            matches = [n for n in self.NAMES if n.startswith(given)] if given else []
            if given in self.NAMES:
                matches = [given]
            if len(matches) != 1:
                return b"tool: unknown or ambiguous option\n"
            name = matches[0]
            if name in self.VALUED and not eq:
                if not rest:
                    return b"tool: option needs a value\n"
                value = rest.pop(0)
            elif eq and name not in self.VALUED:
                return b"tool: option takes no value\n"
            opts[name] = value
            if name == b"license":  # printed and exited in the option loop: nothing after is read
                return opts, []
        return opts, operands

    def __call__(self, case: Case) -> Outcome:
        parsed = self.parse(case.argv)
        if isinstance(parsed, bytes):
            return _out(1, stderr=parsed)
        opts, operands = parsed
        if b"license" in opts:
            return _out(0, stdout=b"tool is free software\n")
        if b"follow" in opts or b"sleep" in opts:
            return Outcome(Termination.TIMEOUT, None, None, b"", b"")
        files = dict(case.files)
        if len(operands) != 2:
            return _out(1, stderr=b"tool: need FILE NUMBER\n")
        if operands[0] not in files:
            return _out(1, stderr=b"tool: no such file\n")
        if not re.fullmatch(rb"-?[0-9]+", operands[1]):
            return _out(1, stderr=b"tool: not a number\n")
        width = opts.get(b"width")
        if width is not None and not (width.isdigit() and 1 <= int(width) <= 50):
            return _out(1, stderr=b"tool: bad width\n")
        if b"mode" in opts and opts[b"mode"] not in (b"fast", b"slow"):
            return _out(1, stderr=b"tool: bad mode\n")
        if b"quiet" in opts and b"verify" not in opts:
            return _out(1, stderr=b"tool: --quiet needs --verify\n")
        if b"upper" in opts and b"lower" in opts:
            return _out(1, stderr=b"tool: --upper and --lower exclude each other\n")
        said = b"" if b"quiet" in opts else b"tool: verified\n" if b"verify" in opts else b""
        return _out(0, stdout=files[operands[0]][: int(operands[1])], stderr=said)


MINED_MODE = {"kind": "string", "alphabet": "abc"}
MINED: dict[str, object] = {
    "name": "tool",
    "program": "tool",
    "options": [
        {"long": "width", "value": {"kind": "string", "alphabet": "abc"}},
        {"long": "mode", "value": MINED_MODE},
        {"long": "quiet"},
        {"long": "license"},
        {"long": "verify"},
        {"long": "upper"},
        {"long": "lower"},
        {"long": "follow"},
        {"long": "sleep", "value": {"kind": "int", "min": 0, "max": 100}},
    ],
    "operands": {"min": 0, "max": 2, "kinds": ["file", "dash", "missing"]},
}


def _option_short(raw: dict[str, object], short: str) -> dict[str, object]:
    options = raw["options"]
    assert isinstance(options, list)
    return next(o for o in options if o.get("short") == short)


def _learn(budget: int = 3000, seed: int = 1) -> dict[str, object]:
    return probe(MINED, FunctionExecutor({"tool": FakeTool()}), TOOL, budget=budget, seed=seed).raw


def _option(raw: dict[str, object], name: str) -> dict[str, object]:
    options = raw["options"]
    assert isinstance(options, list)
    return next(o for o in options if o.get("long") == name)


def test_probing_learns_operand_count_and_kind_per_position() -> None:
    operands = _learn()["operands"]
    assert isinstance(operands, dict)
    assert (operands["min"], operands["max"]) == (2, 2)
    first, second = operands["slots"]
    assert set(first["kinds"]) == {"file", "missing"}
    assert set(second["kinds"]) == {"string"}
    assert second["value"]["kind"] == "int"


def test_probing_learns_value_ranges_and_choices() -> None:
    raw = _learn()
    width = _option(raw, "width")["value"]
    assert width == {"kind": "int", "min": 1, "max": 50}
    # mode's values are not in the help text, and only these two are accepted: the
    # ladder has neither, so the probe keeps no value and says so rather than guess
    mode = _option(raw, "mode")
    assert mode["value"] == MINED_MODE and mode["weight"] == RARE_WEIGHT


def _joiner(case: Case) -> Outcome:
    """``joiner [--delimiters=LIST] [FILE...]``: any delimiter list is accepted (paste's ``-d``)."""
    files = dict(case.files)
    for arg in case.argv:
        if arg.startswith(b"--") and not arg.startswith(b"--delimiters="):
            return _out(1, stderr=b"joiner: unknown option\n")
        if not arg.startswith(b"--") and arg not in files:
            return _out(1, stderr=b"joiner: no such file\n")
    return _out(0, stdout=case.stdin)


def _delimiting(name: str, fake: Callable[[Case], Outcome]) -> dict[str, object]:
    """What probing learns of ``fake``, a program NAME [--delimiters=LIST] [FILE...]."""
    mined: dict[str, object] = {
        "name": name,
        "program": name,
        "options": [{"long": "delimiters", "value": {"kind": "list", "min": 0, "max": 10}}],
        "operands": {"min": 0, "max": 2, "kinds": ["file"]},
    }
    return probe(mined, FunctionExecutor({name: fake}), Program(argv=(name,), argv0=name), budget=3000, seed=1).raw


def test_an_option_that_accepts_anything_keeps_values_of_every_kind_tried() -> None:
    value = _option(_delimiting("joiner", _joiner), "delimiters")["value"]
    assert isinstance(value, dict) and value["kind"] == "choice"
    values = value["values"]
    assert isinstance(values, list) and len(values) == 12
    # not the first dozen of the ladder (all numbers): a character, a format, a pattern too
    numbers = [v for v in values if v.lstrip("-").isdigit()]
    assert len(numbers) <= 3
    assert {",", "%d", "a.*"} <= set(values)


def _paster(case: Case) -> Outcome:
    """``paster [--delimiters LIST] [FILE...]``, as getopt reads it: the option takes
    the next word as its value, wherever it stands, and needs one."""
    files, argv = dict(case.files), list(case.argv)
    while argv:
        arg = argv.pop(0)
        if arg == b"--delimiters":
            if not argv:
                return _out(1, stderr=b"paster: option '--delimiters' requires an argument\n")
            argv.pop(0)
        elif arg.startswith(b"--") and not arg.startswith(b"--delimiters="):
            return _out(1, stderr=b"paster: unknown option\n")
        elif not arg.startswith(b"--") and arg != b"-" and arg not in files:
            return _out(1, stderr=b"paster: no such file\n")
    return _out(0, stdout=case.stdin)


def test_an_option_whose_value_was_the_first_operand_is_not_a_flag() -> None:
    """`paste --delimiters FILE` is accepted (FILE is the delimiter list): the option
    was written down as taking its value optionally, and cases gave it none."""
    option = _option(_delimiting("paster", _paster), "delimiters")
    assert "value" in option and not option.get("optional_value")


def _seqer(case: Case) -> Outcome:
    """``seqer [--wide] NUMBER``, reading options before its operands only (as `seq`
    does, for negative numbers): after a number, ``--wide`` is a bad number."""
    argv = list(case.argv)
    if argv[:1] == [b"--wide"]:
        argv.pop(0)
    if len(argv) != 1 or not argv[0].lstrip(b"-").isdigit():
        bad = argv[-1] if argv else b""
        return _out(1, stderr=b"seqer: invalid number: '" + bad + b"'\n")
    return _out(0, stdout=b"1\n")


def test_a_flag_of_a_program_that_reads_no_options_after_its_operands_stays_a_flag() -> None:
    """`seq 3 -w` is refused: seq takes -w there for a number. Requiring a flag to be
    accepted after the operands made --equal-width "refused on every base"."""
    mined: dict[str, object] = {
        "name": "seqer",
        "program": "seqer",
        "options": [{"long": "wide"}],
        "operands": {"min": 1, "max": 1, "kinds": ["string"], "strings": ["3"]},
    }
    program = Program(argv=("seqer",), argv0="seqer")
    learned = probe(mined, FunctionExecutor({"seqer": _seqer}), program, budget=3000, seed=1)
    option = _option(learned.raw, "wide")
    assert "value" not in option and option.get("weight", 1.0) != 0, learned.notes
    assert any("a flag" in note for note in learned.notes["--wide"])


def test_the_help_texts_own_values_stay_first_when_values_are_spread() -> None:
    # --color=WHEN lists auto, always, never, which the ladder holds as words too
    accepted = list(dict.fromkeys(["auto", "always", "never", *LADDER]))  # as the probe tries them
    kept = spread(accepted, {"auto", "always", "never"})
    assert kept[:3] == ["auto", "always", "never"]
    assert kept[3:9] == ["0", "1K", "1,2", ",", "%d", "a.*"]  # then one of each kind in turn
    assert sorted(kept) == sorted(accepted)


class DigestTool:
    """A checksum program as GNU cksum is one: ``--algo=A`` refuses an unknown
    name by listing the valid ones (GNU argmatch's "Valid arguments are:"), and
    ``--bits=N`` takes only 0 alone, is refused beside every algorithm but
    ``blake``, and takes multiples of 8 to 512 there, changing the digest's length
    (so the two exclude each other at the first algorithm, and the need undoes that)."""

    ALGOS: tuple[bytes, ...] = (b"crc", b"md5", b"blake")
    NEEDED: tuple[bytes, ...] = (b"blake",)  # the algorithms --bits takes a length under
    ZERO_ALONE = True  # --bits=0 is taken without --algo
    DEFAULT = b"crc"  # the algorithm without --algo

    def __call__(self, case: Case) -> Outcome:
        opts: dict[bytes, bytes] = {}
        operands: list[bytes] = []
        for arg in case.argv:
            name, eq, value = arg[2:].partition(b"=")
            if not arg.startswith(b"--"):
                operands.append(arg)
            elif name in (b"algo", b"bits") and eq:
                opts[name] = value
            else:
                return _out(1, stderr=b"digest: unknown option\n")
        algo = opts.get(b"algo", self.DEFAULT)
        if b"algo" in opts and algo not in self.ALGOS:
            listed = b"".join(b"  - '" + a + b"'\n" for a in self.ALGOS)
            return _out(1, stderr=b"digest: invalid argument '" + algo + b"'\nValid arguments are:\n" + listed)
        bits = opts.get(b"bits", b"0")
        if not bits.isdigit():
            return _out(1, stderr=b"digest: invalid length\n")
        given = b"bits" in opts and (int(bits) or b"algo" in opts or not self.ZERO_ALONE)
        if given and algo not in self.NEEDED:
            return _out(1, stderr=b"digest: --bits only with --algo=blake\n")
        if int(bits) % 8 or int(bits) > 512:
            return _out(1, stderr=b"digest: bad length\n")
        files = dict(case.files)
        if len(operands) != 1 or operands[0] not in files:
            return _out(1, stderr=b"digest: need one FILE\n")
        digest = (algo * 200)[: int(bits) // 8 or 16]
        return _out(0, stdout=digest + b"  " + operands[0] + b"\n")


def _digest_task(tool: DigestTool, budget: int = 3000) -> tuple[dict[str, object], dict[str, list[str]]]:
    """What probing learns of ``tool`` from a mined task of its two options: the task table and the notes."""
    mined: dict[str, object] = {
        "name": "digest",
        "program": "digest",
        "options": [
            {"long": "algo", "value": {"kind": "string", "alphabet": "abc"}},
            {"long": "bits", "value": {"kind": "int", "min": 0, "max": 100}},
        ],
        "operands": {"min": 0, "max": 2, "kinds": ["file", "dash", "missing"]},
    }
    learned = probe(mined, FunctionExecutor({"digest": tool}), Program(argv=("digest",), argv0="digest"), budget=budget)
    return learned.raw, learned.notes


def test_probing_learns_listed_values_and_a_value_an_option_needs() -> None:
    raw, notes = _digest_task(DigestTool())
    algo, bits = _option(raw, "algo"), _option(raw, "bits")
    assert algo["value"] == {"kind": "choice", "values": ["crc", "md5", "blake"]}
    assert any("valid ones: crc, md5, blake" in n for n in notes["--algo"])
    assert bits["requires"] == ["algo=blake"]
    assert "excludes" not in bits and "excludes" not in algo
    value = bits["value"]
    assert isinstance(value, dict) and value["kind"] == "int" and value["max"] >= 64
    assert any("only beside --algo=blake" in n for n in notes["--bits"])
    spec = parse_task(raw)  # and the task it writes reads back
    assert next(o for o in spec.options if o.long == "bits").requires == ("algo=blake",)


def test_an_option_refused_alone_is_learned_beside_the_value_it_needs() -> None:
    tool = DigestTool()
    tool.ZERO_ALONE = False  # --bits refused at every value without --algo=blake
    raw, _ = _digest_task(tool)
    bits = _option(raw, "bits")
    assert bits["requires"] == ["algo=blake"]
    assert isinstance(bits["value"], dict) and bits["value"]["kind"] == "int" and bits["value"]["max"] >= 64


def test_an_option_taken_beside_every_value_requires_the_option_not_a_value() -> None:
    tool = DigestTool()
    tool.NEEDED = DigestTool.ALGOS  # a length under any algorithm given, none alone but 0
    tool.DEFAULT = b"sum"
    raw, notes = _digest_task(tool)
    assert _option(raw, "bits")["requires"] == ["algo"]
    assert any("beside any --algo" in n for n in notes["--bits"])


def test_a_need_of_the_first_value_is_learned_with_that_value() -> None:
    tool = DigestTool()
    tool.ALGOS = (b"blake", b"crc", b"md5")
    tool.ZERO_ALONE = False
    raw, _ = _digest_task(tool)
    assert _option(raw, "bits")["requires"] == ["algo=blake"]


def test_learning_value_needs_keeps_to_its_share_of_the_budget() -> None:
    """Without the need found (no algorithm takes a length), the step spends at
    most a tenth of the budget: three tries beside each of the twelve algorithms
    kept would be 36 runs, more than a tenth of 320."""
    from fuzzdiff.factory import probe as probe_module

    tool = DigestTool()
    tool.ALGOS = tuple(b"algo%d" % i for i in range(24))
    tool.NEEDED = ()
    calls: list[int] = []
    real = probe_module.Prober.learn_value_needs

    def counted(self: probe_module.Prober, refused: list[dict[str, object]], good: dict[str, list[object]]) -> None:
        before = self.runs.spent
        real(self, refused, good)  # type: ignore[arg-type]
        calls.append(self.runs.spent - before)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(probe_module.Prober, "learn_value_needs", counted)
        _digest_task(tool, budget=320)
    assert calls and 0 < calls[0] <= 320 // probe_module.REQUIRED_SHARE


def test_a_refusal_lists_the_valid_values_in_either_quoting() -> None:
    from fuzzdiff.factory.probe import listed_values

    c_locale = b"cksum: invalid argument 'x' for '--algorithm'\nValid arguments are:\n  - 'bsd'\n  - 'sysv'\nUsage: ..."
    utf8 = "ls: invalid argument ‘x’ for ‘--color’\nValid arguments are:\n  - ‘always’, ‘yes’\n  - ‘never’\n"
    assert listed_values(c_locale) == ["bsd", "sysv"]
    assert listed_values(utf8.encode()) == ["always", "yes", "never"]
    assert listed_values(b"tool: bad mode\n") == []
    # a line that is more than quoted values: the program takes others too (ls --time-style)
    prose = b"Valid arguments are:\n  - 'full-iso'\n  - +FORMAT (e.g., +%H:%M) for a 'date'-style format\n"
    assert listed_values(prose) == []


def test_probing_learns_requires_and_excludes() -> None:
    """--quiet is accepted beside --license too, unread: an option that prints and
    exits is required by nothing (recode's options all "required --copyright")."""
    raw = _learn()
    assert _option(raw, "quiet").get("requires") == ["verify"]
    assert not any("license" in o.get("requires", ()) for o in raw["options"])  # type: ignore[attr-defined]
    upper, lower = _option(raw, "upper"), _option(raw, "lower")
    assert upper.get("excludes") == ["lower"] or lower.get("excludes") == ["upper"]
    assert "excludes" not in _option(raw, "verify")


def test_options_that_never_end_are_never_drawn() -> None:
    raw = _learn()
    assert _option(raw, "follow")["weight"] == 0.0
    assert _option(raw, "sleep")["weight"] == 0.0
    assert "weight" not in _option(raw, "upper")


def test_a_reference_that_never_ends_stops_the_probe_early() -> None:
    """`task build vi` spent 1,051 s (each probe run a 1 s time limit) before it was
    refused; probing stops once nearly every run so far has timed out."""
    from fuzzdiff.factory.probe import HUNG_AFTER

    def waits(case: Case) -> Outcome:
        return Outcome(Termination.TIMEOUT, None, None, b"", b"")

    ex = FunctionExecutor({"tool": waits})
    learned = probe(MINED, ex, TOOL, budget=3000, seed=1)
    assert learned.hung and ex.calls == learned.runs == HUNG_AFTER
    assert any("timed out: probing stopped" in n for n in learned.notes["probe"])
    assert not probe(MINED, FunctionExecutor({"tool": FakeTool()}), TOOL, budget=3000, seed=1).hung


class JoinRefusingTool(FakeTool):
    """FakeTool with a parser of its own, as pigz's: `--width=5` is an unknown option."""

    def parse(self, argv: tuple[bytes, ...]) -> tuple[dict[bytes, bytes], list[bytes]] | bytes:
        if any(a.startswith(b"--") and b"=" in a for a in argv):
            return b"tool: invalid option\n"
        return super().parse(argv)


def test_values_taken_only_as_their_own_word_are_learned_so() -> None:
    """pigz's -b, -p, -I were "refused on every base tried": values were probed only
    as `--blocksize=64`, which pigz refuses, where `--blocksize 64` works."""
    learned = probe(MINED, FunctionExecutor({"tool": JoinRefusingTool()}), TOOL, budget=3000, seed=1)
    width = _option(learned.raw, "width")
    assert width.get("separate") is True and width["value"]["kind"] == "int", learned.notes  # type: ignore[index]
    assert any("only as their own word" in n for n in learned.notes["--width"])
    assert "separate" not in _option(_learn(), "width")  # a getopt parser takes both: left as it was


def _squeezer(case: Case) -> Outcome:
    """A compressor: `squeeze FILE` writes FILE.sq and prints nothing, `squeeze` reads
    stdin and prints "SQ:" + it reversed; `-d` undoes that and refuses anything else."""
    files = dict(case.files)
    decode = b"-d" in case.argv
    names = [a for a in case.argv if a != b"-d"]
    if any(a.startswith(b"-") for a in names):
        return _out(1, stderr=b"squeeze: bad option\n")
    if names:
        if names[0] not in files:
            return _out(1, stderr=b"squeeze: no such file\n")
        return _out(0) if not decode else _out(1, stderr=b"squeeze: not squeezed\n")
    if decode:
        ok = case.stdin.startswith(b"SQ:")
        return _out(0, stdout=case.stdin[3:][::-1]) if ok else _out(1, stderr=b"squeeze: not squeezed\n")
    return _out(0, stdout=b"SQ:" + case.stdin[::-1])


def test_a_mode_that_reads_output_made_from_stdin_is_learned() -> None:
    """lzip -d, -t and brotli -d were "refused on every base tried": own output was
    taken only from a call with a file operand, where a compressor writes a file."""
    mined: dict[str, object] = {"name": "squeeze", "program": "squeeze", "options": [{"short": "d"}]}
    learned = probe(mined, FunctionExecutor({"squeeze": _squeezer}), Program(("squeeze",), "squeeze"), seed=1)
    option = _option_short(learned.raw, "d")
    assert option.get("weight", 1.0) == 1.0, learned.notes
    assert any("own output" in n for n in learned.notes["-d"]), learned.notes


class ExactTool(FakeTool):
    """FakeTool that takes long options only spelt out whole, as zstd does."""

    def __call__(self, case: Case) -> Outcome:
        for arg in case.argv:
            if arg == b"--":
                break
            if arg.startswith(b"--") and arg[2:].partition(b"=")[0] not in self.NAMES:
                return _out(1, stderr=b"tool: unknown option\n")
        return super().__call__(case)


def test_a_budget_spent_on_options_still_learns_whether_prefixes_are_taken() -> None:
    # 530 runs end while options are probed one by one (the whole probe takes 576);
    # two are kept back, and the task says "never" instead of keeping the default
    # "any prefix" (zstd's case). Budgets 521 to 541 fail without the reserve: a
    # change to probing's costs moves that window
    learned = probe(MINED, FunctionExecutor({"tool": ExactTool()}), TOOL, budget=530, seed=1)
    assert learned.exhausted and learned.runs == 530
    assert learned.raw.get("generate") == {"abbreviate": "never"}
    whole = probe(MINED, FunctionExecutor({"tool": FakeTool()}), TOOL, budget=530, seed=1)
    assert whole.raw.get("generate") == {"abbreviate": "unique"}


class PathTool(FakeTool):
    """FakeTool with options whose values name paths, spelt ``--opt=V``:

    - ``--patterns=FILE`` needs FILE to exist (grep -f);
    - ``--program=FILE`` needs FILE to exist and be empty: any text in it is a
      syntax error (an empty ``sed -f`` script is one), and it cannot be given
      with ``--upper``;
    - ``--into=DIR`` needs a directory (cp -t);
    - ``--out=NAME`` takes any name (an output file);
    - ``--tag=WORD`` takes any word, ``d`` and ``b.dat`` included (sed -e d).
    """

    PATHS = (b"patterns", b"program", b"into", b"out", b"tag")
    NAMES = FakeTool.NAMES + PATHS
    VALUED = FakeTool.VALUED + PATHS

    def __call__(self, case: Case) -> Outcome:
        files = dict(case.files)
        rest: list[bytes] = []
        given: dict[bytes, bytes] = {}
        for arg in case.argv:
            name, eq, value = arg[2:].partition(b"=")
            if arg.startswith(b"--") and eq and name in self.PATHS:
                given[name] = value
            else:
                rest.append(arg)
        if b"patterns" in given and given[b"patterns"] not in files:
            return _out(2, stderr=b"tool: cannot read patterns\n")
        if b"program" in given and files.get(given[b"program"]) != b"":
            return _out(2, stderr=b"tool: no program file, or a syntax error in it\n")
        if b"program" in given and b"--upper" in rest:
            return _out(2, stderr=b"tool: --program and --upper exclude each other\n")
        if b"into" in given and not any(n.startswith(given[b"into"] + b"/") for n in files):
            return _out(2, stderr=b"tool: not a directory\n")
        return super().__call__(replace(case, argv=tuple(rest)))


def test_an_option_whose_value_names_a_path_learns_the_paths_kind() -> None:
    options = MINED["options"]
    assert isinstance(options, list)
    mined = {**MINED, "options": [*options, *({"long": n} for n in ("patterns", "program", "into", "out", "tag"))]}
    raw = probe(mined, FunctionExecutor({"tool": PathTool()}), TOOL, budget=3000, seed=1).raw
    # each with the content it was accepted holding: the call's input, or (--program) none
    assert _option(raw, "patterns")["value"] == {"kind": "file", "values": ["a 1 y\na 1 y\nb 2 x\nc 3 z\n"]}
    assert _option(raw, "program")["value"] == {"kind": "file", "values": [""]}
    assert _option(raw, "into")["value"] == {"kind": "dir"}
    for name in ("out", "tag"):  # a name that need not exist is a word, learned up the ladder
        value = _option(raw, name)["value"]
        assert isinstance(value, dict) and value.get("kind") not in ("file", "dir")
    # --program was accepted on an empty file: tried so beside --verify, it is no exclusion
    assert _option(raw, "program").get("excludes") == ["upper"]
    # and the task's cases make the files those options name
    spec = parse_task(raw)
    grammar, c = grammar_for(spec), RandomChoices(random.Random(5))
    named = 0
    for _ in range(300):
        case = grammar.case(c)
        files = {n for n, _ in case.files}
        for arg in case.argv:
            spelt, _, value = arg.partition(b"=")
            if spelt in (b"--patterns", b"--program") and value in FILE_NAMES:
                assert value in files, case
                named += 1
            elif spelt == b"--into" and value in DIR_NAMES:
                assert value + b"/f" in files, case
                named += 1
    assert named > 20


def _request_reader(case: Case) -> Outcome:
    """Like recode: a bare ``--source`` makes the next word its request; ``--source=V``
    takes ``latin1`` only; without ``--source`` no operand is taken."""
    argv = list(case.argv)
    if b"--source" in argv:
        return _out(0) if argv.index(b"--source") < len(argv) - 1 else _out(1, stderr=b"reader: no request\n")
    if any(a.startswith(b"--source=") for a in argv):
        return _out(0) if b"--source=latin1" in argv and len(argv) == 1 else _out(1, stderr=b"reader: bad source\n")
    return _out(0) if not argv else _out(1, stderr=b"reader: no operands\n")


def test_an_optional_value_is_never_learned_as_its_own_word() -> None:
    # recode's --source[=LN]: "--source 3" is accepted (3 is read as the request) and
    # "--source=3" is not; probing set both optional_value and separate, a task
    # parse_task refuses, and `fuzz --reference recode` stopped with exit 2
    mined: dict[str, object] = {
        "name": "reader",
        "program": "reader",
        "options": [{"long": "source", "value": {"kind": "string"}, "optional_value": True}],
    }
    raw = probe(mined, FunctionExecutor({"reader": _request_reader}), Program(argv=("reader",), argv0="reader")).raw
    assert "separate" not in _option(raw, "source")
    parse_task(raw)


def _finder(refusal: int) -> Callable[[Case], Outcome]:
    """``finder [--fixed] [--whole] [--broken] [--max=N] PATTERN [FILE]``, with grep's statuses
    when ``refusal`` is 2: 0 when a line matches, 1 and nothing said when none
    does, ``refusal`` and a message for a call it refuses (``--broken`` always)."""

    def run(case: Case) -> Outcome:
        args, fixed, whole = list(case.argv), False, False
        while args and args[0].startswith(b"--"):
            flag = args.pop(0)
            if flag.startswith(b"--max="):
                if not flag[6:].isdigit():
                    return _out(refusal, stderr=b"finder: invalid --max\n")
                continue
            if flag not in (b"--fixed", b"--whole"):
                return _out(refusal, stderr=b"finder: unrecognized option\n")
            fixed, whole = fixed or flag == b"--fixed", whole or flag == b"--whole"
        files = dict(case.files)
        if not args or len(args) > 2 or (len(args) == 2 and args[1] not in files):
            return _out(refusal, stderr=b"finder: usage: finder PATTERN [FILE]\n")
        try:
            regex = re.compile(re.escape(args[0]) if fixed else args[0])
        except re.error:
            return _out(refusal, stderr=b"finder: bad pattern\n")
        data = files[args[1]] if len(args) == 2 else case.stdin
        hits = [line for line in data.split(b"\n") if (regex.fullmatch(line) if whole else regex.search(line))]
        return _out(0, stdout=b"".join(h + b"\n" for h in hits)) if hits else _out(1)

    return run


@pytest.mark.parametrize("refusal", [2, 1])
def test_a_silent_no_is_an_answer_where_refusals_have_a_status_of_their_own(refusal: int) -> None:
    """grep exits 1 without a word when no line matches and 2 when it refuses a
    call: its probe patterns match nothing under -F, -w or -x, so those were
    learned as refused everywhere and drawn a quarter as often as the others."""
    mined: dict[str, object] = {
        "name": "finder",
        "program": "finder",
        "options": [{"long": "fixed"}, {"long": "whole"}, {"long": "broken"}],
        "operands": {"min": 1, "max": 2, "kinds": ["string", "file"]},
    }
    learned = probe(mined, FunctionExecutor({"finder": _finder(refusal)}), Program(argv=("finder",), argv0="finder"))
    fixed, whole, broken = (_option(learned.raw, n) for n in ("fixed", "whole", "broken"))
    assert broken["weight"] == RARE_WEIGHT  # a refusal with a message stays one
    if refusal == 2:
        assert "weight" not in fixed and "weight" not in whole and "value" not in fixed
        assert any("refused with status 2" in n for n in learned.notes["probe"])
    else:  # where a refusal is status 1 too, a silent 1 is no answer to count on
        assert fixed["weight"] == whole["weight"] == RARE_WEIGHT
    # operands are chosen on status 0: a word that matches nothing is no pattern to keep
    operands = learned.raw["operands"]
    assert isinstance(operands, dict)
    first = operands["slots"][0]
    assert "abc" not in first["value"]["values"] and "file" not in first["kinds"]


def test_a_value_is_tried_on_every_base_only_until_the_option_takes_one() -> None:
    """grep's twelve valued options cost 180 to 200 runs each, a ladder of 50 values
    on each of its four calls, and the budget ran out before every option was
    probed. Once the option takes a value, the next ones are tried where it did."""
    mined: dict[str, object] = {
        "name": "finder",
        "program": "finder",
        "options": [{"long": "max", "value": {"kind": "int", "min": 0, "max": 9}}],
        "operands": {"min": 1, "max": 2, "kinds": ["string", "file"]},
    }
    seen: list[Case] = []
    finder = _finder(2)

    def recording(case: Case) -> Outcome:
        seen.append(case)
        return finder(case)

    raw = probe(mined, FunctionExecutor({"finder": recording}), Program(argv=("finder",), argv0="finder")).raw
    runs = {v: sum(f"--max={v}".encode() in c.argv for c in seen) for v in ("0", "1", "abc", "-1")}
    assert runs["0"] >= 3  # the first value on every call: where the option works
    assert runs["1"] == 1 and runs["abc"] <= VALUE_BASES and runs["-1"] <= VALUE_BASES
    assert _option(raw, "max")["value"] == {"kind": "int", "min": 0, "max": 1000}


def test_one_binary_called_by_two_names_is_cached_as_two_programs(tmp_path: Path) -> None:
    # lz4cat is a link to lz4, which decompresses when called so: the same binary
    # content under another name must not get the task built for the first name
    tool = tmp_path / "tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    (tmp_path / "toolcat").symlink_to(tool)
    keys = {cache_key([str(tmp_path / n)], 1, 400) for n in ("tool", "toolcat")}
    assert len(keys) == 2
    assert cache_key([str(tool)], 1, 400) == cache_key([str(tool)], 1, 400)


def test_probing_is_deterministic_and_bounded() -> None:
    ex = FunctionExecutor({"tool": FakeTool()})
    first = probe(MINED, ex, TOOL, budget=3000, seed=4)
    again = probe(MINED, FunctionExecutor({"tool": FakeTool()}), TOOL, budget=3000, seed=4)
    assert first.raw == again.raw and first.notes == again.notes
    small = FunctionExecutor({"tool": FakeTool()})
    cut = probe(MINED, small, TOOL, budget=40, seed=4)
    assert small.calls <= 40 and cut.exhausted
    assert any("budget" in n for n in cut.notes.get("probe", []))


def test_a_probed_task_loads_and_its_cases_are_mostly_accepted() -> None:
    learned = probe(MINED, FunctionExecutor({"tool": FakeTool()}), TOOL, seed=1)
    text = task_toml(learned.raw, learned.notes)
    spec = parse_task(tomllib.loads(text))
    assert "# probed:" in text  # every learned fact says how it was learned
    card, _ = calibrate(spec, FunctionExecutor({"tool": FakeTool()}), TOOL, seed=1, cases=300)
    mined = parse_task(MINED)
    before, _ = calibrate(mined, FunctionExecutor({"tool": FakeTool()}), TOOL, seed=1, cases=300)
    assert card.accepted_share >= 0.5 > before.accepted_share
    assert card.deterministic


def _cases_naming_both(spec: TaskSpec, a: str, b: str, n: int = 600) -> int:
    grammar, reader = grammar_for(spec), OptionReader(spec)
    both = 0
    for i in range(n):
        case = grammar.case(RandomChoices(random.Random(i)))
        labels = {opt.label() for opt, _, _, _ in reader.readings(case.argv)}
        both += {a, b} <= labels
    return both


def test_generated_cases_keep_excluded_options_apart() -> None:
    learned = probe(MINED, FunctionExecutor({"tool": FakeTool()}), TOOL, seed=1)
    spec = parse_task(learned.raw)
    unconstrained = replace(spec, options=tuple(replace(o, excludes=()) for o in spec.options))
    apart, drawn = (
        _cases_naming_both(spec, "--upper", "--lower"),
        _cases_naming_both(unconstrained, "--upper", "--lower"),
    )
    # constrained draws (most) never hold both; the unconstrained rest may
    assert drawn > 0 and apart * 3 < drawn


def _checker(case: Case) -> Outcome:
    """Like sha1sum: prints "SIZE NAME" per file operand (standard input for none
    or ``-``); with --check (and no operand but ``-``), reads such lines from
    stdin and needs each named file, of that size, in the directory."""
    files = dict(case.files)
    if case.argv[:1] == (b"--check",) and all(a == b"-" for a in case.argv[1:]):
        lines = [line.split(b" ", 1) for line in case.stdin.splitlines()]
        good = lines and all(len(p) == 2 and p[0].isdigit() and len(files.get(p[1], b"")) == int(p[0]) for p in lines)
        return _out(0, b"OK\n") if good else _out(1, stderr=b"checker: bad list\n")
    files[b"-"] = case.stdin
    if b"--check" in case.argv or any(a not in files for a in case.argv):
        return _out(1, stderr=b"checker: usage\n")
    return _out(0, b"".join(b"%d %s\n" % (len(files[a]), a) for a in case.argv or [b"-"]))


def test_an_option_that_reads_the_programs_own_output_gets_its_files_as_fixtures() -> None:
    mined: dict[str, object] = {"name": "checker", "program": "checker", "options": [{"long": "check"}]}
    learned = probe(mined, FunctionExecutor({"checker": _checker}), Program(("checker",), "checker"), seed=1)
    fixtures = learned.raw.get("fixtures")
    assert isinstance(fixtures, dict) and fixtures
    spec = parse_task(tomllib.loads(task_toml(learned.raw, learned.notes)))
    grammar = grammar_for(spec)
    cases = [grammar.case(RandomChoices(random.Random(i))) for i in range(300)]
    checked = [c for c in cases if c.argv[:1] == (b"--check",) and _checker(c).exit_code == 0]
    assert checked  # without the fixture no --check case is ever accepted


def test_calibration_reports_a_reference_that_varies() -> None:
    count = iter(range(10**6))

    def clock(case: Case) -> Outcome:
        return _out(0, stdout=str(next(count)).encode())

    spec = parse_task({"name": "clock", "program": "clock"})
    card, _ = calibrate(spec, FunctionExecutor({"clock": clock}), Program(("clock",), "clock"), seed=1, cases=20)
    assert not card.deterministic
    assert card.varying and card.varying[0].startswith("stdout")


#: Python printing the path the kernel ran it by (``getauxval(AT_EXECFN)``), as a
#: program whose output mixes in stack addresses (hermetic ``mktemp``) depends on it.
EXEC_PATH = "import ctypes; f = ctypes.CDLL(None).getauxval; f.restype = ctypes.c_char_p; print(f(31))"


@pytest.mark.parametrize(("code", "repeats"), [(EXEC_PATH, False), ("print(1)", True)])
def test_calibration_runs_the_reference_again_by_another_path(code: str, repeats: bool) -> None:
    """A copy of the reference runs by another path. A reference whose output
    depends on that path repeated itself when calibration ran it twice by the same
    path, and its task then failed every copy of it (a copy of `mktemp`, hermetic,
    made other names); the second run is by another spelling of the path."""
    from fuzzdiff.core.spec import DEFAULT_ENV, Limits
    from fuzzdiff.run.execute import LocalExecutor
    from fuzzdiff.run.program import STACK_ALIGNMENT, elsewhere

    program = Program((sys.executable, "-c", code), "tool")
    other = elsewhere(program)
    assert os.path.samefile(other.argv[0], program.argv[0])
    assert len(other.argv[0]) == len(program.argv[0]) + STACK_ALIGNMENT  # 2 bytes more often moved nothing
    spec = parse_task({"name": "tool", "program": "tool"})
    card, _ = calibrate(spec, LocalExecutor(dict(DEFAULT_ENV), Limits()), program, seed=1, cases=3)
    assert card.deterministic is repeats, card.varying
    script = Program(("/bin/sh", "-c", "echo $0"), "tool")  # not an executable file itself: /bin/sh is
    assert elsewhere(Program((__file__,), "tool")) == Program((__file__,), "tool")  # a script: as it is
    assert elsewhere(script).argv[0] == "/bin" + "/." * 8 + "/sh"


def test_a_program_that_accepts_only_help_and_version_cannot_be_a_task() -> None:
    """datamash, look and curl were built (exit 0, 1 to 6% accepted) though every
    accepted case was `--help`, `-h` or `--version`: the task exercised nothing."""
    from fuzzdiff.factory.build import _unusable

    def only_help(case: Case) -> Outcome:
        asks = any(a in (b"-h", b"--help", b"--version") for a in case.argv)
        return _out(0, stdout=b"Usage: tool OPERATION\n") if asks else _out(1, stderr=b"tool: missing operation\n")

    raw = {
        "name": "tool",
        "program": "tool",
        "options": [{"short": "h", "long": "help"}, {"long": "version"}, {"short": "s", "long": "sort"}],
    }
    spec = parse_task(raw)
    card, _ = calibrate(spec, FunctionExecutor({"tool": only_help}), Program(("tool",), "tool"), seed=1, cases=60)
    assert 0 < card.accepted_share < 1 and card.help_only
    why = _unusable(["tool"], card, None)
    assert why is not None and "only calls asking for its help or version" in why
    assert "(only calls for help or the version)" in card.text()

    def sorts_too(case: Case) -> Outcome:
        return _out(0) if b"-s" in case.argv or b"--sort" in case.argv else only_help(case)

    card, _ = calibrate(spec, FunctionExecutor({"tool": sorts_too}), Program(("tool",), "tool"), seed=1, cases=60)
    assert not card.help_only and _unusable(["tool"], card, None) is None


def test_a_normaliser_is_proposed_only_where_a_pattern_explains_every_difference() -> None:
    def err(text: bytes) -> Outcome:
        return _out(1, stderr=text)

    addresses = [(err(b"BIO[0x5605]: ctrl\n"), err(b"BIO[0x7f11]: ctrl\n"))]
    assert propose_normaliser(addresses) == [
        {"channel": "stderr", "pattern": "0x[0-9a-fA-F]+", "replacement": "0xADDR"}
    ]
    fetch = b":error:0308010C:digital envelope routines:inner_evp_generic_fetch:unsupported\n"
    mixed = [*addresses, (err(b"40F72C8D907F0000" + fetch), err(b"4007AD4CE87F0000" + fetch))]
    (table,) = propose_normaliser(mixed)
    rx = re.compile(table["pattern"].encode())
    assert all(rx.sub(b"#", a.stderr) == rx.sub(b"#", b.stderr) for a, b in mixed)
    # words that differ, or an exit status that does, are not explained away
    assert propose_normaliser([(err(b"shuffled: a b\n"), err(b"shuffled: b a\n"))]) == []
    assert propose_normaliser([(_out(0, b"0x1"), _out(1, b"0x2"))]) == []
    # nor output that is mostly what varies: mcookie's whole answer is a random
    # hexadecimal string, and a task masking it passed a candidate printing zeros
    cookies = [(_out(0, b"4f0c9e5b1a7d2c3e8f6a0b1c2d3e4f50\n"), _out(0, b"a1b2c3d4e5f60718293a4b5c6d7e8f90\n"))]
    assert propose_normaliser(cookies) == []
    assert propose_normaliser(
        [(_out(0, b"created /tmp/tmp.AbCdEf12 for you\n"), _out(0, b"created /tmp/tmp.ZyXwVu98 for you\n"))]
    ) == [{"channel": "stdout", "pattern": r"tmp\.[A-Za-z0-9]{6,}", "replacement": "tmp.XXXXXX"}]


def _left(stderr: bytes, *names: bytes) -> Outcome:
    return Outcome(Termination.EXITED, 1, None, b"", stderr, files=tuple((n, b"") for n in names))


def test_files_named_at_random_are_normalised_by_their_fixed_start() -> None:
    """dos2unix, refused, leaves the temporary file glibc's mkstemp made (its name
    drawn by a system call no seed reaches): `task build dos2unix` refused the
    program as not repeating itself, even in the hermetic mode."""
    left = [
        (_left(b"", b"a", b"d2utmpIn25Vs"), _left(b"", b"a", b"d2utmpIOnKRq")),
        (
            _left(b"x: cannot open d/d2utmpAb1234\n", b"d/d2utmpAb1234"),
            _left(b"x: cannot open d/d2utmpZz9876\n", b"d/d2utmpZz9876"),
        ),
    ]
    names, stdout, stderr = propose_normaliser(left)
    # "In25Vs" and "IOnKRq" share their first letter: the run is widened to six to the left
    name = r"d2utmp[A-Za-z0-9]{6}(?![A-Za-z0-9])"
    assert names == {"channel": "names", "pattern": r"(?:(?<=/)|^)" + name, "replacement": "d2utmpXXXXXX"}
    # in the streams it stands alone; stdout never varied here, but a message there may
    # show the name too (dos2unix without -q)
    assert stderr == {"channel": "stderr", "pattern": r"(?<![A-Za-z0-9])" + name, "replacement": "d2utmpXXXXXX"}
    assert stdout == {**stderr, "channel": "stdout"}
    spec = parse_task({"name": "t", "program": "t", "compare": {"replace": [names, stdout, stderr]}})
    assert all(build.agrees(spec, TOOL, Case(argv=()), a, b) for a, b in left)
    # names that share their last random character (Xy) still give the start d2utmp
    (shared, _, _) = propose_normaliser([(_left(b"", b"d2utmpAbc1Xy"), _left(b"", b"d2utmpZbc2Xy"))])
    assert shared["replacement"] == "d2utmpXXXXXX"
    # the name masked first, what else varies in that stream is explained after it
    timed = [
        (_left(b"d2utmpAb1234 at 10:00:01\n", b"d2utmpAb1234"), _left(b"d2utmpZz9876 at 10:00:02\n", b"d2utmpZz9876"))
    ]
    assert [t["channel"] for t in propose_normaliser(timed)] == ["names", "stdout", "stderr", "stderr"]
    # two such files with different contents, or modes, compare in one order whatever their names
    one = Outcome(Termination.EXITED, 1, None, b"", b"", files=((b"d2utmpAAAAAA", b"1"), (b"d2utmpZZZZZZ", b"2")))
    two = Outcome(Termination.EXITED, 1, None, b"", b"", files=((b"d2utmpAAAAAA", b"2"), (b"d2utmpZZZZZZ", b"1")))
    assert build.agrees(spec, TOOL, Case(argv=()), one, two)
    same = ((b"d2utmpAAAAAA", b"x"), (b"d2utmpZZZZZZ", b"x"))
    modes = Outcome(Termination.EXITED, 1, None, b"", b"", files=same, attrs=((b"d2utmpAAAAAA", "mode 0600"),))
    swapped = replace(modes, attrs=((b"d2utmpZZZZZZ", "mode 0600"),))
    assert build.agrees(spec, TOOL, Case(argv=()), modes, swapped)  # one file of two is 0600 on both sides
    assert not build.agrees(spec, TOOL, Case(argv=()), modes, replace(modes, attrs=()))
    private = replace(one, attrs=((b"d2utmpAAAAAA", "mode 0600"),))  # the file holding 1 is private
    assert not build.agrees(spec, TOOL, Case(argv=()), private, replace(one, attrs=((b"d2utmpZZZZZZ", "mode 0600"),)))
    # a name random whole, or after a start too short to tell it by (".AbCdEf"), gets none:
    # it would hide `output` written for `result`, or the digits of 3.141592
    assert propose_normaliser([(_left(b"", b"Ab12Cd"), _left(b"", b"Zz98Yx"))]) == []
    assert propose_normaliser([(_left(b"", b".AbCdEf"), _left(b"", b".ZzYyXx"))]) == []
    # contents, and names that differ otherwise, are not explained away
    assert propose_normaliser([(_left(b"", b"out-1"), _left(b"", b"out_1"))]) == []
    assert propose_normaliser([(_left(b"", b"a"), _left(b"", b"a", b"tmpAbCdEf"))]) == []
    differing = Outcome(Termination.EXITED, 1, None, b"", b"", files=((b"tmpAbCdEf", b"1"),))
    assert propose_normaliser([(differing, _left(b"", b"tmpZyXwVu"))]) == []


@pytest.mark.e2e
def test_task_build_makes_a_task_seq_accepts(tmp_path: Path) -> None:
    out = tmp_path / "seq.toml"
    cmd = [sys.executable, "-m", "fuzzdiff", "task", "build", "seq", "--out", str(out), "--cases", "100", "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    card = json.loads(done.stdout)["card"]
    assert card["accepted_share"] >= 0.5  # mined from --help alone: 0 (operands taken for files)
    assert card["deterministic"]
    raw = tomllib.loads(out.read_text())
    assert raw["operands"]["min"] >= 1
    assert (tmp_path / "seq.card.json").exists()
    assert any((tmp_path / "seq.corpus").iterdir())


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed (the set-up installs it)")
def test_task_build_lists_the_programs_the_reference_runs_as_tools(tmp_path: Path) -> None:
    """An exact copy of patch (which runs ed) or sdiff (which runs diff) scored 0.0 in
    the masked sandbox: a candidate there may run only the task's tools. The build
    now traces the reference on its recorded cases and lists what it runs."""
    lister = tmp_path / "lister"
    lister.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = --help ]; then\n'
        '  echo "Usage: lister [OPTION]... [FILE]"; echo "  -q, --quiet  say less"; exit 0\n'
        "fi\n"
        'cat "$@" | tr a-z A-Z\n'
    )
    lister.chmod(0o755)
    built = build.build([str(lister)], probing=False, cases=20)
    assert built.raw["tools"] == ["cat", "tr"]
    assert built.spec.tools == ("sh", "cat", "tr")
    assert any("runs cat, tr" in note for note in built.notes["probe"])
    # a program a case names (split --filter=base64) is run by the reference too
    runner = tmp_path / "runner"
    runner.write_text('#!/bin/sh\n"$1"; true\n')
    runner.chmod(0o755)
    spec = parse_task({"name": "runner", "program": str(runner)}, "<test>")
    program = Program(argv=(str(runner),), argv0="runner")
    assert build.trace(spec, program, [Case(argv=(b"cat",))] * 5).ran == ("cat",)  # every time: no trace is split
    assert build.trace(spec, program, [Case(argv=(b"sh",))]).ran == ()  # sh is always a tool
    assert build.trace(spec, program, []).ran == ()
    # what the reference's own process becomes is the reference (egrep: exec grep)
    becomes = tmp_path / "becomes"
    becomes.write_text('#!/bin/sh\nexec cat "$@"\n')
    becomes.chmod(0o755)
    spec = parse_task({"name": "becomes", "program": str(becomes)}, "<test>")
    assert build.trace(spec, Program(argv=(str(becomes),), argv0="becomes"), [Case(argv=())]).ran == ()


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed (the set-up installs it)")
@pytest.mark.skipif(
    not (os.path.isfile("/etc/os-release") and os.path.isdir("/usr/share/common-licenses")), reason="not Debian"
)
def test_task_build_lists_the_data_the_reference_reads_as_tools(tmp_path: Path) -> None:
    """An exact copy of figlet (its fonts in /usr/share/figlet) or rhash (/etc/rhashrc)
    scored 0.0 in the masked sandbox, where a candidate reads only what its command
    needs and the task's tools: the trace lists the data files the reference reads."""
    reader = tmp_path / "reader"
    reader.write_text(
        "#!/bin/sh\n"
        "cat /etc/os-release /usr/share/common-licenses/GPL-3 /etc/passwd /no/such/file > /dev/null 2>&1\n"
        'cat "$@"\n'
    )
    reader.chmod(0o755)
    spec = parse_task({"name": "reader", "program": str(reader)}, "<test>")
    seen = build.trace(spec, Program(argv=(str(reader),), argv0="reader"), [Case(argv=())])
    assert seen.ran == ("cat",)
    # a link gives its target too (units' currency.units lies in /var/lib/units); a file
    # under /usr/share/NAME gives the directory (a font's siblings); not /etc/passwd (every
    # candidate's root has it), a missing file, libc, the locale, or the script itself
    target = os.path.realpath("/etc/os-release")
    assert seen.read == tuple(sorted({"/etc/os-release", target, "/usr/share/common-licenses"}))


def test_data_read_is_never_a_secret_code_or_beside_the_reference(tmp_path: Path) -> None:
    """Tools become read-only binds in a masked candidate's sandbox: a reference that
    opens /etc/shadow (root may), its own modules, or a home directory must not
    hand them to the candidate, and a path spelt oddly must not bind /usr whole."""
    me = tmp_path / "tool" / "upper"
    me.parent.mkdir()
    me.write_text("#!/bin/sh\n")
    (me.parent / "impl.py").write_text("x = 1\n")
    secret = tmp_path / "secret.cfg"
    secret.write_text("key\n")
    secret.chmod(0o640)
    program = Program(argv=(str(me),), argv0="upper")
    home = os.path.realpath(os.path.expanduser("~"))
    opened = {str(me.parent / "impl.py"), str(secret), "/usr/share//x"}
    if os.path.isfile("/etc/shadow"):
        opened.add("/etc/shadow")
    assert build._data(opened | {os.path.join(home, ".bashrc")}, program) == ()
    if os.path.isfile("/usr/lib/os-release"):  # the file, not /usr/share/.. (all of /usr)
        assert build._data({"/usr/share/../lib/os-release"}, program) == ("/usr/lib/os-release",)
    # a reference that lies in /usr/share/NAME is not given its own package directory
    if os.path.isfile("/usr/share/common-licenses/GPL-3"):
        inside = Program(argv=("/usr/share/common-licenses/run",), argv0="run")
        assert build._data({"/usr/share/common-licenses/GPL-3"}, inside) == ()


@pytest.mark.e2e
def test_a_reference_with_fixed_arguments_is_equivalent_to_itself(tmp_path: Path) -> None:
    """The candidate is the same command: it names itself by its full path (argv[0]
    of a command with arguments), which must not count as a difference."""
    command = "date -u -d @1234567890"
    cmd = [sys.executable, "-m", "fuzzdiff", "fuzz", "--reference", command, "--candidate", command]
    cmd += ["--no-probe", "--budget", "60", "--seed", "1", "--json", "--no-corpus"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    report = json.loads(done.stdout)
    assert report["verdict"] == "equivalent"
    assert "--no-probe" in report["reproduce"]  # the same cases again, not a probed task's


@pytest.mark.e2e
def test_the_readme_task_factory_demo_runs_as_written(tmp_path: Path) -> None:
    """The README's three commands (build, fuzz, replay), run as written: busybox's
    seq diverges from GNU's, so fuzz and replay exit 1."""
    if shutil.which("busybox") is None:
        pytest.skip("busybox is not installed (make setup installs it)")
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Make a task from any program", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]
    assert [c.split()[:2] for c in commands] == [["fuzzdiff", "task"], ["fuzzdiff", "fuzz"], ["fuzzdiff", "replay"]]
    expected = [0, 1, 1]
    for command, status in zip(commands, expected, strict=True):
        words = [sys.executable, "-m", "fuzzdiff", *shlex.split(command)[1:]]
        done = subprocess.run(words, capture_output=True, text=True, check=False, cwd=tmp_path)
        assert done.returncode == status, f"{command}: {done.stdout[-1500:]}{done.stderr[-1500:]}"


@pytest.mark.e2e
def test_a_program_that_accepts_nothing_cannot_be_a_task(tmp_path: Path) -> None:
    """`false` exits 1 whatever it is given: no task can be built, exit status 2 and why."""
    cmd = [sys.executable, "-m", "fuzzdiff", "task", "build", "false", "--cases", "30", "--probe-budget", "200"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "accepted none of 30 cases" in done.stderr
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.e2e
def test_a_cached_zero_config_task_that_no_longer_loads_is_built_again(tmp_path: Path) -> None:
    key = cache_key(["seq"], 1, 400)
    (tmp_path / f"{key}.toml").write_text("this is [not a task\n")
    spec = cached_build(["seq"], seed=1, budget=400, where=tmp_path)
    assert spec.operands.min >= 1  # probed, not mined: seq needs a number
    assert tomllib.loads((tmp_path / f"{key}.toml").read_text())["name"] == "seq"
    # the first run's task is the cached file, as every later run's is: a case file
    # names it, so `minimize` finds it (it named "<built from seq>", which no one could)
    assert spec.source == str(tmp_path / f"{key}.toml")


def _calc(case: Case) -> Outcome:
    """``calc A + B`` (numbers; exit 1 when the sum is 0, as expr) and ``calc length S``; nothing else."""
    argv = [a.decode("utf-8", "replace") for a in case.argv]
    if len(argv) == 3 and argv[1] == "+" and all(a.lstrip("-").isdigit() for a in (argv[0], argv[2])):
        total = int(argv[0]) + int(argv[2])
        return _out(0 if total else 1, stdout=f"{total}\n".encode())
    if len(argv) == 2 and argv[0] == "length":
        return _out(0, stdout=f"{len(argv[1])}\n".encode())
    return _out(2, stderr=b"calc: syntax error\n")


def test_probing_keeps_the_operand_sentences_the_reference_accepts() -> None:
    mined: dict[str, object] = {
        "name": "calc",
        "program": "calc",
        "options": [],
        "operands": {
            "min": 1,
            "max": 1,
            "kinds": ["missing"],
            "sentences": [["3", "+", "2"], ["abc", "+", "b"], ["0", "+", "0"], ["length", "abc"], ["abc", ":", "b"]],
        },
    }
    learned = probe(mined, FunctionExecutor({"calc": _calc}), Program(argv=("calc",), argv0="calc"), seed=1)
    operands = learned.raw["operands"]
    assert isinstance(operands, dict)
    # "0 + 0" is valid but false (exit 1): kept out like every refused call
    assert operands["sentences"] == [["3", "+", "2"], ["length", "abc"]]
    assert any("2 of 5 operand sentences" in n for n in learned.notes["operands"])
    spec = parse_task(learned.raw)
    cases = [grammar_for(spec).case(RandomChoices(random.Random(i))) for i in range(400)]
    ok = sum(_calc(c).exit_code == 0 for c in cases)
    assert ok > len(cases) / 3  # a sentence is drawn in half the cases; nothing else is accepted

    mined["operands"] = {**operands, "sentences": [["abc", ":", "b"]]}
    learned = probe(mined, FunctionExecutor({"calc": _calc}), Program(argv=("calc",), argv0="calc"), seed=1)
    assert "sentences" not in learned.raw["operands"]  # type: ignore[operator]


def test_a_count_that_varies_is_not_normalised_away() -> None:
    # replacing every number would have made it agree, and hidden every digit a candidate prints
    assert propose_normaliser([(_out(0, b"12 a\n"), _out(0, b"13 a\n"))]) == []


def test_calibration_keeps_out_the_option_that_makes_the_reference_vary(monkeypatch: pytest.MonkeyPatch) -> None:
    """``lister --inode`` prints a number new on every run (ls's inode numbers); its
    other options, alone or beside it, do not vary."""
    count = iter(range(10**6))

    def lister(case: Case) -> Outcome:
        out = b"".join(a + b"\n" for a in case.argv if not a.startswith(b"-"))
        if any(a.startswith(b"--i") or a == b"-i" for a in case.argv):
            out += str(next(count)).encode() + b"\n"
        return _out(0, stdout=out)

    monkeypatch.setattr(build, "executor_for", lambda spec, timeout=None: FunctionExecutor({"lister": lister}))
    raw: dict[str, object] = {
        "name": "lister",
        "program": "lister",
        "options": [{"long": "escape", "short": "b"}, {"long": "inode", "short": "i"}, {"long": "size"}],
        "operands": {"min": 0, "max": 2, "kinds": ["string"], "strings": ["a", "b"]},
    }
    spec = parse_task(raw)
    notes: dict[str, list[str]] = {}
    program = Program(("lister",), "lister")
    kept, spec, card, _ = build._calibrated(raw, spec, program, 1, 200, 0, False, notes, None)
    assert card.deterministic
    options = kept["options"]
    assert isinstance(options, list)
    weights = {o["long"]: o.get("weight") for o in options}
    assert weights == {"escape": None, "inode": 0.0, "size": None}
    assert any("--inode" in n for n in notes["--inode"])
    assert "compare" not in kept


def test_probing_finds_an_operand_that_names_a_program_to_run() -> None:
    """``xargs COMMAND``: no file, number or word is a command, so no operand was kept."""

    def runner(case: Case) -> Outcome:
        if case.argv and case.argv[0] == b"echo":
            return _out(0, stdout=b" ".join(case.argv[1:]) + b"\n")
        return _out(127, stderr=b"runner: cannot run\n") if case.argv else _out(0)

    mined: dict[str, object] = {
        "name": "runner",
        "program": "runner",
        "options": [],
        "operands": {"min": 0, "max": 0, "kinds": ["missing"]},
    }
    learned = probe(mined, FunctionExecutor({"runner": runner}), Program(("runner",), "runner"), seed=1)
    operands = learned.raw["operands"]
    assert isinstance(operands, dict)
    first = operands["slots"][0]
    assert first["value"]["values"] == ["echo"]


def test_a_program_that_needs_three_files_and_no_fewer_is_learned() -> None:
    """``diff3 MYFILE OLDFILE YOURFILE``: three operands were tried only after an
    accepted pair, and diff3 accepts no pair, so `task build diff3` found nothing."""

    def merger(case: Case) -> Outcome:
        files = dict(case.files)
        if len(case.argv) != 3:
            return _out(2, stderr=b"merger: missing operand\n")
        if any(a not in files for a in case.argv):
            return _out(2, stderr=b"merger: no such file\n")
        return _out(0, stdout=b"====\n")

    mined: dict[str, object] = {
        "name": "merger",
        "program": "merger",
        "options": [],
        "operands": {"min": 3, "max": 3, "slots": [{"kinds": ["file"]}] * 3},
    }
    learned = probe(mined, FunctionExecutor({"merger": merger}), Program(("merger",), "merger"), seed=1)
    operands = learned.raw["operands"]
    assert isinstance(operands, dict)
    assert (operands["min"], operands["max"]) == (3, 3)
    assert all("file" in slot["kinds"] for slot in operands["slots"])
    # learned, not the mined operands kept for want of any accepted call
    assert any("file file file" in note for note in learned.notes["operands"]), learned.notes


def test_keeping_options_out_that_does_not_help_leaves_the_task_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reference that varies whatever its options: the spec returned was the one
    with an option kept out while the table written was not (a first zero-config
    run then drew other cases than later ones)."""
    count = iter(range(10**6))

    def clock(case: Case) -> Outcome:
        # the first calibration (100 cases, twice) varies with --utc only; later, always
        n = next(count)
        varies = n >= 200 or any(a.startswith(b"--u") for a in case.argv)
        return _out(0, stdout=str(n).encode() if varies else b"same")

    monkeypatch.setattr(build, "executor_for", lambda spec, timeout=None: FunctionExecutor({"clock": clock}))
    raw: dict[str, object] = {"name": "clock", "program": "clock", "options": [{"long": "utc"}, {"long": "iso"}]}
    kept, spec, card, _ = build._calibrated(
        raw, parse_task(raw), Program(("clock",), "clock"), 1, 100, 0, False, {}, None
    )
    assert not card.deterministic and kept == raw
    assert [o.weight for o in spec.options] == [o.weight for o in parse_task(kept).options] == [1.0, 1.0]


def test_a_program_whose_operation_is_a_keyword_is_learned_from_its_sentences() -> None:
    """`datamash sum 1`: no operand of the ladder is accepted, only the help text's
    keywords, so the build refused the program. Now every case takes a sentence,
    the input is the one the sentences accept, and options are tried on them."""

    def tally(case: Case) -> Outcome:
        words = [a for a in case.argv if a not in (b"-s", b"--sort", b"--")]
        if any(a.startswith(b"-") for a in words):
            return _out(1, stderr=b"tally: unrecognized option\n")
        if words == [b"flip"]:
            return _out(0, stdout=case.stdin[::-1])
        if len(words) == 2 and words[0] == b"total" and words[1] == b"1":
            lines = case.stdin.split()
            if not lines or not all(x.isdigit() for x in lines):
                return _out(1, stderr=b"tally: invalid numeric value\n")
            return _out(0, stdout=b"%d\n" % sum(int(x) for x in lines))
        return _out(1, stderr=b"tally: missing operation\n")

    text = (
        "Usage: tally [OPTION] op [fld]\n\nOperations:\n  flip, undo, total, least\n\n"
        "Options:\n  -s, --sort    sort first\n      --width=N   columns\n"
    )
    operands = mine_operands(text, "tally")
    operands["sentences"] = keyword_sentences(mine_keywords(text))
    mined: dict[str, object] = {
        "name": "tally",
        "program": "tally",
        "options": mine_options(text),
        "operands": operands,
    }
    learned = probe(mined, FunctionExecutor({"tally": tally}), Program(("tally",), "tally"), seed=1)
    got = learned.raw["operands"]
    assert isinstance(got, dict)
    assert (got["min"], got["max"]) == (0, 0)
    assert got["sentences"] == [["flip"], ["total", "1"]]
    stdin = learned.raw["stdin"]
    assert isinstance(stdin, dict) and "3\n1\n20\n2\n" in stdin["samples"]  # numbers: `total 1` takes them
    assert "value" not in _option(learned.raw, "sort")  # tried on the sentences: a flag, accepted
    spec = parse_task(learned.raw)
    grammar = grammar_for(spec)
    cases = [grammar.case(RandomChoices(random.Random(i))) for i in range(60)]
    accepted = sum(tally(c).exit_code == 0 for c in cases)
    assert all([a for a in c.argv if not a.startswith(b"-")] for c in cases)  # never without an operation
    assert accepted >= 12, accepted  # a fifth at least (none before: the build refused such a program)
    # the edge sweep gives every option an operation too (it gave none where min was 0)
    swept = list(edge_cases(spec, 1))
    bare = [c for c in swept if not [a for a in c.argv if a in (b"flip", b"total")]]
    assert len(bare) * 10 <= len(swept), [c.argv for c in bare]


def test_a_sentence_word_in_every_case_that_varies_is_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """`datamash rand 1` picks a value at random, seeded by the process id, which only a
    sandbox's namespace fixes: the operation is a sentence, not an option, so keeping
    options out could not make the task repeat itself."""
    count = iter(range(10**6))

    def dice(case: Case) -> Outcome:
        if case.argv[:1] == (b"roll",):
            return _out(0, stdout=b"%d\n" % next(count))
        return _out(0, stdout=b"6\n") if case.argv[:1] == (b"sum",) else _out(1, stderr=b"dice: what?\n")

    monkeypatch.setattr(build, "executor_for", lambda spec, timeout=None: FunctionExecutor({"dice": dice}))
    raw: dict[str, object] = {
        "name": "dice",
        "program": "dice",
        "options": [{"long": "sorted"}],
        "operands": {"min": 0, "max": 0, "sentences": [["sum", "1"], ["roll", "1"], ["roll", "2"]]},
    }
    notes: dict[str, list[str]] = {}
    kept, spec, card, _ = build._calibrated(
        raw, parse_task(raw), Program(("dice",), "dice"), 1, 100, 0, False, notes, None
    )
    assert card.deterministic
    assert spec.operands.sentences == (("sum", "1"),)
    assert kept["operands"] == {"min": 0, "max": 0, "sentences": [["sum", "1"]]}
    assert any("sentence word roll" in n for n in notes["operands"]), notes


def test_a_shared_data_directory_is_given_whole_only_if_all_of_it_is_data(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reference reading one table of a package directory that also holds its code
    (`engine.py`), a private key or a helper program gave the whole directory; a file
    in a directory others cannot enter was given too."""
    # under a directory anyone may pass (pytest's own is closed to others)
    base = Path(tempfile.mkdtemp(dir="/var/tmp" if os.path.isdir("/var/tmp") else None))
    base.chmod(0o755)
    request.addfinalizer(lambda: shutil.rmtree(base, ignore_errors=True))
    share = base / "share"
    monkeypatch.setattr(build, "_SHARED_DATA", f"{share}/")
    monkeypatch.setattr(build, "_NOT_DATA", ("/proc/",))
    fonts, app = share / "fonts", share / "app"
    fonts.mkdir(parents=True)
    app.mkdir()
    for f in (fonts / "a.flf", fonts / "b.flf", app / "table.dat"):
        f.write_text("data\n")
    (app / "engine.py").write_text("x = 1\n")
    program = Program(argv=("/usr/bin/true",), argv0="tool")
    assert build._data({str(fonts / "a.flf")}, program) == (str(fonts),)
    assert build._data({str(app / "table.dat")}, program) == (str(app / "table.dat"),)
    for hidden in ("key", "helper"):
        (fonts / hidden).write_text("x\n")
        (fonts / hidden).chmod(0o600 if hidden == "key" else 0o755)
        assert build._data({str(fonts / "a.flf")}, program) == (str(fonts / "a.flf"),), hidden
        (fonts / hidden).unlink()
    closed = base / "closed"
    closed.mkdir(mode=0o700)
    (closed / "app.conf").write_text("x\n")
    assert build._data({str(closed / "app.conf")}, program) == ()


def test_a_value_note_says_when_no_value_was_accepted_or_tried() -> None:
    from fuzzdiff.factory.probe import _value_note

    assert _value_note(["1", "5"], ["0", "9"]) == (
        "probed: takes a value; accepted '1', '5' of 4 tried; integers 1 to 5 accepted, 0 refused, 9 refused"
    )
    assert _value_note([], ["x", "y"]) == "probed: takes a value; none accepted of 2 tried"
    assert _value_note([], []) == "probed: takes a value; none tried before the probe budget ran out"


_MAGIC = b"\x1f\x8b\xff"


def _squash(case: Case) -> Outcome:
    """A compressor whose output is not text (gzip's magic bytes start it)."""
    if case.argv[:1] not in ((), (b"-",), (b"-d",)):
        return _out(1, stderr=b"squash: usage\n")
    if case.argv[:1] == (b"-d",):
        ok = case.stdin.startswith(_MAGIC)
        return _out(0, case.stdin[3:][::-1]) if ok else _out(1, stderr=b"squash: not squashed\n")
    return _out(0, _MAGIC + case.stdin[::-1])


def test_a_programs_own_output_that_is_not_text_is_no_sample() -> None:
    """gzip's own output went into its task file as a sample decoded with U+FFFD
    for every byte that is not UTF-8: no longer gzip data, on stdin of 35 cases in
    300 (a stranger's find). A task file holds text; such output is left out."""
    mined: dict[str, object] = {
        "name": "squash",
        "program": "squash",
        "options": [{"short": "d", "long": "decompress"}],
    }
    learned = probe(mined, FunctionExecutor({"squash": _squash}), Program(("squash",), "squash"), seed=1)
    text = task_toml(learned.raw, learned.notes)
    samples = tomllib.loads(text)["stdin"]["samples"]
    assert samples and not any("\ufffd" in s for s in samples)
    assert "its own output is not text" in text
