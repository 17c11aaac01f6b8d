"""Tell a model's format from the files at a path."""

from __future__ import annotations

from pathlib import Path

from gpustack.engines.base import ModelFormat
from gpustack.engines.profiles.bounded_walk import files_with_suffix
from gpustack.engines.profiles.gguf_files import is_gguf


def detect_format(path: Path) -> ModelFormat:
    """The format of a model file or directory; UNKNOWN when nothing matches."""
    if path.is_file():
        if is_gguf(path):
            return ModelFormat.GGUF
        if path.suffix.lower() == ".onnx":
            return ModelFormat.ONNX
        return ModelFormat.UNKNOWN
    if (path / "model_index.json").is_file():
        return ModelFormat.DIFFUSERS
    if (path / "model.bin").is_file() and (path / "config.json").is_file():
        return ModelFormat.CTRANSLATE2
    if any(path.glob("*.safetensors")) or (path / "model.safetensors.index.json").is_file():
        return ModelFormat.SAFETENSORS
    if any(path.glob("*.gguf")):
        return ModelFormat.GGUF
    if files_with_suffix(path, ".onnx"):
        return ModelFormat.ONNX
    return ModelFormat.UNKNOWN
