"""`POST /responses`: OpenAI's Responses API over chat completions.

The translation lives in `gateway/responses_api/`. Responses are kept (unless `store` is
false) in this operation's `ResponseStore`, in the server's memory, so that a follow-up can
name its predecessor in `previous_response_id`; see `responses_api/store.py` for how long.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ..call import Call
from ..errors import GatewayError
from ..responses_api.request import ResponsesRequest, translate
from ..responses_api.response import assistant_message, finished, new_id, output_items, skeleton
from ..responses_api.store import ResponseStore
from ..responses_api.stream import ResponseStream
from .base import json_doc
from .translated import TranslatedChat


@dataclass(frozen=True, slots=True)
class ResponseContext:
    request: ResponsesRequest
    base: dict[str, Any]  # the Response before any output


class Responses(TranslatedChat[ResponseContext, ResponseStream]):
    path = "/responses"
    name = "responses"

    def __init__(self, affinity_chars: int = 0, store: ResponseStore | None = None) -> None:
        super().__init__(affinity_chars)
        self.store = store or ResponseStore()

    def translate(self, call: Call) -> tuple[dict[str, Any], ResponseContext]:
        doc = json_doc(call)
        previous = None
        previous_id = doc.get("previous_response_id")
        if previous_id is not None:
            stored = None
            if isinstance(previous_id, str):
                stored = self.store.get(previous_id, call.principal.user_id)
            if stored is None:
                raise GatewayError(
                    400,
                    f"Previous response with id '{previous_id}' not found. Responses are kept "
                    "for a limited time, by the server that answered them.",
                    param="previous_response_id",
                    code="previous_response_not_found",
                )
            previous = stored.conversation
        request = translate(doc, previous)
        base = skeleton(new_id("resp"), int(time.time()), call.route.name, request.echo)
        return request.chat, ResponseContext(request, base)

    def answer(
        self, call: Call, context: ResponseContext, completion: dict[str, Any]
    ) -> dict[str, Any]:
        output, reason = output_items(completion)
        response = finished(context.base, output, completion["usage"], reason)
        self._keep(call, context, response)
        return response

    def translator(
        self, call: Call, context: ResponseContext, prompt_estimate: int
    ) -> ResponseStream:
        return ResponseStream(context.base, prompt_estimate)

    def streamed(self, call: Call, context: ResponseContext, translator: ResponseStream) -> None:
        if translator.response is not None:
            self._keep(call, context, translator.response)

    def error_body(self, error: GatewayError) -> bytes:
        return error.body()

    def _keep(self, call: Call, context: ResponseContext, response: dict[str, Any]) -> None:
        if not context.request.store:
            return
        conversation = [*context.request.conversation, assistant_message(response["output"])]
        self.store.put(response["id"], call.principal.user_id, response, conversation)
