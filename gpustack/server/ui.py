"""Serve the built web UI at `/`, with deep links falling back to index.html.

Files are served by Starlette's `StaticFiles`, which resolves every request path and refuses
anything that lands outside the build folder (absolute paths, `..`, symlinks pointing out).
Only a file it has found is then compressed (gzip, kept in memory: the build does not change
while the server runs) and, under `assets/`, whose names carry a content hash, marked as
cacheable for good.
"""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path, PurePosixPath

from fastapi import FastAPI, Request
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from gpustack.server.errors import error_response
from gpustack.server.gateway.prefixes import PREFIXES

UI_DIST = Path(__file__).resolve().parent.parent / "ui_dist"
_API_PREFIXES = (*PREFIXES, "/v2", "/auth", "/metrics", "/docs", "/openapi.json")

# Vite names every file under assets/ by its content's hash: a changed file is a new name.
IMMUTABLE = "public, max-age=31536000, immutable"
_COMPRESSIBLE = frozenset({".js", ".mjs", ".css", ".html", ".svg", ".json", ".map", ".txt"})
_MIN_COMPRESS_BYTES = 1024  # below a packet, compressing saves nothing

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
        # (path, mtime, size) -> gzip body; bounded by the build's own files.
        self._gzipped: dict[tuple[str, int, int], bytes] = {}

    async def get_response(self, path: str, scope: Scope) -> Response:
        if scope["path"].startswith(_API_PREFIXES):
            method, url_path = scope["method"], scope["path"]
            return error_response(404, f"no such API path: {method} {url_path}")
        try:
            if path not in ("", "."):
                response = await super().get_response(path, scope)
                if PurePosixPath(path).parts[:1] == ("assets",):
                    response.headers["Cache-Control"] = IMMUTABLE
                return await self._compressed(response, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or not is_spa_route(path):
                raise
        if self._index.is_file():
            index = FileResponse(self._index, stat_result=self._index.stat())
            index.headers["Cache-Control"] = "no-cache"
            return await self._compressed(index, scope)
        return HTMLResponse(_MISSING_UI)

    async def _compressed(self, response: Response, scope: Scope) -> Response:
        """The gzip form of a found file, for a client that takes it; else `response`."""
        if not isinstance(response, FileResponse) or response.stat_result is None:
            return response  # e.g. 304 Not Modified
        file = Path(response.path)
        stat = response.stat_result
        if file.suffix not in _COMPRESSIBLE or stat.st_size < _MIN_COMPRESS_BYTES:
            return response
        response.headers["Vary"] = "Accept-Encoding"
        if not _accepts_gzip(Headers(scope=scope).get("accept-encoding", "")):
            return response
        key = (str(file), stat.st_mtime_ns, stat.st_size)
        body = self._gzipped.get(key)
        if body is None:
            body = self._gzipped[key] = await asyncio.to_thread(_gzip_file, file)
        headers = {
            name: value
            for name, value in response.headers.items()
            if name not in ("content-length", "content-type")
        }
        headers["Content-Encoding"] = "gzip"
        if "etag" in headers and not headers["etag"].startswith("W/"):
            headers["etag"] = "W/" + headers["etag"]  # same content, other bytes
        return Response(body, status_code=200, headers=headers, media_type=response.media_type)


def _accepts_gzip(accept_encoding: str) -> bool:
    for item in accept_encoding.split(","):
        name, _, params = item.partition(";")
        if name.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _gzip_file(file: Path) -> bytes:
    return gzip.compress(file.read_bytes(), compresslevel=6, mtime=0)


def mount_ui(app: FastAPI, dist: Path = UI_DIST) -> None:
    """Serve `dist` at `/`; call it last, after every API route.

    A GET route rather than a mount, so a wrong method on an API path still answers 405.
    """
    files = SinglePageApp(dist.resolve())

    @app.get("/{path:path}", include_in_schema=False)
    async def spa(path: str, request: Request) -> Response:
        return await files.get_response(files.get_path(request.scope), request.scope)
