"""Per-request usage records, written in batches off the request path."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One request through the gateway."""

    timestamp: float  # wall clock, seconds since the epoch, when the request arrived
    user_id: int
    api_key_id: int | None
    model_id: int | None
    model_name: str
    operation: str  # e.g. "chat.completions", "embeddings", "rerank"
    instance_id: int | None
    status_code: int
    stream: bool
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    duration_ms: float
    ttft_ms: float | None  # streams only: until the first generated token


class UsageSink(Protocol):
    """Where batches of records go (the server persists them)."""

    async def write(self, records: Sequence[UsageRecord]) -> None: ...


class UsageRecorder:
    """Queues records and hands them to the sink every `flush_interval_s` or `batch_size`.

    `record` never blocks the request: when the queue is full the record is dropped and
    counted (`dropped`).
    """

    def __init__(
        self,
        sink: UsageSink,
        *,
        batch_size: int = 200,
        flush_interval_s: float = 1.0,
        queue_size: int = 100_000,
    ) -> None:
        self._sink = sink
        self._batch_size = batch_size
        self._interval = flush_interval_s
        self._queue: asyncio.Queue[UsageRecord] = asyncio.Queue(queue_size)
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0

    def record(self, record: UsageRecord) -> None:
        try:
            self._queue.put_nowait(record)
        except asyncio.QueueFull:
            self.dropped += 1

    async def start(self) -> None:
        self._task = asyncio.create_task(self._drain_forever(), name="gateway-usage")

    async def stop(self) -> None:
        """Stop the drain task and write what is still queued."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while not self._queue.empty():
            await self._write(self._take(self._batch_size))

    async def _drain_forever(self) -> None:
        loop = asyncio.get_running_loop()
        batch: list[UsageRecord] = []
        try:
            while True:
                batch.append(await self._queue.get())
                deadline = loop.time() + self._interval
                while len(batch) < self._batch_size:
                    timeout = deadline - loop.time()
                    if timeout <= 0:
                        break
                    try:
                        batch.append(await asyncio.wait_for(self._queue.get(), timeout))
                    except TimeoutError:
                        break
                batch.extend(self._take(self._batch_size - len(batch)))
                written, batch = batch, []
                # A write under way finishes even when stop() cancels this task.
                await asyncio.shield(self._write(written))
        finally:
            # Cancelled by stop(): hand what was taken but not written back to the queue.
            for record in batch:
                self.record(record)

    def _take(self, limit: int) -> list[UsageRecord]:
        batch: list[UsageRecord] = []
        while len(batch) < limit and not self._queue.empty():
            batch.append(self._queue.get_nowait())
        return batch

    async def _write(self, batch: list[UsageRecord]) -> None:
        if not batch:
            return
        try:
            await self._sink.write(batch)
        except Exception:
            # Usage is bookkeeping: a failing store must never break inference.
            logger.exception("writing %d usage records failed; dropped", len(batch))
            self.dropped += len(batch)
