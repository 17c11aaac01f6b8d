"""The llama.cpp launcher as a real process on loopback, with the offline test models."""

from __future__ import annotations

import base64
import json
import math
import signal
import struct
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import httpx

from gpustack.engines.llamacpp_launcher import build_params, build_parser
from tests.fixtures.launcher_process import LauncherProcess
from tests.fixtures.models import MINILM_DIMENSIONS

Start = Callable[..., LauncherProcess]


def _png(width: int = 32, height: int = 32) -> bytes:
    """A solid-colour RGB PNG, written with the standard library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes((200, 30, 30)) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def test_flags_map_onto_llama_cpp_params(tiny_llama_gguf: Path) -> None:
    args = build_parser().parse_args(
        ["--model", str(tiny_llama_gguf), "--port", "1", "--alias", "tiny", "-c", "256", "-np", "2"]
    )
    params = build_params(args)

    assert params.model_alias == {"tiny"}
    assert (params.n_ctx, params.n_parallel, params.port) == (256, 2, 1)


def test_context_defaults_to_the_models_when_smaller(tiny_llama_gguf: Path) -> None:
    args = build_parser().parse_args(["--model", str(tiny_llama_gguf), "--port", "1"])

    assert build_params(args).n_ctx == 512


def test_chat_completion_and_stream(start_launcher: Start, tiny_llama_gguf: Path) -> None:
    server = start_launcher("--model", str(tiny_llama_gguf), "--alias", "tiny")
    body = {"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}

    reply = httpx.post(f"{server.base_url}/v1/chat/completions", json=body, timeout=10)
    assert reply.status_code == 200
    answer = reply.json()
    assert answer["model"] == "tiny"
    assert answer["choices"][0]["message"]["content"]
    assert answer["usage"]["completion_tokens"] == 8

    chunks: list[dict[str, object]] = []
    stream_body = {**body, "stream": True}
    with httpx.stream("POST", f"{server.base_url}/v1/chat/completions", json=stream_body) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                chunks.append(json.loads(line.removeprefix("data: ")))
    assert len(chunks) >= 8
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"  # type: ignore[index]


def test_embeddings_rank_the_related_sentence_first(
    start_launcher: Start, minilm_embedding_gguf: Path
) -> None:
    server = start_launcher(
        "--model", str(minilm_embedding_gguf), "--alias", "minilm", "--embedding"
    )
    texts = ["Where is the Eiffel tower?", "The Eiffel Tower is in Paris.", "Bananas are yellow."]

    reply = httpx.post(
        f"{server.base_url}/v1/embeddings", json={"model": "minilm", "input": texts}, timeout=10
    )

    assert reply.status_code == 200
    vectors = [item["embedding"] for item in reply.json()["data"]]
    assert all(len(v) == MINILM_DIMENSIONS for v in vectors)
    related, unrelated = _cosine(vectors[0], vectors[1]), _cosine(vectors[0], vectors[2])
    # sentence-transformers gives 0.86 and -0.01 for these pairs.
    assert related > 0.7
    assert related - unrelated > 0.5


def test_rerank_scores_every_document(start_launcher: Start, minilm_reranker_gguf: Path) -> None:
    server = start_launcher("--model", str(minilm_reranker_gguf), "--alias", "rr", "--reranking")
    documents = ["Bananas are yellow.", "The Eiffel Tower is in Paris.", "GPUs do math."]

    reply = httpx.post(
        f"{server.base_url}/v1/rerank",
        json={"model": "rr", "query": "Where is the Eiffel tower?", "documents": documents},
        timeout=10,
    )

    assert reply.status_code == 200
    results = reply.json()["results"]
    assert sorted(r["index"] for r in results) == [0, 1, 2]
    # Declared in LlamaCppEngine.quirks: sorted by score, no documents echoed back.
    scores = [r["relevance_score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    assert all("document" not in r for r in results)


def test_image_chat_goes_through_the_projector(
    start_launcher: Start, tiny_vision_model_dir: Path
) -> None:
    model = tiny_vision_model_dir / "tiny-llama.gguf"
    projector = next(iter(tiny_vision_model_dir.glob("mmproj-*.gguf")))
    server = start_launcher("--model", str(model), "--mmproj", str(projector), "--alias", "vis")
    image = "data:image/png;base64," + base64.b64encode(_png()).decode()

    def prompt_tokens(content: object) -> int:
        body = {
            "model": "vis",
            "messages": [{"role": "user", "content": content}],
            "max_tokens": 2,
        }
        reply = httpx.post(f"{server.base_url}/v1/chat/completions", json=body, timeout=10)
        assert reply.status_code == 200, reply.text
        tokens: int = reply.json()["usage"]["prompt_tokens"]
        return tokens

    text_only = prompt_tokens([{"type": "text", "text": "what is this?"}])
    with_image = prompt_tokens(
        [
            {"type": "text", "text": "what is this?"},
            {"type": "image_url", "image_url": {"url": image}},
        ]
    )
    # The 16 image patches reach the model as extra prompt tokens.
    assert with_image > text_only


def test_sigterm_stops_the_launcher(start_launcher: Start, tiny_llama_gguf: Path) -> None:
    server = start_launcher("--model", str(tiny_llama_gguf))
    began = time.monotonic()

    server.process.send_signal(signal.SIGTERM)

    assert server.process.wait(timeout=5) == 0
    assert time.monotonic() - began < 5
