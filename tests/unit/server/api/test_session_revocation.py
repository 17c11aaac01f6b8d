"""A session cookie ends at logout and at every password change, reset or deactivation."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import httpx
import jwt
import pytest

from gpustack.server.context import ServerContext
from gpustack.server.security.sessions import SESSION_COOKIE
from tests.support.app_client import ADMIN_PASSWORD, login, running_app
from tests.support.databases import POSTGRES_ENV, fresh_database

ALICE_PASSWORD = "alice-pass-1"


def _session_of(client: httpx.AsyncClient) -> str:
    value = client.cookies.get(SESSION_COOKIE)
    assert value, "no session cookie"
    return value


async def _me_status(transport: httpx.AsyncBaseTransport, cookie: str) -> int:
    """`GET /v2/users/me` from a fresh client that holds nothing but this cookie."""
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        resp = await other.get("/v2/users/me", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
        return resp.status_code


async def _create_alice(admin: httpx.AsyncClient) -> int:
    created = await admin.post("/v2/users", json={"username": "alice", "password": ALICE_PASSWORD})
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


async def test_logout_ends_a_copied_session_cookie(admin: httpx.AsyncClient) -> None:
    stolen = _session_of(admin)
    assert await _me_status(admin._transport, stolen) == 200
    assert (await admin.post("/auth/logout")).status_code == 200
    assert await _me_status(admin._transport, stolen) == 401


async def test_logout_ends_every_session_of_that_user(admin: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient(transport=admin._transport, base_url="http://t") as laptop:
        await login(laptop)
        assert (await laptop.get("/v2/users/me")).status_code == 200
        await admin.post("/auth/logout")
        assert (await laptop.get("/v2/users/me")).status_code == 401
        # Logging in again works as before.
        await login(laptop)
        assert (await laptop.get("/v2/users/me")).status_code == 200


async def test_logout_without_a_valid_session_is_harmless(admin: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient(transport=admin._transport, base_url="http://t") as anon:
        assert (await anon.post("/auth/logout")).status_code == 200
        forged = {"Cookie": f"{SESSION_COOKIE}=not-a-token"}
        assert (await anon.post("/auth/logout", headers=forged)).status_code == 200
    assert (await admin.get("/v2/users/me")).status_code == 200


async def test_own_password_change_ends_old_sessions_and_renews_this_one(
    admin: httpx.AsyncClient,
) -> None:
    old = _session_of(admin)
    async with httpx.AsyncClient(transport=admin._transport, base_url="http://t") as laptop:
        await login(laptop)
        changed = await admin.post(
            "/auth/update-password",
            json={"current_password": ADMIN_PASSWORD, "new_password": "Better-pass-9"},
        )
        assert changed.status_code == 200
        assert SESSION_COOKIE in changed.cookies
        assert (await laptop.get("/v2/users/me")).status_code == 401
    assert await _me_status(admin._transport, old) == 401
    # This browser carries on with the cookie it was handed.
    assert (await admin.get("/v2/users/me")).status_code == 200
    assert await _me_status(admin._transport, _session_of(admin)) == 200


async def test_admin_password_reset_ends_the_users_sessions(admin: httpx.AsyncClient) -> None:
    alice_id = await _create_alice(admin)
    async with httpx.AsyncClient(transport=admin._transport, base_url="http://t") as alice:
        await login(alice, "alice", ALICE_PASSWORD)
        assert (await alice.get("/v2/users/me")).status_code == 200
        reset = await admin.put(f"/v2/users/{alice_id}", json={"password": "Reset-pass-12"})
        assert reset.status_code == 200
        # The admin's own session is untouched and gets no cookie for alice.
        assert SESSION_COOKIE not in reset.cookies
        assert (await admin.get("/v2/users/me")).json()["username"] == "admin"
        assert (await alice.get("/v2/users/me")).status_code == 401
        await login(alice, "alice", "Reset-pass-12")
        assert (await alice.get("/v2/users/me")).status_code == 200


async def test_admin_resetting_own_password_keeps_working(admin: httpx.AsyncClient) -> None:
    old = _session_of(admin)
    me = (await admin.get("/v2/users/me")).json()
    assert (await admin.put(f"/v2/users/{me['id']}", json={"password": "Own-reset-12"})).is_success
    assert await _me_status(admin._transport, old) == 401
    assert (await admin.get("/v2/users/me")).status_code == 200


async def test_reactivated_account_does_not_revive_old_sessions(admin: httpx.AsyncClient) -> None:
    alice_id = await _create_alice(admin)
    async with httpx.AsyncClient(transport=admin._transport, base_url="http://t") as alice:
        await login(alice, "alice", ALICE_PASSWORD)
        await admin.put(f"/v2/users/{alice_id}", json={"is_active": False})
        assert (await alice.get("/v2/users/me")).status_code == 401
        await admin.put(f"/v2/users/{alice_id}", json={"is_active": True})
        assert (await alice.get("/v2/users/me")).status_code == 401
        await login(alice, "alice", ALICE_PASSWORD)
        assert (await alice.get("/v2/users/me")).status_code == 200


async def test_cookie_without_a_generation_is_refused(
    server: tuple[httpx.AsyncClient, ServerContext],
) -> None:
    client, ctx = server
    await login(client)
    user_id = (await client.get("/v2/users/me")).json()["id"]
    now = int(time.time())
    claims = {"sub": str(user_id), "iat": now, "exp": now + 3600}
    legacy = jwt.encode(claims, ctx.codec.secret, algorithm="HS256")
    assert await _me_status(client._transport, legacy) == 401


@pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"needs {POSTGRES_ENV}")
async def test_logout_on_one_server_ends_the_session_on_another(tmp_path: Path) -> None:
    # Two servers on one PostgreSQL sharing the data folder, hence the session secret.
    async with fresh_database("postgresql", tmp_path) as url:
        async with (
            running_app(url, tmp_path / "data") as (a, _),
            running_app(url, tmp_path / "data") as (b, _),
        ):
            await login(a)
            cookie = _session_of(a)
            assert await _me_status(b._transport, cookie) == 200  # now cached on B
            await a.post("/auth/logout")
            deadline = time.monotonic() + 3
            while await _me_status(b._transport, cookie) != 401:
                assert time.monotonic() < deadline, "B still accepts the logged-out session"
                await asyncio.sleep(0.02)
