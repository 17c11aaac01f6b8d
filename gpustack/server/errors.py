"""One error shape for /v2 and /auth: {"code", "reason", "message"}."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gpustack.schemas.common import NO_NUL_PATTERN, ErrorBody


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

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
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
