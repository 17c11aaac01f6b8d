"""The seed's flow with real processes: deploy a local GGUF, watch it run, call it with the
OpenAI SDK through both prefixes, read its logs, and remove it."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import openai
import psutil
import pytest

from tests.support.processes import Cluster, instances_of, wait_model_running, wait_until


def _deploy(cluster: Cluster, name: str, path: Path, **extra: object) -> int:
    client = cluster.client()
    body = {"name": name, "source": "local_path", "local_path": str(path), **extra}
    resp = client.post("/v2/models", json=body)
    assert resp.status_code == 201, resp.text
    model_id: int = resp.json()["id"]
    return model_id


def test_deploy_tiny_gguf_and_chat_with_the_openai_sdk(
    gpustack_cluster: Cluster, tiny_llama_gguf: Path
) -> None:
    gpustack_cluster.start_server()
    client = gpustack_cluster.client()
    gpustack_cluster.wait_worker_ready(client, ["local"])
    model_id = _deploy(gpustack_cluster, "tiny", tiny_llama_gguf)
    wait_model_running(client, model_id, 90, gpustack_cluster.logs)
    [instance] = instances_of(client, model_id)
    assert instance["worker_name"] == "local" and instance["download_progress"] == 100.0

    key = client.post("/v2/api-keys", json={"name": "sdk"}).json()["value"]
    for prefix in ("/v1", "/v1-openai"):
        sdk = openai.OpenAI(base_url=gpustack_cluster.url + prefix, api_key=key)
        assert [m.id for m in sdk.models.list().data] == ["tiny"]
        reply = sdk.chat.completions.create(
            model="tiny", messages=[{"role": "user", "content": "hello"}], max_tokens=5
        )
        assert reply.object == "chat.completion" and reply.usage is not None
        assert reply.usage.completion_tokens == 5
        chunks = list(
            sdk.chat.completions.create(
                model="tiny",
                messages=[{"role": "user", "content": "hello"}],
                max_tokens=4,
                stream=True,
            )
        )
        assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) >= 1
        assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 4

    logs = client.get(f"/v2/model-instances/{instance['id']}/logs", params={"tail": 50})
    assert logs.status_code == 200 and logs.text.strip()
    # The worker accepted the server's credential for it (a refusal is relayed as text).
    assert "worker answered" not in logs.text, logs.text

    engine_pids = _engine_pids(gpustack_cluster)
    assert engine_pids, "an engine process runs for the instance"
    assert client.delete(f"/v2/models/{model_id}").status_code == 204
    wait_until(lambda: not any(psutil.pid_exists(p) for p in engine_pids), 30, "engine stopped")
    sdk = openai.OpenAI(base_url=gpustack_cluster.url + "/v1", api_key=key)
    with pytest.raises(openai.NotFoundError):
        sdk.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "x"}])


def test_killed_engine_is_restarted(gpustack_cluster: Cluster, tiny_llama_gguf: Path) -> None:
    gpustack_cluster.start_server()
    client = gpustack_cluster.client()
    model_id = _deploy(gpustack_cluster, "tiny", tiny_llama_gguf)
    wait_model_running(client, model_id, 90, gpustack_cluster.logs)
    [pid] = _engine_pids(gpustack_cluster)
    os.kill(pid, signal.SIGKILL)

    def restarted() -> bool:
        [instance] = instances_of(client, model_id)
        return instance["restart_count"] == 1 and instance["state"] == "running"

    wait_until(restarted, 60, f"engine restarted\n{gpustack_cluster.logs()}")


def test_smollm2_from_its_package_answers_sensibly(
    gpustack_cluster: Cluster, smollm2_gguf: Path
) -> None:
    gpustack_cluster.start_server()
    client = gpustack_cluster.client()
    model_id = _deploy(gpustack_cluster, "smollm2", smollm2_gguf)
    wait_model_running(client, model_id, 120, gpustack_cluster.logs)
    key = client.post("/v2/api-keys", json={"name": "k"}).json()["value"]
    sdk = openai.OpenAI(base_url=gpustack_cluster.url + "/v1", api_key=key)
    reply = sdk.chat.completions.create(
        model="smollm2",
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What is the capital of France?"},
        ],
        max_tokens=16,
        temperature=0,
    )
    assert "Paris" in (reply.choices[0].message.content or "")


def test_model_too_big_for_every_worker_stays_pending_with_reasons(
    gpustack_cluster: Cluster, tiny_llama_gguf: Path
) -> None:
    gpustack_cluster.start_server()
    client = gpustack_cluster.client()
    gpustack_cluster.wait_worker_ready(client, ["local"])
    model_id = _deploy(
        gpustack_cluster,
        "huge",
        tiny_llama_gguf,
        backend="custom",
        backend_command="python -m http.server {{port}}",
        categories=["llm"],
        resource_claim={"ram": 64 << 40},
    )

    def explained() -> bool:
        model = client.get(f"/v2/models/{model_id}").json()
        return model["state"] == "pending" and "local" in model["state_message"]

    wait_until(explained, 30, "a pending state with reasons")
    message = client.get(f"/v2/models/{model_id}").json()["state_message"]
    assert "RAM" in message or "memory" in message, message


def _engine_pids(cluster: Cluster) -> list[int]:
    assert cluster.server is not None and cluster.server.proc is not None
    root = psutil.Process(cluster.server.proc.pid)
    return [
        p.pid
        for p in root.children(recursive=True)
        if any("llamacpp_launcher" in part for part in p.cmdline())
    ]
