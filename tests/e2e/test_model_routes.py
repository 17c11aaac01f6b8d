"""Model routes end to end: two llama.cpp deployments behind one name (split by weight, one
engine killed mid-load), a stand-in provider taking over on 429, its key kept secret, and a
Dify-style call by route name."""

from __future__ import annotations

import os
import re
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

from tests.e2e.gateway_support import GatewayCluster, dify_sse_events, gateway_cluster
from tests.e2e.standin_provider import StandInProvider, standin_provider
from tests.support.processes import instances_of, wait_until

PROVIDER_KEY = "sk-standin-very-secret-7f3a9c1e5b"


@pytest.fixture(scope="module")
def provider() -> Iterator[StandInProvider]:
    with standin_provider() as stand_in:
        yield stand_in


@pytest.fixture(scope="module")
def gw(
    tmp_path_factory: pytest.TempPathFactory, tiny_llama_gguf: Path, provider: StandInProvider
) -> Iterator[GatewayCluster]:
    with gateway_cluster(tmp_path_factory.mktemp("model-routes")) as gw:
        for name in ("tiny-a", "tiny-b"):
            gw.deploy(name, tiny_llama_gguf, max_concurrent_requests=64)
        gw.wait_running(["tiny-a", "tiny-b"])
        gw.wait_routed(["tiny-a", "tiny-b"])
        created = gw.admin.post(
            "/v2/providers",
            json={"name": "standin", "base_url": provider.base_url, "api_key": PROVIDER_KEY},
        )
        assert created.status_code == 201, created.text
        yield gw


def _route(gw: GatewayCluster, body: dict[str, object]) -> None:
    resp = gw.admin.post("/v2/model-routes", json=body)
    assert resp.status_code == 201, resp.text
    gw.wait_routed([str(body["name"])])


def _chat(
    client: httpx.Client, key: str, model: str, n: int, stream: bool = False
) -> httpx.Response:
    body = {
        "model": model,
        "stream": stream,
        "messages": [{"role": "user", "content": f"request {n}: say hi"}],
        "max_tokens": 2,
    }
    return client.post(
        "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"}
    )


def _port(gw: GatewayCluster, name: str) -> int:
    (instance,) = instances_of(gw.admin, gw.model_ids[name])
    return int(str(instance["port"]))


def _tokens_predicted(port: int) -> int:
    """llama.cpp's own count of generated tokens: every request here asks for the same number."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    match = re.search(r"^llamacpp:tokens_predicted_total (\d+)", text, re.MULTILINE)
    assert match, text
    return int(match.group(1))


def test_a_route_splits_200_requests_by_weight(gw: GatewayCluster) -> None:
    _route(gw, {"name": "split", "targets": [{"model": "tiny-a", "weight": 3},
                                              {"model": "tiny-b", "weight": 1}]})  # fmt: skip
    ports = {name: _port(gw, name) for name in ("tiny-a", "tiny-b")}
    before = {name: _tokens_predicted(p) for name, p in ports.items()}
    with httpx.Client(base_url=gw.url, timeout=120) as client, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: _chat(client, gw.key, "split", n), range(200)))
    assert [a.status_code for a in answers] == [200] * 200, [a.text for a in answers if a.is_error]
    tokens = {name: _tokens_predicted(p) - before[name] for name, p in ports.items()}
    share = tokens["tiny-a"] / (tokens["tiny-a"] + tokens["tiny-b"])
    assert abs(share - 0.75) <= 0.10, tokens


def _engine_pid(gw: GatewayCluster, port: int) -> int:
    assert gw.cluster.server is not None and gw.cluster.server.proc is not None
    for proc in psutil.Process(gw.cluster.server.proc.pid).children(recursive=True):
        cmdline = proc.cmdline()
        if any("llamacpp_launcher" in part for part in cmdline) and str(port) in cmdline:
            return proc.pid
    raise AssertionError(f"no engine process listens on {port}")


def test_killing_one_targets_engine_mid_load_fails_no_request(gw: GatewayCluster) -> None:
    _route(gw, {"name": "both", "targets": [{"model": "tiny-a"}, {"model": "tiny-b"}]})
    statuses: list[tuple[int, str]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def load(worker: int) -> None:
        with httpx.Client(base_url=gw.url, timeout=60) as client:
            n = 0
            while not stop.is_set():
                n += 1
                resp = _chat(client, gw.key, "both", worker * 10_000 + n)
                with lock:
                    statuses.append((resp.status_code, resp.text[:200]))

    def done() -> int:
        with lock:
            return len(statuses)

    def restarted() -> bool:
        (instance,) = instances_of(gw.admin, gw.model_ids["tiny-a"])
        return instance["state"] == "running" and int(str(instance["restart_count"])) >= 1

    with ThreadPoolExecutor(6) as pool:
        try:
            for worker in range(6):
                pool.submit(load, worker)
            wait_until(lambda: done() >= 20, 30, "load under way")
            os.kill(_engine_pid(gw, _port(gw, "tiny-a")), signal.SIGKILL)
            wait_until(restarted, 60, f"killed engine restarted\n{gw.logs()}")
            back = done()
            wait_until(lambda: done() >= back + 20, 30, "load after the restart")
        finally:
            stop.set()
    failed = [s for s in statuses if s[0] != 200]
    assert not failed, failed
    assert done() >= 40


def test_a_route_falls_back_to_the_standin_provider_on_429(
    gw: GatewayCluster, provider: StandInProvider
) -> None:
    provider.busy.add("busy-model")
    _route(gw, {
        "name": "overflow",
        "targets": [{"provider_model": {"provider": "standin", "model": "busy-model"}}],
        "fallbacks": [{"provider_model": {"provider": "standin", "model": "spare-model"},
                       "on": ["429"]}],
    })  # fmt: skip
    _route(gw, {
        "name": "no-429-fallback",
        "targets": [{"provider_model": {"provider": "standin", "model": "busy-model"}}],
        "fallbacks": [{"model": "tiny-b", "on": ["5xx"]}],
    })  # fmt: skip
    with httpx.Client(base_url=gw.url, timeout=60) as client:
        plain = _chat(client, gw.key, "overflow", 1)
        streamed = _chat(client, gw.key, "overflow", 2, stream=True)
        refused = _chat(client, gw.key, "no-429-fallback", 3)
    assert plain.status_code == 200, plain.text
    assert plain.json()["choices"][0]["message"]["content"] == "stand-in answer from spare-model"
    assert plain.json()["usage"]["total_tokens"] == 9
    events = dify_sse_events(streamed.text)
    assert "spare-model" in events[0]["choices"][0]["delta"]["content"]
    assert refused.status_code == 429
    # The provider got its own key, never the caller's.
    assert set(provider.authorizations) == {f"Bearer {PROVIDER_KEY}"}
    assert not any(gw.key in v for h in provider.headers_seen for v in h.values())


def test_dify_style_call_by_route_name(gw: GatewayCluster) -> None:
    body = {
        "model": "both",
        "stream": True,
        "max_tokens": 4,
        "messages": [{"role": "user", "content": "ping"}],
    }
    resp = httpx.post(
        f"{gw.url}/v1-openai/chat/completions", json=body, headers=gw.bearer(), timeout=60
    )
    assert resp.status_code == 200, resp.text
    events = dify_sse_events(resp.text)
    assert events[-1]["usage"]["completion_tokens"] >= 1
    listed = httpx.get(f"{gw.url}/v1-openai/models", headers=gw.bearer(), timeout=10).json()
    assert {"both", "split", "tiny-a", "tiny-b"} <= {m["id"] for m in listed["data"]}


def test_the_provider_key_is_in_no_response_log_or_column(
    gw: GatewayCluster, provider: StandInProvider
) -> None:
    assert provider.authorizations, "the provider was called (the tests above)"
    answers = [
        gw.admin.get("/v2/providers").text,
        gw.admin.get("/v2/providers/1").text,
        gw.admin.get("/v2/model-routes").text,
        httpx.get(f"{gw.url}/v1/models", headers=gw.bearer(), timeout=10).text,
    ]
    assert not [a for a in answers if PROVIDER_KEY in a]
    assert "api_key_set" in answers[0]
    # Every file the server and its worker wrote: logs, engine logs, the database (+ WAL).
    secret = PROVIDER_KEY.encode()
    leaks = [
        path for path in gw.cluster.tmp.rglob("*") if path.is_file() and secret in path.read_bytes()
    ]
    assert not leaks, leaks
