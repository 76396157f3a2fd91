"""The HTTP reward service, started with uvicorn on a loopback port and called
over real HTTP with ``fuzzdiff.oracle.client``: scores equal local ``oracle.score``,
batches keep their order, a burst gets 503 busy, and bad requests get the
statuses and messages the service documents."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")

from fuzzdiff.oracle import serve  # noqa: E402
from fuzzdiff.oracle.client import Client, ServiceError  # noqa: E402
from fuzzdiff.oracle.scoring import DEFAULT_BUDGET, Candidate, score  # noqa: E402
from fuzzdiff.oracle.serve import ServiceConfig, create_app  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

BUDGET = 60
SEED = 3
# The reference is hidden from candidates (a wrapper would be a cheat), but a copy
# of it off PATH is not: a fast, faithful candidate, and the base of the others.
# Not under /tmp, which is private inside the sandbox.
CLONE_DIR = Path(tempfile.mkdtemp(prefix="fuzzdiff-serve-test-", dir="/var/tmp" if os.path.isdir("/var/tmp") else None))
atexit.register(shutil.rmtree, CLONE_DIR, True)
CLONE = CLONE_DIR / "clone-of-base64"
shutil.copy(shutil.which("base64") or "/usr/bin/base64", CLONE)
GOOD = {"command": str(CLONE)}
# Prints an extra "x" whenever it decodes: wrong on every probe with -d. (bash for
# `exec -a`: the clone must call itself base64 in its messages.)
BUGGY = {
    "source": f'(exec -a base64 {CLONE} "$@")\nrc=$?\nfor a in "$@"; do [ "$a" = "-d" ] && printf x; done\nexit $rc\n',
    "language": "bash",
}
# Right answers, slowly: holds a scoring slot for a few seconds.
# Slow, then the clone. A command naming the clone's directory: a masked candidate's
# sandbox holds only what its command names, its shell and the task's tools (no `sleep`).
(CLONE_DIR / "slow.sh").write_text(
    'clone=$1; shift\ni=0; while [ $i -lt 20000 ]; do i=$((i + 1)); done\nexec -a base64 "$clone" "$@"\n'
)
SLOW = {"command": f"bash {CLONE_DIR / 'slow.sh'} {CLONE}"}
MAX_BODY = 64 * 1024  # small, so an oversize body still fits the socket buffers and the 413 is read cleanly
#: Fields that measure the run rather than judge it (the reference count depends on how warm the cache is).
TIMINGS = {"seconds", "reference_executions", "cpu_seconds", "max_rss_kb", "wall_seconds"}


class Service:
    """A uvicorn server on its own thread, bound to a loopback socket with a free port."""

    def __init__(self, config: ServiceConfig) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(create_app(config), log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> Service:
        self.thread.start()
        for _ in range(400):
            if self.server.started:
                return self
            time.sleep(0.05)
        raise RuntimeError("the service did not start within 20 s")

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=60)
        self.sock.close()


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One private cache (reference outcomes, pool) for the service and the local scores alike."""
    root = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FUZZDIFF_CACHE", str(root))
        yield root


@pytest.fixture(scope="module")
def service(cache: Path) -> Iterator[Service]:
    with Service(ServiceConfig(max_concurrency=2, jobs=1, max_body=MAX_BODY, max_batch=4)) as running:
        yield running


@pytest.fixture(scope="module")
def client(service: Service) -> Client:
    return Client(service.url, timeout=100, retries=0)


def stable(value: Any) -> Any:
    """Everything but timings, resource figures and the reference cache's counter, at any depth."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in TIMINGS}
    return value


def post(url: str, body: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
    """A raw POST /score: status, decoded JSON body, headers."""
    request = urllib.request.Request(url + "/score", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), dict(exc.headers)


def test_health(client: Client) -> None:
    health = client.health()
    assert health["status"] == "ok"
    assert health["in_flight"] == 0
    assert (health["max_concurrency"], health["jobs"], health["max_body"]) == (2, 1, MAX_BODY)
    assert health["use_pool"] is False
    assert "base64" in health["tasks"]


@pytest.mark.parametrize(("candidate", "reward"), [(GOOD, 1.0), (BUGGY, 0.0)], ids=["good", "buggy"])
def test_score_equals_local_oracle(client: Client, candidate: dict[str, str], reward: float) -> None:
    remote = client.score("base64", candidate, budget=BUDGET, seed=SEED)
    local = score("base64", Candidate(**candidate), budget=BUDGET, seed=SEED, jobs=1, use_pool=False)
    assert (remote["status"], remote["reward"]) == ("ok", reward), remote["feedback"]
    assert remote["candidate"] == candidate
    assert stable(remote) == stable({"candidate": candidate, **local.to_json()})
    if reward == 0.0:
        assert remote["counterexample"]["candidate"]["stdout"].endswith("x")


def test_batch_keeps_input_order(client: Client) -> None:
    candidates = [BUGGY, GOOD, BUGGY, str(CLONE)]
    results = client.score_batch("base64", candidates, budget=BUDGET, seed=SEED)
    assert [r["reward"] for r in results] == [0.0, 1.0, 0.0, 1.0]
    assert [r["candidate"] for r in results] == [BUGGY, GOOD, BUGGY, GOOD]
    assert stable(results[0]) == stable(results[2])


def test_candidate_that_cannot_start_is_a_score_not_an_http_error(client: Client) -> None:
    result = client.score("base64", "no-such-program-fuzzdiff", budget=BUDGET, seed=SEED)
    assert (result["status"], result["reward"], result["cases"]) == ("error", None, 0)
    assert "no-such-program-fuzzdiff" in result["error"]


def test_source_with_a_lone_surrogate_is_scored_and_answered(service: Service) -> None:
    """The scorer takes it as written (JSON allows `\\ud800`), and the response echoed
    it: encoding that as UTF-8 failed with a 500 after the score had run."""
    source = b'{"source": "print(\'\\ud800\')", "language": "python"}'
    body = b'{"task": "base64", "budget": 3, "seed": 1, "candidate": ' + source + b"}"
    status, answer, _ = post(service.url, body)
    assert status == 200, answer
    assert answer["status"] == "ok" and answer["candidate"]["source"] == "print('\ud800')"


def test_a_client_without_a_budget_gets_the_services_default(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve, "DEFAULT_BUDGET", 7)  # not the client's to know
    result = client.score("base64", "no-such-program-fuzzdiff", seed=SEED)
    assert (result["status"], result["budget"]) == ("error", 7)


def test_unknown_task_is_400_naming_it(client: Client) -> None:
    with pytest.raises(ServiceError) as info:
        client.score("base65", GOOD, budget=BUDGET)
    assert (info.value.status, info.value.kind) == (400, "unknown_task")
    assert "'base65'" in info.value.message and "base64" in info.value.message


def test_task_file_refusal_names_the_flag_that_allows_it(client: Client) -> None:
    task_file = str(Path(__file__).resolve().parents[1] / "references" / "base64.toml")
    with pytest.raises(ServiceError) as info:
        client.score(task_file, GOOD, budget=BUDGET)
    assert (info.value.status, info.value.kind) == (400, "unknown_task")
    assert repr(task_file) in info.value.message and "--allow-task-files" in info.value.message


def test_a_request_deadline_caps_each_candidate(client: Client) -> None:
    late = client.score("base64", SLOW, budget=BUDGET, seed=SEED, deadline=0.001)
    assert (late["status"], late["reward"]) == ("deadline", None)


def test_client_scores_completions_as_the_adapters_do(client: Client) -> None:
    """Fenced code from model completions, the task and settings from each one's metadata."""
    port = (Path(__file__).resolve().parent.parent / "examples" / "base64" / "good.py").read_text()
    completions = ["Here:\n```python\n" + port + "```\n", "no code here", "```sh\nprintf nope\n```"]
    settings = json.dumps({"task": "base64", "budget": BUDGET, "seed": SEED})
    results = client.score_completions(completions, [settings, settings, "base64"])
    assert [r["status"] for r in results] == ["ok", "no_code", "ok"]
    assert [r["reward"] for r in results] == [1.0, 0.0, 0.0]
    assert results[2]["budget"] == DEFAULT_BUDGET  # a bare task name: the service's default budget


def test_malformed_json_is_400(service: Service) -> None:
    status, body, _ = post(service.url, b'{"task": "base64", "candidate": ')
    assert (status, body["error"]) == (400, "malformed")
    assert "not JSON" in body["message"]


def test_json_nested_too_deeply_is_400_and_the_service_goes_on(service: Service) -> None:
    deep = b'{"task": "base64", "candidate": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    status, body, _ = post(service.url, deep)
    assert (status, body["error"]) == (400, "malformed")
    assert post(service.url, b"[")[0] == 400  # still serving


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"policy": "lenient"}, "lenient"),
        ({"budget": 10**6}, "budget"),
        ({"budget": "60"}, "budget"),
        ({"seed": -1}, "seed"),
        ({"candidate": {"source": "print()", "language": "cobol"}}, "cobol"),
        ({"candidate": {"command": "base64", "source": "x"}}, "exactly one"),
        ({"bugdet": 60}, "bugdet"),
        ({"candidates": [GOOD]}, "not both"),
        ({"deadline": 0}, "deadline"),
        ({"deadline": "10"}, "deadline"),
        ({"deadline": 10**9}, "deadline"),
    ],
)
def test_bad_fields_are_422_naming_the_field(service: Service, change: dict[str, Any], named: str) -> None:
    request = {"task": "base64", "candidate": GOOD, "budget": BUDGET, **change}
    status, body, _ = post(service.url, json.dumps(request).encode())
    assert (status, body["error"]) == (422, "invalid"), body
    assert named in body["message"]


def test_oversize_body_and_batch_are_413(service: Service) -> None:
    big = {"task": "base64", "candidate": {"source": "#" * MAX_BODY, "language": "shell"}}
    status, body, _ = post(service.url, json.dumps(big).encode())
    assert (status, body["error"]) == (413, "too_large")
    many = {"task": "base64", "candidates": [GOOD] * 5, "budget": BUDGET}
    status, body, _ = post(service.url, json.dumps(many).encode())
    assert (status, body["error"]) == (413, "too_large")
    assert "at most 4" in body["message"]


def test_burst_beyond_capacity_is_busy_not_a_hang(cache: Path) -> None:
    with Service(ServiceConfig(max_concurrency=1, jobs=1)) as running:
        patient = Client(running.url, timeout=60, retries=0)
        first: list[dict[str, Any]] = []
        worker = threading.Thread(target=lambda: first.append(patient.score("base64", SLOW, budget=30, seed=SEED)))
        worker.start()
        while patient.health()["in_flight"] == 0:
            assert worker.is_alive(), "the slow score ended before the burst"
            time.sleep(0.02)
        for _ in range(3):
            status, body, headers = post(running.url, json.dumps({"task": "base64", "candidate": GOOD}).encode())
            assert (status, body["error"]) == (503, "busy")
            assert int(headers["retry-after"]) >= 1
        with pytest.raises(ServiceError) as info:
            patient.score("base64", GOOD, budget=BUDGET)
        assert (info.value.status, info.value.kind) == (503, "busy")
        # Every refusal came while the first score was still running: answered, not queued.
        assert worker.is_alive()
        # A client that retries gets through once the slot is free.
        retrying = Client(running.url, timeout=60, retries=10, backoff=0.2)
        assert retrying.score("base64", GOOD, budget=BUDGET, seed=SEED)["reward"] == 1.0
        worker.join(timeout=60)
        assert first and (first[0]["status"], first[0]["reward"]) == ("ok", 1.0)


def test_client_retries_until_the_service_is_up(cache: Path) -> None:
    service = Service(ServiceConfig(max_concurrency=1, jobs=1))
    starter = threading.Timer(0.5, service.__enter__)
    starter.start()
    try:
        assert Client(service.url, timeout=30, retries=8, backoff=0.2).health()["status"] == "ok"
    finally:
        starter.join()
        service.__exit__()
    with pytest.raises(ServiceError) as info:
        Client(service.url, timeout=5, retries=1, backoff=0.01).health()
    assert (info.value.status, info.value.kind) == (None, "unreachable")


def run_cli(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60, check=False, env=os.environ
    )


def test_serve_without_the_extra_names_the_install(tmp_path: Path) -> None:
    code = "import sys; sys.modules['fastapi'] = None; sys.argv[0] = 'fuzzdiff'; from fuzzdiff.cli import main; main()"
    proc = run_cli(code, "serve")
    assert proc.returncode == 2, proc.stderr
    assert "pip install 'fuzzdiff[serve]'" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_serve_answers_health_and_stops() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "fuzzdiff", "serve", "--port", str(port), "--max-concurrency", "3", "--jobs", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = Client(f"http://127.0.0.1:{port}", timeout=10, retries=12, backoff=0.25).health()
        assert (health["max_concurrency"], health["jobs"]) == (3, 1)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "127.0.0.1" in err and "Traceback" not in err
