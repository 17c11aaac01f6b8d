"""/v2/usage: token and request counts per day, grouped by model, user or API key; CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.api_keys import ApiKey
from gpustack.schemas.common import utcnow
from gpustack.schemas.usage import UsageDaily
from gpustack.schemas.users import User
from gpustack.server.api.responses import AUTHENTICATED
from gpustack.server.dependencies import Session, UserPrincipal
from gpustack.server.errors import ApiError
from gpustack.server.security.principal import Principal

router = APIRouter(prefix="/v2/usage", tags=["usage"], responses=AUTHENTICATED)
MAX_DAYS = 366
CSV_FIELDS = (
    "date",
    "model_name",
    "username",
    "api_key_name",
    "requests",
    "errors",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
)


class GroupBy(StrEnum):
    MODEL = "model"
    USER = "user"
    API_KEY = "api_key"


async def usage_rows(
    session: AsyncSession,
    principal: Principal,
    start: date,
    end: date,
    group_by: GroupBy,
) -> list[dict[str, Any]]:
    """Daily sums in [start, end]; a user sees only their own usage, an admin everyone's."""
    group_column: Any = {
        GroupBy.MODEL: col(UsageDaily.model_name),
        GroupBy.USER: col(UsageDaily.user_id),
        GroupBy.API_KEY: col(UsageDaily.api_key_id),
    }[group_by]
    query = (
        sa_select(
            col(UsageDaily.day),
            group_column,
            func.sum(UsageDaily.request_count),
            func.sum(UsageDaily.error_count),
            func.sum(UsageDaily.prompt_tokens),
            func.sum(UsageDaily.completion_tokens),
            func.sum(UsageDaily.total_tokens),
        )
        .where(col(UsageDaily.day) >= start, col(UsageDaily.day) <= end)
        .group_by(col(UsageDaily.day), group_column)
        .order_by(col(UsageDaily.day))
    )
    if not principal.is_admin:
        query = query.where(col(UsageDaily.user_id) == principal.user_id)
    rows = (await session.execute(query)).all()
    usernames = dict((await session.exec(select(User.id, User.username))).all())
    key_names = dict((await session.exec(select(ApiKey.id, ApiKey.name))).all())
    items = []
    for day, group, requests, errors, prompt, completion, total in rows:
        item: dict[str, Any] = {"date": day.isoformat()}
        if group_by is GroupBy.MODEL:
            item["model_name"] = group
        elif group_by is GroupBy.USER:
            item["username"] = usernames.get(group, f"deleted user {group}")
        else:
            item["api_key_name"] = key_names.get(group, "(session)" if group == 0 else "(deleted)")
        item |= {
            "requests": requests,
            "errors": errors,
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": total,
        }
        items.append(item)
    return items


@router.get("", responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def get_usage(
    principal: UserPrincipal,
    session: Session,
    start_date: date | None = Query(None),
    end_date: date | None = Query(None),
    group_by: GroupBy = Query(GroupBy.MODEL),
    format: str = Query("json", pattern="^(json|csv)$"),
) -> Any:
    end = end_date or utcnow().date()
    start = start_date or end - timedelta(days=29)
    if start > end:
        raise ApiError(400, "start_date must not be after end_date")
    if (end - start).days > MAX_DAYS:
        raise ApiError(400, f"at most {MAX_DAYS} days per query")
    items = await usage_rows(session, principal, start, end, group_by)
    if format == "csv":
        return Response(
            _to_csv(items),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="usage-{start}-{end}.csv"'},
        )
    return {"items": items, "start_date": start.isoformat(), "end_date": end.isoformat()}


def _to_csv(items: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(items)
    return buffer.getvalue()
