"""The edge sweep: every option at each of its known edges, once, from the spec alone."""

from __future__ import annotations

from fuzzdiff.core import codepoints
from fuzzdiff.core.edges import (
    BYTE_TABLE,
    CLUSTER,
    EXTRA_OPERANDS,
    LONG_INPUT,
    LONG_NAMES,
    MANY_ARGUMENTS,
    MANY_NAME,
    PUNCTUATION,
    QUOTED_TAIL,
    SPOILER,
    Rung,
    edge_case,
    edge_cases,
    edge_rungs,
    int_edges,
    numeric_values,
    operand_kinds,
    partner,
    shape,
    spoilt_strings,
    string_edges,
    value_edges,
)
from fuzzdiff.core.generate import (
    DIR_NAMES,
    EDGE_BYTES,
    FILE_NAMES,
    MISSING_NAMES,
    NAME_BYTES,
    NAME_CLASSES,
    grammar_for,
)
from fuzzdiff.core.model import Case
from fuzzdiff.core.spec import ValueSpec, load_task, parse_task

SPEC = parse_task(
    {
        "name": "edgy",
        "program": "head",
        "options": [
            {"short": "n", "long": "lines", "value": {"kind": "int", "min": 0, "max": 9, "suffixes": ["", "K", "E"]}},
            {"short": "m", "long": "mode", "value": {"kind": "choice", "values": ["fast", "slow"]}},
            {"short": "q", "long": "quiet"},
            {"long": "check-only", "requires": ["quiet"]},
            {"long": "never", "weight": 0},
        ],
        "operands": {"min": 0, "max": 2},
    }
)


def test_same_seed_same_sweep_and_each_case_once() -> None:
    first = list(edge_cases(SPEC, 3))
    assert first == list(edge_cases(SPEC, 3))
    assert len({c.key() for c in first}) == len(first)
    assert first != list(edge_cases(SPEC, 4))  # the inputs around the edges are drawn per seed


def test_every_drawn_option_comes_first_and_weight_zero_never() -> None:
    cases = list(edge_cases(SPEC, 1))
    firsts = [c.argv for c in cases[:4]]
    assert firsts[0][-1] == b"-n" and firsts[1][-1] == b"-m"  # a value left off the very end
    assert any(c.argv[-1:] == (b"--lines",) for c in cases)  # and in its long spelling
    assert b"--quiet" in firsts[2] and b"--check-only" in firsts[3]
    assert not any(b"--never" in c.argv for c in cases)


def values_of(argv: tuple[bytes, ...], short: bytes, long: bytes) -> list[bytes]:
    """The values ``argv`` gives the option, in any spelling; ``None`` for one left off the end."""
    found = []
    for i, t in enumerate(argv):
        if t.startswith(long + b"="):
            found.append(t[len(long) + 1 :])
        elif t in (short, long) and i + 1 < len(argv):
            found.append(argv[i + 1])
    return found


def test_a_value_left_off_the_end_comes_after_more_than_256_words() -> None:
    cases = list(edge_cases(SPEC, 1))
    for spelling in (b"--lines", b"-n"):
        trailing = [c for c in cases if c.argv[-1:] == (spelling,)]
        assert trailing, spelling
        assert all(c.argv.count(MANY_NAME) >= MANY_ARGUMENTS > 256 and (MANY_NAME, b"") in c.files for c in trailing)
    one_spelling = parse_task(
        {"name": "one", "program": "head", "options": [{"long": "lines", "value": {"kind": "int"}}]}
    )
    plain = [c for c in edge_cases(one_spelling, 1) if c.argv[-1:] == (b"--lines",)]
    assert plain and all(len(c.argv) < 20 for c in plain)  # an option's only spelling keeps the plain case


def test_valued_options_meet_their_edges() -> None:
    argvs = [c.argv for c in edge_cases(SPEC, 1)]
    lines = {v for argv in argvs for v in values_of(argv, b"-n", b"--lines")}
    for n in (2**31, 2**32 - 1, 2**63, 2**64, -(2**63) - 1, 10, -1):
        assert str(n).encode() in lines, n
    assert {b"9E", b"-9E", b"9K", b"-9K", b"", b"\t", b"\x01"} <= lines  # suffixes on large numbers, blanks
    assert any(v.startswith(b" ") for v in lines) and any(v.endswith(b"x") for v in lines)  # valid ones spoilt
    assert any(v[:1].isdigit() and v.endswith(QUOTED_TAIL.encode()) for v in lines)  # and given bytes to quote
    modes = {v for argv in argvs for v in values_of(argv, b"-m", b"--mode")}
    assert {b"fast", b"slow", b"fastx", b"fa", b"sl"} <= modes  # each value, a prefix of it and one spoilt
    assert {b"+fast", b"+slow"} & modes and any(v[:1] == b"+" and v[1:2].isdigit() for v in lines)  # a plus sign


def test_flags_are_given_a_value_a_long_input_and_a_cluster_past_256() -> None:
    cases = list(edge_cases(SPEC, 1))
    assert any(c.argv == (b"--quiet=x",) for c in cases)
    assert any(c.argv == (b"-" + b"q" * CLUSTER,) for c in cases) and CLUSTER > 256
    long = [c for c in cases if len(c.stdin) == LONG_INPUT]
    assert any(c.argv == (b"--quiet",) for c in long)
    flags = [c for c in long if not values_of(c.argv, b"-m", b"--mode")]
    assert all(t.startswith(b"-") and b"=" not in t for c in flags for t in c.argv)  # else flags only, no values


def test_each_enumerated_value_is_a_mode_tried_on_a_long_input() -> None:
    long = [c.argv for c in edge_cases(SPEC, 1) if len(c.stdin) == LONG_INPUT]
    modes = [v for argv in long for v in values_of(argv, b"-m", b"--mode")]
    assert sorted(modes) == [b"fast", b"slow"]  # each once, as it is (never a prefix or spoilt)
    assert not any(values_of(argv, b"-n", b"--lines") for argv in long)  # numbers are not modes


def test_an_option_comes_with_what_it_requires() -> None:
    md5sum = load_task("md5sum")
    grammar = grammar_for(md5sum)
    rungs = [(n, r) for n, r in enumerate(edge_rungs(md5sum, 1)) if isinstance(r, Rung) and r.option.long == "quiet"]
    quiet = [edge_case(grammar, r, 1, n) for n, r in rungs]
    assert quiet and all(b"-c" in c.argv or any(t.startswith(b"--check") for t in c.argv) for c in quiet)


def test_an_option_and_a_mode_come_with_the_value_they_need() -> None:
    """cksum's -l is refused under any algorithm but blake2b: its own rungs, and
    the heaviest flag's near-misses under each -l value, give `-a blake2b`."""
    cksum = load_task("cksum")
    assert "algorithm=blake2b" in next(o for o in cksum.options if o.short == "l").requires
    grammar = grammar_for(cksum)
    cases = [edge_case(grammar, r, 1, n) for n, r in enumerate(edge_rungs(cksum, 1)) if isinstance(r, Rung)]
    with_l = [c for c in cases if any(a.startswith((b"-l", b"--length")) for a in c.argv)]
    checks = [c for c in with_l if b"--check" in c.argv]
    assert len(checks) >= 5 and len(with_l) > len(checks)
    for case in with_l:
        spelt = b" ".join(case.argv)
        assert any(f in spelt for f in (b"-a blake2b", b"-ablake2b", b"--algorithm=blake2b", b"--algorithm blake2b"))


def test_a_mode_that_needs_an_option_at_no_value_leaves_the_sweep_as_it_was() -> None:
    """Only a mode that needs another option at one value brings it to the heaviest
    flag's near-misses: a plain `requires` keeps the draws of the sweep as before."""
    options: list[dict[str, object]] = [
        {"short": "c", "long": "check", "weight": 3.0},
        {"short": "z"},
        {"short": "a", "value": {"kind": "choice", "values": ["md5", "sha1"]}},
    ]
    base: dict[str, object] = {
        "name": "digest",
        "program": "cksum",
        "options": options,
        "stdin": {"models": ["samples"], "samples": ["MD5 (a) = 00\n"]},
    }
    plain = parse_task(base)
    with_need = parse_task({**base, "options": [*options[:2], {**options[2], "requires": ["z"]}]})
    modes = [r for r in edge_rungs(with_need, 1) if isinstance(r, Rung) and r.beside]
    assert modes
    grammar, grammar_plain = grammar_for(with_need), grammar_for(plain)
    for n, rung in enumerate(edge_rungs(with_need, 1)):
        if isinstance(rung, Rung) and rung.beside:
            assert edge_case(grammar, rung, 1, n).argv == edge_case(grammar_plain, rung, 1, n).argv


def test_a_flag_is_tried_on_a_long_input_of_each_model() -> None:
    spec = parse_task(
        {
            "name": "models",
            "program": "cat",
            "options": [{"short": "q", "long": "quiet"}],
            "stdin": {"models": ["empty", "alphabet", "sample"], "alphabet": "ab", "samples": ["MD5 (a) = 00\n"]},
        }
    )
    models = [r.long_model for r in edge_rungs(spec, 3) if isinstance(r, Rung) and r.long_model is not None]
    assert sorted(models) == ["", "alphabet", "near-misses", "sample"]  # any model, each, the samples' near-misses
    long = [c.stdin for c in edge_cases(spec, 3) if len(c.stdin) == LONG_INPUT]
    assert len(long) == 4
    assert any(set(data) <= set(b"ab") for data in long)  # the alphabet's
    assert any(data.startswith(b"MD5 (a) = 00\nMD5 (a) = 00\n") for data in long)  # the sample's, repeated
    whole = LONG_INPUT // len(b"MD5 (a) = 00\n")  # copies in the sample repeated unchanged
    near = [data for data in long if 0 < data.count(b"MD5 (a) = 00\n") < 0.8 * whole]
    assert len(near) == 1  # the sample, each copy changed one time in two
    lines = near[0].split(b"\n")
    assert 0.3 < lines.count(b"MD5 (a) = 00") / len(lines) < 0.7


def test_the_heaviest_flag_meets_the_near_misses_under_each_enumerated_value() -> None:
    options = [
        {"short": "q", "long": "quiet"},
        {"short": "c", "long": "check", "weight": 3.0},
        {"short": "a", "long": "algorithm", "value": {"kind": "choice", "values": ["md5", "sha1"]}},
    ]
    samples = {"models": ["sample"], "samples": ["MD5 (a) = 00\n"]}
    spec = parse_task({"name": "moded", "program": "cksum", "options": options, "stdin": samples})
    long = [c for c in edge_cases(spec, 3) if len(c.stdin) == LONG_INPUT]
    moded = {c.argv[c.argv.index(b"--check") + 1 :] for c in long if b"--check" in c.argv}
    assert {(b"-a", b"md5"), (b"--algorithm=sha1",)} <= moded  # each value once, its spelling alternating
    assert not any(b"--quiet" in c.argv and c.argv[-1:] == (b"md5",) for c in long)  # the heaviest flag only
    plain = parse_task({"name": "plain", "program": "cat", "options": options})
    assert not any(len(c.stdin) == LONG_INPUT and len(c.argv) > 2 for c in edge_cases(plain, 3))  # no samples, none


def test_int_edges_cover_both_signs_of_each_width() -> None:
    edges = int_edges(ValueSpec(kind="int", min=-5, max=5, suffixes=("", "b")))
    for n in (2**31, 2**32, 2**63, 2**64, 2**63 - 1, -(2**63), -(2**63) - 1, -6, 6):
        assert str(n) in edges
    assert "9b" in edges and "-9b" in edges and "9" not in edges


def test_numbers_listed_as_choices_meet_the_integer_edges() -> None:
    """cksum's `-l` lists 0, 8, ..., 512 and a spoilt `x`: its parser takes a number,
    and a port that overflows at 2^64 - 2 or 2^63 (`UINTMAX` one off) passed."""
    import random

    from fuzzdiff.core.generate import RandomChoices

    listed = ValueSpec(kind="choice", values=("0", "8", "128", "256", "256", "512", "520", "12", "-8", "x"))
    assert numeric_values(listed.values) == [-8, 0, 8, 12, 128, 256, 512, 520]
    edges = value_edges(RandomChoices(random.Random(1)), listed)
    for n in (2**63, 2**64 - 1, 2**64, -(2**63) - 1, 521, -9):
        assert str(n) in edges, n
    words = ValueSpec(kind="choice", values=("fast", "slow", "1", "2"))  # half numbers: not a number
    assert numeric_values(words.values) == []
    assert str(2**63) not in value_edges(RandomChoices(random.Random(1)), words)


def test_hostile_names_and_input_edges_each_come_once() -> None:
    cases = list(edge_cases(SPEC, 1))  # operands of the default kinds: file, dash, missing
    for name in MISSING_NAMES:
        assert any(c.argv[:1] == (name,) and name not in dict(c.files) for c in cases), name
    for name in FILE_NAMES:
        shown = b"./" + name if name.startswith(b"-") else name
        assert any(c.argv[:1] == (shown,) and name in dict(c.files) for c in cases), name
    for edge in EDGE_BYTES:
        assert any(c.stdin.endswith(edge) for c in cases), edge
    missing = [c.argv[0] for c in cases if c.argv and c.argv[0] not in dict(c.files)]
    for byte in PUNCTUATION:  # each alone in a missing file's name (letters around it at most)
        assert any(bytes(b for b in name if not chr(b).isalnum()) == bytes([byte]) for name in missing), byte
    for byte in set(NAME_BYTES) - set(PUNCTUATION):  # each other quoting byte in one
        assert any(byte in name for name in missing), byte
    for cls in NAME_CLASSES:  # a name with a byte of each quoting class inside an existing file's name
        inside = [
            c for c in cases if c.argv and len(c.argv[0]) == 3 and c.argv[0][::2] == b"ab" and c.argv[0][1] in cls
        ]
        assert any(c.argv[0] in dict(c.files) for c in inside), cls
    no_files = parse_task({"name": "n", "program": "cat", "operands": {"min": 0, "max": 0}})
    names = set(MISSING_NAMES) | set(FILE_NAMES)
    assert not any(names & set(c.argv) for c in edge_cases(no_files, 1))


def test_listed_operand_strings_come_first_as_they_are_and_one_digit_longer() -> None:
    assert string_edges(("-2c", "-z", "-12")) == ["-2c", "-22c", "-z", "-12", "-122"]
    head = load_task("head")  # the obsolete -NUM[bcklqv] count is a listed operand string
    first = {c.argv[0] for c in edge_cases(head, 1) if c.argv}
    assert {b"-2c", b"-22c", b"-12", b"-122"} <= first


SETS = ("a-z", "A-Z", "0-9", "[:upper:]", "[:lower:]", "[:space:]", "[a*3]", "[b*010]", "\\n", "\\t")


def test_a_listed_string_is_paired_with_the_most_alike_of_its_shape() -> None:
    assert shape("[:upper:]") == shape("[:lower:]") == "[:a:]" and shape("[b*010]") == "[a*0]"
    assert partner("[:upper:]", SETS) == "[:lower:]" and partner("[:lower:]", SETS) == "[:upper:]"
    assert partner("a-z", SETS) == "A-Z" and partner("[a*3]", SETS) == "[b*010]" and partner("\\n", SETS) == "\\t"
    assert partner("0-9", SETS) is None  # no other digit range


def test_listed_strings_meet_their_partner_and_drawn_options_on_every_byte() -> None:
    two = parse_task(
        {
            "name": "sets",
            "program": "tr",
            "options": [{"short": "d", "long": "delete"}, {"short": "s", "long": "squeeze-repeats"}],
            "operands": {"min": 0, "max": 2, "kinds": ["string"], "strings": list(SETS)},
        }
    )
    cases = list(edge_cases(two, 1))
    table = [c for c in cases if c.stdin == BYTE_TABLE]
    assert set(BYTE_TABLE) == set(range(256))
    assert any(c.argv == (b"[:upper:]", b"[:lower:]") for c in table)
    assert any(c.argv == (b"a-z", b"A-Z") for c in table)
    with_options = [c for c in table if c.argv[0].startswith(b"-") and c.argv[-1].decode() in SETS]
    assert with_options  # options drawn as a case draws them, before the listed string
    assert {c.argv[0] for c in cases if c.argv} >= {s.encode() for s in SETS}  # each still alone, as before
    one = parse_task(
        {
            **{"name": "one", "program": "tr"},
            "operands": {"min": 0, "max": 1, "kinds": ["string"], "strings": list(SETS)},
        }
    )
    assert not any(len(c.argv) == 2 and c.stdin == BYTE_TABLE for c in edge_cases(one, 1))  # no second operand, no pair
    # where operands are files too, the listed strings are a side matter (head's -2c): no such rungs
    assert not any(c.stdin == BYTE_TABLE for c in edge_cases(load_task("head"), 1))


def test_two_operands_that_quoting_writes_apart_follow_one_drawn_operand() -> None:
    for spec in (SPEC, load_task("tr")):
        cases = list(edge_cases(spec, 1))
        for pair in EXTRA_OPERANDS:
            extra = [c for c in cases if c.argv[-2:] == pair]
            assert extra, (spec.name, pair)
            assert all(len(c.argv) == 3 and not set(pair) & set(dict(c.files)) for c in extra)
    no_operands = parse_task({"name": "n", "program": "cat", "operands": {"min": 0, "max": 0}})
    assert not any(c.argv[-2:] in EXTRA_OPERANDS for c in edge_cases(no_operands, 1))


def test_one_listed_string_of_each_shape_is_spoilt_by_a_control_byte_in_its_middle() -> None:
    assert spoilt_strings(SETS) == ["a\x01-z", "0\x01-9", "[:up\x01per:]", "[a\x01*3]", "\\\x01n"]
    assert all(SPOILER in text for text in spoilt_strings(SETS))
    tr = load_task("tr")
    first = {c.argv[0] for c in edge_cases(tr, 1) if c.argv}
    assert {s.encode() for s in spoilt_strings(tr.operands.strings)} <= first


def test_an_option_whose_value_names_a_path_is_tried_with_each_name_made() -> None:
    """``grep -f FILE``: each name of the pool as an existing file, a directory in
    its place, and spoilt names that exist as nothing; ``cp -t DIR`` likewise."""
    spec = parse_task(
        {
            "name": "paths",
            "program": "grep",
            "options": [
                {"short": "f", "long": "file", "value": {"kind": "file"}},
                {"short": "t", "long": "target", "value": {"kind": "dir"}},
            ],
            "operands": {"min": 1, "max": 1, "kinds": ["file"]},
        }
    )
    grammar = grammar_for(spec)
    rungs = [r for r in edge_rungs(spec, 1) if isinstance(r, Rung) and r.option.short == "f"]
    made = {name: v.kind for r in rungs for name, v in r.made}
    assert made == {**dict.fromkeys(FILE_NAMES, "file"), b"d": "dir"}
    for place, rung in enumerate(rungs):
        case = edge_case(grammar, rung, 1, place)
        files = {n for n, _ in case.files}
        for name, v in rung.made:
            assert (name in files) if v.kind == "file" else (name + b"/f" in files), (rung, case)
        if not rung.made and not rung.trailing:  # a spoilt or plain edge names nothing the case made
            value = rung.tokens[-1].split("=", 1)[-1].encode("utf-8", "surrogateescape")
            assert value not in files and value + b"/f" not in files, (rung, case)
    dirs = {name for r in edge_rungs(spec, 1) if isinstance(r, Rung) and r.option.short == "t" for name, _ in r.made}
    assert dirs == {*DIR_NAMES, FILE_NAMES[0]}


def test_in_a_utf8_locale_each_flag_meets_every_code_point_where_a_table_changes() -> None:
    def task(env: dict[str, str], operands: dict[str, object]) -> list[Case]:
        raw = {"name": "w", "program": "wc", "options": [{"short": "L"}, {"short": "m"}], "operands": operands}
        return list(edge_cases(parse_task({**raw, "env": env}), 1))

    many = {"min": 0, "max": 3, "kinds": ["file", "missing"]}
    sweep = task({"LC_ALL": "C.UTF-8"}, many)
    each = [c for c in sweep if len(c.files) >= len(codepoints.inputs())]
    assert sorted(c.argv[0] for c in each) == [b"-L", b"-m"]
    files = dict(each[0].files)
    # a range's first code point and the one before it, in a file of its own and named
    for point in (0x4DBF, 0x4DC0, 0xD7AF, 0xD7B0, 0x110BD, 0x10FFFF):
        assert files[f"U+{point:04X}".encode()] == chr(point).encode() + b"\n"
        assert f"U+{point:04X}".encode() in each[0].argv
    assert files[b"U+D800"] == b"\xed\xa0\x80\n"  # a surrogate, which no decoder takes
    # and the byte sequences at the edges of UTF-8's forms: past U+10FFFF and broken, an overlong NUL
    assert files[b"B+F49080C0"] == b"\xf4\x90\x80\xc0\n" and files[b"B+C080"] == b"\xc0\x80\n"
    assert all(c.stdin == b"" for c in each)  # what a report shows first is what was read
    # one input, a code point a line, where the task takes no more than one file
    lines = [c for c in task({"LC_ALL": "en_US.utf8"}, {"max": 1}) if c.stdin == codepoints.lines()]
    assert sorted(c.argv[0] for c in lines) == [b"-L", b"-m"]
    # and in the file a required operand names, since the program then never reads stdin
    needed = [c for c in task({"LC_ALL": "C.UTF-8"}, {"min": 1, "max": 1, "kinds": ["file"]}) if len(c.argv) == 2]
    named = [c for c in needed if dict(c.files).get(c.argv[1]) == codepoints.lines()]
    assert sorted(c.argv[0] for c in named) == [b"-L", b"-m"]
    assert not [c for c in task({"LC_ALL": "C", "LANG": "C.UTF-8"}, many) if len(c.files) > 100]


def test_the_locale_is_read_as_the_c_library_reads_it() -> None:
    assert codepoints.utf8_locale({"LC_ALL": "C.UTF-8", "LANG": "C"})
    assert codepoints.utf8_locale({"LC_ALL": "", "LC_CTYPE": "de_DE.utf8"})
    assert not codepoints.utf8_locale({"LC_ALL": "C", "LC_CTYPE": "C.UTF-8"})
    assert not codepoints.utf8_locale({})


def test_the_decoder_edges_reach_each_end_of_each_byte_range_of_utf8() -> None:
    edges = set(codepoints.decoder_edges())
    for valid in (b"\xc2\x80", b"\xdf\xbf", b"\xe0\xa0\x80", b"\xed\x9f\xbf", b"\xf0\x90\x80\x80", b"\xf4\x8f\xbf\xbf"):
        valid.decode()  # the first and last character of a form
        assert valid in edges
    # an overlong form, a surrogate, past U+10FFFF, a broken tail, cut short, a lead that never starts one
    broken = (b"\xe0\x9f\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe1\x80\x7f", b"\xf0\x90", b"\xf5\x80\x80\x80")
    assert set(broken) <= edges


def test_standard_input_and_a_file_are_each_named_twice_after_drawn_options() -> None:
    sweep = list(edge_cases(SPEC, 1))
    long_names = sum(kind in operand_kinds(SPEC) for kind, _ in LONG_NAMES)
    twice = sweep[-4 - long_names : len(sweep) - long_names]  # after the interleaved ladders, before the long names
    assert [c.argv[-2:] for c in twice] == [(b"-", b"-"), (b"a", b"a")] * 2  # each twice, the options drawn anew
    assert all(c.stdin for c in twice) and all(dict(c.files).get(b"a") for c in twice if c.argv[-1] == b"a")
    one = parse_task({"name": "one", "program": "head", "operands": {"max": 1, "kinds": ["file", "dash"]}})
    assert not [c for c in edge_cases(one, 1) if c.argv[-2:] == (b"-", b"-")]


def test_names_at_the_file_systems_limit_come_last() -> None:
    """An existing file named by 255 bytes, and an operand of 256 that no file can
    have: a stranger's wc wrapper wrong only on names past 200 bytes passed 1,000
    cases, since generated names are a few bytes long."""
    spec = parse_task({"name": "w", "program": "wc", "operands": {"max": 2, "kinds": ["file", "missing"]}})
    *_, existing, too_long = edge_cases(spec, 1)
    assert existing.argv[-1] == b"n" * 255 and dict(existing.files).get(b"n" * 255) is not None
    assert too_long.argv[-1] == b"n" * 256 and b"n" * 256 not in dict(too_long.files)
    only_stdin = parse_task({"name": "s", "program": "wc", "operands": {"max": 1, "kinds": ["dash"]}})
    assert not [c for c in edge_cases(only_stdin, 1) if any(len(a) >= 255 for a in c.argv)]
