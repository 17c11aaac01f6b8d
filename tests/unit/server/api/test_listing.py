"""List endpoints: pagination, search, sort, bad parameters and watch streams."""

from __future__ import annotations

import asyncio
import json

import httpx

from gpustack.schemas.events import ResourceKind
from gpustack.server.context import ServerContext
from gpustack.server.listing import watch_response


async def _make_users(admin: httpx.AsyncClient, count: int) -> None:
    for i in range(count):
        resp = await admin.post(
            "/v2/users", json={"username": f"u{i:02d}", "password": "pass-word-1"}
        )
        assert resp.status_code == 201


async def test_pages_search_and_sort(admin: httpx.AsyncClient) -> None:
    await _make_users(admin, 5)
    page = (
        await admin.get("/v2/users", params={"perPage": 2, "page": 2, "sort_by": "username"})
    ).json()
    assert [u["username"] for u in page["items"]] == ["u01", "u02"]  # after admin, u00
    assert page["pagination"] == {"page": 2, "perPage": 2, "total": 6, "totalPage": 3}
    desc = (await admin.get("/v2/users", params={"sort_by": "-username", "perPage": 1})).json()
    assert desc["items"][0]["username"] == "u04"
    found = (await admin.get("/v2/users", params={"search": "u03"})).json()
    assert [u["username"] for u in found["items"]] == ["u03"]


async def test_bad_pagination_values_are_400(admin: httpx.AsyncClient) -> None:
    for params in ({"page": 0}, {"perPage": 0}, {"perPage": 100000}, {"page": "x"}):
        resp = await admin.get("/v2/users", params=params)
        assert resp.status_code == 400, params
        assert resp.json()["code"] == 400
    bad_sort = await admin.get("/v2/users", params={"sort_by": "hashed_passwordx"})
    assert bad_sort.status_code == 400 and "cannot sort" in bad_sort.json()["message"]


async def test_oversized_body_is_413_and_nothing_stored(admin: httpx.AsyncClient) -> None:
    huge = {
        "name": "m",
        "source": "local_path",
        "local_path": "/x",
        "description": "x" * (70 << 20),
    }
    resp = await admin.post("/v2/models", json=huge)
    assert resp.status_code == 413
    assert "limit" in resp.json()["message"]
    assert (await admin.get("/v2/models")).json()["pagination"]["total"] == 0


async def test_watch_stream_delivers_changes_as_sse(
    admin: httpx.AsyncClient, server: tuple[httpx.AsyncClient, ServerContext]
) -> None:
    ctx = server[1]
    response = watch_response(ctx.bus, "users", ping_seconds=1)
    received: list[dict[str, str]] = []

    async def consume() -> None:
        async for item in response.body_iterator:
            assert isinstance(item, dict)
            received.append(item)
            return

    task = asyncio.create_task(consume())
    for _ in range(50):
        if ctx.bus.subscriber_count(ResourceKind.USERS):
            break
        await asyncio.sleep(0.02)
    await admin.post("/v2/users", json={"username": "watched", "password": "pass-word-1"})
    await asyncio.wait_for(task, 5)
    event = json.loads(received[0]["data"])
    assert event["type"] == "CREATED" and event["data"]["username"] == "watched"


async def test_unknown_api_path_is_404_in_error_shape(admin: httpx.AsyncClient) -> None:
    resp = await admin.get("/v2/no-such-thing")
    assert resp.status_code == 404
    assert resp.json()["code"] == 404 and "/v2/no-such-thing" in resp.json()["message"]
