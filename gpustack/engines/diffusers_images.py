"""diffusers pipelines as image generation and editing on the built-in server (torch, CPU)."""

from __future__ import annotations

from gpustack.engines.base import Category, ModelFormat
from gpustack.engines.builtin.launch import MIB, BuiltinEngine


class DiffusersEngine(BuiltinEngine):
    """`/v1/images/generations` and `/v1/images/edits` with a diffusers pipeline."""

    name = "diffusers"
    module = "gpustack.engines.builtin.diffusers_images"
    formats = frozenset({ModelFormat.DIFFUSERS})
    categories = frozenset({Category.IMAGE})
    # Weights load in float32 (often stored as fp16) plus activations; torch itself
    # takes ~450 MB before any model.
    weights_factor = 2.5
    overhead_bytes = 512 * MIB
