"""Per-request usage records, written in batches off the request path."""

from __future__ import annotations

import asyncio
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
    counted (`dropped`). `stop` writes everything still queued.
    """

    def __init__(
        self,
        sink: UsageSink,
        *,
        batch_size: int = 200,
        flush_interval_s: float = 1.0,
        queue_size: int = 100_000,
        stop_timeout_s: float = 10.0,
    ) -> None:
        self._sink = sink
        self._batch_size = batch_size
        self._interval = flush_interval_s
        self._stop_timeout = stop_timeout_s
        # None is the stop signal: the drain task ends on it instead of being cancelled, so
        # nothing taken from the queue is lost.
        self._queue: asyncio.Queue[UsageRecord | None] = asyncio.Queue(queue_size)
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0

    def record(self, record: UsageRecord) -> None:
        try:
            self._queue.put_nowait(record)
        except asyncio.QueueFull:
            self.dropped += 1

    async def start(self) -> None:
        self._task = asyncio.create_task(self._drain(), name="gateway-usage")

    async def stop(self) -> None:
        if self._task is None:
            return
        task, self._task = self._task, None
        await self._queue.put(None)
        try:
            await asyncio.wait_for(task, self._stop_timeout)
        except TimeoutError:
            logger.warning("usage store too slow at shutdown; %d records lost", self._queue.qsize())

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                return
            batch = [first]
            deadline = loop.time() + self._interval
            while len(batch) < self._batch_size:
                timeout = deadline - loop.time()
                if timeout <= 0:
                    break
                try:
                    item = await asyncio.wait_for(self._queue.get(), timeout)
                except TimeoutError:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            await self._write(batch)

    async def _write(self, batch: list[UsageRecord]) -> None:
        try:
            await self._sink.write(batch)
        except Exception:
            # Usage is bookkeeping: a failing store must never break inference.
            logger.exception("writing %d usage records failed; dropped", len(batch))
            self.dropped += len(batch)
