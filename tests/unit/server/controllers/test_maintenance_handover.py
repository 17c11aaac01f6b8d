"""Instances on a worker in maintenance: kept until replacements run, then drained."""

from __future__ import annotations

from gpustack.schemas.model_instances import InstanceState, ModelInstance
from gpustack.server.controllers.replicas import leaving_to_retire
from gpustack.server.scheduler.pass_runner import ANALYZING_MESSAGE


def _instance(iid: int, state: InstanceState, message: str = "") -> ModelInstance:
    return ModelInstance(
        id=iid, name=f"m-{iid}", model_id=1, model_name="m", state=state.value,
        state_message=message,
    )  # fmt: skip


def _ids(instances: list[ModelInstance]) -> list[int | None]:
    return [i.id for i in instances]


def test_the_old_instance_serves_until_its_replacement_runs() -> None:
    old = [_instance(1, InstanceState.RUNNING)]
    assert leaving_to_retire(old, [_instance(2, InstanceState.PENDING)], target=1) == []
    assert leaving_to_retire(old, [_instance(2, InstanceState.DOWNLOADING)], target=1) == []
    analyzing = _instance(2, InstanceState.PENDING, ANALYZING_MESSAGE)
    assert leaving_to_retire(old, [analyzing], target=1) == []
    assert _ids(leaving_to_retire(old, [_instance(2, InstanceState.RUNNING)], target=1)) == [1]


def test_with_nowhere_to_go_the_old_instances_drain_at_once() -> None:
    old = [_instance(1, InstanceState.RUNNING), _instance(3, InstanceState.RUNNING)]
    no_place = _instance(2, InstanceState.PENDING, "no worker has 8 GiB of free memory")
    assert _ids(leaving_to_retire(old, [no_place], target=2)) == [3, 1]
    assert _ids(leaving_to_retire(old, [], target=2)) == [3, 1]


def test_as_many_are_kept_as_replicas_are_missing_the_healthiest_first() -> None:
    old = [
        _instance(1, InstanceState.RUNNING),
        _instance(3, InstanceState.STARTING),
        _instance(4, InstanceState.RUNNING),
    ]
    new = [_instance(5, InstanceState.RUNNING), _instance(6, InstanceState.STARTING)]
    retired = leaving_to_retire(old, new, target=3)
    assert len(retired) == 1 and retired[0].id == 3  # two still needed: both running ones stay


def test_a_sleeping_or_deleted_deployment_keeps_none() -> None:
    old = [_instance(1, InstanceState.RUNNING)]
    assert _ids(leaving_to_retire(old, [_instance(2, InstanceState.STARTING)], target=0)) == [1]
