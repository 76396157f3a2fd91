"""The campaign: judging pairs, guidance, confirming, shrinking and building
results, and the coverage-guided source of cases. Imports ``core``, ``run`` and
``store``."""
