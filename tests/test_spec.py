"""Task files: valid ones load, every kind of mistake is named with its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from fuzzdiff.core.errors import ProgramError, SpecError
from fuzzdiff.core.spec import load_task, parse_task, shipped_tasks
from fuzzdiff.run.program import reference_program, reference_version

from .helpers import SIMPLE_TASK


def test_simple_task_parses() -> None:
    spec = parse_task(SIMPLE_TASK)
    assert spec.name == "echo"
    assert [o.label() for o in spec.options] == ["--alpha", "--number"]
    assert spec.options[1].value is not None and spec.options[1].value.max == 50
    assert dict(spec.env)["LC_ALL"] == "C"
    assert spec.compare.mode("stderr") == "exact"


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"colour": "red"}, "unknown key colour"),
        ({"name": ""}, "name"),
        ({"options": [{"short": "ab"}]}, "one character"),
        ({"options": [{"long": "--x"}]}, "without dashes"),
        ({"options": [{}]}, "short, long or both"),
        ({"options": [{"short": "a"}, {"short": "a"}]}, "declared twice"),
        ({"options": [{"short": "a", "value": {"kind": "float"}}]}, "unknown value kind"),
        ({"operands": {"kinds": ["string"], "value": {"kind": "file"}}}, "an operand names one by its kinds"),
        ({"options": [{"short": "t", "value": {"kind": "dir", "values": ["x"]}}]}, "leave values out"),
        ({"options": [{"short": "a", "value": {"kind": "int", "min": 5, "max": 1}}]}, "greater than max"),
        ({"options": [{"short": "a", "value": {"kind": "choice"}}]}, "non-empty values"),
        ({"operands": {"min": 3, "max": 1}}, "min <= max"),
        ({"operands": {"kinds": ["socket"]}}, "unknown value 'socket'"),
        ({"stdin": {"models": ["alphabet"]}}, "non-empty alphabet"),
        ({"limits": {"timeout": 0}}, "timeout: seconds a run may take: above 0"),
        ({"limits": {"timeout": 1e9}}, "at most 3600"),  # was an internal error (OverflowError)
        ({"limits": {"file_bytes": -1}}, "file_bytes: give a number from 1"),  # meant no limit at all
        ({"limits": {"processes": 0}}, "processes: give a number from 1"),
        ({"limits": {"memory_mb": -5}}, "memory_mb: give a number from 1"),
        ({"options": [{"short": "a", "weight": 1e300}]}, "relative, at most 1000"),  # never finished drawing
        ({"options": [{"short": "a", "weight": float("inf")}]}, "finite"),
        ({"options": [{"short": "a", "weight": float("nan")}]}, "finite"),  # the option was never drawn
        ({"operands": {"kinds": [], "max": 2}}, "give at least one operand kind"),  # internal error
        ({"generate": {"max_options": -1}}, "max_options: give a number from 0"),  # internal error
        ({"name": "../../x"}, "use letters, digits"),  # its corpus went outside the corpora folder
        ({"options": [{"long": "fi=elds"}]}, "no '=' or blank"),  # spelled --fi=elds
        ({"options": [{"short": " "}]}, "one character"),
        ({"options": [{"short": "f"}, {"long": "f"}]}, "another option's short name"),
        ({"options": [{"short": "z", "requires": ["z"]}]}, "requires itself"),
        ({"options": [{"short": "a"}, {"short": "z", "requires": ["a"], "excludes": ["a"]}]}, "both requires"),
        ({"options": [{"short": "a"}, {"short": "z", "requires": ["a=1"]}]}, "takes no value"),
        ({"options": [{"short": "z", "requires": ["q=1"]}]}, "'q' named in one_of"),
        ({"options": [{"short": "z", "requires": ["z=1"]}]}, "requires itself"),
        (
            {
                "options": [
                    {"short": "a", "value": {"kind": "choice", "values": ["md5"]}},
                    {"short": "z", "requires": ["a="]},
                ]
            },
            "empty",
        ),
        (
            {
                "options": [
                    {"short": "a", "value": {"kind": "choice", "values": ["md5"]}},
                    {"short": "z", "requires": ["a=sha1"]},
                ]
            },
            "not one of",
        ),
        (
            {
                "options": [
                    {"short": "n", "value": {"kind": "int", "min": 0, "max": 5}},
                    {"short": "z", "requires": ["n=9"]},
                ]
            },
            "not an integer from 0 to 5",
        ),
        ({"options": [{"short": "f", "value": {"kind": "file"}}, {"short": "z", "requires": ["f=x"]}]}, "names a path"),
        (
            {
                "options": [
                    {"short": "a", "value": {"kind": "choice", "values": ["md5"]}, "weight": 0},
                    {"short": "z", "requires": ["a=md5"]},
                ]
            },
            "weight 0",
        ),
        (
            {
                "options": [
                    {"short": "a", "value": {"kind": "choice", "values": ["md5", "sha1"]}},
                    {"short": "y", "requires": ["a=md5"]},
                    {"short": "z", "requires": ["a=sha1"]},
                ]
            },
            "at different values",
        ),
        ({"compare": {"replace": [{"channel": "stdout", "pattern": "(?s).*", "replacement": ""}]}}, "any text"),
        ({"compare": {"replace": [{"channel": "stdout", "pattern": "", "replacement": "x"}]}}, "empty pattern"),
        ({"compare": {"replace": [{"channel": "stdout", "pattern": "[\\s\\S]+", "replacement": ""}]}}, "any text"),
        ({"limits": {"timeout": "5s"}}, "expected float"),
        ({"compare": {"stderr": "fuzzy"}}, "unknown mode"),
        ({"compare": {"replace": [{"channel": "stdout", "pattern": "("}]}}, "invalid regular expression"),
        ({"generate": {"malformed": 2.0}}, "between 0 and 1"),
        ({"operands": {"sentences": ["3 + 2"]}}, "operands.sentences: expected a list of operand lists"),
        ({"operands": {"sentences": [[]]}}, "operands.sentences: expected a list of operand lists"),
    ],
)
def test_mistakes_are_named(change: dict[str, object], needle: str) -> None:
    raw = {**SIMPLE_TASK, **change}
    with pytest.raises(SpecError) as info:
        parse_task(raw, "t.toml")
    assert needle in str(info.value)
    assert "t.toml" in str(info.value)


def test_unknown_task_points_to_the_listing_and_close_names() -> None:
    with pytest.raises(SpecError) as info:
        load_task("no-such-task")
    message = str(info.value)
    assert "unknown task 'no-such-task'" in message and "`fuzzdiff tasks` lists all" in message
    assert "base64" not in message  # a library of a hundred names is not pasted into one line
    with pytest.raises(SpecError, match=r"did you mean sha256sum\b"):
        load_task("sha256")
    with pytest.raises(SpecError, match=r"did you mean .*basenc-base16"):
        load_task("basenc-base61")


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nprogram = [\n')
    with pytest.raises(SpecError) as info:
        load_task(str(bad))
    assert "not valid TOML" in str(info.value) and str(bad) in str(info.value)


def test_missing_task_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="does not exist"):
        load_task(str(tmp_path / "nope.toml"))


@pytest.mark.parametrize("name", shipped_tasks())
def test_every_shipped_task_loads(name: str) -> None:
    spec = load_task(name)
    assert spec.name == name
    reported = reference_version(reference_program(spec))
    assert spec.version == reported or not reported, "shipped tasks record the version their reference reports"


def test_a_task_file_that_cannot_be_read_says_where(tmp_path: Path) -> None:
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b'name = "c"\nprogram = "cut"\ndescription = "\xff"\n')
    with pytest.raises(SpecError, match="not UTF-8 text: byte 0xff on line 3"):  # was "in position 31"
        load_task(str(binary))
    folder = tmp_path / "dir.toml"
    folder.mkdir()
    with pytest.raises(SpecError, match="is a directory"):  # was "does not exist"
        load_task(str(folder))


def test_a_program_with_its_arguments_in_one_word_is_told_about_args() -> None:
    spec = parse_task({"name": "c", "program": "cut -d:"})
    with pytest.raises(ProgramError, match=r"program = 'cut', args = \['-d:'\]"):
        reference_program(spec)
