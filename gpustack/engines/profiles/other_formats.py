"""Profiles of formats the built-in CPU engines serve: CTranslate2, ONNX and diffusers.

Their engines load whole files, so the weights' size on disk is what a placement must hold.
"""

from __future__ import annotations

from pathlib import Path

from gpustack.engines.base import Category, ModelFormat, ModelProfile
from gpustack.engines.profiles.bounded_walk import files_with_suffix, walk_files
from gpustack.engines.profiles.safetensors_profile import read_json

_WEIGHT_SUFFIXES = frozenset({".safetensors", ".bin", ".onnx", ".pt", ".ckpt", ".data"})


def profile_ctranslate2(model_dir: Path) -> ModelProfile:
    """A CTranslate2 export; whisper (speech-to-text) when it carries whisper's side files."""
    config = read_json(model_dir / "config.json") if (model_dir / "config.json").is_file() else {}
    whisper = (model_dir / "preprocessor_config.json").is_file() or "alignment_heads" in config
    return ModelProfile(
        format=ModelFormat.CTRANSLATE2,
        architecture="whisper" if whisper else "",
        weights_bytes=(model_dir / "model.bin").stat().st_size,
        categories=(Category.SPEECH_TO_TEXT if whisper else Category.LLM,),
    )


def profile_onnx(path: Path) -> ModelProfile:
    """An ONNX model; a piper voice (with its .onnx.json) is text-to-speech, else embeddings."""
    files = [path] if path.is_file() else files_with_suffix(path, ".onnx")
    voice = any(f.with_name(f.name + ".json").is_file() for f in files)
    return ModelProfile(
        format=ModelFormat.ONNX,
        architecture="piper" if voice else "",
        weights_bytes=sum(f.stat().st_size for f in files),
        categories=(Category.TEXT_TO_SPEECH if voice else Category.EMBEDDING,),
    )


def profile_diffusers(model_dir: Path) -> ModelProfile:
    """A diffusers pipeline directory (model_index.json plus one folder per component)."""
    index = read_json(model_dir / "model_index.json")
    return ModelProfile(
        format=ModelFormat.DIFFUSERS,
        architecture=str(index.get("_class_name", "")),
        weights_bytes=sum(
            f.stat().st_size for f in walk_files(model_dir) if f.suffix in _WEIGHT_SUFFIXES
        ),
        categories=(Category.IMAGE,),
    )
