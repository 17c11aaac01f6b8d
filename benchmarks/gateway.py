"""Gateway benchmark: a stand-in engine measured directly, through a bare forwarder, and
through GatewayApp.

Run: `python benchmarks/gateway.py [--seconds 3]`. The stand-in engine, the bare forwarder
(raw ASGI + aiohttp, nothing else) and the gateway (fake key store, one route) each run in their
own process under uvicorn; this process generates load with aiohttp. Prints p50/p99 latency at
concurrency 1 (and what each layer adds over the engine), requests/s at concurrency 64 and SSE
streams/s (64 chunks each), with the gateway's ratio to the bare forwarder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

KEY = "gpustack_bench"
CHAT = {"model": "bench", "messages": [{"role": "user", "content": "ping"}], "max_tokens": 5}
STREAM_CHUNKS = 64
ROUNDS = 10

# -- the three servers ---------------------------------------------------------------------------


def stand_in_engine() -> Any:
    from aiohttp import web

    usage = {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12}
    answer = json.dumps(
        {
            "id": "c",
            "object": "chat.completion",
            "model": "bench",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "pong"},
                    "finish_reason": "length",
                }
            ],
            "usage": usage,
        }
    ).encode()
    chunk = (
        b'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,'
        b'"delta":{"content":"tok "},"finish_reason":null}]}\n\n'
    )
    tail = (
        b'data: {"id":"c","object":"chat.completion.chunk","choices":[],"usage":'
        + json.dumps(usage).encode()
        + b"}\n\ndata: [DONE]\n\n"
    )

    async def chat(request: web.Request) -> web.StreamResponse:
        doc = await request.json()
        if not doc.get("stream"):
            return web.Response(body=answer, content_type="application/json")
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for _ in range(STREAM_CHUNKS):
            await response.write(chunk)
        await response.write(tail)
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    return app


class BareForwarder:
    """The reference: raw ASGI, aiohttp client, relays status and body chunk by chunk."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.session: aiohttp.ClientSession | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
                    self.session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
                    await send({"type": "lifespan.startup.complete"})
                else:
                    assert self.session is not None
                    await self.session.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        assert self.session is not None
        headers = {"Content-Type": "application/json"}
        async with self.session.post(
            self.upstream + scope["path"], data=body, headers=headers
        ) as r:
            content_type = r.headers.get("Content-Type", "application/json").encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": r.status,
                    "headers": [(b"content-type", content_type)],
                }
            )
            async for chunk in r.content.iter_any():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})


def gateway_app(upstream: str) -> Any:
    from gpustack.server.gateway import (
        Endpoint,
        GatewayApp,
        GatewaySettings,
        ModelRoute,
        RouteTable,
        UsageRecord,
    )
    from gpustack.server.security.principal import Principal

    principal = Principal(user_id=1, username="bench", is_admin=True, api_key_id=1)

    class Keys:
        async def authenticate(self, headers: Mapping[str, str]) -> Principal | None:
            return principal if headers.get("authorization") == f"Bearer {KEY}" else None

    class NullSink:
        async def write(self, records: Sequence[UsageRecord]) -> None:
            return None

    route = ModelRoute(1, "bench", ("llm",), "llama.cpp", (Endpoint(1, upstream),))
    return GatewayApp(GatewaySettings(), Keys(), RouteTable([route]), NullSink())


def serve(kind: str, port: int, upstream: str) -> None:
    if kind == "engine":
        from aiohttp import web

        web.run_app(stand_in_engine(), host="127.0.0.1", port=port, access_log=None, print=None)
        return
    import uvicorn

    app = BareForwarder(upstream) if kind == "bare" else gateway_app(upstream)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# -- load ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_ready(session: aiohttp.ClientSession, url: str) -> None:
    for _ in range(200):
        try:
            async with session.post(url, json=CHAT, headers=auth()) as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {KEY}"}


async def one_request(session: aiohttp.ClientSession, url: str, stream: bool) -> None:
    body = {**CHAT, "stream": True} if stream else CHAT
    async with session.post(url, json=body, headers=auth()) as r:
        data = await r.read()
        if r.status != 200 or (stream and not data.endswith(b"data: [DONE]\n\n")):
            raise RuntimeError(f"bad answer {r.status}: {data[:200]!r}")


async def latencies(session: aiohttp.ClientSession, url: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        await one_request(session, url, False)
        out.append(time.perf_counter() - t)
    return out


async def throughput(
    session: aiohttp.ClientSession, url: str, concurrency: int, seconds: float, stream: bool
) -> float:
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await one_request(session, url, stream)
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / (time.perf_counter() - start)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


def cpu_seconds(pid: int) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


async def measure(urls: dict[str, str], pids: dict[str, int], seconds: float) -> None:
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        for url in urls.values():
            await wait_ready(session, url)
        # Rounds alternate between targets so that load from elsewhere on the machine hits
        # all of them alike.
        lat: dict[str, list[float]] = {name: [] for name in urls}
        for url in urls.values():
            await latencies(session, url, 100)  # warm-up
        for _ in range(50):
            for name, url in urls.items():
                lat[name] += await latencies(session, url, 20)
        print("latency at c=1 (ms)        p50     p99   added p50 over engine")
        base = pct(lat["engine"], 50)
        for name, values in lat.items():
            p50, p99 = pct(values, 50), pct(values, 99)
            print(f"  {name:<24} {p50:6.3f}  {p99:6.3f}   {p50 - base:+.3f}")
        gw_added = pct(lat["gateway"], 50) - pct(lat["bare"], 50)
        print(f"  gateway adds {gw_added:+.3f} ms p50 over the bare forwarder")
        runs: list[tuple[str, int, bool]] = [("req/s at c=64", 64, False)]
        runs.append((f"SSE streams/s ({STREAM_CHUNKS} chunks) c=16", 16, True))
        for title, concurrency, stream in runs:
            done = dict.fromkeys(urls, 0.0)
            cpu = dict.fromkeys(urls, 0.0)
            for url in urls.values():
                await throughput(session, url, concurrency, 0.5, stream)  # warm-up
            for _ in range(ROUNDS):
                for name, url in urls.items():
                    before = cpu_seconds(pids[name])
                    rate = await throughput(session, url, concurrency, seconds / ROUNDS, stream)
                    cpu[name] += cpu_seconds(pids[name]) - before
                    done[name] += rate * seconds / ROUNDS
            rates = {name: done[name] / seconds for name in urls}
            cpu_ms = {name: cpu[name] * 1000 / done[name] for name in urls}
            # On a shared or small machine req/s is noisy; CPU per request of each server
            # process is the steadier measure of what each layer costs.
            print(f"{title:<40} per second   CPU ms per request (that process)")
            for name, rate in rates.items():
                print(f"  {name:<36} {rate:8.0f}   {cpu_ms[name]:.3f}")
            print(
                f"  gateway / bare forwarder: {rates['gateway'] / rates['bare']:.2f} throughput, "
                f"{cpu_ms['gateway'] / cpu_ms['bare']:.2f} CPU per request"
            )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--serve", nargs=3, metavar=("KIND", "PORT", "UPSTREAM"))
    args = parser.parse_args(argv)
    if args.serve:
        kind, port, upstream = args.serve
        serve(kind, int(port), upstream)
        return
    ports = {name: free_port() for name in ("engine", "bare", "gateway")}
    engine = f"http://127.0.0.1:{ports['engine']}"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for name, port in ports.items():
            cmd = [sys.executable, __file__, "--serve", name, str(port), engine]
            procs.append(subprocess.Popen(cmd))
        path = "/v1/chat/completions"
        urls = {
            "engine": engine + path,
            "bare": f"http://127.0.0.1:{ports['bare']}{path}",
            "gateway": f"http://127.0.0.1:{ports['gateway']}{path}",
        }
        pids = {name: proc.pid for name, proc in zip(ports, procs, strict=True)}
        asyncio.run(measure(urls, pids, args.seconds))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(10)


if __name__ == "__main__":
    main()
