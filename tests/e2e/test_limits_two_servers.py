"""Two servers on one PostgreSQL count one key's limit together (within 10 %), not twice; a key
disabled on one server is refused by the other."""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.e2e.gateway_support import echo_engine
from tests.support.databases import POSTGRES_ENV, fresh_database
from tests.support.processes import ADMIN_PASSWORD, GpustackProcess, cluster, free_port, wait_until

pytestmark = pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"needs {POSTGRES_ENV}")

LIMIT = 100
REQUESTS = 300
CHAT = {"model": "echo", "messages": [{"role": "user", "content": "hi"}]}


def test_one_keys_request_limit_holds_across_two_servers(
    tmp_path: Path, tiny_llama_gguf: Path
) -> None:
    async def scenario() -> None:
        async with fresh_database("postgresql", tmp_path) as url:
            await asyncio.to_thread(_run, tmp_path, url, tiny_llama_gguf)

    asyncio.run(scenario())


def _run(tmp_path: Path, url: str, model_path: Path) -> None:
    with cluster(tmp_path) as running:
        running.start_server("--database-url", url)
        port_b = free_port()
        b = GpustackProcess(
            ["--host", "127.0.0.1", "--port", str(port_b), "--data-dir", str(tmp_path / "b"),
             "--database-url", url, "--bootstrap-password", ADMIN_PASSWORD, "--disable-worker"],
            tmp_path / "server-b.log", running.env,
        ).start()  # fmt: skip
        running.workers.append(b)
        servers = [running.url, f"http://127.0.0.1:{port_b}"]
        wait_until(lambda: _ok(f"{servers[1]}/healthz"), 60, f"server B\n{b.log()}")
        admin = running.client()
        running.wait_worker_ready(admin, ["local"])
        body = {"name": "echo", "source": "local_path", "local_path": str(model_path),
                **echo_engine(tmp_path)}  # fmt: skip
        assert admin.post("/v2/models", json=body).status_code == 201
        key = admin.post("/v2/api-keys", json={"name": "shared", "rpm_limit": LIMIT}).json()
        headers = {"Authorization": f"Bearer {key['value']}"}
        for server in servers:
            wait_until(lambda s=server: _listed(s, headers), 120, f"echo routed on {server}")

        # All requests in one calendar minute: the counters are per minute.
        if time.time() % 60 > 30:
            time.sleep(60 - time.time() % 60 + 0.5)

        def one(i: int) -> int:
            server = servers[i % 2]
            resp = httpx.post(f"{server}/v1/chat/completions", json=CHAT, headers=headers)
            return resp.status_code

        began = time.time()
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(one, range(REQUESTS)))
        assert int(began // 60) == int(time.time() // 60), "crossed a minute: counts split"
        assert set(codes) <= {200, 429}, codes
        admitted = codes.count(200)
        assert LIMIT - LIMIT // 10 <= admitted <= LIMIT + LIMIT // 10, admitted
        # Both servers served some of them: the budget really was shared.
        assert 200 in codes[0::2] and 200 in codes[1::2]

        # Disabled through A: B drops its cached key on the relayed event.
        assert (
            admin.patch(f"/v2/api-keys/{key['id']}", json={"is_active": False}).status_code == 200
        )
        wait_until(
            lambda: httpx.get(f"{servers[1]}/v1/models", headers=headers).status_code == 401,
            3,
            "key disabled on server B",
        )


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _listed(server: str, headers: dict[str, str]) -> bool:
    try:
        resp = httpx.get(f"{server}/v1/models", headers=headers, timeout=2)
    except httpx.HTTPError:
        return False
    return resp.status_code == 200 and any(m["id"] == "echo" for m in resp.json()["data"])
