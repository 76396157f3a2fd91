#!/usr/bin/env python3
"""Probe: local modules that shadow standard ones, directly and through a stdlib import."""

import fractions
import textwrap

print(textwrap.LOCAL, fractions.Fraction.__mro__[1].__module__)
