"""Where replicas land: strategies, claims, the fallback ladder and failure messages."""

from __future__ import annotations

from gpustack.engines.base import ResourceEstimate
from gpustack.schemas.models import PlacementStrategy
from gpustack.schemas.workers import WorkerState
from gpustack.server.scheduler import (
    ClusterSnapshot,
    GpuSelector,
    InstanceClaim,
    place_instance,
    place_replicas,
)

from .fakes import GIB, RAM_OVERHEAD, FakeEngine, gpu, model, profile, worker


def test_spread_puts_two_replicas_on_two_workers() -> None:
    workers = [worker(1, gpu(0, 48)), worker(2, gpu(0, 48))]
    plan = place_replicas(model(replicas=2), ClusterSnapshot(workers), FakeEngine())
    assert plan.complete
    assert sorted(p.worker_name for p in plan.placements) == ["worker-a", "worker-b"]


def test_spread_prefers_the_emptier_worker() -> None:
    workers = [worker(1, gpu(0, 48, allocated_gib=30)), worker(2, gpu(0, 48, allocated_gib=5))]
    result = place_instance(model(), ClusterSnapshot(workers), FakeEngine())
    assert result.placement is not None
    assert result.placement.worker_name == "worker-b"


def test_binpack_puts_two_replicas_on_one_worker() -> None:
    workers = [worker(1, gpu(0, 48)), worker(2, gpu(0, 48))]
    plan = place_replicas(
        model(replicas=2, placement_strategy=PlacementStrategy.BINPACK),
        ClusterSnapshot(workers),
        FakeEngine(),
    )
    assert [(p.worker_name, p.gpu_indexes) for p in plan.placements] == [
        ("worker-a", (0,)),
        ("worker-a", (0,)),
    ]


def test_binpack_fills_the_fullest_gpu_that_fits() -> None:
    w = worker(1, gpu(0, 24), gpu(1, 24, allocated_gib=12))
    result = place_instance(
        model(placement_strategy=PlacementStrategy.BINPACK), ClusterSnapshot([w]), FakeEngine()
    )
    assert result.placement is not None and result.placement.gpu_indexes == (1,)


def test_replicas_claim_memory_so_they_never_share_it() -> None:
    # Room for exactly two 9 GiB replicas on one 20 GiB GPU... of which only one fits.
    plan = place_replicas(model(replicas=3), ClusterSnapshot([worker(1, gpu(0, 20))]), FakeEngine())
    assert len(plan.placements) == 2
    assert not plan.complete
    assert plan.message.startswith("placed 2 of 3 replicas; no worker can run this model:")
    assert "lacks 7.0 GiB VRAM (needs 9.0 GiB, 2.0 GiB free on GPU 0)" in plan.message


def test_existing_claims_count_as_used_memory() -> None:
    held = InstanceClaim("other", 1, (0,), ResourceEstimate(GIB, (16 * GIB,)))
    workers = [worker(1, gpu(0, 24)), worker(2, gpu(0, 16))]
    result = place_instance(model(), ClusterSnapshot(workers, [held]), FakeEngine())
    assert result.placement is not None
    assert result.placement.worker_name == "worker-b"


def test_spread_counts_replicas_already_running() -> None:
    running = InstanceClaim("qwen", 1, (0,), ResourceEstimate(GIB, (GIB,)))
    workers = [worker(1, gpu(0, 80)), worker(2, gpu(0, 40))]
    result = place_instance(model(), ClusterSnapshot(workers, [running]), FakeEngine())
    assert result.placement is not None and result.placement.worker_name == "worker-b"


def test_too_big_for_every_worker_names_each_shortfall() -> None:
    workers = [
        worker(1, gpu(0, 24, allocated_gib=18.1), labels={"gpu": "h100"}),
        worker(2, gpu(0, 80), state=WorkerState.NOT_READY, labels={"gpu": "h100"}),
        worker(3, gpu(0, 80), labels={"gpu": "a100"}),
        worker(4, gpu(0, 24), ram_gib=0.25, labels={"gpu": "h100"}),
    ]
    result = place_instance(
        model(worker_selector={"gpu": "h100"}), ClusterSnapshot(workers), FakeEngine()
    )
    assert result.placement is None
    assert result.message == (
        "no worker can run this model: "
        "worker-a lacks 3.1 GiB VRAM (needs 9.0 GiB, 5.9 GiB free on GPU 0); "
        "worker-b is not_ready; "
        "worker-c has label gpu=a100, selector wants gpu=h100; "
        "worker-d lacks 256 MiB RAM (needs 512 MiB, 256 MiB free)"
    )


def test_shortfall_reports_the_closest_multi_gpu_attempt() -> None:
    big = model(profile=profile(layers=40, layer_gib=1.0, non_layer_gib=2.0))  # 42 GiB
    result = place_instance(big, ClusterSnapshot([worker(1, gpu(0, 16), gpu(1, 16))]), FakeEngine())
    assert result.message == (
        "no worker can run this model: worker-a lacks 10.0 GiB VRAM "
        "(needs 42.0 GiB on 2 GPUs, 32.0 GiB free on GPUs 0,1)"
    )


def test_cpu_only_fallback_needs_cpu_offloading() -> None:
    cpu_box = [worker(1, ram_gib=32)]
    refused = place_instance(model(), ClusterSnapshot(cpu_box), FakeEngine())
    allowed = place_instance(model(cpu_offloading=True), ClusterSnapshot(cpu_box), FakeEngine())
    assert refused.placement is None
    assert refused.message == (
        "no worker can run this model: worker-a has no usable GPU and cpu_offloading is off"
    )
    assert allowed.placement is not None
    assert allowed.placement.kind == "cpu_only"
    assert allowed.placement.gpu_indexes == ()
    assert allowed.placement.claim.ram_bytes == RAM_OVERHEAD + 9 * GIB


def test_cpu_only_engine_runs_on_cpu_without_the_flag() -> None:
    engine = FakeEngine(name="embeddings", runs_on=frozenset({"cpu"}))
    result = place_instance(model(), ClusterSnapshot([worker(1, gpu(0, 80), ram_gib=32)]), engine)
    assert result.placement is not None and result.placement.kind == "cpu_only"


def test_engine_with_a_separate_cpu_build_runs_on_cpu_only_where_no_gpu_is() -> None:
    """vLLM's CPU build is its own install: a GPU-less worker runs it on CPU, but a worker
    whose GPU is too small keeps the model pending rather than starting it on its CPU."""
    engine = FakeEngine(name="vllm", runs_on=frozenset({"cuda", "cpu_if_no_gpu", "linux"}))
    # One layer: no partial offload either, as with vLLM.
    offloading = model(cpu_offloading=True, profile=profile(layers=1, layer_gib=8))
    cpu_box = place_instance(offloading, ClusterSnapshot([worker(1, ram_gib=32)]), engine)
    small_gpu = place_instance(
        offloading, ClusterSnapshot([worker(1, gpu(0, 4), ram_gib=32)]), engine
    )
    assert cpu_box.placement is not None and cpu_box.placement.kind == "cpu_only"
    assert small_gpu.placement is None
    assert "VRAM" in small_gpu.message and "on CPU" not in small_gpu.message


def test_gpu_beats_cpu_even_with_cpu_offloading() -> None:
    workers = [worker(1, ram_gib=512), worker(2, gpu(0, 12), ram_gib=16)]
    result = place_instance(model(cpu_offloading=True), ClusterSnapshot(workers), FakeEngine())
    assert result.placement is not None
    assert (result.placement.worker_name, result.placement.kind) == ("worker-b", "single_gpu")


def test_several_gpus_on_one_worker_when_one_is_too_small() -> None:
    result = place_instance(
        model(), ClusterSnapshot([worker(1, gpu(0, 8), gpu(1, 8), gpu(2, 8))]), FakeEngine()
    )
    placement = result.placement
    assert placement is not None
    assert placement.kind == "multi_gpu"
    assert len(placement.gpu_indexes) == 2
    assert placement.claim.vram_bytes_per_gpu == (int(4.5 * GIB),) * 2
    assert result.message == "scheduled on worker-a GPU 0,1"


def test_one_gpu_anywhere_beats_several_gpus_on_an_emptier_worker() -> None:
    workers = [worker(1, gpu(0, 8), gpu(1, 8)), worker(2, gpu(0, 10))]
    result = place_instance(model(), ClusterSnapshot(workers), FakeEngine())
    assert result.placement is not None
    assert (result.placement.worker_name, result.placement.kind) == ("worker-b", "single_gpu")


def test_gpu_selector_pins_gpus() -> None:
    workers = [worker(1, gpu(0, 80), gpu(1, 24)), worker(2, gpu(0, 80))]
    pinned = model(replicas=2, gpu_selector=GpuSelector(gpu_ids=("worker-a:1",)))
    plan = place_replicas(pinned, ClusterSnapshot(workers), FakeEngine())
    assert [(p.worker_name, p.gpu_indexes) for p in plan.placements] == [
        ("worker-a", (1,)),
        ("worker-a", (1,)),
    ]


def test_gpus_per_replica_fixes_the_gpu_count() -> None:
    w = worker(1, gpu(0, 80), gpu(1, 80), gpu(2, 80), gpu(3, 80))
    plan = place_replicas(
        model(replicas=2, gpu_selector=GpuSelector(gpus_per_replica=2)),
        ClusterSnapshot([w]),
        FakeEngine(),
    )
    assert sorted(i for p in plan.placements for i in p.gpu_indexes) == [0, 1, 2, 3]


def test_maintenance_and_not_ready_workers_get_nothing() -> None:
    workers = [
        worker(1, gpu(0, 80), maintenance=True),
        worker(2, gpu(0, 80), state=WorkerState.NOT_READY),
        worker(3, gpu(0, 80), state=WorkerState.UNREACHABLE),
        worker(4, gpu(0, 24)),
    ]
    plan = place_replicas(model(replicas=2), ClusterSnapshot(workers), FakeEngine())
    assert {p.worker_name for p in plan.placements} == {"worker-d"}


def test_locality_bonus_breaks_ties() -> None:
    workers = [
        worker(1, gpu(0, 24)),
        worker(2, gpu(0, 24), downloaded_model_keys=frozenset({"hf:qwen/qwen-8b-gguf"})),
    ]
    for strategy in PlacementStrategy:
        result = place_instance(
            model(placement_strategy=strategy), ClusterSnapshot(workers), FakeEngine()
        )
        assert result.placement is not None and result.placement.worker_name == "worker-b"


def test_partial_offload_puts_as_many_layers_on_gpu_as_fit() -> None:
    # 5 GiB GPU: 1 GiB non-layer + 4 layers x 1 GiB fits; 5 layers do not.
    plan_off = place_instance(model(), ClusterSnapshot([worker(1, gpu(0, 5))]), FakeEngine())
    plan_on = place_instance(
        model(cpu_offloading=True), ClusterSnapshot([worker(1, gpu(0, 5))]), FakeEngine()
    )
    assert plan_off.placement is None
    placement = plan_on.placement
    assert placement is not None and placement.kind == "partial_offload"
    assert placement.offload_layers == 4
    assert plan_on.message == "scheduled on worker-a GPU 0, 4 layers on GPU"


def test_partial_offload_prefers_the_worker_holding_more_layers() -> None:
    workers = [worker(1, gpu(0, 4)), worker(2, gpu(0, 7, allocated_gib=0.5))]
    result = place_instance(model(cpu_offloading=True), ClusterSnapshot(workers), FakeEngine())
    assert result.placement is not None and result.placement.worker_name == "worker-b"


def test_across_workers_only_when_allowed() -> None:
    workers = [worker(1, gpu(0, 6)), worker(2, gpu(0, 6))]
    refused = place_instance(model(), ClusterSnapshot(workers), FakeEngine())
    result = place_instance(
        model(distributed_inference_across_workers=True), ClusterSnapshot(workers), FakeEngine()
    )
    assert refused.placement is None
    placement = result.placement
    assert placement is not None and placement.kind == "distributed"
    assert placement.worker_name == "worker-a" and placement.gpu_indexes == (0,)
    assert [(h.worker_name, h.gpu_indexes) for h in placement.helpers] == [("worker-b", (0,))]
    claims = placement.claims("qwen")
    assert [c.worker_id for c in claims] == [1, 2]
    assert claims[1].estimate.ram_bytes == 0 and not claims[1].is_main


def test_distributed_claims_stop_a_second_replica_reusing_helper_gpus() -> None:
    workers = [worker(1, gpu(0, 6)), worker(2, gpu(0, 6)), worker(3, gpu(0, 6))]
    plan = place_replicas(
        model(replicas=2, distributed_inference_across_workers=True),
        ClusterSnapshot(workers),
        FakeEngine(),
    )
    assert len(plan.placements) == 1


def test_engine_is_asked_once_per_distinct_request() -> None:
    engine = FakeEngine()
    workers = [worker(i, gpu(0, 80), gpu(1, 80)) for i in range(1, 11)]
    plan = place_replicas(model(replicas=10), ClusterSnapshot(workers), engine)
    assert plan.complete
    assert engine.calls == 1


def test_one_snapshot_carries_claims_from_model_to_model() -> None:
    cluster = ClusterSnapshot([worker(1, gpu(0, 24))])
    first = place_instance(model(name="first"), cluster, FakeEngine())
    second = place_instance(model(name="second"), cluster, FakeEngine())
    third = place_instance(model(name="third"), cluster, FakeEngine())
    assert first.placement is not None and second.placement is not None
    assert third.placement is None
    assert "lacks 3.0 GiB VRAM (needs 9.0 GiB, 6.0 GiB free on GPU 0)" in third.message


def test_spread_keeps_alternating_across_many_replicas() -> None:
    workers = [worker(1, gpu(0, 80)), worker(2, gpu(0, 80)), worker(3, gpu(0, 80))]
    plan = place_replicas(model(replicas=6), ClusterSnapshot(workers), FakeEngine())
    names = [p.worker_name for p in plan.placements]
    assert {n: names.count(n) for n in names} == {"worker-a": 2, "worker-b": 2, "worker-c": 2}


def test_later_replicas_move_down_the_ladder_when_a_rung_runs_out() -> None:
    w = worker(1, gpu(0, 10), gpu(1, 5), gpu(2, 5))
    plan = place_replicas(model(replicas=3), ClusterSnapshot([w]), FakeEngine())
    assert [(p.kind, p.gpu_indexes) for p in plan.placements] == [
        ("single_gpu", (0,)),
        ("multi_gpu", (1, 2)),
    ]
    assert plan.message.startswith("placed 2 of 3 replicas; ")
