"""Two servers on one PostgreSQL: events and key revocation cross servers; leadership moves."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
import pytest

from tests.support.databases import POSTGRES_ENV, fresh_database
from tests.support.processes import ADMIN_PASSWORD, GpustackProcess, cluster, free_port, wait_until

pytestmark = pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"needs {POSTGRES_ENV}")


def test_two_servers_share_state_events_and_leadership(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with fresh_database("postgresql", tmp_path) as url:
            await asyncio.to_thread(_run, tmp_path, url)

    asyncio.run(scenario())


def _run(tmp_path: Path, url: str) -> None:
    with cluster(tmp_path) as running:
        running.start_server("--database-url", url, with_worker=False)
        port_b = free_port()
        b = GpustackProcess(
            ["--host", "127.0.0.1", "--port", str(port_b), "--data-dir", str(tmp_path / "b"),
             "--database-url", url, "--bootstrap-password", ADMIN_PASSWORD, "--disable-worker"],
            tmp_path / "server-b.log", running.env,
        ).start()  # fmt: skip
        running.workers.append(b)
        url_b = f"http://127.0.0.1:{port_b}"
        wait_until(lambda: _ok(f"{url_b}/healthz"), 60, f"server B\n{b.log()}")
        a = running.client()
        key = a.post("/v2/api-keys", json={"name": "shared"}).json()["value"]
        headers = {"Authorization": f"Bearer {key}"}
        assert httpx.get(f"{url_b}/v2/users/me", headers=headers).status_code == 200

        # Revoked on A: B's cached key is dropped by the relayed event.
        key_id = a.get("/v2/api-keys").json()["items"][0]["id"]
        assert a.delete(f"/v2/api-keys/{key_id}").status_code == 204
        wait_until(
            lambda: httpx.get(f"{url_b}/v2/users/me", headers=headers).status_code == 401,
            3,
            "key revoked on server B",
        )

        # A deployment made through B gets its instance from the leader (A).
        admin_b = httpx.Client(base_url=url_b)
        admin_b.post("/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD})
        body = {"name": "m", "source": "local_path", "local_path": "/nowhere/m.gguf", "replicas": 1}
        model_id = admin_b.post("/v2/models", json=body).json()["id"]
        wait_until(lambda: len(_instances(admin_b, model_id)) == 1, 15, "instance from leader")

        # Leader A dies: B takes over and scales the deployment.
        assert running.server is not None
        running.server.kill(signal.SIGKILL)
        admin_b.put(f"/v2/models/{model_id}", json={"replicas": 2})
        wait_until(
            lambda: len(_instances(admin_b, model_id)) == 2, 20, f"B leads\n{b.log()[-2000:]}"
        )


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _instances(client: httpx.Client, model_id: int) -> list[object]:
    items: list[object] = client.get(f"/v2/models/{model_id}/instances").json()["items"]
    return items
