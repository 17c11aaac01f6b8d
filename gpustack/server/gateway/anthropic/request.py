"""An Anthropic Messages request as a chat-completion request.

`system` becomes the first (system) message; text and image blocks become content parts (a
message of text alone becomes a string, which every chat template reads); an assistant's
`tool_use` blocks become its `tool_calls`; a user's `tool_result` blocks become `tool`
messages, placed before the rest of that user turn. `tools` with `input_schema` become function
tools; server tools (no schema) are refused. `output_config.format` becomes `response_format`.
Thinking blocks sent back are dropped: engines cannot check their signatures.
"""

from __future__ import annotations

from typing import Any

from ..errors import bad_request
from ..jsonio import dumps

# Sampling fields with the same meaning on both sides (`top_k` is a common engine extension).
_SAME = ("temperature", "top_p", "top_k")


def to_chat(doc: dict[str, Any]) -> dict[str, Any]:
    """The chat-completion body for a Messages request (400 for what cannot be translated)."""
    chat: dict[str, Any] = {"model": doc["model"], "messages": chat_messages(doc)}
    if doc.get("max_tokens") is not None:
        if not _is_int(doc["max_tokens"]) or doc["max_tokens"] < 1:
            raise bad_request("'max_tokens' must be a positive integer.", "max_tokens")
        chat["max_tokens"] = doc["max_tokens"]
    for key in _SAME:
        if doc.get(key) is not None:
            chat[key] = doc[key]
    stop = doc.get("stop_sequences")
    if stop:
        if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
            raise bad_request("'stop_sequences' must be a list of strings.", "stop_sequences")
        chat["stop"] = stop
    if doc.get("stream") is True:
        chat["stream"] = True
    response_format = _response_format(doc.get("output_config"))
    if response_format is not None:
        chat["response_format"] = response_format
    tools = doc.get("tools")
    if tools:
        chat["tools"] = chat_tools(tools)
        _tool_choice(doc.get("tool_choice"), chat)
    return chat


def chat_messages(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """`system` and `messages` as chat messages."""
    out: list[dict[str, Any]] = []
    system = doc.get("system")
    if system:
        out.append({"role": "system", "content": _system_text(system)})
    messages = doc.get("messages")
    if not isinstance(messages, list):
        raise bad_request("'messages' must be a list of messages.", "messages")
    for message in messages:
        if not isinstance(message, dict):
            raise bad_request("Each message must be an object.", "messages")
        role = message.get("role")
        blocks = _blocks(message.get("content"))
        if role == "assistant":
            out.append(_assistant(blocks))
        elif role == "user":
            out.extend(_user(blocks))
        else:
            raise bad_request("A message's 'role' must be 'user' or 'assistant'.", "messages")
    return out


def chat_tools(tools: object) -> list[dict[str, Any]]:
    if not isinstance(tools, list):
        raise bad_request("'tools' must be a list.", "tools")
    out: list[dict[str, Any]] = []
    for tool in tools:
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            raise bad_request("Each tool must be an object with a 'name'.", "tools")
        schema = tool.get("input_schema")
        if not isinstance(schema, dict):
            raise bad_request(
                f"The tool '{tool['name']}' has no 'input_schema': only client tools (name, "
                f"description, input_schema) are served, not server tools "
                f"({tool.get('type', 'untyped')}).",
                "tools",
            )
        function: dict[str, Any] = {"name": tool["name"], "parameters": schema}
        if isinstance(tool.get("description"), str):
            function["description"] = tool["description"]
        out.append({"type": "function", "function": function})
    return out


def _tool_choice(choice: object, chat: dict[str, Any]) -> None:
    if choice is None:
        return
    if not isinstance(choice, dict):
        raise bad_request("'tool_choice' must be an object.", "tool_choice")
    kind = choice.get("type")
    if kind == "auto":
        chat["tool_choice"] = "auto"
    elif kind == "any":
        chat["tool_choice"] = "required"
    elif kind == "none":
        chat["tool_choice"] = "none"
    elif kind == "tool" and isinstance(choice.get("name"), str):
        chat["tool_choice"] = {"type": "function", "function": {"name": choice["name"]}}
    else:
        raise bad_request(
            "'tool_choice' must be auto, any, none or tool (with a name).", "tool_choice"
        )
    if choice.get("disable_parallel_tool_use") is True:
        chat["parallel_tool_calls"] = False


def _response_format(config: object) -> dict[str, Any] | None:
    """`output_config.format` (a JSON schema) as a chat `response_format`."""
    fmt = config.get("format") if isinstance(config, dict) else None
    if fmt is None:
        return None
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        raise bad_request("'output_config.format' must be a json_schema format.", "output_config")
    if not isinstance(fmt.get("schema"), dict):
        raise bad_request("'output_config.format' needs a 'schema'.", "output_config")
    return {"type": "json_schema", "json_schema": {"name": "output", "schema": fmt["schema"]}}


def _system_text(system: object) -> str:
    if isinstance(system, str):
        return system
    if isinstance(system, list):
        texts = [b.get("text") for b in system if isinstance(b, dict) and b.get("type") == "text"]
        if len(texts) == len(system) and all(isinstance(t, str) for t in texts):
            return "\n\n".join(str(t) for t in texts)
    raise bad_request("'system' must be a string or a list of text blocks.", "system")


def _blocks(content: object) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list) and all(isinstance(b, dict) for b in content):
        return content
    raise bad_request("A message's 'content' must be a string or a list of blocks.", "messages")


def _assistant(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "text":
            texts.append(_text(block))
        elif kind == "tool_use":
            calls.append(_tool_call(block))
        elif kind not in ("thinking", "redacted_thinking"):
            raise _unsupported(kind, "assistant")
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts)}
    if calls:
        message["tool_calls"] = calls
    return message


def _user(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tool results first (they answer the previous turn's calls), then the rest of the turn."""
    results: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "text":
            parts.append({"type": "text", "text": _text(block)})
        elif kind == "image":
            parts.append(_image(block))
        elif kind == "tool_result":
            message, images = _tool_result(block)
            results.append(message)
            parts.extend(images)  # a tool message carries text only
        elif kind == "document" and _is_text_document(block):
            parts.append({"type": "text", "text": block["source"]["data"]})
        else:
            raise _unsupported(kind, "user")
    if not parts and results:
        return results
    if all(part["type"] == "text" for part in parts):
        return [*results, {"role": "user", "content": "\n\n".join(p["text"] for p in parts)}]
    return [*results, {"role": "user", "content": parts}]


def _tool_call(block: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(block.get("id"), str) or not isinstance(block.get("name"), str):
        raise bad_request("A 'tool_use' block needs an 'id' and a 'name'.", "messages")
    arguments = dumps(block.get("input") or {}).decode()
    return {
        "id": block["id"],
        "type": "function",
        "function": {"name": block["name"], "arguments": arguments},
    }


def _tool_result(block: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if not isinstance(block.get("tool_use_id"), str):
        raise bad_request("A 'tool_result' block needs a 'tool_use_id'.", "messages")
    content = block.get("content")
    texts: list[str] = []
    images: list[dict[str, Any]] = []
    if isinstance(content, str):
        texts.append(content)
    elif isinstance(content, list):
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text":
                texts.append(_text(part))
            elif kind == "image":
                images.append(_image(part))
            else:
                raise _unsupported(kind, "tool_result")
    elif content is not None:
        raise bad_request("A 'tool_result' content must be a string or blocks.", "messages")
    text = "\n\n".join(texts)
    if block.get("is_error") is True:
        text = "Error: " + text
    return {"role": "tool", "tool_call_id": block["tool_use_id"], "content": text}, images


def _image(block: dict[str, Any]) -> dict[str, Any]:
    source = block.get("source")
    if isinstance(source, dict):
        if source.get("type") == "base64":
            media, data = source.get("media_type"), source.get("data")
            if isinstance(media, str) and isinstance(data, str):
                return {"type": "image_url", "image_url": {"url": f"data:{media};base64,{data}"}}
        elif source.get("type") == "url" and isinstance(source.get("url"), str):
            return {"type": "image_url", "image_url": {"url": source["url"]}}
    raise bad_request(
        "An image needs a 'source' of type base64 (media_type, data) or url.", "messages"
    )


def _is_text_document(block: dict[str, Any]) -> bool:
    source = block.get("source")
    return (
        isinstance(source, dict)
        and source.get("type") == "text"
        and isinstance(source.get("data"), str)
    )


def _text(block: dict[str, Any]) -> str:
    text = block.get("text")
    if not isinstance(text, str):
        raise bad_request("A text block needs a string 'text'.", "messages")
    return text


def _unsupported(kind: object, where: str) -> Exception:
    return bad_request(f"Content blocks of type '{kind}' are not supported in {where} content.")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
