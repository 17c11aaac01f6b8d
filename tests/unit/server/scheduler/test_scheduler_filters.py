"""Each filter rejects with a message that names the worker and the reason."""

from __future__ import annotations

import pytest

from gpustack.schemas.workers import WorkerState
from gpustack.server.scheduler import ClusterSnapshot, GpuSelector, place_instance
from gpustack.server.scheduler.filters import (
    Eligibility,
    EngineFilter,
    GpuSelectorFilter,
    LabelFilter,
    LocalPathFilter,
    ReadyStateFilter,
    parse_gpu_ids,
)

from .fakes import FakeEngine, gpu, model, worker


def _apply(f: object, w: object) -> Eligibility:
    item = Eligibility(w, w.gpus)  # type: ignore[attr-defined, arg-type]
    return f.apply(item)  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize(
    ("state", "maintenance", "reason"),
    [
        (WorkerState.NOT_READY, False, "worker-a is not_ready"),
        (WorkerState.UNREACHABLE, False, "worker-a is unreachable"),
        (WorkerState.MAINTENANCE, False, "worker-a is in maintenance"),
        (WorkerState.READY, True, "worker-a is in maintenance"),
    ],
)
def test_state_filter_names_the_state(state: WorkerState, maintenance: bool, reason: str) -> None:
    item = _apply(ReadyStateFilter(), worker(1, gpu(0), state=state, maintenance=maintenance))
    assert item.reason == reason


def test_ready_worker_passes_every_filter_untouched() -> None:
    w = worker(1, gpu(0), labels={"gpu": "h100"})
    for f in (ReadyStateFilter(), LabelFilter({"gpu": "h100"}), LocalPathFilter(None)):
        assert _apply(f, w).reason is None


def test_label_filter_says_which_label_differs_or_is_missing() -> None:
    selector = LabelFilter({"gpu": "h100"})
    assert (
        _apply(selector, worker(3, labels={"gpu": "a100"})).reason
        == "worker-c has label gpu=a100, selector wants gpu=h100"
    )
    assert (
        _apply(selector, worker(3)).reason == "worker-c has no label gpu, selector wants gpu=h100"
    )


def test_local_path_filter_only_rejects_when_the_worker_said_what_it_has() -> None:
    path_filter = LocalPathFilter("/models/qwen.gguf")
    unknown = worker(1)
    has_it = worker(2, existing_paths=frozenset({"/models/qwen.gguf"}))
    lacks_it = worker(3, existing_paths=frozenset({"/models/other.gguf"}))
    assert _apply(path_filter, unknown).reason is None
    assert _apply(path_filter, has_it).reason is None
    assert _apply(path_filter, lacks_it).reason == "worker-c has no file at /models/qwen.gguf"


def test_engine_filter_rejects_other_os_and_missing_accelerator() -> None:
    gpu_only = EngineFilter(FakeEngine(name="vllm", runs_on=frozenset({"cuda", "linux"})))
    mac = worker(1, gpu(0, vendor="apple"), os="darwin")
    cpu_box = worker(2)
    amd_box = worker(3, gpu(0, vendor="amd"))
    assert _apply(gpu_only, mac).reason == "worker-a runs darwin; vllm runs on linux"
    assert _apply(gpu_only, cpu_box).reason == "worker-b has no accelerator vllm runs on (cuda)"
    assert _apply(gpu_only, amd_box).reason == "worker-c has no accelerator vllm runs on (cuda)"


def test_engine_filter_keeps_only_gpus_the_engine_can_use() -> None:
    mixed = worker(1, gpu(0, vendor="amd"), gpu(1, vendor="nvidia"))
    item = _apply(EngineFilter(FakeEngine()), mixed)
    assert item.reason is None
    assert [g.index for g in item.gpus] == [1]


def test_gpu_selector_filter_pins_gpus_by_worker_name_and_index() -> None:
    pins = GpuSelectorFilter(GpuSelector(gpu_ids=("worker-a:cuda:1", "worker-b:0")), False)
    a = _apply(pins, worker(1, gpu(0), gpu(1)))
    c = _apply(pins, worker(3, gpu(0)))
    assert [g.index for g in a.gpus] == [1]
    assert c.reason == "worker-c has none of the selected GPUs (worker-a:cuda:1, worker-b:0)"


def test_gpu_selector_filter_rejects_workers_with_too_few_gpus() -> None:
    four = GpuSelectorFilter(GpuSelector(gpus_per_replica=4), across_workers=False)
    assert (
        _apply(four, worker(1, gpu(0), gpu(1))).reason
        == "worker-a has 2 usable GPUs, gpu_selector wants 4"
    )


def test_bare_index_pins_that_gpu_on_every_worker() -> None:
    assert parse_gpu_ids(["1", "worker-a:0"]) == ((None, 1), ("worker-a", 0))


def test_malformed_gpu_id_is_reported_not_raised() -> None:
    result = place_instance(
        model(gpu_selector=GpuSelector(gpu_ids=("worker-a:x",))),
        ClusterSnapshot([worker(1, gpu(0))]),
        FakeEngine(),
    )
    assert result.placement is None
    assert "'worker-a:x' does not end with a GPU index" in result.message


def test_engine_that_cannot_serve_the_model_says_so() -> None:
    result = place_instance(
        model(), ClusterSnapshot([worker(1, gpu(0))]), FakeEngine(serves_models=False)
    )
    assert result.placement is None
    assert result.message == "fake cannot serve this model (gguf, llm)"


def test_no_workers_at_all() -> None:
    result = place_instance(model(), ClusterSnapshot([]), FakeEngine())
    assert result.message == "no worker can run this model: no workers are registered"
