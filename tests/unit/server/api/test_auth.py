"""Login, sessions, password changes, and who may call what."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx

from gpustack.config import Config
from gpustack.server.app import create_app
from tests.support.app_client import ADMIN_PASSWORD, login


async def test_login_sets_httponly_session_cookie(client: httpx.AsyncClient) -> None:
    resp = await client.post("/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD})
    assert resp.status_code == 200
    assert resp.json()["username"] == "admin"
    cookie = resp.headers["set-cookie"]
    assert "gpustack_session=" in cookie and "HttpOnly" in cookie
    assert (await client.get("/v2/users/me")).json()["is_admin"] is True


async def test_wrong_password_is_401_in_error_shape(client: httpx.AsyncClient) -> None:
    resp = await client.post("/auth/login", data={"username": "admin", "password": "nope"})
    assert resp.status_code == 401
    assert resp.json() == {
        "code": 401,
        "reason": "Unauthorized",
        "message": "incorrect username or password",
    }


async def test_no_credentials_is_401(client: httpx.AsyncClient) -> None:
    resp = await client.get("/v2/users/me")
    assert resp.status_code == 401
    assert resp.json()["code"] == 401


async def test_logout_ends_the_session(admin: httpx.AsyncClient) -> None:
    await admin.post("/auth/logout")
    assert (await admin.get("/v2/users/me")).status_code == 401


async def test_update_password_enforces_policy_and_works(admin: httpx.AsyncClient) -> None:
    weak = await admin.post(
        "/auth/update-password", json={"current_password": ADMIN_PASSWORD, "new_password": "short"}
    )
    assert weak.status_code == 400
    assert "at least 8 characters" in weak.json()["message"]
    wrong = await admin.post(
        "/auth/update-password", json={"current_password": "bad", "new_password": "Better-pass-9"}
    )
    assert wrong.status_code == 400
    ok = await admin.post(
        "/auth/update-password",
        json={"current_password": ADMIN_PASSWORD, "new_password": "Better-pass-9"},
    )
    assert ok.status_code == 200
    await admin.post("/auth/logout")
    await login(admin, "admin", "Better-pass-9")


async def test_generated_admin_password_file_is_private_and_must_be_changed(
    database_url: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "fresh"
    app = create_app(Config(data_dir=data_dir, database_url=database_url))
    async with app.router.lifespan_context(app):
        password_file = data_dir / "initial_admin_password"
        assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
        password = password_file.read_text().strip()
        assert len(password) == 12
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await login(client, "admin", password)
            me = (await client.get("/v2/users/me")).json()
            assert me["require_password_change"] is True
            blocked = await client.get("/v2/models")
            assert blocked.status_code == 403
            assert "change your password" in blocked.json()["message"]
            changed = await client.post(
                "/auth/update-password",
                json={"current_password": password, "new_password": "New-admin-pass-1"},
            )
            assert changed.status_code == 200
            assert (await client.get("/v2/models")).status_code == 200


async def test_deactivated_user_is_refused_at_once(admin: httpx.AsyncClient, user_key: str) -> None:
    headers = {"Authorization": f"Bearer {user_key}"}
    assert (await admin.get("/v2/users/me", headers=headers)).status_code == 200
    users = (await admin.get("/v2/users", params={"search": "alice"})).json()["items"]
    resp = await admin.put(f"/v2/users/{users[0]['id']}", json={"is_active": False})
    assert resp.status_code == 200
    async with httpx.AsyncClient(transport=admin._transport, base_url="http://t") as anon:
        assert (await anon.get("/v2/users/me", headers=headers)).status_code == 401
        login_resp = await anon.post(
            "/auth/login", data={"username": "alice", "password": "alice-pass-1"}
        )
        # Refused like a wrong password: the answer does not confirm the password was right.
        assert login_resp.status_code == 401
