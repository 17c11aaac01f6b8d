"""Inference engines: each knows its formats, memory estimate, command line and quirks."""

from gpustack.engines.base import (
    Category,
    Engine,
    LaunchContext,
    ModelFormat,
    ModelProfile,
    PlacementRequest,
)
from gpustack.engines.profiles import ModelProfileError, profile_model
from gpustack.engines.registry import (
    UnknownEngineError,
    default_engine_for,
    default_registry,
)

__all__ = [
    "Category",
    "Engine",
    "LaunchContext",
    "ModelFormat",
    "ModelProfile",
    "ModelProfileError",
    "PlacementRequest",
    "UnknownEngineError",
    "default_engine_for",
    "default_registry",
    "profile_model",
]
