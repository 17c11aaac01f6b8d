"""SGLang: Hugging Face chat, vision and embedding models on GPUs."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from gpustack.engines.backend_parameters import has_flag, positive_int_flag
from gpustack.engines.base import Category, LaunchContext, ResponseQuirks
from gpustack.engines.gpu_fraction import GpuFractionEngine

DEFAULT_MEM_FRACTION_STATIC = 0.88


class SGLangEngine(GpuFractionEngine):
    """`python -m sglang.launch_server`; claims --mem-fraction-static of each GPU."""

    name = "sglang"
    quirks = ResponseQuirks(
        rerank_returns_documents=False,
        rerank_sorted=False,
        rerank_returns_usage=False,
        embeddings_base64=False,
    )
    served = frozenset({Category.LLM, Category.EMBEDDING})
    fraction_flag = "--mem-fraction-static"
    default_fraction = DEFAULT_MEM_FRACTION_STATIC
    tensor_parallel_flags = ("--tp-size", "--tp")
    context_length_flag = "--context-length"

    def command(self, ctx: LaunchContext) -> list[str]:
        return [
            sys.executable,
            "-m",
            "sglang.launch_server",
            "--model-path",
            str(ctx.model_path),
            "--host",
            ctx.host,
            "--port",
            str(ctx.port),
            "--served-model-name",
            ctx.model_name,
        ]

    def category_flags(self, ctx: LaunchContext, params: Sequence[str]) -> list[str]:
        if Category.EMBEDDING in ctx.categories and not has_flag(params, "--is-embedding"):
            return ["--is-embedding"]
        return []

    def default_concurrency(self, backend_parameters: Sequence[str]) -> int | None:
        """`--max-running-requests` when given; SGLang otherwise sizes it from free memory."""
        return positive_int_flag(backend_parameters, "--max-running-requests")
