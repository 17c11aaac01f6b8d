"""The context size llama.cpp runs with when nobody chose one.

Shared by the estimator and the launcher so the memory priced is the memory allocated.
"""

from __future__ import annotations

# A model's trained context can be 128k tokens or more; its KV cache alone would then
# dwarf the weights. GPUStack's default is 8192 and users raise it with --ctx-size.
DEFAULT_CONTEXT_SIZE = 8192


def default_context_size(trained_context: int) -> int:
    """min(trained context, 8192); 8192 when the model does not say."""
    if trained_context <= 0:
        return DEFAULT_CONTEXT_SIZE
    return min(trained_context, DEFAULT_CONTEXT_SIZE)
