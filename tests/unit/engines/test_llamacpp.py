"""llama.cpp: memory estimates for full, partial and CPU placements, and its command line."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from gpustack.engines import Category, LaunchContext, ModelFormat, ModelProfile, PlacementRequest
from gpustack.engines.llamacpp import (
    GPU_OVERHEAD_BYTES,
    RAM_OVERHEAD_BYTES,
    LlamaCppEngine,
)

MIB = 1024 * 1024
# A 7B-ish Q4 model: 32 layers of 100 MiB, 300 MiB embeddings/head, 128 KiB KV per token.
MODEL = ModelProfile(
    format=ModelFormat.GGUF,
    architecture="llama",
    weights_bytes=32 * 100 * MIB + 300 * MIB,
    layer_count=32,
    layer_bytes=100 * MIB,
    non_layer_bytes=300 * MIB,
    context_length=32768,
    kv_bytes_per_token=128 * 1024,
    categories=(Category.LLM,),
)
KV_8K = 8192 * 128 * 1024  # 1 GiB at the default context

engine = LlamaCppEngine()


def test_all_layers_on_one_gpu_leave_little_in_ram() -> None:
    estimate = engine.estimate(MODEL, PlacementRequest(gpu_count=1))

    assert estimate.offload_layers == 32
    assert estimate.vram_bytes_per_gpu == (MODEL.weights_bytes + KV_8K + GPU_OVERHEAD_BYTES,)
    assert estimate.ram_bytes == RAM_OVERHEAD_BYTES


def test_partial_offload_splits_layers_and_cache() -> None:
    estimate = engine.estimate(MODEL, PlacementRequest(gpu_count=1, offload_layers=16))

    assert estimate.offload_layers == 16
    half_layers = 16 * 100 * MIB
    assert estimate.vram_bytes_per_gpu == (half_layers + KV_8K // 2 + GPU_OVERHEAD_BYTES,)
    # CPU keeps the other half, its cache share and the output head.
    assert estimate.ram_bytes == half_layers + KV_8K // 2 + 300 * MIB + RAM_OVERHEAD_BYTES


def test_cpu_only_puts_everything_in_ram() -> None:
    estimate = engine.estimate(MODEL, PlacementRequest(gpu_count=0))

    assert estimate.vram_bytes_per_gpu == ()
    assert estimate.offload_layers == 0
    assert estimate.ram_bytes == MODEL.weights_bytes + KV_8K + RAM_OVERHEAD_BYTES


def test_two_gpus_share_the_layers() -> None:
    one = engine.estimate(MODEL, PlacementRequest(gpu_count=1))
    two = engine.estimate(MODEL, PlacementRequest(gpu_count=2))

    assert len(two.vram_bytes_per_gpu) == 2
    assert max(two.vram_bytes_per_gpu) < one.vram_bytes_per_gpu[0]
    # Each GPU pays its own overhead.
    assert sum(two.vram_bytes_per_gpu) == one.vram_bytes_per_gpu[0] + GPU_OVERHEAD_BYTES


def test_context_size_prices_the_kv_cache() -> None:
    small = engine.estimate(MODEL, PlacementRequest(gpu_count=1, context_length=2048))
    flag = engine.estimate(MODEL, PlacementRequest(gpu_count=1, backend_parameters=["-c", "2048"]))
    big = engine.estimate(MODEL, PlacementRequest(gpu_count=1, context_length=32768))

    assert small == flag
    assert big.vram_bytes_per_gpu[0] - small.vram_bytes_per_gpu[0] == (32768 - 2048) * 128 * 1024


def test_projector_sits_on_the_first_gpu() -> None:
    vision = replace(MODEL, extra_bytes=50 * MIB)

    plain = engine.estimate(MODEL, PlacementRequest(gpu_count=2))
    with_projector = engine.estimate(vision, PlacementRequest(gpu_count=2))

    assert with_projector.vram_bytes_per_gpu[0] == plain.vram_bytes_per_gpu[0] + 50 * MIB
    assert with_projector.vram_bytes_per_gpu[1] == plain.vram_bytes_per_gpu[1]


def test_serves_gguf_text_models_only() -> None:
    assert engine.serves(MODEL, [Category.LLM])
    assert engine.serves(MODEL, [Category.RERANKER])
    assert not engine.serves(MODEL, [Category.IMAGE])
    hf = replace(MODEL, format=ModelFormat.SAFETENSORS)
    assert not engine.serves(hf, [Category.LLM])


def _ctx(path: Path, **overrides: object) -> LaunchContext:
    fields: dict[str, object] = {
        "model_name": "tiny",
        "model_path": path,
        "port": 40001,
        "host": "10.0.0.5",
        "gpu_indexes": (),
        "categories": (Category.LLM,),
    }
    fields.update(overrides)
    return LaunchContext(**fields)  # type: ignore[arg-type]


def test_command_runs_the_launcher_on_cpu(tiny_llama_gguf: Path) -> None:
    spec = engine.build_launch(_ctx(tiny_llama_gguf, context_length=512))

    assert list(spec.argv[:3]) == [sys.executable, "-m", "gpustack.engines.llamacpp_launcher"]
    argv = " ".join(spec.argv)
    assert f"--model {tiny_llama_gguf}" in argv
    assert "--host 10.0.0.5 --port 40001 --alias tiny" in argv
    assert "--ctx-size 512" in argv
    assert "--n-gpu-layers 0" in argv
    assert spec.health_path == "/health"


def test_command_offloads_to_gpus_and_passes_user_flags(tiny_llama_gguf: Path) -> None:
    spec = engine.build_launch(
        _ctx(tiny_llama_gguf, gpu_indexes=(0, 1), backend_parameters=["--parallel", "8"])
    )

    assert "--n-gpu-layers 999" in " ".join(spec.argv)
    # The user's --parallel replaces the default rather than fighting it.
    assert spec.argv.count("--parallel") == 1
    assert list(spec.argv[-2:]) == ["--parallel", "8"]


def test_partial_offload_reaches_the_command(tiny_llama_gguf: Path) -> None:
    spec = engine.build_launch(_ctx(tiny_llama_gguf, gpu_indexes=(0,), offload_layers=1))

    assert "--n-gpu-layers 1" in " ".join(spec.argv)


@pytest.mark.parametrize(
    ("category", "flag"), [(Category.EMBEDDING, "--embedding"), (Category.RERANKER, "--reranking")]
)
def test_pooling_categories_set_their_mode(
    tiny_llama_gguf: Path, category: Category, flag: str
) -> None:
    assert flag in engine.build_launch(_ctx(tiny_llama_gguf, categories=(category,))).argv


def test_vision_model_gets_its_projector(tiny_vision_model_dir: Path) -> None:
    spec = engine.build_launch(_ctx(tiny_vision_model_dir))

    argv = list(spec.argv)
    assert argv[argv.index("--model") + 1] == str(tiny_vision_model_dir / "tiny-llama.gguf")
    assert Path(argv[argv.index("--mmproj") + 1]).name.startswith("mmproj-")


def test_users_llama_server_binary_gets_the_same_flags(tiny_llama_gguf: Path) -> None:
    by_env = engine.build_launch(
        _ctx(tiny_llama_gguf, env={"GPUSTACK_LLAMA_SERVER": "/opt/llama/llama-server"})
    )
    by_flag = engine.build_launch(
        _ctx(tiny_llama_gguf, backend_parameters=["--llama-server-path=/opt/llama/llama-server"])
    )
    launcher = engine.build_launch(_ctx(tiny_llama_gguf))

    for spec in (by_env, by_flag):
        assert spec.argv[0] == "/opt/llama/llama-server"
        assert list(spec.argv[1:]) == list(launcher.argv[3:])
        assert "--llama-server-path" not in " ".join(spec.argv)
