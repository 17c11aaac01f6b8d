"""Probes: liveness, readiness (database reachable) and version."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from gpustack import __version__
from gpustack.server.dependencies import Ctx
from gpustack.server.errors import ApiError

router = APIRouter(tags=["probes"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(ctx: Ctx) -> dict[str, str]:
    try:
        async with ctx.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready", with the reason
        raise ApiError(503, f"database not reachable: {exc}") from exc
    return {"status": "ready"}


@router.get("/version")
async def version() -> dict[str, str]:
    return {"version": __version__}
