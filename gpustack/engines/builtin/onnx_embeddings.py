"""Text embeddings and rerank from an ONNX model (`-m gpustack.engines.builtin.onnx_embeddings`).

`/v1/rerank` uses the model as a cross-encoder when it has a 1-logit head. Otherwise it ranks
by cosine similarity of embeddings (an embedding-similarity reranker), and says so in its log
and in `/v1/models` metadata.
"""

from __future__ import annotations

import base64
import logging
import math
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from aiohttp import web

from gpustack.engines.builtin.http_app import (
    ModelState,
    ServerOptions,
    build_parser,
    choice_field,
    create_app,
    read_json_object,
    serve,
    server_options,
)
from gpustack.engines.builtin.onnx_text_model import OnnxTextModel, locate_files
from gpustack.engines.builtin.openai_errors import invalid

MODEL: web.AppKey[ModelState[OnnxTextModel]] = web.AppKey("model", ModelState)
_log = logging.getLogger(__name__)
EMBEDDING_SIMILARITY = "embedding-similarity"
CROSS_ENCODER = "cross-encoder"


def load(options: ServerOptions) -> tuple[OnnxTextModel, Mapping[str, Any]]:
    model = OnnxTextModel(locate_files(options.model_path), options.threads)
    reranker = CROSS_ENCODER if model.is_cross_encoder else EMBEDDING_SIMILARITY
    if not model.is_cross_encoder:
        _log.info("rerank: no cross-encoder head; ranking by %s (cosine)", reranker)
    meta = {"max_tokens": model.max_tokens, "reranker": reranker, "engine": "onnxruntime"}
    return model, meta


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


def relevance(
    model: OnnxTextModel, query: str, documents: Sequence[str]
) -> tuple[list[float], int]:
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


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser(
        "gpustack.engines.builtin.onnx_embeddings",
        "Serve an ONNX text model's embeddings and rerank over OpenAI-compatible HTTP.",
    )
    options = server_options(parser.parse_args(argv))
    serve(create_app(options, MODEL, load, ROUTES), options)


if __name__ == "__main__":
    main(sys.argv[1:])
