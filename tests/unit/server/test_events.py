"""The event bus hands one change to every watcher, encoded for the wire once."""

from __future__ import annotations

import asyncio
import json

from gpustack.schemas.events import EventType, ResourceKind
from gpustack.server.events import Event, EventBus


async def test_every_watcher_gets_the_change_encoded_once() -> None:
    bus = EventBus()
    streams = [bus.subscribe(ResourceKind.WORKERS) for _ in range(50)]
    pending = [asyncio.ensure_future(anext(s)) for s in streams]
    await asyncio.sleep(0)  # every stream subscribed
    status = {"gpu_devices": [{"index": i, "name": "A100"} for i in range(8)]}
    bus.publish(Event(ResourceKind.WORKERS, EventType.UPDATED, 7, {"id": 7, "status": status}))
    received = await asyncio.gather(*pending)
    wires = [event.wire_json for event in received]
    assert json.loads(wires[0]) == {"type": "UPDATED", "data": {"id": 7, "status": status}}
    # 50 UI clients following workers must not cost 50 encodings of each status report.
    assert all(wire is wires[0] for wire in wires)
    for stream in streams:
        await stream.aclose()
