"""The gateway under concurrent load on two replicas: both serve a fair share, and killing one
engine mid-load fails no request that had not started streaming."""

from __future__ import annotations

import os
import re
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from tests.e2e.gateway_support import GatewayCluster, dify_sse_events, gateway_cluster
from tests.support.processes import instances_of, wait_until


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory, tiny_llama_gguf: Path) -> Iterator[GatewayCluster]:
    with gateway_cluster(tmp_path_factory.mktemp("gateway-load")) as gw:
        # Every request goes straight to an engine: these tests are about the balancer and
        # failover; admission (which would hand slots to whichever replica frees one first)
        # has tests of its own.
        gw.deploy("tiny", tiny_llama_gguf, replicas=2, max_concurrent_requests=64)
        gw.wait_running(["tiny"])
        gw.wait_routed(["tiny"])
        yield gw


def _engine_ports(gw: GatewayCluster) -> list[int]:
    items = instances_of(gw.admin, gw.model_ids["tiny"])
    assert [i["state"] for i in items] == ["running", "running"], items
    return [int(str(i["port"])) for i in items]


def _tokens_predicted(port: int) -> int:
    """llama.cpp's own count of generated tokens (its /metrics endpoint)."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    match = re.search(r"^llamacpp:tokens_predicted_total (\d+)", text, re.MULTILINE)
    assert match, text
    return int(match.group(1))


def _warm(port: int) -> None:
    body = {"messages": [{"role": "user", "content": "warm up"}], "max_tokens": 2}
    httpx.post(f"http://127.0.0.1:{port}/v1/chat/completions", json=body, timeout=60)


def _engine_pid(gw: GatewayCluster, port: int) -> int:
    assert gw.cluster.server is not None and gw.cluster.server.proc is not None
    for proc in psutil.Process(gw.cluster.server.proc.pid).children(recursive=True):
        cmdline = proc.cmdline()
        if any("llamacpp_launcher" in part for part in cmdline) and str(port) in cmdline:
            return proc.pid
    raise AssertionError(f"no engine process listens on {port}")


def _chat(
    client: httpx.Client,
    key: str,
    n: int,
    max_tokens: int,
    model: str = "tiny",
    stream: bool = False,
) -> httpx.Response:
    body = {
        "model": model,
        "stream": stream,
        "messages": [{"role": "user", "content": f"request {n}: tell me something"}],
        "max_tokens": max_tokens,
    }
    return client.post(
        "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"}
    )


def test_forty_concurrent_requests_are_shared_by_both_replicas(gw: GatewayCluster) -> None:
    ports = _engine_ports(gw)
    # A cold slot's first prompt is slow; warm every slot so neither replica starts behind.
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(_warm, [p for p in ports for _ in range(4)]))
    before = {p: _tokens_predicted(p) for p in ports}
    max_tokens = 64
    # Generous: 40 generations share 2 CPU cores with the whole test machine.
    with httpx.Client(base_url=gw.url, timeout=180) as client, ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(lambda n: _chat(client, gw.key, n, max_tokens), range(40)))
    assert [a.status_code for a in answers] == [200] * 40, [a.text for a in answers if a.is_error]
    assert all(a.json()["usage"]["completion_tokens"] == max_tokens for a in answers)
    served = {p: (_tokens_predicted(p) - before[p]) // max_tokens for p in ports}
    assert sum(served.values()) == 40, served
    # Least-outstanding balancing: neither replica is left idle or takes nearly everything.
    assert min(served.values()) >= 10, served


@dataclass
class _Outcome:
    stream: bool
    status: int
    broke_mid_stream: bool = False
    text: str = ""


def test_killing_one_engine_under_load_fails_no_unstarted_request(gw: GatewayCluster) -> None:
    ports = _engine_ports(gw)
    survivor = instances_of(gw.admin, gw.model_ids["tiny"])[1]["id"]
    outcomes: list[_Outcome] = []
    lock = threading.Lock()
    stop = threading.Event()

    def load(worker: int) -> None:
        stream = worker % 2 == 1
        with httpx.Client(base_url=gw.url, timeout=60) as client:
            n = 0
            while not stop.is_set():
                n += 1
                outcome = _one_request(client, gw.key, stream, worker * 10_000 + n)
                with lock:
                    outcomes.append(outcome)

    def done() -> int:
        with lock:
            return len(outcomes)

    def restarted() -> bool:
        items = instances_of(gw.admin, gw.model_ids["tiny"])
        return all(i["state"] == "running" for i in items) and any(
            i["restart_count"] == 1 for i in items
        )

    with ThreadPoolExecutor(8) as pool:
        try:
            for worker in range(8):
                pool.submit(load, worker)
            wait_until(lambda: done() >= 16, 30, "load under way")
            os.kill(_engine_pid(gw, ports[0]), signal.SIGKILL)
            # Keep the load on while the replica is down, restarted and taken back in.
            wait_until(restarted, 60, f"killed replica restarted\n{gw.logs()}")
            back = done()
            wait_until(lambda: done() >= back + 16, 30, "load after the restart")
        finally:
            stop.set()

    unstarted_failures = [o for o in outcomes if o.status != 200]
    assert not unstarted_failures, [(o.stream, o.status, o.text) for o in unstarted_failures]
    # Non-streamed requests never fail: ones cut off on the killed engine are retried.
    assert not [o for o in outcomes if not o.stream and o.broke_mid_stream]
    # The surviving replica took every retry at once: no connection to it was found broken
    # (connections that carried a stream are not pooled, as llama.cpp closes them).
    assert gw.cluster.server is not None
    assert f"instance {survivor} unreachable" not in gw.cluster.server.log()
    # Both replicas served again after the restart.
    assert all(_tokens_predicted(p) > 0 for p in ports)


def _one_request(client: httpx.Client, key: str, stream: bool, n: int) -> _Outcome:
    body = {
        "model": "tiny",
        "messages": [{"role": "user", "content": f"request {n}: tell me something"}],
        "max_tokens": 48,
        "stream": stream,
    }
    headers = {"Authorization": f"Bearer {key}"}
    resp = client.post("/v1/chat/completions", json=body, headers=headers)
    if resp.status_code != 200:
        return _Outcome(stream, resp.status_code, text=resp.text)
    if not stream:
        ok = resp.json()["usage"]["completion_tokens"] == 48
        return _Outcome(stream, 200, broke_mid_stream=not ok, text=resp.text)
    events = dify_sse_events(resp.text)
    return _Outcome(stream, 200, broke_mid_stream=any("error" in e for e in events))
