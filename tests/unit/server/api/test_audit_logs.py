"""The audit log: every management write leaves a row an admin can filter; users get 403."""

from __future__ import annotations

import json

import httpx

from tests.support.app_client import ADMIN_PASSWORD, login


async def _entries(admin: httpx.AsyncClient, **params: object) -> list[dict[str, object]]:
    resp = await admin.get("/v2/audit-logs", params=params)
    assert resp.status_code == 200, resp.text
    items: list[dict[str, object]] = resp.json()["items"]
    return items


async def test_user_and_key_writes_are_audited_without_secrets(admin: httpx.AsyncClient) -> None:
    created = await admin.post("/v2/users", json={"username": "bob", "password": "bob-pass-12"})
    user_id = created.json()["id"]
    await admin.put(f"/v2/users/{user_id}", json={"full_name": "Bob", "password": "new-pass-34"})
    key = await admin.post("/v2/api-keys", json={"name": "k1"})
    key_value = key.json()["value"]
    await admin.put(f"/v2/api-keys/{key.json()['id']}", json={"description": "d"})
    await admin.delete(f"/v2/api-keys/{key.json()['id']}")
    await admin.delete(f"/v2/users/{user_id}")

    users = await _entries(admin, resource_kind="users", resource_id=str(user_id))
    assert [e["action"] for e in users] == ["delete", "update", "create"]
    update = users[1]
    assert update["actor_name"] == "admin" and update["method"] == "PUT"
    assert update["changes"] == {
        "full_name": {"before": "", "after": "Bob"},
        "password": {"before": None, "after": "[redacted]"},
    }
    keys = await _entries(admin, resource_kind="api-keys")
    assert [e["action"] for e in keys] == ["delete", "update", "create"]
    everything = json.dumps(await _entries(admin))
    for secret in ("bob-pass-12", "new-pass-34", key_value, key_value.split("_")[-1]):
        assert secret not in everything


async def test_filters_by_actor_and_time(admin: httpx.AsyncClient) -> None:
    await admin.post("/v2/users", json={"username": "carol", "password": "carol-pass-1"})
    assert len(await _entries(admin, actor="admin")) == 1
    assert await _entries(admin, actor="nobody") == []
    assert await _entries(admin, time_from="2999-01-01T00:00:00Z") == []
    assert len(await _entries(admin, time_to="2999-01-01T00:00:00Z")) == 1


async def test_a_key_acting_is_named_and_the_socket_address_kept(
    admin: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    value = (await admin.post("/v2/api-keys", json={"name": "ops"})).json()["value"]
    headers = {"Authorization": f"Bearer {value}", "X-Forwarded-For": "6.6.6.6"}
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as k:
        await k.post(
            "/v2/users", json={"username": "dan", "password": "dan-pass-123"}, headers=headers
        )
    entry = (await _entries(admin, resource_kind="users"))[0]
    assert entry["api_key_name"] == "ops"
    # No trusted proxies configured: the header is not believed.
    assert entry["client_ip"] != "6.6.6.6"


async def test_users_cannot_read_the_audit_log(admin: httpx.AsyncClient, user_key: str) -> None:
    headers = {"Authorization": f"Bearer {user_key}"}
    resp = await admin.get("/v2/audit-logs", headers=headers)
    assert resp.status_code == 403 and resp.json()["code"] == 403
    assert (await admin.get("/v2/request-logs", headers=headers)).status_code == 403


async def test_password_change_is_audited(client: httpx.AsyncClient) -> None:
    await login(client)
    body = {"current_password": ADMIN_PASSWORD, "new_password": ADMIN_PASSWORD + "-New9"}
    resp = await client.post("/auth/update-password", json=body)
    assert resp.status_code == 200, resp.text
    entry = (await _entries(client, resource_kind="users"))[0]
    assert entry["action"] == "password-change" and entry["path"] == "/auth/update-password"
    assert entry["changes"] == {"password": {"before": None, "after": "[redacted]"}}
