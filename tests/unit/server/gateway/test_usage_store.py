"""Usage rows and the daily rollup land in a migrated database."""

from __future__ import annotations

from sqlmodel import col, select

from gpustack.db.engine import create_engine, session_factory
from gpustack.schemas.usage import UsageDaily, UsageRecordRow
from gpustack.server.gateway.usage import UsageRecord
from gpustack.server.gateway.usage_store import DatabaseUsageSink

DAY = 1_795_000_000.0  # 2026-11-19 UTC


def record(status: int, tokens: int, key: int | None = 10, ts: float = DAY) -> UsageRecord:
    return UsageRecord(
        timestamp=ts,
        user_id=1,
        api_key_id=key,
        model_id=3,
        model_name="chat",
        operation="chat.completions",
        instance_id=7,
        status_code=status,
        stream=True,
        prompt_tokens=tokens,
        completion_tokens=tokens,
        total_tokens=2 * tokens,
        duration_ms=12.5,
        ttft_ms=3.0,
    )


async def test_batches_add_rows_and_accumulate_daily_sums(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    sink = DatabaseUsageSink(sessions)
    await sink.write([record(200, 5), record(500, 0), record(200, 1, key=None)])
    await sink.write([record(200, 10), record(200, 1, ts=DAY + 86400)])
    async with sessions() as session:
        rows = (await session.exec(select(UsageRecordRow))).all()
        daily = (await session.exec(select(UsageDaily).order_by(col(UsageDaily.day)))).all()
    await engine.dispose()
    assert len(rows) == 5 and rows[0].ttft_ms == 3.0
    keyed = [d for d in daily if d.api_key_id == 10]
    first, second = keyed
    assert (first.request_count, first.error_count, first.total_tokens) == (3, 1, 30)
    assert (second.request_count, second.total_tokens) == (1, 2)
    session_row = next(d for d in daily if d.api_key_id == 0)
    assert session_row.request_count == 1


async def test_a_full_batch_lands_whole(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    sink = DatabaseUsageSink(sessions)
    await sink.write([record(200, i) for i in range(1000)])
    async with sessions() as session:
        rows = (await session.exec(select(UsageRecordRow))).all()
        daily = (await session.exec(select(UsageDaily))).all()
    await engine.dispose()
    assert sorted(r.prompt_tokens for r in rows) == list(range(1000))
    assert [(d.request_count, d.prompt_tokens) for d in daily] == [(1000, sum(range(1000)))]
