"""Users from OIDC and LDAP: linking, pre-created users, no takeover of local accounts."""

from __future__ import annotations

import httpx
import pytest

from gpustack.schemas.users import UserSource
from gpustack.server.context import ServerContext
from gpustack.server.services.external_users import (
    ExternalIdentity,
    SignInRefusedError,
    sign_in,
)


def oidc(sub: str, username: str, is_admin: bool | None = None) -> ExternalIdentity:
    return ExternalIdentity(UserSource.OIDC, f"https://id.example {sub}", username, "", is_admin)


async def test_first_sign_in_creates_the_user_and_later_ones_find_it_by_identity(
    server: tuple[httpx.AsyncClient, ServerContext],
) -> None:
    _, ctx = server
    async with ctx.sessions() as session:
        first = await sign_in(ctx, session, oidc("1", "carol", True), auto_create=True)
    async with ctx.sessions() as session:
        # The provider may rename the person: the subject still finds the same user.
        again = await sign_in(ctx, session, oidc("1", "carol2", False), auto_create=True)
    assert (again.id, again.username, again.source) == (first.id, "carol", "oidc")
    assert first.is_admin and not again.is_admin


async def test_a_local_account_is_never_taken_over_by_an_external_identity(
    server: tuple[httpx.AsyncClient, ServerContext],
) -> None:
    _, ctx = server
    async with ctx.sessions() as session:
        with pytest.raises(SignInRefusedError, match="taken"):
            await sign_in(ctx, session, oidc("9", "admin", True), auto_create=True)


async def test_without_auto_create_only_pre_created_users_sign_in(
    server: tuple[httpx.AsyncClient, ServerContext],
) -> None:
    client, ctx = server
    async with ctx.sessions() as session:
        with pytest.raises(SignInRefusedError, match="no user"):
            await sign_in(ctx, session, oidc("2", "erin"), auto_create=False)
    await client.post("/auth/login", data={"username": "admin", "password": "Admin-pass-123"})
    made = await client.post("/v2/users", json={"username": "erin", "source": "oidc"})
    assert made.status_code == 201, made.text
    # A pre-created external user has no password to log in with, nor one to be given.
    with_password = {"username": "x", "source": "ldap", "password": "Pass-word-1"}
    assert (await client.post("/v2/users", json=with_password)).status_code == 400
    put = await client.put(f"/v2/users/{made.json()['id']}", json={"password": "Pass-word-1"})
    assert put.status_code == 400
    async with ctx.sessions() as session:
        erin = await sign_in(ctx, session, oidc("2", "erin"), auto_create=False)
    assert erin.id == made.json()["id"] and erin.external_id == "https://id.example 2"
    # Once linked, another subject with the same name does not get the account.
    async with ctx.sessions() as session:
        with pytest.raises(SignInRefusedError, match="taken"):
            await sign_in(ctx, session, oidc("3", "erin"), auto_create=False)


async def test_external_users_cannot_log_in_with_the_password_form(
    server: tuple[httpx.AsyncClient, ServerContext],
) -> None:
    client, ctx = server
    async with ctx.sessions() as session:
        await sign_in(ctx, session, oidc("4", "frank"), auto_create=True)
    for password in ("!external", "anything-1"):
        res = await client.post("/auth/login", data={"username": "frank", "password": password})
        assert res.status_code == 401
