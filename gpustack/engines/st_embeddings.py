"""Hugging Face text encoders (embeddings, rerank) with sentence-transformers on CPU (torch)."""

from __future__ import annotations

from gpustack.engines.base import Category, ModelFormat
from gpustack.engines.builtin.launch import MIB, BuiltinEngine


class SentenceTransformersEngine(BuiltinEngine):
    """Embeddings and rerank from safetensors folders; torch is an optional install."""

    name = "sentence-transformers"
    module = "gpustack.engines.builtin.st_embeddings"
    formats = frozenset({ModelFormat.SAFETENSORS})
    categories = frozenset({Category.EMBEDDING, Category.RERANKER})
    # Measured: MiniLM (91 MB fp32) peaks at ~530 MB RSS, most of it torch itself.
    weights_factor = 1.5
    overhead_bytes = 448 * MIB
