"""The database side of usage: a UsageSink that stores rows and keeps the daily rollup."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.sql.dml import Insert
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.usage import UsageDaily, UsageRecordRow

from .usage import UsageRecord

_SUMS = ("request_count", "error_count", "prompt_tokens", "completion_tokens", "total_tokens")
_KEY = ("day", "user_id", "api_key_id", "model_id", "operation")


class DatabaseUsageSink:
    """Writes one batch per transaction: the rows, then the rollup upserts.

    Both are one Core statement run with the batch's parameters (executemany): building ORM
    objects for each row and flushing them cost more of the event loop than the requests
    they describe.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._records: Table = SQLModel.metadata.tables[UsageRecordRow.__tablename__]
        self._daily: Table = SQLModel.metadata.tables[UsageDaily.__tablename__]
        self._upserts: dict[str, Insert] = {}

    async def write(self, records: Sequence[UsageRecord]) -> None:
        if not records:
            return
        rows = [_row(r) for r in records]
        sums = list(_daily_sums(rows).values())
        async with self._sessions() as session:
            connection = await session.connection()
            await connection.execute(insert(self._records), rows)
            await connection.execute(self._upsert(connection.dialect.name), sums)
            await session.commit()

    def _upsert(self, dialect: str) -> Insert:
        """Adds a batch's sums to the day's row of each key (made once per dialect)."""
        stmt = self._upserts.get(dialect)
        if stmt is None:
            table = self._daily
            upsert = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
            stmt = self._upserts[dialect] = upsert.on_conflict_do_update(
                index_elements=list(_KEY),
                set_={name: table.c[name] + upsert.excluded[name] for name in _SUMS},
            )
        return stmt


def _row(record: UsageRecord) -> dict[str, Any]:
    return {
        "created_at": datetime.fromtimestamp(record.timestamp, UTC).replace(tzinfo=None),
        "user_id": record.user_id,
        "api_key_id": record.api_key_id,
        "model_id": record.model_id,
        "model_name": record.model_name,
        "operation": record.operation,
        "instance_id": record.instance_id,
        "status_code": record.status_code,
        "stream": record.stream,
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "total_tokens": record.total_tokens,
        "duration_ms": record.duration_ms,
        "ttft_ms": record.ttft_ms,
    }


def _daily_sums(rows: Sequence[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    sums: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        day = row["created_at"].date()
        key = (day, row["user_id"], row["api_key_id"] or 0, row["model_id"] or 0, row["operation"])
        entry = sums.get(key)
        if entry is None:
            entry = sums[key] = dict(zip(_KEY, key, strict=True))
            entry["model_name"] = row["model_name"]
            entry.update(dict.fromkeys(_SUMS, 0))
        entry["request_count"] += 1
        entry["error_count"] += 1 if row["status_code"] >= 400 else 0
        entry["prompt_tokens"] += row["prompt_tokens"]
        entry["completion_tokens"] += row["completion_tokens"]
        entry["total_tokens"] += row["total_tokens"]
    return sums
