"""Rewrites of engine answers where engines differ from the `/v1` contract."""

from .completions import ensure_usage
from .embeddings import embeddings_response
from .rerank import RerankRequest, rerank_response

__all__ = ["RerankRequest", "embeddings_response", "ensure_usage", "rerank_response"]
