"""Shrinking check-mode cases (``sha256sum -c LIST``): quality and 1-minimality.

The programs are plain Python functions: a small checksum tool whose check mode
reads lists of ``<digest>  <name>`` lines naming other files of the case, and a
candidate with a planted bug (a blank line ends its reading of a list, so the
lines after it are neither checked nor counted as improperly formatted).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import replace

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from fuzzdiff.core.model import Case, Divergence, Outcome
from fuzzdiff.core.shrink import Shrinker, sort_key
from fuzzdiff.core.spec import TaskSpec
from fuzzdiff.engine.judging import Judge

from .helpers import exited, make_judge


def digest(data: bytes, width: int = 8) -> bytes:
    """The first ``width`` hex digits of a SHA-256 digest: 8 keeps check lines
    readable, 64 is the real thing."""
    return hashlib.sha256(data).hexdigest()[:width].encode()


def checksum_tool(blank_ends_list: bool, width: int = 8) -> Callable[[Case], Outcome]:
    """``prog [-c] [--quiet] [FILE...]``: print digests, or with ``-c`` check lists
    of ``<digest>  <name>`` lines."""
    line_form = re.compile(rb"([0-9a-f]{%d})  (.+)" % width)

    def run(case: Case) -> Outcome:
        files = dict(case.files)
        options = [a for a in case.argv if a.startswith(b"-")]
        operands = [a for a in case.argv if not a.startswith(b"-")]
        if any(o not in (b"-c", b"--quiet") for o in options):
            return exited(2, stderr=b"prog: invalid option\n")
        out, err, status = b"", b"", 0
        if b"-c" not in options:
            for name in operands or [b"-"]:
                data = case.stdin if name == b"-" else files.get(name)
                if data is None:
                    err, status = err + b"prog: " + name + b": No such file\n", 1
                else:
                    out += digest(data, width) + b"  " + name + b"\n"
            return exited(status, out, err)
        for name in operands or [b"-"]:
            listing = case.stdin if name == b"-" else files.get(name)
            if listing is None:
                err, status = err + b"prog: " + name + b": No such file\n", 1
                continue
            bad = 0
            for line in listing.split(b"\n")[: -1 if listing.endswith(b"\n") else None]:
                if blank_ends_list and not line:
                    break
                m = line_form.fullmatch(line)
                if m is None:
                    bad += 1
                elif m[2] not in files:
                    out, status = out + m[2] + b": FAILED open or read\n", 1
                elif digest(files[m[2]], width) != m[1]:
                    out, status = out + m[2] + b": FAILED\n", 1
                elif b"--quiet" not in options:
                    out += m[2] + b": OK\n"
            if bad:
                err += b"prog: WARNING: %d improperly formatted in " % bad + name + b"\n"
        return exited(status, out, err)

    return run


reference = checksum_tool(blank_ends_list=False)
candidate = checksum_tool(blank_ends_list=True)

FILES = {b"in.txt": b"hello\n", b"b.dat": b"abc", b"empty": b"", b"notes": b"some text\nmore\n"}
LINES = [
    digest(b"hello\n") + b"  in.txt",  # OK
    b"",  # the blank line
    digest(b"abc") + b"  b.dat",  # OK
    digest(b"") + b"  empty",  # OK, of the smallest file
    b"not a checksum line",
    digest(b"abc") + b"  in.txt",  # FAILED: wrong digest
]

START = Case(
    argv=(b"--quiet", b"-c", b"sums", b"notes", b"-c"),
    stdin=b"stdin is not read when lists are named\n",
    files=((b"sums", b"\n".join(LINES[:5]) + b"\n"), *FILES.items()),
    env=(("LC_ALL", "C"),),
)


def shrunk(spec: TaskSpec, start: Case, budget: int = 2000, batch: int = 4) -> tuple[Divergence, Shrinker, Judge]:
    judge = make_judge(spec, reference, candidate)
    (div,) = judge.check([start])
    assert div is not None, "the starting case must diverge"
    shrinker = Shrinker(judge.check, div, budget=budget, batch=batch)
    return shrinker.shrink(), shrinker, judge


def test_blank_line_bug_shrinks_to_the_blank_line_and_one_ok_line(spec: TaskSpec) -> None:
    """The list keeps the blank line and one OK line after it, naming the smallest
    file (renamed, with the line that names it); every other file, line, argument
    and the environment go."""
    result, shrinker, _ = shrunk(spec, replace(START, argv=(b"-c", b"sums", b"notes")))
    assert str(result.fingerprint) == "stdout+stderr [exit:0 vs exit:0]"
    assert result.case == Case(argv=(b"-c", b"a"), files=((b"a", b"\n" + digest(b"") + b"  b"), (b"b", b"")))
    assert not shrinker.stats.budget_exhausted


def test_failed_line_after_blank_keeps_only_the_list(spec: TaskSpec) -> None:
    """A FAILED line after the blank line: every data file goes with the lines that
    name them, and the list (renamed ``a``) keeps the blank line and one line
    naming itself with a wrong digest, the smallest line that fails. Argument
    order is kept: no pass reorders argv."""
    start = replace(START, files=((b"sums", b"\n".join(LINES) + b"\n"), *FILES.items()))
    result, shrinker, _ = shrunk(spec, start)
    assert str(result.fingerprint) == "exit+stdout+stderr [exit:1 vs exit:0]"
    assert result.case == Case(argv=(b"a", b"-c"), files=((b"a", b"\naaaaaaaa  a"),))
    assert not shrinker.stats.budget_exhausted


def test_full_length_digests_shrink_well_within_the_budget(spec: TaskSpec) -> None:
    """64-digit digests, as ``sha256sum -c`` reads them: a long list shrinks to
    the blank line and one OK line for an empty file, in well under the default
    budget (the digits of a digest that must match are each tried once or twice)."""
    judge = make_judge(spec, checksum_tool(False, 64), checksum_tool(True, 64))
    files = {b"in.txt": b"hello\n", b"b.dat": b"abc", b"empty": b"", b"sub dir/f": b"x\n"}
    listing = b"".join(digest(c, 64) + b"  " + n + b"\n" for n, c in files.items())
    start = Case(argv=(b"-c", b"list", b"b.dat"), files=((b"list", listing + b"\n" + listing), *files.items()))
    (div,) = judge.check([start])
    assert div is not None
    shrinker = Shrinker(judge.check, div)
    result = shrinker.shrink()
    assert result.case == Case(argv=(b"-c", b"a"), files=((b"a", b"\n" + digest(b"", 64) + b"  b"), (b"b", b"")))
    assert shrinker.stats.proposals <= 500, shrinker.stats


def single_removals(case: Case) -> Iterator[Case]:
    """Every case with one argv token, env entry, file, line or byte removed, or
    one byte of an argv token: what 1-minimality is about."""
    for i, token in enumerate(case.argv):
        yield replace(case, argv=case.argv[:i] + case.argv[i + 1 :])
        for j in range(len(token)):
            argv = list(case.argv)
            argv[i] = token[:j] + token[j + 1 :]
            yield replace(case, argv=tuple(argv))
    for i in range(len(case.env)):
        yield replace(case, env=case.env[:i] + case.env[i + 1 :])
    for i in range(len(case.files)):
        yield replace(case, files=case.files[:i] + case.files[i + 1 :])
    blobs = [(-1, case.stdin)] + [(i, content) for i, (_, content) in enumerate(case.files)]
    for where, data in blobs:
        lines = data.splitlines(keepends=True)
        smaller = [b"".join(lines[:j] + lines[j + 1 :]) for j in range(len(lines))]
        smaller += [data[:j] + data[j + 1 :] for j in range(len(data))]
        for new in smaller:
            if where < 0:
                yield replace(case, stdin=new)
            else:
                files = list(case.files)
                files[where] = (files[where][0], new)
                yield replace(case, files=tuple(files))


# A list holds the blank line (LINES[1]) the candidate's bug is about: before it
# and after it, up to four lines of any kind (more blank ones included).
lists = st.tuples(st.lists(st.sampled_from(LINES), max_size=4), st.lists(st.sampled_from(LINES), max_size=4)).map(
    lambda halves: b"\n".join([*halves[0], b"", *halves[1]]) + b"\n"
)
check_cases = st.builds(
    lambda listing, in_stdin, names, quiet, extra: Case(
        argv=(*([b"--quiet"] if quiet else []), b"-c", *([] if in_stdin else [b"sums"]), *extra),
        stdin=listing if in_stdin else b"",
        files=(*(() if in_stdin else ((b"sums", listing),)), *((n, FILES[n]) for n in names)),
    ),
    lists,
    st.booleans(),
    st.sets(st.sampled_from(sorted(FILES))),
    st.booleans(),
    st.lists(st.sampled_from([b"notes", b"-c", b"missing"]), max_size=2),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(check_cases)
def test_shrunk_check_case_is_one_minimal(spec: TaskSpec, start: Case) -> None:
    judge = make_judge(spec, reference, candidate)
    (div,) = judge.check([start])
    if div is None:
        reject()  # the list went unread: it was standard input and the arguments name a file
    shrinker = Shrinker(judge.check, div, budget=5000)
    result = shrinker.shrink()
    assert not shrinker.stats.budget_exhausted
    assert result.fingerprint == div.fingerprint
    assert sort_key(result.case) <= sort_key(start)
    smaller = list(single_removals(result.case))
    kept = [c for c, d in zip(smaller, judge.check(smaller), strict=True) if d and d.fingerprint == div.fingerprint]
    assert kept == [], f"{result.case} is not 1-minimal: {kept[0]} keeps the fingerprint"


def test_check_mode_result_does_not_depend_on_batch_size(spec: TaskSpec) -> None:
    results = {(r.case, s.stats.proposals) for r, s, _ in (shrunk(spec, START, batch=b) for b in (1, 3, 8))}
    assert len(results) == 1
