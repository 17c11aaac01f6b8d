"""Usage records: one per request, with tokens and time to first token, written in batches."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import httpx

from gpustack.server.gateway import UsageRecord, UsageRecorder

from .conftest import KEY, Harness, MemorySink

AUTH = {"Authorization": f"Bearer {KEY}"}
MESSAGES = [{"role": "user", "content": "hi"}]


async def test_stream_record_has_tokens_and_ttft(gw: Harness) -> None:
    gw.upstream.chunks, gw.upstream.delay_s, gw.upstream.chunk_interval_s = 3, 0.05, 0.05
    body = {"model": "chat", "stream": True, "messages": MESSAGES}
    async with httpx.AsyncClient() as client:
        await client.post(gw.v1 + "/chat/completions", json=body, headers=AUTH)
    await asyncio.wait_for(gw.sink.arrived.wait(), 2)
    record = gw.sink.records[-1]
    assert (record.user_id, record.api_key_id, record.model_id) == (1, 10, 1)
    assert (record.model_name, record.operation, record.status_code) == (
        "chat",
        "chat.completions",
        200,
    )
    assert record.stream and record.instance_id == 1
    assert (record.prompt_tokens, record.completion_tokens, record.total_tokens) == (7, 3, 10)
    assert record.ttft_ms is not None and 40 <= record.ttft_ms < record.duration_ms


async def test_embeddings_and_failed_requests_are_recorded(gw: Harness) -> None:
    async with httpx.AsyncClient() as client:
        await client.post(
            gw.v1 + "/embeddings", json={"model": "embed", "input": "x"}, headers=AUTH
        )
        await client.post(
            gw.v1 + "/chat/completions", json={"model": "idle", "messages": []}, headers=AUTH
        )
    await asyncio.sleep(0.2)  # two flush intervals
    embed, idle = gw.sink.records
    assert embed.operation == "embeddings" and embed.total_tokens == 2 and embed.ttft_ms is None
    assert idle.status_code == 503 and idle.model_name == "idle"


async def test_recorder_flushes_by_size_and_on_stop() -> None:
    sink = MemorySink()
    recorder = UsageRecorder(sink, batch_size=3, flush_interval_s=30)
    await recorder.start()
    for i in range(4):
        recorder.record(_record(i))
    await asyncio.sleep(0.05)
    assert sink.batches == [3, 1]  # a full batch wakes the writer, which takes all there is
    recorder.record(_record(4))
    await asyncio.sleep(0.05)
    assert sink.batches == [3, 1]  # one record waits for the interval...
    await recorder.stop()
    assert sink.batches == [3, 1, 1]  # ...or for shutdown
    assert [r.user_id for r in sink.records] == list(range(5))


async def test_failing_store_drops_records_without_raising() -> None:
    class Broken:
        async def write(self, records: Sequence[UsageRecord]) -> None:
            raise RuntimeError("database is locked")

    recorder = UsageRecorder(Broken(), batch_size=1, flush_interval_s=0.01)
    await recorder.start()
    recorder.record(_record(1))
    await asyncio.sleep(0.05)
    await recorder.stop()
    assert recorder.dropped == 1


def _record(user_id: int) -> UsageRecord:
    return UsageRecord(
        timestamp=0.0,
        user_id=user_id,
        api_key_id=None,
        model_id=1,
        model_name="m",
        operation="embeddings",
        instance_id=1,
        status_code=200,
        stream=False,
        prompt_tokens=1,
        completion_tokens=0,
        total_tokens=1,
        duration_ms=1.0,
        ttft_ms=None,
    )
