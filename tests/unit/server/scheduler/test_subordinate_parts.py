"""A placement across workers gives each helper worker a subordinate part with its own state."""

from __future__ import annotations

from gpustack.schemas.model_instances import (
    InstanceState,
    ModelInstance,
    ModelInstancePublic,
    SubordinateState,
)
from gpustack.server.scheduler import ClusterSnapshot, place_instance
from gpustack.server.scheduler.db_views import assign
from gpustack.server.scheduler.results import EngineDecision

from .fakes import FakeEngine, gpu, model, worker

ENGINE = EngineDecision("llama.cpp", None, ("llm",))


def _instance() -> ModelInstance:
    return ModelInstance(id=7, name="qwen-1", model_id=1, model_name="qwen")


def test_helpers_become_pending_subordinates_with_their_address() -> None:
    workers = [worker(1, gpu(0, 6)), worker(2, gpu(0, 6))]
    spec = model(distributed_inference_across_workers=True)
    placement = place_instance(spec, ClusterSnapshot(workers), FakeEngine()).placement
    assert placement is not None
    instance = _instance()

    assign(instance, placement, "10.0.0.1", ENGINE, {1: "10.0.0.1", 2: "10.0.0.2"})

    shown = ModelInstancePublic.model_validate(instance.model_dump())
    assert shown.state is InstanceState.SCHEDULED
    assert shown.subordinate_workers is not None
    [part] = shown.subordinate_workers
    assert (part.worker_name, part.worker_ip, part.gpu_indexes) == ("worker-b", "10.0.0.2", [0])
    assert part.state is SubordinateState.PENDING and part.port is None


def test_one_worker_instances_have_no_subordinates_and_release_drops_them() -> None:
    placement = place_instance(model(), ClusterSnapshot([worker(1, gpu(0, 24))]), FakeEngine())
    assert placement.placement is not None
    instance = _instance()
    assign(instance, placement.placement, "10.0.0.1", ENGINE)
    assert instance.subordinate_workers is None

    instance.subordinate_workers = [{"worker_id": 2, "worker_name": "b"}]
    instance.release("worker-b went away")
    assert instance.subordinate_workers is None
