"""The reward oracle as an HTTP service: ``GET /health`` and ``POST /score``.

A request names a task, one candidate (``"candidate"``) or a list
(``"candidates"``), a budget, a seed and optionally a policy; the answer carries
the fields of ``fuzzdiff score --json`` (``Score.to_json()`` plus
``"candidate"``), one object or a list in input order.

HTTP statuses separate whose problem it is:

- **200**: the oracle scored it. Whatever happened to the candidate (it
  diverged, crashed, timed out, or could not even start) is in the body's
  ``status``, ``reward`` and ``error``, exactly as ``scoring.score`` returns it.
- **400** malformed body or unknown task, **413** body or batch too large,
  **422** well-formed JSON with a bad field (type, range, policy, language):
  the caller's mistake; retrying the same request will not help.
- **503** ``busy``: every scoring slot is taken. Answered at once with a
  ``Retry-After`` header; requests are never queued, so nothing hangs.
- **500** the service's own failure, or a task whose reference program is not
  installed on this host.

Every error body is ``{"error": KIND, "message": TEXT}``.

Scores are reproducible: the shared pool of earlier findings is off unless the
service is started with it (or a request asks), so the same task, candidate,
budget, seed and policy give what ``scoring.score(..., use_pool=False)`` gives
locally, whatever other requests came before.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse as _StarletteJSON
from starlette.exceptions import HTTPException as StarletteHTTPException

from fuzzdiff.core.errors import UserError
from fuzzdiff.core.spec import load_task, shipped_tasks
from fuzzdiff.core.version import __version__
from fuzzdiff.oracle.batch import BatchScorer, default_slots
from fuzzdiff.oracle.batch import Request as BatchRequest
from fuzzdiff.oracle.scoring import DEADLINE, DEFAULT_BUDGET, POLICIES, Candidate
from fuzzdiff.run.program import reference_program

#: Languages ``scoring.materialise`` turns into a command; checked here so a typo is a 422, not a scored error.
LANGUAGES = ("python", "python3", "py", "shell", "sh", "bash")
CANDIDATE_FIELDS = ("command", "path", "source", "language")
REQUEST_FIELDS = ("task", "candidate", "candidates", "budget", "seed", "policy", "use_pool", "deadline")
#: Bounds on Retry-After (seconds): at least one second, and never so long a client gives up.
RETRY_AFTER_MIN, RETRY_AFTER_MAX = 1, 60
#: Weight of the newest request in the running mean that sets Retry-After.
RETRY_AFTER_WEIGHT = 0.3


class JSONResponse(_StarletteJSON):
    """JSON with every character past ASCII escaped: a score echoes the candidate's
    source, and one holding a lone surrogate (`"\\ud800"`, which JSON allows and the
    scorer takes as written) made the UTF-8 response fail with a 500 after scoring."""

    def render(self, content: object) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """What the operator decides; requests cannot change these (except ``use_pool``, per request)."""

    #: Requests scored at once (one candidate or a batch each); one more gets 503.
    max_concurrency: int = 4
    #: Slots of the service's batch scorer (``batch.BatchScorer``: a warm worker
    #: each, shared by all requests); None: one per core and one more.
    jobs: int | None = None
    #: Default for requests that do not say: off, so scores do not depend on earlier requests.
    use_pool: bool = False
    sandbox: bool = True
    #: None: the oracle's own default (hide the reference from candidates), so scores match local ones.
    mask_reference: bool | None = None
    #: Request bodies larger than this get 413 (1 MiB: far more than any program's source).
    max_body: int = 1 << 20
    #: Candidates per batch request at most (413 beyond): one slot should not be held for hours.
    max_batch: int = 64
    #: Largest budget a request may ask for (422 beyond).
    max_budget: int = 20_000
    #: Hard deadline of each score, seconds (``scoring.DEADLINE`` by default).
    deadline: float = DEADLINE
    #: Accept task files by path; off, only the shipped task names are served.
    allow_task_files: bool = False


class ApiError(Exception):
    """An answer other than 200: status, a short kind, and a message naming the problem."""

    def __init__(self, status: int, kind: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        return error_response(self.status, self.kind, self.message, self.headers)


def error_response(status: int, kind: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": kind, "message": message}, status_code=status, headers=dict(headers or {}))


@dataclass(frozen=True, slots=True)
class ScoreRequest:
    task: str
    candidates: tuple[Candidate, ...]
    echoes: tuple[dict[str, str], ...]  # each candidate as the request gave it
    batch: bool
    budget: int
    seed: int
    policy: str
    use_pool: bool
    deadline: float = DEADLINE


def _deadline(doc: Mapping[str, Any], config: ServiceConfig) -> float:
    """The request's per-candidate deadline: a number of seconds, at most the service's."""
    value = doc.get("deadline", config.deadline)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= config.deadline:
        raise ApiError(
            422,
            "invalid",
            f"'deadline' must be a number of seconds above 0 and at most {config.deadline:g}, not {value!r}",
        )
    return float(value)


def _integer(doc: Mapping[str, Any], name: str, default: int, low: int, high: int | None) -> int:
    value = doc.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(422, "invalid", f"{name!r} must be an integer, not {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ApiError(422, "invalid", f"{name!r} must be {bound}, not {value}")
    return value


def parse_candidate(raw: object, where: str) -> tuple[Candidate, dict[str, str]]:
    if isinstance(raw, str):  # a bare string is a command line, as on the command line
        raw = {"command": raw}
    if not isinstance(raw, dict):
        raise ApiError(422, "invalid", f"{where} must be an object like {{'command': ...}}, not {raw!r:.80}")
    unknown = sorted(set(raw) - set(CANDIDATE_FIELDS))
    if unknown:
        raise ApiError(422, "invalid", f"{where} has unknown field(s) {unknown}; use {', '.join(CANDIDATE_FIELDS)}")
    for name, value in raw.items():
        if not isinstance(value, str):
            raise ApiError(422, "invalid", f"{where}.{name} must be a string")
    forms = [name for name in ("command", "path", "source") if name in raw]
    if len(forms) != 1:
        raise ApiError(422, "invalid", f"{where} needs exactly one of command, path or source (got {forms or 'none'})")
    if forms[0] == "source":
        language = raw.get("language")
        if language is None or language.lower() not in LANGUAGES:
            raise ApiError(422, "invalid", f"{where}.language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    elif "language" in raw:
        raise ApiError(422, "invalid", f"{where}.language goes only with source")
    elif not raw[forms[0]].strip():
        raise ApiError(422, "invalid", f"{where}.{forms[0]} is empty")
    return Candidate(**raw), dict(raw)


def parse_request(doc: object, config: ServiceConfig) -> ScoreRequest:
    """Check a decoded body field by field; every problem names the field and the fix."""
    if not isinstance(doc, dict):
        raise ApiError(400, "malformed", "the body must be a JSON object with task and candidate (or candidates)")
    unknown = sorted(set(doc) - set(REQUEST_FIELDS))
    if unknown:
        raise ApiError(422, "invalid", f"unknown field(s) {unknown}; a request has {', '.join(REQUEST_FIELDS)}")
    task = doc.get("task")
    if not isinstance(task, str) or not task:
        raise ApiError(422, "invalid", "'task' must be a task name such as 'base64'")
    if ("candidate" in doc) == ("candidates" in doc):
        raise ApiError(422, "invalid", "give either 'candidate' (one) or 'candidates' (a list), not both or neither")
    batch = "candidates" in doc
    raws = doc["candidates"] if batch else [doc["candidate"]]
    if not isinstance(raws, list) or not raws:
        raise ApiError(422, "invalid", "'candidates' must be a non-empty list")
    if len(raws) > config.max_batch:
        raise ApiError(413, "too_large", f"{len(raws)} candidates in one request; at most {config.max_batch}")
    parsed = [parse_candidate(raw, f"candidates[{n}]" if batch else "candidate") for n, raw in enumerate(raws)]
    policy = doc.get("policy", "binary")
    if policy not in POLICIES:
        raise ApiError(422, "invalid", f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}")
    use_pool = doc.get("use_pool", config.use_pool)
    if not isinstance(use_pool, bool):
        raise ApiError(422, "invalid", "'use_pool' must be true or false")
    return ScoreRequest(
        task=task,
        candidates=tuple(c for c, _ in parsed),
        echoes=tuple(e for _, e in parsed),
        batch=batch,
        budget=_integer(doc, "budget", DEFAULT_BUDGET, 1, config.max_budget),
        seed=_integer(doc, "seed", 0, 0, None),
        policy=policy,
        use_pool=use_pool,
        deadline=_deadline(doc, config),
    )


def check_task(task: str, config: ServiceConfig) -> None:
    """400 for a task this service does not know; 500 when its reference is missing here."""
    if not config.allow_task_files and task not in shipped_tasks():
        raise ApiError(
            400,
            "unknown_task",
            f"unknown task {task!r}; this service scores the shipped tasks: {', '.join(shipped_tasks())} "
            "(task files only when started with `fuzzdiff serve --allow-task-files`)",
        )
    try:
        spec = load_task(task)
    except UserError as exc:
        raise ApiError(400, "unknown_task", str(exc)) from exc
    try:
        reference_program(spec)
    except UserError as exc:
        raise ApiError(500, "reference_unavailable", str(exc)) from exc


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to pass ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(400, "malformed", f"bad Content-Length {declared!r}")
        if int(declared) > limit:
            raise ApiError(413, "too_large", f"request body of {declared} bytes; this service takes at most {limit}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError(413, "too_large", f"request body over {limit} bytes; this service takes at most {limit}")
    return bytes(body)


class Slots:
    """A non-blocking counting semaphore, and a running mean of how long a slot is held."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.in_use = 0
        self.mean_seconds = 0.0
        self._lock = threading.Lock()

    def try_acquire(self) -> bool:
        with self._lock:
            if self.in_use >= self.size:
                return False
            self.in_use += 1
            return True

    def release(self, seconds: float) -> None:
        with self._lock:
            self.in_use -= 1
            w = RETRY_AFTER_WEIGHT if self.mean_seconds else 1.0
            self.mean_seconds = (1 - w) * self.mean_seconds + w * seconds

    def retry_after(self) -> int:
        return min(RETRY_AFTER_MAX, max(RETRY_AFTER_MIN, math.ceil(self.mean_seconds)))


class Scorers:
    """The service's warm batch scorers (``batch.BatchScorer``), one per pool
    setting, made at first use: every request's candidates go through the same
    batch path as a training script's, side by side on shared slots."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.made: dict[bool, BatchScorer] = {}
        self.lock = threading.Lock()

    def get(self, use_pool: bool) -> BatchScorer:
        with self.lock:
            if use_pool not in self.made:
                cfg = self.config
                mask = True if cfg.mask_reference is None else cfg.mask_reference
                self.made[use_pool] = BatchScorer(
                    slots=cfg.jobs, sandbox=cfg.sandbox, mask_reference=mask, use_pool=use_pool
                )
            return self.made[use_pool]

    def close(self) -> None:
        with self.lock:
            made, self.made = list(self.made.values()), {}
        for scorer in made:
            scorer.close()


def score_request(req: ScoreRequest, scorers: Scorers) -> list[Any]:
    """Score every candidate of a request as one batch, as ``fuzzdiff score --json`` would print them."""
    requests = [
        BatchRequest(req.task, cand, budget=req.budget, seed=req.seed, policy=req.policy, deadline=req.deadline)
        for cand in req.candidates
    ]
    scores = scorers.get(req.use_pool).score_batch(requests)
    return [{"candidate": echo, **result.to_json()} for echo, result in zip(req.echoes, scores, strict=True)]


def create_app(config: ServiceConfig | None = None) -> FastAPI:
    """The ASGI app. Scores run on a thread pool as wide as ``max_concurrency``;
    each score starts its own worker processes, so the event loop stays free to
    answer health checks and 503s while every slot is busy."""
    cfg = config or ServiceConfig()
    if cfg.max_concurrency < 1:
        raise UserError(f"max_concurrency must be at least 1, not {cfg.max_concurrency}")
    slots = Slots(cfg.max_concurrency)
    threads = ThreadPoolExecutor(max_workers=cfg.max_concurrency, thread_name_prefix="fuzzdiff-score")
    scorers = Scorers(cfg)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        threads.shutdown(wait=False, cancel_futures=True)
        scorers.close()

    app = FastAPI(title="fuzzdiff reward service", version=__version__, lifespan=lifespan)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = "not_found" if exc.status_code == 404 else "bad_request"
        return error_response(exc.status_code, kind, str(exc.detail), exc.headers)

    @app.exception_handler(Exception)
    async def internal_error(_: Request, exc: Exception) -> JSONResponse:
        return error_response(500, "internal", f"{type(exc).__name__}: {exc}")

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "version": __version__,
            "in_flight": slots.in_use,
            "max_concurrency": cfg.max_concurrency,
            "jobs": cfg.jobs or default_slots(),  # slots of the batch scorer
            "use_pool": cfg.use_pool,
            "sandbox": cfg.sandbox,
            "max_body": cfg.max_body,
            "max_batch": cfg.max_batch,
            "max_budget": cfg.max_budget,
            "tasks": shipped_tasks(),
        }

    @app.post("/score")
    async def score(request: Request) -> JSONResponse:
        body = await read_body(request, cfg.max_body)
        try:
            doc = json.loads(body)
        except ValueError as exc:
            raise ApiError(400, "malformed", f"the body is not JSON: {exc}") from exc
        except RecursionError as exc:  # arrays in arrays, 200,000 deep, fit in a small body
            raise ApiError(400, "malformed", "the body nests JSON arrays or objects too deeply") from exc
        req = parse_request(doc, cfg)
        check_task(req.task, cfg)
        if not slots.try_acquire():
            wait = slots.retry_after()
            raise ApiError(
                503,
                "busy",
                f"all {cfg.max_concurrency} scoring slots are in use; retry in {wait} s",
                {"Retry-After": str(wait)},
            )
        start = time.monotonic()
        try:
            future = threads.submit(score_request, req, scorers)
        except BaseException:
            slots.release(0.0)
            raise
        # Released when the work ends, not when this handler does: a client that
        # goes away does not stop a running score, and its slot stays taken until then.
        future.add_done_callback(lambda _f: slots.release(time.monotonic() - start))
        results = await _await(future)
        return JSONResponse(results if req.batch else results[0])

    return app


async def _await(future: Future[list[Any]]) -> list[Any]:
    try:
        return await asyncio.wrap_future(future)
    except UserError as exc:  # the oracle's own checks, should one pass ours
        raise ApiError(400, "bad_request", str(exc)) from exc


def run(config: ServiceConfig, host: str = "127.0.0.1", port: int = 8080, log_level: str = "info") -> None:
    """Serve until interrupted (uvicorn, one process; scores are parallel inside it)."""
    uvicorn.run(create_app(config), host=host, port=port, log_level=log_level)
