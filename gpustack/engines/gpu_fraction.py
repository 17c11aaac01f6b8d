"""Pricing for engines that reserve a fixed fraction of each GPU (vLLM, SGLang).

Such an engine allocates `fraction * total VRAM` up front and fills what the weights leave
with KV cache, so that fraction is its claim. Without the GPUs' totals, the claim falls back
to what the weights need.
"""

from __future__ import annotations

from gpustack.engines.base import ModelProfile, PlacementRequest, ResourceEstimate

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
