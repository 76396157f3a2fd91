"""fuzzdiff: differential fuzzing of command-line programs.

Give it a task (the reference program and its input space) and a candidate
command; it generates inputs, runs both in private directories, compares every
observable channel and shrinks any divergence to a small counterexample.
"""

from fuzzdiff.api import fuzz, fuzz_events, prepare
from fuzzdiff.core.codec import decode_case, decode_outcome, encode_case, encode_outcome
from fuzzdiff.core.compare import compare, normalise
from fuzzdiff.core.errors import CaseFileError, ProgramError, SpecError, UserError
from fuzzdiff.core.generate import case_strategy, generate_cases
from fuzzdiff.core.model import (
    CampaignResult,
    Case,
    Divergence,
    Event,
    Finding,
    Fingerprint,
    Finished,
    Found,
    Outcome,
    Program,
    Progress,
    Shrunk,
    Termination,
    Verdict,
    Via,
)
from fuzzdiff.core.shrink import Shrinker
from fuzzdiff.core.spec import TaskSpec, load_task, parse_task
from fuzzdiff.core.version import __version__ as __version__
from fuzzdiff.engine.campaign import CampaignConfig, run_campaign
from fuzzdiff.run.execute import Executor, FunctionExecutor, LocalExecutor
from fuzzdiff.run.runner import PairRunner, PoolRunner, SerialRunner

__all__ = [
    "CampaignConfig",
    "CampaignResult",
    "Case",
    "CaseFileError",
    "Divergence",
    "Event",
    "Executor",
    "Finding",
    "Fingerprint",
    "Finished",
    "Found",
    "FunctionExecutor",
    "LocalExecutor",
    "Outcome",
    "PairRunner",
    "PoolRunner",
    "Program",
    "ProgramError",
    "Progress",
    "SerialRunner",
    "Shrinker",
    "Shrunk",
    "SpecError",
    "TaskSpec",
    "Termination",
    "UserError",
    "Verdict",
    "Via",
    "case_strategy",
    "compare",
    "decode_case",
    "decode_outcome",
    "encode_case",
    "encode_outcome",
    "fuzz",
    "fuzz_events",
    "generate_cases",
    "load_task",
    "normalise",
    "parse_task",
    "prepare",
    "run_campaign",
]
