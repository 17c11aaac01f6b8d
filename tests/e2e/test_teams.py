"""Teams end to end: disabled keys, deployments limited to groups, group admins, shared limits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.e2e.gateway_support import (
    GatewayCluster,
    echo_engine,
    gateway_cluster,
    openai_error,
)
from tests.support.processes import wait_until

CHAT = {"messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory, tiny_llama_gguf: Path) -> Iterator[GatewayCluster]:
    tmp = tmp_path_factory.mktemp("teams")
    with gateway_cluster(tmp) as gw:
        engine = echo_engine(tmp)
        gw.deploy("open", tiny_llama_gguf, **engine)
        gw.deploy("private", tiny_llama_gguf, **engine)
        gw.wait_running(["open", "private"])
        gw.wait_routed(["open", "private"])
        yield gw


def _user(gw: GatewayCluster, name: str) -> int:
    resp = gw.admin.post("/v2/users", json={"username": name, "password": f"{name}-pass-12"})
    assert resp.status_code == 201, resp.text
    user_id: int = resp.json()["id"]
    return user_id


def _group(gw: GatewayCluster, name: str, **limits: int) -> int:
    resp = gw.admin.post("/v2/groups", json={"name": name, **limits})
    assert resp.status_code == 201, resp.text
    group_id: int = resp.json()["id"]
    return group_id


def _join(client: httpx.Client, group_id: int, **who: object) -> httpx.Response:
    return client.post(f"/v2/groups/{group_id}/members", json=who)


def _key_for(client: httpx.Client, user_id: int, name: str) -> tuple[int, str]:
    resp = client.post("/v2/api-keys", json={"name": name, "user_id": user_id})
    assert resp.status_code == 201, resp.text
    return resp.json()["id"], resp.json()["value"]


def _chat(gw: GatewayCluster, key: str, model: str = "open") -> httpx.Response:
    return httpx.post(
        f"{gw.url}/v1/chat/completions", json={"model": model, **CHAT}, headers=gw.bearer(key)
    )


@contextmanager
def _login(gw: GatewayCluster, name: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gw.url) as client:
        resp = client.post("/auth/login", data={"username": name, "password": f"{name}-pass-12"})
        assert resp.status_code == 200, resp.text
        yield client


def test_a_disabled_key_is_refused_at_the_next_request_and_works_again(gw: GatewayCluster) -> None:
    key_id = gw.admin.post("/v2/api-keys", json={"name": "switch"}).json()["id"]
    key = gw.admin.get(f"/v2/api-keys/{key_id}").json()
    assert key["is_active"] is True
    value = gw.create_key("switch-2")
    switch_id = next(
        k["id"] for k in gw.admin.get("/v2/api-keys").json()["items"] if k["name"] == "switch-2"
    )
    assert _chat(gw, value).status_code == 200

    off = gw.admin.patch(f"/v2/api-keys/{switch_id}", json={"is_active": False})
    assert off.status_code == 200 and off.json()["is_active"] is False
    openai_error(_chat(gw, value), 401)
    assert httpx.get(f"{gw.url}/v1/models", headers=gw.bearer(value)).status_code == 401

    on = gw.admin.patch(f"/v2/api-keys/{switch_id}", json={"is_active": True})
    assert on.status_code == 200 and on.json()["is_active"] is True
    assert _chat(gw, value).status_code == 200


def test_a_group_limited_deployment_is_invisible_to_outsiders(gw: GatewayCluster) -> None:
    team = _group(gw, "research")
    member, outsider = _user(gw, "rita"), _user(gw, "otto")
    assert _join(gw.admin, team, user_id=member).status_code == 201
    model_id = gw.model_ids["private"]
    resp = gw.admin.put(f"/v2/models/{model_id}", json={"access_groups": [team]})
    assert resp.status_code == 200 and resp.json()["access_groups"] == [team]
    _, member_key = _key_for(gw.admin, member, "rita-key")
    _, outsider_key = _key_for(gw.admin, outsider, "otto-key")

    def listed(key: str) -> set[str]:
        data = httpx.get(f"{gw.url}/v1/models", headers=gw.bearer(key)).json()["data"]
        return {m["id"] for m in data}

    wait_until(lambda: "private" not in listed(outsider_key), 10, "route table follows")
    assert listed(outsider_key) == {"open"}
    error = openai_error(_chat(gw, outsider_key, "private"), 404)
    assert error["code"] == "model_not_found"
    retrieve = httpx.get(f"{gw.url}/v1/models/private", headers=gw.bearer(outsider_key))
    assert openai_error(retrieve, 404)["code"] == "model_not_found"

    assert listed(member_key) == {"open", "private"}
    assert _chat(gw, member_key, "private").status_code == 200
    assert _chat(gw, outsider_key, "open").status_code == 200


def test_a_group_admin_manages_members_and_their_keys_only(gw: GatewayCluster) -> None:
    team, other = _group(gw, "sales"), _group(gw, "legal")
    lead, newcomer = _user(gw, "lena"), _user(gw, "nico")
    assert _join(gw.admin, team, user_id=lead, role="admin").status_code == 201
    with _login(gw, "lena") as lena:
        added = _join(lena, team, username="nico")
        assert added.status_code == 201 and added.json()["role"] == "member"
        members = lena.get(f"/v2/groups/{team}/members").json()["items"]
        assert {m["username"] for m in members} == {"lena", "nico"}

        key_id, key = _key_for(lena, newcomer, "nico-key")
        assert _chat(gw, key).status_code == 200
        listed = lena.get("/v2/api-keys", params={"user_id": newcomer}).json()["items"]
        assert [k["name"] for k in listed] == ["nico-key"]
        off = lena.patch(f"/v2/api-keys/{key_id}", json={"is_active": False})
        assert off.status_code == 200
        openai_error(_chat(gw, key), 401)

        # The member cannot take back what the group admin disabled.
        with _login(gw, "nico") as nico:
            again = nico.patch(f"/v2/api-keys/{key_id}", json={"is_active": True})
            assert again.status_code == 403

        worker_id = gw.admin.get("/v2/workers").json()["items"][0]["id"]
        for refused in (
            lena.post("/v2/models", json={"name": "x", "source": "local_path", "local_path": "/x"}),
            lena.put(f"/v2/models/{gw.model_ids['open']}", json={"replicas": 0}),
            lena.delete(f"/v2/workers/{worker_id}"),
            lena.get(f"/v2/groups/{other}/members"),
            _join(lena, other, username="nico"),
            lena.put(f"/v2/groups/{team}", json={"rpm_limit": 1}),
            lena.post("/v2/groups", json={"name": "mine"}),
        ):
            assert refused.status_code == 403, (refused.request.url, refused.text)
            assert refused.json()["code"] == 403
        # Nor may she touch keys of users outside her groups.
        outsider = lena.get("/v2/api-keys", params={"user_id": 1})
        assert outsider.status_code == 403


def test_a_group_limit_is_shared_by_all_its_members_keys(gw: GatewayCluster) -> None:
    limit = 5
    team = _group(gw, "ops", rpm_limit=limit)
    first, second = _user(gw, "olga"), _user(gw, "omar")
    for user_id in (first, second):
        assert _join(gw.admin, team, user_id=user_id).status_code == 201
    _, key_a = _key_for(gw.admin, first, "olga-key")
    _, key_b = _key_for(gw.admin, second, "omar-key")
    codes = [_chat(gw, key_a if i % 2 else key_b).status_code for i in range(limit)]
    assert codes == [200] * limit
    for key in (key_a, key_b):
        refused = _chat(gw, key)
        error = openai_error(refused, 429)
        assert "group" in error["message"]
        assert 1 <= int(refused.headers["retry-after"]) <= 60
