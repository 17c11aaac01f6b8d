"""The base of APIs served by translating to the engine's `/v1/chat/completions` and back.

Such an API (Anthropic Messages, OpenAI Responses) says how its request becomes a chat
completion (`translate`), how a whole chat completion becomes its answer (`answer`), and how a
chat stream becomes its events (`translator`). Everything else is shared: the image check of
chat completions, usage asked for in every stream (and estimated when the engine reports
none), prefix affinity, an engine that answers a stream request whole, and engine errors
rewritten into the API's error shape.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..asgi import Send
from ..call import Call, Outcome
from ..chat_stream import completion_as_chunk
from ..errors import GatewayError, normalize_upstream_error
from ..jsonio import dumps, loads
from ..relay import StreamTranslator, is_event_stream, read_whole, relay_translated
from ..request import ParsedBody, parse_json_body
from ..responses import JSON, SSE_HEADERS, send_bytes, send_chunk, start_stream
from ..upstream import UpstreamResponse
from .base import UpstreamRequest
from .chat import check_chat
from .completions import ensure_usage, estimate_tokens, prompt_text

# Characters of the prompt read for its token estimate.
_ESTIMATE_CHARS = 1 << 20

C = TypeVar("C")
T = TypeVar("T", bound=StreamTranslator)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatUpstream(UpstreamRequest, Generic[C]):
    # What the API needs to shape its answer (its request, translated).
    context: C
    # Tokens in the prompt, estimated (used when the engine reports no usage).
    prompt_estimate: int = 0


class TranslatedChat(ABC, Generic[C, T]):
    """An API of its own over the engine's chat completions."""

    path: str
    name: str
    upstream_path = "/v1/chat/completions"

    def __init__(self, affinity_chars: int = 0) -> None:
        # Characters of the prompt that pick an instance under prefix affinity (0: off).
        self._affinity_chars = affinity_chars

    def parse(self, body: bytes, content_type: str) -> ParsedBody:
        return parse_json_body(body)

    @abstractmethod
    def translate(self, call: Call) -> tuple[dict[str, Any], C]:
        """The chat-completion body (with `stream` when asked) and the context of the answer."""

    @abstractmethod
    def answer(self, call: Call, context: C, completion: dict[str, Any]) -> dict[str, Any]:
        """The API's answer to a whole chat completion (which carries `usage`)."""

    @abstractmethod
    def translator(self, call: Call, context: C, prompt_estimate: int) -> T:
        """A fresh translator of one chat stream into the API's events."""

    @abstractmethod
    def error_body(self, error: GatewayError) -> bytes: ...

    def upstream_error(self, status: int, body: bytes) -> bytes:
        """An engine's error answer, in the API's shape (OpenAI's unless overridden)."""
        return normalize_upstream_error(status, body)

    def streamed(self, call: Call, context: C, translator: T) -> None:
        """Called once a stream was answered to its end; nothing to do unless overridden."""

    def prepare(self, call: Call) -> ChatUpstream[C]:
        chat, context = self.translate(call)
        check_chat(chat, call.route)
        stream = chat.get("stream") is True
        if stream:
            chat["stream_options"] = {"include_usage": True}
        chars = self._affinity_chars
        return ChatUpstream(
            dumps(chat),
            stream=stream,
            chunked=stream,
            affinity_key=prompt_text(chat, chars).encode() if chars > 0 else None,
            context=context,
            prompt_estimate=estimate_tokens(prompt_text(chat, _ESTIMATE_CHARS)),
        )

    async def relay(
        self,
        call: Call,
        upstream: ChatUpstream[C],
        response: UpstreamResponse,
        send: Send,
        outcome: Outcome,
    ) -> None:
        context = upstream.context
        if upstream.stream and is_event_stream(response):
            translator = self.translator(call, context, upstream.prompt_estimate)
            await relay_translated(send, response, translator, call, outcome)
            if outcome.status < 400:
                self.streamed(call, context, translator)
            return
        body = await read_whole(response, call)
        outcome.status = response.status
        if response.status >= 400:
            error = self.upstream_error(response.status, body)
            await send_bytes(send, response.status, JSON, error)
            return
        completion = _completion(body)
        ensure_usage(completion, upstream.prompt_estimate)
        outcome.take_usage(completion["usage"])
        if not upstream.stream:
            await send_bytes(send, 200, JSON, dumps(self.answer(call, context, completion)))
            return
        # Asked for a stream, answered whole: the same events, all at once.
        translator = self.translator(call, context, upstream.prompt_estimate)
        events = translator.start() + translator.feed(completion_as_chunk(completion))
        await start_stream(send, 200, SSE_HEADERS)
        outcome.response_started = True
        await send_chunk(send, events + translator.finish(), more=False)
        self.streamed(call, context, translator)


def _completion(body: bytes) -> dict[str, Any]:
    try:
        doc = loads(body)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("choices"), list):
        raise GatewayError(
            502,
            "The engine's answer is not a chat completion.",
            type="server_error",
            code="upstream_error",
        )
    return doc
