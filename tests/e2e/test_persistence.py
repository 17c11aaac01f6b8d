"""A server killed with SIGKILL comes back with every user, key and deployment."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.databases import backends, fresh_database
from tests.support.processes import cluster


@pytest.mark.parametrize("backend", backends())
def test_state_survives_kill_9(tmp_path: Path, backend: str) -> None:
    async def scenario() -> None:
        async with fresh_database(backend, tmp_path) as url:
            await asyncio.to_thread(_kill_and_restart, tmp_path, url)

    asyncio.run(scenario())


def _kill_and_restart(tmp_path: Path, database_url: str) -> None:
    extra = ["--database-url", database_url]
    with cluster(tmp_path) as running:
        running.start_server(*extra, with_worker=False)
        admin = running.client()
        assert (
            admin.post("/v2/users", json={"username": "bob", "password": "bob-pass-12"}).status_code
            == 201
        )
        key = admin.post("/v2/api-keys", json={"name": "k"}).json()["value"]
        model = {
            "name": "m1",
            "source": "local_path",
            "local_path": "/models/m1.gguf",
            "replicas": 0,
        }
        assert admin.post("/v2/models", json=model).status_code == 201
        assert running.server is not None
        running.server.kill(signal.SIGKILL)
        running.start_server(*extra, with_worker=False)
        headers = {"Authorization": f"Bearer {key}"}
        me = httpx.get(f"{running.url}/v2/users/me", headers=headers, timeout=10)
        assert me.status_code == 200 and me.json()["username"] == "admin"
        users = httpx.get(f"{running.url}/v2/users", headers=headers, timeout=10).json()["items"]
        assert {u["username"] for u in users} == {"admin", "bob"}
        models = httpx.get(f"{running.url}/v2/models", headers=headers, timeout=10).json()["items"]
        assert [m["name"] for m in models] == ["m1"]


def test_https_server_with_its_embedded_worker(tmp_path: Path) -> None:
    """`--ssl-certfile/--ssl-keyfile`: the API answers over TLS and the local worker joins."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "1", "-subj", "/CN=gpustack.example"],
        check=True, capture_output=True,
    )  # fmt: skip
    with cluster(tmp_path) as running:
        running.start_server("--ssl-keyfile", str(key), "--ssl-certfile", str(cert), tls=True)
        client = running.client()
        running.wait_worker_ready(client, ["local"])
        assert running.url.startswith("https://")
