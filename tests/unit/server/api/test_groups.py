"""Groups over /v2: names unique, roles only from administrators, keys edited by PATCH."""

from __future__ import annotations

import httpx

from tests.support.app_client import create_key


async def _me(client: httpx.AsyncClient, key: str) -> int:
    resp = await client.get("/v2/users/me", headers={"Authorization": f"Bearer {key}"})
    return resp.status_code


async def test_group_names_are_unique_and_limits_can_be_cleared(admin: httpx.AsyncClient) -> None:
    made = await admin.post("/v2/groups", json={"name": "ml", "rpm_limit": 10})
    assert made.status_code == 201
    again = await admin.post("/v2/groups", json={"name": "ml"})
    assert again.status_code == 409 and again.json()["code"] == 409
    group_id = made.json()["id"]
    cleared = await admin.put(f"/v2/groups/{group_id}", json={"rpm_limit": None, "tpd_limit": 5})
    assert cleared.json()["rpm_limit"] is None and cleared.json()["tpd_limit"] == 5
    assert (await admin.delete(f"/v2/groups/{group_id}")).status_code == 204
    assert (await admin.get(f"/v2/groups/{group_id}")).status_code == 404


async def test_a_member_needs_exactly_one_of_user_id_and_username(
    admin: httpx.AsyncClient,
) -> None:
    group_id = (await admin.post("/v2/groups", json={"name": "g"})).json()["id"]
    both = await admin.post(f"/v2/groups/{group_id}/members", json={"user_id": 1, "username": "a"})
    assert both.status_code == 400
    unknown = await admin.post(f"/v2/groups/{group_id}/members", json={"username": "nobody"})
    assert unknown.status_code == 404
    added = await admin.post(f"/v2/groups/{group_id}/members", json={"username": "admin"})
    assert added.status_code == 201
    twice = await admin.post(f"/v2/groups/{group_id}/members", json={"user_id": 1})
    assert twice.status_code == 409


async def test_patch_edits_a_keys_expiry_and_limits(admin: httpx.AsyncClient) -> None:
    value = await create_key(admin, "edit-me")
    key_id = (await admin.get("/v2/api-keys")).json()["items"][0]["id"]
    limited = await admin.patch(
        f"/v2/api-keys/{key_id}", json={"rpm_limit": 7, "expires_at": "2999-01-01T00:00:00Z"}
    )
    assert limited.status_code == 200, limited.text
    assert limited.json()["rpm_limit"] == 7
    assert limited.json()["expires_at"] == "2999-01-01T00:00:00Z"
    assert await _me(admin, value) == 200
    expired = await admin.patch(
        f"/v2/api-keys/{key_id}", json={"expires_at": "2000-01-01T00:00:00Z"}
    )
    assert expired.status_code == 200
    assert await _me(admin, value) == 401  # at the very next request
    never = await admin.patch(f"/v2/api-keys/{key_id}", json={"expires_at": None})
    assert never.json()["expires_at"] is None
    assert await _me(admin, value) == 200


async def test_a_plain_user_cannot_reach_another_users_keys(
    admin: httpx.AsyncClient, user_key: str
) -> None:
    headers = {"Authorization": f"Bearer {user_key}"}
    mine = await admin.get("/v2/api-keys", headers=headers)
    assert mine.status_code == 200
    others = await admin.get("/v2/api-keys", params={"user_id": 1}, headers=headers)
    assert others.status_code == 403
    for_admin = await admin.post(
        "/v2/api-keys", json={"name": "sneaky", "user_id": 1}, headers=headers
    )
    assert for_admin.status_code == 403
