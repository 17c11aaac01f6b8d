"""An image request's fields, checked and mapped onto diffusers' arguments (no torch here).

Accepts OpenAI's fields plus the diffusion fields Dify's image tools send (`sampling_steps`,
`cfg_scale`, `guidance`, `sample_method`, `schedule_method`, `seed`, `negative_prompt`,
`strength`), as JSON values or multipart strings. Unknown fields are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gpustack.engines.builtin.http_app import choice_field, number_field
from gpustack.engines.builtin.openai_errors import invalid

RESPONSE_FORMATS = ("b64_json", "url")
MAX_IMAGES = 10
MAX_SIDE = 4096
DEFAULT_STEPS = 20

# Sampler names (stable-diffusion.cpp / A1111 style, as Dify sends) → diffusers scheduler
# classes. Names not listed keep the pipeline's own scheduler.
SCHEDULERS = {
    "euler": "EulerDiscreteScheduler",
    "euler_a": "EulerAncestralDiscreteScheduler",
    "heun": "HeunDiscreteScheduler",
    "dpm2": "KDPM2DiscreteScheduler",
    "dpm++2m": "DPMSolverMultistepScheduler",
    "dpm++2s_a": "DPMSolverSinglestepScheduler",
    "dpm++2mv2": "DPMSolverMultistepScheduler",
    "ddim": "DDIMScheduler",
    "ddim_trailing": "DDIMScheduler",
    "lcm": "LCMScheduler",
    "pndm": "PNDMScheduler",
    "unipc": "UniPCMultistepScheduler",
}


@dataclass(frozen=True, slots=True)
class ImageRequest:
    """What to paint, in diffusers' terms."""

    prompt: str
    negative_prompt: str | None
    n: int
    width: int | None
    height: int | None
    steps: int
    guidance_scale: float | None
    seed: int | None
    scheduler: str | None
    karras_sigmas: bool
    response_format: str
    # Image-to-image only: how far from the input image to go (0 keeps it, 1 ignores it).
    strength: float = 0.75


def parse_image_request(body: Mapping[str, Any], *, edit: bool = False) -> ImageRequest:
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise invalid("'prompt' must be a non-empty string", "prompt")
    negative = body.get("negative_prompt")
    width, height = _size(body.get("size"))
    steps = body.get("sampling_steps", body.get("num_inference_steps"))
    guidance = body.get("cfg_scale", body.get("guidance_scale", body.get("guidance")))
    sampler = str(body.get("sample_method") or "").lower()
    return ImageRequest(
        prompt=prompt,
        negative_prompt=str(negative) if negative else None,
        n=int(number_field(body, "n", 1, 1, MAX_IMAGES)),
        width=width,
        height=height,
        steps=int(number_field({"sampling_steps": steps}, "sampling_steps", DEFAULT_STEPS, 1, 500)),
        guidance_scale=(
            number_field({"cfg_scale": guidance}, "cfg_scale", 0, 0, 50)
            if guidance not in (None, "")
            else None
        ),
        seed=_seed(body.get("seed")),
        scheduler=SCHEDULERS.get(sampler),
        karras_sigmas=str(body.get("schedule_method") or "").lower() == "karras",
        # Dify's image tools send no response_format and read only b64_json.
        response_format=choice_field(body, "response_format", "b64_json", RESPONSE_FORMATS),
        strength=number_field(body, "strength", 0.75, 0.0, 1.0) if edit else 0.75,
    )


def _size(value: Any) -> tuple[int | None, int | None]:
    if value in (None, "", "auto"):
        return None, None
    try:
        width, height = (int(v) for v in str(value).lower().split("x"))
    except ValueError:
        raise invalid("'size' must look like 512x512", "size") from None
    for side in (width, height):
        if not 8 <= side <= MAX_SIDE or side % 8:
            raise invalid(f"'size' sides must be multiples of 8 up to {MAX_SIDE}", "size")
    return width, height


def _seed(value: Any) -> int | None:
    if value in (None, "", -1, "-1"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid("'seed' must be an integer", "seed") from None
