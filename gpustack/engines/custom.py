"""custom: any OpenAI-compatible server, started from the user's command template."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from gpustack.engines.base import (
    Category,
    LaunchContext,
    LaunchSpec,
    ModelProfile,
    PlacementRequest,
    ResourceEstimate,
    ResponseQuirks,
)

DEFAULT_HEALTH_PATH = "/v1/models"


class CommandTemplateError(ValueError):
    """The command template is missing, malformed or names an unknown placeholder."""


def render_command(template: str, ctx: LaunchContext) -> list[str]:
    """Split the template like a shell would, then fill placeholders inside each word.

    Splitting first keeps a model path with spaces in one argument, and no value can
    inject extra arguments or shell syntax.
    """
    values = {
        "model_path": str(ctx.model_path),
        "port": str(ctx.port),
        "model_name": ctx.model_name,
        "host": ctx.host,
        "gpu_ids": ",".join(str(i) for i in ctx.gpu_indexes),
    }
    try:
        words = shlex.split(template)
    except ValueError as exc:
        raise CommandTemplateError(f"cannot parse the command template: {exc}") from exc
    if not words:
        raise CommandTemplateError("the command template is empty")
    rendered = []
    for word in words:
        for key, value in values.items():
            word = word.replace("{{" + key + "}}", value).replace("{{ " + key + " }}", value)
        if "{{" in word:
            known = ", ".join("{{" + k + "}}" for k in values)
            raise CommandTemplateError(f"unknown placeholder in {word!r}; known: {known}")
        rendered.append(word)
    return rendered


class CustomEngine:
    """Runs whatever the user's template says; the resource claim is the user's too."""

    name = "custom"
    # Whatever the template starts, the user knows where it runs.
    runs_on = frozenset({"any"})
    # Unknown server: the gateway normalises everything it can.
    quirks = ResponseQuirks(
        rerank_returns_documents=False,
        rerank_sorted=False,
        rerank_returns_usage=False,
        embeddings_base64=False,
    )

    def serves(self, profile: ModelProfile, categories: Sequence[Category]) -> bool:
        return True

    def estimate(self, profile: ModelProfile, request: PlacementRequest) -> ResourceEstimate:
        vram = request.claimed_vram_bytes_per_gpu or 0
        note = "claim given by the user" if request.claimed_ram_bytes is not None else "no claim"
        return ResourceEstimate(
            ram_bytes=request.claimed_ram_bytes or 0,
            vram_bytes_per_gpu=(vram,) * max(request.gpu_count, 0),
            note=note,
        )

    def build_launch(self, ctx: LaunchContext) -> LaunchSpec:
        if not ctx.command_template:
            raise CommandTemplateError("the custom backend needs a command template")
        argv = render_command(ctx.command_template, ctx) + list(ctx.backend_parameters)
        health = ctx.health_path or DEFAULT_HEALTH_PATH
        if not health.startswith("/"):
            health = "/" + health
        return LaunchSpec(argv=argv, env={}, health_path=health)

    def default_concurrency(self, backend_parameters: Sequence[str]) -> int | None:
        # An unknown server: only the deployment's own max_concurrent_requests bounds it.
        return None
