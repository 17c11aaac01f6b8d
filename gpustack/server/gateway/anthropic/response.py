"""A chat completion as an Anthropic message: content blocks, `stop_reason`, `usage`."""

from __future__ import annotations

import uuid
from typing import Any

from ..chat_stream import as_dict
from ..jsonio import loads

_STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


def message_id() -> str:
    return "msg_" + uuid.uuid4().hex


def tool_use_id() -> str:
    return "toolu_" + uuid.uuid4().hex


def stop_reason(finish_reason: str | None, called_tools: bool) -> str:
    """Anthropic's `stop_reason` for a chat `finish_reason` (engines may say `stop` for calls)."""
    if called_tools and finish_reason in (None, "stop", "tool_calls", "function_call"):
        return "tool_use"
    return _STOP_REASONS.get(finish_reason or "stop", "end_turn")


def usage(chat_usage: dict[str, Any]) -> dict[str, int]:
    return {
        "input_tokens": _int(chat_usage.get("prompt_tokens")),
        "output_tokens": _int(chat_usage.get("completion_tokens")),
    }


def tool_input(arguments: object) -> dict[str, Any]:
    """A tool call's JSON arguments as the `input` object (`{}` when they are not one)."""
    if not isinstance(arguments, str) or not arguments.strip():
        return {}
    try:
        parsed = loads(arguments)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def to_message(completion: dict[str, Any], model: str, id: str) -> dict[str, Any]:
    """The message answering a whole chat completion (which carries `usage`)."""
    choices = completion.get("choices") or [None]
    choice = as_dict(choices[0])
    message = as_dict(choice.get("message"))
    content: list[dict[str, Any]] = []
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        content.append({"type": "thinking", "thinking": reasoning, "signature": ""})
    text = message.get("content")
    if isinstance(text, str) and text:
        content.append({"type": "text", "text": text})
    calls = [c for c in message.get("tool_calls") or () if isinstance(c, dict)]
    for call in calls:
        function = as_dict(call.get("function"))
        content.append(
            {
                "type": "tool_use",
                "id": call.get("id") or tool_use_id(),
                "name": function.get("name") or "",
                "input": tool_input(function.get("arguments")),
            }
        )
    if not content:
        content.append({"type": "text", "text": ""})  # clients read content[0]
    return {
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason(choice.get("finish_reason"), bool(calls)),
        "stop_sequence": None,
        "usage": usage(completion.get("usage") or {}),
    }


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
