"""vLLM across workers over Ray: head and worker commands and serve flags from the claim."""

from __future__ import annotations

from gpustack.engines.vllm_ray import (
    cluster_from_claim,
    head_command,
    node_env,
    ray_executable,
    serve_flags,
    worker_command,
)

HELPERS: list[dict[str, object]] = [
    {"worker_id": 2, "worker_name": "gpu-b", "gpu_indexes": [0, 1], "ram": 0, "vram": {}},
]


def test_head_and_worker_start_ray_with_their_gpus() -> None:
    cluster = cluster_from_claim("10.0.0.1", [2, 3], HELPERS, {2: "10.0.0.2"})
    ray = ray_executable("/data/engines/vllm/0.32.0/bin/vllm")

    assert ray == "/data/engines/vllm/0.32.0/bin/ray"
    assert head_command(ray, cluster)[:4] == [ray, "start", "--head", "--block"]
    assert "--node-ip-address=10.0.0.1" in head_command(ray, cluster)
    assert "--num-gpus=2" in head_command(ray, cluster)
    assert worker_command(ray, cluster, cluster.workers[0]) == [
        ray,
        "start",
        "--block",
        "--address=10.0.0.1:6379",
        "--node-ip-address=10.0.0.2",
        "--num-gpus=2",
    ]
    assert node_env(cluster.workers[0], cluster) == {
        "VLLM_HOST_IP": "10.0.0.2",
        "RAY_ADDRESS": "10.0.0.1:6379",
    }


def test_equal_nodes_use_pipeline_parallel_across_them() -> None:
    cluster = cluster_from_claim("10.0.0.1", [0, 1], HELPERS, {2: "10.0.0.2"})
    assert serve_flags(cluster) == [
        *("--distributed-executor-backend", "ray"),
        *("--tensor-parallel-size", "2", "--pipeline-parallel-size", "2"),
    ]


def test_unequal_nodes_fall_back_to_tensor_parallel_over_all_gpus() -> None:
    cluster = cluster_from_claim("10.0.0.1", [0], HELPERS, {2: "10.0.0.2"})
    assert serve_flags(cluster)[3:] == ["3", "--pipeline-parallel-size", "1"]
