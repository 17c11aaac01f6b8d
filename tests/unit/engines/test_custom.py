"""custom: the user's command template, rendered safely, with the user's own resource claim."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpustack.engines import Category, LaunchContext, ModelFormat, ModelProfile, PlacementRequest
from gpustack.engines.custom import CommandTemplateError, CustomEngine

engine = CustomEngine()


def _ctx(template: str | None, **overrides: object) -> LaunchContext:
    fields: dict[str, object] = {
        "model_name": "my model",
        "model_path": Path("/data/models/with space/m.gguf"),
        "port": 40010,
        "host": "10.1.2.3",
        "gpu_indexes": (1, 3),
        "categories": (Category.LLM,),
        "command_template": template,
    }
    fields.update(overrides)
    return LaunchContext(**fields)  # type: ignore[arg-type]


def test_placeholders_are_filled_inside_single_arguments() -> None:
    template = (
        "my-server --model {{model_path}} --name '{{model_name}}' "
        "--listen {{host}}:{{port}} --devices={{gpu_ids}}"
    )

    spec = engine.build_launch(_ctx(template))

    assert list(spec.argv) == [
        "my-server",
        "--model",
        "/data/models/with space/m.gguf",
        "--name",
        "my model",
        "--listen",
        "10.1.2.3:40010",
        "--devices=1,3",
    ]


def test_values_cannot_inject_shell_syntax() -> None:
    spec = engine.build_launch(_ctx("serve {{model_name}}", model_name="x; rm -rf /"))

    assert list(spec.argv) == ["serve", "x; rm -rf /"]


def test_health_path_comes_from_the_spec() -> None:
    assert engine.build_launch(_ctx("srv", health_path="healthz")).health_path == "/healthz"
    assert engine.build_launch(_ctx("srv")).health_path == "/v1/models"


def test_backend_parameters_are_appended() -> None:
    spec = engine.build_launch(_ctx("srv --port {{port}}", backend_parameters=["--verbose"]))

    assert list(spec.argv) == ["srv", "--port", "40010", "--verbose"]


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (None, "needs a command template"),
        ("srv {{modelpath}}", "unknown placeholder"),
        ("a 'b", "cannot parse"),
    ],
)
def test_bad_templates_are_clear_errors(template: str | None, message: str) -> None:
    with pytest.raises(CommandTemplateError, match=message):
        engine.build_launch(_ctx(template))


def test_resource_claim_is_the_users() -> None:
    request = PlacementRequest(
        gpu_count=2, claimed_ram_bytes=1_000_000, claimed_vram_bytes_per_gpu=5_000_000
    )

    estimate = engine.estimate(ModelProfile(format=ModelFormat.UNKNOWN), request)

    assert estimate.ram_bytes == 1_000_000
    assert estimate.vram_bytes_per_gpu == (5_000_000, 5_000_000)
