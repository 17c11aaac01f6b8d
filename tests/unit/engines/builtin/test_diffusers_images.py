"""The diffusers image server as a real process with a tiny random pipeline (needs torch)."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import httpx
import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from PIL import Image

from tests.fixtures.builtin_servers import start_builtin_server
from tests.fixtures.tiny_diffusers import write_tiny_stable_diffusion

pytestmark = pytest.mark.slow
FAST = {"model": "test-model", "size": "64x64", "sampling_steps": 2}


@pytest.fixture(scope="module")
def images_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("tiny-sd")
    pipeline = write_tiny_stable_diffusion(folder / "pipeline")
    server = start_builtin_server("diffusers_images", pipeline, folder / "server.log")
    yield server.base_url
    server.stop()


def _png(encoded: str) -> Image.Image:
    data = base64.b64decode(encoded)
    assert data.startswith(b"\x89PNG")
    return Image.open(io.BytesIO(data))


def _generate(url: str, **body: object) -> httpx.Response:
    return httpx.post(url + "/v1/images/generations", json={**FAST, **body}, timeout=120)


def test_b64_png_is_the_default_format(images_url: str) -> None:
    answer = _generate(images_url, prompt="a red apple", cfg_scale=4.5, sample_method="euler")

    assert answer.status_code == 200
    (item,) = answer.json()["data"]
    assert _png(item["b64_json"]).size == (64, 64)


def test_same_seed_paints_the_same_image(images_url: str) -> None:
    first = _generate(images_url, prompt="a boat", seed=42).json()["data"][0]["b64_json"]
    again = _generate(images_url, prompt="a boat", seed=42).json()["data"][0]["b64_json"]
    other = _generate(images_url, prompt="a boat", seed=43).json()["data"][0]["b64_json"]

    assert first == again != other


def test_url_format_gives_data_urls_for_each_image(images_url: str) -> None:
    data = _generate(images_url, prompt="a cat", n=2, response_format="url").json()["data"]

    assert len(data) == 2
    assert all(d["url"].startswith("data:image/png;base64,") for d in data)


def test_edit_repaints_an_uploaded_image(images_url: str) -> None:
    source = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(source, format="PNG")
    form = {"model": "m", "prompt": "green", "strength": "0.5", "sampling_steps": "4"}
    files = {"image": ("image.png", source.getvalue(), "image/png")}

    answer = httpx.post(images_url + "/v1/images/edits", data=form, files=files, timeout=120)

    assert answer.status_code == 200
    assert _png(answer.json()["data"][0]["b64_json"]).size == (64, 64)


def test_bad_requests_get_openai_errors(images_url: str) -> None:
    no_prompt = _generate(images_url)
    bad_image = httpx.post(
        images_url + "/v1/images/edits",
        data={"prompt": "p"},
        files={"image": ("image.png", b"not a png")},
        timeout=30,
    )

    assert no_prompt.status_code == 400
    assert no_prompt.json()["error"]["param"] == "prompt"
    assert bad_image.status_code == 400
    assert bad_image.json()["error"]["param"] == "image"
