"""The reward oracle for training loops: one deterministic score per candidate
(``scoring``), the trainers' call shapes (``adapters``), scale-out on Ray
(``distributed``) and over HTTP (``serve``, ``client``). Imports every layer
below it, never ``api`` or ``cli``."""
