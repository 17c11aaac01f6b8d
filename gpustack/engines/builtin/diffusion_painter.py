"""A diffusers pipeline behind text-to-image and image-to-image calls (blocking; torch).

Only the diffusers server imports this module, so torch is loaded by that process alone.
"""

from __future__ import annotations

import importlib
import io
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from gpustack.engines.builtin.diffusion_request import ImageRequest

# Pipelines and schedulers are looked up by name; diffusers' own hints are partial.
diffusers: Any = importlib.import_module("diffusers")


class Painter:
    """One loaded pipeline; swaps schedulers per request and shares weights with image-to-image."""

    def __init__(self, model_path: Path, device: str, threads: int) -> None:
        if device == "cpu":
            torch.set_num_threads(threads)
        self.device = device
        dtype = torch.float32 if device == "cpu" else torch.float16
        self._text2image: Any = diffusers.AutoPipelineForText2Image.from_pretrained(
            str(model_path), local_files_only=True, torch_dtype=dtype
        ).to(device)
        self._text2image.set_progress_bar_config(disable=True)
        self._default_scheduler = self._text2image.scheduler
        self._image2image: Any = None

    @property
    def pipeline_class(self) -> str:
        return type(self._text2image).__name__

    def generate(self, request: ImageRequest) -> list[bytes]:
        """PNG bytes of `request.n` images."""
        self._set_scheduler(request)
        images = self._text2image(
            **self._common(request), width=request.width, height=request.height
        ).images
        return [_png(image) for image in images]

    def edit(self, request: ImageRequest, source: Image.Image) -> list[bytes]:
        """PNG bytes of `request.n` variations of `source` guided by the prompt."""
        if self._image2image is None:
            self._image2image = diffusers.AutoPipelineForImage2Image.from_pipe(self._text2image)
            self._image2image.set_progress_bar_config(disable=True)
        self._set_scheduler(request)
        if request.width and request.height:
            source = source.resize((request.width, request.height))
        images = self._image2image(
            **self._common(request), image=source.convert("RGB"), strength=request.strength
        ).images
        return [_png(image) for image in images]

    def _common(self, request: ImageRequest) -> dict[str, Any]:
        args: dict[str, Any] = {
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt,
            "num_inference_steps": request.steps,
            "num_images_per_prompt": request.n,
        }
        if request.guidance_scale is not None:
            args["guidance_scale"] = request.guidance_scale
        if request.seed is not None:
            args["generator"] = torch.Generator(self.device).manual_seed(request.seed)
        return args

    def _set_scheduler(self, request: ImageRequest) -> None:
        scheduler = self._default_scheduler
        if request.scheduler or request.karras_sigmas:
            cls = getattr(diffusers, request.scheduler or type(scheduler).__name__)
            extra = {"use_karras_sigmas": True} if request.karras_sigmas else {}
            scheduler = cls.from_config(scheduler.config, **extra)
        self._text2image.scheduler = scheduler
        if self._image2image is not None:
            self._image2image.scheduler = scheduler


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
