"""List endpoints: pagination, search, sort and `watch=true` event streams, shared by resources."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, or_
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar
from sse_starlette.sse import EventSourceResponse

from gpustack.schemas.common import NO_NUL_PATTERN
from gpustack.schemas.events import ResourceKind
from gpustack.server.errors import ApiError
from gpustack.server.events import Event, EventBus

MAX_PER_PAGE = 1000


@dataclass(frozen=True, slots=True)
class ListParams:
    page: int
    per_page: int
    search: str
    sort_by: str
    watch: bool


async def list_params(
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(100, alias="perPage", ge=1, le=MAX_PER_PAGE),
    search: str = Query("", max_length=256, pattern=NO_NUL_PATTERN),
    sort_by: str = Query("-created_at", max_length=64),
    watch: bool = Query(False),
) -> ListParams:
    return ListParams(page, per_page, search, sort_by, watch)


async def paginate(
    session: AsyncSession,
    table: type[SQLModel],
    params: ListParams,
    to_public: Callable[[Any], BaseModel],
    search_columns: Sequence[str] = ("name",),
    where: Sequence[ColumnElement[bool]] = (),
) -> dict[str, Any]:
    """One page of rows as `{"items", "pagination"}`; unknown sort fields are a 400."""
    query: SelectOfScalar[Any] = select(table)
    for clause in where:
        query = query.where(clause)
    if params.search:
        pattern = f"%{params.search}%"
        query = query.where(or_(*(getattr(table, c).ilike(pattern) for c in search_columns)))
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    field = params.sort_by.lstrip("-")
    column = _column(table, field)
    if column is None:
        raise ApiError(400, f"cannot sort by {field!r}: not a field of this resource")
    order = column.desc() if params.sort_by.startswith("-") else column.asc()
    tiebreak = _column(table, "id")
    query = query.order_by(order, tiebreak.desc() if params.sort_by.startswith("-") else tiebreak)
    query = query.offset((params.page - 1) * params.per_page).limit(params.per_page)
    rows = (await session.exec(query)).all()
    return {
        "items": [to_public(row).model_dump(mode="json") for row in rows],
        "pagination": {
            "page": params.page,
            "perPage": params.per_page,
            "total": total,
            "totalPage": max(1, math.ceil(total / params.per_page)),
        },
    }


def _column(table: type[SQLModel], field: str) -> Any:
    """The table's column for a field name, or None when it has no such field."""
    return table.model_fields.get(field) and getattr(table, field, None)


def watch_response(
    bus: EventBus,
    kind: ResourceKind,
    keep: Callable[[Event], bool] = lambda _: True,
    ping_seconds: int = 15,
) -> EventSourceResponse:
    """`text/event-stream` of `{"type", "data"}` for every change of that resource kind."""

    async def events() -> AsyncIterator[dict[str, str]]:
        async for event in bus.subscribe(kind):
            if keep(event):
                yield {"data": event.wire_json}

    return EventSourceResponse(events(), ping=ping_seconds)
