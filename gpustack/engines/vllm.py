"""vLLM: Hugging Face chat, vision, embeddings, rerank and whisper models on GPUs."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

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

DEFAULT_GPU_MEMORY_UTILIZATION = 0.9
# vLLM's own default for --max-num-seqs on most GPUs (some recent versions pick more on the
# largest ones; a deployment that wants those sets max_concurrent_requests).
DEFAULT_MAX_NUM_SEQS = 256
_UTILIZATION_FLAG = "--gpu-memory-utilization"
_SERVED = frozenset({Category.LLM, Category.EMBEDDING, Category.RERANKER, Category.SPEECH_TO_TEXT})


class VLLMEngine:
    """`vllm serve <path>`; claims --gpu-memory-utilization of each GPU it gets."""

    name = "vllm"
    runs_on = frozenset({"cuda", "linux"})
    quirks = ResponseQuirks(
        rerank_returns_documents=True,
        rerank_sorted=True,
        rerank_returns_usage=True,
        embeddings_base64=True,
    )

    def serves(self, profile: ModelProfile, categories: Sequence[Category]) -> bool:
        return profile.format == ModelFormat.SAFETENSORS and set(categories) <= _SERVED

    def estimate(self, profile: ModelProfile, request: PlacementRequest) -> ResourceEstimate:
        fraction = float_flag(request.backend_parameters, _UTILIZATION_FLAG)
        return estimate_gpu_fraction(
            profile, request, fraction or DEFAULT_GPU_MEMORY_UTILIZATION, _UTILIZATION_FLAG
        )

    def build_launch(self, ctx: LaunchContext) -> LaunchSpec:
        params = list(ctx.backend_parameters)
        argv = [
            _vllm_command(),
            "serve",
            str(ctx.model_path),
            "--served-model-name",
            ctx.model_name,
        ]
        argv += ["--host", ctx.host, "--port", str(ctx.port)]
        if len(ctx.gpu_indexes) > 1 and not has_flag(params, "--tensor-parallel-size", "-tp"):
            argv += ["--tensor-parallel-size", str(len(ctx.gpu_indexes))]
        if ctx.context_length and not has_flag(params, "--max-model-len"):
            argv += ["--max-model-len", str(ctx.context_length)]
        pooling = {Category.EMBEDDING, Category.RERANKER} & set(ctx.categories)
        if pooling and not has_flag(params, "--runner", "--task"):
            argv += ["--runner", "pooling"]
        argv += params
        # Deployments must never phone home; the model files are already local.
        env = {"VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1"}
        return LaunchSpec(argv=argv, env=env, health_path="/health")

    def default_concurrency(self, backend_parameters: Sequence[str]) -> int | None:
        """Sequences the scheduler batches at once: `--max-num-seqs`, else vLLM's default."""
        return positive_int_flag(backend_parameters, "--max-num-seqs") or DEFAULT_MAX_NUM_SEQS


def _vllm_command() -> str:
    """vllm installed beside this interpreter (a venv the worker's PATH may not list), else PATH."""
    beside = Path(sys.executable).parent / "vllm"
    return str(beside) if beside.is_file() else "vllm"
