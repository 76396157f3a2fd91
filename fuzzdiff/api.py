"""The public Python entry points: fuzz a candidate against a task by names and
command lines (``prepare``, ``fuzz``, ``fuzz_events``, ``minimize_case``). The
set-up itself lives in ``engine.setup``; the reward oracle in ``oracle``."""

from __future__ import annotations

from collections.abc import Iterator

from fuzzdiff.core.model import CampaignResult, Case, Event, Finding, Finished
from fuzzdiff.engine.campaign import CampaignConfig, minimize, run_campaign
from fuzzdiff.engine.judging import Judge
from fuzzdiff.engine.setup import Setup, hidden_paths, open_runner, prepare

__all__ = ["Setup", "fuzz", "fuzz_events", "hidden_paths", "minimize_case", "open_runner", "prepare"]


def fuzz_events(
    setup: Setup, config: CampaignConfig, jobs: int | None = None, sandbox: bool = False, mask_reference: bool = False
) -> Iterator[Event]:
    """Run a campaign, yielding its events; the last is ``Finished``."""
    with open_runner(setup, jobs, sandbox, mask_reference) as runner:
        warnings = (*setup.warnings, *runner.warnings)
        yield from run_campaign(
            setup.spec, runner, setup.reference, setup.candidate, config, runner.isolation, warnings
        )


def fuzz(
    task: str,
    candidate: str,
    *,
    budget: int = 1000,
    seed: int = 0,
    jobs: int | None = None,
    max_divergences: int = 1,
) -> CampaignResult:
    """Fuzz ``candidate`` against the task's reference; returns the campaign's result."""
    setup = prepare(task, candidate)
    config = CampaignConfig(seed=seed, budget=budget, max_divergences=max_divergences)
    for event in fuzz_events(setup, config, jobs):
        if isinstance(event, Finished):
            return event.result
    raise AssertionError("a campaign always finishes with a Finished event")


def minimize_case(setup: Setup, case: Case, config: CampaignConfig, jobs: int | None = None) -> Finding | None:
    """Re-judge a stored case against ``setup``'s candidate and shrink it if it still diverges."""
    with open_runner(setup, jobs) as runner:
        return minimize(Judge(setup.spec, runner, setup.reference, setup.candidate), case, config)
