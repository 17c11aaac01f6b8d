"""ONNX text models (embeddings, rerank) on the built-in onnxruntime server, CPU only."""

from __future__ import annotations

from gpustack.engines.base import Category, ModelFormat
from gpustack.engines.builtin.launch import MIB, BuiltinEngine


class OnnxEmbeddingsEngine(BuiltinEngine):
    """Sentence embeddings and rerank (cross-encoder, or embedding similarity) with onnxruntime."""

    name = "onnx-embeddings"
    module = "gpustack.engines.builtin.onnx_embeddings"
    formats = frozenset({ModelFormat.ONNX})
    categories = frozenset({Category.EMBEDDING, Category.RERANKER})
    # Measured: a 23 MB int8 MiniLM runs in ~265 MB RSS with batches of 32.
    weights_factor = 2.0
    overhead_bytes = 224 * MIB

    def accepts_architecture(self, architecture: str) -> bool:
        return architecture != "piper"
