"""Engine process lifecycle on a worker: ports, logs, launch, health, restart with backoff."""

from gpustack.worker.supervisor.backoff import RestartBackoff
from gpustack.worker.supervisor.health import HealthCheck, health_url
from gpustack.worker.supervisor.instance import EngineState, StateCallback
from gpustack.worker.supervisor.logs import InstanceLogs, follow, tail
from gpustack.worker.supervisor.ports import NoFreePortError, PortAllocator, PortTakenError
from gpustack.worker.supervisor.process import EngineProcess, build_env
from gpustack.worker.supervisor.settings import SupervisorSettings
from gpustack.worker.supervisor.supervisor import (
    AlreadySupervisedError,
    InstanceStatus,
    Supervisor,
)

__all__ = [
    "AlreadySupervisedError",
    "EngineProcess",
    "EngineState",
    "HealthCheck",
    "InstanceLogs",
    "InstanceStatus",
    "NoFreePortError",
    "PortAllocator",
    "PortTakenError",
    "RestartBackoff",
    "StateCallback",
    "Supervisor",
    "SupervisorSettings",
    "build_env",
    "follow",
    "health_url",
    "tail",
]
