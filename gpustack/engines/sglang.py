"""SGLang: Hugging Face chat, vision and embedding models on GPUs."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from gpustack.engines.backend_parameters import has_flag, positive_int_flag
from gpustack.engines.base import Category, LaunchContext, ResponseQuirks
from gpustack.engines.gpu_fraction import GpuFractionEngine
from gpustack.engines.installs import SGLANG_LAYOUT

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
            sglang_python(ctx.data_dir, ctx.backend_version, ctx.engine_executable),
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


def sglang_python(
    data_dir: Path | None, backend_version: str | None, named_executable: str | None = None
) -> str:
    """The interpreter that has SGLang: for a pinned version the one an administrator named,
    else `<data-dir>/engines/sglang/<version>/bin/python` (ValueError when missing); unpinned,
    the newest installed version, else the worker's own interpreter.
    """
    if backend_version and named_executable:
        return named_executable
    if backend_version and data_dir is not None:
        return str(SGLANG_LAYOUT.pinned(data_dir, backend_version))
    newest = SGLANG_LAYOUT.newest(data_dir) if data_dir is not None else None
    return str(newest) if newest is not None else sys.executable
