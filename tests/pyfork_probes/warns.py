#!/usr/bin/env python3
"""Probe: warnings shown by default, once-per-location registries, a deprecated import."""

import imp  # noqa: F401  (deprecated: warns at import)
import sys
import warnings

for _ in range(3):
    warnings.warn("user warning", stacklevel=1)
    warnings.warn("deprecated in main", DeprecationWarning, stacklevel=1)
warnings.warn("up one level", stacklevel=1)
print(len(sys.argv))
