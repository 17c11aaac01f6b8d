"""vLLM: claims its --gpu-memory-utilization share of each GPU; `vllm serve` command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpustack.engines import Category, LaunchContext, ModelFormat, ModelProfile, PlacementRequest
from gpustack.engines.gpu_fraction import GPU_OVERHEAD_BYTES
from gpustack.engines.vllm import VLLMEngine

GIB = 1024**3
MODEL = ModelProfile(
    format=ModelFormat.SAFETENSORS, weights_bytes=16 * GIB, categories=(Category.LLM,)
)
engine = VLLMEngine()


def test_claims_the_default_fraction_of_each_gpu() -> None:
    request = PlacementRequest(gpu_count=2, total_vram_bytes_per_gpu=(80 * GIB, 80 * GIB))

    estimate = engine.estimate(MODEL, request)

    assert estimate.vram_bytes_per_gpu == (int(80 * GIB * 0.9),) * 2


def test_honours_gpu_memory_utilization() -> None:
    request = PlacementRequest(
        gpu_count=1,
        total_vram_bytes_per_gpu=(80 * GIB,),
        backend_parameters=["--gpu-memory-utilization=0.5"],
    )

    assert engine.estimate(MODEL, request).vram_bytes_per_gpu == (40 * GIB,)


def test_without_gpu_totals_prices_the_weights() -> None:
    estimate = engine.estimate(MODEL, PlacementRequest(gpu_count=2))

    assert estimate.vram_bytes_per_gpu == (int(16 * GIB * 1.2) // 2 + GPU_OVERHEAD_BYTES,) * 2


def test_small_fraction_still_claims_what_the_weights_need() -> None:
    request = PlacementRequest(
        gpu_count=1,
        total_vram_bytes_per_gpu=(24 * GIB,),
        backend_parameters=["--gpu-memory-utilization", "0.3"],
    )

    estimate = engine.estimate(MODEL, request)

    assert estimate.vram_bytes_per_gpu[0] > 16 * GIB
    assert "weights need more" in estimate.note


def test_rejects_a_nonsense_fraction() -> None:
    request = PlacementRequest(gpu_count=1, backend_parameters=["--gpu-memory-utilization", "2"])

    with pytest.raises(ValueError, match="--gpu-memory-utilization"):
        engine.estimate(MODEL, request)


def test_command_line() -> None:
    ctx = LaunchContext(
        model_name="qwen",
        model_path=Path("/models/qwen"),
        port=40002,
        host="0.0.0.0",
        gpu_indexes=(0, 1),
        categories=(Category.EMBEDDING,),
        backend_parameters=["--max-num-seqs", "8"],
    )

    spec = engine.build_launch(ctx)

    argv = list(spec.argv)
    assert argv[0].endswith("vllm") and argv[1:3] == ["serve", "/models/qwen"]
    joined = " ".join(argv)
    assert "--served-model-name qwen --host 0.0.0.0 --port 40002" in joined
    assert "--tensor-parallel-size 2" in joined
    assert "--runner pooling" in joined
    assert argv[-2:] == ["--max-num-seqs", "8"]
    assert spec.health_path == "/health"
    assert spec.env["VLLM_NO_USAGE_STATS"] == "1"


def test_user_tensor_parallel_wins() -> None:
    ctx = LaunchContext(
        model_name="m",
        model_path=Path("/m"),
        port=1,
        host="h",
        gpu_indexes=(0, 1),
        categories=(Category.LLM,),
        backend_parameters=["-tp", "1"],
    )

    assert "--tensor-parallel-size" not in engine.build_launch(ctx).argv
