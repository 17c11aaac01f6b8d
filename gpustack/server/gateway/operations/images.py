"""`POST /images/generations` and `/images/edits`: answers passed on as the engine sent them."""

from __future__ import annotations

from ..call import Call
from ..jsonio import dumps
from .base import JsonOperation, MultipartOperation, UpstreamRequest, json_doc


class ImageGenerations(JsonOperation):
    path = "/images/generations"
    name = "images.generations"
    upstream_path = "/v1/images/generations"

    def prepare(self, call: Call) -> UpstreamRequest:
        doc = json_doc(call)
        if "response_format" in doc:
            return UpstreamRequest(call.body)
        # OpenAI's default is `url`; clients such as Dify's image tool read only b64_json.
        doc["response_format"] = "b64_json"
        return UpstreamRequest(dumps(doc))


class ImageEdits(MultipartOperation):
    path = "/images/edits"
    name = "images.edits"
    upstream_path = "/v1/images/edits"
