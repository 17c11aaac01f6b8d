"""Errors in Anthropic's shape: `{"type": "error", "error": {"type", "message"}}`."""

from __future__ import annotations

from ..errors import GatewayError, normalize_upstream_error
from ..jsonio import dumps, loads

# Anthropic's error type for each HTTP status the gateway answers.
_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def error_type(status: int) -> str:
    return _TYPES.get(status) or ("api_error" if status >= 500 else "invalid_request_error")


def error_doc(status: int, message: str) -> dict[str, object]:
    return {"type": "error", "error": {"type": error_type(status), "message": message}}


def error_body(error: GatewayError) -> bytes:
    return dumps(error_doc(error.status, error.message))


def upstream_error_body(status: int, body: bytes) -> bytes:
    """An engine's error answer (any shape), keeping its message."""
    doc = loads(normalize_upstream_error(status, body))
    return dumps(error_doc(status, str(doc["error"]["message"])))
