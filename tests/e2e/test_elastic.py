"""Elastic serving on real llama.cpp deployments: an idle one sleeps (engine stopped, claim
released) and the next requests wake it with one engine start; an autoscaled one grows under
load and shrinks after it, draining the instance it stops so no request fails."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.gateway_support import GatewayCluster, gateway_cluster
from tests.support.processes import instances_of, wait_until

# Small windows, so the test sees a scale-up and a cool-down within seconds.
ENV = {"GPUSTACK_AUTOSCALE_UP_WINDOW": "1", "GPUSTACK_AUTOSCALE_COOLDOWN": "4"}


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayCluster]:
    with gateway_cluster(tmp_path_factory.mktemp("elastic"), env=ENV) as gw:
        yield gw


def _model(gw: GatewayCluster, name: str) -> dict[str, Any]:
    resp = gw.admin.get(f"/v2/models/{gw.model_ids[name]}")
    assert resp.status_code == 200, resp.text
    model: dict[str, Any] = resp.json()
    return model


def _chat(
    gw: GatewayCluster, name: str, stream: bool, max_tokens: int = 8, ignore_eos: bool = False
) -> httpx.Response:
    body: dict[str, Any] = {
        "model": name,
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": max_tokens,
        "stream": stream,
    }
    if ignore_eos:
        # llama-server's own option: the random tiny model often stops after a token or
        # two, and requests that short leave the load mostly client overhead.
        body["ignore_eos"] = True
    with httpx.Client(base_url=gw.url, timeout=180) as client:
        return client.post("/v1/chat/completions", json=body, headers=gw.bearer())


def _refuses(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_idle_deployment_sleeps_and_a_burst_wakes_it_with_one_engine_start(
    gw: GatewayCluster, tiny_llama_gguf: Path
) -> None:
    model_id = gw.deploy(
        "sleepy", tiny_llama_gguf, backend="llama.cpp", min_replicas=0, idle_timeout=5
    )
    gw.wait_running(["sleepy"])
    [instance] = instances_of(gw.admin, model_id)
    port = instance["port"]
    assert isinstance(port, int)

    wait_until(lambda: _model(gw, "sleepy")["state"] == "sleeping", 40, "the deployment asleep")
    wait_until(lambda: not instances_of(gw.admin, model_id), 40, "its instance stopped")
    assert _refuses(port), "the engine still listens after the deployment went to sleep"
    listed = httpx.get(f"{gw.url}/v1/models", headers=gw.bearer(), timeout=10).json()
    assert "sleepy" in {m["id"] for m in listed["data"]}

    start = threading.Barrier(10)

    def one(index: int) -> httpx.Response:
        start.wait()
        return _chat(gw, "sleepy", stream=index % 2 == 0)

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(one, range(10)))
    assert [a.status_code for a in answers] == [200] * 10, [a.text for a in answers]
    for index, answer in enumerate(answers):
        if index % 2 == 0:
            events = [p for p in answer.text.split("\n\n") if p.startswith("data:")]
            assert events[-1] == "data: [DONE]" and len(events) > 2, answer.text
            # Held streams may show keep-alive comments first, and nothing else but data.
            assert all(p.startswith((":", "data:")) for p in answer.text.split("\n\n") if p)
        else:
            assert answer.json()["choices"][0]["message"]["role"] == "assistant"
    [woken] = instances_of(gw.admin, model_id)
    assert woken["restart_count"] == 0 and woken["state"] == "running"
    assert _model(gw, "sleepy")["state"] == "running"


def test_autoscaled_deployment_grows_under_load_and_drains_when_it_shrinks(
    gw: GatewayCluster, tiny_llama_gguf: Path
) -> None:
    model_id = gw.deploy(
        "elastic",
        tiny_llama_gguf,
        backend="llama.cpp",
        min_replicas=1,
        max_replicas=2,
        target_outstanding_per_replica=1,
        drain_timeout=60,
    )
    gw.wait_running(["elastic"])
    gw.wait_routed(["elastic"])
    answers: list[int] = []
    stop = threading.Event()

    def load(concurrency: int) -> None:
        def worker() -> None:
            while not stop.is_set():
                answer = _chat(gw, "elastic", stream=True, max_tokens=256, ignore_eos=True)
                answers.append(answer.status_code)

        threads = [threading.Thread(target=worker) for _ in range(concurrency)]
        for thread in threads:
            thread.start()
        return None

    def running_instances() -> list[dict[str, object]]:
        return [i for i in instances_of(gw.admin, model_id) if i["state"] == "running"]

    threads_before = threading.active_count()
    load(3)
    try:
        wait_until(lambda: len(running_instances()) == 2, 120, "a second replica under load")
    except AssertionError as exc:
        stop.set()
        model = _model(gw, "elastic")
        keys = ("state", "state_message", "replicas", "autoscaled_replicas", "min_replicas")
        shown = ({k: model.get(k) for k in keys}, instances_of(gw.admin, model_id), len(answers))
        raise AssertionError(f"{exc}\n{shown}\n{gw.cluster.logs()}") from None
    assert _model(gw, "elastic")["autoscaled_replicas"] == 2
    # Less load: one request at a time stays in flight while the surplus replica drains.
    stop.set()
    wait_until(lambda: threading.active_count() == threads_before, 120, "the load to end")
    stop.clear()
    load(1)
    drained: set[object] = set()

    def one_left() -> bool:
        instances = instances_of(gw.admin, model_id)
        drained.update(i["id"] for i in instances if i["draining_since"])
        return len(instances) == 1

    try:
        wait_until(one_left, 60, "back to one replica", interval=0.1)
        time.sleep(1)
    finally:
        stop.set()
        wait_until(lambda: threading.active_count() == threads_before, 120, "the trickle to end")
    assert answers and set(answers) == {200}, answers
    assert _model(gw, "elastic")["autoscaled_replicas"] == 1
    [left] = instances_of(gw.admin, model_id)
    assert drained and left["id"] not in drained, "the stopped replica drained first"


def test_deleting_a_deployment_lets_its_requests_in_flight_finish(
    gw: GatewayCluster, tiny_llama_gguf: Path
) -> None:
    model_id = gw.deploy("doomed", tiny_llama_gguf, backend="llama.cpp")
    gw.wait_running(["doomed"])
    gw.wait_routed(["doomed"])
    body = {
        "model": "doomed",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 400,
        "ignore_eos": True,  # llama.cpp: generate all of them, so it runs a while
        "stream": True,
    }
    deleted: list[int] = []
    with (
        httpx.Client(base_url=gw.url, timeout=180) as client,
        client.stream("POST", "/v1/chat/completions", json=body, headers=gw.bearer()) as resp,
    ):
        assert resp.status_code == 200
        lines = resp.iter_lines()
        assert next(line for line in lines if line.startswith("data:"))
        deleter = threading.Thread(
            target=lambda: deleted.append(gw.admin.delete(f"/v2/models/{model_id}").status_code)
        )
        deleter.start()
        rest = [line for line in lines if line]
        deleter.join(60)
    assert rest[-1] == "data: [DONE]", rest[-5:]
    tokens = [line for line in rest if line.startswith("data: {")]
    assert len(tokens) > 100, "the stream was cut short by the delete"
    assert deleted == [204]
    assert gw.admin.get(f"/v2/models/{model_id}").status_code == 404
