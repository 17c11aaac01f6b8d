"""SGLang: Hugging Face chat, vision and embedding models on GPUs."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from gpustack.engines.backend_parameters import float_flag, has_flag, positive_int_flag
from gpustack.engines.base import (
    Category,
    LaunchContext,
    LaunchSpec,
    ModelFormat,
    ModelProfile,
    PlacementRequest,
    ResourceEstimate,
    ResponseQuirks,
)
from gpustack.engines.gpu_fraction import estimate_gpu_fraction

DEFAULT_MEM_FRACTION_STATIC = 0.88
_FRACTION_FLAG = "--mem-fraction-static"
_SERVED = frozenset({Category.LLM, Category.EMBEDDING})


class SGLangEngine:
    """`python -m sglang.launch_server`; claims --mem-fraction-static of each GPU."""

    name = "sglang"
    runs_on = frozenset({"cuda", "linux"})
    quirks = ResponseQuirks(
        rerank_returns_documents=False,
        rerank_sorted=False,
        rerank_returns_usage=False,
        embeddings_base64=False,
    )

    def serves(self, profile: ModelProfile, categories: Sequence[Category]) -> bool:
        return profile.format == ModelFormat.SAFETENSORS and set(categories) <= _SERVED

    def estimate(self, profile: ModelProfile, request: PlacementRequest) -> ResourceEstimate:
        fraction = float_flag(request.backend_parameters, _FRACTION_FLAG)
        return estimate_gpu_fraction(
            profile, request, fraction or DEFAULT_MEM_FRACTION_STATIC, _FRACTION_FLAG
        )

    def build_launch(self, ctx: LaunchContext) -> LaunchSpec:
        params = list(ctx.backend_parameters)
        argv = [sys.executable, "-m", "sglang.launch_server", "--model-path", str(ctx.model_path)]
        argv += ["--host", ctx.host, "--port", str(ctx.port), "--served-model-name", ctx.model_name]
        if len(ctx.gpu_indexes) > 1 and not has_flag(params, "--tp-size", "--tp"):
            argv += ["--tp-size", str(len(ctx.gpu_indexes))]
        if ctx.context_length and not has_flag(params, "--context-length"):
            argv += ["--context-length", str(ctx.context_length)]
        if Category.EMBEDDING in ctx.categories and not has_flag(params, "--is-embedding"):
            argv.append("--is-embedding")
        argv += params
        return LaunchSpec(argv=argv, env={}, health_path="/health")

    def default_concurrency(self, backend_parameters: Sequence[str]) -> int | None:
        """`--max-running-requests` when given; SGLang otherwise sizes it from free memory."""
        return positive_int_flag(backend_parameters, "--max-running-requests")
