"""Inference engines: each knows its formats, memory estimate, command line and quirks."""

from gpustack.engines.base import (
    Category,
    Engine,
    LaunchContext,
    LaunchSpec,
    ModelFormat,
    ModelProfile,
    PlacementRequest,
    ResourceEstimate,
    ResponseQuirks,
)
from gpustack.engines.profiles import ModelProfileError, profile_model
from gpustack.engines.registry import (
    EngineRegistry,
    UnknownEngineError,
    default_engine_for,
    default_registry,
)

__all__ = [
    "Category",
    "Engine",
    "EngineRegistry",
    "LaunchContext",
    "LaunchSpec",
    "ModelFormat",
    "ModelProfile",
    "ModelProfileError",
    "PlacementRequest",
    "ResourceEstimate",
    "ResponseQuirks",
    "UnknownEngineError",
    "default_engine_for",
    "default_registry",
    "profile_model",
]
