"""`/v1/embeddings` and `/v1/rerank` over any text model with the `TextModel` shape.

`/v1/rerank` uses the model as a cross-encoder when it has a 1-logit head. Otherwise it ranks
by cosine similarity of embeddings (an embedding-similarity reranker); the server says which
in its log and `/v1/models` metadata.
"""

from __future__ import annotations

import base64
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from aiohttp import web

from gpustack.engines.builtin.http_app import LoadedModel, choice_field, read_json_object
from gpustack.engines.builtin.openai_errors import invalid

_log = logging.getLogger(__name__)
EMBEDDING_SIMILARITY = "embedding-similarity"
CROSS_ENCODER = "cross-encoder"


class TextModel(Protocol):
    """A text encoder (blocking calls): unit-length embeddings, or cross-encoder logits."""

    is_cross_encoder: bool
    max_tokens: int

    def embed(self, texts: Sequence[str]) -> tuple[npt.NDArray[np.float32], int]: ...

    def score_pairs(
        self, query: str, documents: Sequence[str]
    ) -> tuple[npt.NDArray[np.float32], int]: ...


MODEL: web.AppKey[LoadedModel[TextModel]] = web.AppKey("model", LoadedModel)


def reranker_kind(model: TextModel) -> str:
    """Which reranker `/v1/rerank` is; logged, since similarity is a stand-in for a real one."""
    if model.is_cross_encoder:
        _log.info("/v1/rerank: cross-encoder (sigmoid of the model's relevance logit)")
        return CROSS_ENCODER
    _log.info("/v1/rerank: no cross-encoder head; embedding-similarity reranker (cosine)")
    return EMBEDDING_SIMILARITY


def _texts(body: Mapping[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    if value is None:
        raise invalid(f"'{name}' is required", name)
    raise invalid(f"'{name}' must be a string or a non-empty list of strings", name)


def _usage(tokens: int) -> dict[str, int]:
    return {"prompt_tokens": tokens, "total_tokens": tokens}


async def embeddings(request: web.Request) -> web.Response:
    state = request.app[MODEL]
    if state.model.is_cross_encoder:
        raise invalid("this model is a cross-encoder: it serves /v1/rerank, not embeddings")
    body = await read_json_object(request)
    texts = _texts(body, "input")
    encoding = choice_field(body, "encoding_format", "float", ("float", "base64"))
    vectors, tokens = await state.run_blocking(state.model.embed, texts)
    data = [
        {
            "object": "embedding",
            "index": i,
            "embedding": (
                base64.b64encode(v.astype("<f4").tobytes()).decode()
                if encoding == "base64"
                else v.tolist()
            ),
        }
        for i, v in enumerate(vectors)
    ]
    return web.json_response(
        {"object": "list", "data": data, "model": state.name, "usage": _usage(tokens)}
    )


def relevance(model: TextModel, query: str, documents: Sequence[str]) -> tuple[list[float], int]:
    """Scores in 0-1: sigmoid of the cross-encoder logit, else cosine clipped at 0."""
    if model.is_cross_encoder:
        logits, tokens = model.score_pairs(query, documents)
        return [1.0 / (1.0 + math.exp(-float(x))) for x in logits], tokens
    vectors, tokens = model.embed([query, *documents])
    cosines = vectors[1:] @ vectors[0]
    return [float(np.clip(c, 0.0, 1.0)) for c in cosines], tokens


async def rerank(request: web.Request) -> web.Response:
    state = request.app[MODEL]
    body = await read_json_object(request)
    query = body.get("query")
    if not isinstance(query, str) or not query:
        raise invalid("'query' must be a non-empty string", "query")
    documents = _texts(body, "documents")
    top_n = body.get("top_n")
    if top_n is not None and (not isinstance(top_n, int) or top_n < 1):
        raise invalid("'top_n' must be a positive integer", "top_n")
    scores, tokens = await state.run_blocking(relevance, state.model, query, documents)
    order = sorted(range(len(documents)), key=lambda i: scores[i], reverse=True)
    # Clients such as Dify ask for more than they send; clamp rather than refuse.
    keep = order[: min(top_n or len(documents), len(documents))]
    with_documents = body.get("return_documents", True) is not False
    results = []
    for i in keep:
        item: dict[str, Any] = {"index": i, "relevance_score": scores[i]}
        if with_documents:
            item["document"] = {"text": documents[i]}
        results.append(item)
    return web.json_response({"model": state.name, "results": results, "usage": _usage(tokens)})


ROUTES = (web.post("/v1/embeddings", embeddings), web.post("/v1/rerank", rerank))
