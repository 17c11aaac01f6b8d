"""The request log hook: calls of a logging route or key are kept with their bodies, others not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import httpx

from gpustack.server.gateway import GatewayApp, RouteTable
from gpustack.server.gateway.request_log import RequestLogEntry

from .conftest import KEY, PRINCIPALS, SETTINGS, FakeAuthenticator, MemorySink, route, serve
from .standin import StandInUpstream

LOGGING_KEY = "gpustack_logging_key"


class Entries:
    def __init__(self) -> None:
        self.entries: list[RequestLogEntry] = []

    async def write(self, entries: Sequence[RequestLogEntry]) -> None:
        self.entries.extend(entries)


def _gateway(upstream: StandInUpstream, sink: Entries) -> GatewayApp:
    routes = RouteTable(
        [
            replace(route("logged", upstream, model_id=1), request_log=True),
            route("plain", upstream, model_id=2),
        ]
    )
    principals = PRINCIPALS | {LOGGING_KEY: replace(PRINCIPALS[KEY], request_log=True)}
    return GatewayApp(
        SETTINGS, FakeAuthenticator(principals), routes, MemorySink(), request_log_sink=sink
    )


async def test_only_a_logging_route_or_key_is_recorded(upstream: StandInUpstream) -> None:
    sink = Entries()
    app = _gateway(upstream, sink)
    async with serve(app) as url, httpx.AsyncClient() as client:
        for model, key in (("logged", KEY), ("plain", KEY), ("plain", LOGGING_KEY)):
            body = {"model": model, "messages": [{"role": "user", "content": f"to {model}"}]}
            resp = await client.post(
                f"{url}/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"}
            )
            assert resp.status_code == 200, resp.text
    # Stopping the server flushed the buffer.
    assert [(e.model_name, e.api_key_id) for e in sink.entries] == [("logged", 10), ("plain", 10)]
    first = sink.entries[0]
    assert b"to logged" in first.request_body and b"choices" in first.response_body
    assert first.status_code == 200 and first.captured_all
