"""The Response object and its output items, built from chat completions.

Output items: `reasoning` (when the engine separates reasoning), `message` (with one
`output_text` part) and one `function_call` per tool call. A completion cut by its token limit
gives a response `incomplete` with `incomplete_details.reason` `max_output_tokens`.
"""

from __future__ import annotations

import uuid
from typing import Any

from ..chat_stream import as_dict


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def skeleton(response_id: str, created_at: int, model: str, echo: dict[str, Any]) -> dict[str, Any]:
    """The Response as it stands before any output (`in_progress`)."""
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": "in_progress",
        "model": model,
        "output": [],
        "error": None,
        "incomplete_details": None,
        "usage": None,
        **echo,
    }


def finished(
    base: dict[str, Any],
    output: list[dict[str, Any]],
    chat_usage: dict[str, Any],
    finish_reason: str | None,
) -> dict[str, Any]:
    cut = finish_reason == "length"
    return {
        **base,
        "status": "incomplete" if cut else "completed",
        "incomplete_details": {"reason": "max_output_tokens"} if cut else None,
        "output": output,
        "usage": usage(chat_usage),
    }


def failed(base: dict[str, Any], output: list[dict[str, Any]], message: str) -> dict[str, Any]:
    error = {"code": "server_error", "message": message}
    return {**base, "status": "failed", "error": error, "output": output}


def usage(chat_usage: dict[str, Any]) -> dict[str, Any]:
    prompt = _int(chat_usage.get("prompt_tokens"))
    completion = _int(chat_usage.get("completion_tokens"))
    details = chat_usage.get("prompt_tokens_details")
    cached = _int(details.get("cached_tokens")) if isinstance(details, dict) else 0
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": _int(chat_usage.get("total_tokens")) or prompt + completion,
    }


def output_items(completion: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """The output items of a whole chat completion, and its finish reason."""
    choices = completion.get("choices") or [None]
    choice = as_dict(choices[0])
    message = as_dict(choice.get("message"))
    reason = choice.get("finish_reason")
    status = "incomplete" if reason == "length" else "completed"
    items: list[dict[str, Any]] = []
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        items.append(reasoning_item(new_id("rs"), reasoning, status))
    text = message.get("content")
    if isinstance(text, str) and text:
        items.append(message_item(new_id("msg"), text, status))
    for call in message.get("tool_calls") or ():
        if isinstance(call, dict):
            function = as_dict(call.get("function"))
            arguments = function.get("arguments")
            items.append(
                function_call_item(
                    new_id("fc"),
                    call.get("id") or new_id("call"),
                    function.get("name") or "",
                    arguments if isinstance(arguments, str) else "",
                    status,
                )
            )
    if not items:
        items.append(message_item(new_id("msg"), "", status))
    return items, reason if isinstance(reason, str) else None


def output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def message_item(item_id: str, text: str | None, status: str) -> dict[str, Any]:
    """`text` None: the item as announced, before its content part."""
    content = [] if text is None else [output_text(text)]
    return {
        "id": item_id,
        "type": "message",
        "role": "assistant",
        "status": status,
        "content": content,
    }


def reasoning_item(item_id: str, text: str | None, status: str) -> dict[str, Any]:
    content = [] if text is None else [{"type": "reasoning_text", "text": text}]
    return {"id": item_id, "type": "reasoning", "summary": [], "content": content, "status": status}


def function_call_item(
    item_id: str, call_id: str, name: str, arguments: str, status: str
) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "function_call",
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    }


def assistant_message(output: list[dict[str, Any]]) -> dict[str, Any]:
    """The output as the chat message a follow-up's conversation continues from."""
    text = "".join(
        part["text"]
        for item in output
        if item["type"] == "message"
        for part in item["content"]
        if part.get("type") == "output_text"
    )
    message: dict[str, Any] = {"role": "assistant", "content": text}
    calls = [
        {
            "id": item["call_id"],
            "type": "function",
            "function": {"name": item["name"], "arguments": item["arguments"] or "{}"},
        }
        for item in output
        if item["type"] == "function_call"
    ]
    if calls:
        message["tool_calls"] = calls
    return message


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
