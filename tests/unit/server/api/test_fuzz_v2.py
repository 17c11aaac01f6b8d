"""Schemathesis against the /v2 OpenAPI of a running app: no 5xx, only declared statuses and bodies.

The app runs in-process (schemathesis's ASGI client, lifespan included) on a fresh database seeded
with one of every resource (a user, a worker, a deployment and its instance, a model file, an API
key), so generated ids meet real rows as well as missing ones; a case that deletes a seeded row is
followed by planting it again.

It runs as the administrator and as a plain user, both session cookies: a fuzzed `PUT` or `DELETE
/v2/api-keys/{id}` could revoke a key identity mid-run, while no /v2 operation ends a session. No
operation is left out; two generated inputs are changed before sending (`_keep_run_alive`):
`watch=true` (its event stream stays open until the client leaves) and a new password for the
caller itself. Worker-only operations answer 403 to both identities.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.python import asgi
from schemathesis.specs.openapi import checks as openapi_checks

from gpustack.config import Config
from gpustack.schemas.workers import WORKER_TOKEN_HEADER
from gpustack.server.app import create_app
from tests.support.app_client import ADMIN_PASSWORD
from tests.support.databases import backends, fresh_database

USER_PASSWORD = "alice-pass-1"
# With the coverage phase's boundary cases (huge ints, nulls, wrong types) on top, this keeps
# both identities within a few minutes on two cores.
EXAMPLES_PER_OPERATION = 12
CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]
# Seconds one request may take; anything slower is a hang, not a slow answer.
REQUEST_TIMEOUT_S = 20


def _app(database_url: str, data_dir: Path) -> Any:
    return create_app(
        Config(
            data_dir=data_dir,
            database_url=database_url,
            bootstrap_password=ADMIN_PASSWORD,
            disable_worker=True,
        )
    )


def _openapi() -> dict[str, Any]:
    """The OpenAPI of the app under test; building it needs no database, so it runs at import."""
    with tempfile.TemporaryDirectory() as folder:
        document: dict[str, Any] = _app(f"sqlite:///{folder}/unused.db", Path(folder)).openapi()
        return document


OPENAPI = _openapi()
schema = schemathesis.openapi.from_dict(OPENAPI).include(path_regex="^/v2/")


@dataclass
class FuzzRun:
    """The identity the fuzzer calls with, and what the app answered it."""

    identity: str
    client: requests.Session
    user_id: int
    seed: Seed
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)


# The administrator reaches every operation, so it runs on every backend; the plain user meets
# mostly 403s and runs on SQLite only, to keep the whole module within a few minutes.
RUNS = [("admin", backend) for backend in backends()] + [("user", "sqlite")]


@pytest.fixture(scope="module", params=RUNS, ids=[f"{i}-{b}" for i, b in RUNS])
def fuzz_run(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    database_templates: dict[str, str],
) -> Iterator[FuzzRun]:
    identity, backend = request.param
    folder = tmp_path_factory.mktemp(f"fuzz-{identity}")
    with asyncio.Runner() as runner:
        database = fresh_database(backend, folder, database_templates[backend])
        app = _app(runner.run(database.__aenter__()), folder / "data")
        try:
            with asgi.get_client(app) as admin, asgi.get_client(app) as user:
                assert admin.get("/openapi.json").json() == OPENAPI
                _login(admin, "admin", ADMIN_PASSWORD)
                seed = Seed(admin, app.state.ctx.cluster_token)
                seed.plant()
                _login(user, "alice", USER_PASSWORD)
                caller = admin if identity == "admin" else user
                run = FuzzRun(identity, caller, caller.get("/v2/users/me").json()["id"], seed)
                yield run
        finally:
            asgi.shutdown_lifespans()
            runner.run(database.__aexit__(None, None, None))
    cases = sum(run.statuses.values())
    print(f"\nfuzzed /v2 as {identity} on {backend}: {cases} cases, {_by_status(run)}")
    assert run.statuses, "no case reached the app"


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_v2_operation_answers_as_its_openapi_says(case: Any, fuzz_run: FuzzRun) -> None:
    _keep_run_alive(case, fuzz_run.user_id)
    response = case.call_and_validate(
        session=fuzz_run.client, checks=CHECKS, timeout=REQUEST_TIMEOUT_S
    )
    fuzz_run.statuses[(f"{case.method} {case.path}", response.status_code)] += 1
    if case.method == "DELETE" and response.status_code == 204:
        fuzz_run.seed.restore(case.path.split("/")[2])
    if case.path != "/v2/workers/register":
        # Only the cluster-token route refuses a logged-in caller: a 401 anywhere else means the
        # run lost its identity and the cases after it would test nothing.
        assert response.status_code != 401, response.text


def _keep_run_alive(case: Any, user_id: int) -> None:
    """Undo what would end the run rather than test the API."""
    # `watch=true` answers an event stream that stays open until the client leaves.
    if isinstance(case.query, dict) and "watch" in case.query:
        case.query["watch"] = False
    # A new password for the caller itself would leave its session to the password rules.
    own_user = case.path == "/v2/users/{user_id}" and case.path_parameters.get("user_id") == user_id
    if case.method == "PUT" and own_user and isinstance(case.body, dict):
        case.body.pop("password", None)


def _login(client: requests.Session, username: str, password: str) -> None:
    resp = client.post("/auth/login", data={"username": username, "password": password})
    assert resp.status_code == 200, resp.text


@dataclass
class Seed:
    """One of each resource, so generated small ids find rows; put back when a case deletes one."""

    admin: requests.Session
    cluster_token: str
    weights: dict[str, str] = field(
        default_factory=lambda: {"source": "local_path", "local_path": "/nonexistent/m.gguf"}
    )
    # The seeded worker's own token: re-registering its name must prove to be that worker.
    worker_token: str | None = None

    def plant(self) -> None:
        for kind in ("users", "models", "workers", "api-keys"):
            self.restore(kind)

    def restore(self, kind: str) -> None:
        """Create the seeded resource of this kind (again: a case may have deleted it)."""
        if kind == "users":
            self._create("/v2/users", {"username": "alice", "password": USER_PASSWORD})
        elif kind == "models":
            self._create("/v2/models", {"name": "fuzz-model"} | self.weights)
        elif kind in ("workers", "model-files"):
            # Port 1 on loopback refuses at once: log relays and clean-ups fail fast (409/502).
            worker = {"name": "fuzz-worker", "ip": "127.0.0.1", "port": 1, "labels": {"zone": "a"}}
            auth = {"Authorization": f"Bearer {self.cluster_token}"}
            if self.worker_token:
                auth[WORKER_TOKEN_HEADER] = self.worker_token
            resp = self.admin.post("/v2/workers/register", json=worker, headers=auth)
            assert resp.status_code == 200, resp.text
            self.worker_token = resp.json()["token"]
            self._create("/v2/model-files", {"worker_id": resp.json()["id"]} | self.weights)
        elif kind == "api-keys":
            self._create("/v2/api-keys", {"name": "fuzz-key"})

    def _create(self, path: str, body: dict[str, Any]) -> None:
        resp = self.admin.post(path, json=body)
        assert resp.status_code in (201, 409), resp.text


def _by_status(run: FuzzRun) -> str:
    counts: Counter[int] = Counter()
    for (_, status), count in run.statuses.items():
        counts[status] += count
    return ", ".join(f"{status}: {count}" for status, count in sorted(counts.items()))
