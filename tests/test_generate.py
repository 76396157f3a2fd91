"""Generation: deterministic per seed, structured, and covering malformed inputs."""

from __future__ import annotations

import random
import re
import subprocess
import sys

import pytest

from fuzzdiff.core.errors import SpecError
from fuzzdiff.core.generate import (
    BAD_NUMBERS,
    FILE_NAMES,
    MISSING_NAMES,
    NAME_BYTES,
    OVERFLOW_EDGES,
    VALUE_NEAR_MISS,
    RandomChoices,
    content,
    edit_token,
    generate_batch,
    generate_cases,
    grammar_for,
)
from fuzzdiff.core.model import Case
from fuzzdiff.core.mutate import OptionReader
from fuzzdiff.core.spec import TaskSpec, load_task, parse_task


def test_same_seed_same_cases(spec: TaskSpec) -> None:
    assert list(generate_cases(spec, 5, 300)) == list(generate_cases(spec, 5, 300))


def test_different_seeds_differ(spec: TaskSpec) -> None:
    assert list(generate_cases(spec, 1, 100)) != list(generate_cases(spec, 2, 100))


def test_budget_is_respected_and_cases_are_distinct(spec: TaskSpec) -> None:
    cases = list(generate_cases(spec, 3, 500))
    assert len(cases) == 500
    assert len({c.key() for c in cases}) == 500


def test_prefix_stability(spec: TaskSpec) -> None:
    """A bigger budget extends the same sequence: budgets never change earlier cases."""
    small = list(generate_cases(spec, 9, 100))
    large = list(generate_cases(spec, 9, 400))
    assert large[:100] == small


def test_file_operands_have_files(spec: TaskSpec) -> None:
    for case in generate_cases(spec, 4, 300):
        names = {n for n, _ in case.files}
        for name in names:
            assert (
                name in case.argv or b"./" + name in case.argv or any(n.startswith(name.split(b"/")[0]) for n in names)
            )


def test_structure_is_exercised(spec: TaskSpec) -> None:
    cases = list(generate_cases(spec, 11, 1000))
    argv = [a for c in cases for a in c.argv]
    assert b"-a" in argv and b"--alpha" in argv
    assert any(a.startswith(b"--number=") for a in argv)
    assert any(a.startswith(b"-n") and len(a) > 2 for a in argv)  # -n5 spelling
    assert b"-" in argv and b"--" in argv
    assert any(a in (b"-q", b"-z", b"--bogus", b"--no-such-option") for a in argv)  # malformed share
    assert any(b"\n" in n or b" " in n for c in cases for n, _ in c.files)  # hostile names
    assert any(c.stdin == b"" for c in cases) and any(len(c.stdin) > 20 for c in cases)


def test_seed_is_independent_of_loaded_modules() -> None:
    """Hypothesis harvests constants from loaded local modules; generation must not depend on that."""
    code = (
        "import sys\n"
        "if sys.argv[1] == 'extra':\n"
        "    import fuzzdiff.cli, json, email, csv\n"
        "from fuzzdiff.core.spec import load_task\n"
        "from fuzzdiff.core.generate import generate_cases\n"
        "print(''.join(c.key() for c in generate_cases(load_task('base64'), 7, 300)))\n"
    )
    outs = {
        subprocess.run([sys.executable, "-c", code, mode], capture_output=True, check=True, cwd=cwd).stdout
        for mode, cwd in (("plain", "/"), ("extra", None))
    }
    assert len(outs) == 1


def test_batch_is_deterministic() -> None:
    spec = load_task("base64")
    a: list[Case] = list(generate_batch(spec, 123, 50))
    assert a == list(generate_batch(spec, 123, 50))


def test_one_of_and_requires_make_most_cases_valid() -> None:
    from fuzzdiff.core.spec import parse_task

    spec = parse_task(
        {
            "name": "cutlike",
            "program": "cut",
            "options": [
                {"short": "b", "value": {"kind": "list"}},
                {"short": "c", "value": {"kind": "list"}},
                {"short": "f", "value": {"kind": "list"}},
                {"short": "s", "requires": ["f"]},
            ],
            "generate": {"one_of": [["b", "c", "f"]], "malformed": 0.0},
        }
    )
    cases = list(generate_cases(spec, 5, 400))

    def count(case: Case, letter: str) -> int:
        return sum(1 for a in case.argv if a.startswith(b"-" + letter.encode()))

    valid = [c for c in cases if sum(count(c, x) for x in "bcf") == 1]
    assert len(valid) > 0.7 * len(cases)
    assert any(sum(count(c, x) for x in "bcf") != 1 for c in cases)  # errors stay covered
    with_s = [c for c in cases if count(c, "s")]
    assert with_s and sum(1 for c in with_s if count(c, "f")) > 0.7 * len(with_s)


def test_an_option_that_needs_another_at_one_value_gets_it_at_that_value() -> None:
    """`cksum -l` is refused under every algorithm but blake2b: a case that draws
    it gives `-a blake2b` most of the time, replacing an `-a` it drew at another
    value (each time given: the last one given counts)."""
    from fuzzdiff.core.spec import parse_task

    spec = parse_task(
        {
            "name": "digest",
            "program": "cksum",
            "options": [
                {"short": "a", "value": {"kind": "choice", "values": ["md5", "sha1", "blake2b"]}, "weight": 3.0},
                {"short": "l", "value": {"kind": "choice", "values": ["8", "512"]}, "requires": ["a=blake2b"]},
            ],
            "generate": {"malformed": 0.0},
        }
    )
    cases = list(generate_cases(spec, 5, 600))

    def algorithms(case: Case) -> list[bytes]:
        argv = list(case.argv)
        return [argv[i + 1] if a == b"-a" else a[2:] for i, a in enumerate(argv) if a.startswith(b"-a")]

    with_l = [c for c in cases if any(a.startswith(b"-l") for a in c.argv)]
    last_blake = [c for c in with_l if algorithms(c) and algorithms(c)[-1] == b"blake2b"]
    assert with_l and len(last_blake) > 0.7 * len(with_l)
    assert len(last_blake) < len(with_l)  # the refusal stays covered
    without_l = [c for c in cases if c not in with_l and algorithms(c)]
    assert {a for c in without_l for a in algorithms(c)} >= {b"md5", b"sha1"}  # others drawn as before


def test_a_pinned_optional_value_is_attached_never_its_own_word() -> None:
    """`--color always` is --color and an operand to getopt: a pinned optional value
    is spelt `--color=always` (or `-Calways`)."""
    from fuzzdiff.core.spec import parse_task

    spec = parse_task(
        {
            "name": "colour",
            "program": "ls",
            "options": [
                {
                    "short": "C",
                    "long": "color",
                    "value": {"kind": "choice", "values": ["never", "always"]},
                    "optional_value": True,
                },
                {"short": "x", "value": {"kind": "int", "min": 1, "max": 3}, "requires": ["color=always"]},
            ],
            "generate": {"malformed": 0.0},
        }
    )
    cases = list(generate_cases(spec, 3, 400))
    with_x = [c for c in cases if any(a.startswith(b"-x") for a in c.argv)]
    pinned = [c for c in with_x if b"--color=always" in c.argv or b"-Calways" in c.argv]
    assert with_x and len(pinned) > 0.7 * len(with_x)
    for case in with_x:
        argv = list(case.argv)
        assert not any(a in (b"--color", b"-C") and argv[i + 1 : i + 2] == [b"always"] for i, a in enumerate(argv))


def test_constraints_must_name_declared_options() -> None:
    import pytest

    from fuzzdiff.core.errors import SpecError
    from fuzzdiff.core.spec import parse_task

    with pytest.raises(SpecError, match="'x' named in one_of"):
        parse_task({"name": "t", "program": "p", "options": [{"short": "a"}], "generate": {"one_of": [["a", "x"]]}})


def test_hypothesis_strategy_reads_the_same_grammar(spec: TaskSpec) -> None:
    from hypothesis import given, settings

    from fuzzdiff.core.generate import case_strategy

    seen: list[Case] = []

    @settings(max_examples=60, database=None, deadline=None)
    @given(case_strategy(spec))
    def collect(case: Case) -> None:
        seen.append(case)
        for name, _ in case.files:
            named = (name, b"./" + name)  # a name like an option is given through its directory
            assert any(n in case.argv for n in named) or any(n.startswith(name.split(b"/")[0]) for n in case.argv)

    collect()
    assert len({c.key() for c in seen}) > 10


def test_bytes_spell_cases_and_small_edits_make_small_changes(spec: TaskSpec) -> None:
    import random

    from fuzzdiff.core.generate import case_from_bytes

    empty = case_from_bytes(spec, b"")
    assert empty == case_from_bytes(spec, b"")
    rng = random.Random(1)
    blobs = [rng.randbytes(rng.randint(0, 200)) for _ in range(300)]
    cases = [case_from_bytes(spec, b) for b in blobs]
    assert len({c.key() for c in cases}) > 250  # bytes reach many cases
    assert cases == [case_from_bytes(spec, b) for b in blobs]
    # the first choices come from the first bytes: appending bytes past what a case
    # read never changes it
    case = case_from_bytes(spec, blobs[0] + b"\x00" * 4096)
    assert case_from_bytes(spec, blobs[0] + b"\x00" * 4096 + b"\xff" * 64) == case


def test_generation_reaches_long_inputs(spec: TaskSpec) -> None:
    """Sizes are mostly small, but some reach the model's maximum: long lines find bugs."""
    cases = list(generate_cases(spec, 2, 2000))
    longest = max(len(c.stdin) for c in cases)
    assert longest > spec.stdin.max_bytes // 2


def test_a_file_named_like_an_option_never_becomes_one() -> None:
    """``-n`` and ``--`` are hostile file names. Without ``--`` before them they
    are spelled ``./-n``: a program reads a bare ``-n`` as its option ``-n``, so the
    case would not hold the file it names, and an option of weight 0 leaked in."""
    spec = parse_task(
        {
            "name": "t",
            "program": "t",
            "options": [{"short": "a", "long": "all"}, {"short": "n", "long": "number", "weight": 0}],
            "operands": {"min": 1, "max": 3, "kinds": ["file"]},
        },
        "<test>",
    )
    reader = OptionReader(spec)
    named = 0
    for case in generate_cases(spec, 2, 3000):
        assert "number" not in reader.names(case.argv), case.argv
        names = {n for n, _ in case.files}
        if b"-n" in names:
            named += 1
            assert b"./-n" in case.argv or b"--" in case.argv[: case.argv.index(b"-n")], case.argv
    assert named > 20


def test_generation_reaches_error_paths_of_quoting_values_and_decoders(spec: TaskSpec) -> None:
    """Missing files with hostile names, values with control characters or a
    leading blank, numbers past 64 bits, and inputs changed by an edge sequence
    (UTF-8 above U+10FFFF) all come up within a few thousand cases."""
    cases = list(generate_cases(spec, 3, 4000))
    argv = [a for c in cases for a in c.argv]
    assert b"\x1fctl" in argv and b"new\nline" in argv and b"it's" in argv  # missing, never created
    assert not any(n in (b"\x1fctl", b"it's") for c in cases for n, _ in c.files)
    fixed = {b.encode() for b in BAD_NUMBERS}  # " 1" and "\x01" are there: a spoilt value is another
    assert any(a.startswith((b"\t", b" ")) and a.strip().isdigit() and a not in fixed for a in argv)
    assert any(a.endswith(b"\x01") and a not in fixed for a in argv)
    numbers = [int(a) for a in argv if re.fullmatch(rb"-?[0-9]+", a)]
    assert any(abs(abs(n) - edge) <= 4 for n in numbers for edge in OVERFLOW_EDGES)  # 10**23 is not near one
    assert any(b"\xf4\x90\x80\x80" in c.stdin for c in cases)


def test_a_small_weight_makes_an_option_rare_not_absent() -> None:
    """``--version`` at weight 0.1 was cut to no draw at all (weights were counted in quarters)."""
    spec = parse_task(
        {
            "name": "weights",
            "program": "cat",
            "options": [{"short": "a"}, {"long": "version", "weight": 0.1}],
            "generate": {"malformed": 0.0, "max_options": 1},
        }
    )
    cases = list(generate_cases(spec, 1, 3000))
    rare = sum(any(t.startswith(b"--v") for t in c.argv) for c in cases)
    common = sum(b"-a" in c.argv for c in cases)
    assert 0 < rare < common / 4


def test_sample_inputs_are_changed_at_token_boundaries() -> None:
    """Drawn samples (checksum lines here) come back near-valid: a number token
    dropped (an empty length), a name cut to its first token, blanks before a
    tag; and unchanged samples stay the common case."""
    sample = "BLAKE2b-256 (/dev/null) = 0e57\n"
    spec = parse_task(
        {
            "name": "lines",
            "program": "cksum",
            "stdin": {"models": ["sample"], "samples": [sample]},
            "generate": {"malformed": 0.0},
        }
    )
    inputs = [c.stdin for c in generate_cases(spec, 5, 3000)]
    assert b"BLAKE2b- (/dev/null) = 0e57\n" in inputs  # a number token deleted
    assert b"BLAKE2b-256 (/" in inputs  # cut after a token
    assert any(i.endswith(b"BLAKE2b-256 (/dev/null) = 0e57\n") and i[:1] in (b" ", b"\t") for i in inputs)
    assert any(b"blake2b-" in i or b"BLAKE2B-" in i for i in inputs)  # a word in the other case
    assert b"BLAKE2b-256 (/dev/null)- = 0e57\n" in inputs  # one of its own separators between two tokens
    assert b"BLAKE2b-256 (/dev/null) =( 0e57\n" in inputs
    c = RandomChoices(random.Random(5))
    drawn = [content(c, spec.stdin) for _ in range(3000)]
    assert 0.6 < drawn.count(sample.encode()) / len(drawn) < 0.75  # one in PERTURB_SAMPLE is changed


def test_listed_operand_strings_come_with_near_misses() -> None:
    spec = parse_task(
        {
            "name": "strings",
            "program": "head",
            "operands": {"min": 1, "max": 1, "kinds": ["string"], "strings": ["-2c"]},
            "generate": {"malformed": 0.0},
        }
    )
    firsts = {c.argv[0] for c in generate_cases(spec, 1, 2000) if c.argv}
    assert {b"-22c", b"-2", b"-c", b"-2C"} <= firsts  # a token doubled, cut, deleted or recased
    assert b"-2147483648c" in firsts or b"-18446744073709551616c" in firsts  # a number past an edge


def test_sample_tokens_are_repeated_long_and_replaced_by_their_own_kind() -> None:
    """A name repeated past a fixed width, a blank run made one blank, a padding
    byte replaced by a letter of the input, a vertical tab between tokens."""
    sample = "MFRA====  ab\n"
    spec = parse_task(
        {
            "name": "tokens",
            "program": "base32",
            "stdin": {"models": ["sample"], "samples": [sample]},
            "generate": {"malformed": 0.0},
        }
    )
    inputs = {c.stdin for c in generate_cases(spec, 2, 6000)}
    assert b"MFRA====  " + b"ab" * 40 + b"\n" in inputs  # a token 40 times
    assert b"MFRA==== ab\n" in inputs  # two blanks made one
    assert any(re.fullmatch(rb"MFRA=*[MFRAab ]=*  ab\n", i) and i.count(b"=") == 3 for i in inputs)
    assert any(b"\v" in i for i in inputs) and any(b"\f" in i for i in inputs)


def test_file_names_are_also_built_from_bytes_programs_quote() -> None:
    """Beside the fixed lists, names of quoting-relevant bytes (a control byte
    with a C escape, a quote beside a brace, a # after a letter) name missing
    and existing files."""
    spec = parse_task(
        {
            "name": "names",
            "program": "cat",
            "operands": {"min": 1, "max": 3, "kinds": ["file", "missing"]},
            "generate": {"malformed": 0.0},
        }
    )
    cases = list(generate_cases(spec, 4, 3000))
    fixed = set(FILE_NAMES) | set(MISSING_NAMES)  # "a" and "*" would pass the test below
    named = [a.removeprefix(b"./") for c in cases for a in c.argv]
    built = [n for n in named if n and n not in fixed and set(n) - set(b"ab") <= set(NAME_BYTES)]
    assert any(b"\a" in n or b"\b" in n or b"\v" in n for n in built)
    assert any(b"'" in n and (b"{" in n or b"}" in n) for n in built)
    assert any(re.search(rb"a#", n) for n in built)
    existing = {n for c in cases for n, _ in c.files}
    assert existing & set(built) and set(built) - existing  # some exist, some do not


def test_list_positions_reach_the_overflow_edges() -> None:
    spec = parse_task(
        {
            "name": "lists",
            "program": "cut",
            "options": [{"short": "f", "value": {"kind": "list", "min": 1, "max": 9}}],
            "generate": {"malformed": 0.0},
        }
    )
    values = [c.argv[i + 1] for c in generate_cases(spec, 1, 2000) for i, a in enumerate(c.argv[:-1]) if a == b"-f"]
    numbers = {int(n) for v in values for n in re.findall(rb"[0-9]+", v)}
    assert {1, 9} <= numbers
    assert any(abs(n - edge) <= 1 for n in numbers for edge in OVERFLOW_EDGES)


def test_valid_option_values_come_with_near_misses() -> None:
    """One value in VALUE_NEAR_MISS is spoilt (a sign, a blank) or has a token
    edited, even in cases with no deliberate mistake."""
    spec = parse_task(
        {
            "name": "values",
            "program": "cksum",
            "options": [{"short": "l", "value": {"kind": "choice", "values": ["8", "256"]}}],
            "generate": {"malformed": 0.0, "max_options": 1},
        }
    )
    values = [a[2:] for c in generate_cases(spec, 1, 4000) for a in c.argv if a.startswith(b"-l") and len(a) > 2]
    odd = [v for v in values if v not in (b"8", b"256")]
    assert b"+8" in odd or b"+256" in odd
    assert 0.5 / VALUE_NEAR_MISS < len(odd) / len(values) < 1.5 / VALUE_NEAR_MISS


def test_a_token_edit_draws_the_kind_first_so_blanks_and_separators_are_not_rare() -> None:
    """A digest line has one blank run and dozens of letter and digit runs: the
    blank is edited about as often as letters are, not one time in forty."""
    line = b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a"
    c = RandomChoices(random.Random(2))
    edits = [edit_token(c, line) for _ in range(4000)]
    blank_edited = sum(
        b"855  a" not in e and e.startswith(b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        for e in edits
    )
    assert 0.15 < blank_edited / len(edits) < 0.5


def test_options_of_small_weight_stay_rare_when_they_are_the_only_ones() -> None:
    """expr declares only --help and --version, at weight 0.1: drawn as if nothing
    else could be, they were in most cases, and made nearly all of them usage errors."""
    spec = parse_task(
        {
            "name": "only-rare",
            "program": "expr",
            "options": [{"long": "help", "weight": 0.1}, {"long": "version", "weight": 0.1}],
            "generate": {"malformed": 0.0},
        }
    )
    cases = list(generate_cases(spec, 1, 2000))
    with_option = sum(any(t.startswith((b"--h", b"--v")) for t in c.argv) for c in cases)
    assert 0 < with_option < len(cases) / 2  # 36% here; 80% before


def test_operand_sentences_are_drawn_whole_or_with_one_token_swapped() -> None:
    sentences = [["3", "+", "2"], ["abc", ":", "b"], ["length", "in.txt"]]
    spec = parse_task(
        {
            "name": "calc",
            "program": "expr",
            "operands": {"min": 1, "max": 1, "kinds": ["missing"], "sentences": sentences},
            "generate": {"malformed": 0.0},
        }
    )
    cases = list(generate_cases(spec, 1, 2000))
    operands = [[a.decode("utf-8", "replace") for a in c.argv if a != b"--"] for c in cases]
    whole = sum(ops in sentences for ops in operands)
    swapped = sum(
        ops not in sentences
        and len(ops) == 3
        and all(ops[i] in {s[i] for s in sentences if len(s) == 3} for i in range(3))
        for ops in operands
    )
    assert 0.3 * len(cases) < whole < 0.5 * len(cases)
    assert 0.03 * len(cases) < swapped < whole / 3
    # a sentence's file name names a file of the case, now and then a missing one
    naming = [c for c, ops in zip(cases, operands, strict=True) if ops == ["length", "in.txt"]]
    made = sum(b"in.txt" in dict(c.files) for c in naming)
    assert 0.5 * len(naming) < made < len(naming)


def test_a_separate_value_is_always_its_own_word_in_every_phase() -> None:
    """pigz reads `-b 64` and `--blocksize 64` but refuses `--blocksize=64` (and its
    own parser takes no `-b64`): a task saying `separate = true` never joins them,
    in fresh cases, the edge sweep or mutants."""
    from fuzzdiff.core.edges import edge_cases
    from fuzzdiff.core.mutate import spell

    raw = {
        "name": "z",
        "program": "z",
        "options": [
            {"short": "b", "long": "blocksize", "value": {"kind": "int", "min": 1, "max": 9}, "separate": True}
        ],
    }
    spec = parse_task(raw)
    argvs = [c.argv for c in generate_cases(spec, 1, 300)] + [c.argv for c in edge_cases(spec, 1)]
    rng = random.Random(1)
    argvs += [tuple(spell(rng, spec.options[0], [0, 1, 2**63])) for _ in range(200)]
    said = [t for argv in argvs for t in argv if t.startswith((b"-b", b"--blocksize"))]
    assert said and set(said) <= {b"-b", b"--blocksize"}
    with pytest.raises(SpecError, match="separate"):
        parse_task({**raw, "options": [{**raw["options"][0], "optional_value": True}]})  # type: ignore[dict-item]


def test_a_fresh_case_now_and_then_gives_a_valued_option_twice_and_is_otherwise_unchanged() -> None:
    """A grep that kept only its last -e, and a sort its last -k, scored 1.0 at the
    oracle's default budget: drawn apart, the same valued option rarely came twice.
    The second one is drawn from a stream of its own, so each case is the one it
    would have been, with at most one option more in front."""
    spec = load_task("sort")
    grammar = grammar_for(spec)
    plain = RandomChoices(random.Random(7))
    fresh = list(generate_batch(spec, 7, 400))
    doubled = 0
    for case in fresh:
        before = grammar.case(plain)
        assert case.stdin == before.stdin and case.files == before.files
        extra = len(case.argv) - len(before.argv)
        assert case.argv[extra:] == before.argv
        if extra:
            doubled += 1
            (first, *_) = [r[0] for r in OptionReader(spec).readings(case.argv[:extra])]
            assert first.value is not None
    assert 0.05 < doubled / len(fresh) < 0.3  # a quarter of those with a valued option
