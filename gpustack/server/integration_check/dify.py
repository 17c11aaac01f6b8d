"""Dify's GPUStack plugin: the exact bodies it sends per model type (see its contract)."""

from __future__ import annotations

from gpustack.engines.base import Category

from .probe import Probe, json_doc, read_chat, read_chat_stream
from .samples import silent_wav

CLIENT = "Dify"
_STREAM_OPTIONS = (
    "streams carry `stream_options` (the gateway asks every stream for usage, which Dify "
    "needs and never requests itself)"
)


def _read_embeddings(status: int, content_type: str, body: bytes) -> str | None:
    doc = json_doc(body)
    if doc is None or "model" not in doc:
        return "the answer has no top-level `model` (Dify's validation fails)"
    data = doc.get("data")
    if not isinstance(data, list) or not data or not isinstance(data[0].get("embedding"), list):
        return "`data[0].embedding` is not a list of numbers"
    if "total_tokens" not in (doc.get("usage") or {}):
        return "`usage.total_tokens` is missing"
    return None


def _read_rerank(status: int, content_type: str, body: bytes) -> str | None:
    doc = json_doc(body)
    results = None if doc is None else doc.get("results")
    if not isinstance(results, list) or not results:
        return "the answer has no `results`"
    for item in results:
        if not isinstance(item.get("index"), int) or not isinstance(
            item.get("relevance_score"), int | float
        ):
            return "a result lacks `index` or a numeric `relevance_score`"
        if "document" in item and not isinstance((item["document"] or {}).get("text"), str):
            return "`document` is present without a `text` string (crashes Dify)"
    return None


def _read_speech(status: int, content_type: str, body: bytes) -> str | None:
    return None if body else "the answer has no audio bytes"


def _read_transcription(status: int, content_type: str, body: bytes) -> str | None:
    doc = json_doc(body)
    return None if doc is not None and "text" in doc else "the answer has no `text`"


def probes(model: str, categories: set[str]) -> list[Probe]:
    found: list[Probe] = []
    if Category.LLM in categories:
        messages = [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "Hello"},
        ]
        found.append(
            Probe(
                CLIENT,
                "chat stream",
                "/v1/chat/completions",
                read_chat_stream,
                {
                    "model": model,
                    "stream": True,
                    "max_tokens": 8,
                    "messages": messages,
                    "stop": ["Observation"],
                    "user": "dify-user",
                },
                notable={"stream_options": _STREAM_OPTIONS, "stop": "agent apps send `stop`"},
            )
        )
        weather = {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather of a city",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
        found.append(
            Probe(
                CLIENT,
                "chat with tools",
                "/v1/chat/completions",
                read_chat,
                {
                    "model": model,
                    "stream": False,
                    "max_tokens": 16,
                    "messages": [{"role": "user", "content": "Weather in Paris?"}],
                    "tool_choice": "auto",
                    "tools": [weather],
                    "user": "dify-user",
                },
                notable={
                    "tools": "Dify agents send `tools` (Tool Call mode)",
                    "tool_choice": "Dify sends `tool_choice: auto` with tools",
                },
            )
        )
    if Category.EMBEDDING in categories:
        found.append(
            Probe(
                CLIENT,
                "embeddings",
                "/v1/embeddings",
                _read_embeddings,
                {"input": ["hello world"], "model": model, "encoding_format": "float"},
                notable={"encoding_format": "Dify sends `encoding_format: float`"},
            )
        )
    if Category.RERANKER in categories:
        found.append(
            Probe(
                CLIENT,
                "rerank (validation: 2 documents, top_n 3)",
                "/v1/rerank",
                _read_rerank,
                {
                    "model": model,
                    "query": "What is GPUStack?",
                    "documents": ["GPUStack manages GPU clusters.", "Paris is in France."],
                    "top_n": 3,
                },
                notable={"top_n": "Dify sends `top_n` 3, more than the documents it validates"},
            )
        )
    if Category.TEXT_TO_SPEECH in categories:
        found.append(
            Probe(
                CLIENT,
                "text to speech",
                "/v1/audio/speech",
                _read_speech,
                {
                    "model": model,
                    "input": "Test.",
                    "voice": "Chinese Female",
                    "response_format": "mp3",
                },
                notable={
                    "voice": "Dify sends voices like `Chinese Female`: unknown ones must fall back",
                    "response_format": "Dify always asks for `mp3`",
                },
            )
        )
    if Category.SPEECH_TO_TEXT in categories:
        found.append(
            Probe(
                CLIENT,
                "speech to text (upload named .mp3)",
                "/v1/audio/transcriptions",
                _read_transcription,
                multipart=({"model": model}, "file", "tmpab12cd34.mp3", silent_wav()),
                notable={"file": "Dify names every upload `*.mp3` whatever its format"},
            )
        )
    return found
