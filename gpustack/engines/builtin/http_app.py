"""The tiny aiohttp app every built-in engine shares: CLI flags, /health, /v1/models, serving.

A server module supplies a loader (blocking, run in a thread before the port opens, so
`/health` answers only once the model is ready) and its routes. Inference is blocking too;
`run_blocking` runs it in a thread, one call at a time, so memory stays at one batch.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from aiohttp import web

from gpustack.engines.builtin.openai_errors import invalid, openai_error_middleware

T = TypeVar("T")
M = TypeVar("M")

# Audio and images arrive in request bodies; aiohttp's default cap is 1 MiB.
MAX_BODY_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ServerOptions:
    """The flags every built-in engine takes."""

    model_path: Path
    host: str
    port: int
    model_name: str
    threads: int
    device: str


def build_parser(prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--model-path", required=True, type=Path)
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--model-name", help="the model name clients send (default: the path)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--device", default="cpu", help="cpu, or cuda where the library can")
    return parser


def server_options(args: argparse.Namespace) -> ServerOptions:
    return ServerOptions(
        model_path=args.model_path,
        host=args.host,
        port=args.port,
        model_name=args.model_name or args.model_path.name,
        threads=args.threads,
        device=args.device,
    )


# Blocking: builds the model from the flags and says what `/v1/models` tells about it.
Loader = Callable[[ServerOptions], tuple[M, Mapping[str, Any]]]


@dataclass(slots=True)
class LoadedModel(Generic[M]):
    """The loaded model and what `/v1/models` tells about it."""

    name: str
    model: M
    meta: Mapping[str, Any] = field(default_factory=dict)
    created: int = field(default_factory=lambda: int(time.time()))
    # One inference at a time; requests queue here instead of multiplying memory.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def run_blocking(self, fn: Callable[..., T], *args: Any) -> T:
        async with self.lock:
            return await asyncio.to_thread(fn, *args)


def create_app(
    options: ServerOptions,
    key: web.AppKey[LoadedModel[M]],
    load: Loader[M],
    routes: Sequence[web.RouteDef],
) -> web.Application:
    """An app that loads the model at startup and serves `/health`, `/v1/models` and `routes`."""
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[openai_error_middleware])

    async def load_model(app: web.Application) -> AsyncIterator[None]:
        started = time.monotonic()
        model, meta = await asyncio.to_thread(load, options)
        app[key] = LoadedModel(name=options.model_name, model=model, meta=meta)
        logging.getLogger(__name__).info(
            "loaded %s from %s in %.2f s (%s)",
            options.model_name,
            options.model_path,
            time.monotonic() - started,
            ", ".join(f"{k}={v}" for k, v in meta.items()),
        )
        yield

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def models(request: web.Request) -> web.Response:
        state = request.app[key]
        entry = {
            "id": state.name,
            "object": "model",
            "created": state.created,
            "owned_by": "gpustack",
            "meta": dict(state.meta),
        }
        return web.json_response({"object": "list", "data": [entry]})

    app.cleanup_ctx.append(load_model)
    app.add_routes([web.get("/health", health), web.get("/v1/models", models), *routes])
    return app


def serve(app: web.Application, options: ServerOptions) -> None:
    """Serve until SIGINT/SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    web.run_app(app, host=options.host, port=options.port, print=None)


def run_server(
    prog: str,
    description: str,
    key: web.AppKey[LoadedModel[M]],
    load: Loader[M],
    routes: Sequence[web.RouteDef],
    argv: Sequence[str] | None = None,
    *,
    add_flags: Callable[[argparse.ArgumentParser], object] | None = None,
    bind: Callable[[argparse.Namespace], Loader[M]] | None = None,
) -> None:
    """A server module's `main`: parse the flags, then load and serve until SIGINT/SIGTERM.

    `add_flags` adds a server's own flags; `bind`, given the parsed flags, returns the loader
    that uses them in place of `load`.
    """
    parser = build_parser(prog, description)
    if add_flags is not None:
        add_flags(parser)
    args = parser.parse_args(argv)
    options = server_options(args)
    loader = load if bind is None else bind(args)
    serve(create_app(options, key, loader, routes), options)


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400."""
    try:
        body = await request.json()
    except ValueError as exc:
        raise invalid(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise invalid("the body must be a JSON object")
    return body


def number_field(
    body: Mapping[str, Any], name: str, default: float, low: float, high: float
) -> float:
    """A numeric field (JSON number or form string) within [low, high], or a 400."""
    value = body.get(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise invalid(f"'{name}' must be a number", name) from None
    if not low <= number <= high:
        raise invalid(f"'{name}' must be between {low:g} and {high:g}", name)
    return number


def choice_field(body: Mapping[str, Any], name: str, default: str, allowed: Sequence[str]) -> str:
    """A string field among `allowed`, or a 400 that lists them."""
    value = body.get(name)
    if value is None or value == "":
        return default
    if value not in allowed:
        raise invalid(f"'{name}' must be one of {', '.join(allowed)}; got {value!r}", name)
    return str(value)
