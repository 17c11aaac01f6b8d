"""The built-in CPU engines as `Engine`s: what they serve, estimates, command lines, defaults."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from gpustack.engines import (
    Category,
    Engine,
    LaunchContext,
    ModelFormat,
    ModelProfile,
    PlacementRequest,
    default_engine_for,
    default_registry,
    profile_model,
)
from gpustack.engines.builtin.launch import MIB
from gpustack.engines.diffusers_images import DiffusersEngine
from gpustack.engines.onnx_embeddings import OnnxEmbeddingsEngine
from gpustack.engines.piper_tts import PiperEngine
from gpustack.engines.whisper_stt import FasterWhisperEngine
from tests.fixtures.builtin_models import piper_voice_dir, whisper_tiny_en_dir
from tests.fixtures.builtin_servers import BuiltinServer, wait_healthy
from tests.fixtures.launcher_process import free_port

BUILTIN = ("onnx-embeddings", "faster-whisper", "piper", "diffusers", "sentence-transformers")


def test_builtin_engines_are_registered_and_run_on_cpu() -> None:
    registry = default_registry()

    for name in BUILTIN:
        engine = registry[name]
        assert isinstance(engine, Engine)
        assert "cpu" in engine.runs_on


def test_profiled_model_packages_get_the_builtin_engines(minilm_onnx: Path) -> None:
    assert default_engine_for(profile_model(minilm_onnx), gpu_available=False) == "onnx-embeddings"
    assert default_engine_for(profile_model(whisper_tiny_en_dir())) == "faster-whisper"
    assert default_engine_for(profile_model(piper_voice_dir()), gpu_available=False) == "piper"


@pytest.mark.parametrize(
    ("profile", "backend"),
    [
        (ModelProfile(ModelFormat.ONNX, categories=(Category.RERANKER,)), "onnx-embeddings"),
        (ModelProfile(ModelFormat.DIFFUSERS, categories=(Category.IMAGE,)), "diffusers"),
    ],
)
def test_default_backend_by_format_and_category(profile: ModelProfile, backend: str) -> None:
    assert default_engine_for(profile, gpu_available=False) == backend


def test_hf_text_encoders_without_gpu_get_sentence_transformers() -> None:
    encoder = ModelProfile(ModelFormat.SAFETENSORS, "bert", categories=(Category.EMBEDDING,))

    assert default_engine_for(encoder, gpu_available=False) == "sentence-transformers"
    assert default_engine_for(encoder, gpu_available=True) != "sentence-transformers"


def test_onnx_engines_split_voices_from_text_models() -> None:
    voice = ModelProfile(ModelFormat.ONNX, "piper", categories=(Category.TEXT_TO_SPEECH,))
    text = ModelProfile(ModelFormat.ONNX, categories=(Category.EMBEDDING,))

    assert PiperEngine().serves(voice, voice.categories)
    assert not OnnxEmbeddingsEngine().serves(voice, voice.categories)
    assert OnnxEmbeddingsEngine().serves(text, (Category.EMBEDDING, Category.RERANKER))
    assert not OnnxEmbeddingsEngine().serves(text, (Category.LLM,))
    assert not FasterWhisperEngine().serves(text, (Category.SPEECH_TO_TEXT,))


def test_estimate_grows_with_the_weights_and_claims_no_vram() -> None:
    engine = DiffusersEngine()
    small = engine.estimate(ModelProfile(ModelFormat.DIFFUSERS, weights_bytes=MIB), _cpu())
    large = engine.estimate(ModelProfile(ModelFormat.DIFFUSERS, weights_bytes=2000 * MIB), _cpu())

    assert 256 * MIB < small.ram_bytes < large.ram_bytes
    assert large.ram_bytes >= 2000 * MIB
    assert large.vram_bytes_per_gpu == ()


def test_launch_runs_the_server_module_with_user_flags_last(tmp_path: Path) -> None:
    spec = PiperEngine().build_launch(_ctx(tmp_path, 9001, backend_parameters=("--threads", "1")))

    assert list(spec.argv[:3]) == [sys.executable, "-m", "gpustack.engines.builtin.piper_tts"]
    assert spec.argv[spec.argv.index("--port") + 1] == "9001"
    assert spec.argv[spec.argv.index("--model-name") + 1] == "voice"
    assert list(spec.argv[-2:]) == ["--threads", "1"]
    assert spec.health_path == "/health"


def test_built_launch_starts_a_healthy_server(tmp_path: Path) -> None:
    port = free_port()
    spec = FasterWhisperEngine().build_launch(
        _ctx(tmp_path, port, model_path=whisper_tiny_en_dir())
    )
    log = tmp_path / "stt.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(list(spec.argv), stdout=sink, stderr=subprocess.STDOUT)
    server = BuiltinServer(process, f"http://127.0.0.1:{port}", log)
    try:
        wait_healthy(server)
        models = httpx.get(server.base_url + "/v1/models", timeout=10).json()
        assert models["data"][0]["id"] == "voice"
    finally:
        server.stop()


def _cpu() -> PlacementRequest:
    return PlacementRequest(gpu_count=0)


def _ctx(
    tmp_path: Path,
    port: int,
    *,
    model_path: Path | None = None,
    backend_parameters: tuple[str, ...] = (),
) -> LaunchContext:
    return LaunchContext(
        model_name="voice",
        model_path=model_path or tmp_path,
        port=port,
        host="127.0.0.1",
        gpu_indexes=(),
        categories=(Category.TEXT_TO_SPEECH,),
        backend_parameters=backend_parameters,
    )
