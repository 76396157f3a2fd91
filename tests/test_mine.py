"""Zero-config tasks mined from --help text."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from fuzzdiff.core.errors import ProgramError
from fuzzdiff.core.spec import parse_task
from fuzzdiff.factory.mine import (
    keyword_sentences,
    mine_keywords,
    mine_operands,
    mine_options,
    mine_sentences,
    mine_synopsis,
    mine_task,
    task_toml,
    usage_forms,
)

from .helpers import script_on_path

GNU_HELP = """Usage: frob [OPTION]... [FILE]...
Frobnicate FILEs.

  -b, --bytes=[-]NUM     print the first NUM bytes
  -d, --delimiter=DELIM  use DELIM
  -f, --fields=LIST      select only these fields
      --color[=WHEN]     colorize
  -q, --quiet            never print headers
  -n NUM                 a short option with a value
      --help     display this help and exit
  -q, --quiet            (listed twice: kept once)
"""

BUSYBOX_HELP = """BusyBox v1.35.0 multi-call binary.

Usage: sort [-nru] [-o FILE] [FILE]...

\t-o FILE\tOutput to FILE
\t-n\tSort numbers
"""


def test_gnu_options_and_value_kinds() -> None:
    opts = {str(o.get("long") or o.get("short")): o for o in mine_options(GNU_HELP)}
    assert opts["bytes"]["short"] == "b" and opts["bytes"]["value"]["kind"] == "int"  # type: ignore[index]
    assert opts["delimiter"]["value"]["kind"] == "char"  # type: ignore[index]
    assert opts["fields"]["value"]["kind"] == "list"  # type: ignore[index]
    assert opts["color"]["optional_value"] is True
    assert "value" not in opts["quiet"]
    assert opts["n"]["value"]["kind"] == "int"  # type: ignore[index]
    assert opts["help"]["weight"] == 0.1
    assert [o.get("long") for o in mine_options(GNU_HELP)].count("quiet") == 1


def test_lowercase_and_angled_metavariables_and_spelled_out_values() -> None:
    """pigz's `--blocksize mmm`, look's `--terminate <char>` and xxd's `-c cols` were
    mined as flags (so never given a value); zstd's `--format=zstd`, `--format=gzip`
    lines as one flag; a description after one blank is still no value."""
    help_text = "\n".join(
        [
            "  -b, --blocksize mmm  Set compression block size to mmmK",
            " -t, --terminate <char>   define the string-termination character",
            "    -c cols     format <cols> octets per line",
            "  -m, --match-length=<bytes>     set match length limit in bytes",
            "  --format=zstd                 Compress files to the `.zst` format.",
            "  --format=gzip                 Compress files to the `.gz` format.",
            "  -i, --sequence=files    use intermediate files",
            "      --sequence=pipe     use pipe machinery",
            "  -k, --keep                     keep (don't delete) input files",
            "  -q quiet mode",
        ]
    )
    got = {(o.get("short"), o.get("long")): o.get("value") for o in mine_options(help_text)}
    assert got[("b", "blocksize")] == {"kind": "string", "alphabet": "abcxyz01-_.:", "max_len": 6}
    assert got[("t", "terminate")]["kind"] == "char"  # type: ignore[index]
    assert got[("c", None)]["kind"] == "int"  # type: ignore[index]
    assert got[("m", "match-length")]["kind"] == "int"  # type: ignore[index]
    assert got[(None, "format")] == {"kind": "choice", "values": ["zstd", "gzip"]}
    assert got[(None, "sequence")] == {"kind": "choice", "values": ["files", "pipe"]}
    assert got[("i", None)] is None  # -i means --sequence=files: a flag
    assert got[("k", "keep")] is None and got[("q", None)] is None


def test_tab_indented_busybox_help() -> None:
    opts = {str(o.get("short")): o for o in mine_options(BUSYBOX_HELP)}
    assert set(opts) == {"o", "n"}
    assert opts["o"]["value"]["kind"] == "string"  # type: ignore[index]


def test_operands_from_usage() -> None:
    assert mine_operands(GNU_HELP, "frob")["max"] == 3
    assert "file" in mine_operands("Usage: x [OPTION]... [FILE]", "x")["kinds"]  # type: ignore[operator]
    tr = mine_operands("Usage: x [OPTION]... SET1 [SET2]", "x")
    assert (tr["min"], tr["max"]) == (1, 2)
    assert [slot["kinds"] for slot in tr["slots"]] == [["string"], ["string"]]  # type: ignore[attr-defined]


SEQ_USAGE = """Usage: seq [OPTION]... LAST
  or:  seq [OPTION]... FIRST LAST
  or:  seq [OPTION]... FIRST INCREMENT LAST
Print numbers from FIRST to LAST, in steps of INCREMENT.
"""


def test_operand_counts_and_roles_from_every_usage_form() -> None:
    seq = mine_operands(SEQ_USAGE, "seq")
    assert (seq["min"], seq["max"]) == (1, 3)
    assert all(slot["value"]["kind"] == "int" for slot in seq["slots"])  # type: ignore[attr-defined]
    comm = mine_operands("Usage: comm [OPTION]... FILE1 FILE2\n", "comm")
    assert (comm["min"], comm["max"]) == (2, 2)
    uniq = mine_operands("Usage: uniq [OPTION]... [INPUT [OUTPUT]]\n", "uniq")
    assert (uniq["min"], uniq["max"]) == (0, 2)
    assert [s["kinds"] for s in uniq["slots"]][1] == ["missing"]  # type: ignore[attr-defined]
    csplit = mine_operands("Usage: csplit [OPTION]... FILE PATTERN...\n", "csplit")
    assert csplit["min"] == 2 and csplit["max"] == 4
    assert mine_operands("Usage: x [OPTION]...\n  or:  x OPTION\n", "x") == {"min": 0, "max": 1, "kinds": ["missing"]}


def test_util_linux_usage_forms_give_operands_too() -> None:
    """look's help has its form under a `Usage:` line of its own, with angled and
    lowercase operand words: none was mined, so look never got its string and its
    build was refused as interactive. jq names itself again on indented forms."""
    look = mine_operands("\nUsage:\n look [options] <string> [<file>...]\n\nDisplay lines.\n", "look")
    assert (look["min"], look["max"]) == (1, 4)
    assert [s["kinds"][0] for s in look["slots"]] == ["string", "file"]  # type: ignore[attr-defined]
    assert usage_forms("Usage:\n colrm [startcol [endcol]]\n") == [[("STARTCOL", True, False), ("ENDCOL", True, False)]]
    assert usage_forms("usage: bc [options] [file ...]\n") == [[("FILE", True, True)]]
    jq = "Usage:\tjq [options] <jq filter> [file...]\n\tjq [options] --args <jq filter> [strings...]\n\nmore\n"
    assert [[w for w, _, _ in form] for form in usage_forms(jq)] == [["JQ_FILTER", "FILE"], ["STRINGS"]]
    # not operands: option values, prose in brackets, one-letter suffixes, an indented line of prose
    assert usage_forms("Usage: x [-c <num>] [-s cols]\n") == [[]]
    assert usage_forms("usage: bzip2 [flags and input files in any order]\n") == [[]]
    od = usage_forms("Usage: od [OPTION]... [FILE] [[+]OFFSET[.][b]]\n")
    assert od == [[("FILE", True, False), ("OFFSET", True, False)]]
    assert usage_forms("Usage: x FILE\n  Reads the file.\n") == [[("FILE", False, False)]]


def test_operands_named_for_files_are_files_wherever_the_word_file_stands() -> None:
    """diff3's MYFILE OLDFILE YOURFILE were mined as short strings, never a file."""
    diff3 = mine_operands("Usage: diff3 [OPTION]... MYFILE OLDFILE YOURFILE\n", "diff3")
    assert [s["kinds"][0] for s in diff3["slots"]] == ["file"] * 3  # type: ignore[attr-defined]
    cmp = mine_operands("Usage: cmp [OPTION]... FILE1 [FILE2 [SKIP1 [SKIP2]]]\n", "cmp")
    assert [s["kinds"][0] for s in cmp["slots"]] == ["file", "file", "string", "string"]  # type: ignore[attr-defined]
    out = mine_operands("Usage: x [OPTION]... INFILE OUTFILE\n  or:  x SRCDIR DIRECTORY\n", "x")
    assert [s["kinds"] for s in out["slots"]] == [  # type: ignore[attr-defined]
        ["file", "file", "dash", "missing"],
        ["missing"],
    ]
    dirs = mine_operands("Usage: x SRCDIR TARGET_DIRECTORY\n", "x")
    assert [s["kinds"] for s in dirs["slots"]] == [["dir"], ["dir"]]  # type: ignore[attr-defined]


@pytest.mark.parametrize("program", ["base64", "cut", "head", "uniq", "sort"])
def test_mined_task_files_load(program: str) -> None:
    text = task_toml(mine_task([program]))
    spec = parse_task(tomllib.loads(text), "<test>")
    assert spec.name == program and len(spec.options) >= 5


def test_a_program_on_the_users_path_only_is_named_by_its_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`task init myrev` wrote program = "myrev", which the task's fixed PATH does
    not find: the task file it wrote did not load. The name is made usable too."""
    program = script_on_path(tmp_path / "bin", "my rev!", '#!/bin/sh\nexec rev "$@"\n', monkeypatch)
    raw = mine_task(["my rev!"])
    assert (raw["program"], raw["name"]) == (str(program), "my-rev-")
    assert mine_task(["rev"])["program"] == "rev"  # on the fixed PATH: by its name


def test_program_without_help_is_a_clear_error() -> None:
    with pytest.raises(ProgramError, match="no-such-program"):
        mine_task(["no-such-program-xyz"])


def test_multi_call_binary_is_called_by_its_applet_name() -> None:
    import shutil

    if shutil.which("busybox") is None:
        pytest.skip("busybox is not installed")
    raw = mine_task(["busybox", "sort"])
    assert (raw["name"], raw["program"], raw["argv0"]) == ("sort", "busybox", "sort")
    spec = parse_task(tomllib.loads(task_toml(raw)), "<test>")
    from fuzzdiff.run.program import reference_program

    assert reference_program(spec).argv0 == "sort"


ENUM_HELP = """Usage: frob [OPTION]... [INPUT [OUTPUT]]

      --all[=METHOD]     like -D, but separate groups;
                           METHOD={none(default),prepend,separate}
      --group[=METHOD]   show all items;
                           METHOD={separate(default),prepend,append,both}
  -b, --body=STYLE       use STYLE for the body
  -h, --head=STYLE       use STYLE for the header
      --color[=WHEN]     colorize the output WHEN
  -w, --width=NUM        a number, not a choice

STYLE is one of:

  a      number all lines
  t      number only nonempty lines
  pBRE   number only lines that match the regular expression BRE

The WHEN argument defaults to 'always' and can also be 'auto' or 'never'.
"""


def test_enumerated_values_become_choices() -> None:
    values: dict[object, Any] = {o["long"]: o["value"] for o in mine_options(ENUM_HELP)}
    # each option keeps its own enumeration, even with the same metavariable
    assert values["all"] == {"kind": "choice", "values": ["none", "prepend", "separate"]}
    assert values["group"] == {"kind": "choice", "values": ["separate", "prepend", "append", "both"]}
    # a section and a sentence apply to every option using the metavariable
    assert values["body"] == values["head"] == {"kind": "choice", "values": ["a", "t", "pBRE"]}
    assert values["color"] == {"kind": "choice", "values": ["always", "auto", "never"]}
    assert values["width"]["kind"] == "int"


@pytest.mark.parametrize(
    ("program", "option", "expected"),
    [
        ("uniq", "group", {"separate", "prepend", "append", "both"}),
        ("nl", "body-numbering", {"a", "t", "n"}),
        ("numfmt", "round", {"up", "down", "from-zero", "towards-zero", "nearest"}),
        ("numfmt", "to", {"none", "auto", "si", "iec", "iec-i"}),
        ("grep", "binary-files", {"binary", "text", "without-match"}),
        ("grep", "devices", {"read", "skip"}),
        ("diff", "color", {"never", "always", "auto"}),
    ],
)
def test_real_help_texts_give_their_choices(program: str, option: str, expected: set[str]) -> None:
    mined: Any = mine_task([program])["options"]
    value = {o.get("long"): o for o in mined}[option]["value"]
    assert value["kind"] == "choice" and expected <= set(value["values"])


LISTED_HELP = """Usage: conv [OPTION]... [NUMBER]...
      --from=UNIT      auto-scale input numbers to UNITs; see UNIT below
      --invalid=MODE   failure mode for invalid numbers: MODE can be:
                         abort (default), fail, warn, ignore
      --round=METHOD   round; METHOD can be: up, down,
                         nearest
      --pad=N          a number, not a choice

UNIT options:
  none       no auto-scaling is done
  auto       accept optional single/two letter suffix:
               1K = 1000,
               1Ki = 1024,
  iec-i      accept optional two-letter suffix:
               1Ki = 1024,

Other text.
"""


def test_listed_values_and_options_sections_become_choices() -> None:
    """numfmt's `MODE can be:` lists (on the next lines) and its `UNIT options:`
    section (values with indented descriptions below them) were not mined: no probe
    found a value --round, --invalid or --from accept, and its built task's cases
    were accepted a quarter of the time."""
    values: dict[object, Any] = {o["long"]: o["value"] for o in mine_options(LISTED_HELP)}
    assert values["invalid"] == {"kind": "choice", "values": ["abort", "fail", "warn", "ignore"]}
    assert values["round"] == {"kind": "choice", "values": ["up", "down", "nearest"]}
    assert values["from"] == {"kind": "choice", "values": ["none", "auto", "iec-i"]}
    assert values["pad"]["kind"] == "int"


QUOTED_HELP = """Usage: find [OPTION]... PATTERNS [FILE]...
      --binary-files=TYPE   assume that binary files are TYPE;
                            TYPE is 'binary', 'text', or 'without-match'
  -d, --directories=ACTION  how to handle directories;
                            ACTION is 'read', 'recurse', or 'skip'
  -D, --devices=ACTION      how to handle devices, FIFOs and sockets;
                            ACTION is 'read' or 'skip'
      --color[=WHEN]        color output; WHEN is 'never', 'always', or 'auto';
      --label=LABEL         a word, not a choice

When FILE is '-', read standard input.
"""


def test_values_quoted_in_a_sentence_become_choices() -> None:
    """grep's `TYPE is 'binary', 'text', or 'without-match'` was not mined: no ladder
    value is one of them, so probing found --binary-files, --directories and
    --devices refused on every call and drew them a quarter as often as the others."""
    values: dict[object, Any] = {o["long"]: o["value"] for o in mine_options(QUOTED_HELP)}
    assert values["binary-files"] == {"kind": "choice", "values": ["binary", "text", "without-match"]}
    # one metavariable, two enumerations: each option keeps the one on its own lines
    assert values["directories"] == {"kind": "choice", "values": ["read", "recurse", "skip"]}
    assert values["devices"] == {"kind": "choice", "values": ["read", "skip"]}
    # on the option's own line; a single quoted word ('-') is no enumeration
    assert values["color"] == {"kind": "choice", "values": ["never", "always", "auto"]}
    assert values["label"]["kind"] == "string"


CALC_HELP = """Usage: calc EXPRESSION
  or:  calc OPTION

      --help        display this help and exit

Print the value of EXPRESSION.  A blank line separates groups.  EXPRESSION may be:

  ARG1 + ARG2       arithmetic sum of ARG1 and ARG2
  ARG1 < ARG2       ARG1 is less than ARG2
  STRING : REGEXP   anchored pattern match of REGEXP in STRING
  length STRING     length of STRING
  -n STRING         an option's line, not a form
  ( EXPRESSION )    value of EXPRESSION
  FILE1 FILE2       two placeholders and no operator: not a form
  in short, see the manual for what this means.  Prose is not a form either.
"""


def test_syntax_forms_in_help_become_operand_sentences() -> None:
    sentences = mine_sentences(CALC_HELP)
    forms = {tuple("X" if w not in ("+", "<", ":", "length", "(", ")") else w for w in s) for s in sentences}
    assert forms == {("X", "+", "X"), ("X", "<", "X"), ("X", ":", "X"), ("length", "X"), ("(", "X", ")")}
    # each form written out four ways, numbers falling and rising among them
    assert ["3", "+", "2"] in sentences and ["2", "+", "3"] in sentences
    assert ["abc", ":", "a.*"] in sentences or ["3", ":", "a.*"] in sentences
    raw = {"name": "calc", "program": "calc", "options": [], "operands": {"min": 1, "max": 1, "sentences": sentences}}
    assert parse_task(raw).operands.sentences == tuple(tuple(s) for s in sentences)


def test_a_help_text_with_few_forms_gives_no_sentences() -> None:
    # two forms are as likely to be prose or an odd option list as a grammar
    text = "Usage: t X\n\n  ARG1 + ARG2   sum\n  length STRING   length\n"
    assert mine_sentences(text) == []
    assert mine_sentences("Usage: cat [FILE]...\n\n  -n, --number   number lines\n") == []


def test_an_optional_value_belongs_to_the_long_spelling_only() -> None:
    """``-F, --classify[=WHEN]``: ``-Fnever`` is ``-F -n -e -v -e -r`` to getopt."""
    options = mine_options("Usage: ls [OPTION]...\n  -F, --classify[=WHEN]   append indicator\n")
    assert options == [{"short": "F"}, {"long": "classify", "value": options[1]["value"], "optional_value": True}]


def test_fixed_arguments_that_refuse_help_fall_back_to_the_programs_own_help() -> None:
    # `fold -w --help` takes --help as the width and fails: no option was mined
    raw = mine_task(["fold", "-w"])
    options = raw["options"]
    assert isinstance(options, list)
    assert {o.get("long") for o in options} >= {"bytes", "spaces", "width"}
    assert raw["args"] == ["-w"]


def test_keyword_lists_under_a_heading_are_mined_as_operations() -> None:
    """`datamash [OPTION] op [fld]` names its operations only in comma lists under
    headings: the build found no operand the program accepts and refused it."""
    text = (
        "Usage: tally [OPTION] op [fld] [op fld ...]\n\n"
        "Whole-input operations:\n"
        "  flip, undo,\n"
        "  verify\n"
        "Column operations:\n"
        "  total, least, most\n\n"
        "Options:\n"
        "  -s, --sort      sort first, then group: a, b, c\n"
        "  none, off       never (a value list with its meaning is not a keyword line)\n"
    )
    assert mine_keywords(text) == ["flip", "undo", "verify", "total", "least", "most"]
    assert ["total", "1"] in keyword_sentences(mine_keywords(text))
    assert mine_keywords("Usage: x [FILE]\n\nValues:\n  a, b\n") == []  # fewer than three
    assert mine_keywords("Usage: x [FILE]\n  one, two, three\n") == []  # under no heading


def test_a_bsd_usage_synopsis_gives_options_where_no_line_lists_one() -> None:
    """figlet and rs list their options only in a synopsis: their tasks had none, so a
    candidate ignoring every option scored 1.0."""
    text = (
        "figlet: invalid option -- '-'\n"
        "Usage: figlet [ -cklnoprstvxDELNRSWX ] [ -d fontdirectory ]\n"
        "              [ -f fontfile ] [ -m smushmode ] [ -w outputwidth ]\n"
        "              [ -C controlfile ] [ -I infocode ] [ message ]\n"
    )
    got = {o["short"]: o.get("value") for o in mine_synopsis(text)}
    assert set("cklnoprstvxDELNRSWXdfmwCI") == set(got)
    assert got["c"] is None and got["d"] is not None and got["w"] is not None
    rs = {o["short"]: o.get("value") for o in mine_synopsis("usage: rs [-CcSs[x]] [-GgKkw N] [rows [cols]]\n")}
    assert rs["C"] is None and rs["G"]["kind"] == "int" and rs["w"]["kind"] == "int"  # type: ignore[index]
    assert mine_options(text) == []  # the lines-of-their-own miner finds none, so the synopsis is read
    assert mine_synopsis("Usage: frob [OPTION]... [FILE]...\n") == []
    errno = mine_synopsis("Usage: errno [-lsS] [--list] [--search] [--width=N] [keyword]\n")
    assert [o.get("long") or o.get("short") for o in errno] == ["list", "search", "width", "l", "s", "S"]
    assert errno[2]["value"]["kind"] == "int"  # type: ignore[index]
