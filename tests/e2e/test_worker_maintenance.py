"""A worker put in maintenance hands its instances over: no request fails, the old one drains."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.processes import Cluster, instances_of, wait_model_running, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_maintenance_moves_the_instance_off_without_a_failed_request(
    gpustack_cluster: Cluster, tiny_llama_gguf: Path
) -> None:
    gpustack_cluster.start_server(with_worker=False)
    client = gpustack_cluster.client()
    gpustack_cluster.start_worker("w1")
    gpustack_cluster.start_worker("w2")
    gpustack_cluster.wait_worker_ready(client, ["w1", "w2"])
    body = {"name": "tiny", "source": "local_path", "local_path": str(tiny_llama_gguf),
            "drain_timeout": 60}  # fmt: skip
    model_id = client.post("/v2/models", json=body).json()["id"]
    wait_model_running(client, model_id, 90, gpustack_cluster.logs)
    [first] = instances_of(client, model_id)
    workers = {w["name"]: w["id"] for w in client.get("/v2/workers").json()["items"]}
    away, other = str(first["worker_name"]), ({"w1", "w2"} - {str(first["worker_name"])}).pop()
    key = client.post("/v2/api-keys", json={"name": "k"}).json()["value"]
    wait_until(
        lambda: httpx.get(
            f"{gpustack_cluster.url}/v1/models", headers={"Authorization": f"Bearer {key}"}
        ).json()["data"],
        20,
        "the model routed",
    )

    answers: list[int] = []
    failures: list[str] = []
    stop = threading.Event()

    def trickle() -> None:
        body = {"model": "tiny", "messages": [{"role": "user", "content": "hi"}],
                "max_tokens": 64, "ignore_eos": True, "stream": True}  # fmt: skip
        with httpx.Client(base_url=gpustack_cluster.url, timeout=120) as http:
            while not stop.is_set():
                resp = http.post(
                    "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"}
                )
                answers.append(resp.status_code if "data: [DONE]" in resp.text else -1)
                if "data: [DONE]" not in resp.text:
                    failures.append(resp.text[-300:])

    threads = [threading.Thread(target=trickle) for _ in range(2)]
    for thread in threads:
        thread.start()
    seen: list[list[tuple[object, object, bool]]] = []

    def moved() -> bool:
        items = instances_of(client, model_id)
        seen.append([(i["worker_name"], i["state"], bool(i["draining_since"])) for i in items])
        return [(i["worker_name"], i["state"]) for i in items] == [(other, "running")]

    try:
        resp = client.put(f"/v2/workers/{workers[away]}", json={"maintenance": True})
        assert resp.status_code == 200, resp.text
        wait_until(moved, 120, f"the instance on {other}\n{gpustack_cluster.logs()}", 0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert answers and set(answers) == {200}, (answers, failures[:3])
    # The old instance drained only once the new one ran: something served all along.
    old_drained = [s for s in seen if (away, "running", True) in s]
    assert old_drained, seen
    assert all((other, "running", False) in s for s in old_drained), seen
    assert all(any(not d and st == "running" for _, st, d in s) for s in seen if s), seen


def test_with_nowhere_to_go_maintenance_stops_the_instance_and_says_why(
    gpustack_cluster: Cluster, tiny_llama_gguf: Path
) -> None:
    gpustack_cluster.start_server(with_worker=False)
    client = gpustack_cluster.client()
    worker = gpustack_cluster.start_worker("w1")
    gpustack_cluster.wait_worker_ready(client, ["w1"])
    body = {"name": "tiny", "source": "local_path", "local_path": str(tiny_llama_gguf)}
    model_id = client.post("/v2/models", json=body).json()["id"]
    wait_model_running(client, model_id, 90, gpustack_cluster.logs)
    assert worker.proc is not None
    engines = [p.pid for p in psutil.Process(worker.proc.pid).children(recursive=True)]
    assert engines
    [worker_row] = client.get("/v2/workers").json()["items"]
    assert client.put(f"/v2/workers/{worker_row['id']}", json={"maintenance": True}).is_success

    def pending_with_reason() -> bool:
        items = instances_of(client, model_id)
        return (
            len(items) == 1 and items[0]["state"] == "pending" and bool(items[0]["state_message"])
        )

    wait_until(pending_with_reason, 60, f"one pending replica\n{gpustack_cluster.logs()}")
    wait_until(lambda: not any(psutil.pid_exists(p) for p in engines), 30, "the engine stopped")
    [pending] = instances_of(client, model_id)
    assert "maintenance" in str(pending["state_message"]), pending
    # Out of maintenance, the deployment runs there again.
    assert client.put(f"/v2/workers/{worker_row['id']}", json={"maintenance": False}).is_success
    wait_model_running(client, model_id, 90, gpustack_cluster.logs)
