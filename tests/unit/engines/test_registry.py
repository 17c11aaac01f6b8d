"""The engine registry and the default backend for a model."""

from __future__ import annotations

import pytest

from gpustack.engines import (
    Category,
    Engine,
    ModelFormat,
    ModelProfile,
    UnknownEngineError,
    default_engine_for,
    default_registry,
)


def test_every_shipped_engine_implements_the_protocol() -> None:
    registry = default_registry()

    assert set(registry) == {
        "llama.cpp",
        "vllm",
        "sglang",
        "custom",
        "onnx-embeddings",
        "sentence-transformers",
        "faster-whisper",
        "piper",
        "diffusers",
    }
    for name, engine in registry.items():
        assert isinstance(engine, Engine)
        assert engine.name == name


def test_unknown_backend_names_the_known_ones() -> None:
    with pytest.raises(UnknownEngineError, match=r"llama\.cpp"):
        default_registry()["tensorrt"]


def test_registry_cannot_be_changed() -> None:
    registry = default_registry()

    with pytest.raises(TypeError):
        registry["x"] = registry["vllm"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("model_format", "categories", "gpu", "backend"),
    [
        (ModelFormat.GGUF, (Category.LLM,), False, "llama.cpp"),
        (ModelFormat.GGUF, (Category.RERANKER,), True, "llama.cpp"),
        (ModelFormat.SAFETENSORS, (Category.LLM,), True, "vllm"),
        (ModelFormat.SAFETENSORS, (Category.SPEECH_TO_TEXT,), True, "vllm"),
    ],
)
def test_default_backend(
    model_format: ModelFormat, categories: tuple[Category, ...], gpu: bool, backend: str
) -> None:
    profile = ModelProfile(format=model_format, categories=categories)

    assert default_engine_for(profile, categories, gpu_available=gpu) == backend
    assert default_registry().default_for(profile, gpu_available=gpu).name == backend


def test_no_default_for_hf_weights_without_gpu() -> None:
    profile = ModelProfile(format=ModelFormat.SAFETENSORS, categories=(Category.LLM,))

    with pytest.raises(UnknownEngineError, match="without a GPU"):
        default_engine_for(profile, gpu_available=False)
