"""What is kept on disk: corpora (record, replay, reduce), the reference-outcome
cache and the artefacts of a finding (case files, ``repro.sh``). Imports
``core`` and ``run``."""
