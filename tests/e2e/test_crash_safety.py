"""A server killed with SIGKILL in the middle of a burst of writes loses none it acknowledged,
and its SQLite file passes an integrity check afterwards."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support.databases import backends, fresh_database
from tests.support.processes import Cluster, cluster

WRITERS = 6
# Kill once this many writes were acknowledged: the others are in flight when it lands.
ACKNOWLEDGED_BEFORE_KILL = 30


@pytest.mark.parametrize("backend", backends())
def test_acknowledged_writes_survive_a_kill_9_mid_burst(tmp_path: Path, backend: str) -> None:
    async def scenario() -> None:
        async with fresh_database(backend, tmp_path) as url:
            await asyncio.to_thread(_burst_kill_restart, tmp_path, url, backend)

    asyncio.run(scenario())


def _burst_kill_restart(tmp_path: Path, database_url: str, backend: str) -> None:
    extra = ["--database-url", database_url]
    with cluster(tmp_path) as running:
        running.start_server(*extra, with_worker=False)
        admin = running.client()
        key = admin.post("/v2/api-keys", json={"name": "writer"}).json()["value"]
        headers = {"Authorization": f"Bearer {key}"}
        acknowledged: dict[str, set[str]] = {"users": set(), "keys": set(), "models": set()}
        lock = threading.Lock()
        stop = threading.Event()

        def writer(index: int) -> None:
            with httpx.Client(base_url=running.url, headers=headers, timeout=5) as client:
                n = 0
                while not stop.is_set():
                    n += 1
                    kind, path, body = _write(index, n)
                    try:
                        resp = client.post(path, json=body)
                    except httpx.HTTPError:
                        return  # the server is gone: what it acknowledged so far counts
                    if resp.status_code == 201:
                        with lock:
                            acknowledged[kind].add(str(body.get("name", body.get("username"))))

        with ThreadPoolExecutor(WRITERS) as pool:
            futures = [pool.submit(writer, i) for i in range(WRITERS)]
            deadline = time.monotonic() + 60
            while _count(acknowledged, lock) < ACKNOWLEDGED_BEFORE_KILL:
                assert time.monotonic() < deadline, "the burst is not being acknowledged"
                time.sleep(0.02)
            assert running.server is not None
            running.server.kill(signal.SIGKILL)
            stop.set()
            for future in futures:
                future.result()
        total = _count(acknowledged, lock)

        if backend == "sqlite":
            _assert_sqlite_intact(tmp_path / "test.db")
        running.start_server(*extra, with_worker=False)
        found = _stored(running, headers)
        for kind, names in acknowledged.items():
            missing = names - found[kind]
            assert not missing, f"{len(missing)} acknowledged {kind} lost: {sorted(missing)[:5]}"
        print(f"acknowledged {total} writes; all found after the restart")


def _count(acknowledged: dict[str, set[str]], lock: threading.Lock) -> int:
    with lock:
        return sum(len(names) for names in acknowledged.values())


def _write(index: int, n: int) -> tuple[str, str, dict[str, object]]:
    """The n-th write of writer `index`: a user, a key or a deployment in turn."""
    name = f"w{index}-{n}"
    if n % 3 == 0:
        return "users", "/v2/users", {"username": f"u-{name}", "password": "crash-pass-1"}
    if n % 3 == 1:
        return "keys", "/v2/api-keys", {"name": f"k-{name}"}
    model = {"name": f"m-{name}", "source": "local_path", "local_path": "/m.gguf", "replicas": 0}
    return "models", "/v2/models", model


def _assert_sqlite_intact(path: Path) -> None:
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def _stored(running: Cluster, headers: dict[str, str]) -> dict[str, set[str]]:
    def names(path: str, field: str) -> set[str]:
        found: set[str] = set()
        page = 1
        while True:
            resp = httpx.get(
                f"{running.url}{path}",
                params={"page": page, "perPage": 100},
                headers=headers,
                timeout=10,
            )
            assert resp.status_code == 200, resp.text
            body = resp.json()
            found |= {str(item[field]) for item in body["items"]}
            if page >= body["pagination"]["totalPage"]:
                return found
            page += 1

    fetch: dict[str, Callable[[], set[str]]] = {
        "users": lambda: names("/v2/users", "username"),
        "keys": lambda: names("/v2/api-keys", "name"),
        "models": lambda: names("/v2/models", "name"),
    }
    return {kind: get() for kind, get in fetch.items()}
