"""`POST /messages` and `/messages/count_tokens`: Anthropic's Messages API over chat completions.

The translation lives in `gateway/anthropic/`; every error, the gateway's own included
(authentication, limits, unknown model), is answered in Anthropic's shape. `count_tokens` is
answered by the gateway itself, with the estimate it uses for prompts (about four characters
per token, tool definitions included): engines have no common way to count a chat's tokens.
"""

from __future__ import annotations

from typing import Any

from ..anthropic.errors import error_body, upstream_error_body
from ..anthropic.request import chat_messages, chat_tools, to_chat
from ..anthropic.response import message_id, to_message
from ..anthropic.stream import MessageStream
from ..call import Call
from ..errors import GatewayError
from ..jsonio import dumps
from .base import JsonOperation, UpstreamRequest, json_doc
from .completions import estimate_tokens, prompt_text
from .translated import TranslatedChat

_COUNT_CHARS = 1 << 24


class Messages(TranslatedChat[None, MessageStream]):
    path = "/messages"
    name = "messages"

    def translate(self, call: Call) -> tuple[dict[str, Any], None]:
        return to_chat(json_doc(call)), None

    def answer(self, call: Call, context: None, completion: dict[str, Any]) -> dict[str, Any]:
        return to_message(completion, call.route.name, message_id())

    def translator(self, call: Call, context: None, prompt_estimate: int) -> MessageStream:
        return MessageStream(message_id(), call.route.name, prompt_estimate)

    def error_body(self, error: GatewayError) -> bytes:
        return error_body(error)

    def upstream_error(self, status: int, body: bytes) -> bytes:
        return upstream_error_body(status, body)


class CountTokens(JsonOperation):
    path = "/messages/count_tokens"
    name = "messages.count_tokens"
    upstream_path = "/v1/messages/count_tokens"  # never called: answered here

    def prepare(self, call: Call) -> UpstreamRequest:
        doc = json_doc(call)
        chat: dict[str, Any] = {"messages": chat_messages(doc)}
        tokens = estimate_tokens(prompt_text(chat, _COUNT_CHARS))
        if doc.get("tools"):
            tokens += estimate_tokens(dumps(chat_tools(doc["tools"])).decode())
        return UpstreamRequest(call.body, answer=dumps({"input_tokens": tokens}))

    def error_body(self, error: GatewayError) -> bytes:
        return error_body(error)
