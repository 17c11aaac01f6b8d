"""Per-request usage records, written in batches off the request path."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from gpustack.server.background import BackgroundLoop

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
    """Buffers records and hands them to the sink every `flush_interval_s` or `batch_size`.

    `record` never blocks nor wakes anything per request (a list append): the drain task
    wakes once per interval, or early when a batch is full. When the buffer holds
    `queue_size` records new ones are dropped and counted (`dropped`). `stop` writes
    everything still buffered.
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
        self._capacity = queue_size
        self._stop_timeout = stop_timeout_s
        self._buffer: list[UsageRecord] = []
        self._batch_ready = asyncio.Event()
        self._stopping = False
        self._background = BackgroundLoop("gateway-usage", self._drain)
        self.dropped = 0

    def record(self, record: UsageRecord) -> None:
        buffer = self._buffer
        if len(buffer) >= self._capacity:
            self.dropped += 1
            return
        buffer.append(record)
        if len(buffer) == self._batch_size:
            self._batch_ready.set()

    async def start(self) -> None:
        self._stopping = False
        self._background.start()

    async def stop(self) -> None:
        if not self._background.running:
            return
        # The drain task is told to finish rather than cancelled, so a write under way
        # completes and nothing already taken from the buffer is lost.
        self._stopping = True
        self._batch_ready.set()
        if not await self._background.stop(grace_s=self._stop_timeout):
            logger.warning("usage store too slow at shutdown; %d records lost", len(self._buffer))

    async def _drain(self) -> None:
        while not self._stopping:
            try:
                async with asyncio.timeout(self._interval):
                    await self._batch_ready.wait()
            except TimeoutError:
                pass
            self._batch_ready.clear()
            await self._flush()
        await self._flush()

    async def _flush(self) -> None:
        while self._buffer:
            batch = self._buffer[: self._batch_size]
            del self._buffer[: self._batch_size]
            await self._write(batch)

    async def _write(self, batch: list[UsageRecord]) -> None:
        try:
            await self._sink.write(batch)
        except Exception:
            # Usage is bookkeeping: a failing store must never break inference.
            logger.exception("writing %d usage records failed; dropped", len(batch))
            self.dropped += len(batch)
