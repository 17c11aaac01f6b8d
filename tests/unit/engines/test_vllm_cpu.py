"""vLLM without GPUs: priced in RAM, given a bounded KV cache, started from its own venv."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpustack.engines import Category, LaunchContext, ModelFormat, ModelProfile, PlacementRequest
from gpustack.engines.vllm import VLLMEngine
from gpustack.engines.vllm_cpu import DEFAULT_KV_CACHE_BYTES, human_int
from gpustack.engines.vllm_install import SERVER_MODULE, vllm_executable

GIB = 1024**3
MODEL = ModelProfile(
    format=ModelFormat.SAFETENSORS,
    weights_bytes=1 * GIB,
    categories=(Category.LLM,),
    context_length=32768,
    kv_bytes_per_token=256 * 1024,
)
engine = VLLMEngine()


def _fake_venv(root: Path) -> Path:
    (root / "bin").mkdir(parents=True)
    for name in ("vllm", "python"):
        (root / "bin" / name).write_text("")
    return root / "bin" / "vllm"


def _ctx(gpus: tuple[int, ...], env: dict[str, str], data_dir: Path | None = None) -> LaunchContext:
    return LaunchContext(
        model_name="m",
        model_path=Path("/models/m"),
        port=1,
        host="127.0.0.1",
        gpu_indexes=gpus,
        categories=(Category.LLM,),
        env=env,
        data_dir=data_dir,
    )


def test_cpu_placement_is_priced_in_ram_with_a_bounded_cache() -> None:
    estimate = engine.estimate(MODEL, PlacementRequest(gpu_count=0))

    assert estimate.vram_bytes_per_gpu == ()
    assert estimate.ram_bytes > GIB + DEFAULT_KV_CACHE_BYTES
    # 4 GiB of cache at 256 KiB a token holds 16384 tokens, not the model's 32768.
    assert estimate.context_length == 16384
    assert "context cut" in estimate.note


def test_a_context_the_user_asks_for_is_kept() -> None:
    request = PlacementRequest(gpu_count=0, backend_parameters=["--max-model-len", "32k"])

    assert engine.estimate(MODEL, request).context_length == 32000


def test_cpu_launch_gets_a_kv_cache_size_and_cpu_env(tmp_path: Path) -> None:
    venv_vllm = _fake_venv(tmp_path / "venv")

    spec = engine.build_launch(_ctx((), {"GPUSTACK_VLLM_EXECUTABLE": str(venv_vllm)}))

    argv = list(spec.argv)
    assert argv[:4] == [str(tmp_path / "venv" / "bin" / "python"), "-m", SERVER_MODULE, "--model"]
    assert argv[4] == "/models/m"
    assert argv[argv.index("--kv-cache-memory-bytes") + 1] == str(DEFAULT_KV_CACHE_BYTES)
    assert spec.env["VLLM_TARGET_DEVICE"] == "cpu"


def test_gpu_launch_and_user_cache_size_get_no_cpu_defaults() -> None:
    gpu = engine.build_launch(_ctx((0,), {}))
    env_sized = engine.build_launch(_ctx((), {"VLLM_CPU_KVCACHE_SPACE": "2"}))

    assert "--kv-cache-memory-bytes" not in gpu.argv
    assert "VLLM_TARGET_DEVICE" not in gpu.env
    assert "--kv-cache-memory-bytes" not in env_sized.argv


def test_executable_order(tmp_path: Path) -> None:
    old = _fake_venv(tmp_path / "engines" / "vllm" / "0.9.2")
    new = _fake_venv(tmp_path / "engines" / "vllm" / "0.32.0")

    assert vllm_executable(tmp_path, None, {}, {}) == str(new)
    assert vllm_executable(tmp_path, "0.9.2", {}, {}) == str(old)
    assert vllm_executable(tmp_path, None, {}, {"GPUSTACK_VLLM_EXECUTABLE": "/x"}) == "/x"
    assert vllm_executable(tmp_path, "0.9.2", {"GPUSTACK_VLLM_EXECUTABLE": "/d"}, {}) == "/d"


def test_a_pinned_version_that_is_missing_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"vLLM 1\.0 is not installed"):
        vllm_executable(tmp_path, "1.0", {}, {})


@pytest.mark.parametrize(
    ("text", "value"),
    [("4096", 4096), ("25.6k", 25600), ("4G", 4 * GIB), ("1.5G", None), ("x", None)],
)
def test_human_int(text: str, value: int | None) -> None:
    assert human_int(text) == value


def test_deployment_env_reaches_vllm_and_wins_over_defaults() -> None:
    spec = engine.build_launch(_ctx((), {"HF_HUB_OFFLINE": "0", "OMP_NUM_THREADS": "2"}))

    assert spec.env["OMP_NUM_THREADS"] == "2"
    assert spec.env["HF_HUB_OFFLINE"] == "0"
    assert spec.env["VLLM_NO_USAGE_STATS"] == "1"
