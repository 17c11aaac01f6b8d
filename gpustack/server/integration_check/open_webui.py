"""Open WebUI: lists models on connect, then streams chats without extra options."""

from __future__ import annotations

from gpustack.engines.base import Category

from .probe import Probe, Reader, json_doc, read_chat_stream

CLIENT = "Open WebUI"


def _reader_listing(model: str) -> Reader:
    def read(status: int, content_type: str, body: bytes) -> str | None:
        doc = json_doc(body)
        ids = [m.get("id") for m in (doc or {}).get("data") or () if isinstance(m, dict)]
        return None if model in ids else f"`{model}` is not in GET /v1/models"

    return read


def probes(model: str, categories: set[str]) -> list[Probe]:
    found = [
        Probe(CLIENT, "connection: list models", "/v1/models", _reader_listing(model), method="GET")
    ]
    if Category.LLM in categories:
        found.append(
            Probe(
                CLIENT,
                "chat stream",
                "/v1/chat/completions",
                read_chat_stream,
                {
                    "model": model,
                    "messages": [{"role": "user", "content": "Hi"}],
                    "stream": True,
                    "max_tokens": 8,
                },
            )
        )
    return found
