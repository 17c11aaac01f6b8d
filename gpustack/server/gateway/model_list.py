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
from .routes import ModelRoute, RoutePlan, RouteTable

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
            if (r.endpoints or r.wakeable) and principal.may_call(r.name, r.access_groups)
        ]
        items.extend(
            _plan_entry(p, routes, with_meta)
            for p in routes.all_plans()
            if principal.may_use_model(p.name)
        )
        await send_bytes(send, 200, JSON, dumps({"object": "list", "data": items}))
        return
    name = unquote(path[len(PATH) + 1 :])
    route = routes.get(name)
    if route is None:
        plan = routes.plan(name)
        if plan is None or not principal.may_use_model(name):
            raise model_not_found(name)
        await send_bytes(send, 200, JSON, dumps(_plan_entry(plan, routes, with_meta)))
        return
    if not (route.endpoints or route.wakeable) or not principal.may_call(name, route.access_groups):
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


def _plan_entry(plan: RoutePlan, routes: RouteTable, with_meta: bool) -> dict[str, Any]:
    """A model route, described by its first target that is a known deployment."""
    entry: dict[str, Any] = {
        "id": plan.name,
        "object": "model",
        "created": plan.created_at,
        "owned_by": "gpustack",
    }
    if with_meta:
        first = next((r for t in plan.targets if (r := routes.get(t.model)) is not None), None)
        entry["categories"] = list(first.categories) if first is not None else ["llm"]
        entry["context_length"] = None if first is None else first.context_length
        entry["capabilities"] = [] if first is None else list(first.capabilities)
    return entry
