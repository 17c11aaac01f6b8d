"""Which instance to remove first when scaling down: the least healthy, then the newest."""

from __future__ import annotations

from gpustack.schemas.model_instances import InstanceState, ModelInstance

# Lower rank is removed first.
_HEALTH_RANK = {
    InstanceState.ERROR: 0,
    InstanceState.UNREACHABLE: 1,
    InstanceState.PENDING: 2,
    InstanceState.ANALYZING: 3,
    InstanceState.SCHEDULED: 4,
    InstanceState.INITIALIZING: 5,
    InstanceState.DOWNLOADING: 6,
    InstanceState.INSTALLING: 7,
    InstanceState.STARTING: 8,
    InstanceState.RUNNING: 9,
}


def removal_order(instances: list[ModelInstance]) -> list[ModelInstance]:
    return sorted(
        instances,
        key=lambda i: (_HEALTH_RANK.get(InstanceState(i.state), 0), -(i.id or 0)),
    )
