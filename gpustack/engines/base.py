"""The one interface every inference engine implements.

An engine module knows everything about one backend: which model formats and categories it
serves, how much RAM/VRAM a placement needs, how to build the command line of an instance,
which path answers health checks and how its responses differ from the OpenAI contract.
The scheduler, the worker supervisor and the gateway ask this interface; none of them
special-cases an engine by name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable


class Category(StrEnum):
    """What a deployment does; also the set of `/v1` routes it can serve."""

    LLM = "llm"
    EMBEDDING = "embedding"
    RERANKER = "reranker"
    IMAGE = "image"
    SPEECH_TO_TEXT = "speech_to_text"
    TEXT_TO_SPEECH = "text_to_speech"


class ModelFormat(StrEnum):
    GGUF = "gguf"
    SAFETENSORS = "safetensors"
    CTRANSLATE2 = "ctranslate2"
    ONNX = "onnx"
    DIFFUSERS = "diffusers"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ModelProfile:
    """What the scheduler must know about a model's weights to place it.

    Read from file headers (GGUF metadata, safetensors index) without loading weights.
    Byte counts are for the weights as stored.
    """

    format: ModelFormat
    architecture: str = ""
    weights_bytes: int = 0
    # Per repeating layer; lets an estimator price partial offload. 0 when unknown.
    layer_count: int = 0
    layer_bytes: int = 0
    # Bytes outside the repeating layers (embeddings, output head).
    non_layer_bytes: int = 0
    context_length: int = 0
    # f16 K+V cache bytes for one token across all layers. 0 when unknown.
    kv_bytes_per_token: int = 0
    # Extra files loaded beside the weights, e.g. a vision projector (mmproj).
    extra_bytes: int = 0
    categories: tuple[Category, ...] = ()
    capabilities: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PlacementRequest:
    """One candidate way to run an instance, priced by `Engine.estimate`."""

    gpu_count: int
    # Layers to put on GPUs; None means all of them. Ignored when gpu_count == 0.
    offload_layers: int | None = None
    context_length: int | None = None
    backend_parameters: Sequence[str] = ()
    # Total VRAM of each candidate GPU, when known; engines that claim a fraction of a
    # device (vLLM's --gpu-memory-utilization) price from it.
    total_vram_bytes_per_gpu: tuple[int, ...] = ()
    # A claim the user states for engines that cannot price themselves (`custom`).
    claimed_ram_bytes: int | None = None
    claimed_vram_bytes_per_gpu: int | None = None


@dataclass(frozen=True, slots=True)
class ResourceEstimate:
    """Memory an instance claims: RAM on the worker and VRAM on each GPU it uses."""

    ram_bytes: int
    vram_bytes_per_gpu: tuple[int, ...] = ()
    offload_layers: int | None = None
    note: str = ""
    # The context size this estimate priced, for engines that size a KV cache by it; the
    # instance is launched with exactly this size.
    context_length: int | None = None


@dataclass(frozen=True, slots=True)
class LaunchContext:
    """Everything an engine needs to build one instance's process."""

    model_name: str
    model_path: Path
    port: int
    host: str
    gpu_indexes: tuple[int, ...]
    categories: tuple[Category, ...]
    backend_parameters: Sequence[str] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    offload_layers: int | None = None
    # For `custom`: the user's command template and health path live in the model spec.
    command_template: str | None = None
    data_dir: Path | None = None
    # For `custom`: the path the user says answers health checks.
    health_path: str | None = None
    # Context size the placement was priced with; engines that take one pass it on.
    context_length: int | None = None
    # The engine version the deployment pins (`backend_version`), for engines installed
    # side by side per version.
    backend_version: str | None = None
    # A program an administrator named for that version (`executable`), used as is.
    engine_executable: str | None = None
    # llama.cpp across workers: the subordinates' rpc-servers ("host:port"), main only.
    rpc_servers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LaunchSpec:
    """A process to start: argv, environment additions and the path polled for health."""

    argv: Sequence[str]
    env: Mapping[str, str]
    health_path: str


@dataclass(frozen=True, slots=True)
class ResponseQuirks:
    """How an engine's answers differ from the `/v1` contract, for the gateway to normalise."""

    # `/rerank` results carry `document: {"text"}` (else the gateway adds them).
    rerank_returns_documents: bool = True
    # `/rerank` results come sorted by descending score and cut to `top_n`.
    rerank_sorted: bool = True
    # `/rerank` answers carry a `usage` object.
    rerank_returns_usage: bool = True
    # `/embeddings` honours `encoding_format: "base64"`.
    embeddings_base64: bool = True
    # `/rerank` scores are raw logits, not 0-1 relevance (the gateway applies a sigmoid).
    rerank_scores_are_logits: bool = False
    # The server closes a kept-alive connection after a streamed answer while still
    # advertising keep-alive: streams to it ask for `Connection: close`, so a dead connection
    # is never reused.
    closes_after_stream: bool = False


@runtime_checkable
class Engine(Protocol):
    """One inference backend."""

    name: str
    # Operating systems and accelerators it runs on, e.g. {"cpu", "cuda"} or {"cuda", "linux"};
    # {"any"} for an engine the user vouches for (`custom`).
    runs_on: frozenset[str]
    quirks: ResponseQuirks

    def serves(self, profile: ModelProfile, categories: Sequence[Category]) -> bool:
        """Whether this engine can serve that model for those categories."""
        ...

    def estimate(self, profile: ModelProfile, request: PlacementRequest) -> ResourceEstimate:
        """RAM/VRAM this placement needs (weights + cache + overhead)."""
        ...

    def build_launch(self, ctx: LaunchContext) -> LaunchSpec:
        """The command and environment of one instance."""
        ...

    def default_concurrency(self, backend_parameters: Sequence[str]) -> int | None:
        """Requests one instance runs at once with these parameters; None when the engine
        sets no bound or it is unknown. The gateway admits this many per instance unless the
        deployment names its own `max_concurrent_requests`."""
        ...
