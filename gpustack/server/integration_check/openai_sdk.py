"""The official OpenAI Python SDK on `/v1-openai`: its default request shapes."""

from __future__ import annotations

import base64

from gpustack.engines.base import Category

from .probe import Probe, json_doc, read_chat, read_chat_stream
from .samples import silent_wav

CLIENT = "OpenAI SDK"
PREFIX = "/v1-openai"


def _read_base64_embeddings(status: int, content_type: str, body: bytes) -> str | None:
    doc = json_doc(body)
    data = None if doc is None else doc.get("data")
    if not isinstance(data, list) or not data:
        return "the answer has no `data`"
    embedding = data[0].get("embedding")
    if not isinstance(embedding, str):
        return "`encoding_format: base64` was asked but the embedding is not a base64 string"
    try:
        base64.b64decode(embedding, validate=True)
    except ValueError:
        return "the base64 embedding does not decode"
    return None


def _read_audio(status: int, content_type: str, body: bytes) -> str | None:
    return None if body else "the answer has no audio bytes"


def _read_text(status: int, content_type: str, body: bytes) -> str | None:
    doc = json_doc(body)
    return None if doc is not None and "text" in doc else "the answer has no `text`"


def probes(model: str, categories: set[str]) -> list[Probe]:
    found: list[Probe] = []
    hello = [{"role": "user", "content": "Say hello"}]
    if Category.LLM in categories:
        found.append(
            Probe(
                CLIENT,
                "chat.completions.create",
                f"{PREFIX}/chat/completions",
                read_chat,
                {"messages": hello, "model": model, "max_tokens": 8},
            )
        )
        found.append(
            Probe(
                CLIENT,
                "chat stream with include_usage",
                f"{PREFIX}/chat/completions",
                read_chat_stream,
                {
                    "messages": hello,
                    "model": model,
                    "max_tokens": 8,
                    "stream": True,
                    "stream_options": {"include_usage": True},
                },
                notable={"stream_options": "the SDK sends `stream_options` for usage in streams"},
            )
        )
    if Category.EMBEDDING in categories:
        found.append(
            Probe(
                CLIENT,
                "embeddings.create (base64 by default)",
                f"{PREFIX}/embeddings",
                _read_base64_embeddings,
                {"input": "hello world", "model": model, "encoding_format": "base64"},
                notable={"encoding_format": "the SDK asks for `encoding_format: base64`"},
            )
        )
    if Category.TEXT_TO_SPEECH in categories:
        found.append(
            Probe(
                CLIENT,
                "audio.speech.create",
                f"{PREFIX}/audio/speech",
                _read_audio,
                {"input": "Hello.", "model": model, "voice": "alloy"},
                notable={"voice": "the SDK sends OpenAI voice names such as `alloy`"},
            )
        )
    if Category.SPEECH_TO_TEXT in categories:
        found.append(
            Probe(
                CLIENT,
                "audio.transcriptions.create",
                f"{PREFIX}/audio/transcriptions",
                _read_text,
                multipart=({"model": model}, "file", "speech.wav", silent_wav()),
            )
        )
    return found
