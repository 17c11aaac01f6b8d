"""/v2/audit-logs: the trail of management writes (administrators only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import ColumnElement, or_
from sqlmodel import col

from gpustack.schemas.audit_logs import AuditLog, AuditLogPublic
from gpustack.schemas.common import NO_NUL_PATTERN
from gpustack.server.api.responses import AUTHENTICATED, listing
from gpustack.server.dependencies import AdminPrincipal, Session
from gpustack.server.listing import ListParams, list_params, paginate
from gpustack.server.services.time_filters import time_range

router = APIRouter(prefix="/v2/audit-logs", tags=["audit-logs"], responses=AUTHENTICATED)


def public(row: AuditLog) -> AuditLogPublic:
    return AuditLogPublic.model_validate(row, from_attributes=True)


@router.get("", responses=listing(AuditLogPublic, watch=False))
async def list_audit_logs(
    _: AdminPrincipal,
    session: Session,
    params: ListParams = Depends(list_params),
    actor: str | None = Query(
        None, max_length=64, pattern=NO_NUL_PATTERN, description="user or API key name"
    ),
    actor_id: int | None = Query(None, ge=1, le=2**31 - 1, description="user id"),
    resource_kind: str | None = Query(None, max_length=32, pattern=NO_NUL_PATTERN),
    resource_id: int | None = Query(None, ge=1, le=2**31 - 1),
    time_from: datetime | None = Query(None, description="at or after (ISO 8601)"),
    time_to: datetime | None = Query(None, description="before (ISO 8601)"),
) -> Any:
    where: list[ColumnElement[bool]] = []
    if actor:
        where.append(or_(col(AuditLog.actor_name) == actor, col(AuditLog.api_key_name) == actor))
    if actor_id is not None:
        where.append(col(AuditLog.actor_user_id) == actor_id)
    if resource_kind:
        where.append(col(AuditLog.resource_kind) == resource_kind)
    if resource_id is not None:
        where.append(col(AuditLog.resource_id) == str(resource_id))
    where += time_range(col(AuditLog.created_at), time_from, time_to)
    return await paginate(session, AuditLog, params, public, ("actor_name", "path"), where)
