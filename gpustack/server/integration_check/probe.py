"""One replayed client call: the request as the client sends it, and what it reads back."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Reads the answer like the client; returns what it would choke on, or None when it is fine.
Reader = Callable[[int, str, bytes], str | None]


@dataclass(frozen=True, slots=True)
class Probe:
    client: str
    call: str
    path: str  # under the server root: /v1/..., /v1-openai/...
    reader: Reader
    json_body: dict[str, Any] | None = None
    # Multipart: (form fields, file field name, file name, file bytes).
    multipart: tuple[dict[str, str], str, str, bytes] | None = None
    method: str = "POST"
    # Fields this client sends that engines are known to refuse, each with why it is sent.
    notable: dict[str, str] = field(default_factory=dict)


def json_doc(body: bytes) -> dict[str, Any] | None:
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def sse_docs(body: bytes) -> list[dict[str, Any]] | str:
    """The events of a stream parsed as strictly as Dify does, or what breaks the parse."""
    docs: list[dict[str, Any]] = []
    for piece in body.decode(errors="replace").split("\n\n"):
        piece = piece.strip()
        if not piece or piece.startswith(":"):
            continue
        piece = piece.removeprefix("data:").strip()
        if piece == "[DONE]":
            continue
        doc = json_doc(piece.encode())
        if doc is None:
            return f"an event is not one JSON object: {piece[:80]!r}"
        if "error" in doc and "choices" not in doc:
            return f"the stream ended with an error: {json.dumps(doc['error'])[:200]}"
        if "choices" not in doc:
            return "an event has no `choices` array"
        docs.append(doc)
    return docs


def read_chat(status: int, content_type: str, body: bytes) -> str | None:
    doc = json_doc(body)
    if doc is None:
        return "the answer is not a JSON object"
    choices = doc.get("choices")
    if not isinstance(choices, list) or not choices:
        return "the answer has no `choices`"
    message = choices[0].get("message") if isinstance(choices[0], dict) else None
    if not isinstance(message, dict):
        return "`choices[0].message` is missing"
    usage = doc.get("usage")
    if not isinstance(usage, dict) or "prompt_tokens" not in usage:
        return "the answer has no `usage` (Dify then needs a tokenizer download)"
    for call in message.get("tool_calls") or ():
        arguments = (call.get("function") or {}).get("arguments")
        if not isinstance(arguments, str):
            return "`tool_calls[].function.arguments` is not a string (crashes Dify)"
    return None


def read_chat_stream(status: int, content_type: str, body: bytes) -> str | None:
    if not content_type.startswith("text/event-stream"):
        return f"the stream came as {content_type or 'no content type'}, not text/event-stream"
    docs = sse_docs(body)
    if isinstance(docs, str):
        return docs
    if not any(isinstance(d.get("usage"), dict) for d in docs):
        return "the stream carries no `usage`"
    return None
