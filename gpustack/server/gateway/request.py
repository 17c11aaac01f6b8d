"""Reading an inference request's body and its `model`, as JSON or as a multipart form."""

from __future__ import annotations

from typing import Any, NamedTuple

from python_multipart.multipart import MultipartParser, parse_options_header

from .asgi import Receive
from .errors import GatewayError, bad_request
from .jsonio import loads


class ParsedBody(NamedTuple):
    """The model a body names, and the body as JSON (None for multipart, forwarded as is)."""

    model: str
    doc: dict[str, Any] | None


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


def parse_json_body(body: bytes) -> ParsedBody:
    try:
        doc = loads(body)
    except ValueError:
        raise bad_request("The request body is not valid JSON.") from None
    if not isinstance(doc, dict):
        raise bad_request("The request body must be a JSON object.")
    model = doc.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("The 'model' field is required.", param="model")
    return ParsedBody(model, doc)


def parse_multipart_body(body: bytes, content_type: str) -> ParsedBody:
    ctype, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise bad_request("This route expects a multipart/form-data body.")
    model = _multipart_field(body, boundary, b"model")
    if not model:
        raise bad_request("The 'model' form field is required.", param="model")
    return ParsedBody(model.strip(), None)


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
