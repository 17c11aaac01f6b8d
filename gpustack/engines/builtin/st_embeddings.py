"""Embeddings and rerank with sentence-transformers (`-m gpustack.engines.builtin.st_embeddings`).

Needs torch, which the default install does not bring; see `text_routes` for the HTTP contract.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from gpustack.engines.builtin.http_app import (
    ServerOptions,
    run_server,
)
from gpustack.engines.builtin.text_routes import MODEL, ROUTES, TextModel, reranker_kind


def load(options: ServerOptions) -> tuple[TextModel, Mapping[str, Any]]:
    try:
        from gpustack.engines.builtin.st_text_model import SentenceTransformerTextModel
    except ImportError as exc:
        raise SystemExit(
            f"the sentence-transformers engine needs torch and sentence-transformers ({exc}); "
            "install them, or serve an ONNX export with the onnx-embeddings engine"
        ) from exc

    model = SentenceTransformerTextModel(options.model_path, options.device, options.threads)
    meta = {
        "max_tokens": model.max_tokens,
        "reranker": reranker_kind(model),
        "engine": "sentence-transformers",
    }
    return model, meta


def main(argv: Sequence[str] | None = None) -> None:
    run_server(
        "gpustack.engines.builtin.st_embeddings",
        "Serve a sentence-transformers model's embeddings and rerank over OpenAI-compatible HTTP.",
        MODEL,
        load,
        ROUTES,
        argv,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
