"""`POST /audio/speech` (relayed as it comes), `/audio/transcriptions`, `/translations`."""

from __future__ import annotations

from ..asgi import Send
from ..call import Call, Outcome
from ..relay import read_whole, relay_bytes, send_whole
from ..upstream import UpstreamResponse
from .base import JsonOperation, MultipartOperation, UpstreamRequest


class Speech(JsonOperation):
    path = "/audio/speech"
    name = "audio.speech"
    upstream_path = "/v1/audio/speech"

    def prepare(self, call: Call) -> UpstreamRequest:
        return UpstreamRequest(call.body, chunked=True)

    async def relay(
        self,
        call: Call,
        upstream: UpstreamRequest,
        response: UpstreamResponse,
        send: Send,
        outcome: Outcome,
    ) -> None:
        if 200 <= response.status < 300:
            await relay_bytes(send, response, outcome)
        else:
            await send_whole(send, response, await read_whole(response, call), outcome)


class Transcriptions(MultipartOperation):
    path = "/audio/transcriptions"
    name = "audio.transcriptions"
    upstream_path = "/v1/audio/transcriptions"


class Translations(MultipartOperation):
    path = "/audio/translations"
    name = "audio.translations"
    upstream_path = "/v1/audio/translations"
