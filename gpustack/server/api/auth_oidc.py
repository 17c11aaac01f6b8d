"""/auth/providers (what the login page offers) and the OIDC sign-in: login and callback.

The callback is a browser navigation, so a failure sends the person back to the login page
with the reason (`/login?sso_error=...`) instead of a JSON error.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

from gpustack.schemas.users import UserSource
from gpustack.server.dependencies import Ctx, Session
from gpustack.server.errors import ApiError
from gpustack.server.security.group_mapping import claim_groups, is_admin
from gpustack.server.security.oidc import (
    PENDING_COOKIE,
    PENDING_SECONDS,
    OidcError,
    OidcProvider,
    decode_pending,
    encode_pending,
    safe_next_path,
    username_from_claims,
)
from gpustack.server.services.external_users import ExternalIdentity, SignInRefusedError, sign_in

from .auth import set_session_cookie

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/auth", tags=["auth"])
CALLBACK_PATH = "/auth/oidc/callback"


class OidcProviderPublic(BaseModel):
    name: str
    login_url: str


class AuthProviders(BaseModel):
    """Ways to sign in besides a local password."""

    oidc: OidcProviderPublic | None
    ldap: bool


@router.get("/providers", response_model=AuthProviders)
async def providers(ctx: Ctx) -> AuthProviders:
    oidc = ctx.oidc
    return AuthProviders(
        oidc=None
        if oidc is None
        else OidcProviderPublic(name=oidc.name, login_url="/auth/oidc/login"),
        ldap=ctx.ldap is not None,
    )


def _redirect_uri(provider: OidcProvider, request: Request) -> str:
    if provider.redirect_uri:
        return provider.redirect_uri
    return str(request.base_url).rstrip("/") + CALLBACK_PATH


def _back_to_login(reason: str) -> RedirectResponse:
    response = RedirectResponse("/login?" + urlencode({"sso_error": reason}), status_code=303)
    response.delete_cookie(PENDING_COOKIE, path="/auth/oidc")
    return response


@router.get("/oidc/login", response_class=RedirectResponse, status_code=303)
async def oidc_login(
    ctx: Ctx, request: Request, next: Annotated[str | None, Query(max_length=2048)] = None
) -> RedirectResponse:
    provider = ctx.oidc
    if provider is None:
        raise ApiError(404, "OIDC sign-in is not configured")
    try:
        url, pending = await provider.authorization_url(
            _redirect_uri(provider, request), safe_next_path(next)
        )
    except OidcError as exc:
        logger.warning("OIDC sign-in cannot start: %s", exc)
        return _back_to_login(str(exc))
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        PENDING_COOKIE,
        encode_pending(ctx.codec.secret, pending),
        max_age=PENDING_SECONDS,
        path="/auth/oidc",
        httponly=True,
        # Lax: the provider's redirect back is a top-level GET, which carries the cookie.
        samesite="lax",
        secure=ctx.config.ssl_certfile is not None,
    )
    return response


@router.get("/oidc/callback", response_class=RedirectResponse, status_code=303)
async def oidc_callback(
    ctx: Ctx,
    session: Session,
    request: Request,
    code: Annotated[str | None, Query(max_length=4096)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
) -> RedirectResponse:
    provider = ctx.oidc
    if provider is None:
        raise ApiError(404, "OIDC sign-in is not configured")
    if error is not None:
        return _back_to_login(f"{provider.name} refused the sign-in ({error})")
    cookie = request.cookies.get(PENDING_COOKIE)
    pending = None if cookie is None else decode_pending(ctx.codec.secret, cookie)
    if pending is None or code is None or state != pending.state:
        return _back_to_login("the sign-in expired or was not started here; try again")
    try:
        claims = await provider.finish(code, pending, _redirect_uri(provider, request))
        groups = claim_groups(claims, provider.groups_claim)
        identity = ExternalIdentity(
            source=UserSource.OIDC,
            external_id=f"{provider.issuer} {claims['sub']}",
            username=username_from_claims(claims, provider.username_claim),
            full_name=str(claims.get("name") or "")[:255],
            is_admin=is_admin(groups, provider.admin_groups) if provider.admin_groups else None,
        )
        user = await sign_in(ctx, session, identity, provider.auto_create)
    except (OidcError, SignInRefusedError) as exc:
        logger.info("OIDC sign-in refused: %s", exc)
        return _back_to_login(str(exc))
    response = RedirectResponse(pending.next_path, status_code=303)
    response.delete_cookie(PENDING_COOKIE, path="/auth/oidc")
    set_session_cookie(response, ctx, user)
    return response
