"""Model files with real processes: pre-download a local model to the embedded worker, see a
missing path fail with a message, retry once the file is there, and instance downloads listed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.support.processes import Cluster, wait_model_running, wait_until


def _worker_id(client: httpx.Client, name: str) -> int:
    [worker] = [w for w in client.get("/v2/workers").json()["items"] if w["name"] == name]
    worker_id: int = worker["id"]
    return worker_id


def _wait_state(cluster: Cluster, client: httpx.Client, file_id: int, state: str) -> dict[str, Any]:
    def reached() -> bool:
        return bool(client.get(f"/v2/model-files/{file_id}").json()["state"] == state)

    try:
        wait_until(reached, 60, f"model file {file_id} {state}")
    except AssertionError as exc:
        seen = client.get(f"/v2/model-files/{file_id}").json()
        raise AssertionError(f"{exc}\nrow: {seen}\n{cluster.logs()}") from None
    row: dict[str, Any] = client.get(f"/v2/model-files/{file_id}").json()
    return row


def test_pre_download_error_retry_and_instance_downloads(
    gpustack_cluster: Cluster, tiny_llama_gguf: Path, tmp_path: Path
) -> None:
    gpustack_cluster.start_server()
    client = gpustack_cluster.client()
    gpustack_cluster.wait_worker_ready(client, ["local"])
    worker_id = _worker_id(client, "local")

    body = {"source": "local_path", "local_path": str(tiny_llama_gguf), "worker_id": worker_id}
    created = client.post("/v2/model-files", json=body)
    assert created.status_code == 201, created.text
    ready = _wait_state(gpustack_cluster, client, created.json()["id"], "ready")
    assert ready["size"] == tiny_llama_gguf.stat().st_size
    assert ready["download_progress"] == 100.0 and ready["local_dir"]
    assert client.post("/v2/model-files", json=body).status_code == 409

    later = tmp_path / "later" / "model.gguf"
    missing = client.post(
        "/v2/model-files",
        json={"source": "local_path", "local_path": str(later), "worker_id": worker_id},
    ).json()
    failed = _wait_state(gpustack_cluster, client, missing["id"], "error")
    assert str(later) in failed["state_message"]

    later.parent.mkdir()
    later.write_bytes(tiny_llama_gguf.read_bytes())
    assert client.post(f"/v2/model-files/{missing['id']}/retry").status_code == 200
    retried = _wait_state(gpustack_cluster, client, missing["id"], "ready")
    assert retried["size"] == later.stat().st_size

    # An instance's download appears among the worker's model files.
    deployed = tmp_path / "deployed" / "model.gguf"
    deployed.parent.mkdir()
    deployed.write_bytes(tiny_llama_gguf.read_bytes())
    spec = {"name": "deployed", "source": "local_path", "local_path": str(deployed)}
    model = client.post("/v2/models", json=spec).json()
    wait_model_running(client, model["id"], 90, gpustack_cluster.logs)
    rows = client.get("/v2/model-files", params={"worker_id": worker_id}).json()["items"]
    by_path = {r["local_path"]: r for r in rows}
    assert set(by_path) == {str(tiny_llama_gguf), str(later), str(deployed)}
    assert by_path[str(deployed)]["state"] == "ready"

    # Files in use stay; once the deployment is gone the record goes, the user's file stays.
    url = f"/v2/model-files/{by_path[str(deployed)]['id']}"
    assert client.delete(url, params={"cleanup": "true"}).status_code == 409
    assert client.delete(f"/v2/models/{model['id']}").status_code == 204
    assert client.delete(url, params={"cleanup": "true"}).status_code == 204
    assert deployed.exists(), "a local path is the user's own: never removed"
