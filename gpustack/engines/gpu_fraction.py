"""Engines that reserve a fixed fraction of each GPU (vLLM, SGLang): pricing and launch.

Such an engine allocates `fraction * total VRAM` up front and fills what the weights leave
with KV cache, so that fraction is its claim. Without the GPUs' totals, the claim falls back
to what the weights need.
"""

from __future__ import annotations

from collections.abc import Sequence

from gpustack.engines.backend_parameters import float_flag, has_flag
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

GIB = 1024 * 1024 * 1024
# Activations, CUDA graphs and fragmentation on top of the weights.
WEIGHTS_FACTOR = 1.2
GPU_OVERHEAD_BYTES = 2 * GIB
# Host memory of the API server, tokenizer and workers.
RAM_OVERHEAD_BYTES = 4 * GIB


def estimate_gpu_fraction(
    profile: ModelProfile, request: PlacementRequest, fraction: float, flag: str
) -> ResourceEstimate:
    """Per-GPU claim: `fraction` of each GPU's VRAM, never less than the weights need."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"{flag} must be in (0, 1], got {fraction}")
    gpus = max(request.gpu_count, 1)
    # Tensor parallelism shards the weights evenly across GPUs.
    needed = int((profile.weights_bytes + profile.extra_bytes) * WEIGHTS_FACTOR) // gpus
    needed += GPU_OVERHEAD_BYTES
    totals = request.total_vram_bytes_per_gpu
    if len(totals) == gpus:
        claims = tuple(max(int(total * fraction), needed) for total in totals)
        short = [i for i, total in enumerate(totals) if int(total * fraction) < needed]
        note = f"{flag} {fraction:g} of each GPU"
        if short:
            note += f"; weights need more than that fraction on GPU(s) {short}"
    else:
        claims = (needed,) * gpus
        note = "weights x1.2 + overhead (GPU totals unknown)"
    return ResourceEstimate(ram_bytes=RAM_OVERHEAD_BYTES, vram_bytes_per_gpu=claims, note=note)


class GpuFractionEngine:
    """A safetensors server on Linux CUDA that claims ``fraction_flag`` of each GPU.

    Subclasses name their flags and command; the worker adds tensor parallelism over the
    GPUs it was given and the priced context length, unless the user's parameters set them.
    """

    name: str = ""
    runs_on: frozenset[str] = frozenset({"cuda", "linux"})
    quirks = ResponseQuirks()
    served: frozenset[Category] = frozenset()
    fraction_flag: str = ""
    default_fraction: float = 0.9
    # The first flag is the one added; any of them set by the user wins.
    tensor_parallel_flags: tuple[str, ...] = ()
    context_length_flag: str = ""

    def serves(self, profile: ModelProfile, categories: Sequence[Category]) -> bool:
        return profile.format == ModelFormat.SAFETENSORS and set(categories) <= self.served

    def estimate(self, profile: ModelProfile, request: PlacementRequest) -> ResourceEstimate:
        fraction = float_flag(request.backend_parameters, self.fraction_flag)
        return estimate_gpu_fraction(
            profile, request, fraction or self.default_fraction, self.fraction_flag
        )

    def build_launch(self, ctx: LaunchContext) -> LaunchSpec:
        params = list(ctx.backend_parameters)
        argv = self.command(ctx)
        if len(ctx.gpu_indexes) > 1 and not has_flag(params, *self.tensor_parallel_flags):
            argv += [self.tensor_parallel_flags[0], str(len(ctx.gpu_indexes))]
        if ctx.context_length and not has_flag(params, self.context_length_flag):
            argv += [self.context_length_flag, str(ctx.context_length)]
        argv += self.category_flags(ctx, params)
        argv += params
        # The deployment's own variables win over the engine's defaults.
        env = {**self.launch_env(ctx), **ctx.env}
        return LaunchSpec(argv=argv, env=env, health_path="/health")

    def command(self, ctx: LaunchContext) -> list[str]:
        """The server's command line up to the flags the worker fits."""
        raise NotImplementedError

    def category_flags(self, ctx: LaunchContext, params: Sequence[str]) -> list[str]:
        """Flags the deployment's categories ask for, unless the user set them."""
        return []

    def launch_env(self, ctx: LaunchContext) -> dict[str, str]:
        return {}
