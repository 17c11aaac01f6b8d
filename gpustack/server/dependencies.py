"""FastAPI dependencies: the server context, a DB session, and who may call what."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.server.context import ServerContext
from gpustack.server.errors import ApiError
from gpustack.server.security.principal import Principal


async def get_ctx(request: Request) -> ServerContext:
    ctx: ServerContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ServerContext, Depends(get_ctx)]


async def get_session(ctx: Ctx) -> AsyncIterator[AsyncSession]:
    async with ctx.sessions() as session:
        yield session


Session = Annotated[AsyncSession, Depends(get_session)]


async def get_principal(request: Request) -> Principal:
    # No sub-dependencies: every /v2 request resolves this, and each dependency costs.
    ctx: ServerContext = request.app.state.ctx
    principal = await ctx.authenticator.authenticate(request.headers)
    if principal is None:
        raise ApiError(
            401, "missing, invalid or expired credentials", {"WWW-Authenticate": "Bearer"}
        )
    return principal


# What a session may still do while its generated password waits to be changed.
_BEFORE_PASSWORD_CHANGE = frozenset({"/v2/users/me", "/auth/update-password"})


async def require_user(request: Request) -> Principal:
    """A person (session or API key with management scope); workers are refused."""
    principal = await get_principal(request)
    return _person(request, principal)


def _person(request: Request, principal: Principal) -> Principal:
    if principal.must_change_password and request.url.path not in _BEFORE_PASSWORD_CHANGE:
        raise ApiError(403, "change your password first: POST /auth/update-password")
    if principal.worker_id is not None:
        raise ApiError(403, "worker tokens may only call worker endpoints")
    if not principal.may_manage:
        raise ApiError(403, "this API key is limited to inference; /v2 needs scope * or management")
    return principal


async def require_admin(principal: Annotated[Principal, Depends(require_user)]) -> Principal:
    if not principal.is_admin:
        raise ApiError(403, "administrator role required")
    return principal


async def require_worker(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if principal.worker_id is None:
        raise ApiError(403, "only a registered worker may call this endpoint")
    return principal


async def require_worker_or_admin(
    principal: Annotated[Principal, Depends(get_principal)],
) -> Principal:
    if principal.worker_id is None and not (principal.is_admin and principal.may_manage):
        raise ApiError(403, "only a worker or an administrator may call this endpoint")
    return principal


async def require_reader(
    request: Request, principal: Annotated[Principal, Depends(get_principal)]
) -> Principal:
    """A person who may read /v2, or a worker (it reads the models it runs)."""
    if principal.worker_id is not None:
        return principal
    return _person(request, principal)


UserPrincipal = Annotated[Principal, Depends(require_user)]
AdminPrincipal = Annotated[Principal, Depends(require_admin)]
WorkerPrincipal = Annotated[Principal, Depends(require_worker)]
ReaderPrincipal = Annotated[Principal, Depends(require_reader)]
WorkerOrAdmin = Annotated[Principal, Depends(require_worker_or_admin)]
