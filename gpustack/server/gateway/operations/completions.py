"""`POST /completions`: text completions, whole or streamed, always answered with `usage`.

Chat completions (`chat.py`) are these plus message checks: what is said here holds for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..asgi import Send
from ..call import Call, Outcome
from ..jsonio import dumps
from ..relay import is_event_stream, relay_events
from ..routes import ModelRoute
from ..streaming import SseRelay
from ..upstream import UpstreamResponse
from .base import ReshapingOperation, UpstreamRequest, json_doc

# Characters of the prompt read for a token estimate of a stream the engine reports none for.
_ESTIMATE_CHARS = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class CompletionRequest(UpstreamRequest):
    # Tokens in the prompt, estimated for streams (used when the engine reports no usage).
    prompt_estimate: int = 0
    # The client declined usage in its stream: the usage event asked for here is dropped.
    strip_usage_events: bool = False


class Completions(ReshapingOperation[CompletionRequest]):
    path = "/completions"
    name = "completions"
    upstream_path = "/v1/completions"

    def __init__(self, affinity_chars: int = 0) -> None:
        # Characters of the prompt that pick an instance under prefix affinity (0: off).
        self._affinity_chars = affinity_chars

    def check(self, doc: dict[str, Any], route: ModelRoute) -> None:
        """Refuse a body the engine would fail on (400); nothing to check for plain text."""

    def prepare(self, call: Call) -> CompletionRequest:
        doc = json_doc(call)
        self.check(doc, call.route)
        stream, changed, strip = _ask_for_stream_usage(doc)
        estimate = estimate_tokens(prompt_text(doc, _ESTIMATE_CHARS)) if stream else 0
        chars = self._affinity_chars
        return CompletionRequest(
            dumps(doc) if changed else call.body,
            stream=stream,
            chunked=stream,
            affinity_key=prompt_text(doc, chars).encode() if chars > 0 else None,
            prompt_estimate=estimate,
            strip_usage_events=strip,
        )

    async def relay(
        self,
        call: Call,
        upstream: CompletionRequest,
        response: UpstreamResponse,
        send: Send,
        outcome: Outcome,
    ) -> None:
        if upstream.stream and is_event_stream(response):
            events = SseRelay(upstream.prompt_estimate, upstream.strip_usage_events)
            await relay_events(send, response, events, call, outcome)
        else:
            await self.answer_whole(call, upstream, response, send, outcome)

    def reshape(
        self, call: Call, upstream: CompletionRequest, doc: dict[str, Any]
    ) -> dict[str, Any] | None:
        if "choices" in doc and ensure_usage(doc, upstream.prompt_estimate):
            return doc
        return None


def _ask_for_stream_usage(doc: dict[str, Any]) -> tuple[bool, bool, bool]:
    """(stream, body changed, strip usage events) after asking a stream for its usage."""
    if doc.get("stream") is not True:
        return False, False, False
    options = doc.get("stream_options")
    if options is None:
        # Clients like Dify never send stream_options yet need usage: the engine's final
        # `{"choices": [], "usage": ...}` event is kept and forwarded.
        doc["stream_options"] = {"include_usage": True}
        return True, True, False
    if isinstance(options, dict) and not options.get("include_usage"):
        # The client said no usage: ask anyway (for accounting) and drop that event.
        doc["stream_options"] = {**options, "include_usage": True}
        return True, True, True
    return True, False, False


def ensure_usage(doc: dict[str, Any], prompt_estimate: int) -> bool:
    """Add an estimated `usage` when the engine sent none; True when `doc` changed."""
    usage = doc.get("usage")
    if isinstance(usage, dict) and "prompt_tokens" in usage and "completion_tokens" in usage:
        return False
    completion = 0
    for choice in doc.get("choices") or ():
        if isinstance(choice, dict):
            message = choice.get("message")
            text = message.get("content") if isinstance(message, dict) else choice.get("text")
            if isinstance(text, str):
                completion += estimate_tokens(text)
    doc["usage"] = {
        "prompt_tokens": prompt_estimate,
        "completion_tokens": completion,
        "total_tokens": prompt_estimate + completion,
    }
    return True


def estimate_tokens(text: str) -> int:
    # About four characters per token for English BPE vocabularies; only used when the
    # engine reports nothing.
    return (len(text) + 3) // 4


def prompt_text(doc: dict[str, Any], limit: int) -> str:
    """The start of the prompt (messages or prompt), used for affinity and estimates."""
    prompt = doc.get("prompt")
    if isinstance(prompt, str):
        return prompt[:limit]
    pieces: list[str] = []
    size = 0
    for message in doc.get("messages") or ():
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(
                p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
            )
        if isinstance(content, str):
            pieces.append(content)
            size += len(content)
            if size >= limit:
                break
    return "\n".join(pieces)[:limit]
