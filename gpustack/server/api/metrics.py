"""`/metrics` for Prometheus: open to loopback callers, else a metrics token or an admin.

It names models and shows their traffic, so it is not for anyone who can reach the port.
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request, Response

from gpustack.server.cluster_metrics import render_cluster_state
from gpustack.server.context import ServerContext
from gpustack.server.errors import ApiError

router = APIRouter()


def _from_loopback(request: Request) -> bool:
    if request.client is None:
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


def _has_metrics_token(request: Request, token: str | None) -> bool:
    if not token:
        return False
    sent = request.headers.get("authorization", "")
    return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


_WHO_MAY_READ = (
    "metrics need a loopback caller, 'Authorization: Bearer <metrics token>' "
    "(gpustack start --metrics-token) or an administrator's credentials"
)


async def _refusal(request: Request, ctx: ServerContext) -> ApiError | None:
    """None when the caller may read; else 401 without a valid credential, 403 with one."""
    if _from_loopback(request) or _has_metrics_token(request, ctx.config.metrics_token):
        return None
    principal = await ctx.authenticator.authenticate(request.headers)
    if principal is None:
        return ApiError(401, _WHO_MAY_READ, {"WWW-Authenticate": "Bearer"})
    if not (principal.is_admin and principal.may_manage):
        return ApiError(403, _WHO_MAY_READ)
    return None


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    ctx: ServerContext = request.app.state.ctx
    refusal = await _refusal(request, ctx)
    if refusal is not None:
        raise refusal
    gateway = ctx.gateway
    body = gateway.metrics.render() + await render_cluster_state(ctx)
    return Response(body, media_type=gateway.metrics.content_type)
