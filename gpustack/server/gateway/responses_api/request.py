"""A Responses request as a chat-completion request.

`instructions` becomes the first (system) message; `input` (a string, or items) becomes the
messages after the conversation of `previous_response_id`: message items with `input_text` /
`output_text` / `input_image` parts, `function_call` items (the assistant's `tool_calls`) and
`function_call_output` items (`tool` messages). Function tools (flat: name, parameters) become
chat tools; built-in tools (web search, files, ...) are refused. `text.format` becomes
`response_format`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import bad_request

# Request fields a Response repeats, with the value it shows when the request left them out.
_ECHOED: dict[str, Any] = {
    "instructions": None,
    "max_output_tokens": None,
    "metadata": {},
    "parallel_tool_calls": True,
    "previous_response_id": None,
    "temperature": None,
    "text": {"format": {"type": "text"}},
    "tool_choice": "auto",
    "tools": [],
    "top_p": None,
    "truncation": "disabled",
    "user": None,
}
_ROLES = {"user": "user", "assistant": "assistant", "system": "system", "developer": "system"}


@dataclass(frozen=True, slots=True)
class ResponsesRequest:
    """A Responses request, translated."""

    chat: dict[str, Any]  # the chat-completion body for the engine
    # The chat messages of the conversation so far, without `instructions` (a follow-up
    # carries its own): kept, with the answer, for `previous_response_id`.
    conversation: list[dict[str, Any]]
    echo: dict[str, Any]  # what the Response object repeats of the request
    store: bool


def translate(
    doc: dict[str, Any], previous: list[dict[str, Any]] | None = None
) -> ResponsesRequest:
    """`previous`: the conversation kept for `previous_response_id` (already looked up)."""
    conversation = [*(previous or ()), *input_messages(doc.get("input"))]
    messages = list(conversation)
    instructions = doc.get("instructions")
    if instructions is not None:
        if not isinstance(instructions, str):
            raise bad_request("'instructions' must be a string.", "instructions")
        messages.insert(0, {"role": "system", "content": instructions})
    chat: dict[str, Any] = {"model": doc["model"], "messages": messages}
    limit = doc.get("max_output_tokens")
    if limit is not None:
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise bad_request(
                "'max_output_tokens' must be a positive integer.", "max_output_tokens"
            )
        chat["max_tokens"] = limit
    for key in ("temperature", "top_p", "parallel_tool_calls"):
        if doc.get(key) is not None:
            chat[key] = doc[key]
    if doc.get("tools"):
        chat["tools"] = chat_tools(doc["tools"])
        if doc.get("tool_choice") is not None:
            chat["tool_choice"] = _tool_choice(doc["tool_choice"])
    response_format = _response_format(doc.get("text"))
    if response_format is not None:
        chat["response_format"] = response_format
    if doc.get("stream") is True:
        chat["stream"] = True
    echo = {key: default if doc.get(key) is None else doc[key] for key, default in _ECHOED.items()}
    return ResponsesRequest(chat, conversation, echo, doc.get("store") is not False)


def input_messages(raw: object) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [{"role": "user", "content": raw}]
    if not isinstance(raw, list):
        raise bad_request("'input' must be a string or a list of items.", "input")
    out: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("Each input item must be an object.", "input")
        kind = item.get("type", "message")
        if kind == "message":
            out.append(_message(item))
        elif kind == "function_call":
            _add_call(out, item)
        elif kind == "function_call_output":
            out.append(_call_output(item))
        elif kind != "reasoning":  # the engine cannot read reasoning back
            raise bad_request(f"Input items of type '{kind}' are not supported.", "input")
    return out


def chat_tools(tools: object) -> list[dict[str, Any]]:
    if not isinstance(tools, list):
        raise bad_request("'tools' must be a list.", "tools")
    out: list[dict[str, Any]] = []
    for tool in tools:
        if not isinstance(tool, dict) or tool.get("type") != "function":
            kind = tool.get("type") if isinstance(tool, dict) else None
            raise bad_request(
                f"Tools of type '{kind}' are not supported: only function tools are.", "tools"
            )
        if not isinstance(tool.get("name"), str):
            raise bad_request("A function tool needs a 'name'.", "tools")
        function: dict[str, Any] = {"name": tool["name"]}
        for key in ("description", "parameters", "strict"):
            if tool.get(key) is not None:
                function[key] = tool[key]
        out.append({"type": "function", "function": function})
    return out


def _tool_choice(choice: object) -> object:
    if choice in ("auto", "none", "required"):
        return choice
    if isinstance(choice, dict) and choice.get("type") == "function":
        if isinstance(choice.get("name"), str):
            return {"type": "function", "function": {"name": choice["name"]}}
    raise bad_request(
        "'tool_choice' must be auto, none, required or a function (with a name).", "tool_choice"
    )


def _response_format(text: object) -> dict[str, Any] | None:
    fmt = text.get("format") if isinstance(text, dict) else None
    if not isinstance(fmt, dict) or fmt.get("type") in (None, "text"):
        return None
    if fmt["type"] == "json_object":
        return {"type": "json_object"}
    if fmt["type"] == "json_schema":
        schema = {
            key: fmt[key] for key in ("name", "schema", "strict", "description") if key in fmt
        }
        return {"type": "json_schema", "json_schema": schema}
    raise bad_request(f"'text.format' of type '{fmt['type']}' is not supported.", "text")


def _message(item: dict[str, Any]) -> dict[str, Any]:
    role = _ROLES.get(str(item.get("role")))
    if role is None:
        raise bad_request("A message's 'role' must be user, assistant, system or developer.")
    content = item.get("content")
    if isinstance(content, str):
        return {"role": role, "content": content}
    if not isinstance(content, list):
        raise bad_request("A message's 'content' must be a string or a list of parts.", "input")
    parts = [_part(part) for part in content]
    if role != "user" or all(part["type"] == "text" for part in parts):
        if any(part["type"] != "text" for part in parts):
            raise bad_request(f"Images are accepted in user messages only, not {role}.", "input")
        return {"role": role, "content": "".join(part["text"] for part in parts)}
    return {"role": role, "content": parts}


def _part(part: object) -> dict[str, Any]:
    if not isinstance(part, dict):
        raise bad_request("Each content part must be an object.", "input")
    kind = part.get("type")
    if kind in ("input_text", "output_text") and isinstance(part.get("text"), str):
        return {"type": "text", "text": part["text"]}
    if kind == "refusal" and isinstance(part.get("refusal"), str):
        return {"type": "text", "text": part["refusal"]}
    if kind == "input_image":
        url = part.get("image_url")
        if not isinstance(url, str):
            raise bad_request("An 'input_image' needs an 'image_url' (file_id is not served).")
        image: dict[str, Any] = {"url": url}
        if part.get("detail") in ("low", "high", "auto"):
            image["detail"] = part["detail"]
        return {"type": "image_url", "image_url": image}
    raise bad_request(f"Content parts of type '{kind}' are not supported.", "input")


def _add_call(out: list[dict[str, Any]], item: dict[str, Any]) -> None:
    """A function call joins the assistant message before it (one turn's output items)."""
    if not isinstance(item.get("call_id"), str) or not isinstance(item.get("name"), str):
        raise bad_request("A 'function_call' item needs a 'call_id' and a 'name'.", "input")
    arguments = item.get("arguments")
    call = {
        "id": item["call_id"],
        "type": "function",
        "function": {
            "name": item["name"],
            "arguments": arguments if isinstance(arguments, str) else "{}",
        },
    }
    if out and out[-1]["role"] == "assistant":
        last = out[-1] = dict(out[-1])
        last["tool_calls"] = [*last.get("tool_calls", ()), call]
    else:
        out.append({"role": "assistant", "content": "", "tool_calls": [call]})


def _call_output(item: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(item.get("call_id"), str):
        raise bad_request("A 'function_call_output' item needs a 'call_id'.", "input")
    output = item.get("output")
    if isinstance(output, list):
        output = "".join(_part(part).get("text", "") for part in output)
    if not isinstance(output, str):
        raise bad_request("A 'function_call_output' needs a string 'output'.", "input")
    return {"role": "tool", "tool_call_id": item["call_id"], "content": output}
