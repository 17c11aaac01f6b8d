"""Every route x every kind of caller answers as the permission matrix says.

A caller that is let in must not see 401/403 (it gets 2xx, 404 or 422: the path ids do not
exist and the bodies are empty, so nothing is changed); one that is kept out gets exactly
401 (no valid credential) or 403 (a valid one without the right). The route list comes from
the app itself, so a new route without a matrix entry fails here.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer

from gpustack.config import Config
from gpustack.server.app import create_app
from gpustack.server.gateway.operations.registry import default_operations
from gpustack.worker.api import create_worker_app
from tests.support.app_client import ADMIN_PASSWORD
from tests.unit.server.api.permission_matrix import (
    GATEWAY_ROUTES,
    SERVER_ROUTES,
    WORKER_API_ROUTES,
    Access,
)

# Ids that exist nowhere but fit the ids' range: a caller let in gets 404, not a change.
MISSING_ID = "2147480000"
# Requests come from outside the machine, so loopback-only routes are judged by credentials.
REMOTE_CLIENT = ("203.0.113.7", 40000)
ALLOW = 0  # expected "let in": any status but 401/403


@dataclass(frozen=True)
class Identity:
    name: str
    headers: dict[str, str]


# access → {identity name: expected status, ALLOW for "let in"}; an identity missing from a
# row is kept out with 401 if it carries no valid credential, else 403.
PERSONS = {"user", "user_key", "group_admin", "admin", "admin_key", "management_key"}
ADMINS = {"admin", "admin_key", "management_key"}
NO_CREDENTIAL = {
    "anonymous",
    "invalid_key",
    "disabled_key",
    "deactivated_user_key",
    "cluster_token",
}
LET_IN: dict[Access, set[str]] = {
    Access.PUBLIC: {
        *NO_CREDENTIAL,
        "worker",
        "inference_key",
        *PERSONS,
    },
    Access.PERSON: PERSONS,
    Access.ADMIN: ADMINS,
    Access.READER: PERSONS | {"worker"},
    Access.WORKER: {"worker"},
    Access.WORKER_OR_ADMIN: ADMINS | {"worker"},
    Access.CLUSTER: {"cluster_token"},
    Access.METRICS: ADMINS,
    Access.INFERENCE: {"inference_key", "user_key", "admin_key", "user", "group_admin", "admin"},
}


def expected_status(access: Access, identity: str) -> int:
    if identity in LET_IN[access]:
        return ALLOW
    if access is Access.CLUSTER:
        # The one credential this route takes is missing, whatever else the caller holds.
        return 401
    return 401 if identity in NO_CREDENTIAL else 403


def concrete_path(path: str, worker_id: int) -> str:
    """The declared path with its parameters filled: the worker's own id where a worker
    reports about itself, an id that exists nowhere everywhere else."""
    if path.startswith("/v2/workers/{worker_id}/"):
        path = path.replace("{worker_id}", str(worker_id))
    return re.sub(r"\{[^}]+\}", MISSING_ID, path)


def judge(status: int, expected: int) -> bool:
    return status not in (401, 403) if expected == ALLOW else status == expected


@pytest.fixture
async def app_client(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    config = Config(
        data_dir=tmp_path / "data",
        database_url=database_url,
        bootstrap_password=ADMIN_PASSWORD,
        disable_worker=True,
    )
    app = create_app(config)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=REMOTE_CLIENT)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


async def _session(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    resp = await client.post("/auth/login", data={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    cookie = "; ".join(f"{name}={value}" for name, value in resp.cookies.items())
    client.cookies.clear()
    return {"Cookie": cookie}


async def _key(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, **fields: object
) -> str:
    resp = await client.post("/v2/api-keys", json={"name": name, **fields}, headers=headers)
    assert resp.status_code == 201, resp.text
    value: str = resp.json()["value"]
    return value


async def identities(client: httpx.AsyncClient) -> tuple[list[Identity], int]:
    """Every kind of caller, and the id of the registered worker."""
    admin = await _session(client, "admin", ADMIN_PASSWORD)
    users = []
    for name in ("alice", "bob", "carol"):
        resp = await client.post(
            "/v2/users", json={"username": name, "password": f"{name}-pass-1"}, headers=admin
        )
        assert resp.status_code == 201, resp.text
        users.append(resp.json()["id"])
    alice = await _session(client, "alice", "alice-pass-1")
    carol = await _session(client, "carol", "carol-pass-1")
    # Carol administers a group that has Alice in it.
    group = await client.post("/v2/groups", json={"name": "team"}, headers=admin)
    assert group.status_code == 201, group.text
    for username, role in (("carol", "admin"), ("alice", "member")):
        joined = await client.post(
            f"/v2/groups/{group.json()['id']}/members",
            json={"username": username, "role": role},
            headers=admin,
        )
        assert joined.status_code in (200, 201), joined.text
    disabled = await client.post("/v2/api-keys", json={"name": "off"}, headers=alice)
    assert disabled.status_code == 201, disabled.text
    off = await client.patch(
        f"/v2/api-keys/{disabled.json()['id']}", json={"is_active": False}, headers=alice
    )
    assert off.status_code == 200, off.text
    bob = await _session(client, "bob", "bob-pass-1")
    bob_key = await _key(client, bob, "bob")
    resp = await client.put(f"/v2/users/{users[1]}", json={"is_active": False}, headers=admin)
    assert resp.status_code == 200, resp.text
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    cluster = {"Authorization": f"Bearer {ctx.cluster_token}"}
    resp = await client.post(
        "/v2/workers/register",
        json={"name": "w1", "ip": "127.0.0.1", "port": 10150},
        headers=cluster,
    )
    assert resp.status_code == 200, resp.text
    worker = resp.json()

    def bearer(value: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {value}"}

    found = [
        Identity("anonymous", {}),
        Identity("invalid_key", bearer("gpustack_0123456789abcdef_notakey")),
        Identity("user", alice),
        Identity("user_key", bearer(await _key(client, alice, "alice"))),
        Identity("group_admin", carol),
        Identity("disabled_key", bearer(disabled.json()["value"])),
        Identity("admin", admin),
        Identity("admin_key", bearer(await _key(client, admin, "all"))),
        Identity("management_key", bearer(await _key(client, admin, "mgmt", scope="management"))),
        Identity("inference_key", bearer(await _key(client, admin, "inf", scope="inference"))),
        Identity("deactivated_user_key", bearer(bob_key)),
        Identity("worker", bearer(worker["token"])),
        Identity("cluster_token", cluster),
    ]
    return found, int(worker["id"])


def declared_server_routes(client: httpx.AsyncClient) -> set[tuple[str, str]]:
    app = client.app  # type: ignore[attr-defined]
    routes = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    # Served outside the OpenAPI document: Prometheus' scrape path.
    return routes | {("GET", "/metrics")}


def declared_gateway_routes() -> set[tuple[str, str]]:
    return {("GET", "/models")} | {("POST", path) for path in default_operations()}


def test_every_route_has_an_entry(app_client: httpx.AsyncClient) -> None:
    server = declared_server_routes(app_client)
    assert server - SERVER_ROUTES.keys() == set(), "routes without a permission entry"
    assert SERVER_ROUTES.keys() - server == set(), "entries for routes that are gone"
    gateway = declared_gateway_routes()
    assert gateway ^ GATEWAY_ROUTES.keys() == set()


async def test_server_routes_answer_every_caller_as_the_matrix_says(
    app_client: httpx.AsyncClient,
) -> None:
    callers, worker_id = await identities(app_client)
    checks = [
        (method, path, access, "")
        for (method, path), access in SERVER_ROUTES.items()
        if path != "/auth/logout"
    ] + [
        (method, f"{prefix}{path}", access, prefix)
        for prefix in ("/v1", "/v1-openai")
        for (method, path), access in GATEWAY_ROUTES.items()
    ]
    wrong = []
    for method, path, access, _ in checks:
        url = concrete_path(path, worker_id)
        for caller in callers:
            resp = await _call(app_client, method, url, caller.headers)
            want = expected_status(access, caller.name)
            if not judge(resp.status_code, want):
                shown = want or "let in"
                wrong.append(f"{method} {path} as {caller.name}: {resp.status_code}, want {shown}")
    assert wrong == [], "\n".join(wrong)
    assert len(checks) * len(callers) > 700


async def test_logout_ends_only_the_callers_own_session(app_client: httpx.AsyncClient) -> None:
    callers, _ = await identities(app_client)
    by_name = {caller.name: caller for caller in callers}
    for caller in callers:
        resp = await _call(app_client, "POST", "/auth/logout", caller.headers)
        assert resp.status_code < 400, (caller.name, resp.status_code)
    # The admin's key outlives the admin's logged-out session.
    me = await _call(app_client, "GET", "/v2/users/me", by_name["admin"].headers)
    assert me.status_code == 401
    me = await _call(app_client, "GET", "/v2/users/me", by_name["admin_key"].headers)
    assert me.status_code == 200


async def _call(
    client: httpx.AsyncClient, method: str, url: str, headers: dict[str, str]
) -> httpx.Response:
    body = None if method in ("GET", "DELETE") else {}
    return await client.request(method, url, json=body, headers=headers)


async def test_worker_api_admits_only_the_servers_credential_for_it() -> None:
    class NoInstances:
        def status_of(self, instance_id: int) -> None:
            return None

        def log_path(self, instance_id: int) -> Path:
            return Path("/nonexistent") / str(instance_id)

    class NoFiles:
        async def remove(self, file_id: int, source: object) -> int:
            return 0

    app = create_worker_app(NoInstances(), lambda: "the-right-one", model_files=NoFiles())  # type: ignore[arg-type]
    declared = {
        (route.method, _canonical(route.resource.canonical))
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    assert declared ^ WORKER_API_ROUTES.keys() == set()
    callers = {
        "server_credential": {"Authorization": "Bearer the-right-one"},
        "another_workers_credential": {"Authorization": "Bearer the-wrong-one"},
        "anonymous": {},
    }
    async with TestClient(TestServer(app)) as client:
        wrong = []
        for (method, path), access in WORKER_API_ROUTES.items():
            url = re.sub(r"\{[^}]+\}", "7", path)
            for name, headers in callers.items():
                verb = "GET" if method == "*" else method
                resp = await client.request(verb, url, headers=headers)
                let_in = access is Access.PUBLIC or name == "server_credential"
                if let_in == (resp.status in (401, 403)) or (not let_in and resp.status != 401):
                    wrong.append(f"{method} {path} as {name}: {resp.status}")
        assert wrong == [], "\n".join(wrong)


def _canonical(path: str) -> str:
    # aiohttp spells `{id:\d+}`; the matrix spells `{id}`.
    return re.sub(r"\{(\w+):[^}]*\}", r"{\1}", path)
