"""Admission on a real llama.cpp deployment: one request runs, two wait, the rest get 429 with
Retry-After (never a 5xx), and a change of the limits applies while the deployment runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.e2e.gateway_support import GatewayCluster, gateway_cluster, openai_error
from tests.support.processes import wait_until

# As many as a slot's context allows (llama.cpp stops there): a generation takes a while.
MAX_TOKENS = 400


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory, tiny_llama_gguf: Path) -> Iterator[GatewayCluster]:
    with gateway_cluster(tmp_path_factory.mktemp("gateway-admission")) as gw:
        gw.deploy(
            "tiny",
            tiny_llama_gguf,
            backend="llama.cpp",
            backend_parameters=["--parallel", "4"],
            max_concurrent_requests=1,
            max_queue_length=2,
        )
        gw.wait_running(["tiny"])
        gw.wait_routed(["tiny"])
        yield gw


def _burst(gw: GatewayCluster, count: int) -> list[tuple[httpx.Response, float]]:
    """`count` chat requests released at the same moment; each answer with its duration."""
    start = threading.Barrier(count)
    body = {
        "model": "tiny",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": MAX_TOKENS,
        "ignore_eos": True,  # llama.cpp: generate all of them
    }

    def one(_: int) -> tuple[httpx.Response, float]:
        with httpx.Client(base_url=gw.url, timeout=120) as client:
            start.wait()
            began = time.monotonic()
            resp = client.post("/v1/chat/completions", json=body, headers=gw.bearer())
            return resp, time.monotonic() - began

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def _statuses(answers: list[tuple[httpx.Response, float]]) -> list[int]:
    return sorted(a.status_code for a, _ in answers)


def test_one_running_and_two_queued_succeed_the_rest_get_429(gw: GatewayCluster) -> None:
    answers = _burst(gw, 8)
    statuses = _statuses(answers)
    # The engine could take four at once (--parallel 4); the deployment admits one and queues
    # two. On a busy machine a request may arrive after the first one finished and get in too,
    # so the exact split is at least 3 successes and at least one 429, never anything else.
    assert set(statuses) <= {200, 429} and statuses.count(200) >= 3, [a.text for a, _ in answers]
    rejected = statuses.count(429)
    assert rejected >= 1, "a burst of 8 against 1 slot and 2 places in line must overflow"
    for resp, _ in answers:
        if resp.status_code == 200:
            assert resp.json()["usage"]["completion_tokens"] > 100
            continue
        error = openai_error(resp, 429)
        assert error["code"] == "queue_full"  # refused at once, not after a wait
        assert int(resp.headers["retry-after"]) >= 1
    metrics = httpx.get(f"{gw.url}/metrics", timeout=10).text
    counted = (
        f'gpustack_gateway_queue_rejected_total{{model="tiny",reason="queue_full"}} {rejected}.0'
    )
    assert counted in metrics
    assert 'gpustack_gateway_queue_length{model="tiny"} 0.0' in metrics


def test_limits_change_while_the_deployment_runs(gw: GatewayCluster) -> None:
    model_id = gw.model_ids["tiny"]
    instance_before = gw.admin.get(f"/v2/models/{model_id}/instances").json()["items"]

    resp = gw.admin.put(
        f"/v2/models/{model_id}", json={"max_concurrent_requests": 3, "max_queue_length": 0}
    )
    assert resp.status_code == 200, resp.text

    def three_admitted() -> bool:
        return _statuses(_burst(gw, 4)) == [200] * 3 + [429]

    wait_until(three_admitted, 30, "three requests admitted after the change")
    instance_after = gw.admin.get(f"/v2/models/{model_id}/instances").json()["items"]
    # The same engine serves on: nothing was restarted.
    assert [(i["id"], i["restart_count"]) for i in instance_after] == [
        (i["id"], i["restart_count"]) for i in instance_before
    ]
