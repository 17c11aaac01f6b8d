"""Serve the built web UI at `/`, with deep links falling back to index.html."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import StaticFiles

from gpustack.server.errors import error_response

UI_DIST = Path(__file__).resolve().parent.parent / "ui_dist"
_API_PREFIXES = ("/v1", "/v1-openai", "/v2", "/auth", "/metrics", "/docs", "/openapi.json")

_MISSING_UI = """<!doctype html><title>GPUStack</title>
<p>The web UI is not built. Run <code>cd ui && npm ci && npm run build</code>.
The API is at <a href="/docs">/docs</a>.</p>"""


def mount_ui(app: FastAPI, dist: Path = UI_DIST) -> None:
    dist = dist.resolve()
    assets = dist / "assets"
    if assets.is_dir():
        app.mount("/assets", StaticFiles(directory=assets), name="ui-assets")

    @app.get("/{path:path}", include_in_schema=False)
    async def spa(path: str, request: Request) -> Response:
        if request.url.path.startswith(_API_PREFIXES):
            return error_response(404, f"no such API path: {request.method} {request.url.path}")
        candidate = dist / path
        # Files only from inside dist: `..` in a deep link must not escape it.
        if path and ".." not in candidate.parts and candidate.is_file():
            return FileResponse(candidate)
        index = dist / "index.html"
        if index.is_file():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return HTMLResponse(_MISSING_UI)
