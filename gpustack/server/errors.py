"""One error shape for /v2 and /auth: {"code", "reason", "message"}."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import asyncpg
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gpustack.schemas.common import NO_NUL_PATTERN, ErrorBody

logger = logging.getLogger(__name__)
DATABASE_RETRY_AFTER_S = "2"
# What a request meets while the database is down or restarting: the driver's connection
# errors, as SQLAlchemy wraps them or as they come from a new connection.
_CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    ConnectionRefusedError,
    ConnectionResetError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,
)


class ApiError(Exception):
    """Raise from any /v2 handler: becomes the error body with that status."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


def not_found(kind: str, ident: object) -> ApiError:
    return ApiError(404, f"{kind} {ident} not found")


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body = {"code": status, "reason": reason, "message": message}
    return JSONResponse(body, status_code=status, headers=headers)


def database_unreachable(exc: BaseException) -> bool:
    """Whether `exc` says the database is down or restarting (not a bad query or a conflict)."""
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return True
    seen: BaseException | None = exc
    for _ in range(6):  # SQLAlchemy wraps the adapter's error, which wraps the driver's
        if seen is None:
            return False
        if isinstance(seen, _CONNECTION_ERRORS):
            return True
        if isinstance(seen, sqlalchemy.exc.DBAPIError) and seen.orig is not None:
            seen = seen.orig
        else:
            seen = seen.__cause__ or seen.__context__
    return False


def _describe_validation(errors: list[Any]) -> str:
    parts = []
    for err in errors[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query"))
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if err.get("type") == "json_invalid":
            return "request body is not valid JSON"
        if err.get("type") == "extra_forbidden":
            msg = "unknown field"
        if (err.get("ctx") or {}).get("pattern") == NO_NUL_PATTERN:
            msg = "must not contain NUL characters"
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "invalid request: " + "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves in the error body; the OpenAPI says so (400, not FastAPI's 422)."""

    async def api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.message, exc.headers)

    async def validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(400, _describe_validation(list(exc.errors())))

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return error_response(exc.status_code, str(exc.detail), dict(exc.headers or {}) or None)

    async def database_down(_: Request, exc: Exception) -> JSONResponse:
        if not database_unreachable(exc):
            raise exc
        # The pool reconnects on its own once the database is back: tell callers to retry.
        logger.warning("database unreachable: %s", type(exc).__name__)
        message = "the database is unreachable; retry shortly"
        return error_response(503, message, {"Retry-After": DATABASE_RETRY_AFTER_S})

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    handled: tuple[type[Exception], ...] = (sqlalchemy.exc.DBAPIError, *_CONNECTION_ERRORS)
    for kind in handled:
        app.add_exception_handler(kind, database_down)
    _document_validation_errors(app)


def _document_validation_errors(app: FastAPI) -> None:
    """FastAPI documents a 422 `HTTPValidationError` on every route with parameters, but
    `validation_error` answers 400 in the error body: document that instead."""
    generate = app.openapi
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.get("responses", {})
                if responses.pop("422", None) is not None and "400" not in responses:
                    responses["400"] = {
                        "description": "Invalid request",
                        "content": {"application/json": {"schema": error_ref}},
                    }
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        components.setdefault("ErrorBody", ErrorBody.model_json_schema())
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
