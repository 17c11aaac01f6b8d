"""API keys: shown once, masked after, hashed at rest, revoked at once, private to their owner."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlmodel import select

from gpustack.schemas.api_keys import ApiKey
from gpustack.server.context import ServerContext
from tests.support.app_client import create_key

KEY_RE = re.compile(r"^gpustack_[0-9a-f]{16}_[0-9a-f]{32}$")


async def test_key_is_shown_once_then_masked(admin: httpx.AsyncClient) -> None:
    value = await create_key(admin, "ci", description="for CI")
    assert KEY_RE.match(value)
    listed = (await admin.get("/v2/api-keys")).json()["items"]
    assert len(listed) == 1
    assert "value" not in listed[0]
    assert listed[0]["masked_value"].endswith("_****")
    assert value[-32:] not in str(listed)


async def test_key_secret_is_not_stored_in_clear(
    admin: httpx.AsyncClient, server: tuple[httpx.AsyncClient, ServerContext]
) -> None:
    value = await create_key(admin)
    async with server[1].sessions() as session:
        row = (await session.exec(select(ApiKey))).one()
    secret = value.rsplit("_", 1)[1]
    assert secret not in row.hashed_secret and secret not in row.secret_digest
    assert row.hashed_secret.startswith("$argon2")


async def test_key_authenticates_bearer_and_x_api_key(admin: httpx.AsyncClient) -> None:
    value = await create_key(admin)
    async with httpx.AsyncClient(transport=admin._transport, base_url="http://t") as anon:
        for headers in ({"Authorization": f"Bearer {value}"}, {"X-API-Key": value}):
            resp = await anon.get("/v2/users/me", headers=headers)
            assert resp.status_code == 200 and resp.json()["username"] == "admin"


async def test_deleted_key_is_refused_on_the_next_request(admin: httpx.AsyncClient) -> None:
    value = await create_key(admin)
    headers = {"Authorization": f"Bearer {value}"}
    async with httpx.AsyncClient(transport=admin._transport, base_url="http://t") as anon:
        assert (await anon.get("/v2/users/me", headers=headers)).status_code == 200
        key_id = (await admin.get("/v2/api-keys")).json()["items"][0]["id"]
        assert (await admin.delete(f"/v2/api-keys/{key_id}")).status_code == 204
        assert (await anon.get("/v2/users/me", headers=headers)).status_code == 401


async def test_expired_key_is_refused(
    admin: httpx.AsyncClient, server: tuple[httpx.AsyncClient, ServerContext]
) -> None:
    value = await create_key(admin, expires_in=60)
    headers = {"Authorization": f"Bearer {value}"}
    async with httpx.AsyncClient(transport=admin._transport, base_url="http://t") as anon:
        assert (await anon.get("/v2/users/me", headers=headers)).status_code == 200
        async with server[1].sessions() as session:
            row = (await session.exec(select(ApiKey))).one()
            assert row.expires_at is not None
            row.expires_at = row.expires_at - timedelta(minutes=2)
            session.add(row)
            await session.commit()
        # The cached entry still says 60 s from creation; expiry is checked against the clock,
        # so move the clock instead of waiting a minute.
        server[1].authenticator._clock = lambda: 4_102_444_800.0  # 2100-01-01
        assert (await anon.get("/v2/users/me", headers=headers)).status_code == 401


async def test_inference_only_key_gets_403_on_management(admin: httpx.AsyncClient) -> None:
    value = await create_key(admin, scope="inference")
    async with httpx.AsyncClient(transport=admin._transport, base_url="http://t") as anon:
        resp = await anon.get("/v2/models", headers={"Authorization": f"Bearer {value}"})
        assert resp.status_code == 403
        assert "inference" in resp.json()["message"]


async def test_users_cannot_see_or_delete_each_others_keys(
    admin: httpx.AsyncClient, user_key: str
) -> None:
    await create_key(admin, "admins-key")
    admin_key_id = (await admin.get("/v2/api-keys")).json()["items"][0]["id"]
    alice = {"Authorization": f"Bearer {user_key}"}
    async with httpx.AsyncClient(transport=admin._transport, base_url="http://t") as anon:
        listed = (await anon.get("/v2/api-keys", headers=alice)).json()["items"]
        assert [k["name"] for k in listed] == ["alice-key"]
        assert (await anon.get(f"/v2/api-keys/{admin_key_id}", headers=alice)).status_code == 404
        gone = await anon.delete(f"/v2/api-keys/{admin_key_id}", headers=alice)
        assert gone.status_code == 404
        assert (await anon.get("/v2/users", headers=alice)).status_code == 403
    assert len((await admin.get("/v2/api-keys")).json()["items"]) == 1


async def test_duplicate_key_name_is_409_and_bad_input_400(admin: httpx.AsyncClient) -> None:
    await create_key(admin, "dup")
    resp = await admin.post("/v2/api-keys", json={"name": "dup"})
    assert resp.status_code == 409
    assert "dup" in resp.json()["message"]
    bad = await admin.post("/v2/api-keys", json={"name": "x", "scope": "root"})
    assert bad.status_code == 400
    assert "scope" in bad.json()["message"]
    assert len((await admin.get("/v2/api-keys")).json()["items"]) == 1
