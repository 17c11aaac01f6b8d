"""vLLM: Hugging Face chat, vision, embeddings, rerank and whisper models on GPUs."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from gpustack.engines.backend_parameters import has_flag, positive_int_flag
from gpustack.engines.base import Category, LaunchContext, ResponseQuirks
from gpustack.engines.gpu_fraction import GpuFractionEngine

DEFAULT_GPU_MEMORY_UTILIZATION = 0.9
# vLLM's own default for --max-num-seqs on most GPUs (some recent versions pick more on the
# largest ones; a deployment that wants those sets max_concurrent_requests).
DEFAULT_MAX_NUM_SEQS = 256


class VLLMEngine(GpuFractionEngine):
    """`vllm serve <path>`; claims --gpu-memory-utilization of each GPU it gets."""

    name = "vllm"
    quirks = ResponseQuirks(
        rerank_returns_documents=True,
        rerank_sorted=True,
        rerank_returns_usage=True,
        embeddings_base64=True,
    )
    served = frozenset(
        {Category.LLM, Category.EMBEDDING, Category.RERANKER, Category.SPEECH_TO_TEXT}
    )
    fraction_flag = "--gpu-memory-utilization"
    default_fraction = DEFAULT_GPU_MEMORY_UTILIZATION
    tensor_parallel_flags = ("--tensor-parallel-size", "-tp")
    context_length_flag = "--max-model-len"

    def command(self, ctx: LaunchContext) -> list[str]:
        return [
            _vllm_command(),
            "serve",
            str(ctx.model_path),
            "--served-model-name",
            ctx.model_name,
            "--host",
            ctx.host,
            "--port",
            str(ctx.port),
        ]

    def category_flags(self, ctx: LaunchContext, params: Sequence[str]) -> list[str]:
        pooling = {Category.EMBEDDING, Category.RERANKER} & set(ctx.categories)
        if pooling and not has_flag(params, "--runner", "--task"):
            return ["--runner", "pooling"]
        return []

    def launch_env(self) -> dict[str, str]:
        # Deployments must never phone home; the model files are already local.
        return {"VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1"}

    def default_concurrency(self, backend_parameters: Sequence[str]) -> int | None:
        """`--max-num-seqs` when given, else vLLM's default."""
        return positive_int_flag(backend_parameters, "--max-num-seqs") or DEFAULT_MAX_NUM_SEQS


def _vllm_command() -> str:
    """vllm installed beside this interpreter (a venv the worker's PATH may not list), else PATH."""
    beside = Path(sys.executable).parent / "vllm"
    return str(beside) if beside.is_file() else "vllm"
