"""``cat -u`` in Python, for the coverage-guided mode's tests (tests/test_coverage.py).

It copies standard input to standard output as ``cat`` does (``-u``, alone or
clustered, is accepted and ignored), except for one planted bug behind nested
conditions that random generation practically never meets: with ``-u``, an
input starting with "QZ!?" loses its last byte. Only what ``cat.toml``
generates is covered: file operands, which the task never generates but
fuzzdiff's argv mutators may add, are not implemented.
"""

import sys

unbuffered = False
for arg in sys.argv[1:]:
    if len(arg) < 2 or arg[0] != "-" or set(arg[1:]) != {"u"}:
        sys.stderr.write(f"cat: unexpected argument {arg!r}\n")
        sys.exit(2)
    unbuffered = True
data = sys.stdin.buffer.read()
if unbuffered and data[:2] == b"QZ":  # noqa: SIM102 - nested on purpose: two steps for coverage to reach
    if data[2:4] == b"!?":
        data = data[:-1]  # PLANTED BUG
sys.stdout.buffer.write(data)
