"""Drop-in reward functions with the call shapes training frameworks use.

Each adapter turns a model's completion into a candidate (the last fenced code
block, Python unless the fence says ``sh``/``bash``/``shell``), scores it with
``scoring.score`` and returns what the framework expects. The task, and
optionally the budget, seed and policy, come from the framework's per-sample
metadata: a task name, or a JSON object ``{"task": ..., "budget": ...,
"seed": ..., "policy": ..., "jobs": ...}``.

A completion without code scores 0.0 (that is the model's fault). An
infrastructure error (``status="error"`` or ``"deadline"``) raises
``OracleError`` unless the TRL or veRL adapter is called with
``on_error="zero"`` (the OpenRLHF one always raises): a broken oracle must
never pass silently for a bad candidate.

- TRL ``GRPOTrainer(reward_funcs=[trl_reward])``: ``trl_reward(prompts,
  completions, **kwargs) -> list[float]``; the task comes from the dataset column
  ``task`` (or ``ground_truth``). Completions may be strings or chat message lists.
- veRL ``custom_reward_function``: ``verl_compute_score(data_source, solution_str,
  ground_truth, extra_info=None) -> dict`` with ``score``; the batch form
  ``verl_compute_score_batch(data_sources, solution_strs, ground_truths,
  extra_infos) -> list[dict]``.
- OpenRLHF ``--remote_rm_url reward_func.py``: ``openrlhf_reward_func(queries,
  prompts, labels) -> dict`` with ``rewards``, ``scores`` and ``extra_logs``
  (torch tensors when torch is installed, else lists).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from fuzzdiff.oracle.scoring import Candidate, Score, score

_FENCE = re.compile(r"```([A-Za-z0-9_+-]*)[^\n]*\n(.*?)```", re.DOTALL)
_SHELLS = {"sh": "shell", "bash": "bash", "shell": "shell", "zsh": "shell"}


class OracleError(RuntimeError):
    """Scoring failed for a reason that is not the candidate's."""


def extract_candidate(completion: Any) -> Candidate | None:
    """The last fenced code block of a completion (a string or chat messages)."""
    if isinstance(completion, list):  # conversational: [{"role": ..., "content": ...}, ...]
        texts = [m.get("content", "") for m in completion if isinstance(m, dict) and m.get("role") == "assistant"]
        completion = texts[-1] if texts else ""
    text = str(completion)
    blocks = _FENCE.findall(text)
    if not blocks:
        return None
    lang, body = blocks[-1]
    language = _SHELLS.get(lang.lower(), "python")
    return Candidate(source=body, language=language)


def _settings(meta: Any) -> dict[str, Any]:
    if isinstance(meta, dict):
        return dict(meta)
    if isinstance(meta, str):
        stripped = meta.strip()
        if stripped.startswith("{"):
            loaded = json.loads(stripped)
            if isinstance(loaded, dict):
                return loaded
        return {"task": stripped}
    raise OracleError(f"cannot read the task from {meta!r}; give a task name or a JSON object with 'task'")


def _score_one(completion: Any, meta: Any, on_error: str) -> Score | None:
    settings = _settings(meta)
    task = settings.pop("task", None)
    if not task:
        raise OracleError(f"no task in {meta!r}")
    candidate = extract_candidate(completion)
    if candidate is None:
        return None
    kwargs = {k: settings[k] for k in ("budget", "seed", "policy", "jobs") if k in settings}
    result = score(str(task), candidate, **kwargs)
    if result.status != "ok" and on_error == "raise":
        raise OracleError(f"scoring {task} failed ({result.status}): {result.error}")
    return result


def _reward(result: Score | None) -> float:
    return 0.0 if result is None or result.reward is None else float(result.reward)


def trl_reward(
    prompts: Sequence[Any], completions: Sequence[Any], on_error: str = "raise", **kwargs: Any
) -> list[float]:
    """TRL ``reward_funcs`` shape: one float per completion."""
    tasks = kwargs.get("task") or kwargs.get("ground_truth")
    if tasks is None:
        raise OracleError("the dataset needs a 'task' (or 'ground_truth') column naming the fuzzdiff task")
    return [_reward(_score_one(c, t, on_error)) for c, t in zip(completions, tasks, strict=True)]


def verl_compute_score(
    data_source: str, solution_str: str, ground_truth: Any, extra_info: Any = None, on_error: str = "raise"
) -> dict[str, Any]:
    """veRL ``compute_score`` shape: a dict whose ``score`` is the reward."""
    result = _score_one(solution_str, ground_truth, on_error)
    return {
        "score": _reward(result),
        "status": "no_code" if result is None else result.status,
        "cases": 0 if result is None else result.cases,
        "feedback": "" if result is None else result.feedback,
    }


def verl_compute_score_batch(
    data_sources: Sequence[str],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Any] | None = None,
    on_error: str = "raise",
) -> list[dict[str, Any]]:
    """veRL batch reward manager shape: one dict per sample, in order."""
    infos = list(extra_infos) if extra_infos is not None else [None] * len(solution_strs)
    return [
        verl_compute_score(d, s, g, e, on_error)
        for d, s, g, e in zip(data_sources, solution_strs, ground_truths, infos, strict=True)
    ]


def openrlhf_reward_func(queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any]) -> dict[str, Any]:
    """OpenRLHF remote reward function shape. ``queries`` are prompt + response;
    the response is what follows the prompt; ``labels`` name the tasks."""
    rewards: list[float] = []
    for query, prompt, label in zip(queries, prompts, labels, strict=True):
        response = query[len(prompt) :] if query.startswith(prompt) else query
        rewards.append(_reward(_score_one(response, label, "raise")))
    try:
        import torch  # type: ignore[import-not-found]

        tensor: Any = torch.tensor(rewards, dtype=torch.float32)
    except ImportError:
        tensor = rewards
    return {"rewards": tensor, "scores": tensor, "extra_logs": {"fuzzdiff_reward": tensor}}
