"""Image request fields as Dify and OpenAI clients send them, mapped onto diffusers' terms."""

from __future__ import annotations

import pytest

from gpustack.engines.builtin.diffusion_request import parse_image_request
from gpustack.engines.builtin.openai_errors import OpenAIError

# What Dify's image tool sends for text-to-image (no response_format).
DIFY_BODY = {
    "cfg_scale": 4.5,
    "model": "sd",
    "prompt": "a red apple",
    "n": 1,
    "size": "512x768",
    "sample_method": "euler",
    "sampling_steps": 20,
    "schedule_method": "discrete",
    "guidance": 4.5,
    "seed": None,
    "negative_prompt": "blurry",
}


def test_dify_request_maps_onto_diffusers_arguments() -> None:
    request = parse_image_request(DIFY_BODY)

    assert request.response_format == "b64_json"
    assert (request.width, request.height) == (512, 768)
    assert request.steps == 20
    assert request.guidance_scale == 4.5
    assert request.scheduler == "EulerDiscreteScheduler"
    assert not request.karras_sigmas
    assert request.seed is None
    assert request.negative_prompt == "blurry"


def test_multipart_strings_are_read_as_numbers() -> None:
    form = {"prompt": "p", "n": "2", "strength": "0.3", "seed": "7", "sampling_steps": "4"}

    request = parse_image_request(form, edit=True)

    assert (request.n, request.strength, request.seed, request.steps) == (2, 0.3, 7, 4)


def test_unknown_sampler_keeps_the_pipeline_scheduler_and_karras_is_honoured() -> None:
    request = parse_image_request(
        {"prompt": "p", "sample_method": "mystery", "schedule_method": "karras"}
    )

    assert request.scheduler is None
    assert request.karras_sigmas


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"prompt": ""}, "prompt"),
        ({"prompt": "p", "size": "big"}, "size"),
        ({"prompt": "p", "size": "65x64"}, "size"),
        ({"prompt": "p", "n": 0}, "n"),
        ({"prompt": "p", "response_format": "png"}, "response_format"),
        ({"prompt": "p", "seed": "lucky"}, "seed"),
    ],
)
def test_bad_fields_are_400s_naming_the_field(body: dict[str, object], param: str) -> None:
    with pytest.raises(OpenAIError) as caught:
        parse_image_request(body)

    assert caught.value.status == 400
    assert caught.value.param == param
