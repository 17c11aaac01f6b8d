"""`POST /embeddings`: floats from every engine, base64 encoded here; always `usage` and `model`."""

from __future__ import annotations

import base64
import sys
from array import array
from dataclasses import dataclass
from typing import Any

from ..call import Call
from ..jsonio import dumps
from .base import ReshapingOperation, UpstreamRequest, json_doc


@dataclass(frozen=True, slots=True, kw_only=True)
class EmbeddingsRequest(UpstreamRequest):
    # The client asked for base64: the engine is asked for floats, encoded in the answer.
    want_base64: bool = False


class Embeddings(ReshapingOperation[EmbeddingsRequest]):
    path = "/embeddings"
    name = "embeddings"
    upstream_path = "/v1/embeddings"

    def prepare(self, call: Call) -> EmbeddingsRequest:
        doc = json_doc(call)
        if doc.get("encoding_format") != "base64":
            return EmbeddingsRequest(call.body)
        # Engines differ on base64; floats work everywhere and are encoded here.
        doc["encoding_format"] = "float"
        return EmbeddingsRequest(dumps(doc), want_base64=True)

    def reshape(
        self, call: Call, upstream: EmbeddingsRequest, doc: dict[str, Any]
    ) -> dict[str, Any] | None:
        return doc if embeddings_response(doc, call.route.name, upstream.want_base64) else None


def embeddings_response(doc: dict[str, Any], model: str, want_base64: bool) -> bool:
    """Normalise an `/embeddings` answer in place; True when `doc` changed."""
    changed = False
    if want_base64:
        for item in doc.get("data") or ():
            if isinstance(item, dict) and isinstance(item.get("embedding"), list):
                item["embedding"] = floats_to_base64(item["embedding"])
                changed = True
    if "model" not in doc:
        doc["model"] = model
        changed = True
    usage = doc.get("usage")
    if not isinstance(usage, dict):
        usage = doc["usage"] = {"prompt_tokens": 0, "total_tokens": 0}
        changed = True
    if "total_tokens" not in usage:
        usage["total_tokens"] = int(usage.get("prompt_tokens") or 0)
        changed = True
    return changed


def floats_to_base64(values: list[float]) -> str:
    """OpenAI's encoding: little-endian float32, base64."""
    packed = array("f", values)
    if sys.byteorder != "little":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")
