"""A local module that shadows the standard one."""

import sys

print("local textwrap imported", file=sys.stderr)
LOCAL = True
