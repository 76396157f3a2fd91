#!/usr/bin/env python3
"""Probe: sys.modules after top-level imports; random state differs per run."""

import argparse
import json
import random
import sys
from collections import OrderedDict

parser = argparse.ArgumentParser(prog="modules")
parser.add_argument("n", type=int)
args = parser.parse_args()
print(json.dumps(OrderedDict(n=args.n)))
print(sorted(sys.modules))
print("random", random.random(), file=sys.stderr)
