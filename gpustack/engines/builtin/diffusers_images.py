"""Images with a diffusers pipeline: `python -m gpustack.engines.builtin.diffusers_images`.

Serves `/v1/images/generations` (JSON) and `/v1/images/edits` (multipart image + prompt).
Answers carry base64 PNGs (`b64_json`) unless `url` is asked, which returns data: URLs.
"""

from __future__ import annotations

import base64
import io
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web
from PIL import Image, UnidentifiedImageError

from gpustack.engines.builtin.diffusion_painter import Painter
from gpustack.engines.builtin.diffusion_request import parse_image_request
from gpustack.engines.builtin.http_app import (
    LoadedModel,
    ServerOptions,
    read_json_object,
    run_server,
)
from gpustack.engines.builtin.openai_errors import invalid

MODEL: web.AppKey[LoadedModel[Painter]] = web.AppKey("model", LoadedModel)


def load(options: ServerOptions) -> tuple[Painter, Mapping[str, Any]]:
    painter = Painter(options.model_path, options.device, options.threads)
    return painter, {"engine": "diffusers", "pipeline": painter.pipeline_class}


def _answer(images: list[bytes], response_format: str) -> web.Response:
    encoded = [base64.b64encode(png).decode() for png in images]
    if response_format == "url":
        data = [{"url": f"data:image/png;base64,{e}"} for e in encoded]
    else:
        data = [{"b64_json": e} for e in encoded]
    return web.json_response({"created": int(time.time()), "data": data})


async def generations(request: web.Request) -> web.Response:
    state = request.app[MODEL]
    image_request = parse_image_request(await read_json_object(request))
    images = await state.run_blocking(state.model.generate, image_request)
    return _answer(images, image_request.response_format)


def _open_image(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise invalid(f"'image' is not a readable image: {exc}", "image") from exc
    return image


async def edits(request: web.Request) -> web.Response:
    state = request.app[MODEL]
    if not request.content_type.startswith("multipart/"):
        raise invalid("send the image as multipart/form-data with an 'image' part", "image")
    form = await request.post()
    upload = form.get("image") or form.get("image[]")
    if not isinstance(upload, web.FileField):
        raise invalid("'image' is required", "image")
    data = upload.file.read()
    if not data:
        raise invalid("'image' is empty", "image")
    source = _open_image(data)
    image_request = parse_image_request(form, edit=True)
    images = await state.run_blocking(state.model.edit, image_request, source)
    return _answer(images, image_request.response_format)


ROUTES = (
    web.post("/v1/images/generations", generations),
    web.post("/v1/images/edits", edits),
)


def main(argv: Sequence[str] | None = None) -> None:
    run_server(
        "gpustack.engines.builtin.diffusers_images",
        "Serve a diffusers pipeline as OpenAI-compatible /v1/images routes.",
        MODEL,
        load,
        ROUTES,
        argv,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
