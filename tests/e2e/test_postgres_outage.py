"""PostgreSQL goes down under load and comes back: the server recovers by itself, the
gateway keeps answering cleanly meanwhile, and only calls made during the outage fail."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.support.databases import POSTGRES_ENV
from tests.support.own_postgres import own_postgres
from tests.support.processes import Cluster, wait_model_running, wait_until

pytestmark = pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"needs {POSTGRES_ENV}")
OUTAGE_S = 4.0


def test_the_server_recovers_from_a_postgres_restart_under_load(
    gpustack_cluster: Cluster, tiny_llama_gguf: Path
) -> None:
    with own_postgres() as postgres:
        gpustack_cluster.start_server("--database-url", postgres.url)
        admin = gpustack_cluster.client()
        body = {"name": "tiny", "source": "local_path", "local_path": str(tiny_llama_gguf)}
        model_id = admin.post("/v2/models", json=body).json()["id"]
        wait_model_running(admin, model_id, 120, gpustack_cluster.logs)
        key = admin.post("/v2/api-keys", json={"name": "load"}).json()["value"]
        headers = {"Authorization": f"Bearer {key}"}
        chat = {"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
        phase = ["before"]
        results: Counter[tuple[str, str, int]] = Counter()
        stop = threading.Event()

        def load(kind: str) -> None:
            with httpx.Client(base_url=gpustack_cluster.url, headers=headers, timeout=30) as c:
                while not stop.is_set():
                    now = phase[0]
                    try:
                        if kind == "chat":
                            status = c.post("/v1/chat/completions", json=chat).status_code
                        else:
                            status = c.get("/v2/models").status_code
                    except httpx.HTTPError:
                        status = -1  # no answer at all
                    results[(now, kind, status)] += 1
                    time.sleep(0.02)

        threads = [threading.Thread(target=load, args=(k,)) for k in ("chat", "chat", "read")]
        for thread in threads:
            thread.start()
        time.sleep(2)
        phase[0] = "outage"
        postgres.stop()
        time.sleep(OUTAGE_S)
        postgres.start()
        phase[0] = "recovering"

        def reads_work() -> bool:
            try:
                return httpx.get(f"{gpustack_cluster.url}/v2/models", headers=headers).is_success
            except httpx.HTTPError:
                return False

        wait_until(reads_work, 30, f"reads after the restart\n{gpustack_cluster.logs()}")
        phase[0] = "after"
        time.sleep(3)
        stop.set()
        for thread in threads:
            thread.join()

        summary = dict(results)
        before_after = [k for k in results if k[0] in ("before", "after") and k[2] != 200]
        assert before_after == [], summary
        # During the outage a call is served, or answered 503 with Retry-After, or (one that
        # was in flight on a connection the database dropped) fails; never a 500 or a hang.
        outage = Counter({k[2]: n for k, n in results.items() if k[0] == "outage"})
        assert set(outage) <= {200, 503, -1}, f"{summary}\n{gpustack_cluster.logs()}"
        assert outage[-1] <= 3, summary
        # Inference does not need the database on its path.
        assert results[("outage", "chat", 200)] > 0, summary
        # Writes work again, and the worker is still there and ready.
        resp = admin.post("/v2/api-keys", json={"name": "after-outage"})
        assert resp.status_code == 201, resp.text
        gpustack_cluster.wait_worker_ready(admin, ["local"], timeout=30)
