"""Stand-ins for the server and the supervisor, so reconciler tests run without either."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpustack.engines.base import LaunchSpec
from gpustack.schemas.engine_versions import EngineVersionPublic
from gpustack.schemas.events import EventType
from gpustack.schemas.model_instances import InstanceStatusUpdate, ModelInstancePublic
from gpustack.schemas.models import ModelPublic
from gpustack.schemas.worker_status import WorkerStatus
from gpustack.worker.server_client import InstanceEvent
from gpustack.worker.supervisor import EngineState, InstanceStatus, PortAllocator

WORKER_ID = 1
OTHER_WORKER_ID = 2


def instance(
    instance_id: int = 7, worker_id: int = WORKER_ID, **fields: Any
) -> ModelInstancePublic:
    data: dict[str, Any] = {
        "id": instance_id,
        "name": f"m-{instance_id}",
        "model_id": 3,
        "model_name": "m",
        "worker_id": worker_id,
        "worker_name": "w1",
        "worker_ip": "127.0.0.1",
        "port": None,
        "gpu_indexes": [],
        "computed_resource_claim": {"ram": 0, "vram": {}, "offload_layers": None},
        "state": "scheduled",
        "state_message": "",
        "download_progress": 0.0,
        "restart_count": 0,
        "backend": "llama.cpp",
        "categories": ["llm"],
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-01T00:00:00Z",
    }
    return ModelInstancePublic.model_validate({**data, **fields})


def model(model_id: int = 3, **fields: Any) -> ModelPublic:
    data: dict[str, Any] = {
        "id": model_id,
        "name": "m",
        "source": "local_path",
        "local_path": "/nowhere",
        "state": "pending",
        "state_message": "",
        "ready_replicas": 0,
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-01T00:00:00Z",
    }
    return ModelPublic.model_validate({**data, **fields})


class FakeServer:
    """A ServerClient keeping instances, models and every report it receives."""

    def __init__(self) -> None:
        self.worker_id = WORKER_ID
        self.instances: dict[int, ModelInstancePublic] = {}
        self.models: dict[int, ModelPublic] = {}
        self.engine_versions: dict[tuple[str, str], EngineVersionPublic] = {}
        self.reports: list[tuple[int, InstanceStatusUpdate]] = []
        self.statuses: list[WorkerStatus] = []
        self.watches = 0
        self._events: asyncio.Queue[InstanceEvent | None] = asyncio.Queue()

    async def heartbeat(self) -> None:
        pass

    async def report_status(self, status: WorkerStatus) -> None:
        self.statuses.append(status)

    async def list_instances(self) -> list[ModelInstancePublic]:
        return [i for i in self.instances.values() if i.worker_id == self.worker_id]

    @asynccontextmanager
    async def watch_instances(self) -> AsyncIterator[AsyncIterator[InstanceEvent]]:
        self.watches += 1
        yield self._stream()

    async def _stream(self) -> AsyncIterator[InstanceEvent]:
        while (event := await self._events.get()) is not None:
            yield event

    async def get_model(self, model_id: int) -> ModelPublic:
        return self.models[model_id]

    async def get_engine_version(self, backend: str, version: str) -> EngineVersionPublic | None:
        return self.engine_versions.get((backend, version))

    async def report_instance(self, instance_id: int, update: InstanceStatusUpdate) -> None:
        self.reports.append((instance_id, update))

    def publish(self, kind: EventType, item: ModelInstancePublic) -> None:
        if kind is EventType.DELETED:
            self.instances.pop(item.id, None)
        else:
            self.instances[item.id] = item
        self._events.put_nowait(InstanceEvent(kind, item))

    def break_stream(self) -> None:
        """The watch stream ends as if the connection dropped."""
        self._events.put_nowait(None)

    def states(self, instance_id: int) -> list[str]:
        return [u.state.value for i, u in self.reports if i == instance_id]

    def last(self, instance_id: int) -> InstanceStatusUpdate:
        return [u for i, u in self.reports if i == instance_id][-1]


@dataclass
class FakeSupervisor:
    """Records starts and stops; a started engine reports `starting` then `running`."""

    on_state: Any
    ports: PortAllocator = field(
        default_factory=lambda: PortAllocator(47400, 47463, host="127.0.0.1")
    )
    started: dict[int, LaunchSpec] = field(default_factory=dict)
    stopped: list[int] = field(default_factory=list)
    statuses: dict[int, InstanceStatus] = field(default_factory=dict)

    async def start(
        self,
        instance_id: int,
        spec: LaunchSpec,
        gpu_indexes: Sequence[int],
        port: int | None = None,
        *,
        name: str = "engine",
        restart_on_error: bool | None = None,
    ) -> int:
        assert port is not None
        self.ports.reserve(port, instance_id)
        self.started[instance_id] = spec
        for state in (EngineState.STARTING, EngineState.RUNNING):
            self.statuses[instance_id] = InstanceStatus(state, "", 0, port, 1234)
            await self.on_state(instance_id, state.value, f"{name} {state}", 0, port)
        return port

    async def stop(self, instance_id: int) -> None:
        status = self.statuses.pop(instance_id, None)
        if status is not None:
            self.ports.release(status.port)
            self.stopped.append(instance_id)

    async def stop_all(self) -> None:
        for instance_id in list(self.statuses):
            await self.stop(instance_id)

    def running_ids(self) -> list[int]:
        return list(self.statuses)

    def status_of(self, instance_id: int) -> InstanceStatus | None:
        return self.statuses.get(instance_id)

    def log_path(self, instance_id: int) -> Path:
        return Path("/nonexistent") / f"{instance_id}.log"
