"""The database side of the request log: bodies as text, cut to size, and the pruning."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.common import utcnow
from gpustack.schemas.request_logs import RequestLog
from gpustack.server.gateway.request_log import RequestLogEntry

_TEXT_TYPES = ("application/json", "text/", "application/x-ndjson")


def _is_text(content_type: str) -> bool:
    return content_type.startswith(_TEXT_TYPES)


def cut(text: str, limit: int) -> tuple[str, bool]:
    """At most `limit` UTF-8 bytes of `text` (never half a character); True when cut."""
    data = text.encode()
    if len(data) <= limit:
        return text, False
    return data[:limit].decode(errors="ignore"), True


def assembled_stream_text(body: bytes) -> str:
    """The generated text of a server-sent-event answer: the deltas of every event joined
    (chat and text completions, Anthropic Messages, OpenAI Responses)."""
    parts: list[str] = []
    for line in body.decode(errors="replace").splitlines():
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if not payload or payload == "[DONE]":
            continue
        try:
            doc = json.loads(payload)
        except ValueError:
            continue
        if isinstance(doc, dict):
            parts.extend(_deltas(doc))
    return "".join(parts)


def _deltas(doc: dict[str, object]) -> list[str]:
    found: list[str] = []
    for choice in doc.get("choices") or ():  # type: ignore[attr-defined]
        if not isinstance(choice, dict):
            continue
        delta = choice.get("delta")
        text = delta.get("content") if isinstance(delta, dict) else choice.get("text")
        if isinstance(text, str):
            found.append(text)
    delta = doc.get("delta")
    if isinstance(delta, str):  # Responses: response.output_text.delta
        found.append(delta)
    elif isinstance(delta, dict) and isinstance(delta.get("text"), str):  # Anthropic
        found.append(delta["text"])
    return found


def request_text(entry: RequestLogEntry) -> str:
    if _is_text(entry.request_content_type) or not entry.request_content_type:
        return entry.request_body.decode(errors="replace")
    return f"[{entry.request_content_type.split(';')[0]}, {entry.request_size} bytes]"


def response_text(entry: RequestLogEntry) -> str:
    kind = entry.response_content_type
    if kind.startswith("text/event-stream"):
        return assembled_stream_text(entry.response_body)
    if _is_text(kind) or not kind:
        return entry.response_body.decode(errors="replace")
    return f"[{kind.split(';')[0]}, {len(entry.response_body)} bytes]"


def to_row(entry: RequestLogEntry, max_body: int) -> RequestLog:
    request, request_cut = cut(request_text(entry), max_body)
    response, response_cut = cut(response_text(entry), max_body)
    truncated = request_cut or response_cut or entry.request_size > len(entry.request_body)
    return RequestLog(
        created_at=datetime.fromtimestamp(entry.timestamp, UTC).replace(tzinfo=None),
        user_id=entry.user_id,
        api_key_id=entry.api_key_id,
        model_id=entry.model_id,
        model_name=entry.model_name,
        operation=entry.operation,
        status_code=entry.status_code,
        stream=entry.stream,
        duration_ms=entry.duration_ms,
        request_body=request,
        response_body=response,
        truncated=truncated or not entry.captured_all,
        size=len(request.encode()) + len(response.encode()),
    )


class DatabaseRequestLogSink:
    """Writes one batch per transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], max_body: int) -> None:
        self._sessions = sessions
        self._max_body = max_body

    async def write(self, entries: Sequence[RequestLogEntry]) -> None:
        rows = [to_row(e, self._max_body) for e in entries]
        async with self._sessions() as session:
            session.add_all(rows)
            await session.commit()


async def prune_request_logs(
    sessions: async_sessionmaker[AsyncSession], retention_days: int, max_total_bytes: int
) -> None:
    """Drop rows older than the retention, then the oldest until the rest fit the size cap."""
    async with sessions() as session:
        cutoff = utcnow() - timedelta(days=retention_days)
        await session.exec(delete(RequestLog).where(col(RequestLog.created_at) < cutoff))
        running = (
            func.sum(col(RequestLog.size)).over(order_by=col(RequestLog.id).desc()).label("running")
        )
        sizes = select(col(RequestLog.id).label("id"), running).subquery()
        newest_over = (
            await session.exec(
                select(sizes.c.id)
                .where(sizes.c.running > max_total_bytes)
                .order_by(sizes.c.id.desc())
                .limit(1)
            )
        ).first()
        if newest_over is not None:
            await session.exec(delete(RequestLog).where(col(RequestLog.id) <= newest_over))
        await session.commit()
