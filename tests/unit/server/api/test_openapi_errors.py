"""The OpenAPI declares each /v2 route's errors, in the body the server really sends."""

from __future__ import annotations

from typing import Any

import pytest

from gpustack.config import Config
from gpustack.server.app import create_app

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("openapi")
    config = Config(data_dir=folder, database_url=f"sqlite:///{folder}/t.db", disable_worker=True)
    document: dict[str, Any] = create_app(config).openapi()
    return document


def v2_operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, operations in openapi["paths"].items()
        if path.startswith("/v2/")
        for method, operation in operations.items()
    ]


def test_error_body_is_code_reason_message(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    assert set(schemas["ErrorBody"]["required"]) == {"code", "reason", "message"}
    # Validation errors answer 400 in the error body, so FastAPI's 422 shape is not documented.
    assert "HTTPValidationError" not in schemas
    assert not any("422" in op["responses"] for _, _, op in v2_operations(openapi))


def test_every_v2_route_declares_its_errors_in_the_error_body(openapi: dict[str, Any]) -> None:
    for method, path, operation in v2_operations(openapi):
        responses = operation["responses"]
        assert {"400", "401", "403"} <= set(responses), f"{method} {path}: {sorted(responses)}"
        for status in (s for s in responses if s.startswith(("4", "5"))):
            content = responses[status]["content"]
            assert content == {"application/json": {"schema": ERROR_REF}}, f"{method} {path}"


def test_path_ids_are_bounded_to_the_id_column(openapi: dict[str, Any]) -> None:
    for method, path, operation in v2_operations(openapi):
        for param in operation.get("parameters", []):
            bounds = param["schema"].get("anyOf", [param["schema"]])[0]
            # Names in paths (`/v2/inference-backends/{backend}`) are strings, not ids.
            named = param["in"] == "path" and bounds.get("type") == "string"
            if (param["in"] == "path" and not named) or param["name"].endswith("_id"):
                assert (bounds["minimum"], bounds["maximum"]) == (1, 2**31 - 1), f"{method} {path}"
