"""Model profiles: what the scheduler needs to know about weights, read from headers only.

`profile_model` blocks on file I/O; call it from a worker thread in async code.
"""

from __future__ import annotations

from pathlib import Path

from gpustack.engines.base import ModelFormat, ModelProfile
from gpustack.engines.profiles.detect import detect_format
from gpustack.engines.profiles.errors import ModelProfileError
from gpustack.engines.profiles.gguf_files import locate_gguf_model
from gpustack.engines.profiles.gguf_profile import profile_gguf
from gpustack.engines.profiles.other_formats import (
    profile_ctranslate2,
    profile_diffusers,
    profile_onnx,
)
from gpustack.engines.profiles.safetensors_profile import profile_safetensors

__all__ = [
    "ModelProfileError",
    "detect_format",
    "locate_gguf_model",
    "profile_model",
]


def profile_model(path: Path) -> ModelProfile:
    """Profile the model at `path` (a file or a directory) without loading its weights.

    Raises ModelProfileError for a missing path, an unknown format or a corrupt header.
    """
    if not path.exists():
        raise ModelProfileError(f"model path does not exist: {path}")
    model_format = detect_format(path)
    if model_format == ModelFormat.GGUF:
        return profile_gguf(path)
    if model_format == ModelFormat.SAFETENSORS:
        return profile_safetensors(path)
    if model_format == ModelFormat.CTRANSLATE2:
        return profile_ctranslate2(path)
    if model_format == ModelFormat.ONNX:
        return profile_onnx(path)
    if model_format == ModelFormat.DIFFUSERS:
        return profile_diffusers(path)
    kind = "file" if path.is_file() else "directory"
    raise ModelProfileError(
        f"{path.name}: not a model {kind} we understand "
        "(expected .gguf, safetensors with config.json, CTranslate2, ONNX or diffusers)"
    )
