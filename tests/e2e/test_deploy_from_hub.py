"""Deploy Model from Hugging Face, end to end, against a local stand-in for the hub: the server
prices the model from the hub's file list, the worker downloads it with visible progress, and
the deployment runs."""

from __future__ import annotations

from pathlib import Path

import openai

from tests.fixtures.fake_hub import serve_fake_hub
from tests.support.processes import Cluster, instances_of, wait_model_running, wait_until


def test_deploy_gguf_from_the_hub_with_download_progress(
    gpustack_cluster: Cluster, tiny_llama_gguf: Path
) -> None:
    with serve_fake_hub() as hub:
        hub.add_repo(
            "acme/tiny-GGUF",
            {
                "tiny-Q8_0.gguf": tiny_llama_gguf.read_bytes(),
                "tiny-F16.gguf": tiny_llama_gguf.read_bytes(),
                "README.md": b"# tiny\n",
            },
        )
        gpustack_cluster.env.update(
            {"HF_ENDPOINT": hub.url, "HF_HUB_OFFLINE": "0", "HF_HUB_DISABLE_TELEMETRY": "1"}
        )
        gpustack_cluster.start_server()
        client = gpustack_cluster.client()
        body = {
            "name": "tiny-hub",
            "source": "huggingface",
            "huggingface_repo_id": "acme/tiny-GGUF",
            "huggingface_filename": "*Q8_0.gguf",
        }
        model_id = client.post("/v2/models", json=body).json()["id"]
        wait_model_running(client, model_id, 90, gpustack_cluster.logs)
        [instance] = instances_of(client, model_id)
        assert instance["download_progress"] == 100.0
        assert hub.file_gets("acme/tiny-GGUF", "tiny-Q8_0.gguf") == 1
        assert hub.file_gets("acme/tiny-GGUF", "tiny-F16.gguf") == 0

        def file_ready() -> bool:
            files = client.get("/v2/model-files").json()["items"]
            return any(f["state"] == "ready" and f["size"] > 0 for f in files)

        wait_until(file_ready, 20, "the model file listed as ready")
        key = client.post("/v2/api-keys", json={"name": "k"}).json()["value"]
        sdk = openai.OpenAI(base_url=gpustack_cluster.url + "/v1", api_key=key)
        reply = sdk.chat.completions.create(
            model="tiny-hub", messages=[{"role": "user", "content": "hi"}], max_tokens=3
        )
        assert reply.usage is not None and reply.usage.completion_tokens == 3


def test_unknown_repo_ends_in_a_clear_message(gpustack_cluster: Cluster) -> None:
    with serve_fake_hub() as hub:
        gpustack_cluster.env.update(
            {"HF_ENDPOINT": hub.url, "HF_HUB_OFFLINE": "0", "HF_HUB_DISABLE_TELEMETRY": "1"}
        )
        gpustack_cluster.start_server()
        client = gpustack_cluster.client()
        body = {"name": "ghost", "source": "huggingface", "huggingface_repo_id": "acme/ghost",
                "huggingface_filename": "*.gguf"}  # fmt: skip
        model_id = client.post("/v2/models", json=body).json()["id"]

        def explained() -> bool:
            model = client.get(f"/v2/models/{model_id}").json()
            return "acme/ghost" in model["state_message"] and "not found" in model["state_message"]

        wait_until(explained, 30, f"a message naming the missing repo\n{gpustack_cluster.logs()}")
