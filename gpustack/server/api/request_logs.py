"""/v2/request-logs: stored bodies of inference calls (administrators only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import ColumnElement
from sqlmodel import col

from gpustack.schemas.common import NO_NUL_PATTERN
from gpustack.schemas.request_logs import RequestLog, RequestLogPublic
from gpustack.server.api.responses import AUTHENTICATED, listing
from gpustack.server.dependencies import AdminPrincipal, Session
from gpustack.server.listing import ListParams, list_params, paginate
from gpustack.server.services.time_filters import time_range

router = APIRouter(prefix="/v2/request-logs", tags=["request-logs"], responses=AUTHENTICATED)


def public(row: RequestLog) -> RequestLogPublic:
    return RequestLogPublic.model_validate(row, from_attributes=True)


@router.get("", responses=listing(RequestLogPublic, watch=False))
async def list_request_logs(
    _: AdminPrincipal,
    session: Session,
    params: ListParams = Depends(list_params),
    model: str | None = Query(None, max_length=128, pattern=NO_NUL_PATTERN, description="name"),
    model_id: int | None = Query(None, ge=1, le=2**31 - 1),
    api_key_id: int | None = Query(None, ge=1, le=2**31 - 1),
    time_from: datetime | None = Query(None, description="at or after (ISO 8601)"),
    time_to: datetime | None = Query(None, description="before (ISO 8601)"),
) -> Any:
    where: list[ColumnElement[bool]] = []
    if model:
        where.append(col(RequestLog.model_name) == model)
    if model_id is not None:
        where.append(col(RequestLog.model_id) == model_id)
    if api_key_id is not None:
        where.append(col(RequestLog.api_key_id) == api_key_id)
    where += time_range(col(RequestLog.created_at), time_from, time_to)
    return await paginate(session, RequestLog, params, public, ("model_name",), where)
