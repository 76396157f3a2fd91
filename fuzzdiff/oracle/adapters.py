"""Drop-in reward functions with the call shapes training frameworks use.

Each adapter turns a model's completion into a candidate (the last fenced code
block in Python or shell, ``extract_candidate``) and scores the
whole batch at once through one warm ``batch.BatchScorer`` (side by side,
duplicates once; made at the first call and kept for the life of the process,
or pass your own as ``scorer=``). The task, and optionally the budget, seed,
policy and per-candidate ``deadline`` (seconds), come from the framework's
per-sample metadata: a task name, or a JSON object ``{"task": ..., "budget":
..., "seed": ..., "policy": ..., "deadline": ...}``.

A completion without code scores 0.0 with status ``no_code`` (that is the
model's fault). An infrastructure error (``status="error"`` or ``"deadline"``)
raises ``OracleError`` unless the adapter is called with ``on_error="zero"``
(then 0.0, with the status in the logs): a broken oracle must never pass
silently for a bad candidate.

- TRL ``GRPOTrainer(reward_funcs=[trl_reward])``: ``trl_reward(prompts,
  completions, **kwargs) -> list[float]``; the task comes from the dataset column
  ``task`` (or ``ground_truth``). Completions may be strings or chat message
  lists. Where TRL passes ``log_extra``/``log_metric``, each completion's status
  and cases, and the batch's mean seconds, are logged. ``trl_reward_async`` is
  the ``async def`` form; ``TRLReward`` a configured callable (picklable).
- veRL ``custom_reward_function``: ``verl_compute_score(data_source, solution_str,
  ground_truth, extra_info=None) -> dict`` with ``score``, ``status``, ``cases``,
  ``feedback`` and ``seconds``; the batch form ``verl_compute_score_batch(
  data_sources, solution_strs, ground_truths, extra_infos) -> list[dict]`` and
  its ``async`` twin ``verl_compute_score_batch_async``.
- OpenRLHF ``--remote_rm_url reward_func.py``: ``openrlhf_reward_func(queries,
  prompts, labels) -> dict`` with ``rewards``, ``scores`` and ``extra_logs``
  (reward, seconds and cases per sample; torch tensors when torch is installed,
  else lists).

A script that calls these at import time needs ``if __name__ == "__main__":``:
the scorer's workers start from a fork-server that imports ``__main__``.
"""

from __future__ import annotations

import asyncio
import atexit
import difflib
import json
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any, cast

from fuzzdiff.core.errors import UserError
from fuzzdiff.core.spec import resolve_task_path
from fuzzdiff.oracle.batch import BatchScorer, Request
from fuzzdiff.oracle.scoring import DEADLINE, DEFAULT_BUDGET, Candidate, Policy, Score, check_settings, parse_policy

#: Fence info strings, by their first word, that name a language scored as shell;
#: ``_PYTHON`` ones (and none) are scored as Python; any other (``text``,
#: ``console``, ``javascript``) is not the program, and its block is passed over.
_SHELLS = {"sh": "shell", "bash": "bash", "shell": "shell", "zsh": "shell"}
_PYTHON = {"", "python", "python3", "py", "py3"}
#: What ``on_error`` may be.
ON_ERROR = ("raise", "zero")


class OracleError(RuntimeError):
    """Scoring failed for a reason that is not the candidate's, or the caller's
    input (metadata, settings) cannot be scored."""


#: An info string's language: its leading word, past ``{`` or ``.`` (``{python}``, ``.py``).
_LANGUAGE = re.compile(r"[{.]*([A-Za-z0-9_+-]*)")


def _fenced_blocks(text: str) -> list[tuple[str, str, bool]]:
    """(language, body, closed) of each fenced code block, in order, in one pass
    over the lines (a regular expression took quadratic time on a run of
    backticks: 80,000 took 6 s). As Markdown has them: an opening line of three or
    more backticks (after any indentation, which the body loses too) with an info
    string, whose language is its leading word (``python:sol.py``, ``{python}``);
    the block ends at a line of at least as many backticks, or with the text (a
    completion cut at its length limit: ``closed`` is then False). Lines end at
    ``\\n`` only (a form feed or U+2028 inside the code is the code's), less a
    trailing ``\\r``."""
    blocks: list[tuple[str, str, bool]] = []
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip(" \t")
        ticks = len(stripped) - len(stripped.lstrip("`"))
        info = stripped[ticks:].strip()
        i += 1
        if ticks < 3 or "`" in info:
            continue
        language = _LANGUAGE.match(info).group(1)  # type: ignore[union-attr]  # matches any text
        indent = line[: len(line) - len(stripped)]
        body: list[str] = []
        closed = False
        while i < len(lines):
            closing = lines[i].strip()
            i += 1
            if len(closing) >= ticks and closing == "`" * len(closing):
                closed = True
                break
            body.append(lines[i - 1].removeprefix(indent))
        if not closed and body and not body[-1]:
            body.pop()  # the text's own last newline
        blocks.append((language, "".join(b + "\n" for b in body), closed))
    return blocks


def extract_candidate(completion: Any) -> Candidate | None:
    """The last fenced code block of a completion (a string, chat messages, or
    content parts) in a language it can run: Python (``python``, ``py``, or no
    language) or shell (``sh``, ``bash``, ``shell``, ``zsh``). A ``text`` or
    ``console`` block after the program (its output, how to run it) is passed
    over, and a block left open at the end counts only where no closed one
    holds a program (a stray fence after the answer opened one on its sign-off)."""
    blocks = [b for b in _fenced_blocks(_text(completion)) if b[1].strip()]  # an empty block holds no program
    closed = [b for b in blocks if b[2]]
    for language, body, _ in reversed(closed or blocks):
        word = language.lower()
        if word in _SHELLS:
            return Candidate(source=body, language=_SHELLS[word])
        if word in _PYTHON:
            return Candidate(source=body, language="python")
    return None


def _text(completion: Any) -> str:
    """A completion's text: a string, the last assistant message of a chat (its
    content a string or a list of parts with ``text``), or one message."""
    if isinstance(completion, dict):
        completion = [completion]
    if isinstance(completion, list):  # conversational: [{"role": ..., "content": ...}, ...]
        texts = [m.get("content", "") for m in completion if isinstance(m, dict) and m.get("role") == "assistant"]
        completion = texts[-1] if texts else ""
    if isinstance(completion, list):  # content parts: [{"type": "text", "text": ...}, ...]
        completion = "".join(str(p.get("text", "")) for p in completion if isinstance(p, dict))
    return "" if completion is None else str(completion)


_SETTINGS = ("budget", "seed", "policy", "deadline")
_DEFAULT: BatchScorer | None = None
_DEFAULT_LOCK = threading.Lock()


def default_scorer() -> BatchScorer:
    """The process's shared scorer, made at first use (its workers stay warm)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = BatchScorer()
            # its slots' directories (each holding its last candidate) go with the process
            atexit.register(_DEFAULT.close)
        return _DEFAULT


def _settings(meta: Any) -> dict[str, Any]:
    if isinstance(meta, dict):
        return dict(meta)
    if isinstance(meta, str):
        stripped = meta.strip()
        if stripped.startswith("{"):
            try:
                loaded = json.loads(stripped)
            except ValueError as exc:
                raise OracleError(f"metadata {meta[:200]!r} is not a JSON object: {exc}") from exc
            if isinstance(loaded, dict):
                return loaded
        return {"task": stripped}
    raise OracleError(f"cannot read the task from {meta!r}; give a task name or a JSON object with 'task'")


def settings_of(meta: Any) -> dict[str, Any]:
    """The task and the score settings (``budget``, ``seed``, ``policy``,
    ``deadline``) a completion's metadata names; ``OracleError`` without a task."""
    settings = _settings(meta)
    task = settings.get("task")
    if not isinstance(task, str) or not task.strip():
        raise OracleError(f"no task in {meta!r}; give a task name or a JSON object with 'task'")
    for key in settings:  # other keys may be the dataset's own; one spelled like a setting is a typo
        close = difflib.get_close_matches(str(key), ("task", *_SETTINGS), n=1, cutoff=0.75)
        if close and key != close[0]:
            raise OracleError(f"metadata {meta!r}: unknown key {key!r}; did you mean {close[0]!r}?")
    try:  # a misspelled task scored every completion 0.0 under on_error="zero"
        resolve_task_path(task.strip())
    except UserError as exc:
        raise OracleError(f"metadata {meta!r}: {exc}") from exc
    return {"task": task.strip(), **{k: settings[k] for k in _SETTINGS if k in settings}}


def _request(completion: Any, meta: Any) -> Request | None:
    """The request for one completion (None: it holds no code); ``OracleError`` for
    metadata that cannot be scored (a budget of 0 judged nothing and gave 1.0)."""
    settings = settings_of(meta)
    try:  # checked before the code is looked for: bad metadata is bad with no code too
        parse_policy(settings.get("policy", Policy.BINARY))
        check_settings(
            settings.get("budget", DEFAULT_BUDGET), settings.get("seed", 0), settings.get("deadline", DEADLINE)
        )
    except UserError as exc:
        raise OracleError(f"metadata {meta!r}: {exc}") from exc
    candidate = extract_candidate(completion)
    if candidate is None:
        return None
    return Request(settings.pop("task"), candidate, **settings)


def check_on_error(on_error: str) -> None:
    """``ValueError`` unless ``on_error`` is one of ``ON_ERROR``: a typo ("Zero",
    "ignore") used to mean "zero", and a broken oracle passed as 0.0."""
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error={on_error!r}: choose one of {', '.join(map(repr, ON_ERROR))}")


def score_completions(
    completions: Sequence[Any], metas: Sequence[Any], on_error: str = "raise", scorer: BatchScorer | None = None
) -> list[Score | None]:
    """Each completion's score (None: no code), the batch scored at once. Bad
    metadata raises ``OracleError`` whatever ``on_error`` says: it is the
    caller's, and no score of it could be right."""
    check_on_error(on_error)
    if len(completions) != len(metas):
        raise OracleError(f"{len(completions)} completions but {len(metas)} task entries; give one per completion")
    requests = [_request(c, m) for c, m in zip(completions, metas, strict=True)]
    todo = [r for r in requests if r is not None]
    scores = iter((scorer or default_scorer()).score_batch(todo))
    results = [None if r is None else next(scores) for r in requests]
    if on_error == "raise":
        for result in results:
            if result is not None and result.status != "ok":
                raise OracleError(f"scoring {result.task} failed ({result.status}): {result.error}")
    return results


def _reward(result: Score | None) -> float:
    return 0.0 if result is None or result.reward is None else float(result.reward)


def _info(result: Score | None) -> dict[str, Any]:
    """What a trainer may log of one completion's score."""
    return {
        "score": _reward(result),
        "status": "no_code" if result is None else result.status,
        "cases": 0 if result is None else result.cases,
        "feedback": "" if result is None else result.feedback,
        "seconds": 0.0 if result is None else result.seconds,
    }


def _tasks(kwargs: Mapping[str, Any]) -> Sequence[Any]:
    tasks = kwargs.get("task") or kwargs.get("ground_truth")
    if tasks is None:
        raise OracleError("the dataset needs a 'task' (or 'ground_truth') column naming the fuzzdiff task")
    return cast(Sequence[Any], tasks)


def _log_to_trl(results: Sequence[Score | None], kwargs: Mapping[str, Any]) -> None:
    """Per-completion status and cases (``log_extra``) and the mean seconds
    (``log_metric``), where the trainer passed those callables."""
    infos = [_info(r) for r in results]
    log_extra, log_metric = kwargs.get("log_extra"), kwargs.get("log_metric")
    if callable(log_extra):
        log_extra("fuzzdiff_status", [i["status"] for i in infos])
        log_extra("fuzzdiff_cases", [i["cases"] for i in infos])
    if callable(log_metric) and infos:
        log_metric("fuzzdiff/seconds", sum(i["seconds"] for i in infos) / len(infos))


def trl_reward(
    prompts: Sequence[Any],
    completions: Sequence[Any],
    on_error: str = "raise",
    scorer: BatchScorer | None = None,
    **kwargs: Any,
) -> list[float]:
    """TRL ``reward_funcs`` shape: one float per completion, the batch scored at once."""
    results = score_completions(completions, _tasks(kwargs), on_error, scorer)
    _log_to_trl(results, kwargs)
    return [_reward(r) for r in results]


async def trl_reward_async(
    prompts: Sequence[Any],
    completions: Sequence[Any],
    on_error: str = "raise",
    scorer: BatchScorer | None = None,
    **kwargs: Any,
) -> list[float]:
    """``trl_reward`` as an ``async def`` (the scoring runs on a thread)."""
    return await asyncio.to_thread(trl_reward, prompts, completions, on_error, scorer, **kwargs)


class TRLReward:
    """A TRL reward function with its settings, made once by a training script:
    ``GRPOTrainer(reward_funcs=[TRLReward(on_error="zero")])``. It owns a
    ``BatchScorer`` (``slots`` and the scorer's other settings); pickling keeps
    the settings, and the copy starts its own workers (TRL may send reward
    functions to another process)."""

    def __init__(self, on_error: str = "raise", **scorer_settings: Any) -> None:
        check_on_error(on_error)
        self.__name__ = "fuzzdiff"  # TRL names the reward's log columns after it
        self.on_error = on_error
        self.scorer = BatchScorer(**scorer_settings)

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any) -> list[float]:
        return trl_reward(prompts, completions, self.on_error, self.scorer, **kwargs)

    def close(self) -> None:
        self.scorer.close()


def verl_compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: Any = None,
    on_error: str = "raise",
    scorer: BatchScorer | None = None,
) -> dict[str, Any]:
    """veRL ``compute_score`` shape: a dict whose ``score`` is the reward."""
    return _info(score_completions([solution_str], [ground_truth], on_error, scorer)[0])


def verl_compute_score_batch(
    data_sources: Sequence[str],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Any] | None = None,
    on_error: str = "raise",
    scorer: BatchScorer | None = None,
) -> list[dict[str, Any]]:
    """veRL batch reward manager shape: one dict per sample, in order, the batch scored at once."""
    return [_info(r) for r in score_completions(solution_strs, ground_truths, on_error, scorer)]


async def verl_compute_score_batch_async(
    data_sources: Sequence[str],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Any] | None = None,
    on_error: str = "raise",
    scorer: BatchScorer | None = None,
) -> list[dict[str, Any]]:
    """``verl_compute_score_batch`` for an asynchronous reward loop."""
    return await asyncio.to_thread(
        verl_compute_score_batch, data_sources, solution_strs, ground_truths, extra_infos, on_error, scorer
    )


def openrlhf_reward_func(
    queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any], scorer: BatchScorer | None = None
) -> dict[str, Any]:
    """OpenRLHF remote reward function shape. ``queries`` are prompt + response;
    the response is what follows the prompt; ``labels`` name the tasks."""
    responses = [q[len(p) :] if q.startswith(p) else q for q, p in zip(queries, prompts, strict=True)]
    infos = [_info(r) for r in score_completions(responses, labels, "raise", scorer)]
    columns = {name: [float(i[name]) for i in infos] for name in ("score", "seconds", "cases")}
    try:
        import torch  # type: ignore[import-not-found]
    except ImportError:
        torch = None

    def tensor(values: list[float]) -> Any:
        return values if torch is None else torch.tensor(values, dtype=torch.float32)

    rewards = tensor(columns["score"])
    logs = {f"fuzzdiff_{name}": tensor(values) for name, values in columns.items()}
    logs["fuzzdiff_reward"] = logs.pop("fuzzdiff_score")
    return {"rewards": rewards, "scores": rewards, "extra_logs": logs}
