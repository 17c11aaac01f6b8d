"""The database side of usage: a UsageSink that stores rows and keeps the daily rollup."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.usage import UsageDaily, UsageRecordRow

from .usage import UsageRecord

_SUMS = ("request_count", "error_count", "prompt_tokens", "completion_tokens", "total_tokens")
_KEY = ("day", "user_id", "api_key_id", "model_id", "operation")


class DatabaseUsageSink:
    """Writes one batch per transaction: the rows, then one upsert per rollup key."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def write(self, records: Sequence[UsageRecord]) -> None:
        if not records:
            return
        rows = [_row(r) for r in records]
        sums = _daily_sums(rows)
        async with self._sessions() as session:
            session.add_all(rows)
            dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            table = SQLModel.metadata.tables[UsageDaily.__tablename__]
            for values in sums.values():
                stmt = insert(table).values(**values)
                stmt = stmt.on_conflict_do_update(
                    index_elements=list(_KEY),
                    set_={name: getattr(table.c, name) + stmt.excluded[name] for name in _SUMS},
                )
                await session.exec(stmt)
            await session.commit()


def _row(record: UsageRecord) -> UsageRecordRow:
    created = datetime.fromtimestamp(record.timestamp, UTC).replace(tzinfo=None)
    return UsageRecordRow(
        created_at=created,
        user_id=record.user_id,
        api_key_id=record.api_key_id,
        model_id=record.model_id,
        model_name=record.model_name,
        operation=record.operation,
        instance_id=record.instance_id,
        status_code=record.status_code,
        stream=record.stream,
        prompt_tokens=record.prompt_tokens,
        completion_tokens=record.completion_tokens,
        total_tokens=record.total_tokens,
        duration_ms=record.duration_ms,
        ttft_ms=record.ttft_ms,
    )


def _daily_sums(rows: Sequence[UsageRecordRow]) -> dict[tuple[Any, ...], dict[str, Any]]:
    sums: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        values = {
            "day": row.created_at.date(),
            "user_id": row.user_id,
            "api_key_id": row.api_key_id or 0,
            "model_id": row.model_id or 0,
            "operation": row.operation,
        }
        key = tuple(values[k] for k in _KEY)
        entry = sums.get(key)
        if entry is None:
            entry = sums[key] = {**values, "model_name": row.model_name}
            entry.update(dict.fromkeys(_SUMS, 0))
        entry["request_count"] += 1
        entry["error_count"] += 1 if row.status_code >= 400 else 0
        entry["prompt_tokens"] += row.prompt_tokens
        entry["completion_tokens"] += row.completion_tokens
        entry["total_tokens"] += row.total_tokens
    return sums
