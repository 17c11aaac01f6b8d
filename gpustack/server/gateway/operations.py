"""The inference routes, and what each needs checked or rewritten before going upstream."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from .jsonio import dumps
from .normalize import RerankRequest
from .normalize.completions import estimate_tokens
from .request import InferenceRequest, prompt_text, validate_chat
from .routes import ModelRoute


class Kind(Enum):
    CHAT = "chat"
    COMPLETION = "completion"
    EMBEDDINGS = "embeddings"
    RERANK = "rerank"
    IMAGES = "images"
    SPEECH = "speech"  # audio bytes, relayed as they come
    PASSTHROUGH = "passthrough"


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    upstream_path: str
    kind: Kind
    multipart: bool = False


OPERATIONS: dict[str, Operation] = {
    "/chat/completions": Operation("chat.completions", "/v1/chat/completions", Kind.CHAT),
    "/completions": Operation("completions", "/v1/completions", Kind.COMPLETION),
    "/embeddings": Operation("embeddings", "/v1/embeddings", Kind.EMBEDDINGS),
    "/rerank": Operation("rerank", "/v1/rerank", Kind.RERANK),
    "/images/generations": Operation("images.generations", "/v1/images/generations", Kind.IMAGES),
    "/images/edits": Operation("images.edits", "/v1/images/edits", Kind.PASSTHROUGH, True),
    "/audio/speech": Operation("audio.speech", "/v1/audio/speech", Kind.SPEECH),
    "/audio/transcriptions": Operation(
        "audio.transcriptions", "/v1/audio/transcriptions", Kind.PASSTHROUGH, True
    ),
    "/audio/translations": Operation(
        "audio.translations", "/v1/audio/translations", Kind.PASSTHROUGH, True
    ),
}


@dataclass(slots=True)
class Prepared:
    """A request ready to go upstream, with what shaping its answer needs."""

    body: bytes
    stream: bool = False
    strip_usage_events: bool = False
    want_base64: bool = False
    rerank: RerankRequest | None = None
    affinity_key: bytes | None = None
    prompt_estimate: int = 0


def prepare(
    op: Operation, request: InferenceRequest, route: ModelRoute, affinity_chars: int
) -> Prepared:
    """Validate (400 before any upstream call) and rewrite the body where the contract says."""
    doc = request.doc
    prepared = Prepared(request.body)
    if doc is None:
        return prepared
    changed = False
    if op.kind is Kind.CHAT:
        validate_chat(doc, route)
    if op.kind in (Kind.CHAT, Kind.COMPLETION):
        changed = _ask_for_stream_usage(doc, prepared)
        if prepared.stream:
            prepared.prompt_estimate = estimate_tokens(prompt_text(doc, 1 << 20))
        if affinity_chars > 0:
            prepared.affinity_key = prompt_text(doc, affinity_chars).encode()
    elif op.kind is Kind.EMBEDDINGS:
        if doc.get("encoding_format") == "base64":
            # Engines differ on base64; floats work everywhere and are encoded here.
            doc["encoding_format"] = "float"
            prepared.want_base64 = changed = True
    elif op.kind is Kind.RERANK:
        prepared.rerank = RerankRequest.from_body(doc)
        doc = _replace(doc, prepared.rerank.upstream_body(doc))
        changed = True
    elif op.kind is Kind.IMAGES and "response_format" not in doc:
        # OpenAI's default is `url`; clients such as Dify's image tool read only b64_json.
        doc["response_format"] = "b64_json"
        changed = True
    if changed:
        prepared.body = dumps(doc)
    return prepared


def _ask_for_stream_usage(doc: dict[str, Any], prepared: Prepared) -> bool:
    if doc.get("stream") is not True:
        return False
    prepared.stream = True
    options = doc.get("stream_options")
    if options is None:
        # Clients like Dify never send stream_options yet need usage: the engine's final
        # `{"choices": [], "usage": ...}` event is kept and forwarded.
        doc["stream_options"] = {"include_usage": True}
        return True
    if isinstance(options, dict) and not options.get("include_usage"):
        # The client said no usage: ask anyway (for accounting) and drop that event.
        doc["stream_options"] = {**options, "include_usage": True}
        prepared.strip_usage_events = True
        return True
    return False


def _replace(doc: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    doc.clear()
    doc.update(new)
    return doc
