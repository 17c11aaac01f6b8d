"""Placement of model instances on workers: filters → candidate selectors → scorers.

Pure and synchronous: the server adapts database rows into the frozen views below, calls
a `ClusterSnapshot` and calls `place_replicas` (scheduler loop, `/v2/model-evaluations`),
then stores the placements.
"""

from gpustack.server.scheduler.byte_units import format_bytes
from gpustack.server.scheduler.inputs import (
    GpuSelector,
    GpuView,
    InstanceClaim,
    PlacementSpec,
    WorkerView,
)
from gpustack.server.scheduler.placer import place_instance, place_replicas
from gpustack.server.scheduler.results import Placement, ReplicaPlan, ScheduleResult, WorkerShare
from gpustack.server.scheduler.snapshot import ClusterSnapshot

__all__ = [
    "ClusterSnapshot",
    "GpuSelector",
    "GpuView",
    "InstanceClaim",
    "Placement",
    "PlacementSpec",
    "ReplicaPlan",
    "ScheduleResult",
    "WorkerShare",
    "WorkerView",
    "format_bytes",
    "place_instance",
    "place_replicas",
]
