"""Password guessing is throttled per account and per address; answers do not tell users apart."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher, extract_parameters
from argon2.profiles import Parameters
from sqlmodel import select

from gpustack.schemas.users import User
from gpustack.server.context import ServerContext
from gpustack.server.security.login_throttle import (
    ACCOUNT_FAILURES,
    ADDRESS_FAILURES,
    WINDOW_SECONDS,
    Attempt,
    LoginThrottle,
)
from tests.support.app_client import ADMIN_PASSWORD

Server = tuple[httpx.AsyncClient, ServerContext]


async def _login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/auth/login", data={"username": username, "password": password})


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(server: Server) -> _Clock:
    fake = _Clock()
    server[1].login_throttle.clock = fake
    return fake


async def test_repeated_wrong_passwords_get_429_with_retry_after(client: httpx.AsyncClient) -> None:
    for _ in range(ACCOUNT_FAILURES):
        assert (await _login(client, "admin", "wrong-guess-1")).status_code == 401
    refused = await _login(client, "admin", "wrong-guess-2")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= WINDOW_SECONDS
    body = refused.json()
    assert (body["code"], body["reason"]) == (429, "Too Many Requests")
    assert "try again in" in body["message"]


async def test_right_password_during_lockout_is_refused_until_the_window_passes(
    client: httpx.AsyncClient, clock: _Clock
) -> None:
    for _ in range(ACCOUNT_FAILURES):
        await _login(client, "admin", "wrong-guess-1")
    clock.now += 10
    locked = await _login(client, "admin", ADMIN_PASSWORD)
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) == WINDOW_SECONDS - 10
    assert "set-cookie" not in locked.headers
    clock.now += WINDOW_SECONDS
    assert (await _login(client, "admin", ADMIN_PASSWORD)).status_code == 200


async def test_a_successful_login_resets_the_account_failures(
    client: httpx.AsyncClient, clock: _Clock
) -> None:
    for _ in range(ACCOUNT_FAILURES - 1):
        assert (await _login(client, "admin", "wrong-guess-1")).status_code == 401
    assert (await _login(client, "admin", ADMIN_PASSWORD)).status_code == 200
    for _ in range(ACCOUNT_FAILURES - 1):
        assert (await _login(client, "admin", "wrong-guess-1")).status_code == 401
    assert (await _login(client, "admin", ADMIN_PASSWORD)).status_code == 200


async def test_parallel_guesses_cannot_slip_past_the_limit(client: httpx.AsyncClient) -> None:
    answers = await asyncio.gather(
        *(_login(client, "admin", f"wrong-guess-{i}") for i in range(3 * ACCOUNT_FAILURES))
    )
    codes = [a.status_code for a in answers]
    assert codes.count(401) == ACCOUNT_FAILURES
    assert codes.count(429) == 2 * ACCOUNT_FAILURES


async def test_spraying_names_from_one_address_is_throttled_whatever_it_forwards(
    client: httpx.AsyncClient,
) -> None:
    # Unknown names count like real ones, and X-Forwarded-For does not buy a fresh address.
    for i in range(ADDRESS_FAILURES):
        resp = await client.post(
            "/auth/login",
            data={"username": f"guess{i}", "password": "wrong-guess-1"},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
        )
        assert resp.status_code == 401
    refused = await client.post(
        "/auth/login",
        data={"username": "admin", "password": ADMIN_PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers


async def test_guessing_the_current_password_is_throttled_too(admin: httpx.AsyncClient) -> None:
    for _ in range(ACCOUNT_FAILURES):
        wrong = await admin.post(
            "/auth/update-password",
            json={"current_password": "wrong-guess-1", "new_password": "Better-pass-9"},
        )
        assert wrong.status_code == 400
    refused = await admin.post(
        "/auth/update-password",
        json={"current_password": ADMIN_PASSWORD, "new_password": "Better-pass-9"},
    )
    assert refused.status_code == 429


async def test_deactivated_account_answers_exactly_like_a_wrong_password(
    admin: httpx.AsyncClient,
) -> None:
    created = await admin.post("/v2/users", json={"username": "alice", "password": "alice-pass-1"})
    await admin.put(f"/v2/users/{created.json()['id']}", json={"is_active": False})
    async with httpx.AsyncClient(transport=admin._transport, base_url="http://t") as anon:
        right = await _login(anon, "alice", "alice-pass-1")
        wrong = await _login(anon, "alice", "wrong-guess-1")
        unknown = await _login(anon, "nobody-here", "wrong-guess-1")
    assert right.status_code == wrong.status_code == unknown.status_code == 401
    assert right.json() == wrong.json() == unknown.json()
    assert "set-cookie" not in right.headers


async def test_unknown_user_costs_one_argon2_verification_like_a_known_one(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, ctx = server
    calls: list[tuple[Parameters, bool]] = []
    real_verify = PasswordHasher.verify

    def counting(self: PasswordHasher, hash: Any, password: Any) -> bool:
        on_loop_thread = threading.current_thread() is threading.main_thread()
        calls.append((extract_parameters(str(hash)), on_loop_thread))
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    assert (await _login(client, "admin", "wrong-guess-1")).status_code == 401
    assert (await _login(client, "no-such-user", "wrong-guess-1")).status_code == 401
    assert (await _login(client, "no-such-user", "wrong-guess-2")).status_code == 401
    async with ctx.sessions() as session:
        admin = (await session.exec(select(User).where(User.username == "admin"))).one()
    real_params = extract_parameters(admin.hashed_password)
    # One verification each, with the parameters of real hashes, off the event loop's thread.
    assert calls == [(real_params, False)] * 3


def test_throttle_memory_is_bounded_and_expired_failures_are_forgotten() -> None:
    clock = _Clock()
    throttle = LoginThrottle(account_failures=2, address_failures=100, max_entries=3, clock=clock)
    for _ in range(2):
        assert isinstance(throttle.begin("victim", "a"), Attempt)
    assert throttle.begin("victim", "a") == WINDOW_SECONDS
    # A flood of other names pushes the oldest entry out instead of growing without end.
    for i in range(3):
        throttle.begin(f"flood{i}", "a")
    assert isinstance(throttle.begin("victim", "a"), Attempt)
    clock.now += WINDOW_SECONDS
    assert isinstance(throttle.begin("victim", "a"), Attempt)
    assert isinstance(throttle.begin("victim", "a"), Attempt)
