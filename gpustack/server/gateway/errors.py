"""Gateway errors, always rendered in the OpenAI shape `{"error": {message, type, param, code}}`."""

from __future__ import annotations

from .jsonio import dumps, loads
from .upstream import UpstreamBroken, UpstreamConnectError, UpstreamError, UpstreamTimeout


class GatewayError(Exception):
    """An error answered to the client before or instead of an upstream response."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.retry_after = retry_after

    def body(self) -> bytes:
        return error_body(self.message, self.type, self.code, self.param)


def error_body(message: str, type: str, code: str | int | None, param: str | None = None) -> bytes:
    return dumps({"error": {"message": message, "type": type, "param": param, "code": code}})


def unauthorized() -> GatewayError:
    return GatewayError(
        401,
        "Invalid or missing API key. Send it as 'Authorization: Bearer <key>'.",
        type="authentication_error",
        code="invalid_api_key",
    )


def forbidden_scope() -> GatewayError:
    return GatewayError(
        403,
        "This API key may not call the inference API (its scope is management only).",
        type="permission_error",
        code="insufficient_scope",
    )


def model_not_found(name: str) -> GatewayError:
    # Also used for a model the key may not call: a 404 does not reveal that the name exists,
    # and clients (Dify) show a 403 as a confusing credentials problem.
    return GatewayError(
        404,
        f"The model '{name}' does not exist or you do not have access to it.",
        type="invalid_request_error",
        code="model_not_found",
        param="model",
    )


def bad_request(message: str, param: str | None = None) -> GatewayError:
    return GatewayError(400, message, type="invalid_request_error", param=param)


def no_instance(name: str) -> GatewayError:
    return GatewayError(
        503,
        f"The model '{name}' has no running instance right now. Try again later.",
        type="service_unavailable",
        code="no_running_instance",
    )


def rate_limited(message: str, retry_after: int) -> GatewayError:
    return GatewayError(
        429, message, type="rate_limit_error", code="rate_limit_exceeded", retry_after=retry_after
    )


def queue_full(model: str, waiting: int, retry_after: int) -> GatewayError:
    return GatewayError(
        429,
        f"The model '{model}' is serving all the requests it can and {waiting} more are "
        f"waiting; no place is left in its queue. Retry after {retry_after} s.",
        type="rate_limit_error",
        code="queue_full",
        retry_after=retry_after,
    )


def queue_timeout(model: str, waited_s: float, retry_after: int) -> GatewayError:
    return GatewayError(
        429,
        f"The model '{model}' had no free slot for this request within {waited_s:g} s. "
        f"Retry after {retry_after} s.",
        type="rate_limit_error",
        code="queue_timeout",
        retry_after=retry_after,
    )


def upstream_failure(exc: UpstreamError, model: str) -> GatewayError:
    """The one answer to an engine that failed, before its answer or mid-way through it."""
    if isinstance(exc, UpstreamTimeout):
        return GatewayError(
            504,
            f"The model '{model}' did not answer in time.",
            type="timeout_error",
            code="upstream_timeout",
        )
    if isinstance(exc, UpstreamBroken):
        return GatewayError(
            502,
            f"The engine's answer broke off: {exc}",
            type="server_error",
            code="upstream_broken",
        )
    if isinstance(exc, UpstreamConnectError):
        return GatewayError(
            503,
            f"No instance of '{model}' could be reached.",
            type="service_unavailable",
            code="no_reachable_instance",
        )
    return GatewayError(
        502, f"The engine failed: {exc}", type="server_error", code="upstream_error"
    )


def normalize_upstream_error(status: int, body: bytes) -> bytes:
    """Rewrite an engine's error body into the OpenAI shape, keeping its message."""

    message: str | None = None
    type_ = "server_error" if status >= 500 else "invalid_request_error"
    code: str | int | None = None
    param: str | None = None
    try:
        doc = loads(body)
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        err = doc.get("error")
        if isinstance(err, dict):
            message = _str_or_none(err.get("message"))
            type_ = _str_or_none(err.get("type")) or type_
            code = err.get("code") if isinstance(err.get("code"), (str, int)) else None
            param = _str_or_none(err.get("param"))
        else:
            message = (
                _str_or_none(doc.get("message"))
                or _str_or_none(doc.get("detail"))
                or (err if isinstance(err, str) else None)
            )
            type_ = _str_or_none(doc.get("type")) or type_
    if message is None:
        text = body.decode("utf-8", "replace").strip()
        message = text[:1000] or f"The engine answered HTTP {status}."
    return error_body(message, type_, code, param)


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
