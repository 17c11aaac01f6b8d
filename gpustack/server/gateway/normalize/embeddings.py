"""Embeddings: base64 encoding for engines that only return floats; `usage` and `model`."""

from __future__ import annotations

import base64
import sys
from array import array
from typing import Any


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
