"""Out-of-range numbers and nulls are refused with a 400 in the error body, never a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.support.app_client import create_key

TOO_BIG = [2**31, 2**63, 99999999999999999999]
ID_ROUTES = [
    "/v2/models/{}",
    "/v2/models/{}/instances",
    "/v2/users/{}",
    "/v2/api-keys/{}",
    "/v2/model-instances/{}",
    "/v2/workers/{}",
    "/v2/model-files/{}",
]


def assert_refused(resp: httpx.Response, field: str) -> None:
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert set(body) == {"code", "reason", "message"} and body["code"] == 400
    assert field in body["message"]


async def _key_id(admin: httpx.AsyncClient) -> int:
    await create_key(admin, "ci", description="for CI", rpm_limit=10)
    key_id: int = (await admin.get("/v2/api-keys")).json()["items"][0]["id"]
    return key_id


@pytest.mark.parametrize("field", ["scope", "description"])
async def test_null_for_a_key_field_that_cannot_be_empty_is_400(
    admin: httpx.AsyncClient, field: str
) -> None:
    key_id = await _key_id(admin)
    assert_refused(await admin.put(f"/v2/api-keys/{key_id}", json={field: None}), field)
    key = (await admin.get(f"/v2/api-keys/{key_id}")).json()
    assert (key["scope"], key["description"]) == ("*", "for CI")


async def test_null_limit_still_means_unlimited(admin: httpx.AsyncClient) -> None:
    key_id = await _key_id(admin)
    resp = await admin.put(f"/v2/api-keys/{key_id}", json={"rpm_limit": None})
    assert resp.status_code == 200 and resp.json()["rpm_limit"] is None


async def test_key_limit_beyond_the_column_is_400(admin: httpx.AsyncClient) -> None:
    key_id = await _key_id(admin)
    before = (await admin.get(f"/v2/api-keys/{key_id}")).json()
    for field in ("rpm_limit", "tpm_limit", "tpd_limit"):
        for value in TOO_BIG:
            created = await admin.post("/v2/api-keys", json={"name": "big", field: value})
            assert_refused(created, field)
            assert_refused(await admin.put(f"/v2/api-keys/{key_id}", json={field: value}), field)
    assert (await admin.get(f"/v2/api-keys/{key_id}")).json() == before
    assert len((await admin.get("/v2/api-keys")).json()["items"]) == 1


async def test_path_id_beyond_the_column_is_400(admin: httpx.AsyncClient) -> None:
    for route in ID_ROUTES:
        for value in TOO_BIG:
            resp = await admin.get(route.format(value))
            assert_refused(resp, "less than or equal to 2147483647")


async def test_largest_valid_path_id_is_a_plain_404(admin: httpx.AsyncClient) -> None:
    resp = await admin.get(f"/v2/models/{2**31 - 1}")
    assert resp.status_code == 404 and resp.json()["code"] == 404


@pytest.mark.parametrize("route", ["/v2/model-instances?model_id=", "/v2/model-files?worker_id="])
async def test_filter_id_beyond_the_column_is_400(admin: httpx.AsyncClient, route: str) -> None:
    assert_refused(await admin.get(f"{route}{2**63}"), "_id")


async def test_model_file_for_an_impossible_worker_id_is_400(admin: httpx.AsyncClient) -> None:
    body = {"source": "local_path", "local_path": "/models/m.gguf", "worker_id": 2**63}
    assert_refused(await admin.post("/v2/model-files", json=body), "worker_id")


async def test_nul_in_stored_or_searched_text_is_400(admin: httpx.AsyncClient) -> None:
    """PostgreSQL text cannot hold NUL: the driver failed on one (a 500) wherever it went."""
    bob = {"username": "bob", "password": "Bob-pass-123", "full_name": "\x00"}
    model = {"name": "m", "source": "local_path", "local_path": "/m\x00"}
    refused = [
        (
            await admin.post("/v2/api-keys", json={"name": "k", "description": "a\x00"}),
            "description",
        ),
        (await admin.get("/v2/models", params={"search": "a\x00"}), "search"),
        (await admin.post("/v2/users", json=bob), "full_name"),
        (await admin.post("/v2/models", json=model), "local_path"),
        (
            await admin.post("/auth/login", data={"username": "admin\x00", "password": "x"}),
            "username",
        ),
    ]
    for resp, field in refused:
        assert_refused(resp, f"{field}: must not contain NUL characters")
    assert (await admin.get("/v2/models")).json()["items"] == []
