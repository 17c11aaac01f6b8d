"""`GET /models` and `GET /models/{name}`: the models a caller may use, answered here."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote

from starlette.datastructures import Headers

from .asgi import Scope, Send
from .auth import Authenticator, authenticate_for_inference
from .errors import model_not_found
from .jsonio import dumps
from .responses import JSON, send_bytes
from .routes import ModelRoute, RouteTable

PATH = "/models"


def is_model_path(path: str) -> bool:
    return path == PATH or path.startswith(PATH + "/")


async def answer_models(
    scope: Scope, send: Send, path: str, authenticator: Authenticator, routes: RouteTable
) -> None:
    principal = await authenticate_for_inference(authenticator, Headers(scope=scope))
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    with_meta = query.get("with_meta", ["false"])[-1].lower() in ("1", "true", "yes")
    if path == PATH:
        items = [
            _model_entry(r, with_meta)
            for r in routes.all()
            if (r.endpoints or r.wakeable) and principal.may_use_model(r.name)
        ]
        await send_bytes(send, 200, JSON, dumps({"object": "list", "data": items}))
        return
    name = unquote(path[len(PATH) + 1 :])
    route = routes.get(name)
    if (
        route is None
        or not (route.endpoints or route.wakeable)
        or not principal.may_use_model(name)
    ):
        raise model_not_found(name)
    await send_bytes(send, 200, JSON, dumps(_model_entry(route, with_meta)))


def _model_entry(route: ModelRoute, with_meta: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": route.name,
        "object": "model",
        "created": route.created_at,
        "owned_by": "gpustack",
    }
    if with_meta:
        entry["categories"] = list(route.categories)
        entry["context_length"] = route.context_length
        entry["capabilities"] = list(route.capabilities)
    return entry
