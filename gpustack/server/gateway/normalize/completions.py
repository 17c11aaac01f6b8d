"""Chat and text completions: `usage` must always be present (clients count tokens with it)."""

from __future__ import annotations

from typing import Any


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
