"""Two workers, two replicas spread across them; one worker is killed and its replica moves."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import openai
import psutil
import pytest

from tests.support.processes import Cluster, instances_of, wait_model_running, wait_until


@pytest.mark.slow
def test_spread_replicas_and_failover_after_worker_kill(
    gpustack_cluster: Cluster, tiny_llama_gguf: Path
) -> None:
    gpustack_cluster.start_server(with_worker=False)
    client = gpustack_cluster.client()
    w1 = gpustack_cluster.start_worker("w1")
    gpustack_cluster.start_worker("w2")
    gpustack_cluster.wait_worker_ready(client, ["w1", "w2"])
    body = {"name": "tiny", "source": "local_path", "local_path": str(tiny_llama_gguf),
            "replicas": 2, "placement_strategy": "spread"}  # fmt: skip
    model_id = client.post("/v2/models", json=body).json()["id"]
    wait_model_running(client, model_id, 90, gpustack_cluster.logs)
    assert sorted(i["worker_name"] for i in instances_of(client, model_id)) == ["w1", "w2"]

    key = client.post("/v2/api-keys", json={"name": "k"}).json()["value"]
    sdk = openai.OpenAI(base_url=gpustack_cluster.url + "/v1", api_key=key)
    for _ in range(4):
        reply = sdk.chat.completions.create(
            model="tiny", messages=[{"role": "user", "content": "hi"}], max_tokens=3
        )
        assert reply.usage is not None

    assert w1.proc is not None
    w1_engines = [p.pid for p in psutil.Process(w1.proc.pid).children(recursive=True)]
    assert w1_engines
    killed_at = time.monotonic()
    w1.kill(signal.SIGKILL)
    # No orphan engine survives its worker.
    wait_until(lambda: not any(psutil.pid_exists(p) for p in w1_engines), 10, "w1 engines gone")

    def w1_not_ready() -> bool:
        workers = {w["name"]: w for w in client.get("/v2/workers").json()["items"]}
        return bool(workers["w1"]["state"] == "not_ready")

    wait_until(w1_not_ready, 20, "w1 not_ready")
    assert time.monotonic() - killed_at <= 17

    def both_on_w2() -> bool:
        items = instances_of(client, model_id)
        return [(i["worker_name"], i["state"]) for i in items] == [("w2", "running")] * 2

    wait_until(both_on_w2, 60, f"both replicas running on w2\n{gpustack_cluster.logs()}")
    assert time.monotonic() - killed_at <= 45 + 15
    reply = sdk.chat.completions.create(
        model="tiny", messages=[{"role": "user", "content": "hi"}], max_tokens=3
    )
    assert reply.choices
