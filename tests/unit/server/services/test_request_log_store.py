"""Request log rows: streams kept as their text, bodies cut to size, old, excess rows pruned."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from gpustack.schemas.common import utcnow
from gpustack.schemas.request_logs import RequestLog
from gpustack.server.gateway.request_log import RequestLogEntry
from gpustack.server.services.request_log_store import (
    DatabaseRequestLogSink,
    assembled_stream_text,
    prune_request_logs,
    to_row,
)
from tests.support.app_client import running_app


def _entry(**over: object) -> RequestLogEntry:
    values: dict[str, object] = {
        "timestamp": time.time(),  # recent: the app's own pruning keeps it
        "user_id": 1,
        "api_key_id": None,
        "model_id": 2,
        "model_name": "m",
        "operation": "chat.completions",
        "status_code": 200,
        "stream": False,
        "duration_ms": 1.0,
        "request_content_type": "application/json",
        "request_body": b'{"model":"m"}',
        "request_size": 13,
        "response_content_type": "application/json",
        "response_body": b'{"ok":true}',
        "captured_all": True,
    }
    return RequestLogEntry(**(values | over))  # type: ignore[arg-type]


def _sse(*texts: str) -> bytes:
    events = [{"choices": [{"delta": {"content": t}}]} for t in texts]
    return (
        b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + b"data: [DONE]\n\n"
    )


def test_a_stream_is_stored_as_its_assembled_text() -> None:
    assert assembled_stream_text(_sse("Hel", "lo", "!")) == "Hello!"
    row = to_row(
        _entry(
            stream=True, response_content_type="text/event-stream", response_body=_sse("a", "b")
        ),
        1024,
    )
    assert row.response_body == "ab" and not row.truncated


def test_bodies_are_cut_to_the_limit_and_marked() -> None:
    row = to_row(_entry(response_body=b"x" * 5000), 1000)
    assert len(row.response_body) == 1000 and row.truncated
    audio = to_row(_entry(response_content_type="audio/mpeg", response_body=b"\xff" * 10), 1000)
    assert audio.response_body == "[audio/mpeg, 10 bytes]"


async def test_prune_drops_expired_rows_then_oldest_beyond_the_cap(
    database_url: str, tmp_path: Path
) -> None:
    async with running_app(database_url, tmp_path / "data") as (_, ctx):
        await DatabaseRequestLogSink(ctx.sessions, 1024).write(
            [_entry(response_body=b"y" * 400) for _ in range(5)]
        )
        async with ctx.sessions() as session:
            rows = (await session.exec(select(RequestLog))).all()
            for row in rows:
                row.created_at = utcnow()
            rows[0].created_at = utcnow() - timedelta(days=30)
            session.add_all(rows)
            await session.commit()
        await prune_request_logs(ctx.sessions, retention_days=7, max_total_bytes=1000)
        async with ctx.sessions() as session:
            kept = (await session.exec(select(RequestLog).order_by(RequestLog.id))).all()
        # One expired; of the four left (~413 bytes each) only the two newest fit 1000 bytes.
        assert [r.id for r in kept] == [rows[3].id, rows[4].id]
