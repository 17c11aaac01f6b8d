"""What the built-in engines share as `Engine`s: CPU estimate and the `python -m` command line.

Each engine module subclasses `BuiltinEngine` and names its formats, categories, server
module and memory factor; nothing here imports the engines' heavy libraries.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from gpustack.engines.base import (
    Category,
    LaunchContext,
    LaunchSpec,
    ModelFormat,
    ModelProfile,
    PlacementRequest,
    ResourceEstimate,
    ResponseQuirks,
)

MIB = 1024 * 1024
HEALTH_PATH = "/health"


class BuiltinEngine:
    """A built-in CPU engine: one small OpenAI-compatible server module under `builtin/`."""

    name: str = ""
    runs_on: frozenset[str] = frozenset({"cpu"})
    quirks = ResponseQuirks()
    # `python -m` target of the server.
    module: str = ""
    formats: frozenset[ModelFormat] = frozenset()
    categories: frozenset[Category] = frozenset()
    # RAM ~ weights * factor + overhead: runtime buffers grow with the model, the
    # interpreter and libraries do not.
    weights_factor: float = 1.5
    overhead_bytes: int = 256 * MIB
    # The server runs one inference at a time; a few admitted at once keep it busy between
    # requests, and the rest wait in the gateway's bounded queue instead of its lock.
    concurrency: int | None = 4

    def serves(self, profile: ModelProfile, categories: Sequence[Category]) -> bool:
        wanted = set(categories) or set(profile.categories)
        return (
            profile.format in self.formats
            and bool(wanted)
            and wanted <= self.categories
            and self.accepts_architecture(profile.architecture)
        )

    def accepts_architecture(self, architecture: str) -> bool:
        """Formats shared by several engines (ONNX) are told apart by architecture."""
        return True

    def estimate(self, profile: ModelProfile, request: PlacementRequest) -> ResourceEstimate:
        ram = int(profile.weights_bytes * self.weights_factor) + self.overhead_bytes
        return ResourceEstimate(ram_bytes=ram, note="CPU only")

    def build_launch(self, ctx: LaunchContext) -> LaunchSpec:
        argv = [sys.executable, "-m", self.module, "--model-path", str(ctx.model_path)]
        argv += ["--host", ctx.host, "--port", str(ctx.port), "--model-name", ctx.model_name]
        argv += self.extra_args(ctx)
        argv += list(ctx.backend_parameters)
        env = {
            "PYTHONUNBUFFERED": "1",
            # These engines never fetch weights; fail fast if a library tries.
            "HF_HUB_OFFLINE": "1",
        }
        return LaunchSpec(argv=argv, env=env, health_path=HEALTH_PATH)

    def default_concurrency(self, backend_parameters: Sequence[str]) -> int | None:
        return self.concurrency

    def extra_args(self, ctx: LaunchContext) -> list[str]:
        """Engine-specific flags placed before the user's backend parameters."""
        return []
