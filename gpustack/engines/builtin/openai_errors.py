"""Errors in the OpenAI shape, raised by handlers and rendered by one middleware."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

_log = logging.getLogger(__name__)


class OpenAIError(Exception):
    """A request the server refuses, rendered as `{"error": {message, type, param, code}}`."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        param: str | None = None,
        code: str | None = None,
        error_type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.param = param
        self.code = code
        self.error_type = error_type

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.error_type,
                "param": self.param,
                "code": self.code,
            }
        }


def invalid(message: str, param: str | None = None) -> OpenAIError:
    """A 400 for a request that cannot be served as sent."""
    return OpenAIError(message, param=param, code="invalid_request")


@web.middleware
async def openai_error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure leaves the server in the OpenAI error shape, never as HTML or a traceback."""
    try:
        return await handler(request)
    except OpenAIError as exc:
        return web.json_response(exc.body(), status=exc.status)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        error = OpenAIError(exc.reason, status=exc.status, code=str(exc.status))
        return web.json_response(error.body(), status=exc.status)
    except Exception as exc:  # the server must answer something useful and keep running
        _log.exception("request to %s failed", request.path)
        error = OpenAIError(
            f"internal error: {exc}", status=500, code="internal_error", error_type="server_error"
        )
        return web.json_response(error.body(), status=500)
