"""Error responses the /v2 routes declare in the OpenAPI, all in the one error body shape."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from gpustack.schemas.common import ErrorBody, Page

Responses = dict[int | str, dict[str, Any]]

_WHEN = {
    400: "Invalid request: a parameter or field fails validation, or the request is refused",
    401: "Missing, invalid or expired credentials",
    403: "Authenticated, but not allowed to do this",
    404: "No such resource (or not one the caller may see)",
    409: "Conflicts with the current state: a name in use, a resource in the wrong state",
    413: "Request body larger than the server accepts",
    502: "A worker the server had to ask failed or could not be reached",
}


def errors(*codes: int) -> Responses:
    """The OpenAPI `responses` entries for these error statuses."""
    return {code: {"model": ErrorBody, "description": _WHEN[code]} for code in codes}


# Every route behind a principal: bad input, no or bad credentials, not allowed.
AUTHENTICATED = errors(400, 401, 403)


def listing(item: type[BaseModel], *, watch: bool = True) -> Responses:
    """A list route: a page of `item`, or with `watch=true` a stream of change events."""
    ok: dict[str, Any] = {"model": Page[item]}  # type: ignore[valid-type]
    if watch:
        ok["description"] = "A page of items, or with `watch=true` a stream of change events"
        ok["content"] = {"text/event-stream": {"schema": {"type": "string"}}}
    return {200: ok}
