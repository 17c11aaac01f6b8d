"""vLLM across workers over Ray: the head's and the workers' `ray start`, and the serve flags.

The main worker runs the Ray head and `vllm serve` on it; each helper worker joins the head
with its GPUs. vLLM then spreads the model: tensor parallel within a node, pipeline parallel
across nodes when every node lends the same number of GPUs, else tensor parallel over all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_RAY_PORT = 6379


@dataclass(frozen=True, slots=True)
class RayNode:
    """One worker's part: its address and the GPUs the claim gives it there."""

    ip: str
    gpu_indexes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RayCluster:
    """The head (the main worker) and the helpers, from the instance's resource claim."""

    head: RayNode
    workers: tuple[RayNode, ...]
    port: int = DEFAULT_RAY_PORT

    @property
    def address(self) -> str:
        return f"{self.head.ip}:{self.port}"


def ray_executable(vllm_executable: str) -> str:
    """`ray` sits beside `vllm` in vLLM's own virtualenv."""
    return str(Path(vllm_executable).with_name("ray"))


def head_command(ray: str, cluster: RayCluster) -> list[str]:
    head = cluster.head
    return [
        ray,
        "start",
        "--head",
        "--block",
        f"--port={cluster.port}",
        f"--node-ip-address={head.ip}",
        f"--num-gpus={len(head.gpu_indexes)}",
        # No dashboard: it listens on all interfaces and nothing here reads it.
        "--include-dashboard=false",
    ]


def worker_command(ray: str, cluster: RayCluster, node: RayNode) -> list[str]:
    return [
        ray,
        "start",
        "--block",
        f"--address={cluster.address}",
        f"--node-ip-address={node.ip}",
        f"--num-gpus={len(node.gpu_indexes)}",
    ]


def node_env(node: RayNode, cluster: RayCluster) -> dict[str, str]:
    """Every Ray process, and `vllm serve`, needs its own IP and the head's address."""
    return {
        "VLLM_HOST_IP": node.ip,
        "RAY_ADDRESS": cluster.address,
    }


def serve_flags(cluster: RayCluster) -> list[str]:
    """`vllm serve` flags on the head that spread the model over every node's GPUs."""
    nodes = (cluster.head, *cluster.workers)
    counts = {len(n.gpu_indexes) for n in nodes}
    total = sum(len(n.gpu_indexes) for n in nodes)
    if len(counts) == 1:
        tensor, pipeline = total // len(nodes), len(nodes)
    else:
        tensor, pipeline = total, 1
    return [
        "--distributed-executor-backend",
        "ray",
        "--tensor-parallel-size",
        str(tensor),
        "--pipeline-parallel-size",
        str(pipeline),
    ]


def cluster_from_claim(
    head_ip: str,
    gpu_indexes: Sequence[int],
    helpers: Sequence[dict[str, object]],
    ips: dict[int, str],
    port: int = DEFAULT_RAY_PORT,
) -> RayCluster:
    """The Ray cluster of an instance's claim: its GPUs here, and each helper's (by worker id)."""
    workers = []
    for helper in helpers:
        worker_id = helper["worker_id"]
        indexes = helper.get("gpu_indexes") or []
        assert isinstance(worker_id, int) and isinstance(indexes, list)
        workers.append(RayNode(ips[worker_id], tuple(int(i) for i in indexes)))
    return RayCluster(RayNode(head_ip, tuple(gpu_indexes)), tuple(workers), port)
