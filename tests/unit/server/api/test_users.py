"""User administration: admin-only CRUD, validation, uniqueness."""

from __future__ import annotations

import httpx


async def test_admin_creates_lists_updates_and_deletes_users(admin: httpx.AsyncClient) -> None:
    created = await admin.post(
        "/v2/users", json={"username": "bob", "password": "bob-pass-12", "full_name": "Bob"}
    )
    assert created.status_code == 201
    user = created.json()
    assert "password" not in user and "hashed_password" not in user
    page = (await admin.get("/v2/users", params={"sort_by": "username"})).json()
    assert [u["username"] for u in page["items"]] == ["admin", "bob"]
    assert page["pagination"] == {"page": 1, "perPage": 100, "total": 2, "totalPage": 1}
    updated = await admin.put(f"/v2/users/{user['id']}", json={"is_admin": True})
    assert updated.json()["is_admin"] is True
    assert (await admin.delete(f"/v2/users/{user['id']}")).status_code == 204
    assert (await admin.get(f"/v2/users/{user['id']}")).status_code == 404


async def test_duplicate_username_is_409_and_nothing_changes(admin: httpx.AsyncClient) -> None:
    await admin.post("/v2/users", json={"username": "carol", "password": "carol-pass-1"})
    again = await admin.post("/v2/users", json={"username": "carol", "password": "other-pass-1"})
    assert again.status_code == 409
    assert (await admin.get("/v2/users")).json()["pagination"]["total"] == 2


async def test_bad_user_input_gets_actionable_400(admin: httpx.AsyncClient) -> None:
    weak = await admin.post("/v2/users", json={"username": "dave", "password": "abc"})
    assert weak.status_code == 400 and "password must contain" in weak.json()["message"]
    bad_name = await admin.post(
        "/v2/users", json={"username": "no spaces", "password": "x-pass-123"}
    )
    assert bad_name.status_code == 400 and "username" in bad_name.json()["message"]
    unknown = await admin.post(
        "/v2/users", json={"username": "erin", "password": "erin-pass-1", "is_root": True}
    )
    assert unknown.status_code == 400 and "unknown field" in unknown.json()["message"]
    not_json = await admin.post(
        "/v2/users", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400 and "JSON" in not_json.json()["message"]


async def test_admin_cannot_lock_themselves_out(admin: httpx.AsyncClient) -> None:
    me = (await admin.get("/v2/users/me")).json()
    resp = await admin.put(f"/v2/users/{me['id']}", json={"is_active": False})
    assert resp.status_code == 400
    assert (await admin.delete(f"/v2/users/{me['id']}")).status_code == 400
