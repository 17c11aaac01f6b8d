"""Reading an inference request: body, `model`, and the checks made before any upstream call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from python_multipart.multipart import MultipartParser, parse_options_header

from .asgi import Receive
from .errors import GatewayError, bad_request
from .jsonio import loads
from .routes import ModelRoute


@dataclass(slots=True)
class InferenceRequest:
    """A parsed request. `doc` is the JSON body (None for multipart, forwarded as is)."""

    model: str
    body: bytes
    content_type: str
    doc: dict[str, Any] | None

    @property
    def stream(self) -> bool:
        return self.doc is not None and self.doc.get("stream") is True


async def read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise GatewayError(499, "Client closed the request.", type="client_closed")
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise GatewayError(413, f"Request body over {limit} bytes.", code="body_too_large")
            chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def parse_json_request(body: bytes, content_type: str) -> InferenceRequest:

    try:
        doc = loads(body)
    except ValueError:
        raise bad_request("The request body is not valid JSON.") from None
    if not isinstance(doc, dict):
        raise bad_request("The request body must be a JSON object.")
    model = doc.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("The 'model' field is required.", param="model")
    return InferenceRequest(model, body, content_type, doc)


def parse_multipart_request(body: bytes, content_type: str) -> InferenceRequest:
    ctype, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise bad_request("This route expects a multipart/form-data body.")
    model = _multipart_field(body, boundary, b"model")
    if not model:
        raise bad_request("The 'model' form field is required.", param="model")
    return InferenceRequest(model.strip(), body, content_type, None)


def _multipart_field(body: bytes, boundary: bytes, wanted: bytes) -> str | None:
    """The value of one text field, read without buffering file parts."""
    state: dict[str, Any] = {"header": b"", "value": b"", "name": None, "found": None}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["header"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        if state["header"].lower() == b"content-disposition":
            _, params = parse_options_header(data[start:end])
            state["name"] = params.get(b"name")

    def on_header_end() -> None:
        state["header"] = b""

    def on_part_begin() -> None:
        state["name"], state["value"] = None, b""

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["name"] == wanted:
            state["value"] += data[start:end]

    def on_part_end() -> None:
        if state["name"] == wanted and state["found"] is None:
            state["found"] = state["value"]

    parser = MultipartParser(
        boundary,
        {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_begin": on_part_begin,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        parser.write(body)
        parser.finalize()
    except Exception:
        raise bad_request("The multipart body could not be parsed.") from None
    found = state["found"]
    return found.decode("utf-8", "replace") if isinstance(found, bytes) else None


def validate_chat(doc: dict[str, Any], route: ModelRoute) -> None:
    messages = doc.get("messages")
    if not isinstance(messages, list):
        raise bad_request("'messages' must be a list of messages.", param="messages")
    if "vision" in route.capabilities:
        return
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list) and any(_is_image_part(part) for part in content):
            raise bad_request(
                f"The model '{route.name}' does not accept images: it has no vision capability.",
                param="messages",
            )


def _is_image_part(part: object) -> bool:
    return isinstance(part, dict) and part.get("type") in ("image_url", "input_image")


def prompt_text(doc: dict[str, Any], limit: int) -> str:
    """The start of the prompt (messages or prompt), used for affinity and estimates."""
    prompt = doc.get("prompt")
    if isinstance(prompt, str):
        return prompt[:limit]
    pieces: list[str] = []
    size = 0
    for message in doc.get("messages") or ():
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(
                p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
            )
        if isinstance(content, str):
            pieces.append(content)
            size += len(content)
            if size >= limit:
                break
    return "\n".join(pieces)[:limit]
