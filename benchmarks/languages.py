"""What a candidate's language costs in the masked sandbox, and whether it runs there.

A training loop scores candidates written in whatever language the model chose.
Each port below is a faithful `cat` of standard input in one language, using the
modules a port of a checksum or encoding tool would (a runtime that misses a piece
in the sandbox fails there). Each is run against the reference `cat` on the same
cases, side by side, in the masked bubblewrap sandbox the reward oracle uses, and
must agree on every case; the table gives the median wall time of one run of
each, and the ratio to the reference's run of the same cases. (Not memory: the
peak a run reports includes the pages of the process that forked it, some 23 MiB.)

    python3 benchmarks/languages.py [--cases 40] [--seed 1] [--only python,java]

Languages whose interpreter or compiler is not installed are skipped (``make
setup`` installs Python, Perl, Ruby, PHP, Tcl, Node and a JDK; C needs ``cc``,
Go ``go``, Rust ``rustc``). tests/test_runtimes.py runs the same ports.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fuzzdiff.core.model import Case
from fuzzdiff.core.spec import TaskSpec, parse_task
from fuzzdiff.engine.setup import open_runner, prepare


@dataclass(frozen=True)
class Port:
    """A candidate: its file name, how it is built (``{dir}``: where it lies; empty
    when it runs as it is), the command that runs it, what must be installed, and
    its source."""

    file: str
    build: str
    command: str
    needs: str
    source: str


PORTS: dict[str, Port] = {
    "python": Port(
        "cat.py",
        "",
        "python3 {dir}/cat.py",
        "python3",
        "import sys, hashlib, zlib, base64, unicodedata\n"
        "d = sys.stdin.buffer.read(); hashlib.sha256(d); hashlib.blake2b(d); zlib.crc32(d); base64.b64encode(d)\n"
        'unicodedata.name("a"); sys.stdout.buffer.write(d)\n',
    ),
    "perl": Port(
        "cat.pl",
        "",
        "perl {dir}/cat.pl",
        "perl",
        "use strict; use warnings; use POSIX qw(floor); use Digest::MD5 qw(md5_hex); use Digest::SHA qw(sha256_hex);\n"
        "use MIME::Base64; use List::Util qw(sum); use Encode qw(decode);\n"
        'binmode STDIN; binmode STDOUT; local $/; my $d = <STDIN> // ""; md5_hex($d); sha256_hex($d); print $d;\n',
    ),
    "ruby": Port(
        "cat.rb",
        "",
        "ruby {dir}/cat.rb",
        "ruby",
        "require 'openssl'; require 'json'; require 'zlib'; require 'set'\n"
        "d = STDIN.binmode.read; OpenSSL::Digest::SHA256.hexdigest(d); Zlib.crc32(d); JSON.generate([1])\n"
        "STDOUT.binmode.write(d)\n",
    ),
    "php": Port(
        "cat.php",
        "",
        "php {dir}/cat.php",
        "php",
        "<?php\n$d = stream_get_contents(STDIN); hash('sha256', $d); crc32($d); json_encode([1]); ctype_digit('1');\n"
        "iconv('UTF-8', 'ISO-8859-1//TRANSLIT', 'a'); fwrite(STDOUT, $d);\n",
    ),
    "tcl": Port(
        "cat.tcl",
        "",
        "tclsh {dir}/cat.tcl",
        "tclsh",
        "package require Tcl 8.5\n"
        "fconfigure stdin -translation binary; fconfigure stdout -translation binary; fcopy stdin stdout\n",
    ),
    "node": Port(
        "cat.js",
        "",
        "node {dir}/cat.js",
        "node",
        "const crypto = require('crypto'); const zlib = require('zlib'); const fs = require('fs');\n"
        "const d = fs.readFileSync(0); crypto.createHash('sha256').update(d).digest('hex'); zlib.gzipSync(d);\n"
        "process.stdout.write(d);\n",
    ),
    "java": Port(
        "Cat.java",
        "javac -d {dir} {dir}/Cat.java",
        "java -cp {dir} Cat",
        "javac",
        "import java.security.MessageDigest;\n"
        "public class Cat {\n"
        "    public static void main(String[] args) throws Exception {\n"
        "        byte[] d = System.in.readAllBytes();\n"
        '        MessageDigest.getInstance("SHA-256").digest(d);\n'
        "        System.out.write(d);\n"
        "        System.out.flush();\n"
        "    }\n"
        "}\n",
    ),
    "c": Port(
        "cat.c",
        "cc -O2 -o {dir}/cat-c {dir}/cat.c",
        "{dir}/cat-c",
        "cc",
        "#include <unistd.h>\n"
        "int main(void) { char b[65536]; ssize_t n;\n"
        "  while ((n = read(0, b, sizeof b)) > 0) if (write(1, b, (size_t)n) != n) return 1;\n"
        "  return n < 0; }\n",
    ),
    "go": Port(
        "cat.go",
        "go build -o {dir}/cat-go {dir}/cat.go",
        "{dir}/cat-go",
        "go",
        'package main\n\nimport (\n\t"crypto/sha256"\n\t"io"\n\t"os"\n)\n\n'
        "func main() {\n\td, _ := io.ReadAll(os.Stdin)\n\tsha256.Sum256(d)\n\tos.Stdout.Write(d)\n}\n",
    ),
    "rust": Port(
        "cat.rs",
        "rustc -O -o {dir}/cat-rs {dir}/cat.rs",
        "{dir}/cat-rs",
        "rustc",
        "use std::io::{self, Read, Write};\n"
        "fn main() { let mut d = Vec::new(); io::stdin().read_to_end(&mut d).unwrap();"
        " io::stdout().write_all(&d).unwrap(); }\n",
    ),
}

#: The task: `cat` reading standard input only.
TASK: dict[str, object] = {"name": "cat", "program": "cat", "operands": {"min": 0, "max": 0}}


def cat_task() -> TaskSpec:
    return parse_task(TASK, "<languages benchmark>")


def write_port(language: str, where: Path) -> str:
    """The port's source written (and built) in ``where``; the command that runs it."""
    port = PORTS[language]
    (where / port.file).write_text(port.source)
    if port.build:
        # HOME stays: rustup finds its toolchain there (with HOME moved, rustc failed in CI)
        env = {**os.environ, "GOCACHE": str(where / ".gocache")}
        built = subprocess.run(port.build.format(dir=where).split(), timeout=300, env=env, capture_output=True)
        if built.returncode != 0:
            raise BuildError(f"{port.build.split()[0]} could not build the {language} port: {built.stderr[-300:]!r}")
    return port.command.format(dir=where)


class BuildError(Exception):
    """A compiler that is installed could not build a port (a toolchain's problem, not fuzzdiff's)."""


def installed(language: str) -> bool:
    return shutil.which(PORTS[language].needs) is not None


def sample(seed: int, count: int) -> list[Case]:
    """Inputs of every size from empty to 64 KiB, bytes of every value."""
    rng = random.Random(seed)
    sizes = [0, 1, 6, 65536] + [rng.choice((10, 100, 1000, 10000)) for _ in range(max(0, count - 4))]
    return [Case(stdin=rng.randbytes(n)) for n in sizes[:count]]


@dataclass(frozen=True)
class Row:
    language: str
    agreed: int
    cases: int
    wall_ms: float
    reference_wall_ms: float
    first_difference: str


def measure(language: str, cases: list[Case]) -> Row:
    """Each case run by the reference and the port, side by side, in the masked sandbox."""
    with tempfile.TemporaryDirectory(prefix="fuzzdiff-languages-") as where:
        command = write_port(language, Path(where))
        setup = prepare(cat_task(), command)
        with open_runner(setup, jobs=1, sandbox=True, mask_reference=True) as runner:
            pairs = runner.run_pairs(cases, fresh=True)
    same = [(r.exit_class(), r.stdout, r.stderr) == (c.exit_class(), c.stdout, c.stderr) for r, c in pairs]
    first = next(
        (c.stderr[:120].decode("utf-8", "replace") for (_, c), ok in zip(pairs, same, strict=True) if not ok), ""
    )
    return Row(
        language,
        sum(same),
        len(cases),
        1000 * statistics.median(c.wall_seconds for _, c in pairs),
        1000 * statistics.median(r.wall_seconds for r, _ in pairs),
        first,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default="", help="comma-separated languages (default: all installed)")
    args = parser.parse_args(argv)
    if args.cases < 1:
        parser.error(f"--cases must be at least 1, not {args.cases}")
    wanted = [w for w in args.only.split(",") if w] or list(PORTS)
    unknown = [w for w in wanted if w not in PORTS]
    if unknown:
        parser.error(f"unknown language {', '.join(unknown)}; known: {', '.join(PORTS)}")
    cases = sample(args.seed, args.cases)
    print("| language | cases agreeing | median run (ms) | reference's (ms) | ratio |")
    print("|---|---|---|---|---|")
    failed = False
    for language in wanted:
        if not installed(language):
            print(f"| {language} | not installed ({PORTS[language].needs}) | | | |")
            continue
        try:
            row = measure(language, cases)
        except BuildError as exc:
            print(f"| {language} | not built: {exc} | | | |")
            continue
        failed |= row.agreed < row.cases
        note = f" (first: {row.first_difference!r})" if row.first_difference else ""
        print(
            f"| {language} | {row.agreed} of {row.cases}{note} | {row.wall_ms:.1f} | {row.reference_wall_ms:.1f} "
            f"| {row.wall_ms / row.reference_wall_ms:.1f} |",
            flush=True,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
