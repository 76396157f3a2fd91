"""fuzzdiff: differential fuzzing of command-line programs.

Give it a task (the reference program and its input space) and a candidate
command; it generates inputs, runs both in private directories, compares every
observable channel and shrinks any divergence to a small counterexample.
"""

from .api import fuzz, prepare
from .codec import decode_case, decode_outcome, encode_case, encode_outcome
from .compare import compare, normalise
from .engine import CampaignConfig, run_campaign
from .errors import CaseFileError, ProgramError, SpecError, UserError
from .execute import Executor, FunctionExecutor, LocalExecutor
from .generate import case_strategy, generate_cases
from .model import (
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
)
from .runner import PoolRunner, SerialRunner
from .shrink import Shrinker
from .spec import TaskSpec, load_task, parse_task

__version__ = "0.1.0"

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
    "case_strategy",
    "compare",
    "decode_case",
    "decode_outcome",
    "encode_case",
    "encode_outcome",
    "fuzz",
    "generate_cases",
    "load_task",
    "normalise",
    "parse_task",
    "prepare",
    "run_campaign",
]
