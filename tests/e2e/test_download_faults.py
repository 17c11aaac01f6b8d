"""Downloads that meet trouble: a worker killed mid-download resumes where it stopped, and a
full disk ends the instance in a clear error."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.fixtures.fake_hub import FakeHub, serve_fake_hub
from tests.support.processes import Cluster, instances_of, wait_model_running, wait_until

REPO = "acme/tiny-GGUF"
FILENAME = "tiny-Q8_0.gguf"
PADDING_BYTES = 24 * 2**20


def _deploy(cluster: Cluster, hub: FakeHub) -> tuple[int, object]:
    client = cluster.client()
    body = {
        "name": "tiny-hub",
        "source": "huggingface",
        "huggingface_repo_id": REPO,
        "huggingface_filename": FILENAME,
    }
    resp = client.post("/v2/models", json=body)
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"]), client


def _hub_env(cluster: Cluster, hub: FakeHub) -> None:
    cluster.env.update(
        {"HF_ENDPOINT": hub.url, "HF_HUB_OFFLINE": "0", "HF_HUB_DISABLE_TELEMETRY": "1"}
    )


def test_a_download_killed_with_the_worker_resumes_where_it_stopped(
    gpustack_cluster: Cluster, tiny_llama_gguf: Path, tmp_path: Path
) -> None:
    # Trailing bytes after the tensors: a GGUF that still loads, and large enough that the
    # hub client (which writes 10 MiB at a time) has part of it on disk when the kill lands.
    content = tiny_llama_gguf.read_bytes() + bytes(PADDING_BYTES)
    with serve_fake_hub() as hub:
        hub.add_repo(REPO, {FILENAME: content})
        hub.chunk_size = 256 * 1024
        hub.chunk_delay = 0.05
        _hub_env(gpustack_cluster, hub)
        gpustack_cluster.start_server(with_worker=False)
        worker = gpustack_cluster.start_worker("w1")
        model_id, client = _deploy(gpustack_cluster, hub)

        def partly_on_disk() -> bool:
            return any(p.stat().st_size > 0 for p in (tmp_path / "w1").rglob("*.partial"))

        wait_until(partly_on_disk, 90, f"part of the download on disk\n{gpustack_cluster.logs()}")
        worker.kill(signal.SIGKILL)

        gpustack_cluster.start_worker("w1")
        wait_model_running(client, model_id, 120, gpustack_cluster.logs)  # type: ignore[arg-type]
        resumed = [
            r.range
            for r in hub.requests
            if r.method == "GET" and r.path.endswith(f"/{FILENAME}") and r.range
        ]
        assert resumed, f"the second download started over: {hub.requests}"
        offset = int(resumed[-1].removeprefix("bytes=").rstrip("-"))
        assert 0 < offset < len(content)


@contextmanager
def _small_disk(path: Path, size_bytes: int) -> Iterator[Path]:
    path.mkdir(parents=True)
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(path)]
    if subprocess.run(mount, capture_output=True).returncode != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_full_disk_during_a_download_gives_a_clear_error(
    gpustack_cluster: Cluster, tiny_llama_gguf: Path, tmp_path: Path
) -> None:
    content = tiny_llama_gguf.read_bytes()
    with serve_fake_hub() as hub, _small_disk(tmp_path / "small", len(content) // 2) as disk:
        hub.add_repo(REPO, {FILENAME: content})
        _hub_env(gpustack_cluster, hub)
        gpustack_cluster.start_server(with_worker=False)
        gpustack_cluster.start_worker("w1", "--cache-dir", str(disk))
        model_id, client = _deploy(gpustack_cluster, hub)

        def errored() -> bool:
            found = instances_of(client, model_id)  # type: ignore[arg-type]
            return bool(found) and found[0]["state"] == "error"

        wait_until(errored, 90, f"the instance in error\n{gpustack_cluster.logs()}")
        [instance] = instances_of(client, model_id)  # type: ignore[arg-type]
        message = str(instance["state_message"])
        assert "no space left" in message.lower(), message
        assert str(disk) in message, message
        assert "internal error" not in message, message
