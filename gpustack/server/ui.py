"""Serve the built web UI at `/`, with deep links falling back to index.html.

Files are served by Starlette's `StaticFiles`, which resolves every request path and refuses
anything that lands outside the build folder (absolute paths, `..`, symlinks pointing out).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from gpustack.server.errors import error_response
from gpustack.server.gateway.prefixes import PREFIXES

UI_DIST = Path(__file__).resolve().parent.parent / "ui_dist"
_API_PREFIXES = (*PREFIXES, "/v2", "/auth", "/metrics", "/docs", "/openapi.json")

_MISSING_UI = """<!doctype html><title>GPUStack</title>
<p>The web UI is not built. Run <code>cd ui && npm ci && npm run build</code>.
The API is at <a href="/docs">/docs</a>.</p>"""


def is_spa_route(path: str) -> bool:
    """A client-side route (`/deployments/3`), as opposed to a file the browser asks for.

    Only those get index.html when nothing matches; a missing `/assets/x.js` or `/favicon.png`
    is a plain 404, so a stale chunk never arrives as HTML.
    """
    parts = PurePosixPath(path).parts
    return not parts or (parts[0] != "assets" and "." not in parts[-1])


class SinglePageApp(StaticFiles):
    """The UI's files, index.html for client routes, and the error shape for unknown APIs."""

    def __init__(self, dist: Path) -> None:
        super().__init__(directory=dist, check_dir=False)
        self._index = dist / "index.html"

    async def get_response(self, path: str, scope: Scope) -> Response:
        if scope["path"].startswith(_API_PREFIXES):
            method, url_path = scope["method"], scope["path"]
            return error_response(404, f"no such API path: {method} {url_path}")
        try:
            if path not in ("", "."):
                return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or not is_spa_route(path):
                raise
        if self._index.is_file():
            return FileResponse(self._index, headers={"Cache-Control": "no-cache"})
        return HTMLResponse(_MISSING_UI)


def mount_ui(app: FastAPI, dist: Path = UI_DIST) -> None:
    """Serve `dist` at `/`; call it last, after every API route.

    A GET route rather than a mount, so a wrong method on an API path still answers 405.
    """
    files = SinglePageApp(dist.resolve())

    @app.get("/{path:path}", include_in_schema=False)
    async def spa(path: str, request: Request) -> Response:
        return await files.get_response(files.get_path(request.scope), request.scope)
