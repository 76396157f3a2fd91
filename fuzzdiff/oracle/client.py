"""A small client for ``fuzzdiff serve``, standard library only.

    from fuzzdiff.oracle.client import Client
    client = Client("http://127.0.0.1:8080")
    client.score("base64", {"source": code, "language": "python"}, seed=0)["reward"]

Busy answers (503) and connection failures are retried with exponential backoff
(a 503's ``Retry-After`` is honoured); scores with the pool off are pure
functions of the request, so a retry cannot change or double-count a result. A
read timeout is not retried: the server may still be scoring, and asking again
would only take a second slot. Every other error status raises ``ServiceError``
at once with the service's ``error`` kind and message.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

#: Seconds to wait for an answer; above the oracle's 600 s deadline per score, so a slow score is not cut off here.
DEFAULT_TIMEOUT = 900.0
#: Attempts after the first on 503 or a failed connection.
DEFAULT_RETRIES = 5
#: First backoff, seconds; doubles per attempt up to MAX_BACKOFF.
DEFAULT_BACKOFF = 0.5
#: No single wait is longer than this, whatever Retry-After says.
MAX_BACKOFF = 30.0

CandidateLike = str | Mapping[str, str] | object


class ServiceError(Exception):
    """The service said no (``status`` is the HTTP status) or could not be reached (``status`` None)."""

    def __init__(self, status: int | None, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}" if status is None else f"HTTP {status} {kind}: {message}")
        self.status = status
        self.kind = kind
        self.message = message


def candidate_json(candidate: CandidateLike) -> dict[str, str]:
    """A command line, a mapping, or anything with command/path/source/language
    attributes (such as ``scoring.Candidate``) -> the request's candidate object."""
    if isinstance(candidate, str):
        return {"command": candidate}
    if isinstance(candidate, Mapping):
        return {str(k): str(v) for k, v in candidate.items() if v is not None}
    fields = {name: getattr(candidate, name, None) for name in ("command", "path", "source", "language")}
    return {k: v for k, v in fields.items() if isinstance(v, str)}


class Client:
    def __init__(
        self,
        url: str = "http://127.0.0.1:8080",
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/health", None)
        return result

    def score(
        self,
        task: str,
        candidate: CandidateLike,
        *,
        budget: int | None = None,
        seed: int = 0,
        policy: str = "binary",
        use_pool: bool | None = None,
        deadline: float | None = None,
    ) -> dict[str, Any]:
        """One score: the fields of ``fuzzdiff score --json``. ``budget``: None for the
        service's default. ``deadline``: seconds the candidate may take (at most the
        service's; None: the service's)."""
        body = self._body(task, budget, seed, policy, use_pool, deadline)
        body["candidate"] = candidate_json(candidate)
        result: dict[str, Any] = self._call("POST", "/score", body)
        return result

    def score_batch(
        self,
        task: str,
        candidates: Sequence[CandidateLike],
        *,
        budget: int | None = None,
        seed: int = 0,
        policy: str = "binary",
        use_pool: bool | None = None,
        deadline: float | None = None,
    ) -> list[dict[str, Any]]:
        """Scores in the order of ``candidates``, from one request (scored side by side there)."""
        body = self._body(task, budget, seed, policy, use_pool, deadline)
        body["candidates"] = [candidate_json(c) for c in candidates]
        result: list[dict[str, Any]] = self._call("POST", "/score", body)
        return result

    def score_completions(self, completions: Sequence[Any], metas: Sequence[Any]) -> list[dict[str, Any]]:
        """Model completions scored as the adapters score them: the last fenced code
        block of each (``adapters.extract_candidate``), the task and settings from
        its metadata (a task name or a JSON object). One request per task and
        settings; results in input order, ``{"status": "no_code", "reward": 0.0}``
        for a completion without code."""
        from fuzzdiff.oracle.adapters import extract_candidate, settings_of

        out: list[dict[str, Any] | None] = [None] * len(completions)
        groups: dict[str, list[tuple[int, CandidateLike]]] = {}
        settings: dict[str, dict[str, Any]] = {}
        for i, (completion, meta) in enumerate(zip(completions, metas, strict=True)):
            found = extract_candidate(completion)
            if found is None:
                out[i] = {"status": "no_code", "reward": 0.0}
                continue
            chosen = settings_of(meta)
            key = json.dumps(chosen, sort_keys=True)
            settings[key] = chosen
            groups.setdefault(key, []).append((i, found))
        for key, members in groups.items():
            chosen = dict(settings[key])
            task = str(chosen.pop("task"))
            scores = self.score_batch(task, [c for _, c in members], **chosen)
            for (i, _), result in zip(members, scores, strict=True):
                out[i] = result
        return [o for o in out if o is not None]

    @staticmethod
    def _body(
        task: str, budget: int | None, seed: int, policy: str, use_pool: bool | None, deadline: float | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"task": task, "seed": seed, "policy": policy}
        if budget is not None:  # None: the service's default (``scoring.DEFAULT_BUDGET``)
            body["budget"] = budget
        if use_pool is not None:
            body["use_pool"] = use_pool
        if deadline is not None:
            body["deadline"] = deadline
        return body

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after is not None and retry_after.isdigit():
            return min(MAX_BACKOFF, float(retry_after))
        # Jitter spreads out clients that were turned away together.
        return min(MAX_BACKOFF, self.backoff * 2.0**attempt) * random.uniform(0.5, 1.0)

    def _call(self, method: str, path: str, body: object) -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as exc:
                kind, message = _error_body(exc)
                if exc.code != 503 or last:
                    raise ServiceError(exc.code, kind, message) from None
                time.sleep(self._delay(attempt, exc.headers.get("Retry-After")))
            except TimeoutError as exc:  # the answer did not come in time; the score may still be running
                raise ServiceError(None, "timeout", f"no answer from {self.url} within {self.timeout} s") from exc
            except (urllib.error.URLError, ConnectionError) as exc:
                if last:
                    reason = getattr(exc, "reason", exc)
                    raise ServiceError(None, "unreachable", f"{self.url}: {reason}") from exc
                time.sleep(self._delay(attempt, None))
        raise AssertionError("unreachable: the last attempt returns or raises")


def _error_body(exc: urllib.error.HTTPError) -> tuple[str, str]:
    raw = exc.read()
    try:
        doc = json.loads(raw)
        return str(doc["error"]), str(doc["message"])
    except (ValueError, KeyError, TypeError):
        return "http_error", raw.decode("utf-8", "replace")[:500] or str(exc.reason)
