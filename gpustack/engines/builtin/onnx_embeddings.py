"""Text embeddings and rerank from an ONNX model (`-m gpustack.engines.builtin.onnx_embeddings`).

onnxruntime and tokenizers only: no torch. See `text_routes` for the HTTP contract.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from gpustack.engines.builtin.http_app import (
    ServerOptions,
    run_server,
)
from gpustack.engines.builtin.onnx_text_model import OnnxTextModel, locate_files
from gpustack.engines.builtin.text_routes import MODEL, ROUTES, TextModel, reranker_kind


def load(options: ServerOptions) -> tuple[TextModel, Mapping[str, Any]]:
    model = OnnxTextModel(locate_files(options.model_path), options.threads)
    meta = {
        "max_tokens": model.max_tokens,
        "reranker": reranker_kind(model),
        "engine": "onnxruntime",
    }
    return model, meta


def main(argv: Sequence[str] | None = None) -> None:
    run_server(
        "gpustack.engines.builtin.onnx_embeddings",
        "Serve an ONNX text model's embeddings and rerank over OpenAI-compatible HTTP.",
        MODEL,
        load,
        ROUTES,
        argv,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
